// Where a child's CPU goes, by thread: each thread's utime + stime is polled from
// /proc/<pid>/task/<tid>/stat while the child runs, and summed by thread name. The service names
// its worker threads (libs/workers/src/thread-name.ts: taxi-transform, taxi-pq-decode,
// taxi-pq-encode, taxi-duckdb); Node names its own (MainThread, V8Worker for V8's collector and
// compiler helpers, libuv-worker for the libuv pool that runs fs calls and DuckDB's async queries).
// A thread's CPU after its last poll is missed (up to THREAD_POLL_MS of it, for a thread that ends
// before the child does), so the sum can fall a little short of the child's own CPU figure.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const THREAD_POLL_MS = 100;

/** The line the scopes that report CPU by thread add to their notes. */
export const CPU_BY_THREAD_NOTE = `cpu.<thread> = CPU seconds of the child's threads of that name, polled from /proc every ${THREAD_POLL_MS} ms (bench/lib/threads.ts): a thread's last moments before it ends can be missed, so they may add up to a little less than the child's CPU`;

let ticks: number | undefined;
/** Clock ticks per second, the unit of /proc's CPU times. */
export function clockTicks(): number {
  if (ticks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout.trim());
    ticks = r.status === 0 && n > 0 ? n : 100;
  }
  return ticks;
}

export interface ThreadCpu {
  readonly name: string;
  readonly seconds: number;
}

/** A thread's name and CPU seconds (utime + stime) from the text of its /proc/<pid>/task/<tid>/stat. */
export function parseThreadStat(text: string, ticksPerSecond: number): ThreadCpu | undefined {
  // The name (comm) is in parentheses and may itself hold spaces or parentheses.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // Fields from the 3rd (state) on; utime and stime are the 14th and 15th.
  const rest = text.slice(close + 2).split(' ');
  const seconds = (Number(rest[11]) + Number(rest[12])) / ticksPerSecond;
  return Number.isFinite(seconds) ? { name: text.slice(open + 1, close), seconds } : undefined;
}

/** CPU seconds summed by thread name, rounded to the clock tick's hundredth of a second. */
export function cpuByName(threads: Iterable<ThreadCpu>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { name, seconds } of threads) out[name] = (out[name] ?? 0) + seconds;
  return Object.fromEntries(Object.entries(out).sort(([, a], [, b]) => b - a).map(([name, s]) => [name, Math.round(s * 100) / 100]));
}

/** The per-thread figures as a scope's extras: `cpu.<thread name>`. */
export function cpuExtra(byThread: Readonly<Record<string, number>>, prefix = 'cpu.'): Record<string, number> {
  return Object.fromEntries(Object.entries(byThread).map(([name, seconds]) => [`${prefix}${name}`, seconds]));
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
 * time runs) every THREAD_POLL_MS until stop(), which returns their CPU by name: {} where /proc
 * is not there.
 */
export function threadCpuPoller(pid: number, viaParent: boolean): { stop: () => Record<string, number> } {
  const perSecond = clockTicks();
  const last = new Map<string, ThreadCpu>();
  let target = viaParent ? undefined : pid;
  const read = (): void => {
    target ??= firstChild(pid);
    if (target === undefined) return;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${target}/task`);
    } catch {
      return; // the process has exited: keep the last poll
    }
    for (const tid of tids) {
      try {
        const thread = parseThreadStat(readFileSync(`/proc/${target}/task/${tid}/stat`, 'utf8'), perSecond);
        if (thread) last.set(tid, thread);
      } catch {
        // the thread ended between the listing and the read
      }
    }
  };
  read();
  const timer = setInterval(read, THREAD_POLL_MS);
  return { stop: () => { clearInterval(timer); return cpuByName(last.values()); } };
}
