// The GCS object-store adapter against the real fake-gcs-server (test/servers/gcs.sh): the shared
// ObjectStore contract, a 20 MiB resumable putFile, and faults injected over a real connection by a
// small HTTP proxy in front of the emulator that answers 503/429/403 where told to.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import t from 'tap';
import type { Test } from 'tap';
import { gcsObjectStore } from '../../libs/objectstore/src/index.js';
import type { GcsObjectStoreInput, ObjectStore } from '../../libs/objectstore/src/index.js';
import { objectStoreContract, rejectsWithCode, scratchDir } from '../../libs/objectstore/test/contract.js';
import { servers, uniqueName } from '../helpers/servers.js';

const PAGE_SIZE = 3;
const MiB = 1024 * 1024;
// Retries as fast as the client allows: it waits min(multiplier^n s (+ jitter), maxDelayMs) between
// attempts, and maxDelayMs cannot go below 1 s (see gcsRetryOptionsSchema).
const FAST_RETRY = { maxAttempts: 3, maxDelayMs: 1_000 } as const;
const admin = new Storage({ apiEndpoint: servers.gcsEndpoint, projectId: 'test' });

/** A connected store on a fresh bucket, deleted with its objects at teardown. */
async function openGcs(t: Test, overrides: Partial<GcsObjectStoreInput> = {}): Promise<ObjectStore> {
  const bucket = uniqueName('taxi-os');
  t.teardown(() => admin.bucket(bucket).deleteFiles({ force: true }).then(() => admin.bucket(bucket).delete()).catch(() => undefined));
  const store = gcsObjectStore({
    bucket, apiEndpoint: servers.gcsEndpoint, projectId: 'test', createBucketIfMissing: true,
    listPageSize: PAGE_SIZE, retry: FAST_RETRY, ...overrides,
  });
  await store.connect();
  t.teardown(() => store.close());
  return store;
}

interface Exchange { readonly kind: string; readonly query: string; readonly status: number; readonly injected: boolean }
/** Which status to inject for the `seen`-th (0-based) request of this kind, or undefined to forward. */
type FaultPolicy = (kind: string, seen: number) => number | undefined;

function inject(res: ServerResponse, req: IncomingMessage, status: number): void {
  req.resume(); // drain the upload the client is still sending
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ error: { code: status, message: `injected ${status} by the test proxy`, errors: [{ reason: 'injected', message: 'test' }] } }));
}

/**
 * A real HTTP proxy on 127.0.0.1 in front of fake-gcs-server. A request's kind is
 * `<method> <path>` plus its uploadType or alt parameter; `policy` decides per kind and attempt whether to answer with an error status.
 * Resumable-upload `Location`s are rewritten to the proxy so every upload request passes it.
 */
async function faultProxy(t: Test, policy: FaultPolicy): Promise<{ endpoint: string; log: Exchange[] }> {
  const upstream = new URL(servers.gcsEndpoint);
  const log: Exchange[] = [];
  const counts = new Map<string, number>();
  let endpoint = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const variant = ['uploadType', 'alt'].filter((name) => url.searchParams.has(name)).map((name) => `${name}=${url.searchParams.get(name) ?? ''}`);
    const kind = `${req.method ?? 'GET'} ${decodeURIComponent(url.pathname)}${variant.length > 0 ? ` ${variant.join('&')}` : ''}`;
    const seen = counts.get(kind) ?? 0;
    counts.set(kind, seen + 1);
    const status = policy(kind, seen);
    if (status !== undefined) {
      log.push({ kind, query: url.search, status, injected: true });
      inject(res, req, status);
      return;
    }
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      log.push({ kind, query: url.search, status: answer.statusCode ?? 0, injected: false });
      const headers = { ...answer.headers };
      if (typeof headers.location === 'string') headers.location = headers.location.replace(upstream.origin, endpoint);
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    forward.on('error', (error) => { res.destroy(error); });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve(); }); }));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { endpoint, log };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const text = (value: string): Uint8Array => new TextEncoder().encode(value);

t.test('the ObjectStore contract on fake-gcs-server', async (t) => {
  objectStoreContract(t, (t) => openGcs(t), { pageSize: PAGE_SIZE });
});

t.test('name, location, and a missing bucket without createBucketIfMissing', async (t) => {
  const store = await openGcs(t);
  t.equal(store.name, 'gcs');
  t.match(store.location, /^gs:\/\/taxi-os-[0-9a-f]{8}$/);
  const missing = gcsObjectStore({ bucket: uniqueName('taxi-none'), apiEndpoint: servers.gcsEndpoint, projectId: 'test', retry: FAST_RETRY });
  const error = await rejectsWithCode(t, missing.connect(), 'TAXI_ERR_OBJECT_BUCKET_NOT_FOUND');
  t.match(error.message, /gs:\/\/taxi-none-[0-9a-f]{8} does not exist/);
  t.equal(error.retryable, false);
  await rejectsWithCode(t, missing.put('a/b', text('x')), 'TAXI_ERR_OBJECT_BUCKET_NOT_FOUND', 'a/b');
  await rejectsWithCode(t, (async () => { for await (const _ of missing.list('')) break; })(), 'TAXI_ERR_OBJECT_BUCKET_NOT_FOUND', '');
  await rejectsWithCode(t, missing.get('a/b'), 'TAXI_ERR_OBJECT_NOT_FOUND', 'a/b');
});

t.test('a 20 MiB putFile takes the resumable path and round-trips', async (t) => {
  const { endpoint, log } = await faultProxy(t, () => undefined); // pass-through, to see the requests
  const store = await openGcs(t, { apiEndpoint: endpoint });
  const dir = scratchDir(t, 'taxi-objectstore-gcs-');
  const path = join(dir, 'yellow_tripdata_2024-01.parquet');
  const body = randomBytes(20 * MiB);
  writeFileSync(path, body);
  const info = await store.putFile('raw/yellow/2024/01/yellow_tripdata_2024-01.parquet', path, { metadata: { month: '2024-01' } });
  t.same([info.sizeBytes, info.metadata], [20 * MiB, { month: '2024-01' }]);
  t.ok(log.some((e) => e.kind.startsWith('POST /upload/') && e.query.includes('uploadType=resumable')), 'started a resumable upload');
  t.ok(log.some((e) => e.kind.startsWith('PUT /upload/')), 'sent the bytes to the session URI');
  const back = await store.get('raw/yellow/2024/01/yellow_tripdata_2024-01.parquet');
  t.equal(back.byteLength, body.byteLength);
  t.equal(sha256(back), sha256(body), 'same bytes back');
  await store.put('small', text('below the threshold'));
  t.ok(log.some((e) => e.kind.startsWith('POST /upload/') && e.query.includes('uploadType=multipart')), 'a small put is one multipart request');
});

// Not the resumable data PUT: fake-gcs-server answers the client's status query after a failed PUT
// (`Content-Range: bytes */*`) by finalizing an empty object instead of with 308, so the resumed PUT
// gets 404. Real GCS resumes; the emulator cannot show it.
const firstOfEachKind: FaultPolicy = (kind, seen) => (seen === 0 && !kind.startsWith('PUT /upload/') ? 503 : undefined);

t.test('503 on the first request of each kind: every operation succeeds on a retry', async (t) => {
  const { endpoint, log } = await faultProxy(t, firstOfEachKind);
  const store = await openGcs(t, { apiEndpoint: endpoint, resumableThresholdBytes: 1 * MiB });
  await store.put('month/a', text('aaa'), { metadata: { rows: '3' } });
  t.same((await store.head('month/a'))?.metadata, { rows: '3' });
  t.equal(new TextDecoder().decode(await store.get('month/a')), 'aaa');
  await store.copy('month/a', 'month/b');
  const listed: string[] = [];
  for await (const info of store.list('month/')) listed.push(info.key);
  t.same(listed, ['month/a', 'month/b']);
  await store.put('month/big', randomBytes(3 * MiB)); // resumable: the session start is answered 503 first
  t.equal((await store.head('month/big'))?.sizeBytes, 3 * MiB);
  await store.delete('month/a');
  t.equal(await store.deletePrefix('month/'), 2);

  const injected = log.filter((e) => e.injected);
  t.ok(injected.length >= 8, `${injected.length} requests answered 503`);
  for (const failed of injected) {
    const retried = log.filter((e) => e.kind === failed.kind && !e.injected);
    t.ok(retried.length > 0 && retried.every((e) => e.status < 500), `${failed.kind}: 503, then retried and answered`);
  }
  t.ok(injected.some((e) => e.kind.startsWith('POST /upload/') && e.query.includes('uploadType=multipart')), 'a simple upload was among them');
  t.ok(injected.some((e) => e.kind.startsWith('POST /upload/') && e.query.includes('uploadType=resumable')), 'a resumable session start was among them');
  t.ok(injected.some((e) => e.query.includes('alt=media')), 'a download was among them');
});

t.test('429 is retried like 503', async (t) => {
  const { endpoint, log } = await faultProxy(t, (kind, seen) => (kind.startsWith('POST /upload/') && seen < 2 ? 429 : undefined));
  const store = await openGcs(t, { apiEndpoint: endpoint });
  await store.put('rate/limited', text('ok'));
  t.same(log.filter((e) => e.kind.startsWith('POST /upload/')).map((e) => e.status), [429, 429, 200]);
});

t.test('a store that always answers 503 is TAXI_ERR_OBJECT_UNAVAILABLE, retryable, in bounded time', async (t) => {
  const healthy = await openGcs(t); // the bucket, created directly
  await healthy.put('x/present', text('here'));
  const bucket = healthy.location.slice('gs://'.length);
  const { endpoint, log } = await faultProxy(t, () => 503);
  const store = gcsObjectStore({ bucket, apiEndpoint: endpoint, projectId: 'test', retry: FAST_RETRY });
  for (const [what, attempt] of [
    ['put', () => store.put('x/y', text('never'))],
    ['get', () => store.get('x/present')],
    ['head', () => store.head('x/present')],
    ['list', async () => { for await (const _ of store.list('x/')) break; }],
    ['copy', () => store.copy('x/present', 'x/copy')],
    ['delete', () => store.delete('x/present')],
    ['connect', () => store.connect()],
  ] as const) {
    const before = log.length;
    const started = Date.now();
    const error = await rejectsWithCode(t, attempt(), 'TAXI_ERR_OBJECT_UNAVAILABLE');
    const ms = Date.now() - started;
    t.equal(error.retryable, true, `${what}: retryable`);
    t.match(error.message, new RegExp(`gs://${bucket}.*after 3 attempt`), `${what}: names the bucket and the attempts`);
    t.equal(log.length - before, FAST_RETRY.maxAttempts, `${what}: ${FAST_RETRY.maxAttempts} attempts reached the server`);
    t.ok(ms < 5_000, `${what}: gave up after ${ms} ms`);
    t.ok(error.cause, `${what}: keeps the client's error as cause`);
  }
  t.equal(new TextDecoder().decode(await healthy.get('x/present')), 'here', 'nothing was written through the failing proxy');
  t.same([await healthy.head('x/y'), await healthy.head('x/copy')], [undefined, undefined]);
});

t.test('403 is TAXI_ERR_OBJECT_FORBIDDEN at once, without retries', async (t) => {
  const healthy = await openGcs(t);
  const { endpoint, log } = await faultProxy(t, () => 403);
  const store = gcsObjectStore({ bucket: healthy.location.slice('gs://'.length), apiEndpoint: endpoint, projectId: 'test', retry: FAST_RETRY });
  const error = await rejectsWithCode(t, store.put('x/y', text('no')), 'TAXI_ERR_OBJECT_FORBIDDEN', 'x/y');
  t.equal(error.retryable, false);
  t.equal(log.length, 1, 'one attempt');
});

t.test('a refused connection is TAXI_ERR_OBJECT_UNAVAILABLE after the retries', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => { resolve(); }));
  const store = gcsObjectStore({ bucket: 'taxi-nowhere', apiEndpoint: `http://127.0.0.1:${port}`, projectId: 'test', retry: FAST_RETRY });
  const started = Date.now();
  for (const attempt of [() => store.put('a/b', text('x')), () => store.get('a/b'), () => store.connect()]) {
    const error = await rejectsWithCode(t, attempt(), 'TAXI_ERR_OBJECT_UNAVAILABLE');
    t.equal(error.retryable, true);
  }
  t.ok(Date.now() - started < 10_000, 'bounded');
});

t.test('a server that accepts and never answers: each operation fails retryable within its deadline', async (t) => {
  const sockets: Socket[] = [];
  const silent = createNetServer((socket) => { sockets.push(socket); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => { sockets.forEach((s) => s.destroy()); silent.close(); });
  const port = (silent.address() as AddressInfo).port;
  const store = gcsObjectStore({ bucket: 'never-answers', apiEndpoint: `http://127.0.0.1:${port}`, projectId: 'test',
    operationTimeoutMs: 1_500, uploadTimeoutMs: 1_500, retry: { maxAttempts: 1, maxDelayMs: 1_000 } });
  for (const [what, op] of [['head', () => store.head('a')], ['put', () => store.put('a', new Uint8Array([1]))]] as const) {
    const started = Date.now();
    const err = await (op() as Promise<unknown>).then(() => undefined, (e: unknown) => e) as { code?: string; retryable?: boolean; message?: string };
    t.equal(err.code, 'TAXI_ERR_OBJECT_UNAVAILABLE', `${what}: UNAVAILABLE`);
    t.equal(err.retryable, true, `${what}: retryable`);
    t.match(err.message, /got no answer within 1500 ms/);
    t.ok(Date.now() - started < 5_000, `${what}: within the deadline, not forever (${Date.now() - started} ms)`);
  }
});
