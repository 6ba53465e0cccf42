// The processor on the real Kafka broker, run as real `taxi process` child processes:
// ingest -> process equals the transform applied directly; conservation with the DLQ; a poison
// message; kill -9 mid-month and a restart; two instances in one group.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Table } from 'apache-arrow';
import t from 'tap';
import type { Test } from 'tap';
import type { Bus } from '../../libs/bus/src/index.js';
import { ingestMonth } from '../../libs/ingest/src/index.js';
import type { ManifestV1, Topics } from '../../libs/ingest/src/index.js';
import { parquetWasmCodec } from '../../libs/parquet/src/index.js';
import type { DeadLetter } from '../../libs/processor/src/index.js';
import { canonicalSchema } from '../../libs/schema/src/canonical.js';
import { monthRefFromFileName } from '../../libs/schema/src/month.js';
import { normalizeRowGroup } from '../../libs/schema/src/normalize.js';
import { localFileSource } from '../../libs/source/src/index.js';
import { loadZones, transformTable } from '../../libs/transform/src/index.js';
import { kafkaFor, localStore, silentLog, tempDir, uniqueTopics } from '../helpers/ingest.js';
import { contentsOf, parquetFiles, processorEnv, startProcessor, until } from '../helpers/processor.js';
import type { Contents } from '../helpers/processor.js';
import { writeSyntheticYellowMonth } from '../helpers/synthetic-month.js';

const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

async function ingest(t: Test, path: string, topics: Topics, bus?: Bus): Promise<{ bus: Bus; manifest: ManifestV1 }> {
  const b = bus ?? await kafkaFor(t, topics);
  const store = await localStore(t);
  const { manifest } = await ingestMonth(monthRefFromFileName(path)!, { source: localFileSource({ path }), store, bus: b, codec, log: silentLog }, { topics });
  return { bus: b, manifest };
}

/** The transform applied directly to the file: what the sinks must hold. */
async function expected(t: Test, path: string, manifest: ManifestV1): Promise<{ contents: Contents; rejected: number }> {
  const ref = monthRefFromFileName(path)!;
  const reader = await codec.open(path);
  const batches = [];
  let firstRow = 0;
  let rejected = 0;
  for (const g of reader.info.rowGroups) {
    const canonical = normalizeRowGroup({ table: await reader.readRowGroup(g.index), schema: canonicalSchema(ref.service), file: path, rowGroup: g.index }).table;
    const out = transformTable(canonical, { service: ref.service, month: manifest.month, firstRow, loadDtMicros: Date.parse(manifest.ingestedAt) * 1000, zones: loadZones() });
    batches.push(...out.table.batches);
    rejected += out.rejects.length;
    firstRow += g.numRows;
  }
  const file = join(tempDir(t, 'taxi-expected'), 'expected.parquet');
  writeFileSync(file, await codec.encode(new Table(batches), { compression: 'uncompressed', rowGroupRows: 1_000_000 }));
  return { contents: await contentsOf({ parquet: [file] }), rejected };
}

function place(t: Test, topics: Topics, groupId = `taxi-test-${randomBytes(4).toString('hex')}`) {
  const dir = tempDir(t, 'taxi-proc');
  return { topics, groupId, objects: join(dir, 'objects'), duckdb: join(dir, 'taxi.duckdb') };
}

t.test('ingest then process equals the transform applied directly; rejects and a poison message reach the DLQ', async (t) => {
  const topics = { ...uniqueTopics(3), maxMessageBytes: 1024 * 1024 };
  const path = new URL('../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname;
  const bus = await kafkaFor(t, topics);
  const poison = await bus.transaction();
  await poison.send(topics.raw, [{ key: 'poison', value: new TextEncoder().encode('not arrow'), headers: { service: 'green', month: '2024-01' }, partition: 1 }]);
  await poison.commit();
  const { manifest } = await ingest(t, path, topics, bus);
  const p = place(t, topics);
  const child = startProcessor(t, processorEnv(p));
  t.equal(await child.exited, 0, 'exits 0 after draining');
  const want = await expected(t, path, manifest);
  const inWarehouse = await contentsOf({ duckdb: [p.duckdb] });
  const inParquet = await contentsOf({ parquet: parquetFiles(p.objects) });
  t.same(inWarehouse, want.contents, 'warehouse: same count and content as the direct transform');
  t.same(inParquet, want.contents, 'Parquet: same count and content');
  const letters: DeadLetter[] = [];
  for await (const m of bus.readAll(topics.dlq)) letters.push(JSON.parse(new TextDecoder().decode(m.value)) as DeadLetter);
  const rows = letters.filter((l) => l.row !== undefined);
  t.equal(rows.length, want.rejected, 'every rejected row is in the DLQ');
  t.ok(rows.every((l) => typeof l.reason === 'string' && l.source?.endsWith('green_tripdata_2024-01.parquet')), 'with its reason and source');
  t.equal(manifest.rows, inWarehouse.rows + rows.length, 'conservation: rows read = written + rejected');
  const whole = letters.filter((l) => l.reason === 'undecodable_message');
  t.equal(whole.length, 1, 'the poison message went to the DLQ whole; the consumer went on');
});

t.test('kill -9 mid-month, restart: the sinks hold exactly what an uninterrupted run produces', async (t) => {
  const topics = { ...uniqueTopics(3), maxMessageBytes: 256 * 1024 };
  const path = writeSyntheticYellowMonth(join(tempDir(t, 'taxi-yellow'), 'yellow_tripdata_2024-02.parquet'), { year: 2024, month: 2, rows: 150_000, rowGroupRows: 50_000 });
  const { manifest } = await ingest(t, path, topics);
  t.ok(manifest.messages >= 20, `${manifest.messages} messages`);
  const p = place(t, topics);
  const env = processorEnv({ ...p, extra: { TAXI__SINKS__PARQUET__ROLL__ROWS: '15000', TAXI__PROCESSOR__POOL_SIZE: '1', TAXI__PROCESSOR__MAX_IN_FLIGHT: '2' } });
  const first = startProcessor(t, env);
  await until('some files written and committed', () => parquetFiles(p.objects).length >= 3 && first.stderr().includes('"msg":"Parquet file written"'));
  first.proc.kill('SIGKILL');
  t.equal(await first.exited, null, 'killed with SIGKILL');
  const killedAt = parquetFiles(p.objects).length;
  const second = startProcessor(t, env);
  const code = await second.exited;
  if (code !== 0) t.comment(`the restart's error lines:\n${second.stderr().split('\n').filter((l) => /"level":(50|60)|Error|error:/.test(l)).slice(-5).join('\n')}`);
  t.equal(code, 0, 'the restart finishes the month');
  const want = await expected(t, path, manifest);
  t.same(await contentsOf({ duckdb: [p.duckdb] }), want.contents, 'warehouse: no row missing, none twice');
  t.same(await contentsOf({ parquet: parquetFiles(p.objects) }), want.contents, 'Parquet: no row missing, none twice');
  t.ok(killedAt > 0, `${killedAt} files existed at the kill`);
});

t.test('two processors in one group split the partitions and together produce one run\'s output', async (t) => {
  const topics = { ...uniqueTopics(4), maxMessageBytes: 512 * 1024 };
  const path = new URL('../../data/samples/green_tripdata_2022-02.parquet', import.meta.url).pathname;
  const bus = await kafkaFor(t, topics);
  const a = place(t, topics);
  const b = { ...place(t, topics, a.groupId), objects: a.objects };
  const one = startProcessor(t, processorEnv(a), 5);
  const two = startProcessor(t, processorEnv(b), 5);
  await until('both members assigned', () => one.stderr().includes('partition assigned') && two.stderr().includes('partition assigned'));
  const { manifest } = await ingest(t, path, topics, bus);
  t.same(await Promise.all([one.exited, two.exited]), [0, 0]);
  const want = await expected(t, path, manifest);
  const [ra, rb] = await Promise.all([contentsOf({ duckdb: [a.duckdb] }), contentsOf({ duckdb: [b.duckdb] })]);
  t.ok(ra.rows > 0 && rb.rows > 0, `both did work (${ra.rows} + ${rb.rows} rows)`);
  t.same(await contentsOf({ duckdb: [a.duckdb, b.duckdb] }), want.contents, 'together: exactly one run\'s rows');
  t.same(await contentsOf({ parquet: parquetFiles(a.objects) }), want.contents, 'Parquet: exactly one run\'s rows');
});

t.test('SIGTERM mid-month drains, commits and exits 0; /metrics and /readyz answer; a restart completes exactly once', async (t) => {
  const topics = { ...uniqueTopics(3), maxMessageBytes: 256 * 1024 };
  const path = writeSyntheticYellowMonth(join(tempDir(t, 'taxi-yellow'), 'yellow_tripdata_2024-04.parquet'), { year: 2024, month: 4, rows: 120_000, rowGroupRows: 40_000 });
  const { manifest } = await ingest(t, path, topics);
  const p = place(t, topics);
  const env = processorEnv({ ...p, extra: { TAXI__SINKS__PARQUET__ROLL__ROWS: '15000', TAXI__PROCESSOR__POOL_SIZE: '1', TAXI__PROCESSOR__MAX_IN_FLIGHT: '2' } });
  const first = startProcessor(t, env, 30);
  await until('the HTTP address', () => /"address":"http:\/\/[^"]+:\d+"/.test(first.stderr()));
  const port = /"address":"http:\/\/[^"]+:(\d+)"/.exec(first.stderr())?.[1] ?? '';
  await until('some progress', () => parquetFiles(p.objects).length >= 1);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  t.match(metrics, /^taxi_processor_rows_in_total\{service="yellow"\} \d+/m, 'rows in counted');
  t.match(metrics, /^taxi_processor_rows_rejected_total\{service="yellow",reason="[a-z_]+"\} \d+/m, 'rejects counted by reason');
  t.match(metrics, /^taxi_processor_batch_duration_seconds_bucket/m, 'batch latency histogram');
  t.match(metrics, /^taxi_processor_pool_utilization_ratio \d/m, 'pool utilization');
  t.match(metrics, /^taxi_processor_consumer_lag_messages\{partition="\d"\} \d+/m, 'lag per partition');
  for (const thread of ['MainThread', 'taxi-transform', 'taxi-pq-encode', 'taxi-duckdb']) {
    t.match(metrics, new RegExp(`^taxi_processor_thread_cpu_seconds_total\\{thread="${thread}"\\} [0-9.e+-]+$`, 'm'), `CPU seconds of the ${thread} thread`);
  }
  t.match(metrics, /^taxi_processor_in_flight_messages [0-2]$/m, 'messages in flight, bounded by maxInFlight (2)');
  t.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200, 'ready while running');
  first.proc.kill('SIGTERM');
  t.equal(await first.exited, 0, 'SIGTERM: drained, committed, exit 0');
  t.match(first.stderr(), /stopping: drain, flush, commit/);
  const second = startProcessor(t, env);
  t.equal(await second.exited, 0);
  const want = await expected(t, path, manifest);
  t.same(await contentsOf({ duckdb: [p.duckdb] }), want.contents, 'warehouse exactly once across the restart');
  t.same(await contentsOf({ parquet: parquetFiles(p.objects) }), want.contents, 'Parquet exactly once across the restart');
});
