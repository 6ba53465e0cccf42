// decode: every row group of the month through libs/parquet's default decoder, in a child node
// process of its own (so its peak RSS is the decoder's, not the benchmark's). The codecs scope
// runs every codec.
import { DEFAULT_PARQUET_OPTIONS } from '../../libs/parquet/src/options.js';
import { runMeasured } from '../lib/child.js';
import { cleanEnv, tsChild } from '../lib/env.js';
import type { Scope } from '../lib/types.js';

export const decodeScope: Scope = {
  name: 'decode',
  what: `libs/parquet (${DEFAULT_PARQUET_OPTIONS.decoder}, the default decoder) decodes each row group to Arrow, one after the other`,
  needsKafka: false,
  notes: () => [
    'rows/s and MB/s over the decode loop only (child start-up and the footer read excluded, starting the decode worker thread included, as ingest pays it); wall, CPU and RSS are the whole child\'s',
    'MB/s = Parquet file bytes / s; arrowMbPerSec = bytes of the decoded Arrow buffers / s',
  ],
  async run(ctx) {
    const measured = await runMeasured({ label: 'the decode child', cwd: ctx.root, dir: ctx.tempDir('decode'), env: cleanEnv({}), args: tsChild(ctx.root, 'bench/children/decode.ts', [ctx.source.path]) });
    const r = JSON.parse(measured.stdout.trim().split('\n').at(-1) ?? '{}') as { rows: number; seconds: number; sourceBytes: number; decodedBytes: number };
    if (r.rows !== ctx.source.rows) throw new Error(`the decode child read ${r.rows} rows; the source has ${ctx.source.rows}`);
    return {
      wallSeconds: measured.wallSeconds, cpuSeconds: measured.cpuSeconds, peakRssBytes: measured.peakRssBytes, method: measured.method,
      rowsPerSec: r.rows / r.seconds, mbPerSec: r.sourceBytes / 1e6 / r.seconds,
      extra: { decodeSeconds: r.seconds, arrowMbPerSec: r.decodedBytes / 1e6 / r.seconds, arrowBytes: r.decodedBytes },
    };
  },
};
