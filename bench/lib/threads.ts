// Where a child's CPU goes, by thread: libs/workers/src/thread-cpu.ts reads the threads of the
// child's process from /proc every THREAD_POLL_MS while it runs and keeps each name's CPU, ended
// threads included (every service's /metrics reads it the same way). The service names its worker
// threads (libs/workers/src/thread-name.ts: taxi-transform, taxi-pq-decode, taxi-pq-encode,
// taxi-duckdb); Node names its own (MainThread, V8Worker for V8's collector and compiler helpers,
// libuv-worker for the libuv pool that runs fs calls and DuckDB's async queries). A thread's CPU
// after its last poll is missed (up to THREAD_POLL_MS of it, for a thread that ends before the
// child does), so the sum can fall a little short of the child's own CPU figure.
import { readFileSync } from 'node:fs';
import { ThreadCpuTotals } from '../../libs/workers/src/thread-cpu.js';

export const THREAD_POLL_MS = 100;

/** The line the scopes that report CPU by thread add to their notes. */
export const CPU_BY_THREAD_NOTE = `cpu.<thread> = CPU seconds of the child's threads of that name, polled from /proc every ${THREAD_POLL_MS} ms (bench/lib/threads.ts): a thread's last moments before it ends can be missed, so they may add up to a little less than the child's CPU`;

/** The per-thread figures, to the hundredth of a second, as a scope's extras: `cpu.<thread name>`. */
export function cpuExtra(byThread: Readonly<Record<string, number>>, prefix = 'cpu.'): Record<string, number> {
  return Object.fromEntries(Object.entries(byThread).map(([name, seconds]) => [`${prefix}${name}`, Math.round(seconds * 100) / 100]));
}

/** The first child of `pid` (GNU time's one child), when /proc lists it. */
function firstChild(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Polls the threads of process `pid` (or, with `viaParent`, of its first child: the command GNU
 * time runs) every THREAD_POLL_MS until stop(), which returns their CPU by name, largest first:
 * {} where /proc is not there.
 */
export function threadCpuPoller(pid: number, viaParent: boolean): { stop: () => Record<string, number> } {
  let totals = viaParent ? undefined : new ThreadCpuTotals(pid);
  const read = (): void => {
    if (!totals) {
      const child = firstChild(pid);
      if (child === undefined) return;
      totals = new ThreadCpuTotals(child);
    }
    totals.read(); // after the process exits, the last read's figures stay
  };
  read();
  const timer = setInterval(read, THREAD_POLL_MS);
  return { stop: () => { clearInterval(timer); return totals?.byName() ?? {}; } };
}
