// The continuous ingestor's discovery, ordering, failure handling, state across restarts and
// stopping, on the in-process bus with a fake clock, a scripted source and a stand-in for
// ingestMonth that commits a manifest record as the real one does (no Parquet, no network).
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t from 'tap';
import { memoryBus } from '../../bus/src/index.js';
import { loadConfig } from '../../config/src/index.js';
import type { Bus } from '../../bus/src/index.js';
import { AppError } from '../../errors/src/index.js';
import { monthKey } from '../../schema/src/month.js';
import type { MonthRef } from '../../schema/src/month.js';
import type { HttpSource } from '../../source/src/index.js';
import { ingestorMetrics } from '../../telemetry/src/ingestor-metrics.js';
import { ContinuousIngestor, defaultTopics, encodeManifest, manifestKey, monthsBack } from '../src/index.js';
import type { ContinuousIngestDeps, IngestDeps, IngestOptions, IngestResult, ManifestV1 } from '../src/index.js';
import type { ParquetCodec } from '../../parquet/src/index.js';
import type { ObjectStore } from '../../objectstore/src/index.js';

const topics = defaultTopics();
const log = pino({ level: 'silent' });
const now = (): Date => new Date('2024-04-15T12:00:00Z');
const settings = { services: ['yellow', 'green'] as ('yellow' | 'green')[], intervalMs: 60_000, lookBackMonths: 6, runOnStart: true, drainTimeoutMs: 1_000, topics };

function manifestOf(ref: MonthRef): ManifestV1 {
  return { version: 1, service: ref.service, month: monthKey(ref), source: `http://x/${ref.service}`, fileName: 'f.parquet', sizeBytes: 10, sha256: 'a'.repeat(64),
    rows: 100, rowGroups: 1, schema: 's', unknownColumns: [], topic: topics.raw, partitions: [], messages: 1, ingestedAt: now().toISOString() };
}

async function commitManifest(bus: Bus, ref: MonthRef): Promise<void> {
  const txn = await bus.transaction();
  await txn.send(topics.manifest, [{ key: manifestKey(ref), value: encodeManifest(manifestOf(ref)), headers: {}, partition: 0 }]);
  await txn.commit();
}

/** Published months as manifest keys; `headFails` answers with an error. */
function fakeSource(published: Set<string>, heads: string[], headFails = new Set<string>()): HttpSource {
  return {
    name: 'fake',
    fetch: () => Promise.reject(new Error('fetch is the stand-in ingest\'s business')),
    headMonth: async (ref) => {
      const key = manifestKey(ref);
      heads.push(key);
      if (headFails.has(key)) throw new AppError('TAXI_ERR_SOURCE_UNREADABLE', `HEAD ${key}: HTTP 500 after 5 attempts`, { retryable: true });
      return { published: published.has(key) };
    },
  };
}

type Ingest = NonNullable<ContinuousIngestDeps['ingest']>;

/** A stand-in for ingestMonth: records the order, fails the months in `fails`, commits a manifest record. */
function fakeIngest(bus: Bus, order: string[], fails = new Set<string>()): Ingest {
  return async (ref: MonthRef, _deps: IngestDeps, _options: IngestOptions): Promise<IngestResult> => {
    const key = manifestKey(ref);
    order.push(key);
    if (fails.has(key)) throw new AppError('TAXI_ERR_PARQUET_CORRUPT', `${key}.parquet is not a readable Parquet file: truncated footer`);
    await commitManifest(bus, ref);
    return { status: 'ingested', manifest: manifestOf(ref), seconds: 0.01 };
  };
}

async function setUp(source: HttpSource, ingest: (bus: Bus) => Ingest, bus?: Bus) {
  const theBus = bus ?? memoryBus();
  await theBus.ensureTopics([{ name: topics.manifest, partitions: 1, compacted: true }, { name: topics.raw, partitions: 1 }]);
  const registry = new Registry();
  const deps: ContinuousIngestDeps = { bus: theBus, source, store: {} as ObjectStore, codec: {} as ParquetCodec, log, metrics: ingestorMetrics(registry), now, ingest: ingest(theBus) };
  return { bus: theBus, registry, ingestor: new ContinuousIngestor(deps, settings) };
}

t.test('config: ingestor.* from TAXI__INGESTOR__…, defaults, and a bad service named', async (t) => {
  t.match(loadConfig({ env: {} }).ingestor, { services: ['yellow', 'green'], intervalMs: 86_400_000, lookBackMonths: 12, runOnStart: true });
  const config = loadConfig({ env: { TAXI__INGESTOR__SERVICES: 'yellow, fhvhv', TAXI__INGESTOR__LOOK_BACK_MONTHS: '3', TAXI__INGESTOR__RUN_ON_START: 'false' } });
  t.match(config.ingestor, { services: ['yellow', 'fhvhv'], lookBackMonths: 3, runOnStart: false });
  t.throws(() => loadConfig({ env: { TAXI__INGESTOR__SERVICES: 'purple', TAXI__INGESTOR__LOOK_BACK_MONTHS: '0' } }),
    { code: 'TAXI_ERR_CONFIG_INVALID', message: /taxi\.ingestor\.services\.0: .*expected one of "yellow"[\s\S]*taxi\.ingestor\.lookBackMonths: .*got 0/ });
});

t.test('monthsBack: the window ends with the current UTC month, oldest first, not before 2009-01', async (t) => {
  t.same(monthsBack(new Date('2024-02-29T23:59:59Z'), 4).map(monthKey), ['2023-11', '2023-12', '2024-01', '2024-02']);
  t.same(monthsBack(new Date('2009-02-01T00:00:00Z'), 5).map(monthKey), ['2009-01', '2009-02']);
});

t.test('discovers months not in the manifest, ingests the published ones oldest first, then by service', async (t) => {
  const heads: string[] = [];
  const order: string[] = [];
  const published = new Set(['yellow/2023-11', 'yellow/2023-12', 'green/2023-12', 'yellow/2024-01', 'green/2024-01', 'yellow/2024-02', 'green/2024-02']);
  const { bus, ingestor, registry } = await setUp(fakeSource(published, heads), (b) => fakeIngest(b, order));
  await commitManifest(bus, { service: 'green', year: 2024, month: 1 });

  const report = await ingestor.runCycle();
  t.notOk(heads.includes('green/2024-01'), 'a month in the manifest is not asked for');
  t.equal(heads.length, 11, '6 months x 2 services, less the one in the manifest');
  t.same(order, ['yellow/2023-11', 'yellow/2023-12', 'green/2023-12', 'yellow/2024-01', 'yellow/2024-02', 'green/2024-02']);
  t.equal(report.outcome, 'ok');
  const status = ingestor.status();
  t.same(status.window, { from: '2023-11', to: '2024-04' });
  t.same(status.unpublished, ['green/2023-11', 'green/2024-03', 'green/2024-04', 'yellow/2024-03', 'yellow/2024-04']);
  t.equal(status.manifest.months, 7, 'the manifest months, including those ingested now');
  t.same(status.ingested.map((m) => m.month), order);
  t.same(status.pending, []);
  t.same(status.failed, []);
  t.equal(status.lastCycle?.finishedAt, now().toISOString());
  const metrics = await registry.metrics();
  t.match(metrics, /^taxi_ingestor_months_ingested_total\{service="yellow"\} 4$/m);
  t.match(metrics, /^taxi_ingestor_rows_ingested_total\{service="green"\} 200$/m);
  t.match(metrics, /^taxi_ingestor_cycle_duration_seconds_count\{outcome="ok"\} 1$/m);
  t.match(metrics, /^taxi_ingestor_last_success_timestamp_seconds 1713182400$/m);
});

t.test('a failing month is recorded with its code and does not stop the others; the next cycle retries it', async (t) => {
  const heads: string[] = [];
  const order: string[] = [];
  const fails = new Set(['yellow/2023-12']);
  const published = new Set(['yellow/2023-11', 'yellow/2023-12', 'yellow/2024-01']);
  const { ingestor, registry } = await setUp(fakeSource(published, heads, new Set(['green/2024-02'])), (b) => fakeIngest(b, order, fails));

  const first = await ingestor.runCycle();
  t.equal(first.outcome, 'partial');
  t.same(order, ['yellow/2023-11', 'yellow/2023-12', 'yellow/2024-01'], 'the month after the failed one still ingests');
  t.same(first.failed, ['green/2024-02', 'yellow/2023-12']);
  const failed = ingestor.status().failed;
  t.match(failed.find((f) => f.month === 'yellow/2023-12'), { stage: 'ingest', code: 'TAXI_ERR_PARQUET_CORRUPT', message: /truncated footer/, retryable: false, attempts: 1 });
  t.match(failed.find((f) => f.month === 'green/2024-02'), { stage: 'head', code: 'TAXI_ERR_SOURCE_UNREADABLE', retryable: true });
  t.match(ingestor.status().lastError, { code: 'TAXI_ERR_PARQUET_CORRUPT' });
  const metrics = await registry.metrics();
  t.match(metrics, /^taxi_ingestor_month_failures_total\{service="yellow",reason="TAXI_ERR_PARQUET_CORRUPT"\} 1$/m);
  t.match(metrics, /^taxi_ingestor_months_failing 2$/m);
  t.match(metrics, /^taxi_ingestor_last_success_timestamp_seconds 0$/m, 'a partial cycle is not a success');

  fails.clear();
  order.length = 0;
  const second = await ingestor.runCycle();
  t.same(order, ['yellow/2023-12'], 'only the failed month is tried again');
  t.same(ingestor.status().failed.map((f) => f.month), ['green/2024-02'], 'the month that ingested is no longer failed');
  t.equal(second.outcome, 'partial');
});

t.test('a restart reads the manifest and ingests nothing twice', async (t) => {
  const order: string[] = [];
  const published = new Set(['yellow/2024-01', 'green/2024-02']);
  const first = await setUp(fakeSource(published, []), (b) => fakeIngest(b, order));
  await first.ingestor.runCycle();
  await first.ingestor.stop();
  t.equal(first.ingestor.status().state, 'stopped');

  const heads: string[] = [];
  const second = await setUp(fakeSource(published, heads), (b) => fakeIngest(b, order), first.bus);
  await second.ingestor.runCycle();
  t.same(order, ['yellow/2024-01', 'green/2024-02'], 'each month once across the restart');
  t.notOk(heads.includes('yellow/2024-01') || heads.includes('green/2024-02'), 'months in the manifest are not asked for again');
  t.same(second.ingestor.status().ingested, [], 'nothing ingested by the second process');
  t.same(second.ingestor.status().manifest.keys, ['green/2024-02', 'yellow/2024-01']);
});

t.test('cycles never overlap; stop() lets the month in progress finish and starts no other', async (t) => {
  const order: string[] = [];
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const slow = (bus: Bus): Ingest => async (ref, deps, options) => { await gate; return fakeIngest(bus, order)(ref, deps, options); };
  const { ingestor } = await setUp(fakeSource(new Set(['yellow/2024-01', 'yellow/2024-02']), []), slow);
  const a = ingestor.runCycle();
  const b = ingestor.runCycle();
  t.equal(a, b, 'a second call joins the cycle in progress');
  await new Promise((r) => setTimeout(r, 20));
  t.equal(ingestor.status().current, 'yellow/2024-01');
  t.same(ingestor.status().pending, ['yellow/2024-02']);
  const stopped = ingestor.stop(5_000);
  t.equal(ingestor.status().state, 'stopping');
  release();
  await stopped;
  t.same(order, ['yellow/2024-01'], 'the month in progress finished; the next was not started');
  t.equal((await a).outcome, 'stopped');
});

t.test('stop() past drainTimeoutMs aborts the month in progress, which is not counted as failed', async (t) => {
  const aborted: unknown[] = [];
  const hang = (): Ingest => (_ref, _deps, options) => new Promise((_resolve, reject) => {
    options.signal?.addEventListener('abort', () => { aborted.push(options.signal?.reason); reject(options.signal?.reason as Error); });
  });
  const { ingestor } = await setUp(fakeSource(new Set(['yellow/2024-01']), []), hang);
  const cycle = ingestor.runCycle();
  await new Promise((r) => setTimeout(r, 20));
  await ingestor.stop(50);
  t.equal(aborted.length, 1, 'the month\'s signal was aborted');
  t.same(ingestor.status().failed, []);
  t.equal((await cycle).outcome, 'stopped');
});

t.test('start() runs a cycle now and schedules the next one interval later', async (t) => {
  const order: string[] = [];
  const { ingestor } = await setUp(fakeSource(new Set(['green/2024-02']), []), (b) => fakeIngest(b, order));
  ingestor.start();
  t.equal(ingestor.status().nextCycleAt, now().toISOString(), 'runOnStart: due now');
  while (ingestor.status().lastCycle === null) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 5));
  t.same(order, ['green/2024-02']);
  t.ok(Date.parse(ingestor.status().nextCycleAt ?? '') > now().getTime() + 59_000, 'next cycle one interval after the start of the last');
  await ingestor.stop();
  t.equal(ingestor.status().nextCycleAt, null);
});
