// The ingestor's /readyz and /status, through the real fastify app (inject, no socket): ready when
// the bus and the object store answer, 503 naming the failing check when one does not or when
// draining; /status carries the ingestor's snapshot and the probes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t from 'tap';
import type { Test } from 'tap';
import { memoryBus } from '../../../libs/bus/src/index.js';
import { AppError } from '../../../libs/errors/src/index.js';
import { ContinuousIngestor, continuousIngestOptionsSchema, defaultTopics } from '../../../libs/ingest/src/index.js';
import { localDirObjectStore } from '../../../libs/objectstore/src/index.js';
import type { ObjectStore } from '../../../libs/objectstore/src/index.js';
import type { ParquetCodec } from '../../../libs/parquet/src/index.js';
import type { HttpSource } from '../../../libs/source/src/index.js';
import { buildHttpApp, ingestorMetrics } from '../../../libs/telemetry/src/index.js';
import { ingestorHealth } from '../src/ingestor-health.js';

const source: HttpSource = { name: 'fake', fetch: () => Promise.reject(new Error('unused')), headMonth: async () => ({ published: false }) };

async function appWith(t: Test, store: ObjectStore, draining: () => boolean) {
  const bus = memoryBus();
  const topics = defaultTopics();
  await bus.ensureTopics([{ name: topics.manifest, partitions: 1, compacted: true }]);
  const registry = new Registry();
  const ingestor = new ContinuousIngestor({ bus, store, source, codec: {} as ParquetCodec, log: pino({ level: 'silent' }), metrics: ingestorMetrics(registry) },
    { ...continuousIngestOptionsSchema.parse({ services: ['green'], lookBackMonths: 2 }), topics });
  const health = ingestorHealth({ bus, store, ingestor, sourceUrl: 'http://127.0.0.1/trip-data/', draining, readiness: { intervalMs: 60_000, timeoutMs: 500 } });
  await health.start();
  const app = buildHttpApp(registry, health.health);
  t.teardown(async () => { health.stop(); await ingestor.stop(); await app.close(); });
  return { app, ingestor };
}

t.test('ready when the bus and the object store answer; 503 while draining', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-health-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const store = localDirObjectStore({ root: dir });
  await store.connect();
  let draining = false;
  const { app, ingestor } = await appWith(t, store, () => draining);
  const ready = await app.inject('/readyz');
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { ok: true, checks: { bus: { ok: true }, objectStore: { ok: true }, draining: { ok: true } } });
  await ingestor.runCycle();
  const status = (await app.inject('/status')).json<Record<string, unknown>>();
  t.match(status, { source: 'http://127.0.0.1/trip-data/', state: 'idle', services: ['green'], unpublished: Array, lastCycle: { outcome: 'ok' }, dependencies: { bus: { ok: true } } });
  draining = true;
  const drain = await app.inject('/readyz');
  t.equal(drain.statusCode, 503);
  t.match(drain.json(), { ok: false, checks: { draining: { ok: false, error: /draining/ } } });
});

t.test('503 naming the object store when it does not answer', async (t) => {
  const down = { head: () => Promise.reject(new AppError('TAXI_ERR_OBJECT_UNAVAILABLE', 'gs://bucket: 503 after 5 attempts', { retryable: true })) } as unknown as ObjectStore;
  const { app } = await appWith(t, down, () => false);
  const ready = await app.inject('/readyz');
  t.equal(ready.statusCode, 503);
  t.match(ready.json(), { ok: false, checks: { bus: { ok: true }, objectStore: { ok: false, error: /503 after 5 attempts/ } } });
});
