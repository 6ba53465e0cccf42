// Replay with the in-process bus, a local object store and the DuckDB warehouse: the month's
// outputs are replaced by exactly a fresh run's, other months stay as they were, and leftovers of a
// killed replay do not matter. (The real broker and BigQuery: test/integration/replay.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { memoryBus } from '../../bus/src/index.js';
import { defaultTopics, ingestMonth } from '../../ingest/src/index.js';
import { localDirObjectStore } from '../../objectstore/src/index.js';
import type { ObjectStore } from '../../objectstore/src/index.js';
import { parquetWasmCodec } from '../../parquet/src/index.js';
import { fileDeadLetters, Pipeline } from '../../processor/src/index.js';
import type { MonthRef } from '../../schema/src/month.js';
import { ParquetSink } from '../../sinks/src/index.js';
import { localFileSource } from '../../source/src/index.js';
import { duckDbWarehouse } from '../../warehouse/src/index.js';
import type { Warehouse } from '../../warehouse/src/index.js';
import { monthPrefix, replayMonth, stagingRoot, stagingTable } from '../src/index.js';

const log = pino({ level: 'silent' });
const JAN: MonthRef = { service: 'green', year: 2024, month: 1 };
const FEB22: MonthRef = { service: 'green', year: 2022, month: 2 };
const sample = (name: string): string => new URL(`../../../data/samples/${name}`, import.meta.url).pathname;

async function world(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-replay-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const codec = parquetWasmCodec();
  t.teardown(() => codec.destroy());
  const bus = memoryBus();
  const topics = defaultTopics();
  await bus.ensureTopics([{ name: topics.raw, partitions: 2 }, { name: topics.manifest, partitions: 1, compacted: true }]);
  const store = localDirObjectStore({ root: join(dir, 'objects') });
  await store.connect();
  const warehouse = duckDbWarehouse({ path: join(dir, 'taxi.duckdb') });
  await warehouse.connect();
  t.teardown(() => warehouse.close());
  for (const [ref, file] of [[JAN, 'green_tripdata_2024-01.parquet'], [FEB22, 'green_tripdata_2022-02.parquet']] as const) {
    await ingestMonth(ref, { source: localFileSource({ path: sample(file) }), store, bus, codec, log }, { topics });
  }
  // The live run: every message through the pipeline into the live prefix and table.
  const parquet = new ParquetSink(store, codec, { roll: { rows: 20_000 } }, log, () => undefined);
  const pipeline = new Pipeline({ parquet, warehouse, deadLetters: fileDeadLetters(join(dir, 'dlq.jsonl')), log, poolSize: 1 });
  for await (const m of bus.readAll(topics.raw)) await pipeline.handle(m);
  await parquet.close();
  await pipeline.close();
  const deps = { bus, store, codec, warehouse, log, topics, liveGroupId: 'unused', parquet: { roll: { rows: 20_000 } }, poolSize: 1,
    deadLetters: fileDeadLetters(join(dir, 'replay-dlq.jsonl')) };
  return { dir, store, warehouse, deps };
}

/** Row count, distinct ids and an order-free content hash of a month in the warehouse. */
async function tableContents(w: Warehouse, ref: MonthRef): Promise<string> {
  const [r] = await w.query(`SELECT count(*) AS n, count(DISTINCT trip_id) AS ids, sum(hash(trip_id, total_amount, pickup_datetime, pickup_zone, tip_pct, "Load_dt") % 1000000007) AS h FROM trips WHERE service = '${ref.service}' AND source_month = '${ref.year}-${String(ref.month).padStart(2, '0')}'`);
  return JSON.stringify(r);
}

/** Each object of the month's prefix with its size: names and bytes. */
async function objects(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(`${o.key} ${o.sizeBytes}`);
  return out;
}

t.test('replay replaces the month with a fresh run, leaves other months alone, and ignores a killed run\'s leftovers', async (t) => {
  const { store, warehouse, deps } = await world(t);
  const janPrefix = monthPrefix('processed', JAN);
  const freshTable = await tableContents(warehouse, JAN);
  const freshFiles = await objects(store, janPrefix);
  const otherTable = await tableContents(warehouse, FEB22);
  const otherFiles = await objects(store, monthPrefix('processed', FEB22));
  t.ok(freshFiles.length > 1, `the live run wrote several files (${freshFiles.length})`);

  // Damage the month (a lost file, a stray one, missing and doubled rows) ...
  await store.delete(freshFiles[0]!.split(' ')[0]!);
  await store.put(`${janPrefix}stray.parquet`, new Uint8Array([1, 2, 3]));
  await warehouse.query("DELETE FROM trips WHERE source_month = '2024-01' AND trip_id LIKE '%/1%'");
  await warehouse.query("INSERT INTO trips SELECT * FROM trips WHERE source_month = '2024-01' LIMIT 100");
  t.not(await tableContents(warehouse, JAN), freshTable, 'the damage shows');
  // ... and leave what a replay killed midway leaves: a staging table with rows, staged objects.
  const leftover = await warehouse.staging(stagingTable(JAN));
  await leftover.connect();
  await warehouse.query(`INSERT INTO ${stagingTable(JAN)} SELECT * FROM trips WHERE source_month = '2024-01' LIMIT 10`);
  await store.put(`${stagingRoot(JAN)}processed/green/year=2024/month=01/old-run.parquet`, new Uint8Array([9]));

  const progress: string[] = [];
  const result = await replayMonth(JAN, deps, { onProgress: (p) => { if (progress.at(-1) !== p.phase) progress.push(p.phase); } });
  t.same(progress, ['check', 'read', 'publish', 'done'], 'progress goes through every phase');
  t.equal(result.rowsRead, result.rowsWritten + Object.values(result.rowsRejected).reduce((s, n) => s + n, 0), 'conservation');
  t.equal(result.rowsRead, 56_551, 'every row of the month was read');
  t.equal(result.warehouseRows, result.rowsWritten);
  t.equal(await tableContents(warehouse, JAN), freshTable, 'the warehouse holds exactly the fresh run\'s month');
  t.same(await objects(store, janPrefix), freshFiles, 'the object prefix holds exactly the fresh run\'s files');
  t.equal(await tableContents(warehouse, FEB22), otherTable, 'the other month\'s rows are untouched');
  t.same(await objects(store, monthPrefix('processed', FEB22)), otherFiles, 'the other month\'s files are untouched');
  t.same(await objects(store, stagingRoot(JAN)), [], 'staging objects are gone');
  t.same(await warehouse.query(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'replay_staging%' OR table_name LIKE '_taxi_batches_%'`), [], 'staging tables are gone');

  const again = await replayMonth(JAN, deps);
  t.equal(await tableContents(warehouse, JAN), freshTable, 'a second replay changes nothing');
  t.same(await objects(store, janPrefix), freshFiles);
  t.equal(again.rowsWritten, result.rowsWritten);
});

t.test('a month never ingested fails naming it', async (t) => {
  const { deps } = await world(t);
  await t.rejects(replayMonth({ service: 'yellow', year: 2024, month: 1 }, deps), { code: 'TAXI_ERR_REPLAY_MONTH_UNKNOWN', message: /yellow 2024-01 is not in the manifest topic/ });
});
