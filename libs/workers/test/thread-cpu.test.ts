// CPU by thread name from /proc (thread-cpu.ts), as the processor's /metrics and the benchmark read it.
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { clockTicks, parseThreadStat, ThreadCpuTotals } from '../src/thread-cpu.js';

const linux = process.platform === 'linux';

t.test('a /proc stat line: the name (spaces and parentheses in it too) and utime + stime in seconds', async (t) => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const line = (comm: string, utime: number, stime: number): string => `4242 (${comm}) R 1 1 1 0 -1 4194368 10 0 0 0 ${utime} ${stime} 0 0 20 0 9 0 100 0 0`;
  t.same(parseThreadStat(line('taxi-duckdb', 250, 50), 100), { name: 'taxi-duckdb', seconds: 3 });
  t.same(parseThreadStat(line('a (b) c', 7, 3), 100), { name: 'a (b) c', seconds: 0.1 });
  t.equal(parseThreadStat('no parentheses here', 100), undefined);
  t.equal(parseThreadStat('1 (x) R', 100), undefined, 'a line cut short has no times');
  t.equal(clockTicks(), clockTicks(), 'the clock tick rate is read once');
});

t.test('a thread\'s CPU stays counted under its name after it ends, and no figure goes down', { skip: !linux && 'Linux /proc only' }, async (t) => {
  const totals = new ThreadCpuTotals();
  t.ok(totals.read(), 'this process\'s threads read');
  t.ok((totals.byName().MainThread ?? 0) > 0, 'the main thread under Node\'s name');
  const w = new Worker(`require('node:fs').writeFileSync('/proc/thread-self/comm', 'spin-test'); const end = Date.now() + 600; while (Date.now() < end); setTimeout(() => {}, 300);`, { eval: true });
  await new Promise((resolve) => setTimeout(resolve, 750)); // spun, now idle until it ends
  totals.read();
  const during = totals.byName()['spin-test'] ?? 0;
  t.ok(during >= 0.3, `the live thread's CPU (${during} s of its 0.6 s spin)`);
  await new Promise((resolve) => w.once('exit', resolve));
  totals.read();
  t.equal(totals.byName()['spin-test'], during, 'kept after it ended, at the CPU last read');
  t.notOk(new ThreadCpuTotals(2 ** 30).read(), 'no such process: nothing read');
});

t.test('a thread that renames itself is one thread: its CPU moves to the new name, not counted twice', { skip: !linux && 'Linux /proc only' }, async (t) => {
  const totals = new ThreadCpuTotals();
  totals.read();
  const before = totals.byName().WorkerThread ?? 0;
  // Spins 400 ms under Node's worker thread name, then takes a name of its own and idles.
  const w = new Worker("const end = Date.now() + 400; while (Date.now() < end); require('node:fs').writeFileSync('/proc/thread-self/comm', 'renamed-test'); setTimeout(() => {}, 400);", { eval: true });
  await new Promise((resolve) => setTimeout(resolve, 300));
  totals.read(); // still spinning, as WorkerThread
  t.ok((totals.byName().WorkerThread ?? 0) - before >= 0.15, 'seen under the name it started with');
  await new Promise((resolve) => setTimeout(resolve, 300));
  totals.read(); // renamed
  const renamed = totals.byName()['renamed-test'] ?? 0;
  t.ok(renamed >= 0.3, `its whole CPU under its new name (${renamed} s)`);
  t.ok((totals.byName().WorkerThread ?? 0) - before < 0.05, 'and none of it left under the old one');
  await new Promise((resolve) => w.once('exit', resolve));
});
