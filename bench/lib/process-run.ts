// One `taxi process` run over the ingested month with `poolSize` transform workers: a fresh
// consumer group and fresh output directories, so every run reads the whole month. The e2e,
// memory and batch-size scopes run it over topics of their own.
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { serviceConfigSchema } from '../../libs/config/src/index.js';
import { runMeasured } from './child.js';
import { cleanEnv, imageMallocEnv, imageMallocNote } from './env.js';
import { taxiCommand } from './runtime.js';
import { CPU_BY_THREAD_NOTE, cpuExtra } from './threads.js';
import type { Ingested, RunResult, Scope, ScopeContext } from './types.js';

export function processScope(poolSize: number): Scope {
  return {
    name: `process-${poolSize}`,
    what: `taxi process --exit-when-idle N, ${poolSize} transform worker${poolSize === 1 ? '' : 's'}, fresh group and outputs`,
    needsKafka: true,
    notes: (ctx) => [
      imageMallocNote(ctx.root),
      `rows/s = rows ingested / (wall - ${ctx.idleSeconds} s): the ${ctx.idleSeconds} s are --exit-when-idle's wait after the last message, not work; the rest of the wall (start-up, joining the group, final flush) is counted`,
      'Parquet bytes/row = size of processed/**/*.parquet / rows in the DuckDB warehouse after the child exits; rejected = rows ingested - rows in the warehouse (the conservation law)',
      'rowsProcessed = rows the processor transformed, from its "month counts" log lines: above rows ingested when messages were processed again after a rebalance',
      CPU_BY_THREAD_NOTE,
    ],
    run: async (ctx) => runProcessor(ctx, await ctx.ingested(), poolSize),
  };
}

/** The processor's HTTP port, when it has one: any free port, so a processor running elsewhere on the machine does not collide. */
const httpPort: Record<string, string> = 'http' in serviceConfigSchema.shape ? { TAXI__HTTP__PORT: '0' } : {};

/**
 * One `taxi process --exit-when-idle` over what `month` put in Kafka (one month or several in the
 * same topics), checked against the warehouse: rows/s over the wall less the idle wait.
 */
export async function runProcessor(ctx: ScopeContext, month: Ingested, poolSize: number): Promise<RunResult> {
  const dir = ctx.tempDir(`process-${poolSize}`);
  const objects = join(dir, 'objects');
  const duckdb = join(dir, 'taxi.duckdb');
  const measured = await runMeasured({
    label: `taxi process (pool ${poolSize})`, cwd: ctx.root, dir,
    args: [...taxiCommand(ctx.root), 'process', '--brokers', ctx.kafka.brokers, '--exit-when-idle', String(ctx.idleSeconds)],
    env: cleanEnv({
      ...imageMallocEnv(ctx.root),
      TAXI__TOPICS__RAW: month.topics.raw, TAXI__TOPICS__MANIFEST: month.topics.manifest, TAXI__TOPICS__DLQ: month.topics.dlq,
      TAXI__TOPICS__RAW_PARTITIONS: String(month.partitions), TAXI__OBJECT_STORE__LOCAL__ROOT: objects, TAXI__WAREHOUSE__DUCKDB__PATH: duckdb,
      TAXI__PROCESSOR__GROUP_ID: `bench-${ctx.uniqueId()}`, TAXI__PROCESSOR__POOL_SIZE: String(poolSize), TAXI__LOG__LEVEL: 'info', ...httpPort,
    }),
  });
  const written = await warehouseRows(duckdb);
  // The processor's own counts include messages processed again after a rebalance (the sinks
  // drop the duplicates), so they only bound the warehouse's count from above.
  const counted = await monthCounts(measured.stderrPath);
  if (written > month.rows || (counted && counted.rowsIn < month.rows)) {
    throw new Error(`taxi process (pool ${poolSize}): rows do not add up: ingested ${month.rows}, processed ${counted?.rowsIn ?? '?'}, the warehouse holds ${written}`);
  }
  const parquetBytes = processedFiles(objects).reduce((sum, f) => sum + statSync(f).size, 0);
  const working = measured.wallSeconds - ctx.idleSeconds;
  if (written <= 0) throw new Error(`taxi process (pool ${poolSize}) exited 0 but the warehouse holds no rows (${duckdb})`);
  return {
    wallSeconds: measured.wallSeconds, cpuSeconds: measured.cpuSeconds, peakRssBytes: measured.peakRssBytes, method: measured.method,
    rowsPerSec: month.rows / working,
    extra: { rowsIngested: month.rows, rowsWritten: written, rowsRejected: month.rows - written, ...(counted ? { rowsProcessed: counted.rowsIn } : {}), workingSeconds: working, parquetBytes, parquetBytesPerRow: parquetBytes / written, ...cpuExtra(measured.cpuByThread) },
  };
}

/** processed/**\/*.parquet under the local object store, without files in hidden (temporary) folders. */
function processedFiles(objects: string): string[] {
  const root = join(objects, 'processed');
  let names: string[];
  try {
    names = readdirSync(root, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return names.filter((f) => f.endsWith('.parquet') && !f.split('/').some((s) => s.startsWith('.'))).map((f) => join(root, f));
}

async function warehouseRows(path: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    await connection.run(`ATTACH '${path.replaceAll("'", "''")}' AS w (READ_ONLY)`);
    const [row] = (await connection.runAndReadAll('SELECT count(*) AS n FROM w.trips')).getRowObjectsJson();
    return Number(row?.n);
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

/** The processor's 'month counts' log lines (pino JSON on stderr), summed; undefined when absent. */
async function monthCounts(stderrPath: string): Promise<{ rowsIn: number; rowsOut: number; rejected: number } | undefined> {
  let found = false;
  const sum = { rowsIn: 0, rowsOut: 0, rejected: 0 };
  for (const line of (await readFile(stderrPath, 'utf8')).split('\n')) {
    if (!line.includes('"month counts"')) continue;
    try {
      const entry = JSON.parse(line) as { rows?: number; rowsOut?: number; rejected?: Record<string, number> };
      sum.rowsIn += entry.rows ?? 0;
      sum.rowsOut += entry.rowsOut ?? 0;
      sum.rejected += Object.values(entry.rejected ?? {}).reduce((s, n) => s + n, 0);
      found = true;
    } catch {
      // not a log line
    }
  }
  return found ? sum : undefined;
}
