// One HTTP exchange with the allow-list, redirects and the stall timer. Retrying is retry.ts's job;
// this module only says, by throwing a TransientError, that another attempt may succeed.
import { AppError, messageOf } from '../../errors/src/index.js';
import { monthKey, tlcFileName } from '../../schema/src/month.js';
import type { MonthRef } from '../../schema/src/month.js';
import type { HttpSourceConfig } from './options.js';

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** A failure another attempt may cure: a network error, a stall, 408, 429 or 5xx. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  /** The server's Retry-After, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { cause?: unknown; retryAfterMs?: number | undefined } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** baseUrl + the TLC's file name; refused before any request when its host is not allowed. */
export function monthUrl(config: HttpSourceConfig, ref: MonthRef): URL {
  const base = config.baseUrl.endsWith('/') ? config.baseUrl : `${config.baseUrl}/`;
  const url = new URL(base + tlcFileName(ref));
  assertAllowed(url, config);
  return url;
}

export function assertAllowed(url: URL, config: HttpSourceConfig): void {
  const host = url.hostname.toLowerCase();
  const allowed = config.allowedHosts.some((h) => h.toLowerCase() === host);
  if (!allowed || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new AppError('TAXI_ERR_SOURCE_NOT_ALLOWED',
      `${url.href}: host '${host}' (${url.protocol}) is not allowed; expected an http(s) URL on one of ${config.allowedHosts.join(', ')}`,
      { context: { file: url.href } });
  }
}

/** One attempt's signal and stall timer: no headers or no body bytes for `timeoutMs` aborts it. */
export interface Attempt {
  readonly signal: AbortSignal;
  /** Pushes the stall deadline back; call on every sign of progress. */
  progress(): void;
  /** What to throw for an error from fetch() or a body read: the caller's abort reason, or a TransientError. */
  failure(error: unknown): unknown;
  /** Stops the timer and tears down the connection if the body was not read to the end. */
  dispose(): void;
}

export function startAttempt(timeoutMs: number, callerSignal: AbortSignal | undefined): Attempt {
  const stall = new AbortController();
  const stalled = new TransientError(`no response bytes for ${timeoutMs} ms`);
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; stall.abort(stalled); }, timeoutMs);
  return {
    signal: callerSignal ? AbortSignal.any([callerSignal, stall.signal]) : stall.signal,
    progress: () => { timer.refresh(); },
    failure(error) {
      if (callerSignal?.aborted) return callerSignal.reason as unknown;
      if (timedOut) return stalled;
      return new TransientError(describeNetworkError(error), { cause: error });
    },
    dispose() {
      clearTimeout(timer);
      if (!stall.signal.aborted) stall.abort(new Error('attempt finished'));
    },
  };
}

/**
 * fetch() without automatic redirects: each hop's host is checked against allowedHosts before it
 * is requested, so a redirect cannot send us to an arbitrary URL.
 */
export async function request(url: URL, init: { method: 'GET' | 'HEAD'; headers: Record<string, string> }, attempt: Attempt, config: HttpSourceConfig): Promise<Response> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let response: Response;
    try {
      response = await fetch(current, { ...init, redirect: 'manual', signal: attempt.signal });
    } catch (error) {
      throw attempt.failure(error);
    }
    attempt.progress();
    const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
    if (location === null) return response;
    await response.body?.cancel();
    current = new URL(location, current);
    assertAllowed(current, config);
  }
  throw new AppError('TAXI_ERR_SOURCE_UNREADABLE', `${url.href}: more than ${MAX_REDIRECTS} redirects`, { context: { file: url.href } });
}

/** The error for a status that is neither success nor a redirect. */
export function statusError(response: Response, url: URL, ref: MonthRef, config: HttpSourceConfig): Error {
  const { status } = response;
  const context = { file: url.href, month: monthKey(ref) };
  if (config.notFoundStatuses.includes(status)) {
    return new AppError('TAXI_ERR_SOURCE_NOT_FOUND',
      `${url.href} answered HTTP ${status}: ${ref.service} ${monthKey(ref)} may not be published yet ` +
      '(the TLC publishes a month about two months after it ends)', { context });
  }
  if (status === 408 || status === 429 || status >= 500) {
    return new TransientError(`HTTP ${status} ${response.statusText}`.trim(), { retryAfterMs: retryAfterMs(response.headers.get('retry-after')) });
  }
  return new AppError('TAXI_ERR_SOURCE_UNREADABLE', `${url.href} answered HTTP ${status} ${response.statusText}`.trim(), { context });
}

/** Retry-After as delay-seconds or an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Content-Length as a number, or undefined when absent or malformed. */
export function contentLength(headers: Headers): number | undefined {
  const value = headers.get('content-length');
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

export interface ContentRange {
  /** First byte of the range, or undefined for the unsatisfied form `bytes * /total` (416). */
  readonly start: number | undefined;
  readonly end: number | undefined;
  /** Complete length of the file, or undefined when the server sent `*`. */
  readonly total: number | undefined;
}

/** Parses `bytes 100-199/1000`, `bytes 100-199/*` and `bytes * /1000` (RFC 9110 section 14.4). */
export function parseContentRange(value: string | null): ContentRange | undefined {
  const match = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const [, start, end, total] = match;
  const number = (s: string | undefined): number | undefined => (s === undefined || s === '*' ? undefined : Number(s));
  return { start: number(start), end: number(end), total: number(total) };
}

/** undici's "fetch failed" / "terminated" say little; the cause says what happened to the socket. */
function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause === undefined ? messageOf(error) : `${messageOf(error)}: ${messageOf(cause)}`;
}
