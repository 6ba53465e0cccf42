import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../../libs/config/src/index.js';
import { AppError } from '../../../../libs/errors/src/index.js';
import { monthKey, monthRefFromFileName, parseMonthRef, tlcFileName } from '../../../../libs/schema/src/month.js';
import type { MonthRef } from '../../../../libs/schema/src/month.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../args.js';
import { runEmbedded } from '../embedded.js';
import type { EmbeddedRunResult } from '../embedded.js';
import { progressLine } from '../progress.js';
import { logger } from '../logging.js';

const SAMPLES_DIR = fileURLToPath(new URL('../../../../data/samples/', import.meta.url));
const DEFAULT_MONTH: MonthRef = { service: 'green', year: 2024, month: 1 };

const usage = `Usage: taxi run [--service S --month YYYY-MM] [--source FILE] [--out DIR] [--pool N] [--json] [--serve [--port N]]

Runs the whole pipeline embedded, with no cloud and no broker: the month is ingested into an
in-process bus, transformed in a worker pool, written as Parquet to a local object store and into
a DuckDB warehouse; rejected rows go to a JSON-lines dead-letter file. With no flags it runs the
shipped real month (data/samples/${tlcFileName(DEFAULT_MONTH)}). Running a month again replaces its outputs.

  --service S        yellow | green | fhv | fhvhv (with --month picks data/samples/<file>)
  --month YYYY-MM    the month to run
  --source FILE      a local TLC Parquet file (its name gives service and month)
  --out DIR          where outputs go (default: out)
  --pool N           transform worker threads (default: the machine's cores)
  --json             print one JSON object as the last line of stdout
  --serve            then serve the dashboard (/dashboard) and /healthz /readyz /metrics /status
                     on http.host:http.port until Ctrl-C or SIGTERM; the URL goes to stderr
  --port N           the port for --serve (default: http.port, 9464; 0: any free port)
  -h, --help         this text`;

export const runCommand: Command = {
  usage,
  async run(args) {
    const { values } = parseCommandArgs('run', args, {
      service: { type: 'string' }, month: { type: 'string' }, source: { type: 'string' }, out: { type: 'string', default: 'out' },
      pool: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      serve: { type: 'boolean', default: false }, port: { type: 'string' },
    });
    if (values.help) { process.stdout.write(`${usage}\n`); return 0; }
    const { ref, path } = resolveSource(values.service, values.month, values.source);
    const poolSize = values.pool === undefined ? availableParallelism() : Number(values.pool);
    if (!Number.isInteger(poolSize) || poolSize < 1) throw new AppError('TAXI_ERR_CLI_USAGE', `--pool should be a positive integer, got '${values.pool ?? ''}'`);
    const http = values.serve ? httpOptions(values.port) : undefined;
    if (!http && values.port !== undefined) throw new AppError('TAXI_ERR_CLI_USAGE', 'taxi run: --port goes with --serve');
    // The embedded run is quiet unless asked (TAXI__LOG__LEVEL): its summary is the output.
    const config = loadConfig();
    const log = logger({ ...config.log, level: process.env.TAXI__LOG__LEVEL === undefined ? 'warn' : config.log.level }, 'taxi-run');
    const bar = progressLine(process.stderr.isTTY);
    const result = await runEmbedded({
      ref, source: path, outDir: values.out, poolSize, parquet: config.parquet, log,
      onProgress: (p) => { bar.update(p.phase === 'ingest' ? `ingesting ${p.rows.toLocaleString('en-US')} rows` : `processing ${p.rows.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} rows`); },
    }).finally(() => { bar.done(); });
    process.stdout.write(values.json ? `${JSON.stringify(jsonSummary(result))}\n` : formatSummary(ref, path, poolSize, result));
    if (!http) return 0;
    // The dashboard's server (fastify, prom-client) is loaded only when asked for.
    const { serveRun } = await import('../run-serve.js');
    return serveRun({ outDir: values.out, ...http, status: { service: ref.service, month: monthKey(ref), source: path, summary: jsonSummary(result) } });
  },
};

/** Where --serve listens: the config's http.host and http.port, --port first. Checked before the run starts. */
function httpOptions(port: string | undefined): { host: string; port: number } {
  const n = port === undefined ? undefined : /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 65535)) throw new AppError('TAXI_ERR_CLI_USAGE', `--port should be an integer from 0 to 65535, got '${port ?? ''}'`);
  const { http } = loadConfig(n === undefined ? {} : { overrides: { http: { port: n } } });
  return { host: http.host, port: http.port };
}

function resolveSource(service: string | undefined, month: string | undefined, source: string | undefined): { ref: MonthRef; path: string } {
  if ((service === undefined) !== (month === undefined)) throw new AppError('TAXI_ERR_CLI_USAGE', 'taxi run: --service and --month go together');
  const named = service !== undefined && month !== undefined ? parseMonthRef(service, month) : undefined;
  if (source !== undefined) {
    const ref = named ?? monthRefFromFileName(source);
    if (!ref) throw new AppError('TAXI_ERR_CLI_USAGE', `taxi run: cannot tell the service and month of ${source} from its name; add --service and --month`);
    return { ref, path: source };
  }
  const ref = named ?? DEFAULT_MONTH;
  return { ref, path: `${SAMPLES_DIR}${tlcFileName(ref)}` };
}

function jsonSummary(r: EmbeddedRunResult): Record<string, unknown> {
  return { rowsRead: r.rowsRead, rowsWritten: r.rowsWritten, rowsRejected: r.rowsRejected, seconds: Number(r.seconds.toFixed(3)), outputs: r.outputs };
}

function formatSummary(ref: MonthRef, path: string, pool: number, r: EmbeddedRunResult): string {
  const n = (v: number): string => v.toLocaleString('en-US').padStart(12);
  const rejected = Object.values(r.rowsRejected).reduce((s, v) => s + v, 0);
  const reasons = Object.entries(r.rowsRejected).sort(([, a], [, b]) => b - a).map(([reason, count]) => `    ${reason.padEnd(24)}${n(count)}`);
  return [
    `taxi run: ${ref.service} ${monthKey(ref)} from ${path}`,
    `  (embedded: in-process bus, ${pool} transform worker${pool > 1 ? 's' : ''}, local object store, DuckDB warehouse)`,
    '',
    `  rows read               ${n(r.rowsRead)}`,
    `  rows written            ${n(r.rowsWritten)}`,
    `  rows rejected           ${n(rejected)}`,
    ...reasons,
    `  wall time               ${r.seconds.toFixed(2).padStart(10)} s  (${Math.round(r.rowsRead / r.seconds).toLocaleString('en-US')} rows/s)`,
    '',
    '  outputs',
    `    raw copy     ${r.outputs.raw}`,
    `    processed    ${r.outputs.processed} (${r.processedFiles} Parquet file${r.processedFiles === 1 ? '' : 's'})`,
    `    warehouse    ${r.outputs.warehouse}  (table trips: npx taxi query "SELECT pickup_borough, count(*) FROM trips GROUP BY 1")`,
    `    rejects      ${r.outputs.rejects}`,
    '',
  ].join('\n');
}
