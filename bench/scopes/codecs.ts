// codecs: every Parquet codec behind libs/parquet's port, back to back in one run: decode every row
// group of the month, and encode the processed month as the Parquet sink does, each (codec,
// operation) in a child of its own, so its wall, CPU and peak RSS are that codec's alone. Polars is
// also run with POLARS_MAX_THREADS=1 (its own thread pool limited to one thread).
import { join } from 'node:path';
import { DEFAULT_PARQUET_OPTIONS, PARQUET_CODECS } from '../../libs/parquet/src/index.js';
import { runMeasured } from '../lib/child.js';
import type { Measured, MeasureMethod } from '../lib/child.js';
import { cleanEnv, tsChild } from '../lib/env.js';
import type { RunResult, Scope, ScopeContext } from '../lib/types.js';

/** A codec as run: its name, its key in the figures, and the polars thread limit when there is one. */
interface Variant { readonly codec: string; readonly key: string; readonly env: Readonly<Record<string, string>> }

/** Figure keys are identifiers: `arrowRsDecodeSeconds`, `wasmEncodeSeconds`. */
const KEYS: Readonly<Record<(typeof PARQUET_CODECS)[number], string>> = { 'arrow-rs': 'arrowRs', polars: 'polars', 'parquet-wasm': 'wasm' };
/** The codec whose children make the scope's own wall, CPU, RSS and rows/s: the default one. */
const SCOPE_KEY = KEYS[DEFAULT_PARQUET_OPTIONS.encoder];

const VARIANTS: readonly Variant[] = [
  ...PARQUET_CODECS.map((codec) => ({ codec, key: KEYS[codec], env: {} })),
  { codec: 'polars', key: 'polars1t', env: { POLARS_MAX_THREADS: '1' } },
];
export const CODEC_OPERATIONS = ['decode', 'encode'] as const;
/** Keys of the variants in the scope's figures, in the order they run. */
export const CODEC_KEYS = VARIANTS.map((v) => v.key);

/** The processed month's IPC file, made once per benchmark run (the scope's runs share it). */
const prepared = new Map<string, Promise<{ path: string; rows: number }>>();

function processedMonth(ctx: ScopeContext): Promise<{ path: string; rows: number }> {
  let pending = prepared.get(ctx.source.path);
  if (!pending) {
    const dir = ctx.tempDir('codecs-processed');
    const path = join(dir, 'processed.arrows');
    ctx.say('codecs: preparing the processed month (decode, normalise, transform), untimed');
    pending = runMeasured({ label: 'the processed-ipc child', cwd: ctx.root, dir, env: cleanEnv({}), args: tsChild(ctx.root, 'bench/children/processed-ipc.ts', [ctx.source.path, path]) })
      .then((m) => ({ path, rows: (JSON.parse(m.stdout.trim().split('\n').at(-1) ?? '{}') as { rows: number }).rows }));
    prepared.set(ctx.source.path, pending);
  }
  return pending;
}

interface ChildReport { readonly rows: number; readonly seconds: number; readonly parquetBytes?: number; readonly decodedBytes?: number; readonly files?: number }

async function child(ctx: ScopeContext, variant: Variant, operation: string, input: string): Promise<{ measured: Measured; report: ChildReport }> {
  const file = operation === 'decode' ? 'bench/children/decode.ts' : 'bench/children/encode.ts';
  const measured = await runMeasured({
    label: `the ${operation} child (${variant.key})`, cwd: ctx.root, dir: ctx.tempDir(`codecs-${variant.key}-${operation}`),
    env: cleanEnv(variant.env), args: tsChild(ctx.root, file, [input, variant.codec]),
  });
  return { measured, report: JSON.parse(measured.stdout.trim().split('\n').at(-1) ?? '{}') as ChildReport };
}

async function runCodecs(ctx: ScopeContext): Promise<RunResult> {
  const processed = await processedMonth(ctx);
  const extra: Record<string, number> = { sourceRows: ctx.source.rows, processedRows: processed.rows };
  const totals = { wall: 0, cpu: 0, rss: 0, seconds: 0 };
  let method: MeasureMethod = 'gnu-time';
  for (const operation of CODEC_OPERATIONS) {
    for (const variant of VARIANTS) {
      ctx.say(`codecs: ${operation} with ${variant.key}`);
      const { measured, report } = await child(ctx, variant, operation, operation === 'decode' ? ctx.source.path : processed.path);
      const expected = operation === 'decode' ? ctx.source.rows : processed.rows;
      if (report.rows !== expected) throw new Error(`${variant.key} ${operation}: ${report.rows} rows, expected ${expected}`);
      const k = `${variant.key}${operation === 'decode' ? 'Decode' : 'Encode'}`;
      Object.assign(extra, {
        [`${k}Seconds`]: report.seconds, [`${k}WallSeconds`]: measured.wallSeconds, [`${k}CpuSeconds`]: measured.cpuSeconds,
        [`${k}RowsPerSec`]: report.rows / report.seconds, [`${k}PeakRssBytes`]: measured.peakRssBytes,
        ...(report.parquetBytes === undefined ? {} : { [`${k}ParquetBytes`]: report.parquetBytes, [`${k}Files`]: report.files ?? 0 }),
        ...(report.decodedBytes === undefined ? {} : { [`${k}ArrowBytes`]: report.decodedBytes }),
      });
      method = measured.method;
      if (variant.key === SCOPE_KEY) {
        totals.wall += measured.wallSeconds; totals.cpu += measured.cpuSeconds; totals.seconds += report.seconds;
        totals.rss = Math.max(totals.rss, measured.peakRssBytes);
      }
    }
    const op = operation === 'decode' ? 'Decode' : 'Encode';
    for (const key of Object.values(KEYS).filter((k) => k !== KEYS['parquet-wasm'])) {
      for (const metric of ['Seconds', 'WallSeconds', 'CpuSeconds', 'PeakRssBytes']) {
        extra[`${key}OverWasm${op}${metric}`] = (extra[`${key}${op}${metric}`] ?? Number.NaN) / (extra[`wasm${op}${metric}`] ?? Number.NaN);
      }
    }
  }
  return { wallSeconds: totals.wall, cpuSeconds: totals.cpu, peakRssBytes: totals.rss, method, rowsPerSec: ctx.source.rows / totals.seconds, extra };
}

export const codecsScope: Scope = {
  name: 'codecs',
  what: `each Parquet codec (${VARIANTS.map((v) => v.key).join(', ')}) decodes every row group of the month, then encodes the processed month in the Parquet sink's files (64 MiB of Arrow, row groups of 262,144 rows, ZSTD), each in a child of its own, back to back`,
  needsKafka: false,
  notes: () => [
    '<key>DecodeSeconds / <key>EncodeSeconds: the timed loop (decode: every row group in turn; encode: the codec.encode calls, one file after another); wall, CPU and peak RSS: the whole child (start-up, the worker threads, and for encode reading the IPC input)',
    'the processed month is made once per benchmark run (parquet-wasm decode, normalise, transform; untimed) and read by the encode children from an Arrow IPC file, batch by batch, so their RSS is the sink\'s files, not the month',
    `arrowRs: arrow-rs, the Rust parquet crate as a native module (libs/parquet/native); polars1t: polars with POLARS_MAX_THREADS=1; arrowRsOverWasm*, polarsOverWasm*: that codec / parquet-wasm (below 1: it takes less); the scope's own wall, CPU, RSS and rows/s are the default codec's (${DEFAULT_PARQUET_OPTIONS.encoder}) decode and encode children together (rows/s = source rows / (decode + encode loop seconds))`,
  ],
  run: runCodecs,
};
