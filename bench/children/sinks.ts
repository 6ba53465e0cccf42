// sinks: the month's processed rows written through each sink alone, in ~25k-row batches as the
// processor hands them over. Prints one JSON line: per sink rows, seconds, rows/s, bytes/row.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import { pino } from 'pino';
import { gcsObjectStore, localDirObjectStore } from '../../libs/objectstore/src/index.js';
import type { ObjectStore } from '../../libs/objectstore/src/index.js';
import { defaultParquetCodec } from '../../libs/parquet/src/index.js';
import { canonicalSchema } from '../../libs/schema/src/canonical.js';
import { monthRefFromFileName } from '../../libs/schema/src/month.js';
import { normalizeRowGroup } from '../../libs/schema/src/normalize.js';
import { ParquetSink } from '../../libs/sinks/src/index.js';
import { loadZones, transformTable } from '../../libs/transform/src/index.js';
import { bigQueryWarehouse, duckDbWarehouseOnThread } from '../../libs/warehouse/src/index.js';
import type { Warehouse } from '../../libs/warehouse/src/index.js';

const [path = '', gcsEndpoint = '', bqEndpoint = '', bqGrpc = '', bqSampleRows = '200000'] = process.argv.slice(2);
const log = pino({ level: 'silent' });
const codec = defaultParquetCodec();
const ref = monthRefFromFileName(path);
if (!ref) throw new Error(`${path}: not a TLC file name`);
const BATCH = 25_000;

/** A batch as the processor holds it: the transform's reply, an Arrow IPC stream in a SharedArrayBuffer. */
function shared(table: Table): Uint8Array {
  const ipc = tableToIPC(table, 'stream');
  const out = new Uint8Array(new SharedArrayBuffer(ipc.byteLength));
  out.set(ipc);
  return out;
}

const reader = await codec.open(path);
const streams: Uint8Array[] = [];
let firstRow = 0;
for (const g of reader.info.rowGroups) {
  const canonical = normalizeRowGroup({ table: await reader.readRowGroup(g.index), schema: canonicalSchema(ref.service), file: path, rowGroup: g.index }).table;
  const out = transformTable(canonical, { service: ref.service, month: `${ref.year}-${String(ref.month).padStart(2, '0')}`, firstRow, loadDtMicros: Date.now() * 1000, zones: loadZones() }).table;
  for (let i = 0; i < out.numRows; i += BATCH) streams.push(shared(out.slice(i, i + BATCH)));
  firstRow += g.numRows;
}
// The warehouses get Tables over the same bytes (views, no copy), as the processor decodes them.
const batches = streams.map((s) => tableFromIPC(s));
const rows = batches.reduce((n, b) => n + b.numRows, 0);
const month = `${ref.year}-${String(ref.month).padStart(2, '0')}`;
const results: Record<string, { rows: number; seconds: number; rowsPerSec: number; bytesPerRow?: number; note?: string }> = {};

async function parquetInto(name: string, store: ObjectStore, sizeOf: () => Promise<number>): Promise<void> {
  await store.connect();
  const sink = new ParquetSink(store, codec, {}, log, () => undefined);
  const t0 = performance.now();
  for (const [i, ipc] of streams.entries()) await sink.add({ topic: 'bench', partition: 0, offset: String(i), service: ref!.service, month, ipc, rows: batches[i]?.numRows ?? 0 });
  await sink.close();
  const seconds = (performance.now() - t0) / 1000;
  results[name] = { rows, seconds, rowsPerSec: rows / seconds, bytesPerRow: (await sizeOf()) / rows };
}

async function warehouseInto(name: string, wh: Warehouse, sample: Table[], note?: string): Promise<void> {
  await wh.connect();
  const n = sample.reduce((s, b) => s + b.numRows, 0);
  const t0 = performance.now();
  for (const [i, table] of sample.entries()) await wh.writeBatch({ partitionKey: 'bench/0', offset: String(i), table });
  await wh.sync(); // durable: DuckDB may still hold the last batches in an open transaction
  const seconds = (performance.now() - t0) / 1000;
  await wh.close();
  results[name] = { rows: n, seconds, rowsPerSec: n / seconds, ...(note ? { note } : {}) };
}

const dir = mkdtempSync(join(tmpdir(), 'taxi-bench-sinks-'));
try {
  const local = join(dir, 'objects');
  await parquetInto('parquet-local', localDirObjectStore({ root: local }), async () =>
    (readdirSync(local, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).reduce((s, f) => s + statSync(join(local, f)).size, 0));
  if (gcsEndpoint) {
    const gcs = gcsObjectStore({ bucket: `bench-sinks-${randomBytes(4).toString('hex')}`, apiEndpoint: gcsEndpoint, projectId: 'test', createBucketIfMissing: true });
    await parquetInto('parquet-gcs', gcs, async () => { let s = 0; for await (const o of gcs.list('processed/')) s += o.sizeBytes; return s; });
    await gcs.deletePrefix('processed/');
  }
  await warehouseInto('duckdb', duckDbWarehouseOnThread({ path: join(dir, 'taxi.duckdb') }), batches);
  if (bqEndpoint && bqGrpc) {
    const sample: Table[] = [];
    for (let n = 0, i = 0; n < Number(bqSampleRows) && i < batches.length; i++) { const b = batches[i]!; sample.push(b); n += b.numRows; }
    await warehouseInto('bigquery', bigQueryWarehouse({ projectId: 'test', dataset: `bench_${randomBytes(4).toString('hex')}`, apiEndpoint: bqEndpoint, grpcEndpoint: bqGrpc }), sample,
      'the BigQuery emulator (bqemulator), on a sample: it snapshots the table at every append, so its rate is the emulator\'s, not BigQuery\'s');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await codec.destroy();
}
process.stdout.write(`${JSON.stringify({ rows, results })}\n`);
