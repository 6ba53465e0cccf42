// CPU by thread name from /proc (thread-cpu.ts), as the processor's /metrics and the benchmark read it.
import t from 'tap';
import { clockTicks, parseThreadStat, ThreadCpuTotals } from '../src/thread-cpu.js';
import { spinningWorker } from './spin.js';

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
  const spinner = spinningWorker(['spin-test'], 300);
  await spinner.next();
  totals.read();
  const during = totals.byName()['spin-test'] ?? 0;
  t.ok(during >= 0.29, `the live thread's CPU (${during} s, of which 0.3 s spun)`);
  await spinner.end();
  totals.read();
  t.equal(totals.byName()['spin-test'], during, 'kept after it ended, at the CPU last read');
  t.notOk(new ThreadCpuTotals(2 ** 30).read(), 'no such process: nothing read');
});

t.test('a thread that renames itself is one thread: its CPU moves to the new name, not counted twice', { skip: !linux && 'Linux /proc only' }, async (t) => {
  const totals = new ThreadCpuTotals();
  const spinner = spinningWorker(['spin-first', 'spin-second'], 200);
  await spinner.next();
  totals.read();
  t.ok((totals.byName()['spin-first'] ?? 0) >= 0.19, 'seen under its first name');
  await spinner.next();
  totals.read();
  const second = totals.byName()['spin-second'] ?? 0;
  t.ok(second >= 0.39, `its whole CPU under its new name (${second} s, of which 0.4 s spun)`);
  t.equal(totals.byName()['spin-first'], undefined, 'none of it left under the old one');
  await spinner.end();
});
