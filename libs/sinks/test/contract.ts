// The Parquet sink's contract, run on the local store (unit) and on fake-gcs-server (integration).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableToIPC } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import { pino } from 'pino';
import type { Test } from 'tap';
import type { ObjectStore } from '../../objectstore/src/index.js';
import type { ParquetCodec } from '../../parquet/src/index.js';
import { canonicalSchema } from '../../schema/src/canonical.js';
import { normalizeRowGroup } from '../../schema/src/normalize.js';
import { PROCESSED_DISTINCT_COLUMNS, PROCESSED_FINGERPRINT } from '../../schema/src/processed.js';
import { loadZones, transformTable } from '../../transform/src/index.js';
import { ParquetSink } from '../src/index.js';
import type { FlushedFile } from '../src/index.js';

const log = pino({ level: 'silent' });

export async function processedSample(codec: ParquetCodec): Promise<Table> {
  const reader = await codec.open(new URL('../../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname);
  const canonical = normalizeRowGroup({ table: await reader.readRowGroup(0), schema: canonicalSchema('green'), file: 'g', rowGroup: 0 }).table;
  return transformTable(canonical, { service: 'green', month: '2024-01', firstRow: 0, loadDtMicros: 0, zones: loadZones() }).table;
}

/** A batch of processed rows as the sink takes it: an Arrow IPC stream and its row count. */
export function rowsOf(table: Table): { ipc: Uint8Array; rows: number } {
  return { ipc: tableToIPC(table, 'stream'), rows: table.numRows };
}

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

/** Reads the Parquet objects with DuckDB, an implementation independent of the writer. */
async function readWithDuckDb(t: Test, store: ObjectStore, objectKeys: string[]): Promise<{ rows: number; ids: number; schema: string[]; encodings: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-read-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const files = await Promise.all(objectKeys.map(async (k, i) => { const p = join(dir, `${i}.parquet`); writeFileSync(p, await store.get(k)); return p; }));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const list = `[${files.map((f) => `'${f}'`).join(',')}]`;
  const [stats] = (await c.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT trip_id) AS ids FROM read_parquet(${list})`)).getRowObjectsJson();
  const schema = (await c.runAndReadAll(`SELECT DISTINCT value FROM parquet_kv_metadata(${list}) WHERE key::VARCHAR = 'taxi.schema'`)).getRowObjectsJson().map((r) => r.value as string);
  // Each column's encodings, all its chunks' together.
  const encodings = (await c.runAndReadAll(`SELECT path_in_schema AS col, string_agg(DISTINCT encodings, ',') AS enc FROM parquet_metadata(${list}) GROUP BY 1`)).getRowObjectsJson();
  c.closeSync(); db.closeSync();
  return { rows: Number(stats?.n), ids: Number(stats?.ids), schema, encodings: Object.fromEntries(encodings.map((r) => [r.col as string, r.enc as string])) };
}

/** Whether the codec's library writes chosen columns without a dictionary (polars has no such setting). */
export interface SinkCodecAbilities {
  readonly plainColumns: boolean;
}

export function parquetSinkContract(t: Test, makeStore: (t: Test) => Promise<ObjectStore>, codec: ParquetCodec, abilities: SinkCodecAbilities): void {
  t.test('rolls by rows, names files by offsets, and a retry overwrites the same objects', async (t) => {
    const store = await makeStore(t);
    const table = await processedSample(codec);
    const parts = [table.slice(0, 20_000), table.slice(20_000, 40_000), table.slice(40_000)];
    const run = async (): Promise<FlushedFile[]> => {
      const flushed: FlushedFile[] = [];
      const sink = new ParquetSink(store, codec, { roll: { rows: 40_000, intervalMs: 600_000 } }, log, (f) => flushed.push(f));
      for (const [i, part] of parts.entries()) await sink.add({ topic: 'raw', partition: 2, offset: String(10 + i), service: 'green', month: '2024-01', ...rowsOf(part) });
      await sink.settled(); // the file rolled by the second batch is written in the background
      t.equal(sink.pendingFrom('raw', 2), '12', 'the last batch is still open');
      await sink.close();
      return flushed;
    };
    const flushed = await run();
    t.same(flushed.map((f) => [f.firstOffset, f.lastOffset, f.rows]), [['10', '11', 40_000], ['12', '12', table.numRows - 40_000]]);
    t.same(flushed.map((f) => f.key), [
      'processed/green/year=2024/month=01/raw-2-000000000010-000000000011.parquet',
      'processed/green/year=2024/month=01/raw-2-000000000012-000000000012.parquet',
    ]);
    await run(); // a retry: the same batches again
    const written = await keys(store, 'processed/green/');
    t.equal(written.length, 2, 'a batch written twice leaves one copy');
    const read = await readWithDuckDb(t, store, written);
    t.equal(read.rows, table.numRows, 'rows read back by DuckDB');
    t.equal(read.ids, table.numRows, 'no trip twice');
    t.same(read.schema, [PROCESSED_FINGERPRINT], 'schema fingerprint in the footer');
    if (abilities.plainColumns) {
      for (const column of PROCESSED_DISTINCT_COLUMNS) t.notMatch(read.encodings[column], /DICTIONARY/, `${column}: written without a dictionary`);
    }
    t.match(read.encodings.pickup_zone, /DICTIONARY/, 'other columns keep their dictionary');
  });

  t.test('a retry that rolls at other offsets deletes the uncommitted files its new file holds, and never one it only overlaps', async (t) => {
    const store = await makeStore(t);
    const table = await processedSample(codec);
    const parts = [table.slice(0, 20_000), table.slice(20_000, 40_000), table.slice(40_000)];
    const run = async (rows: number, topic = 'raw', partition = 2, batches = parts): Promise<string[]> => {
      const flushed: FlushedFile[] = [];
      const sink = new ParquetSink(store, codec, { roll: { rows, intervalMs: 600_000 } }, log, (f) => flushed.push(f));
      for (const [i, part] of batches.entries()) await sink.add({ topic, partition, offset: String(10 + i), service: 'green', month: '2024-01', ...rowsOf(part) });
      await sink.close();
      return flushed.map((f) => `${f.firstOffset}-${f.lastOffset}`);
    };
    const mine = (keys: string[]): string[] => keys.filter((k) => k.includes('/raw-2-0000')).map((k) => k.slice(k.lastIndexOf('/') + 7, -8)).sort();
    const rowsOnce = async (): Promise<void> => {
      const read = await readWithDuckDb(t, store, (await keys(store, 'processed/green/')).filter((k) => k.includes('/raw-2-0000')));
      t.equal(read.rows, table.numRows, 'every row once');
      t.equal(read.ids, table.numRows);
    };
    t.same(await run(20_000), ['10-10', '11-11', '12-12']);
    await run(20_000, 'raw', 3); // another partition: left alone
    await run(20_000, 'raw-2', 0); // another topic whose name extends this one's prefix: left alone
    t.same(await run(40_000), ['10-11', '12-12'], 'the retry rolls at other offsets');
    t.same(mine(await keys(store, 'processed/green/')), ['000000000010-000000000011', '000000000012-000000000012'], '10-10 and 11-11 are inside 10-11: deleted');
    await rowsOnce();
    t.same(await run(1_000_000), ['10-12']);
    t.same(mine(await keys(store, 'processed/green/')), ['000000000010-000000000012']);
    await rowsOnce();
    t.same(await run(20_000, 'raw', 2, parts.slice(0, 2)), ['10-10', '11-11'], 'a late writer of a smaller range (an old owner)');
    t.same(mine(await keys(store, 'processed/green/')), ['000000000010-000000000010', '000000000010-000000000012', '000000000011-000000000011'],
      'a file only partly inside the new one is kept: no row is lost (some are twice, the limit of this rule)');
    t.equal((await keys(store, 'processed/green/')).length, 3 + 3 + 3, 'the other partition\'s and the other topic\'s files are kept');
  });

  t.test('maxOpenBytes bounds the data held in open files across partitions: the largest is written early', async (t) => {
    const store = await makeStore(t);
    const table = await processedSample(codec);
    const parts = Array.from({ length: 9 }, (_, i) => table.slice(i * 5_000, (i + 1) * 5_000));
    const max = Math.floor(rowsOf(parts[0]!).ipc.byteLength * 2.5); // the sink counts its batches' IPC bytes
    const flushed: FlushedFile[] = [];
    const sink = new ParquetSink(store, codec, { roll: { rows: 1_000_000, intervalMs: 600_000 }, maxOpenBytes: max }, log, (f) => flushed.push(f));
    for (const [i, part] of parts.entries()) {
      await sink.add({ topic: 'raw', partition: i % 3, offset: String(Math.floor(i / 3)), service: 'green', month: '2024-01', ...rowsOf(part) });
      t.ok(sink.openBytes <= max, `after batch ${i}: ${sink.openBytes} bytes open, at most ${max}`);
    }
    t.ok(flushed.length >= 3, `${flushed.length} files written before the end`);
    await sink.close();
    t.equal(sink.openBytes, 0);
    const read = await readWithDuckDb(t, store, await keys(store, 'processed/green/'));
    t.equal(read.rows, 45_000, 'every row once');
    t.equal(read.ids, 45_000);
  });

  t.test('a rolled file is written in the background; a failed write stays pending and fails every later call', async (t) => {
    const inner = await makeStore(t);
    const table = await processedSample(codec);
    let failPut = false;
    let releasePut = (): void => undefined;
    const held = new Promise<void>((resolve) => { releasePut = resolve; });
    const store: ObjectStore = {
      name: inner.name, location: inner.location, connect: () => inner.connect(), close: () => inner.close(),
      put: async (key, body, options) => {
        await held;
        if (failPut) throw new Error(`injected failure writing ${key}`);
        return inner.put(key, body, options);
      },
      putFile: (key, path, options) => inner.putFile(key, path, options), get: (key) => inner.get(key), head: (key) => inner.head(key),
      list: (prefix) => inner.list(prefix), delete: (key) => inner.delete(key), deletePrefix: (prefix) => inner.deletePrefix(prefix),
      copy: (from, to) => inner.copy(from, to),
    };
    const flushed: FlushedFile[] = [];
    const sink = new ParquetSink(store, codec, { roll: { rows: 10_000, intervalMs: 600_000 } }, log, (f) => flushed.push(f));
    await sink.add({ topic: 'raw', partition: 0, offset: '0', service: 'green', month: '2024-01', ...rowsOf(table.slice(0, 10_000)) });
    t.equal(flushed.length, 0, 'add resolved before its file was written');
    t.equal(sink.pendingFrom('raw', 0), '0', 'the file being written is pending');
    releasePut();
    await sink.settled();
    t.same(flushed.map((f) => f.firstOffset), ['0']);
    failPut = true;
    await sink.add({ topic: 'raw', partition: 0, offset: '1', service: 'green', month: '2024-01', ...rowsOf(table.slice(10_000, 20_000)) });
    await t.rejects(sink.settled(), /injected failure writing .*raw-0-000000000001-000000000001/);
    failPut = false;
    await t.rejects(sink.add({ topic: 'raw', partition: 0, offset: '2', service: 'green', month: '2024-01', ...rowsOf(table.slice(20_000, 30_000)) }), /injected failure/,
      'every later call fails with the first failure');
    t.equal(sink.pendingFrom('raw', 0), '1', 'the failed file stays pending: no offset past it is committed');
    t.same(flushed.map((f) => f.firstOffset), ['0'], 'nothing after the failed file is written');
    await t.rejects(sink.close(), /injected failure/);
  });

  t.test('the time trigger writes a file with no new input', async (t) => {
    const store = await makeStore(t);
    const table = await processedSample(codec);
    const flushed: FlushedFile[] = [];
    const sink = new ParquetSink(store, codec, { roll: { rows: 1_000_000, intervalMs: 300 } }, log, (f) => flushed.push(f));
    t.teardown(() => sink.close());
    await sink.add({ topic: 'raw', partition: 0, offset: '5', service: 'green', month: '2024-01', ...rowsOf(table.slice(0, 1000)) });
    const deadline = Date.now() + 10_000;
    while (flushed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    t.equal(flushed.length, 1, 'rolled by time alone');
    t.equal(sink.pendingFrom('raw', 0), undefined);
    t.equal((await keys(store, 'processed/')).length, 1);
  });
}
