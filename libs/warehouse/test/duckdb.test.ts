import { DuckDBInstance } from '@duckdb/node-api';
import t from 'tap';
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../errors/src/index.js';
import { parquetWasmCodec } from '../../parquet/src/index.js';
import { canonicalSchema } from '../../schema/src/canonical.js';
import { PROCESSED_FIELDS } from '../../schema/src/processed.js';
import { normalizeRowGroup } from '../../schema/src/normalize.js';
import { loadZones, transformTable } from '../../transform/src/index.js';
import { newTableSql } from '../src/duckdb.js';
import { duckDbWarehouse } from '../src/index.js';

const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

function dbPath(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-duckdb-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  return join(dir, 'taxi.duckdb');
}

async function processedGreen() {
  const reader = await codec.open(new URL('../../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname);
  const canonical = normalizeRowGroup({ table: await reader.readRowGroup(0), schema: canonicalSchema('green'), file: 'g', rowGroup: 0 }).table;
  return transformTable(canonical, { service: 'green', month: '2024-01', firstRow: 0, loadDtMicros: Date.UTC(2024, 2, 5) * 1000, zones: loadZones() }).table;
}

t.test('batches land once, across a reopen, and read back equal', async (t) => {
  const path = dbPath(t);
  const table = await processedGreen();
  const first = table.slice(0, 20_000);
  const second = table.slice(20_000);
  const wh = duckDbWarehouse({ path });
  await wh.connect();
  t.same(await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table: first }), { rowsWritten: 20_000, duplicate: false, rowErrors: [] });
  t.same(await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table: first }), { rowsWritten: 0, duplicate: true, rowErrors: [] }, 'a retried batch adds nothing');
  await wh.close();

  const again = duckDbWarehouse({ path });
  await again.connect();
  t.teardown(() => again.close());
  t.equal((await again.writeBatch({ partitionKey: 'raw/0', offset: '0', table: first })).duplicate, true, 'still seen after a restart');
  t.equal((await again.writeBatch({ partitionKey: 'raw/0', offset: '1', table: second })).rowsWritten, table.numRows - 20_000);
  const [stats] = await again.query('SELECT count(*) AS n, count(DISTINCT trip_id) AS ids, sum(total_amount) AS total FROM trips');
  t.equal(Number(stats?.n), table.numRows);
  t.equal(Number(stats?.ids), table.numRows, 'no trip twice');
  const expected = (table.getChild('total_amount')!.toArray() as Float64Array).reduce((s, v) => s + v, 0);
  t.ok(Math.abs(Number(stats?.total) - expected) < 1e-6, 'amounts equal');
  const [row] = await again.query(`SELECT pickup_zone, epoch_us(pickup_datetime) AS us, pickup_date::VARCHAR AS d, epoch_us("Load_dt") AS load FROM trips WHERE trip_id = '${String(table.getChild('trip_id')!.get(5))}'`);
  t.equal(row?.pickup_zone, table.getChild('pickup_zone')!.get(5));
  t.equal(Number(row?.us), Number((table.getChild('pickup_datetime')!.data[0]!.values as BigInt64Array)[5]), 'timestamps to the microsecond');
  t.equal(Number(row?.load), Date.UTC(2024, 2, 5) * 1000);
});

t.test('newTableSql is the table the adapter creates (the harness\'s DuckDB baseline runs it)', async (t) => {
  const path = dbPath(t);
  const wh = duckDbWarehouse({ path });
  await wh.connect();
  await wh.close();
  const db = await DuckDBInstance.create(':memory:');
  t.teardown(() => { db.closeSync(); });
  const c = await db.connect();
  await c.run(`ATTACH '${path}' AS made (READ_ONLY)`);
  await c.run(newTableSql('by_sql'));
  const columns = async (catalog: string, table: string): Promise<unknown[]> => (await c.runAndReadAll(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_catalog = '${catalog}' AND table_name = '${table}' ORDER BY ordinal_position`,
  )).getRowObjectsJson();
  const made = await columns('made', 'trips') as { column_name: string; data_type: string; is_nullable: string }[];
  t.same(made.map((c) => c.column_name), PROCESSED_FIELDS.map((f) => f.name), 'the processed columns, in order');
  const type = (name: string): string => made.find((c) => c.column_name === name)?.data_type ?? '';
  t.match(type('pickup_zone'), /^ENUM\(.*'JFK Airport'.*\)$/, 'the zones an ENUM seeded with the shipped lookup');
  t.equal(type('fare_amount'), 'DOUBLE');
  t.equal(made.find((c) => c.column_name === 'trip_id')?.is_nullable, 'NO', 'REQUIRED columns NOT NULL');
  t.same(await columns('memory', 'by_sql'), made, 'the same columns, types (ENUMs with their values) and nullability, in the same order');
  t.match(newTableSql('x'), /^CREATE TABLE "x" \("trip_id" VARCHAR NOT NULL, /);
});

t.test('schema: missing nullable columns are added, a changed type is refused', async (t) => {
  const path = dbPath(t);
  const db = await DuckDBInstance.create(path);
  const c = await db.connect();
  await c.run('CREATE TABLE trips (trip_id VARCHAR NOT NULL)');
  c.closeSync(); db.closeSync();
  const wh = duckDbWarehouse({ path });
  const err = await wh.connect().then(() => undefined, (e: unknown) => e);
  t.type(err, AppError);
  t.equal((err as AppError).code, 'TAXI_ERR_WAREHOUSE_SCHEMA', 'a missing REQUIRED column cannot be added');
  await wh.close();

  const path2 = dbPath(t);
  const db2 = await DuckDBInstance.create(path2);
  const c2 = await db2.connect();
  await c2.run('CREATE TABLE trips (trip_id VARCHAR NOT NULL, tip_pct VARCHAR)');
  c2.closeSync(); db2.closeSync();
  const wh2 = duckDbWarehouse({ path: path2 });
  const err2 = await wh2.connect().then(() => undefined, (e: unknown) => e);
  t.match((err2 as AppError).message, /column trips\.(service|tip_pct) is|lacks REQUIRED column/);
  await wh2.close();

  const path3 = dbPath(t);
  const full = duckDbWarehouse({ path: path3 });
  await full.connect();
  await full.query('ALTER TABLE trips DROP COLUMN tip_pct');
  await full.close();
  const evolved = duckDbWarehouse({ path: path3 });
  await evolved.connect();
  t.teardown(() => evolved.close());
  const columns = await evolved.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'trips' AND column_name = 'tip_pct'");
  t.equal(columns.length, 1, 'a missing NULLABLE column is added back');
});

t.test('a new database file is written for the configured DuckDB version (default v1.5.0); an existing file keeps its own', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-duckdb-storage-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const storageTag = async (path: string): Promise<unknown> => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      await c.run(`ATTACH '${path}' AS f (READ_ONLY)`);
      const [row] = (await c.runAndReadAll("SELECT tags['storage_version'] AS v FROM duckdb_databases() WHERE database_name = 'f'")).getRowObjectsJson();
      return row?.v;
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  };
  const opened = async (path: string, storageVersion?: string): Promise<void> => {
    const w = duckDbWarehouse({ path, ...(storageVersion ? { storageVersion } : {}) });
    await w.connect();
    await w.close();
  };
  await opened(join(dir, 'new.duckdb'));
  t.equal(await storageTag(join(dir, 'new.duckdb')), 'v1.5.0+', 'the default: files need DuckDB 1.5 or later');
  await opened(join(dir, 'old.duckdb'), 'v0.10.2');
  t.equal(await storageTag(join(dir, 'old.duckdb')), 'v1.0.0+', 'DuckDB\'s own default, for older readers');
  await opened(join(dir, 'old.duckdb'));
  t.equal(await storageTag(join(dir, 'old.duckdb')), 'v1.0.0+', 'reopened with the default, an existing file keeps its format');

  const unknown = duckDbWarehouse({ path: join(dir, 'unknown.duckdb'), storageVersion: 'v9.0.0' });
  await t.rejects(unknown.connect(), {
    code: 'TAXI_ERR_CONFIG_INVALID', retryable: false, message: /^warehouse\.duckdb\.storageVersion: DuckDB v\d+\.\d+\.\d+ cannot write files for v9\.0\.0/,
  }, 'a version this DuckDB does not know: a configuration error naming the setting, not a retryable outage');
  t.throws(() => duckDbWarehouse({ path: join(dir, 'x.duckdb'), storageVersion: '1.5' }), { code: 'TAXI_ERR_CONFIG_INVALID' }, 'not a version at all: refused by the options');
});

t.test('DuckDB runs with the configured memory limit and threads (defaults: 256 MiB, one thread)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-duckdb-settings-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const settings = "SELECT current_setting('memory_limit') AS memory, current_setting('threads')::INTEGER AS threads";
  const defaults = duckDbWarehouse({ path: join(dir, 'a.duckdb') });
  await defaults.connect();
  t.same(await defaults.query(settings), [{ memory: '256.0 MiB', threads: 1 }]);
  await defaults.close();
  const chosen = duckDbWarehouse({ path: join(dir, 'b.duckdb'), memoryLimitBytes: 64 * 1024 * 1024, threads: 2 });
  await chosen.connect();
  t.same(await chosen.query(settings), [{ memory: '64.0 MiB', threads: 2 }]);
  await chosen.close();
});
