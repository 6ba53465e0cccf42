// The dashboard end to end: the real `taxi run --serve` on the shipped month, the page loaded in
// headless Debian Chromium, every chart checked to draw data that agrees with the run's summary
// and with the DuckDB file read independently. Keeps test-artifacts/dashboard.png. Then the same
// SQL on the BigQuery emulator and on DuckDB, over the same rows, gives the same dashboard.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BigQuery } from '@google-cloud/bigquery';
import { DuckDBInstance } from '@duckdb/node-api';
import { chromium } from 'playwright-core';
import t from 'tap';
import type { Test } from 'tap';
import { dashboardData } from '../../libs/telemetry/src/index.js';
import type { DashboardData, DashboardWarehouse } from '../../libs/telemetry/src/index.js';
import { PROCESSED_FIELDS } from '../../libs/schema/src/processed.js';
import { bigQueryWarehouse } from '../../libs/warehouse/src/index.js';
import { until } from '../helpers/processor.js';
import { servers, uniqueName } from '../helpers/servers.js';
import { cliEnv } from '../helpers/cli-env.js';

const CHROMIUM = '/usr/bin/chromium';
const taxi = fileURLToPath(new URL('../../bin/taxi.js', import.meta.url));
const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

interface Summary { rowsRead: number; rowsWritten: number; rowsRejected: Record<string, number> }
interface DrawnChart { id: string; points: number; bars: { label: string; value: number; width: number; height: number; title: string }[] }

/** Starts `taxi run --serve --port 0` and resolves once it prints its URL. */
async function serveRun(t: Test, out: string): Promise<{ port: number; stdout: () => string; stop: () => Promise<number | null> }> {
  const proc = spawn(process.execPath, [taxi, 'run', '--service', 'green', '--month', '2024-01', '--out', out, '--json', '--serve', '--port', '0'],
    { env: cliEnv({ ...process.env, TAXI__HTTP__HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => { resolve(code); }));
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  await until(`the dashboard URL (stderr so far: ${stderr})`, () => /dashboard at http:\/\/\S+:\d+\/dashboard/.test(stderr) || proc.exitCode !== null, 180_000);
  const port = /dashboard at http:\/\/\S+:(\d+)\/dashboard/.exec(stderr)?.[1];
  if (port === undefined) throw new Error(`taxi run --serve exited ${proc.exitCode}: ${stderr}`);
  return { port: Number(port), stdout: () => stdout, stop: () => { proc.kill('SIGTERM'); return exited; } };
}

/** What the browser drew: each chart's bars as laid out (size in CSS pixels) with their data. */
function drawnCharts(): DrawnChart[] {
  return Array.from(document.querySelectorAll<HTMLElement>('figure[data-chart]'), (figure) => ({
    id: figure.dataset.chart ?? '',
    points: Number(figure.dataset.points),
    bars: Array.from(figure.querySelectorAll<SVGRectElement>('rect[data-value]'), (rect) => {
      const box = rect.getBoundingClientRect();
      return { label: rect.dataset.label ?? '', value: Number(rect.dataset.value), width: box.width, height: box.height, title: rect.querySelector('title')?.textContent ?? '' };
    }),
  }));
}

async function warehouseRows(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson();
  } finally { c.closeSync(); db.closeSync(); }
}

t.test('taxi run --serve: the dashboard renders every chart from the warehouse in headless Chromium', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: apt-get install chromium (.ci/run does)`,
}, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'taxi-dashboard-'));
  const profile = mkdtempSync(join(tmpdir(), 'taxi-chromium-'));
  t.teardown(() => { rmSync(out, { recursive: true, force: true }); rmSync(profile, { recursive: true, force: true }); });
  const served = await serveRun(t, out);
  const summary = JSON.parse(served.stdout().trim().split('\n').at(-1) ?? '') as Summary;
  t.equal(summary.rowsRead, 56_551, 'the run read the shipped month');

  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.teardown(() => browser.close());
  const page = browser.pages()[0] ?? await browser.newPage();
  const requests: string[] = [];
  page.on('request', (r) => { requests.push(r.url()); });
  const response = await page.goto(`http://127.0.0.1:${served.port}/`);
  t.equal(response?.status(), 200, '/ leads to the dashboard');
  t.match(page.url(), /\/dashboard$/);
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
  t.same(requests.filter((url) => !url.startsWith(`http://127.0.0.1:${served.port}/`)), [], 'nothing is fetched from elsewhere');

  const charts = new Map((await page.evaluate(drawnCharts)).map((c) => [c.id, c]));
  t.same([...charts.keys()], ['trips-per-day', 'revenue-by-payment-type', 'top-pickup-zones', 'speed-by-hour', 'rejects-by-reason']);
  for (const chart of charts.values()) {
    t.ok(chart.points > 0, `${chart.id} has data points`);
    t.equal(chart.bars.length, chart.points, `${chart.id} draws one bar a point`);
    t.ok(chart.bars.every((b) => b.width > 0 && b.height > 0 && b.title !== ''), `${chart.id}: every bar is drawn, with a tooltip`);
  }
  const bars = (id: string): DrawnChart['bars'] => charts.get(id)?.bars ?? [];
  const sum = (id: string): number => bars(id).reduce((s, b) => s + b.value, 0);
  const byLabel = (id: string): Record<string, number> => Object.fromEntries(bars(id).map((b) => [b.label, b.value]));

  t.equal(bars('trips-per-day').length, 31, 'one bar per day of January 2024');
  t.equal(sum('trips-per-day'), summary.rowsWritten, 'trips per day add up to the rows written');
  t.same(byLabel('rejects-by-reason'), summary.rowsRejected, 'rejects by reason are the run\'s');
  t.equal(await page.locator('[data-stat="trips"] b').textContent(), summary.rowsWritten.toLocaleString('en-US'));
  t.equal(bars('speed-by-hour').length, 24);

  const dataJson = await (await fetch(`http://127.0.0.1:${served.port}/dashboard/data.json`)).json() as { topPickupZones: { zone: string; trips: number }[] };
  t.same(dataJson.topPickupZones.map((z) => [z.zone, z.trips]), bars('top-pickup-zones').map((b) => [b.label, b.value]), 'data.json has the page\'s numbers');

  await browser.close();
  t.equal(await served.stop(), 0, 'SIGTERM stops the server, exit 0');
  t.match(served.stdout().trim().split('\n').at(-1) ?? '', /^\{"rowsRead":56551,/, 'the JSON summary is still the last stdout line');

  // Read the DuckDB file independently, now that the server has let it go.
  const db = join(out, 'taxi.duckdb');
  const zones = await warehouseRows(db, 'SELECT pickup_zone AS z, count(*) AS n FROM trips WHERE pickup_zone IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10');
  t.same(bars('top-pickup-zones').map((b) => [b.label, b.value]), zones.map((r) => [r.z, Number(r.n)]), 'top zones match the warehouse');
  const revenue = await warehouseRows(db, 'SELECT coalesce(payment_type, -1) AS p, sum(total_amount) AS usd FROM trips GROUP BY 1');
  const drawnRevenue = bars('revenue-by-payment-type');
  t.equal(drawnRevenue.length, revenue.length, 'one bar per payment type');
  t.ok(Math.abs(drawnRevenue.reduce((s, b) => s + b.value, 0) - revenue.reduce((s, r) => s + Number(r.usd), 0)) < 0.01 * revenue.length, 'revenue adds up to the warehouse total');
  t.equal(byLabel('revenue-by-payment-type')['credit card'], Math.round(Number(revenue.find((r) => Number(r.p) === 1)?.usd) * 100) / 100);
  const speed = await warehouseRows(db, 'SELECT pickup_hour AS h, 3600 * sum(trip_distance) / sum(duration_s) AS mph FROM trips WHERE duration_s > 0 AND trip_distance IS NOT NULL GROUP BY 1 ORDER BY 1');
  t.same(bars('speed-by-hour').map((b) => b.value), speed.map((r) => Math.round(Number(r.mph) * 10) / 10), 'speed by hour matches the warehouse');
});

// The same trips in both warehouses, as standard SQL literals both accept.
const COLUMNS = ['trip_id', 'service', 'source_month', 'pickup_datetime', 'dropoff_datetime', 'pickup_date', 'pickup_hour', 'pickup_zone', 'pickup_borough',
  'payment_type', 'total_amount', 'trip_distance', 'duration_s', 'Load_dt'];
const trip = (i: number, day: string, hour: number, zone: string | null, payment: number | null, usd: number, miles: number | null, seconds: number): string =>
  `('green/2024-01/${i}', 'green', '2024-01', TIMESTAMP '${day} ${String(hour).padStart(2, '0')}:00:00', TIMESTAMP '${day} ${String(hour).padStart(2, '0')}:30:00', `
  + `DATE '${day}', ${hour}, ${zone === null ? 'NULL' : `'${zone}'`}, 'Queens', ${payment ?? 'NULL'}, ${usd}, ${miles ?? 'NULL'}, ${seconds}, TIMESTAMP '2024-02-01 00:00:00')`;
const INSERT = `INSERT INTO trips (${COLUMNS.join(', ')}) VALUES ${[
  trip(1, '2024-01-01', 8, 'Astoria', 1, 20.5, 3, 1800), trip(2, '2024-01-01', 8, 'Astoria', 2, 10.25, 1, 600), trip(3, '2024-01-02', 9, 'Elmhurst', 1, 30, 6, 1200),
  trip(4, '2024-01-02', 9, null, null, 5, null, 0), trip(5, '2024-01-03', 23, 'Jamaica', 6, -4.5, 0.5, 90),
].join(', ')}`;

const comparable = ({ generatedAt: _at, warehouse: _w, ...rest }: DashboardData): Omit<DashboardData, 'generatedAt' | 'warehouse'> => rest;

t.test('the dashboard SQL gives the same answers on the BigQuery emulator as on DuckDB', async (t) => {
  const dataset = uniqueName('taxi_dash', '_');
  const bigquery = bigQueryWarehouse({ projectId: servers.bigqueryProject, dataset, apiEndpoint: servers.bigqueryEndpoint, grpcEndpoint: servers.bigqueryGrpc,
    requestTimeoutMs: 15_000, retry: { maxAttempts: 4, baseMs: 50, maxMs: 400 } });
  const admin = new BigQuery({ projectId: servers.bigqueryProject, apiEndpoint: servers.bigqueryEndpoint, retryOptions: { autoRetry: false } });
  t.teardown(async () => {
    await bigquery.close();
    await admin.dataset(dataset).delete({ force: true }).catch(() => undefined);
  });
  await bigquery.connect();
  await bigquery.query(INSERT);

  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  t.teardown(() => { c.closeSync(); db.closeSync(); });
  const SQL_TYPE = { STRING: 'VARCHAR', INT64: 'BIGINT', FLOAT64: 'DOUBLE', TIMESTAMP: 'TIMESTAMP', DATE: 'DATE' } as const;
  await c.run(`CREATE TABLE trips (${PROCESSED_FIELDS.map((f) => `"${f.name}" ${SQL_TYPE[f.type]}`).join(', ')})`);
  await c.run(INSERT);
  const duckdb: DashboardWarehouse = { name: 'duckdb', query: async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJson() };

  const rejects = (): Record<string, number> => ({ zero_distance: 2 });
  const [onBigQuery, onDuckDb] = await Promise.all([dashboardData({ warehouse: bigquery, rejects }), dashboardData({ warehouse: duckdb, rejects })]);
  t.same(comparable(onBigQuery), comparable(onDuckDb));
  t.equal(onBigQuery.tripsPerDay.length, 3);
  t.same(onBigQuery.speedByHour.map((h) => [h.hour, h.mph]), [[8, 6], [9, 18], [23, 20]], 'zero durations left out, no division by zero');
});
