import { collectDefaultMetrics, Registry } from 'prom-client';
import { threadCpuMetric } from './thread-cpu-metric.js';

/**
 * A service's metrics registry: prom-client's process and Node metrics and the CPU by thread
 * (thread-cpu-metric.ts), every name under `prefix` (taxi_processor_, taxi_ingestor_, ...).
 */
export function serviceRegistry(prefix: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  threadCpuMetric(registry, prefix);
  return registry;
}
