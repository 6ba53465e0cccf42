import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// CPU time by thread name, from /proc/<pid>/task/<tid>/stat (Linux): the service's worker threads
// carry names of their own (thread-name.ts), Node's keep theirs (MainThread, V8Worker for V8's
// collector and compiler helpers, libuv-worker). Every service's /metrics (taxi_<service>_thread_cpu_seconds_total)
// and the benchmark read it. Elsewhere than Linux there is no /proc and every figure is empty.

let ticks: number | undefined;
/** Clock ticks per second, the unit of /proc's CPU times (getconf CLK_TCK, read once; else 100). */
export function clockTicks(): number {
  if (ticks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    // status null: getconf did not start (stdout is then null too)
    const n = r.status === 0 ? Number(r.stdout.trim()) : Number.NaN;
    ticks = n > 0 ? n : 100;
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

/**
 * The CPU seconds of a process's threads by name, over its life so far: each read adds the threads
 * seen now to those that have ended since, at the CPU they had when last read (what a thread used
 * after that is missed). So each name's figure never goes down, as a Prometheus counter must not.
 */
export class ThreadCpuTotals {
  readonly #pid: number | 'self';
  /** Threads seen at the last read, by id. */
  #live = new Map<string, ThreadCpu>();
  /** CPU of the threads that ended, by name. */
  readonly #ended = new Map<string, number>();

  constructor(pid: number | 'self' = 'self') {
    this.#pid = pid;
  }

  /** Reads the threads now; false when the process (or /proc) is not there, the figures kept. */
  read(): boolean {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${this.#pid}/task`);
    } catch {
      return false;
    }
    // Read here, not when constructed: a service makes one at start-up, and reads it at its first scrape.
    const ticks = clockTicks();
    const live = new Map<string, ThreadCpu>();
    for (const tid of tids) {
      try {
        const thread = parseThreadStat(readFileSync(`/proc/${this.#pid}/task/${tid}/stat`, 'utf8'), ticks);
        if (thread) live.set(tid, thread);
      } catch {
        // the thread ended between the listing and the read: counted below, as ended
      }
    }
    for (const [tid, thread] of this.#live) {
      // Gone, or its id taken by a new thread since (less CPU than it had). A thread that renamed
      // itself since (a worker naming its thread as it loads) is the same thread: its CPU moves
      // to the new name.
      const now = live.get(tid);
      if (!now || now.seconds < thread.seconds) this.#ended.set(thread.name, (this.#ended.get(thread.name) ?? 0) + thread.seconds);
    }
    this.#live = live;
    return true;
  }

  /** CPU seconds by thread name (ended threads and those seen at the last read), largest first. */
  byName(): Record<string, number> {
    const out = new Map(this.#ended);
    for (const { name, seconds } of this.#live.values()) out.set(name, (out.get(name) ?? 0) + seconds);
    return Object.fromEntries([...out].sort(([, a], [, b]) => b - a));
  }
}
