// `taxi serve-ingestor` as a real child process on the real Kafka broker, against a real local
// HTTP server laid out like the TLC's CDN: the shipped green months (2022-02, drifted, and
// 2024-01), a small synthetic yellow 2024-01, a truncated green 2023-06, and 404 for everything
// else. Checks discovery, order, failure isolation, /status, /metrics, /readyz, SIGTERM, and that
// a restart (here with --once) ingests only what is missing.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Test } from 'tap';
import { loadManifests } from '../../libs/ingest/src/index.js';
import type { IngestorStatus, Topics } from '../../libs/ingest/src/index.js';
import { kafkaFor, tempDir, uniqueTopics } from '../helpers/ingest.js';
import type { Child } from '../helpers/processor.js';
import { until } from '../helpers/processor.js';
import { servers, uniqueName } from '../helpers/servers.js';
import { writeSyntheticYellowMonth } from '../helpers/synthetic-month.js';
import { startTlcServer } from '../helpers/tlc-server.js';
import { cliEnv } from '../helpers/cli-env.js';

const taxi = fileURLToPath(new URL('../../bin/taxi.js', import.meta.url));
const sample = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`../../data/samples/${name}`, import.meta.url)));

/** The look-back that reaches 2022-02 from the current month (the child uses the real clock). */
function lookBackTo(year: number, month: number): number {
  const now = new Date();
  return (now.getUTCFullYear() * 12 + now.getUTCMonth()) - (year * 12 + month - 1) + 1;
}

function serveIngestor(t: Test, env: NodeJS.ProcessEnv, args: string[] = []): Child {
  const proc = spawn(process.execPath, [taxi, 'serve-ingestor', '--brokers', servers.kafkaBrokers.join(','), ...args], { env: cliEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => { resolve(code); }));
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  return { proc, stderr: () => err, exited };
}

function ingestorEnv(t: Test, topics: Topics, baseUrl: string, downloads: string): NodeJS.ProcessEnv {
  return {
    ...process.env, TAXI__TOPICS__RAW: topics.raw, TAXI__TOPICS__MANIFEST: topics.manifest, TAXI__TOPICS__DLQ: topics.dlq,
    TAXI__TOPICS__RAW_PARTITIONS: String(topics.rawPartitions), TAXI__TOPICS__MAX_MESSAGE_BYTES: String(topics.maxMessageBytes),
    TAXI__BUS__KAFKA__TRANSACTIONAL_ID: uniqueName('taxi-test-ingestor'), TAXI__OBJECT_STORE__LOCAL__ROOT: tempDir(t, 'taxi-objects'),
    TAXI__SOURCE__HTTP__BASE_URL: baseUrl, TAXI__SOURCE__HTTP__ALLOWED_HOSTS: '["127.0.0.1"]', TAXI__SOURCE__HTTP__DOWNLOAD_DIR: downloads,
    TAXI__SOURCE__HTTP__MAX_ATTEMPTS: '2', TAXI__SOURCE__HTTP__RETRY_BASE_MS: '10',
    TAXI__INGESTOR__SERVICES: 'yellow,green', TAXI__INGESTOR__LOOK_BACK_MONTHS: String(lookBackTo(2022, 2)), TAXI__INGESTOR__INTERVAL_MS: '3600000',
    TAXI__HTTP__PORT: '0', TAXI__HTTP__READINESS__INTERVAL_MS: '500', TAXI__LOG__LEVEL: 'info',
  };
}

async function getJson<T>(port: string, path: string): Promise<T> {
  return await (await fetch(`http://127.0.0.1:${port}${path}`)).json() as T;
}

t.test('discovers, ingests oldest first, isolates a bad month, serves its state; a restart ingests only what is missing', async (t) => {
  const topics = { ...uniqueTopics(3), maxMessageBytes: 1024 * 1024 };
  const bus = await kafkaFor(t, topics);
  const yellow = readFileSync(writeSyntheticYellowMonth(join(tempDir(t, 'taxi-yellow'), 'yellow_tripdata_2024-01.parquet'),
    { year: 2024, month: 1, rows: 5_000, rowGroupRows: 2_500 }));
  const green2401 = sample('green_tripdata_2024-01.parquet');
  const tlc = await startTlcServer(t, {
    'green_tripdata_2022-02.parquet': sample('green_tripdata_2022-02.parquet'),
    'green_tripdata_2023-06.parquet': green2401.subarray(0, Math.floor(green2401.length / 2)),
    'green_tripdata_2024-01.parquet': green2401,
    'yellow_tripdata_2024-01.parquet': yellow,
  });
  const downloads = tempDir(t, 'taxi-downloads');
  const env = ingestorEnv(t, topics, tlc.baseUrl, downloads);

  const first = serveIngestor(t, env);
  await until('the HTTP address', () => /"address":"http:\/\/[^"]+:\d+"/.test(first.stderr()));
  const port = /"address":"http:\/\/[^"]+:(\d+)"/.exec(first.stderr())?.[1] ?? '';
  let status = await getJson<IngestorStatus>(port, '/status');
  const deadline = Date.now() + 120_000;
  while (status.lastCycle === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    status = await getJson<IngestorStatus>(port, '/status');
  }
  if (!t.ok(status.lastCycle, 'the first cycle ended')) t.comment(first.stderr().slice(-3000));

  t.same(status.ingested.map((m) => m.month), ['green/2022-02', 'yellow/2024-01', 'green/2024-01'], 'published months ingested oldest first, then by service');
  t.same(status.ingested.map((m) => m.rows), [69_399, 5_000, 56_551]);
  t.equal(status.failed.length, 1, 'one month failed');
  t.match(status.failed[0], { month: 'green/2023-06', stage: 'ingest', code: 'TAXI_ERR_PARQUET_CORRUPT', message: /green_tripdata_2023-06\.parquet/, retryable: false });
  t.match(status.lastError, { month: 'green/2023-06', code: 'TAXI_ERR_PARQUET_CORRUPT' });
  t.match(status.lastCycle, { outcome: 'partial', ingested: ['green/2022-02', 'yellow/2024-01', 'green/2024-01'], failed: ['green/2023-06'] });
  t.same(status.manifest.keys, ['green/2022-02', 'green/2024-01', 'yellow/2024-01']);
  t.ok(status.unpublished.includes('green/2023-05') && status.unpublished.includes('yellow/2022-02'), 'unpublished months listed');
  t.ok(status.nextCycleAt !== null && Date.parse(status.nextCycleAt) > Date.now() + 3_000_000, 'next cycle an interval later');
  const gets = tlc.requests.filter((r) => r.startsWith('GET '));
  t.same(gets.sort(), ['GET green_tripdata_2022-02.parquet', 'GET green_tripdata_2023-06.parquet', 'GET green_tripdata_2024-01.parquet', 'GET yellow_tripdata_2024-01.parquet'],
    'only published months are downloaded; the 404 ones get a HEAD only');
  t.same(readdirSync(downloads), [], 'downloads are deleted once ingested (or once failed for good)');

  const manifests = await loadManifests(bus, topics.manifest);
  t.same([...manifests.keys()].sort(), ['green/2022-02', 'green/2024-01', 'yellow/2024-01'], 'in the manifest: the good months, not the bad one');
  const byTime = [...manifests.values()].sort((a, b) => a.ingestedAt.localeCompare(b.ingestedAt)).map((m) => `${m.service}/${m.month}`);
  t.same(byTime, ['green/2022-02', 'yellow/2024-01', 'green/2024-01'], 'committed oldest first');

  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  t.match(metrics, /^taxi_ingestor_months_ingested_total\{service="green"\} 2$/m);
  t.match(metrics, /^taxi_ingestor_months_ingested_total\{service="yellow"\} 1$/m);
  t.match(metrics, /^taxi_ingestor_rows_ingested_total\{service="green"\} 125950$/m);
  t.match(metrics, /^taxi_ingestor_month_failures_total\{service="green",reason="TAXI_ERR_PARQUET_CORRUPT"\} 1$/m);
  t.match(metrics, /^taxi_ingestor_cycle_duration_seconds_count\{outcome="partial"\} 1$/m);
  t.match(metrics, /^taxi_ingestor_months_failing 1$/m);
  t.match(metrics, /^taxi_ingestor_process_cpu_seconds_total /m, 'process metrics, prefixed');
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  t.equal(ready.status, 200, 'ready: bus and object store answer');
  t.match(await ready.json(), { ok: true, checks: { bus: { ok: true }, objectStore: { ok: true }, draining: { ok: true } } });
  t.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);

  first.proc.kill('SIGTERM');
  t.equal(await first.exited, 0, 'SIGTERM: exit 0');
  t.match(first.stderr(), /stopping: no new month/);

  // The bad month is fixed at the source; a restart ingests it and nothing else.
  tlc.files.set('green_tripdata_2023-06.parquet', green2401);
  tlc.requests.length = 0;
  const second = serveIngestor(t, env, ['--once']);
  if (!t.equal(await second.exited, 0, '--once: every published month ingested, exit 0')) t.comment(second.stderr().slice(-3000));
  t.same(tlc.requests.filter((r) => r.startsWith('GET ')), ['GET green_tripdata_2023-06.parquet'], 'the restart downloads only the month not in the manifest');
  t.notOk(tlc.requests.some((r) => r.includes('2022-02') && r.startsWith('HEAD green')), 'months in the manifest are not even asked for');
  const records: string[] = [];
  for await (const m of bus.readAll(topics.manifest)) records.push(m.key ?? '');
  t.same(records.sort(), ['green/2022-02', 'green/2023-06', 'green/2024-01', 'yellow/2024-01'], 'one manifest record per month: nothing re-ingested');
});
