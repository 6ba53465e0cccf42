import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** One named readiness check as /readyz reports it; `error` says why it fails. */
export interface ReadyCheck {
  readonly ok: boolean;
  readonly error?: string;
}

export interface HealthChecks {
  /** Liveness: the process is not wedged. */
  readonly live: () => boolean;
  /**
   * Readiness: dependencies reachable and the service is not draining; the failing checks are
   * named. A check may be a bare boolean; /readyz reports every check as `{ ok, error? }`.
   */
  readonly ready: () => Promise<{ ok: boolean; checks: Record<string, ReadyCheck | boolean> }>;
  readonly status?: () => Promise<Record<string, unknown>>;
}

/**
 * The HTTP face of every service: /healthz, /readyz, /metrics (Prometheus text), /status (JSON).
 * Built apart from listen() so tests can inject() requests.
 */
export function buildHttpApp(registry: Registry, health: HealthChecks): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async (_req, reply) => {
    const ok = health.live();
    return reply.code(ok ? 200 : 503).send({ ok });
  });
  app.get('/readyz', async (_req, reply) => {
    const result = await health.ready();
    const checks = Object.fromEntries(Object.entries(result.checks).map(([name, c]) => [name, typeof c === 'boolean' ? { ok: c } : c]));
    return reply.code(result.ok ? 200 : 503).send({ ok: result.ok, checks });
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/status', async () => (health.status ? health.status() : {}));
  return app;
}
