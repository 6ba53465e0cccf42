import { messageOf } from '../../errors/src/index.js';
import type { ReadyCheck } from './http.js';

/** A /readyz check: `{ ok: true }`, or `{ ok: false, error }` saying what is wrong. */
export function readyCheck(ok: boolean, error: string | undefined): ReadyCheck {
  return ok ? { ok } : { ok, error: error ?? 'failed' };
}

/** A dependency check: resolves when the dependency answers, rejects (or times out) when not. */
export type Probe = () => Promise<unknown>;

export interface ProbeResult {
  readonly ok: boolean;
  /** When the probe last finished (ms since the epoch); undefined before its first answer. */
  readonly checkedAt: number | undefined;
  readonly error?: string;
}

export interface ReadinessOptions {
  /** How often the probes run (default 5 s). */
  readonly intervalMs?: number;
  /** A probe slower than this counts as failed (default 3 s). */
  readonly timeoutMs?: number;
}

export interface Readiness {
  /** Runs every probe once now and then every intervalMs in the background. */
  start(): Promise<void>;
  stop(): void;
  /** The last result of each probe (a probe still running past its timeout counts as failed). */
  snapshot(): Record<string, ProbeResult>;
  /** The same, as /readyz checks: `{ ok }`, or `{ ok: false, error }`. */
  checks(): Record<string, ReadyCheck>;
  /** True when every probe's last result is ok. */
  readonly ok: boolean;
}

/**
 * Reachability of a service's dependencies (bus, object store, warehouse), probed in the
 * background so /readyz answers at once and a kubelet polling it adds no load on the broker.
 * One probe of each kind runs at a time: a hung dependency is not probed again until its last
 * call ends, and counts as failed from its timeout on.
 */
export function readiness(probes: Record<string, Probe>, options: ReadinessOptions = {}): Readiness {
  const intervalMs = options.intervalMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const results = new Map<string, ProbeResult>(Object.keys(probes).map((name) => [name, { ok: false, checkedAt: undefined, error: 'not checked yet' }]));
  /** Calls still unanswered, by probe: a probe is not called again until its last call ends. */
  const pending = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;

  const runOne = async (name: string, probe: Probe): Promise<void> => {
    let call = pending.get(name);
    if (!call) {
      // Through then(): a probe that throws synchronously fails like one that rejects.
      call = Promise.resolve().then(probe).then(
        () => { results.set(name, { ok: true, checkedAt: Date.now() }); },
        (error: unknown) => { results.set(name, { ok: false, checkedAt: Date.now(), error: messageOf(error) }); },
      ).finally(() => pending.delete(name));
      pending.set(name, call);
    }
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => { timeout = setTimeout(() => { resolve('expired'); }, timeoutMs); });
    const outcome = await Promise.race([call, expired]);
    clearTimeout(timeout);
    if (outcome === 'expired') results.set(name, { ok: false, checkedAt: Date.now(), error: `no answer within ${timeoutMs} ms` });
  };
  const runAll = async (): Promise<void> => {
    await Promise.all(Object.entries(probes).map(([name, probe]) => runOne(name, probe)));
  };

  return {
    async start() {
      await runAll();
      timer ??= setInterval(() => { void runAll(); }, intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    snapshot: () => Object.fromEntries(results),
    checks: () => Object.fromEntries([...results].map(([name, r]) => [name, readyCheck(r.ok, r.error)])),
    get ok() { return [...results.values()].every((r) => r.ok); },
  };
}
