// A service's registry: prom-client's process metrics and the CPU by thread name (thread-cpu-metric.ts).
import t from 'tap';
import { spinningWorker } from '../../workers/test/spin.js';
import { serviceRegistry } from '../src/index.js';

const linux = process.platform === 'linux';

/** The value of `<name>{thread="<thread>"}` in a scrape, or undefined. */
function sample(text: string, name: string, thread: string): number | undefined {
  const m = new RegExp(`^${name}\\{thread="${thread}"\\} ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

t.test('process metrics and CPU seconds by thread name, under the service\'s prefix', { skip: !linux && 'Linux /proc only' }, async (t) => {
  const registry = serviceRegistry('taxi_test_');
  const first = await registry.metrics();
  t.match(first, /^# TYPE taxi_test_process_cpu_user_seconds_total counter$/m, 'prom-client\'s process metrics');
  t.match(first, /^# TYPE taxi_test_thread_cpu_seconds_total counter$/m, 'a counter');
  t.ok((sample(first, 'taxi_test_thread_cpu_seconds_total', 'MainThread') ?? 0) > 0, 'the main thread, under Node\'s name');
  const spinner = spinningWorker(['spin-metric'], 300);
  await spinner.next();
  const during = sample(await registry.metrics(), 'taxi_test_thread_cpu_seconds_total', 'spin-metric') ?? 0;
  t.ok(during >= 0.29, `a named thread's CPU (${during} s, of which 0.3 s spun)`);
  await spinner.end();
  t.equal(sample(await registry.metrics(), 'taxi_test_thread_cpu_seconds_total', 'spin-metric'), during, 'still counted after the thread ended, never less');
});
