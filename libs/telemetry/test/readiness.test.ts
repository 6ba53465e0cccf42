// readiness(): background probes with fakes (no network). Timing bounds are generous on purpose.
import { Registry } from 'prom-client';
import t from 'tap';
import { buildHttpApp, readiness } from '../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

t.test('before start every probe counts as failed; after start the answers are in the snapshot', async (t) => {
  const r = readiness({ up: async () => 'pong', down: () => Promise.reject(new Error('connection refused')) }, { intervalMs: 60_000, timeoutMs: 1_000 });
  t.teardown(() => { r.stop(); });
  t.equal(r.ok, false, 'not ready before the first probe');
  t.match(r.snapshot(), { up: { ok: false, checkedAt: undefined, error: 'not checked yet' } });
  await r.start();
  const s = r.snapshot();
  t.equal(s.up?.ok, true, 'an answering probe is ok');
  t.equal(s.up?.error, undefined, 'with no error');
  t.type(s.up?.checkedAt, 'number', 'and when it was checked');
  t.same({ ok: s.down?.ok, error: s.down?.error }, { ok: false, error: 'connection refused' }, 'a rejecting probe fails with its message');
  t.equal(r.ok, false, 'not ready while one probe fails');
});

t.test('a probe that throws synchronously fails like one that rejects', async (t) => {
  const r = readiness({ sync: () => { throw new Error('boom'); } }, { intervalMs: 60_000 });
  t.teardown(() => { r.stop(); });
  await r.start();
  t.same({ ok: r.snapshot().sync?.ok, error: r.snapshot().sync?.error }, { ok: false, error: 'boom' });
});

t.test('a probe hanging past its timeout counts as failed and is not called again until it ends', async (t) => {
  let calls = 0;
  let release: (() => void) | undefined;
  const r = readiness({
    hung: () => { calls++; return new Promise<void>((resolve) => { release = resolve; }); },
  }, { intervalMs: 20, timeoutMs: 50 });
  t.teardown(() => { r.stop(); release?.(); });
  const began = Date.now();
  await r.start();
  t.ok(Date.now() - began < 2_000, 'start() waits for the timeout, not for the hung call');
  t.match(r.snapshot().hung, { ok: false, error: 'no answer within 50 ms' });
  await sleep(200);
  t.equal(calls, 1, 'no second call while the first still hangs');
  release?.();
  await eventually('the late answer counts', () => r.ok);
  t.equal(r.snapshot().hung?.ok, true, 'ok once the call answers');
});

t.test('a failing dependency that comes back turns ready again, and back on failing', async (t) => {
  let up = false;
  const r = readiness({ dep: async () => { if (!up) throw new Error('down'); } }, { intervalMs: 20, timeoutMs: 1_000 });
  t.teardown(() => { r.stop(); });
  await r.start();
  t.equal(r.ok, false, 'down at start');
  up = true;
  await eventually('recovery', () => r.ok);
  t.pass('ready after the dependency came back');
  up = false;
  await eventually('failure again', () => !r.ok);
  t.equal(r.snapshot().dep?.error, 'down');
});

t.test('stop() ends the background probes', async (t) => {
  let calls = 0;
  const r = readiness({ dep: async () => { calls++; } }, { intervalMs: 10 });
  await r.start();
  r.stop();
  const after = calls;
  await sleep(100);
  t.equal(calls, after, 'no probe after stop');
});

t.test('/readyz reports every check as { ok, error? } and answers 503 when one fails', async (t) => {
  let ready = true;
  const app = buildHttpApp(new Registry(), {
    live: () => true,
    ready: async () => ({ ok: ready, checks: { bus: ready ? { ok: true } : { ok: false, error: 'connection refused' }, draining: true } }),
  });
  t.teardown(() => app.close());
  const ok = await app.inject({ url: '/readyz' });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { ok: true, checks: { bus: { ok: true }, draining: { ok: true } } }, 'bare booleans become { ok }');
  ready = false;
  const down = await app.inject({ url: '/readyz' });
  t.equal(down.statusCode, 503);
  t.same(down.json(), { ok: false, checks: { bus: { ok: false, error: 'connection refused' }, draining: { ok: true } } });
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, '/healthz is liveness only');
});
