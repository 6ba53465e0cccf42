import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/**
 * What each of the service's worker threads is called in the operating system, at most 15 bytes
 * (Linux's limit). `top -H`, `ps -L`, /proc/<pid>/task/<tid>/comm and the benchmark's CPU by
 * thread show these names; Node's own threads keep theirs (MainThread, V8Worker, libuv-worker).
 */
export const THREAD_NAMES = {
  /** The processor's transform pool (libs/processor/src/transform-worker.ts). */
  transform: 'taxi-transform',
  /** The Parquet codecs' row-group decode pool. */
  parquetDecode: 'taxi-pq-decode',
  /** The Parquet codecs' file encode pool. */
  parquetEncode: 'taxi-pq-encode',
  /** The DuckDB warehouse's thread (libs/warehouse/src/duckdb-thread-worker.ts). */
  duckdb: 'taxi-duckdb',
} as const;

export type ThreadName = (typeof THREAD_NAMES)[keyof typeof THREAD_NAMES];

/**
 * Names the calling worker thread, by writing /proc/thread-self/comm (Linux: a process may name
 * its own threads). The main thread is left as Node names it, so a module that also loads there
 * can call this at load. Elsewhere than Linux, or without /proc, the thread keeps its name.
 * piscina starts its workers without a `name` (Node 24 names a Worker's thread after that option),
 * so each worker module names its own thread when it loads.
 */
export function nameThisThread(name: ThreadName): boolean {
  if (isMainThread || process.platform !== 'linux') return false;
  try {
    writeFileSync('/proc/thread-self/comm', name);
    return true;
  } catch {
    return false;
  }
}
