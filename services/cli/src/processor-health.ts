// The processor's /healthz, /readyz and /status: what each answers is decided here, from the
// adapters `taxi process` built; the probes of the dependencies run in the background.
import type { Bus, GroupConsumer } from '../../../libs/bus/src/index.js';
import { messageOf } from '../../../libs/errors/src/index.js';
import type { ObjectStore } from '../../../libs/objectstore/src/index.js';
import type { KafkaProcessor, Pipeline } from '../../../libs/processor/src/index.js';
import { readiness, readyCheck } from '../../../libs/telemetry/src/index.js';
import type { HealthChecks, ReadinessOptions, ReadyCheck } from '../../../libs/telemetry/src/index.js';
import type { Warehouse } from '../../../libs/warehouse/src/index.js';

export interface ProcessorHealthDeps {
  readonly bus: Bus;
  readonly store: ObjectStore;
  readonly warehouse: Warehouse;
  readonly pipeline: Pipeline;
  readonly processor: KafkaProcessor;
  readonly consumer: GroupConsumer;
  readonly groupId: string;
  readonly topic: string;
  /** True once the consumer runs (it joined the group). */
  readonly started: () => boolean;
  /** True from SIGTERM/SIGINT (or a failure) on: the processor drains and leaves. */
  readonly draining: () => boolean;
  readonly readiness: ReadinessOptions;
}

/**
 * /readyz: 200 when the bus, the object store and the warehouse answered their last probe, the
 * worker pool has threads, the consumer runs, and the processor is not draining; else 503 with
 * the failing checks' errors. /healthz fails only on a fatal processor error (a broker outage is
 * not one: the consumer rejoins by itself). /status: months seen, committed offsets and lag per
 * owned partition, the last error.
 */
export function processorHealth(d: ProcessorHealthDeps): { health: HealthChecks; start: () => Promise<void>; stop: () => void } {
  const probes = readiness({
    bus: () => d.bus.ping(),
    // Any answer proves the store is reachable; the key need not exist.
    objectStore: () => d.store.head('health/ping'),
    warehouse: () => d.warehouse.ping(),
  }, d.readiness);
  const health: HealthChecks = {
    live: () => d.processor.failure === undefined,
    ready: async () => {
      const probed = probes.checks();
      const failure = d.processor.failure;
      const checks: Record<string, ReadyCheck> = {
        ...probed,
        pool: readyCheck(d.pipeline.poolUp, 'the transform worker pool has no threads'),
        consumer: readyCheck(d.started() && failure === undefined, failure ? messageOf(failure) : 'not in the consumer group yet'),
        draining: readyCheck(!d.draining(), 'draining: stopping, not taking work'),
      };
      return { ok: Object.values(checks).every((c) => c.ok), checks };
    },
    status: async () => {
      const partitions = await d.consumer.lag().then((lags) => lags.map((l) => ({ partition: l.partition, committedOffset: l.committed ?? null, highWatermark: l.high, lag: l.lag })),
        (error: unknown) => ({ error: messageOf(error) }));
      return { groupId: d.groupId, topic: d.topic, months: Object.fromEntries(d.pipeline.counts), partitions, lastError: d.processor.lastError ?? null };
    },
  };
  return { health, start: () => probes.start(), stop: () => { probes.stop(); } };
}
