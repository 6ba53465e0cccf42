import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { AppError } from '../../errors/src/index.js';
import type { MonthRef } from '../../schema/src/month.js';
import { httpSource } from '../src/index.js';
import type { HttpSourceOptions } from '../src/index.js';
import { backoffMs } from '../src/retry.js';
import { cutAfter, ETAG, LAST_MODIFIED, startFileServer, status } from './file-server.js';
import type { FileServer } from './file-server.js';

const FILE_NAME = 'green_tripdata_2024-01.parquet';
const sample = readFileSync(new URL(`../../../data/samples/${FILE_NAME}`, import.meta.url));
const SAMPLE_SHA256 = '5cae2f9ba12fa40bd3ed2b85032132212e1063af8e4c692d1f76a7959bfcd2b6';
const ref: MonthRef = { service: 'green', year: 2024, month: 1 };
const half = Math.floor(sample.length / 2);

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-source-http-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  return dir;
}

/** A server, a download dir and a source with test-sized retry and stall timings. */
async function setup(t: Test, options: HttpSourceOptions = {}): Promise<{ server: FileServer; dir: string; source: ReturnType<typeof httpSource> }> {
  const server = await startFileServer(t, FILE_NAME, sample);
  const dir = scratch(t);
  const source = httpSource({
    baseUrl: server.baseUrl, allowedHosts: ['127.0.0.1'], downloadDir: dir,
    retryBaseMs: 5, retryMaxMs: 20, requestTimeoutMs: 2_000, ...options,
  });
  return { server, dir, source };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

function sameAsSample(t: Test, path: string, sha256: string): void {
  const bytes = readFileSync(path);
  t.ok(bytes.equals(sample), 'the download equals the served file byte for byte');
  t.equal(sha256, SAMPLE_SHA256, 'sha256 of the served file');
  t.equal(createHash('sha256').update(bytes).digest('hex'), sha256, 'sha256 of what is on disk');
  t.notOk(existsSync(`${path}.part`), 'no .part left');
}

t.test('plain download equals the file and reports progress', async (t) => {
  const { server, dir, source } = await setup(t);
  const progress: [number, number | undefined][] = [];
  const file = await source.fetch(ref, { onProgress: (bytes, total) => progress.push([bytes, total]) });
  t.equal(file.path, join(dir, FILE_NAME));
  t.equal(file.uri, `${server.baseUrl}${FILE_NAME}`);
  t.equal(file.fileName, FILE_NAME);
  t.equal(file.sizeBytes, sample.length);
  sameAsSample(t, file.path, file.sha256);
  t.same(progress.at(-1), [sample.length, sample.length], 'last progress is the whole file');
  t.equal(server.requests.length, 1);
  t.equal(server.requests[0]?.range, undefined, 'no Range on a fresh download');
  t.equal(server.requests[0]?.acceptEncoding, 'identity', 'asks for the bytes as stored');
});

t.test('a connection cut mid-body resumes with a Range request', async (t) => {
  const { server, dir, source } = await setup(t);
  // The cut may lose bytes in flight, so the resume point is what reached the .part file.
  let partBytes = -1;
  server.script.push(cutAfter(sample, half), (_req, _res, serve) => {
    partBytes = statSync(join(dir, `${FILE_NAME}.part`)).size;
    serve();
  });
  const file = await source.fetch(ref);
  sameAsSample(t, file.path, file.sha256);
  t.equal(server.requests.length, 2);
  t.ok(partBytes > 0 && partBytes <= half, `the first attempt left part of the file (${partBytes} bytes)`);
  t.equal(server.requests[1]?.range, `bytes=${partBytes}-`, 'resumes where the .part ends');
  t.equal(server.requests[1]?.ifRange, ETAG, 'only if the file is still the same version');
});

t.test('a .part left by an earlier run is hashed and resumed', async (t) => {
  const { server, dir, source } = await setup(t);
  writeFileSync(join(dir, `${FILE_NAME}.part`), sample.subarray(0, 1000));
  const file = await source.fetch(ref);
  sameAsSample(t, file.path, file.sha256);
  t.equal(server.requests[0]?.range, 'bytes=1000-');
});

t.test('a server that ignores Range (200) restarts the download from zero', async (t) => {
  const { server, source } = await setup(t);
  server.script.push(cutAfter(sample, half), (_req, res) => {
    res.writeHead(200, { 'content-length': sample.length }).end(sample);
  });
  const file = await source.fetch(ref);
  sameAsSample(t, file.path, file.sha256);
  t.match(server.requests[1]?.range, /^bytes=\d+-$/);
});

t.test('503 twice, then 200: succeeds on the third attempt', async (t) => {
  const { server, source } = await setup(t);
  server.script.push(status(503), status(503, { 'retry-after': '0' }));
  const file = await source.fetch(ref);
  sameAsSample(t, file.path, file.sha256);
  t.equal(server.requests.length, 3);
});

t.test('404: not found, not retried, the URL in the message', async (t) => {
  const { server, source } = await setup(t);
  server.script.push(status(404));
  const err = await rejection(source.fetch(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_NOT_FOUND');
  t.equal(err.retryable, false);
  t.match(err.message, `${server.baseUrl}${FILE_NAME}`);
  t.match(err.message, /may not be published yet/);
  t.equal(server.requests.length, 1, 'no retry');
});

t.test('a host outside allowedHosts is refused before any request', async (t) => {
  const { server, source } = await setup(t, { allowedHosts: ['d37ci6vzurychx.cloudfront.net'] });
  const err = await rejection(source.fetch(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_NOT_ALLOWED');
  t.match(err.message, /host '127\.0\.0\.1'/);
  const head = await rejection(source.headMonth(ref));
  t.equal(head.code, 'TAXI_ERR_SOURCE_NOT_ALLOWED');
  t.equal(server.requests.length, 0, 'no request made');
});

t.test('a redirect to a host outside allowedHosts is not followed', async (t) => {
  const { server, source } = await setup(t);
  server.script.push(status(302, { location: `http://localhost:${server.port}/trip-data/${FILE_NAME}` }));
  const err = await rejection(source.fetch(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_NOT_ALLOWED');
  t.match(err.message, /host 'localhost'/);
  t.equal(server.requests.length, 1, 'the redirect target was not requested');
});

t.test('a redirect within allowedHosts is followed', async (t) => {
  const { server, source } = await setup(t);
  server.script.push(status(301, { location: `/trip-data/${FILE_NAME}` }));
  const file = await source.fetch(ref);
  sameAsSample(t, file.path, file.sha256);
  t.equal(server.requests.length, 2);
});

t.test('a server that always cuts: fails after maxAttempts, retryable', async (t) => {
  const { server, dir, source } = await setup(t, { maxAttempts: 3 });
  for (let i = 0; i < 3; i++) server.script.push((_req, res) => { res.socket?.destroy(); });
  const err = await rejection(source.fetch(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_UNREADABLE');
  t.equal(err.retryable, true);
  t.match(err.message, `${server.baseUrl}${FILE_NAME}`);
  t.match(err.message, /failed 3 times; last cause: fetch failed: other side closed/);
  t.equal(server.requests.length, 3);
  t.notOk(existsSync(join(dir, FILE_NAME)), 'no file published');
});

t.test('a cut on every attempt keeps the .part for the next fetch to resume', async (t) => {
  const { server, dir, source } = await setup(t, { maxAttempts: 1 });
  server.script.push(cutAfter(sample, half));
  const err = await rejection(source.fetch(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_UNREADABLE');
  t.match(err.message, /terminated: other side closed/);
  const partBytes = statSync(join(dir, `${FILE_NAME}.part`)).size;
  t.ok(partBytes > 0 && partBytes <= half, 'the .part holds what arrived');
  const file = await source.fetch(ref);
  sameAsSample(t, file.path, file.sha256);
  t.equal(server.requests[1]?.range, `bytes=${partBytes}-`);
});

t.test('Content-Length larger than the file: the resume finds the size changed', async (t) => {
  const { server, dir, source } = await setup(t);
  // Declares 1000 bytes more than it has, sends what it has and ends the connection cleanly.
  let partBytes = -1;
  server.script.push((_req, res) => {
    res.writeHead(200, { 'content-length': sample.length + 1000 });
    res.write(sample, () => { res.socket?.end(); });
  }, (_req, _res, serve) => {
    partBytes = statSync(join(dir, `${FILE_NAME}.part`)).size;
    serve();
  });
  const err = await rejection(source.fetch(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_SIZE_MISMATCH');
  t.equal(err.retryable, true);
  t.match(err.message, `first declared ${sample.length + 1000} bytes, then ${sample.length}`);
  // undici drops chunks still queued when the socket closes early, so the .part may be shorter.
  t.ok(partBytes > 0 && partBytes <= sample.length, `the short body reached the .part (${partBytes} bytes)`);
  t.equal(server.requests[1]?.range, `bytes=${partBytes}-`, 'resumed first, as for any cut');
  t.equal(server.requests.length, 2, 'the size change is not retried');
  t.notOk(existsSync(join(dir, `${FILE_NAME}.part`)), 'the partial file is deleted');
});

t.test('a 206 that ends short of the declared total: size mismatch', async (t) => {
  const { server, source } = await setup(t);
  const end = sample.length - 101;
  server.script.push(cutAfter(sample, half), (req, res) => {
    const start = Number(/\d+/.exec(req.headers.range ?? '')?.[0]);
    res.writeHead(206, { 'content-length': end + 1 - start, 'content-range': `bytes ${start}-${end}/${sample.length}` });
    res.end(sample.subarray(start, end + 1));
  });
  const err = await rejection(source.fetch(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_SIZE_MISMATCH');
  t.match(err.message, `received ${end + 1} bytes, the server declared ${sample.length}`);
});

t.test('sizeCheck off accepts what the server sent', async (t) => {
  const { server, source } = await setup(t, { sizeCheck: false });
  server.script.push((_req, res) => {
    res.writeHead(200, { 'content-length': sample.length + 1000 });
    res.write(sample, () => { res.socket?.end(); });
  });
  const file = await source.fetch(ref);
  sameAsSample(t, file.path, file.sha256);
});

t.test('a stall after the headers times out the attempt and retries', async (t) => {
  const { server, dir, source } = await setup(t, { requestTimeoutMs: 200 });
  let partBytes = -1;
  server.script.push((_req, res) => { res.writeHead(200, { 'content-length': sample.length }); res.flushHeaders(); });
  server.script.push((_req, res) => {
    res.writeHead(200, { 'content-length': sample.length });
    res.write(sample.subarray(0, half)); // then nothing: a stall mid-body, resumed
  }, (_req, _res, serve) => {
    partBytes = statSync(join(dir, `${FILE_NAME}.part`)).size;
    serve();
  });
  const started = performance.now();
  const file = await source.fetch(ref);
  sameAsSample(t, file.path, file.sha256);
  t.ok(performance.now() - started >= 2 * 200, 'waited out two stalls');
  t.equal(server.requests.length, 3);
  t.ok(partBytes > 0, 'the stalled attempt left part of the file');
  t.equal(server.requests[2]?.range, `bytes=${partBytes}-`);
});

t.test('a stall on every attempt: unreadable, naming the stall', async (t) => {
  const { server, source } = await setup(t, { requestTimeoutMs: 100, maxAttempts: 2 });
  for (let i = 0; i < 2; i++) server.script.push(() => { /* never answers */ });
  const err = await rejection(source.fetch(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_UNREADABLE');
  t.equal(err.retryable, true);
  t.match(err.message, /no response bytes for 100 ms/);
});

t.test('a complete earlier download is reused after a HEAD', async (t) => {
  const { server, dir, source } = await setup(t);
  const first = await source.fetch(ref);
  const second = await source.fetch(ref);
  t.same(second, first);
  t.same(server.requests.map((r) => r.method), ['GET', 'HEAD'], 'no second GET');
  writeFileSync(join(dir, FILE_NAME), sample.subarray(0, 100));
  const third = await source.fetch(ref);
  sameAsSample(t, third.path, third.sha256);
  t.same(server.requests.map((r) => r.method), ['GET', 'HEAD', 'HEAD', 'GET'], 'a file of another size is downloaded again');
});

t.test('headMonth: published with size and date, or not published', async (t) => {
  const { server, source } = await setup(t);
  t.same(await source.headMonth(ref), { published: true, sizeBytes: sample.length, lastModified: LAST_MODIFIED });
  t.same(await source.headMonth({ service: 'green', year: 2031, month: 1 }), { published: false });
  server.script.push(status(503));
  t.same(await source.headMonth(ref), { published: true, sizeBytes: sample.length, lastModified: LAST_MODIFIED }, '503 retried');
  server.script.push(status(401));
  const err = await rejection(source.headMonth(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_UNREADABLE');
  t.equal(err.retryable, false, 'another 4xx is not retried');
  t.match(err.message, /HTTP 401/);
});

t.test('an abort rejects with the caller\'s reason', async (t) => {
  const { server, source } = await setup(t);
  const controller = new AbortController();
  const reason = new Error('shutting down');
  server.script.push(() => { controller.abort(reason); }); // aborts while the request is in flight
  const err = await source.fetch(ref, { signal: controller.signal }).then(() => undefined, (e: unknown) => e);
  t.equal(err, reason);
  t.equal(server.requests.length, 1, 'no retry after an abort');
});

t.test('bad options: one error listing every bad key', async (t) => {
  const err = await rejection((async () => httpSource({ maxAttempts: 0, baseUrl: 'ftp://x/', retryMs: 1 } as HttpSourceOptions))());
  t.equal(err.code, 'TAXI_ERR_CONFIG_INVALID');
  t.match(err.message, /source\.http\.maxAttempts: .*>=1/);
  t.match(err.message, /source\.http\.baseUrl: /);
  t.match(err.message, /Unrecognized key: "retryMs"/);
});

t.test('backoff doubles, jitters and stays under the cap', async (t) => {
  const config = { maxAttempts: 5, retryBaseMs: 500, retryMaxMs: 10_000 };
  t.equal(backoffMs(1, config, undefined, () => 0), 250);
  t.equal(backoffMs(1, config, undefined, () => 1), 500);
  t.equal(backoffMs(3, config, undefined, () => 1), 2000);
  t.equal(backoffMs(10, config, undefined, () => 1), 10_000, 'capped');
  t.equal(backoffMs(1, config, 3000, () => 0), 3000, 'Retry-After honoured');
  t.equal(backoffMs(1, config, 60_000, () => 0), 10_000, 'Retry-After capped');
});
