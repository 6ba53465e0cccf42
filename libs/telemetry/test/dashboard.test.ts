import { DuckDBInstance } from '@duckdb/node-api';
import { Registry } from 'prom-client';
import t from 'tap';
import { dashboardData, registerDashboard, sumRejected } from '../src/dashboard.js';
import type { DashboardWarehouse } from '../src/dashboard.js';
import { renderDashboard } from '../src/dashboard-page.js';
import { buildHttpApp } from '../src/http.js';

/** An in-memory DuckDB with the processed columns the dashboard reads, and a few trips. */
async function memoryWarehouse(rows: string[]): Promise<DashboardWarehouse & { queries: number; close: () => void }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`CREATE TABLE trips (pickup_date DATE NOT NULL, pickup_hour BIGINT NOT NULL, pickup_zone VARCHAR, pickup_borough VARCHAR,
    payment_type BIGINT, total_amount DOUBLE, trip_distance DOUBLE, duration_s BIGINT NOT NULL)`);
  if (rows.length > 0) await c.run(`INSERT INTO trips VALUES ${rows.join(', ')}`);
  const warehouse = {
    name: 'duckdb', location: 'memory', queries: 0,
    async query(sql: string) { warehouse.queries++; return (await c.runAndReadAll(sql)).getRowObjectsJson(); },
    close: () => { c.closeSync(); db.closeSync(); },
  };
  return warehouse;
}

const TRIPS = [
  "('2024-01-01', 8, 'Astoria', 'Queens', 1, 20.5, 3.0, 1800)",
  "('2024-01-01', 8, 'Astoria', 'Queens', 2, 10.25, 1.0, 600)",
  "('2024-01-02', 9, 'Bed & <Breakfast>', 'Brooklyn', 1, 30.0, 6.0, 1200)",
  "('2024-01-02', 9, NULL, NULL, NULL, 5.0, NULL, 0)",
];

t.test('dashboardData runs its SQL on the warehouse and shapes the answers', async (t) => {
  const warehouse = await memoryWarehouse(TRIPS);
  t.teardown(warehouse.close);
  const data = await dashboardData({ warehouse, rejects: () => ({ zero_distance: 3, zero_duration: 0, negative_amount: 5 }) });
  t.same(data.warehouse, { name: 'duckdb', location: 'memory' });
  t.same(data.tripsPerDay, [{ date: '2024-01-01', trips: 2 }, { date: '2024-01-02', trips: 2 }]);
  t.same(data.revenueByPaymentType, [
    { paymentType: 1, label: 'credit card', trips: 2, revenueUsd: 50.5 },
    { paymentType: 2, label: 'cash', trips: 1, revenueUsd: 10.25 },
    { paymentType: null, label: 'not recorded', trips: 1, revenueUsd: 5 },
  ]);
  t.same(data.topPickupZones, [{ zone: 'Astoria', borough: 'Queens', trips: 2 }, { zone: 'Bed & <Breakfast>', borough: 'Brooklyn', trips: 1 }]);
  // hour 8: 4 miles in 2400 s = 6 mph; hour 9: the zero-duration trip is left out, 6 miles in 1200 s = 18 mph.
  t.same(data.speedByHour, [{ hour: 8, mph: 6, trips: 2 }, { hour: 9, mph: 18, trips: 1 }]);
  t.same(data.rejectsByReason, [{ reason: 'negative_amount', rows: 5 }, { reason: 'zero_distance', rows: 3 }], 'largest first, zeros left out');
});

t.test('the page draws each chart with its points, values escaped', async (t) => {
  const warehouse = await memoryWarehouse(TRIPS);
  t.teardown(warehouse.close);
  const html = renderDashboard(await dashboardData({ warehouse, rejects: () => ({ zero_distance: 3 }) }));
  for (const [chart, points] of [['trips-per-day', 2], ['revenue-by-payment-type', 3], ['top-pickup-zones', 2], ['speed-by-hour', 2], ['rejects-by-reason', 1]] as const) {
    t.match(html, new RegExp(`<figure class="chart" id="${chart}" data-chart="${chart}" data-points="${points}"`), chart);
  }
  t.equal(html.match(/<rect [^>]*data-value=/g)?.length, 10, 'one bar a point');
  t.match(html, /data-label="Bed &#38; &#60;Breakfast&#62;"/);
  t.notMatch(html, /<Breakfast>/);
  t.notMatch(html, /<script|https?:\/\/(?!www\.w3)/, 'no script, nothing fetched');
});

t.test('an empty warehouse gives empty charts, not an error', async (t) => {
  const warehouse = await memoryWarehouse([]);
  t.teardown(warehouse.close);
  const html = renderDashboard(await dashboardData({ warehouse, rejects: () => ({}) }));
  t.equal(html.match(/data-points="0"/g)?.length, 5);
  t.match(html, /no data yet/);
});

t.test('registerDashboard serves the page and data.json, reuses answers, and answers 503 when the warehouse fails', async (t) => {
  const warehouse = await memoryWarehouse(TRIPS);
  t.teardown(warehouse.close);
  let failing = false;
  const flaky: DashboardWarehouse = { name: 'duckdb', query: (sql) => (failing ? Promise.reject(new Error('connection refused')) : warehouse.query(sql)) };
  const app = buildHttpApp(new Registry(), { live: () => true, ready: async () => ({ ok: true, checks: {} }) });
  registerDashboard(app, { warehouse: flaky, rejects: async () => ({ zero_distance: 1 }), maxAgeMs: 60_000 });
  t.teardown(() => app.close());

  const root = await app.inject('/');
  t.equal(root.statusCode, 302);
  t.equal(root.headers.location, '/dashboard');
  const page = await app.inject('/dashboard');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.match(page.body, /data-chart="top-pickup-zones" data-points="2"/);
  const json = await app.inject('/dashboard/data.json');
  t.equal(json.statusCode, 200);
  t.same(json.json<{ rejectsByReason: unknown }>().rejectsByReason, [{ reason: 'zero_distance', rows: 1 }]);
  t.equal(warehouse.queries, 4, 'the second request reused the first answers');

  const fresh = buildHttpApp(new Registry(), { live: () => true, ready: async () => ({ ok: true, checks: {} }) });
  registerDashboard(fresh, { warehouse: flaky, rejects: () => ({}) });
  t.teardown(() => fresh.close());
  failing = true;
  const down = await fresh.inject('/dashboard');
  t.equal(down.statusCode, 503);
  t.match(down.body, /the warehouse did not answer: connection refused/);
  t.equal((await fresh.inject('/dashboard/data.json')).statusCode, 503);
  failing = false;
  t.equal((await fresh.inject('/dashboard')).statusCode, 200, 'a failed answer is not kept');
});

t.test('sumRejected adds up months', async (t) => {
  t.same(sumRejected([{ rejected: { a: 1, b: 2 } }, { rejected: { a: 3 } }]), { a: 4, b: 2 });
  t.same(sumRejected([]), {});
});
