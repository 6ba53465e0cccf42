// sinks: the processed month through each sink alone (Parquet to a local dir and to GCS, DuckDB,
// BigQuery on a sample), in a child of its own.
import { runMeasured } from '../lib/child.js';
import { cleanEnv, tsChild } from '../lib/env.js';
import type { Scope } from '../lib/types.js';

const endpoint = async (url: string): Promise<boolean> => fetch(url, { signal: AbortSignal.timeout(2_000) }).then(() => true, () => false);

export const sinksScope: Scope = {
  name: 'sinks',
  what: 'the month\'s processed rows written through each sink alone, in 25k-row batches (Parquet local and GCS, DuckDB, BigQuery on a sample)',
  needsKafka: false,
  notes: () => [
    'the transform runs first in the same child and is not timed; each sink is timed from its first batch to its last durable write',
    'Parquet bytes/row = bytes of the Parquet objects written (ZSTD, 1M-row files) / rows',
    'GCS is fake-gcs-server and BigQuery is bqemulator on loopback, when they answer (npm run servers:up); otherwise those sinks are left out',
  ],
  async run(ctx) {
    const gcs = process.env.GCS_ENDPOINT ?? 'http://127.0.0.1:4443';
    const bq = process.env.BQ_ENDPOINT ?? 'http://127.0.0.1:9050';
    const args = [ctx.source.path, (await endpoint(`${gcs}/_internal/healthcheck`)) ? gcs : '', ...((await endpoint(`${bq}/healthz`)) ? [bq, process.env.BQ_GRPC_ENDPOINT ?? '127.0.0.1:9060'] : ['', ''])];
    const measured = await runMeasured({ label: 'the sinks child', cwd: ctx.root, dir: ctx.tempDir('sinks'), env: cleanEnv({ METADATA_SERVER_DETECTION: 'none' }), args: tsChild(ctx.root, 'bench/children/sinks.ts', args) });
    const r = JSON.parse(measured.stdout.trim().split('\n').at(-1) ?? '{}') as { rows: number; results: Record<string, { rows: number; seconds: number; rowsPerSec: number; bytesPerRow?: number; note?: string }> };
    const local = r.results['parquet-local'];
    return {
      wallSeconds: measured.wallSeconds, cpuSeconds: measured.cpuSeconds, peakRssBytes: measured.peakRssBytes, method: measured.method,
      rowsPerSec: local?.rowsPerSec ?? 0,
      extra: Object.fromEntries(Object.entries(r.results).flatMap(([sink, v]): [string, number][] => [
        [`${sink}RowsPerSec`, Math.round(v.rowsPerSec)], [`${sink}Rows`, v.rows], ...(v.bytesPerRow ? [[`${sink}BytesPerRow`, Number(v.bytesPerRow.toFixed(1))] as [string, number]] : []),
      ])),
    };
  },
};
