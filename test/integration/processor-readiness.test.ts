// `taxi process`'s HTTP endpoints against a real, dedicated Kafka broker the test stops and starts
// again (the shared broker keeps serving the tests running in parallel): /healthz, /readyz with
// its checks, /metrics in Prometheus text, /status; /readyz 503 while the broker is away and 200
// once it is back; the processor then processes a month (it recovered); SIGTERM drains, exit 0.
import { join } from 'node:path';
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBus } from '../../libs/bus/src/index.js';
import { ingestMonth } from '../../libs/ingest/src/index.js';
import type { ManifestV1, Topics } from '../../libs/ingest/src/index.js';
import { parquetWasmCodec } from '../../libs/parquet/src/index.js';
import { monthRefFromFileName } from '../../libs/schema/src/month.js';
import { localFileSource } from '../../libs/source/src/index.js';
import { dedicatedKafka } from '../helpers/dedicated-kafka.js';
import { localStore, silentLog, tempDir, uniqueTopics } from '../helpers/ingest.js';
import { contentsOf, processorEnv, startProcessor, until } from '../helpers/processor.js';
import { uniqueName } from '../helpers/servers.js';

interface Check { ok: boolean; error?: string }
interface Ready { ok: boolean; checks: Record<string, Check> }
interface Status {
  groupId: string;
  topic: string;
  months: Record<string, { rowsIn: number; rowsOut: number; rejected: Record<string, number>; badMessages: number }>;
  partitions: { partition: number; committedOffset: string | null; highWatermark: string; lag: number }[] | { error: string };
  lastError: { at: string; message: string; code?: string } | null;
}

interface Endpoints { '/healthz': { ok: boolean }; '/readyz': Ready; '/metrics': string; '/status': Status }

const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates the topics, and waits until the fresh broker's group coordinator answers for the group. */
async function prepare(brokers: string[], topics: Topics, groupId: string): Promise<void> {
  const bus = kafkaBus({ brokers, transactionalId: uniqueName('taxi-test') }, silentLog);
  await bus.connect();
  await bus.ensureTopics([
    { name: topics.raw, partitions: topics.rawPartitions, maxMessageBytes: topics.maxMessageBytes + 65_536 },
    { name: topics.manifest, partitions: 1, compacted: true },
  ]);
  await bus.close();
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await eventually('the group coordinator', () => admin.fetchOffsets({ groupId, topics: [topics.raw] }).then(() => true, () => false));
  await admin.disconnect();
}

t.test('the HTTP contract of taxi process, and /readyz across a broker outage', async (t) => {
  const kafka = await dedicatedKafka(t);
  const topics = { ...uniqueTopics(3), maxMessageBytes: 1024 * 1024 };
  const dir = tempDir(t, 'taxi-ready');
  const place = { topics, groupId: uniqueName('taxi-ready'), objects: join(dir, 'objects'), duckdb: join(dir, 'taxi.duckdb') };
  await prepare(kafka.brokers, topics, place.groupId);
  const env = processorEnv({ ...place, extra: { TAXI__HTTP__READINESS__INTERVAL_MS: '200', TAXI__HTTP__READINESS__TIMEOUT_MS: '1000', TAXI__PROCESSOR__POOL_SIZE: '1',
    // Few retries: the consumer gives up on the gone broker within seconds, so the test sees kafkajs
    // crash and restart it (with the default 5 the outage would have to last about 15 s).
    TAXI__BUS__KAFKA__RETRIES: '2', TAXI__SINKS__PARQUET__ROLL__INTERVAL_MS: '2000' } });
  const child = startProcessor(t, env, 3600, kafka.brokers);
  // The processor's log explains most failures here (kafkajs's view of the outage included).
  t.teardown(() => { if (!t.passing()) process.stderr.write(`taxi process stderr (last 20 kB):\n${child.stderr().slice(-20_000)}\n`); });
  await until('the HTTP address', () => /"address":"http:\/\/[^"]+:\d+"/.test(child.stderr()));
  const base = `http://127.0.0.1:${/"address":"http:\/\/[^"]+:(\d+)"/.exec(child.stderr())?.[1] ?? ''}`;
  const get = async <P extends keyof Endpoints>(path: P): Promise<{ status: number; type: string; body: Endpoints[P] }> => {
    const res = await fetch(`${base}${path}`);
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, body: (type.startsWith('application/json') ? await res.json() : await res.text()) as Endpoints[P] };
  };

  await t.test('/healthz, /readyz, /metrics, /status while everything is up', async (t) => {
    await eventually('/readyz 200', async () => (await get('/readyz')).status === 200);
    const ready = await get('/readyz');
    t.same(ready.body, { ok: true, checks: { bus: { ok: true }, objectStore: { ok: true }, warehouse: { ok: true }, pool: { ok: true }, consumer: { ok: true }, draining: { ok: true } } },
      'every check ok: bus, object store, warehouse, pool, consumer, not draining');
    t.same(await get('/healthz'), { status: 200, type: 'application/json; charset=utf-8', body: { ok: true } });

    const metrics = await get('/metrics');
    t.equal(metrics.status, 200);
    t.match(metrics.type, /^text\/plain; version=0\.0\.4/, 'Prometheus text exposition format');
    t.match(metrics.body, /^taxi_processor_process_resident_memory_bytes \d+/m, 'process metrics');
    t.match(metrics.body, /^taxi_processor_nodejs_eventloop_lag_seconds \d/m, 'Node.js runtime metrics');
    for (const counter of ['rows_in_total', 'rows_out_total', 'rows_rejected_total', 'dlq_messages_total']) t.match(metrics.body, new RegExp(`^# TYPE taxi_processor_${counter} counter$`, 'm'), `counter taxi_processor_${counter}`);
    t.match(metrics.body, /^# TYPE taxi_processor_batch_duration_seconds histogram$/m, 'batch latency histogram');
    t.match(metrics.body, /^taxi_processor_pool_utilization_ratio \d/m, 'pool utilization');
    t.match(metrics.body, /^taxi_processor_in_flight_messages 0$/m, 'nothing in flight');
    t.match(metrics.body, /^taxi_processor_consumer_lag_messages\{partition="[0-2]"\} 0$/m, 'lag per owned partition');
    const types = [...metrics.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1] ?? '', type: m[2] ?? '' }));
    t.same(types.filter((m) => !/^taxi_processor_[a-z0-9_]+$/.test(m.name)), [], 'every metric is taxi_processor_*, snake case');
    t.same(types.filter((m) => m.type === 'counter' && !m.name.endsWith('_total')), [], 'counters end in _total');
    t.same(types.filter((m) => /(duration|latency|lag)_?(ms|milliseconds)?$/.test(m.name) && !m.name.endsWith('_messages')), [], 'durations carry their unit');

    const status = await get('/status');
    t.equal(status.status, 200);
    t.match(status.body, { groupId: place.groupId, topic: topics.raw, months: {}, lastError: null });
    t.same(Array.isArray(status.body.partitions) ? status.body.partitions.map((p) => p.partition).sort() : status.body.partitions, [0, 1, 2], 'every owned partition');
    t.ok(Array.isArray(status.body.partitions) && status.body.partitions.every((p) => p.committedOffset === null && p.highWatermark === '0' && p.lag === 0),
      'with its committed offset (none yet), high watermark and lag');
  });

  await t.test('broker stopped: /readyz 503 naming the bus, /healthz still 200', async (t) => {
    await kafka.stop();
    const stoppedAt = Date.now();
    let ready = await get('/readyz');
    await eventually('/readyz 503', async () => (ready = await get('/readyz')).status === 503, 30_000);
    t.comment(`/readyz 503 ${Date.now() - stoppedAt} ms after the broker stopped`);
    t.equal(ready.body.ok, false);
    t.equal(ready.body.checks.bus?.ok, false, 'the bus check fails');
    t.type(ready.body.checks.bus?.error, 'string', 'with the reason');
    t.match(ready.body.checks, { objectStore: { ok: true }, warehouse: { ok: true }, pool: { ok: true }, draining: { ok: true } }, 'the other dependencies are fine');
    t.same((await get('/healthz')).status, 200, 'alive: a broker outage is not a reason to restart');
    const began = Date.now();
    t.equal((await get('/metrics')).status, 200, '/metrics answers');
    t.equal((await get('/status')).status, 200, '/status answers');
    t.comment(`/metrics and /status took ${Date.now() - began} ms with the broker away`);
    let status: Status | undefined;
    await eventually('the consumer crash in /status', async () => /crashed/.test((status = (await get('/status')).body).lastError?.message ?? ''), 60_000);
    t.match(status?.lastError, { code: 'TAXI_ERR_BUS_UNAVAILABLE', message: /Kafka consumer for .* crashed/ }, '/status: the last error is the consumer\'s crash');
    t.type(status?.partitions, 'object', '/status answers with the broker away');
    t.match(child.stderr(), /"msg":"consumer stopped fetching; it rejoins the group by itself"/, 'kafkajs restarts the consumer (a retryable crash)');
    await new Promise((r) => setTimeout(r, 2_000));
    t.equal(child.proc.exitCode, null, 'the processor still runs');
    t.equal((await get('/healthz')).status, 200, 'and is alive');
  });

  await t.test('broker back: /readyz 200 again', async (t) => {
    await kafka.start();
    const startedAt = Date.now();
    await eventually('/readyz 200', async () => (await get('/readyz')).status === 200, 60_000);
    t.comment(`/readyz 200 ${Date.now() - startedAt} ms after the broker was back`);
    t.equal(child.proc.exitCode, null, 'the processor never exited');
  });

  let manifest: ManifestV1 | undefined;
  await t.test('the processor recovered: it processes a month ingested now', async (t) => {
    const path = new URL('../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname;
    const bus = kafkaBus({ brokers: kafka.brokers, transactionalId: uniqueName('taxi-test') }, silentLog);
    await bus.connect();
    t.teardown(() => bus.close());
    ({ manifest } = await ingestMonth(monthRefFromFileName(path)!, { source: localFileSource({ path }), store: await localStore(t), bus, codec, log: silentLog }, { topics }));
    const key = `green/${manifest.month}`;
    let status: Status | undefined;
    await eventually('every row processed and committed', async () => {
      status = (await get('/status')).body;
      const committed = new Map(Array.isArray(status.partitions) ? status.partitions.map((p) => [p.partition, BigInt(p.committedOffset ?? '0')]) : []);
      return status.months[key]?.rowsIn === manifest?.rows && (manifest?.partitions ?? []).every((r) => (committed.get(r.partition) ?? 0n) > BigInt(r.lastOffset));
    }, 120_000);
    const counts = status?.months[key];
    const rejected = Object.values(counts?.rejected ?? {}).reduce((s, n) => s + n, 0);
    t.equal(counts?.rowsIn, manifest.rows, `${manifest.rows} rows in`);
    t.equal((counts?.rowsOut ?? 0) + rejected, manifest.rows, 'conservation: in = out + rejected');
    t.pass('offsets committed past the month\'s last message on every partition');
    // A transaction's commit marker takes an offset: a partition's lag stays 1 past its last message.
    t.ok(Array.isArray(status?.partitions) && status.partitions.every((p) => p.lag <= 1), 'lag caught up');
    t.match((await get('/metrics')).body, new RegExp(`^taxi_processor_rows_in_total\\{service="green"\\} ${manifest.rows}$`, 'm'), 'rows counted in /metrics');
  });

  await t.test('SIGTERM: /readyz 503 while draining, then exit 0', async (t) => {
    child.proc.kill('SIGTERM');
    const seen: { status: number; draining?: boolean }[] = [];
    while (child.proc.exitCode === null) {
      const answer = await get('/readyz').catch(() => undefined);
      if (!answer) break;
      seen.push({ status: answer.status, draining: answer.body.checks.draining?.ok });
      await new Promise((r) => setTimeout(r, 10));
    }
    t.equal(await child.exited, 0, 'drained, committed, exit 0');
    const after = seen.findIndex((s) => s.status === 503);
    t.comment(`/readyz answers after SIGTERM: ${JSON.stringify(seen.slice(0, 5))}${seen.length > 5 ? ` … (${seen.length})` : ''}`);
    if (after === -1) t.comment('drained before /readyz was asked again: 503 while draining not observed');
    else t.ok(seen.slice(after).every((s) => s.status === 503 && s.draining === false), 'once draining, /readyz stays 503 with checks.draining failing');
    const inWarehouse = await contentsOf({ duckdb: [place.duckdb] });
    t.ok(manifest && inWarehouse.rows > 0 && inWarehouse.rows <= manifest.rows, `${inWarehouse.rows} rows in the warehouse`);
  });
});
