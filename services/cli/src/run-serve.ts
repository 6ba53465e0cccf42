// `taxi run --serve`: after the run, serve the dashboard and /healthz /readyz /metrics /status on
// the embedded outputs until SIGINT/SIGTERM.
import { createReadStream, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { messageOf } from '../../../libs/errors/src/index.js';
import { buildHttpApp, registerDashboard, serviceRegistry } from '../../../libs/telemetry/src/index.js';
import type { DashboardWarehouse } from '../../../libs/telemetry/src/index.js';
import { duckDbWarehouse } from '../../../libs/warehouse/src/duckdb.js';

export interface ServeRunOptions {
  /** The run's output folder: taxi.duckdb and dlq/ are read from there. */
  readonly outDir: string;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** What /status answers besides the warehouse: the run's summary. */
  readonly status: Record<string, unknown>;
}

/**
 * The DuckDB file opened for each query and closed after it: a DuckDB file takes one process at a
 * time, so holding it open while serving would lock out `taxi query` (the dashboard keeps its
 * answers 30 s, so a page load opens it four times at most).
 */
function duckDbPerQuery(path: string): DashboardWarehouse {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    name: 'duckdb',
    location: pathToFileURL(path).href,
    query(sql) {
      const run = queue.then(async () => {
        const warehouse = duckDbWarehouse({ path });
        try {
          await warehouse.connect();
          return await warehouse.query(sql);
        } finally {
          await warehouse.close();
        }
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

/** Rejected rows by reason, counted from the dead-letter files (`<service>-<month>.jsonl`, one row a line). */
export async function deadLetterCounts(dlqDir: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const files = existsSync(dlqDir) ? (await readdir(dlqDir)).filter((f) => f.endsWith('.jsonl')).sort() : [];
  for (const file of files) {
    for await (const line of createInterface({ input: createReadStream(join(dlqDir, file)), crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      const { reason } = JSON.parse(line) as { reason?: unknown };
      const key = typeof reason === 'string' ? reason : 'unknown';
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}

/** Serves until SIGINT or SIGTERM, then closes and resolves the exit code (0). The URL goes to stderr. */
export async function serveRun(options: ServeRunOptions): Promise<number> {
  const out = resolve(options.outDir);
  const path = join(out, 'taxi.duckdb');
  const warehouse = duckDbPerQuery(path);
  const registry = serviceRegistry('taxi_run_');
  const app = buildHttpApp(registry, {
    live: () => true,
    ready: async () => {
      const error = await warehouse.query('SELECT 1').then(() => undefined, (e: unknown) => messageOf(e));
      return { ok: error === undefined, checks: { warehouse: error === undefined ? { ok: true } : { ok: false, error } } };
    },
    status: async () => ({ ...options.status, warehouse: warehouse.location }),
  });
  registerDashboard(app, { warehouse, rejects: () => deadLetterCounts(join(out, 'dlq')) });
  await app.listen({ host: options.host, port: options.port });
  const { port } = app.server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  process.stderr.write(`taxi run: dashboard at http://${host}:${port}/dashboard (also /healthz /readyz /metrics /status); Ctrl-C stops it\n`);
  await new Promise<void>((done) => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); done(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await app.close();
  return 0;
}
