// The ingestor's /healthz, /readyz and /status: what each answers is decided here, from the
// adapters `taxi serve-ingestor` built; the probes of the dependencies run in the background.
import type { Bus } from '../../../libs/bus/src/index.js';
import type { ContinuousIngestor } from '../../../libs/ingest/src/index.js';
import type { ObjectStore } from '../../../libs/objectstore/src/index.js';
import { readiness, readyCheck } from '../../../libs/telemetry/src/index.js';
import type { HealthChecks, ReadinessOptions, ReadyCheck } from '../../../libs/telemetry/src/index.js';

export interface IngestorHealthDeps {
  readonly bus: Bus;
  readonly store: ObjectStore;
  readonly ingestor: ContinuousIngestor;
  /** The source's folder URL, shown in /status. */
  readonly sourceUrl: string;
  /** True from SIGTERM/SIGINT on. */
  readonly draining: () => boolean;
  readonly readiness: ReadinessOptions;
}

/**
 * /readyz: 200 when the bus and the object store answered their last probe and the ingestor is
 * not draining; else 503 with the failing checks' errors. (The source is not a readiness check:
 * the TLC being down delays a month, it does not make this pod unfit.) /healthz: the process
 * answers. /status: the ingestor's snapshot (months known, pending, ingested, failed with their
 * errors, last and next cycle, last error) and the last probe of each dependency.
 */
export function ingestorHealth(d: IngestorHealthDeps): { health: HealthChecks; start: () => Promise<void>; stop: () => void } {
  const probes = readiness({
    bus: () => d.bus.ping(),
    // Any answer proves the store is reachable; the key need not exist.
    objectStore: () => d.store.head('health/ping'),
  }, d.readiness);
  const health: HealthChecks = {
    live: () => true,
    ready: async () => {
      const checks: Record<string, ReadyCheck> = {
        ...probes.checks(),
        draining: readyCheck(!d.draining(), 'draining: stopping, starting no month'),
      };
      return { ok: Object.values(checks).every((c) => c.ok), checks };
    },
    status: async () => ({ source: d.sourceUrl, ...d.ingestor.status(), dependencies: probes.snapshot() }),
  };
  return { health, start: () => probes.start(), stop: () => { probes.stop(); } };
}
