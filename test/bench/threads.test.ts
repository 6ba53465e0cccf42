// The benchmark's CPU by thread (bench/lib/threads.ts, over libs/workers/src/thread-cpu.ts), and the
// thread names it reads, which the service's worker modules give their threads (thread-name.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runMeasured } from '../../bench/lib/child.js';
import { cpuExtra, threadCpuPoller } from '../../bench/lib/threads.js';
import { THREAD_NAMES } from '../../libs/workers/src/thread-name.js';
import { cliEnv } from '../helpers/cli-env.js';

const root = new URL('../..', import.meta.url).pathname;
const linux = process.platform === 'linux';

t.test('the figures become extras under a prefix, to the hundredth of a second', async (t) => {
  const by = { 'taxi-transform': 2.254, V8Worker: 0.75 };
  t.same(cpuExtra(by), { 'cpu.taxi-transform': 2.25, 'cpu.V8Worker': 0.75 });
  t.same(cpuExtra(by, 'ingestCpu.'), { 'ingestCpu.taxi-transform': 2.25, 'ingestCpu.V8Worker': 0.75 });
});

/** A node child whose worker names its thread as the service's do, spins 500 ms of its own CPU, and ends. */
function spinner(viaShell: boolean): ReturnType<typeof spawn> {
  const code = `const { Worker } = require('node:worker_threads');
    new Worker("require('node:fs').writeFileSync('/proc/thread-self/comm', 'spin-worker'); const s = process.threadCpuUsage(); for (;;) { const u = process.threadCpuUsage(s); if (u.user + u.system >= 500000) break; }", { eval: true });`;
  // Through a shell that stays the parent (it runs a second command after node): as under GNU time.
  return viaShell ? spawn('sh', ['-c', `"${process.execPath}" -e "$CODE"; true`], { env: { ...process.env, CODE: code }, stdio: 'ignore' })
    : spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
}

for (const viaParent of [false, true]) {
  t.test(`the poller reads each thread of ${viaParent ? 'the child of the process it is given' : 'the process it is given'}`, { skip: !linux && 'Linux /proc only' }, async (t) => {
    const child = spinner(viaParent);
    const poller = threadCpuPoller(child.pid ?? -1, viaParent);
    await new Promise((resolve) => child.once('close', resolve));
    const by = poller.stop();
    t.ok((by['spin-worker'] ?? 0) >= 0.3, `the named worker's CPU is counted (${by['spin-worker']} s, of which 0.5 s spun; a poll every 100 ms can miss its last moments)`);
    t.ok('MainThread' in by, 'Node\'s own threads under their names');
  });
}

t.test('taxi run\'s threads carry the service\'s names, and the benchmark counts each', { skip: !linux && 'Linux /proc only' }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'taxi-threads-'));
  t.teardown(() => { rmSync(out, { recursive: true, force: true }); });
  const measured = await runMeasured({
    label: 'taxi run', cwd: root, dir: out, env: cliEnv({ ...process.env, TAXI__OBJECT_STORE__LOCAL__ROOT: join(out, 'objects') }),
    args: [join(root, 'bin', 'taxi.js'), 'run', '--json', '--out', join(out, 'run')],
  });
  const by = measured.cpuByThread;
  for (const name of Object.values(THREAD_NAMES)) t.ok((by[name] ?? 0) > 0, `${name}: ${by[name]} s`);
  t.ok((by.MainThread ?? 0) > 0, 'the main thread keeps Node\'s name');
  const polled = Object.values(by).reduce((a, b) => a + b, 0);
  // Under GNU time the threads polled are its child's: most of the CPU (a thread's last moments
  // before it ends can be missed), and never more.
  t.ok(polled <= measured.cpuSeconds + 0.05 && polled >= 0.5 * measured.cpuSeconds, `the threads (${polled.toFixed(2)} s) account for the child's CPU (${measured.cpuSeconds.toFixed(2)} s)`);
});
