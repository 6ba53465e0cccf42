import type { FastifyInstance } from 'fastify';
import { messageOf } from '../../errors/src/index.js';
import { renderDashboard } from './dashboard-page.js';

/** What the dashboard reads: any warehouse port (libs/warehouse) fits; only query() is used. */
export interface DashboardWarehouse {
  /** duckdb or bigquery. */
  readonly name: string;
  /** Where the data is, shown on the page. */
  readonly location?: string;
  /** Standard SQL on table `trips`; rows as plain objects. */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

export interface DashboardSources {
  readonly warehouse: DashboardWarehouse;
  /**
   * Rejected rows by reason. Rejects never reach the warehouse, so the caller counts them: the
   * embedded run from its dead-letter files, a processor from its pipeline counts.
   */
  readonly rejects: () => Promise<Record<string, number>> | Record<string, number>;
  /** Answers are reused for this long, so page loads do not each run warehouse queries (default 30 s). */
  readonly maxAgeMs?: number;
}

export interface DashboardData {
  readonly generatedAt: string;
  readonly warehouse: { readonly name: string; readonly location: string | null };
  readonly tripsPerDay: readonly { readonly date: string; readonly trips: number }[];
  readonly revenueByPaymentType: readonly { readonly paymentType: number | null; readonly label: string; readonly trips: number; readonly revenueUsd: number }[];
  readonly topPickupZones: readonly { readonly zone: string; readonly borough: string | null; readonly trips: number }[];
  /** Miles driven / hours driven by pickup hour: robust to the odd trip with a broken clock. */
  readonly speedByHour: readonly { readonly hour: number; readonly mph: number; readonly trips: number }[];
  readonly rejectsByReason: readonly { readonly reason: string; readonly rows: number }[];
}

/**
 * The queries, in SQL that DuckDB and BigQuery (GoogleSQL) both run as written: CAST ... AS
 * STRING, grouping by output aliases, no dialect functions. The speed query keeps durations > 0,
 * as BigQuery fails a whole query on a division by zero.
 */
export const DASHBOARD_SQL = Object.freeze({
  tripsPerDay: 'SELECT CAST(pickup_date AS STRING) AS pickup_day, COUNT(*) AS trips FROM trips GROUP BY pickup_day ORDER BY pickup_day',
  revenueByPaymentType: 'SELECT payment_type, COUNT(*) AS trips, SUM(total_amount) AS revenue FROM trips GROUP BY payment_type ORDER BY revenue DESC',
  topPickupZones: 'SELECT pickup_zone, pickup_borough, COUNT(*) AS trips FROM trips WHERE pickup_zone IS NOT NULL '
    + 'GROUP BY pickup_zone, pickup_borough ORDER BY trips DESC, pickup_zone LIMIT 10',
  speedByHour: 'SELECT pickup_hour, SUM(trip_distance) / (SUM(duration_s) / 3600.0) AS mph, COUNT(*) AS trips FROM trips '
    + 'WHERE duration_s > 0 AND trip_distance IS NOT NULL GROUP BY pickup_hour ORDER BY pickup_hour',
});

/** payment_type codes as the TLC data dictionary names them. */
const PAYMENT_TYPES: Readonly<Record<number, string>> = { 0: 'flex fare', 1: 'credit card', 2: 'cash', 3: 'no charge', 4: 'dispute', 5: 'unknown', 6: 'voided' };

/** DuckDB answers BIGINT as a string, BigQuery INT64 as a number: both become numbers here. */
const num = (value: unknown): number => {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
};
const str = (value: unknown): string | null => (value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value));

/** Runs the dashboard's queries and counts; one call, one consistent snapshot for page and JSON. */
export async function dashboardData(sources: DashboardSources): Promise<DashboardData> {
  const { warehouse } = sources;
  const [days, payments, zones, hours, rejects] = await Promise.all([
    warehouse.query(DASHBOARD_SQL.tripsPerDay), warehouse.query(DASHBOARD_SQL.revenueByPaymentType),
    warehouse.query(DASHBOARD_SQL.topPickupZones), warehouse.query(DASHBOARD_SQL.speedByHour), sources.rejects(),
  ]);
  return {
    generatedAt: new Date().toISOString(),
    warehouse: { name: warehouse.name, location: warehouse.location ?? null },
    tripsPerDay: days.map((r) => ({ date: str(r.pickup_day) ?? '', trips: num(r.trips) })),
    revenueByPaymentType: payments.map((r) => {
      const code = r.payment_type === null || r.payment_type === undefined ? null : num(r.payment_type);
      return { paymentType: code, label: code === null ? 'not recorded' : PAYMENT_TYPES[code] ?? `type ${code}`, trips: num(r.trips), revenueUsd: Math.round(num(r.revenue) * 100) / 100 };
    }),
    topPickupZones: zones.map((r) => ({ zone: str(r.pickup_zone) ?? '', borough: str(r.pickup_borough), trips: num(r.trips) })),
    speedByHour: hours.map((r) => ({ hour: num(r.pickup_hour), mph: Math.round(num(r.mph) * 10) / 10, trips: num(r.trips) })),
    rejectsByReason: Object.entries(rejects).filter(([, rows]) => rows > 0).sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([reason, rows]) => ({ reason, rows })),
  };
}

/** Adds up rejects by reason over months: a processor passes `pipeline.counts.values()`. */
export function sumRejected(months: Iterable<{ readonly rejected: Readonly<Record<string, number>> }>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const month of months) for (const [reason, rows] of Object.entries(month.rejected)) total[reason] = (total[reason] ?? 0) + rows;
  return total;
}

/**
 * The dashboard that stands in for the old flow's Looker reports: `GET /dashboard` (HTML with
 * inline SVG charts, no script, nothing fetched from elsewhere), `GET /dashboard/data.json` (the
 * same numbers) and `GET /` redirecting to it. A warehouse that does not answer gives 503.
 */
export function registerDashboard(app: FastifyInstance, sources: DashboardSources): void {
  const maxAgeMs = sources.maxAgeMs ?? 30_000;
  let cached: { at: number; data: Promise<DashboardData> } | undefined;
  const current = (): Promise<DashboardData> => {
    if (!cached || Date.now() - cached.at > maxAgeMs) {
      const entry = { at: Date.now(), data: dashboardData(sources) };
      // A failed answer is not kept: the next request asks again.
      entry.data.catch(() => { if (cached === entry) cached = undefined; });
      cached = entry;
    }
    return cached.data;
  };
  const unavailable = (error: unknown): string => `dashboard: the warehouse did not answer: ${messageOf(error)}\n`;
  app.get('/', async (_req, reply) => reply.redirect('/dashboard'));
  app.get('/dashboard', async (_req, reply) => {
    try {
      return await reply.type('text/html; charset=utf-8').send(renderDashboard(await current()));
    } catch (error) {
      return reply.code(503).type('text/plain; charset=utf-8').send(unavailable(error));
    }
  });
  app.get('/dashboard/data.json', async (_req, reply) => {
    try {
      return await reply.send(await current());
    } catch (error) {
      return reply.code(503).send({ error: unavailable(error).trim() });
    }
  });
}
