import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  /** Liveness: the process is not wedged. */
  readonly live: () => boolean;
  /** Readiness: dependencies reachable and the service is not draining; the failing checks are named. */
  readonly ready: () => Promise<{ ok: boolean; checks: Record<string, boolean> }>;
  readonly status?: () => Promise<Record<string, unknown>>;
}

/**
 * The HTTP face of every service: /healthz, /readyz, /metrics (Prometheus text), /status (JSON).
 * Built apart from listen() so tests can inject() requests.
 */
export function buildHttpApp(registry: Registry, health: HealthChecks): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async (_req, reply) => reply.code(health.live() ? 200 : 503).send({ ok: health.live() }));
  app.get('/readyz', async (_req, reply) => {
    const result = await health.ready();
    return reply.code(result.ok ? 200 : 503).send(result);
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/status', async () => (health.status ? health.status() : {}));
  return app;
}
