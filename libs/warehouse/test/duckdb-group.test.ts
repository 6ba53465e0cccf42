// The DuckDB adapter's group commit (groupRows): batches gathered into one transaction are durable
// once it commits (full, or at sync/query/close); a crash loses only what was never synced; a
// failed write that takes acknowledged batches down with it stops the warehouse. And the same
// adapter on its own thread (duckdb-thread.ts): same answers, errors back with their codes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeData, RecordBatch, Struct, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import t from 'tap';
import type { Test } from 'tap';
import { cliEnv } from '../../../test/helpers/cli-env.js';
import { AppError } from '../../errors/src/index.js';
import { parquetWasmCodec } from '../../parquet/src/index.js';
import { canonicalSchema } from '../../schema/src/canonical.js';
import { normalizeRowGroup } from '../../schema/src/normalize.js';
import { loadZones, transformTable } from '../../transform/src/index.js';
import { duckDbWarehouse, duckDbWarehouseOnThread } from '../src/index.js';
import type { Warehouse } from '../src/index.js';

const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

function dbPath(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-duckdb-group-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  return join(dir, 'taxi.duckdb');
}

const green = (async () => {
  const reader = await codec.open(fileURLToPath(new URL('../../../data/samples/green_tripdata_2024-01.parquet', import.meta.url)));
  const canonical = normalizeRowGroup({ table: await reader.readRowGroup(0), schema: canonicalSchema('green'), file: 'g', rowGroup: 0 }).table;
  reader.close();
  return transformTable(canonical, { service: 'green', month: '2024-01', firstRow: 0, loadDtMicros: Date.UTC(2024, 2, 5) * 1000, zones: loadZones() }).table;
})();

/** Rows [from, from + n) of the processed green month. */
async function slice(from: number, n: number): Promise<Table> {
  return (await green).slice(from, from + n);
}

/** The same rows with trip_id null in row 4: DuckDB refuses them at the appender's flush (NOT NULL). */
function withNullTripId(table: Table): Table {
  const ids = vectorFromArray(Array.from({ length: table.numRows }, (_, i) => (i === 4 ? null : `broken/${i}`)), new Utf8());
  const batch = table.batches[0]!;
  return new Table(table.schema, [new RecordBatch(table.schema, makeData({ type: new Struct(table.schema.fields), length: table.numRows, nullCount: 0,
    children: table.schema.fields.map((f, i) => (f.name === 'trip_id' ? ids.data[0]! : batch.data.children[i]!)) }))]);
}

async function counts(path: string): Promise<{ rows: number; batches: string[] }> {
  const db = await DuckDBInstance.create(path);
  const c = await db.connect();
  try {
    const rows = Number((await c.runAndReadAll('SELECT count(*) AS n FROM trips')).getRowObjectsJson()[0]?.n);
    const batches = (await c.runAndReadAll('SELECT partition_key || \'@\' || "offset" AS b FROM _taxi_batches ORDER BY 1')).getRowObjectsJson().map((r) => r.b as string);
    return { rows, batches };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/**
 * A child process writes through the adapter (the script's `steps`), prints "ready" and is killed
 * with SIGKILL: no close, no final COMMIT. Its coverage is off (test/helpers/cli-env.ts).
 */
async function writeAndKill(t: Test, path: string, groupRows: number, steps: string): Promise<void> {
  const adapter = new URL('../src/duckdb.ts', import.meta.url).href;
  const script = `
    import { tableFromIPC } from 'apache-arrow';
    import { readFileSync } from 'node:fs';
    const { duckDbWarehouse } = await import(${JSON.stringify(adapter)});
    const batches = JSON.parse(process.env.BATCHES).map((f) => tableFromIPC(readFileSync(f)));
    const wh = duckDbWarehouse({ path: ${JSON.stringify(path)}, groupRows: ${groupRows} });
    await wh.connect();
    const write = (i) => wh.writeBatch({ partitionKey: 'raw/0', offset: String(i), table: batches[i] });
    ${steps}
    console.log('ready');
    setInterval(() => {}, 1000);
  `;
  const dir = mkdtempSync(join(tmpdir(), 'taxi-duckdb-batches-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const files: string[] = [];
  for (let i = 0; i < 3; i++) {
    const file = join(dir, `${i}.arrow`);
    writeFileSync(file, tableToIPC(await slice(i * 2_000, 2_000)));
    files.push(file);
  }
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...cliEnv(), BATCHES: JSON.stringify(files) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => { resolve(); }));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (out.includes('ready')) { clearInterval(check); resolve(); }
      if (child.exitCode !== null) { clearInterval(check); reject(new Error(`writer exited ${child.exitCode}: ${err}`)); }
    }, 20);
  });
  child.kill('SIGKILL');
  await exited;
}

t.test('a crash keeps the batches synced or committed in a full group, and loses only the open transaction', async (t) => {
  const path = dbPath(t);
  await writeAndKill(t, path, 1_000_000, 'await write(0); await wh.sync(); await write(1); await write(2);');
  t.same(await counts(path), { rows: 2_000, batches: ['raw/0@0'] }, 'batch 0, synced, survives; 1 and 2 were in the open transaction');

  const path2 = dbPath(t);
  await writeAndKill(t, path2, 4_000, 'await write(0); await write(1); await write(2);');
  t.same(await counts(path2), { rows: 4_000, batches: ['raw/0@0', 'raw/0@1'] }, 'the group of 0 and 1 reached 4,000 rows and committed; 2 was open');

  // Restarted, the writer writes the lost batch again and sees the kept ones as duplicates.
  const wh = duckDbWarehouse({ path: path2, groupRows: 1_000_000 });
  await wh.connect();
  t.teardown(() => wh.close());
  t.same(await wh.writeBatch({ partitionKey: 'raw/0', offset: '1', table: await slice(2_000, 2_000) }), { rowsWritten: 0, duplicate: true, rowErrors: [] });
  t.same(await wh.writeBatch({ partitionKey: 'raw/0', offset: '2', table: await slice(4_000, 2_000) }), { rowsWritten: 2_000, duplicate: false, rowErrors: [] });
  t.same(await wh.query('SELECT count(*) AS n, count(DISTINCT trip_id) AS ids FROM trips'), [{ n: 6_000, ids: 6_000 }], 'a query commits the open transaction first and sees it');
});

t.test('a failed write that rolls back acknowledged batches stops the warehouse: later writes and syncs fail naming them', async (t) => {
  const path = dbPath(t);
  const wh = duckDbWarehouse({ path, groupRows: 1_000_000 });
  await wh.connect();
  t.same(await wh.writeBatch({ partitionKey: 'raw/0', offset: '10', table: await slice(0, 1_000) }), { rowsWritten: 1_000, duplicate: false, rowErrors: [] });
  t.same(await wh.writeBatch({ partitionKey: 'raw/0', offset: '11', table: await slice(1_000, 1_000) }), { rowsWritten: 1_000, duplicate: false, rowErrors: [] });
  const failed = await wh.writeBatch({ partitionKey: 'raw/0', offset: '12', table: withNullTripId(await slice(2_000, 10)) }).then(() => undefined, (e: unknown) => e);
  t.match((failed as Error).message, /NOT NULL/, 'the failed batch gets its own error');
  for (const [what, attempt] of [['sync', () => wh.sync()], ['writeBatch', () => wh.writeBatch({ partitionKey: 'raw/1', offset: '0', table: new Table() })], ['replaceMonth', () => wh.replaceMonth('green', '2024-01', 'trips_replay_x')]] as const) {
    const error = await (attempt as () => Promise<unknown>)().then(() => undefined, (e: unknown) => e);
    t.type(error, AppError, `${what} after the loss`);
    t.equal((error as AppError).code, 'TAXI_ERR_WAREHOUSE_WRITE');
    t.equal((error as AppError).retryable, false);
    t.match((error as AppError).message, /2 batch\(es\) already written into it \(raw\/0@10 \.\. raw\/0@11\).*restart from the last committed offsets/);
  }
  t.same(await wh.query('SELECT count(*) AS n FROM trips'), [{ n: 0 }], 'queries still run (a failed run removes its month with one)');
  await wh.close();
  t.same(await counts(path), { rows: 0, batches: [] }, 'nothing of the rolled-back group is in the file');

  // A failure as the first batch of a transaction loses nothing else: the warehouse goes on.
  const fresh = duckDbWarehouse({ path, groupRows: 1_000_000 });
  await fresh.connect();
  t.teardown(() => fresh.close());
  await t.rejects(fresh.writeBatch({ partitionKey: 'raw/0', offset: '12', table: withNullTripId(await slice(2_000, 10)) }), /NOT NULL/);
  t.same(await fresh.writeBatch({ partitionKey: 'raw/0', offset: '10', table: await slice(0, 1_000) }), { rowsWritten: 1_000, duplicate: false, rowErrors: [] });
  await fresh.sync();
  t.same(await fresh.query('SELECT count(*) AS n FROM trips'), [{ n: 1_000 }]);
});

for (const [where, open] of [['in-thread', duckDbWarehouse], ['on its own thread', duckDbWarehouseOnThread]] as const) {
  t.test(`pendingFrom, ${where}: each key's first batch in the open transaction, until it commits; a lost one's stay`, async (t) => {
    const wh = open({ path: dbPath(t), groupRows: 2_500 });
    await wh.connect();
    t.teardown(() => wh.close());
    const write = async (partitionKey: string, offset: string, table: Table | Promise<Table>) => wh.writeBatch({ partitionKey, offset, table: await table });
    t.equal(wh.pendingFrom('raw/0'), undefined, 'nothing written: nothing pending');
    await write('raw/0', '10', slice(0, 1_000));
    await write('raw/0', '11', slice(1_000, 1_000));
    await write('raw/1', '7', slice(2_000, 100));
    t.same([wh.pendingFrom('raw/0'), wh.pendingFrom('raw/1'), wh.pendingFrom('raw/2')], ['10', '7', undefined], 'each key\'s first offset in the open transaction');
    await write('raw/0', '12', slice(3_000, 1_000));
    t.same([wh.pendingFrom('raw/0'), wh.pendingFrom('raw/1')], [undefined, undefined], 'the group filled (3,100 rows >= 2,500) and committed: all durable');
    await write('raw/1', '8', slice(4_000, 100));
    t.equal(wh.pendingFrom('raw/1'), '8');
    await wh.sync();
    t.equal(wh.pendingFrom('raw/1'), undefined, 'sync made it durable');

    await write('raw/1', '9', slice(5_000, 100));
    await t.rejects(write('raw/1', '10', withNullTripId(await slice(5_100, 10))), /NOT NULL/);
    t.equal(wh.pendingFrom('raw/1'), '9', 'the rolled-back group\'s acknowledged batch stays pending: no progress may be recorded past it');
    await t.rejects(wh.sync(), /already written into it/);
    t.equal(wh.pendingFrom('raw/1'), '9', 'still, after a failed sync');
  });
}

/** Writes three batches, one twice, and replays one month through staging: the outcomes and rows each adapter gives. */
async function exercise(wh: Warehouse, ipc: boolean): Promise<unknown[]> {
  const results: unknown[] = [];
  await wh.connect();
  for (const [offset, from] of [['0', 0], ['1', 3_000], ['1', 3_000], ['2', 6_000]] as const) {
    const table = await slice(from, 3_000);
    results.push(await wh.writeBatch({ partitionKey: 'raw/0', offset, table, ...(ipc ? { ipc: tableToIPC(table) } : {}) }));
  }
  await wh.sync();
  results.push(await wh.query('SELECT count(*) AS n, count(DISTINCT trip_id) AS ids, round(sum(total_amount), 2) AS total FROM trips'));
  const staging = await wh.staging('trips_replay_test');
  await staging.connect();
  results.push(staging.location.endsWith('#trips_replay_test'));
  results.push(await staging.writeBatch({ partitionKey: 'raw/0', offset: '0', table: await slice(0, 500) }));
  results.push(await wh.replaceMonth('green', '2024-01', 'trips_replay_test'));
  await staging.close();
  results.push(await wh.query('SELECT count(*) AS n FROM trips'));
  return results;
}

t.test('on its own thread: the same outcomes, rows and replay as in-thread; errors keep their code', async (t) => {
  const here = duckDbWarehouse({ path: dbPath(t) });
  const expected = await exercise(here, false);
  await here.close();
  t.same(expected.slice(0, 4), [
    { rowsWritten: 3_000, duplicate: false, rowErrors: [] }, { rowsWritten: 3_000, duplicate: false, rowErrors: [] },
    { rowsWritten: 0, duplicate: true, rowErrors: [] }, { rowsWritten: 3_000, duplicate: false, rowErrors: [] },
  ]);
  t.same(expected.at(-1), [{ n: '500' }], 'the replayed month replaced the three batches');

  for (const ipc of [false, true]) {
    const path = dbPath(t);
    const there = duckDbWarehouseOnThread({ path });
    t.equal(there.location, duckDbWarehouse({ path }).location);
    t.same(await exercise(there, ipc), expected, ipc ? 'batches sent as their IPC bytes' : 'batches encoded by the proxy');

    const other = await there.writeBatch({ partitionKey: 'raw/9', offset: '0', table: (await slice(0, 10)).selectAt([1, 0]) }).then(() => undefined, (e: unknown) => e);
    t.type(other, AppError, 'an AppError crosses back as one');
    t.equal((other as AppError).code, 'TAXI_ERR_WAREHOUSE_WRITE');
    t.equal((other as AppError).retryable, false);
    t.match((other as AppError).message, /raw\/9@0/);
    t.match((other as AppError).stack, /on the DuckDB thread/);
    await t.rejects(there.query('SELECT nope FROM trips'), /nope/, 'a failed query comes back with DuckDB\'s message');
    await there.close();
    await there.close();
  }
});

t.test('on its own thread: a call before connect or after close fails; the thread does not keep the process alive', async (t) => {
  const path = dbPath(t);
  const there = duckDbWarehouseOnThread({ path });
  await t.rejects(there.ping(), /before connect/);
  await there.connect();
  await there.ping();
  await there.close();
  await t.rejects(there.query('SELECT 1'), /before connect/, 'a new thread, not connected');
  await there.close();
});
