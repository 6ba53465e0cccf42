// replay: `taxi replay` of the ingested month, after an untimed `taxi process` run of the same
// consumer group has processed it (the replay refuses a month the live group has not processed).
import { join } from 'node:path';
import { runMeasured } from '../lib/child.js';
import { cleanEnv } from '../lib/env.js';
import { taxiCommand } from '../lib/runtime.js';
import { CPU_BY_THREAD_NOTE, cpuExtra } from '../lib/threads.js';
import type { RunResult, Scope, ScopeContext } from '../lib/types.js';

export const replayScope: Scope = {
  name: 'replay',
  what: 'taxi replay of the month (2 transform workers, DuckDB + local store), after an untimed taxi process run of the same group',
  needsKafka: true,
  notes: () => [
    'rows/s = rows read by the replay / the replay\'s own seconds (manifest and offset checks, read + transform + staging writes, the swap); wall adds process start-up',
    'the month is replaced in a DuckDB warehouse and a local object store already holding it (as after a fresh run)',
    CPU_BY_THREAD_NOTE,
  ],
  run: runReplay,
};

async function runReplay(ctx: ScopeContext): Promise<RunResult> {
  const month = await ctx.ingested();
  const dir = ctx.tempDir('replay');
  const env = cleanEnv({
    TAXI__TOPICS__RAW: month.topics.raw, TAXI__TOPICS__MANIFEST: month.topics.manifest, TAXI__TOPICS__DLQ: month.topics.dlq,
    TAXI__TOPICS__RAW_PARTITIONS: String(month.partitions), TAXI__OBJECT_STORE__LOCAL__ROOT: join(dir, 'objects'), TAXI__WAREHOUSE__DUCKDB__PATH: join(dir, 'taxi.duckdb'),
    TAXI__PROCESSOR__GROUP_ID: `bench-${ctx.uniqueId()}`, TAXI__PROCESSOR__POOL_SIZE: '2', TAXI__LOG__LEVEL: 'info', TAXI__HTTP__PORT: '0',
  });
  ctx.say('replay: processing the month first (untimed)');
  await runMeasured({ label: 'taxi process (before the replay)', cwd: ctx.root, dir, env,
    args: [...taxiCommand(ctx.root), 'process', '--brokers', ctx.kafka.brokers, '--exit-when-idle', String(ctx.idleSeconds)] });
  const measured = await runMeasured({ label: 'taxi replay', cwd: ctx.root, dir, env,
    args: [...taxiCommand(ctx.root), 'replay', '--service', ctx.source.service, '--month', ctx.source.month, '--brokers', ctx.kafka.brokers, '--json', '--no-serve'] });
  const result = JSON.parse(measured.stdout.trim().split('\n').at(-1) ?? '{}') as { rowsRead?: number; rowsWritten?: number; warehouseRows?: number; seconds?: number; files?: number };
  if (result.rowsRead !== month.rows || result.seconds === undefined) {
    throw new Error(`taxi replay: read ${result.rowsRead ?? '?'} rows, the month has ${month.rows}`);
  }
  return {
    wallSeconds: measured.wallSeconds, cpuSeconds: measured.cpuSeconds, peakRssBytes: measured.peakRssBytes, method: measured.method,
    rowsPerSec: result.rowsRead / result.seconds,
    extra: { rowsRead: result.rowsRead, rowsWritten: result.rowsWritten ?? 0, replaySeconds: result.seconds, files: result.files ?? 0, ...cpuExtra(measured.cpuByThread) },
  };
}
