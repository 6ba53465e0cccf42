// Runs one child process and measures it: wall time, CPU seconds (user + sys, all threads) and
// peak RSS. GNU time (`/usr/bin/time -f`) reports what the kernel accounted at exit; without it,
// /proc/<pid>/status (VmHWM) and /proc/<pid>/stat (utime, stime) are polled while the child runs,
// which can miss the last moments of CPU time (the method used is in every result). Either way the
// CPU of each of the child's threads is polled from /proc, by thread name (threads.ts).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clockTicks } from '../../libs/workers/src/thread-cpu.js';
import { threadCpuPoller } from './threads.js';

export type MeasureMethod = 'gnu-time' | 'proc-poll';

export interface Measured {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly method: MeasureMethod;
  /** CPU seconds of the child's threads by name, polled (threads.ts); {} where /proc is not. */
  readonly cpuByThread: Readonly<Record<string, number>>;
  readonly stdout: string;
  /** Where the child's stderr went (kept until the temporary directory is removed). */
  readonly stderrPath: string;
}

export interface ChildSpec {
  /** What the child is, for messages: `taxi ingest`. */
  readonly label: string;
  /** The executable (default: this node); a baseline's is its venv's python. */
  readonly command?: string;
  /** Arguments after the executable. */
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** A directory of this run, for the child's stderr and GNU time's report. */
  readonly dir: string;
}

/** A child that exited non-zero or on a signal; the message ends with the tail of its stderr. */
export class ChildFailed extends Error {
  constructor(label: string, how: string, stderrTail: string) {
    super(`${label} ${how}; the end of its stderr:\n${stderrTail || '(empty)'}`);
    this.name = 'ChildFailed';
  }
}

const TIME = '/usr/bin/time';
const MARK = 'taxi-bench-time';

let timeWorks: boolean | undefined;
/** Whether GNU time is there and takes -f/-o (busybox's does not take -o). */
export function gnuTimeAvailable(): boolean {
  timeWorks ??= existsSync(TIME) && spawnSync(TIME, ['-f', '%e %M', '-o', '/dev/null', 'true']).status === 0;
  return timeWorks;
}

const running = new Set<number>();
/** Children still running (for a Ctrl-C handler). */
export function runningChildren(): readonly number[] { return [...running]; }

export async function runMeasured(spec: ChildSpec): Promise<Measured> {
  const method: MeasureMethod = gnuTimeAvailable() ? 'gnu-time' : 'proc-poll';
  const stamp = `${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;
  const stderrPath = join(spec.dir, `stderr-${stamp}.log`);
  const timePath = join(spec.dir, `time-${stamp}.txt`);
  const errFd = openSync(stderrPath, 'w');
  const executable = spec.command ?? process.execPath;
  const [command, args] = method === 'gnu-time'
    ? [TIME, ['-f', `${MARK} %e %U %S %M %x`, '-o', timePath, executable, ...spec.args]]
    : [executable, [...spec.args]];
  const started = performance.now();
  const child = spawn(command, args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', errFd] });
  closeSync(errFd);
  if (child.pid !== undefined) running.add(child.pid);
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => { chunks.push(d); });
  const poll = method === 'proc-poll' && child.pid !== undefined ? procPoller(child.pid) : undefined;
  // Under GNU time the measured process is time's child.
  const threads = child.pid === undefined ? undefined : threadCpuPoller(child.pid, method === 'gnu-time');
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => { resolve({ code, signal }); });
  }).finally(() => { if (child.pid !== undefined) running.delete(child.pid); });
  const wallSeconds = (performance.now() - started) / 1000;
  const sample = poll?.stop();
  const cpuByThread = threads?.stop() ?? {};
  const stdout = Buffer.concat(chunks).toString('utf8');
  if (exit.code !== 0) {
    throw new ChildFailed(spec.label, exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`, await tail(stderrPath));
  }
  if (method === 'proc-poll') {
    return { wallSeconds, cpuSeconds: sample?.cpuSeconds ?? Number.NaN, peakRssBytes: sample?.peakRssBytes ?? Number.NaN, method, cpuByThread, stdout, stderrPath };
  }
  const line = (await readFile(timePath, 'utf8')).split('\n').find((l) => l.startsWith(MARK));
  const fields = line?.split(' ').slice(1).map(Number);
  if (fields?.length !== 5 || fields.some((v) => !Number.isFinite(v))) {
    throw new Error(`${spec.label}: cannot read GNU time's report in ${timePath}: ${line ?? '(no line)'}`);
  }
  const [, user, sys, maxRssKb] = fields as [number, number, number, number, number];
  return { wallSeconds, cpuSeconds: user + sys, peakRssBytes: maxRssKb * 1024, method, cpuByThread, stdout, stderrPath };
}

/** The last `lines` lines of a file (a child's stderr). */
export async function tail(path: string, lines = 40): Promise<string> {
  try {
    const text = (await readFile(path, 'utf8')).trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function procPoller(pid: number): { stop: () => { cpuSeconds: number; peakRssBytes: number } } {
  const ticks = clockTicks();
  let peakRssBytes = 0;
  let cpuSeconds = 0;
  const read = (): void => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) peakRssBytes = Math.max(peakRssBytes, Number(hwm[1]) * 1024);
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields 14 and 15 of stat (utime, stime); `rest` starts at field 3
      cpuSeconds = (Number(rest[11]) + Number(rest[12])) / ticks;
    } catch {
      // the child has exited: keep the last sample
    }
  };
  read();
  const timer = setInterval(read, 50);
  return { stop: () => { clearInterval(timer); return { cpuSeconds, peakRssBytes }; } };
}
