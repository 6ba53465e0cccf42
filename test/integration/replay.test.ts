// `taxi replay` on the real broker, with the BigQuery emulator as the warehouse and a local object
// store, while a live `taxi process` keeps running: the replayed month equals the fresh run row
// for row, other months are untouched, the live group's offsets do not move, and a replay killed
// midway converges when run again (the shipped green month, and small synthetic yellow ones). Also: a month whose offsets are gone, and one not yet processed.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BigQuery } from '@google-cloud/bigquery';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import t from 'tap';
import type { Test } from 'tap';
import type { Bus } from '../../libs/bus/src/index.js';
import { ingestMonth } from '../../libs/ingest/src/index.js';
import type { ManifestV1, Topics } from '../../libs/ingest/src/index.js';
import { localDirObjectStore } from '../../libs/objectstore/src/index.js';
import type { ObjectStore } from '../../libs/objectstore/src/index.js';
import { parquetWasmCodec } from '../../libs/parquet/src/index.js';
import { monthPrefix } from '../../libs/replay/src/index.js';
import { monthRefFromFileName } from '../../libs/schema/src/month.js';
import type { MonthRef } from '../../libs/schema/src/month.js';
import { localFileSource } from '../../libs/source/src/index.js';
import { bigQueryWarehouse } from '../../libs/warehouse/src/index.js';
import type { Warehouse } from '../../libs/warehouse/src/index.js';
import { kafkaFor, localStore, silentLog, tempDir, uniqueTopics } from '../helpers/ingest.js';
import { contentsOf, processorEnv, startProcessor } from '../helpers/processor.js';
import type { Contents } from '../helpers/processor.js';
import { readEmulator, servers, uniqueName } from '../helpers/servers.js';
import { writeSyntheticYellowMonth } from '../helpers/synthetic-month.js';
import { cliEnv } from '../helpers/cli-env.js';

const taxi = fileURLToPath(new URL('../../bin/taxi.js', import.meta.url));
const sample = (name: string): string => fileURLToPath(new URL(`../../data/samples/${name}`, import.meta.url));
const JAN = sample('green_tripdata_2024-01.parquet');
const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

async function ingest(t: Test, path: string, topics: Topics, bus: Bus): Promise<ManifestV1> {
  const { manifest } = await ingestMonth(monthRefFromFileName(path)!, { source: localFileSource({ path }), store: await localStore(t), bus, codec, log: silentLog }, { topics });
  return manifest;
}

function kafkaAdmin(t: Test): Admin {
  const admin = new Kafka({ brokers: [...servers.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
  t.teardown(() => admin.disconnect());
  return admin;
}

/** The live group's committed offset per partition. */
async function groupOffsets(bus: Bus, groupId: string, topic: string): Promise<Record<number, string | undefined>> {
  return Object.fromEntries((await bus.groupOffsets(groupId, topic)).map((o) => [o.partition, o.offset]));
}

async function untilProcessed(bus: Bus, groupId: string, manifests: readonly ManifestV1[], timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const committed = await groupOffsets(bus, groupId, manifests[0]!.topic);
    if (manifests.every((m) => m.partitions.every((p) => committed[p.partition] !== undefined && BigInt(committed[p.partition]!) > BigInt(p.lastOffset)))) return;
    if (Date.now() > deadline) throw new Error(`the live group did not process the months in time: ${JSON.stringify(committed)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every row of a month in BigQuery, as a count and a hash over the sorted rows' key columns. */
async function warehouseMonth(w: Warehouse, ref: MonthRef): Promise<{ rows: number; ids: number; hash: string }> {
  const month = `${ref.year}-${String(ref.month).padStart(2, '0')}`;
  const rows = await readEmulator(() => w.query(`SELECT trip_id, total_amount, pickup_datetime, pickup_zone, tip_pct, Load_dt FROM trips WHERE service = '${ref.service}' AND source_month = '${month}'`));
  const lines = rows.map((r) => JSON.stringify([r.trip_id, r.total_amount, r.pickup_datetime, r.pickup_zone, r.tip_pct, r.Load_dt])).sort();
  return { rows: rows.length, ids: new Set(rows.map((r) => r.trip_id)).size, hash: createHash('sha256').update(lines.join('\n')).digest('hex') };
}

async function listing(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(`${o.key} ${o.sizeBytes}`);
  return out;
}

async function parquetMonth(objects: string, store: ObjectStore, ref: MonthRef): Promise<Contents> {
  const files = (await listing(store, monthPrefix('processed', ref))).map((l) => join(objects, l.split(' ')[0]!));
  return contentsOf({ parquet: files });
}

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

/** Runs `taxi replay`; `watch` sees its stderr so far on every chunk, with a way to kill it. */
function replay(t: Test, env: NodeJS.ProcessEnv, args: string[], watch?: (stderr: string, kill: () => void) => void): Promise<Run> {
  const proc = spawn(process.execPath, [taxi, 'replay', '--brokers', servers.kafkaBrokers.join(','), ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    watch?.(stderr, () => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  });
  return new Promise((resolve) => proc.on('exit', (code) => { resolve({ code, stdout, stderr }); }));
}

t.test('replay while the live processor runs: equal to the fresh run, other months untouched, live offsets unmoved, converges after a kill', async (t) => {
  const started = Date.now();
  const mark = (what: string): void => { t.comment(`${what} done at ${((Date.now() - started) / 1000).toFixed(1)} s`); };
  const topics = { ...uniqueTopics(2), maxMessageBytes: 1024 * 1024 };
  const bus = await kafkaFor(t, topics);
  const janManifest = await ingest(t, JAN, topics, bus);
  // The other month: small and synthetic, so the BigQuery emulator (slow on appends) is quick.
  const synthDir = tempDir(t, 'taxi-synth');
  const synthetic = (month: number): string => writeSyntheticYellowMonth(join(synthDir, `yellow_tripdata_2024-0${month}.parquet`), { year: 2024, month, rows: 3_000, rowGroupRows: 3_000, seed: month });
  const febManifest = await ingest(t, synthetic(2), topics, bus);
  const objects = tempDir(t, 'taxi-replay-objects');
  const dataset = uniqueName('taxi_replay', '_');
  const groupId = uniqueName('taxi-live');
  const bigquery = { projectId: servers.bigqueryProject, dataset, apiEndpoint: servers.bigqueryEndpoint, grpcEndpoint: servers.bigqueryGrpc };
  const env = processorEnv({ topics, groupId, objects, duckdb: '/unused', extra: {
    TAXI__WAREHOUSE__KIND: 'bigquery', TAXI__WAREHOUSE__BIGQUERY__PROJECT_ID: bigquery.projectId, TAXI__WAREHOUSE__BIGQUERY__DATASET: dataset,
    TAXI__WAREHOUSE__BIGQUERY__API_ENDPOINT: bigquery.apiEndpoint, TAXI__WAREHOUSE__BIGQUERY__GRPC_ENDPOINT: bigquery.grpcEndpoint,
    TAXI__SINKS__PARQUET__ROLL__ROWS: '20000', TAXI__PROCESSOR__POOL_SIZE: '1',
  } });
  const live = startProcessor(t, env, 3_600);
  await untilProcessed(bus, groupId, [janManifest, febManifest]);
  mark('live run');

  const warehouse = bigQueryWarehouse(bigquery);
  await warehouse.connect();
  t.teardown(async () => {
    await warehouse.close();
    // Free the emulator's memory: it keeps every table in RAM.
    await new BigQuery({ projectId: bigquery.projectId, apiEndpoint: bigquery.apiEndpoint, retryOptions: { autoRetry: false } }).dataset(dataset).delete({ force: true }).catch(() => undefined);
  });
  const store = localDirObjectStore({ root: objects });
  await store.connect();
  const jan: MonthRef = { service: 'green', year: 2024, month: 1 };
  const feb: MonthRef = { service: 'yellow', year: 2024, month: 2 };
  const fresh = { table: await warehouseMonth(warehouse, jan), files: await listing(store, monthPrefix('processed', jan)), parquet: await parquetMonth(objects, store, jan) };
  const other = { table: await warehouseMonth(warehouse, feb), files: await listing(store, monthPrefix('processed', feb)) };
  t.ok(fresh.table.rows > 50_000 && fresh.table.ids === fresh.table.rows, `the live run wrote the month once (${fresh.table.rows} rows)`);
  t.equal(fresh.parquet.rows, fresh.table.rows, 'Parquet and warehouse agree');
  const offsetsBefore = await groupOffsets(bus, groupId, topics.raw);

  // A sink outage, as seen afterwards: a lost file and lost rows.
  await store.delete(fresh.files[0]!.split(' ')[0]!);
  await warehouse.query("DELETE FROM trips WHERE source_month = '2024-01' AND pickup_zone = 'JFK Airport'");
  const damaged = { table: await warehouseMonth(warehouse, jan), files: await listing(store, monthPrefix('processed', jan)) };
  t.ok(damaged.table.rows < fresh.table.rows, 'the damage shows in the warehouse');

  // A replay killed while it reads: the live month is as it was. While it runs, its HTTP face.
  let seen: { readyz: number; metrics: string; status: Record<string, unknown> } | undefined;
  const killed = await replay(t, env, ['--service', 'green', '--month', '2024-01'], (err, kill) => {
    const address = /"address":"(http:[^"]+)"/.exec(err)?.[1];
    if (address && seen === undefined && err.includes('Parquet file written')) {
      seen = { readyz: 0, metrics: '', status: {} };
      void (async () => {
        const readyz = await fetch(`${address}/readyz`);
        const metrics = await (await fetch(`${address}/metrics`)).text();
        const status = await (await fetch(`${address}/status`)).json() as Record<string, unknown>;
        seen = { readyz: readyz.status, metrics, status };
        kill();
      })();
    }
  });
  t.equal(killed.code, null, 'the first replay was killed');
  t.equal(seen?.readyz, 200, 'while it ran, /readyz was 200 (bus, object store, warehouse reachable)');
  t.match(seen?.metrics, /taxi_replay_rows_read\{service="green",month="2024-01"\} [1-9]/, '/metrics had its progress');
  t.match(seen?.metrics, /taxi_replay_phase\{service="green",month="2024-01",phase="read"\} 1/);
  t.match(seen?.status, { service: 'green', month: '2024-01', phase: 'read', total: janManifest.rows }, '/status had its phase');
  t.same(await listing(store, monthPrefix('processed', jan)), damaged.files, 'a killed replay leaves the live files as they were');
  t.same(await warehouseMonth(warehouse, jan), damaged.table, 'and the live rows');
  mark('killed replay');

  const run = await replay(t, env, ['--service', 'green', '--month', '2024-01', '--json']);
  if (run.code !== 0) t.comment(run.stderr.split('\n').filter((l) => /TAXI_ERR|"level":[56]0|^taxi:/.test(l)).join('\n').slice(-3000));
  t.equal(run.code, 0, 'replay exits 0');
  mark('replay');
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { rowsRead: number; rowsWritten: number; rowsRejected: Record<string, number>; warehouseRows: number; seconds: number };
  t.equal(result.rowsRead, janManifest.rows, 'the replay read every row of the month');
  t.equal(result.rowsRead, result.rowsWritten + Object.values(result.rowsRejected).reduce((s, n) => s + n, 0), 'conservation');
  t.same(await warehouseMonth(warehouse, jan), fresh.table, 'warehouse: the month equals the fresh run, row for row');
  t.same(await listing(store, monthPrefix('processed', jan)), fresh.files, 'object store: the same files as the fresh run');
  t.same(await parquetMonth(objects, store, jan), fresh.parquet, 'with the same rows');
  t.same(await warehouseMonth(warehouse, feb), other.table, 'the other month\'s rows are untouched');
  t.same(await listing(store, monthPrefix('processed', feb)), other.files, 'and its files');
  t.same(await groupOffsets(bus, groupId, topics.raw), offsetsBefore, 'the live group\'s offsets did not move');
  t.same(await listing(store, 'staging/'), [], 'no staging objects are left');

  // The live processor kept running: it takes a new month.
  t.equal(live.proc.exitCode, null, 'the live processor is still running');
  const march = await ingest(t, synthetic(3), topics, bus);
  // Its rows reach the warehouse per message (its Parquet file waits for the roll interval).
  const deadline = Date.now() + 180_000;
  let marchRows = 0;
  while (marchRows < march.rows * 0.8 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1_000));
    marchRows = (await warehouseMonth(warehouse, { service: 'yellow', year: 2024, month: 3 })).rows;
  }
  mark('new month');
  t.ok(marchRows > march.rows * 0.8, `and wrote it (${marchRows} of ${march.rows} rows; the rest rejected)`);
  live.proc.kill('SIGTERM');
  t.equal(await live.exited, 0, 'the live processor stops cleanly');
});

t.test('a month whose offsets are gone fails naming the month and the first missing offset; an unprocessed month is refused', async (t) => {
  const topics = { ...uniqueTopics(1), maxMessageBytes: 1024 * 1024 };
  const bus = await kafkaFor(t, topics);
  const manifest = await ingest(t, JAN, topics, bus);
  const env = processorEnv({ topics, groupId: uniqueName('taxi-live'), objects: tempDir(t, 'taxi-replay-objects'), duckdb: join(tempDir(t, 'taxi-replay-db'), 'taxi.duckdb') });

  const early = await replay(t, env, ['--service', 'green', '--month', '2024-01', '--no-serve']);
  t.equal(early.code, 1);
  t.match(early.stderr, /TAXI_ERR_REPLAY_MONTH_NOT_PROCESSED: green 2024-01: the live group taxi-live-\w+ has not processed the month yet on partition\(s\) 0 \(committed nothing/);

  const unknown = await replay(t, env, ['--service', 'green', '--month', '2023-07', '--no-serve']);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /TAXI_ERR_REPLAY_MONTH_UNKNOWN: green 2023-07 is not in the manifest topic/);

  // Retention: delete the month's first messages.
  const range = manifest.partitions[0]!;
  const admin = kafkaAdmin(t);
  await admin.connect();
  await admin.fetchTopicMetadata({ topics: [topics.raw] }); // deleteTopicRecords needs it loaded
  const cut = String(BigInt(range.firstOffset) + 2n);
  await admin.deleteTopicRecords({ topic: topics.raw, partitions: [{ partition: 0, offset: cut }] });
  const gone = await replay(t, env, ['--service', 'green', '--month', '2024-01', '--no-serve']);
  t.equal(gone.code, 1);
  t.match(gone.stderr, new RegExp(`TAXI_ERR_REPLAY_OFFSETS_GONE: green 2024-01: offset ${range.firstOffset} of ${topics.raw.replace(/\./g, '\\.')} partition 0 is gone \\(retention; the first readable offset is ${cut}\\)\\. Re-ingest the month from the source: taxi ingest --service green --month 2024-01 --force`));
});
