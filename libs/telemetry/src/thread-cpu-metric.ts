import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { ThreadCpuTotals } from '../../workers/src/thread-cpu.js';

/**
 * `<prefix>thread_cpu_seconds_total{thread}`: CPU seconds of the process's threads by name, read
 * from /proc at each scrape (Linux; elsewhere the metric has no series). The service's worker
 * threads are named by stage (taxi-transform, taxi-pq-encode, taxi-pq-decode, taxi-duckdb), so
 * `rate()` of it shows which stage uses the cores. A thread's CPU after the scrape before it
 * ended is not counted.
 */
export function threadCpuMetric(registry: Registry, prefix: string): Counter<'thread'> {
  const totals = new ThreadCpuTotals();
  const counted = new Map<string, number>();
  return new Counter({
    name: `${prefix}thread_cpu_seconds_total`, help: 'CPU seconds (user + system) of the process\'s threads, by thread name (Linux /proc)', labelNames: ['thread'], registers: [registry],
    collect() {
      if (!totals.read()) return;
      for (const [thread, seconds] of Object.entries(totals.byName())) {
        const more = seconds - (counted.get(thread) ?? 0);
        if (more > 0) {
          this.inc({ thread }, more);
          counted.set(thread, seconds);
        }
      }
    },
  });
}
