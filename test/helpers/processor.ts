// Runs `taxi process` as a real child process (so it can be killed with SIGKILL) and reads what
// its sinks hold with DuckDB, an implementation independent of the writers.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Test } from 'tap';
import type { Topics } from '../../libs/ingest/src/index.js';
import { servers } from './servers.js';
import { cliEnv } from './cli-env.js';

const taxi = fileURLToPath(new URL('../../bin/taxi.js', import.meta.url));

export interface ProcessorEnv { readonly topics: Topics; readonly groupId: string; readonly objects: string; readonly duckdb: string; readonly extra?: Record<string, string> }

export function processorEnv(p: ProcessorEnv): NodeJS.ProcessEnv {
  return {
    ...process.env, TAXI__TOPICS__RAW: p.topics.raw, TAXI__TOPICS__MANIFEST: p.topics.manifest, TAXI__TOPICS__DLQ: p.topics.dlq,
    TAXI__TOPICS__RAW_PARTITIONS: String(p.topics.rawPartitions), TAXI__OBJECT_STORE__LOCAL__ROOT: p.objects, TAXI__WAREHOUSE__DUCKDB__PATH: p.duckdb,
    TAXI__PROCESSOR__GROUP_ID: p.groupId, TAXI__LOG__LEVEL: 'info', TAXI__HTTP__PORT: '0', ...p.extra,
  };
}

export interface Child { readonly proc: ChildProcess; readonly stderr: () => string; readonly exited: Promise<number | null> }

/** `brokers`: the shared test broker unless a test runs its own (test/helpers/dedicated-kafka.ts). */
export function startProcessor(t: Test, env: NodeJS.ProcessEnv, idleSeconds = 3, brokers: readonly string[] = servers.kafkaBrokers): Child {
  const proc = spawn(process.execPath, [taxi, 'process', '--brokers', brokers.join(','), '--exit-when-idle', String(idleSeconds)], { env: cliEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => { resolve(code); }));
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  return { proc, stderr: () => err, exited };
}

export async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function parquetFiles(objects: string): string[] {
  const root = join(objects, 'processed');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') && !f.split('/').some((s) => s.startsWith('.'))).map((f) => join(root, f));
}

/** count, distinct trip ids and a content hash over the rows' key columns. */
export interface Contents { readonly rows: number; readonly ids: number; readonly hash: string }

const CONTENTS = 'SELECT count(*) AS rows, count(DISTINCT trip_id) AS ids, sum(hash(trip_id, total_amount, pickup_datetime, pickup_zone::VARCHAR, tip_pct, "Load_dt") % 1000000007) AS h FROM';

export async function contentsOf(source: { duckdb?: string[]; parquet?: string[] }): Promise<Contents> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const parts: string[] = [];
  for (const [i, file] of (source.duckdb ?? []).entries()) {
    await c.run(`ATTACH '${file}' AS w${i} (READ_ONLY)`);
    parts.push(`SELECT * FROM w${i}.trips`);
  }
  if (source.parquet && source.parquet.length > 0) parts.push(`SELECT * FROM read_parquet([${source.parquet.map((f) => `'${f}'`).join(',')}])`);
  const [r] = (await c.runAndReadAll(`${CONTENTS} (${parts.join(' UNION ALL BY NAME ')})`)).getRowObjectsJson();
  c.closeSync(); db.closeSync();
  return { rows: Number(r?.rows), ids: Number(r?.ids), hash: JSON.stringify(r?.h ?? null) };
}
