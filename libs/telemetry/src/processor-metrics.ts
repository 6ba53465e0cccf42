import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * The processor's metrics (Prometheus names: taxi_<stage>_<thing>_<unit>). Labels come from small
 * sets only: service, reason, partition. Conservation per month holds as
 * rows_in = rows_out + rows_rejected (deploy/k8s alerts on it).
 */
export interface ProcessorMetrics {
  readonly rowsIn: Counter<'service'>;
  readonly rowsOut: Counter<'service'>;
  readonly rowsRejected: Counter<'service' | 'reason'>;
  readonly dlqMessages: Counter<'reason'>;
  readonly batchSeconds: Histogram<'service'>;
  readonly inFlight: Gauge;
}

export function processorMetrics(registry: Registry, sources: {
  poolUtilization: () => number;
  inFlight: () => number;
  consumerLag?: () => Promise<{ partition: number; lag: number }[]>;
}): ProcessorMetrics {
  const registers = [registry];
  new Gauge({ name: 'taxi_processor_pool_utilization_ratio', help: 'Share of the transform worker pool in use, 0-1', registers,
    collect() { this.set(sources.poolUtilization()); } });
  if (sources.consumerLag) {
    const lag = sources.consumerLag;
    new Gauge({ name: 'taxi_processor_consumer_lag_messages', help: 'Messages on the raw topic not yet committed by the group, per owned partition', labelNames: ['partition'], registers,
      async collect() {
        this.reset();
        for (const l of await lag().catch(() => [])) this.set({ partition: String(l.partition) }, l.lag);
      } });
  }
  return {
    rowsIn: new Counter({ name: 'taxi_processor_rows_in_total', help: 'Rows read from raw messages', labelNames: ['service'], registers }),
    rowsOut: new Counter({ name: 'taxi_processor_rows_out_total', help: 'Rows written to both sinks', labelNames: ['service'], registers }),
    rowsRejected: new Counter({ name: 'taxi_processor_rows_rejected_total', help: 'Rows sent to the DLQ, by reason', labelNames: ['service', 'reason'], registers }),
    dlqMessages: new Counter({ name: 'taxi_processor_dlq_messages_total', help: 'Dead letters written (rejected rows; whole messages: undecodable_message, transform_failed), by reason', labelNames: ['reason'], registers }),
    batchSeconds: new Histogram({ name: 'taxi_processor_batch_duration_seconds', help: 'From a raw message accepted to durable in every sink', labelNames: ['service'], registers,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] }),
    inFlight: new Gauge({ name: 'taxi_processor_in_flight_messages', help: 'Raw messages accepted and not yet durable', registers, collect() { this.set(sources.inFlight()); } }),
  };
}
