// The HTTP source: downloads a month from the TLC's CDN (or any allowed host) into downloadDir,
// resuming cut downloads with Range requests and checksumming as the bytes land.
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, messageOf } from '../../errors/src/index.js';
import { monthKey, tlcFileName } from '../../schema/src/month.js';
import type { MonthRef } from '../../schema/src/month.js';
import { hashFileInto, sha256File } from './file-hash.js';
import { contentLength, monthUrl, parseContentRange, request, startAttempt, statusError, TransientError } from './http-request.js';
import type { Attempt } from './http-request.js';
import { parseHttpSourceOptions } from './options.js';
import type { HttpSourceConfig, HttpSourceOptions } from './options.js';
import { withRetries } from './retry.js';
import type { FetchedFile, FetchOptions, HttpSource, MonthHead } from './types.js';

/** Parquet is already compressed; identity keeps Content-Length and Range in the file's own bytes. */
const IDENTITY = { 'accept-encoding': 'identity' } as const;

/** Everything one fetch() needs, built once per call. */
interface Download {
  readonly config: HttpSourceConfig;
  readonly ref: MonthRef;
  readonly url: URL;
  readonly options: FetchOptions;
}

/** The `<name>.part` file as this process knows it; `syncPart` re-reads it when the disk disagrees. */
interface Part {
  readonly path: string;
  bytes: number;
  hash: Hash;
  /** The file's complete length as the server declared it, once known. */
  total: number | undefined;
  /** Strong ETag of the version being downloaded, sent as If-Range on resume. */
  validator: string | undefined;
}

/**
 * The HTTP adapter of the Source port. The URL is always `baseUrl + tlcFileName(ref)`, on a host
 * in `allowedHosts`. Downloads write `<downloadDir>/<name>.part`, renamed to `<name>` when complete;
 * a complete file whose size matches the server's (HEAD) is reused. One fetch per month at a time
 * per downloadDir: two would write the same `.part`.
 * Throws TAXI_ERR_CONFIG_INVALID listing every bad option.
 */
export function httpSource(options: HttpSourceOptions = {}): HttpSource {
  const config = parseHttpSourceOptions(options);
  return {
    name: 'http',
    fetch: (ref, fetchOptions = {}) => fetchMonth(config, ref, fetchOptions),
    headMonth: (ref, headOptions = {}) => headMonth(config, ref, headOptions.signal),
  };
}

async function fetchMonth(config: HttpSourceConfig, ref: MonthRef, options: FetchOptions): Promise<FetchedFile> {
  const url = monthUrl(config, ref);
  const download: Download = { config, ref, url, options };
  const fileName = tlcFileName(ref);
  const finalPath = join(config.downloadDir, fileName);
  const reused = await reuseComplete(download, finalPath);
  if (reused) return reused;
  await local(`create ${config.downloadDir}`, () => mkdir(config.downloadDir, { recursive: true }));
  const part: Part = { path: `${finalPath}.part`, bytes: 0, hash: createHash('sha256'), total: undefined, validator: undefined };
  await withRetries(config, url, 'download of', options.signal, () => downloadAttempt(download, part));
  if (part.bytes === 0) {
    await discard(part);
    throw new AppError('TAXI_ERR_PARQUET_EMPTY', `${url.href} is empty (0 bytes), expected a Parquet file`, { context: { file: url.href } });
  }
  await local(`rename ${part.path}`, () => rename(part.path, finalPath));
  return { path: finalPath, uri: url.href, fileName, sizeBytes: part.bytes, sha256: part.hash.digest('hex') };
}

/** A file already in downloadDir is reused when the server (HEAD) reports the same size. */
async function reuseComplete(download: Download, finalPath: string): Promise<FetchedFile | undefined> {
  const sizeBytes = await fileSize(finalPath);
  if (sizeBytes === undefined || sizeBytes === 0) return undefined;
  const head = await headMonth(download.config, download.ref, download.options.signal);
  if (!head.published) {
    throw new AppError('TAXI_ERR_SOURCE_NOT_FOUND',
      `${download.url.href} is no longer published, though ${finalPath} was downloaded earlier`,
      { context: { file: download.url.href, month: monthKey(download.ref) } });
  }
  if (head.sizeBytes !== sizeBytes) return undefined;
  const { onProgress, signal } = download.options;
  const digest = await local(`read ${finalPath}`, () => sha256File(finalPath, { signal, onBytes: (b) => onProgress?.(b, sizeBytes) }), signal);
  return { path: finalPath, uri: download.url.href, fileName: tlcFileName(download.ref), sizeBytes, sha256: digest.sha256 };
}

/** One GET: from zero, or from the end of the `.part` file with a Range request. */
async function downloadAttempt(download: Download, part: Part): Promise<void> {
  await syncPart(part, download.options.signal);
  const headers: Record<string, string> = { ...IDENTITY };
  if (part.bytes > 0) {
    headers.range = `bytes=${part.bytes}-`;
    if (part.validator !== undefined) headers['if-range'] = part.validator;
  }
  const attempt = startAttempt(download.config.requestTimeoutMs, download.options.signal);
  try {
    const response = await request(download.url, { method: 'GET', headers }, attempt, download.config);
    const mode = await acceptResponse(download, part, response);
    if (mode !== 'complete') await receiveBody(download, part, response, attempt, mode);
  } finally {
    attempt.dispose();
  }
  if (download.config.sizeCheck && part.total !== undefined && part.bytes !== part.total) {
    await mismatch(download, part, `received ${part.bytes} bytes, the server declared ${part.total}`);
  }
}

/**
 * Decides what the response's body is: the whole file (200: the server ignored or refused our
 * Range), the rest of it (206 starting where the part ends), or nothing left to fetch (416 with
 * a total equal to the part's length, e.g. a part completed just before a crash).
 */
async function acceptResponse(download: Download, part: Part, response: Response): Promise<'write' | 'append' | 'complete'> {
  if (response.status === 200) {
    if (part.bytes > 0) await discard(part);
    part.total = contentLength(response.headers);
    const etag = response.headers.get('etag');
    // Only a strong ETag may go in If-Range without guessing at clock resolution (RFC 9110 13.1.5).
    part.validator = etag !== null && !etag.startsWith('W/') ? etag : undefined;
    return 'write';
  }
  if (response.status === 206 || response.status === 416) {
    const range = parseContentRange(response.headers.get('content-range'));
    await declareTotal(download, part, range?.total);
    if (response.status === 206 && range?.start === part.bytes) return 'append';
    if (response.status === 416 && range?.total === part.bytes) return 'complete';
    await discard(part);
    throw new TransientError(`asked for bytes=${part.bytes}-, got HTTP ${response.status} with Content-Range '${response.headers.get('content-range') ?? ''}'; restarting from zero`);
  }
  throw statusError(response, download.url, download.ref, download.config);
}

/** A resumed part is only valid if the file is still the length it was when the part began. */
async function declareTotal(download: Download, part: Part, total: number | undefined): Promise<void> {
  if (download.config.sizeCheck && part.total !== undefined && total !== undefined && total !== part.total) {
    await mismatch(download, part, `the server first declared ${part.total} bytes, then ${total}`);
  }
  part.total = total ?? part.total;
}

/** Streams the body to the part file, hashing each chunk once it is on disk. */
async function receiveBody(download: Download, part: Part, response: Response, attempt: Attempt, mode: 'write' | 'append'): Promise<void> {
  if (response.body === null) return;
  // undici types the body loosely; a fetch body yields bytes.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const file = await local(`open ${part.path}`, () => open(part.path, mode === 'append' ? 'a' : 'w'));
  try {
    for (;;) {
      const chunk = await reader.read().catch((error: unknown) => { throw attempt.failure(error); });
      if (chunk.done) return;
      attempt.progress();
      await local(`write ${part.path}`, () => writeAll(file, chunk.value));
      part.hash.update(chunk.value);
      part.bytes += chunk.value.byteLength;
      download.options.onProgress?.(part.bytes, part.total);
    }
  } finally {
    await file.close();
  }
}

async function writeAll(file: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.byteLength;) {
    const { bytesWritten } = await file.write(chunk, offset);
    offset += bytesWritten;
  }
}

/**
 * Makes `part` agree with the disk: a `.part` left by an earlier process (or a write that failed
 * half-way) is hashed from the file, so the final checksum covers every byte of the result.
 */
async function syncPart(part: Part, signal: AbortSignal | undefined): Promise<void> {
  const onDisk = (await fileSize(part.path)) ?? 0;
  if (onDisk === part.bytes) return;
  part.hash = createHash('sha256');
  part.bytes = onDisk === 0 ? 0 : await local(`read ${part.path}`, () => hashFileInto(part.hash, part.path, { signal }), signal);
}

async function discard(part: Part): Promise<void> {
  await local(`remove ${part.path}`, () => rm(part.path, { force: true }));
  part.bytes = 0;
  part.hash = createHash('sha256');
  part.total = undefined;
  part.validator = undefined;
}

async function mismatch(download: Download, part: Part, detail: string): Promise<never> {
  await discard(part);
  throw new AppError('TAXI_ERR_SOURCE_SIZE_MISMATCH',
    `${download.url.href}: ${detail}; the file changed on the server or its size is misreported (partial download deleted)`,
    { retryable: true, context: { file: download.url.href, month: monthKey(download.ref) } });
}

/** HEAD with retries; a "no such file" status is `{ published: false }`. */
async function headMonth(config: HttpSourceConfig, ref: MonthRef, signal: AbortSignal | undefined): Promise<MonthHead> {
  const url = monthUrl(config, ref);
  return withRetries(config, url, 'HEAD', signal, async () => {
    const attempt = startAttempt(config.requestTimeoutMs, signal);
    try {
      const response = await request(url, { method: 'HEAD', headers: { ...IDENTITY } }, attempt, config);
      if (config.notFoundStatuses.includes(response.status)) return { published: false };
      if (response.status !== 200) throw statusError(response, url, ref, config);
      const sizeBytes = contentLength(response.headers);
      const lastModified = response.headers.get('last-modified');
      return {
        published: true,
        ...(sizeBytes === undefined ? {} : { sizeBytes }),
        ...(lastModified === null ? {} : { lastModified }),
      };
    } finally {
      attempt.dispose();
    }
  });
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('TAXI_ERR_SOURCE_UNREADABLE', `cannot stat ${path}: ${messageOf(error)}`, { cause: error, context: { file: path } });
  }
}

/**
 * Runs a local file-system step; its failure (disk full, no permission on downloadDir) is not
 * the server's and not worth a retry: TAXI_ERR_SOURCE_UNREADABLE naming the step and path.
 */
async function local<T>(what: string, step: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await step();
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof AppError) throw error;
    throw new AppError('TAXI_ERR_SOURCE_UNREADABLE', `cannot ${what}: ${messageOf(error)}`, { cause: error });
  }
}
