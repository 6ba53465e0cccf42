import { RETRYABLE_ERR_FN_DEFAULT } from '@google-cloud/storage';
import type { ApiError } from '@google-cloud/storage';
import { AppError, messageOf } from '../../errors/src/index.js';
import type { ErrorCode } from '../../errors/src/index.js';

/**
 * Connection failures worth another attempt. The client's default list (RETRYABLE_ERR_FN_DEFAULT)
 * knows 408/429/5xx, ECONNRESET, EPIPE and EAI_AGAIN only, so a refused connection or a request
 * timeout would otherwise fail at once.
 */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'EAI_AGAIN',
  'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE',
]);
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

function fieldOf(error: unknown, field: string): unknown {
  return error !== null && typeof error === 'object' ? (error as Record<string, unknown>)[field] : undefined;
}

/** The HTTP status of a client error: ApiError.code, or the response's status. */
export function httpStatusOf(error: unknown): number | undefined {
  const code = fieldOf(error, 'code');
  if (typeof code === 'number') return code;
  if (typeof code === 'string' && /^\d{3}$/.test(code)) return Number(code);
  const response = fieldOf(error, 'response');
  const status = fieldOf(response, 'status') ?? fieldOf(response, 'statusCode');
  return typeof status === 'number' ? status : undefined;
}

/** True for errors that did not reach GCS or timed out: no HTTP status, a known network code. */
function isNetworkError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; current = fieldOf(current, 'cause'), depth += 1) {
    const code = fieldOf(current, 'code');
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code.toUpperCase())) return true;
    const name = fieldOf(current, 'name');
    if (name === 'AbortError' || name === 'TimeoutError' || fieldOf(current, 'type') === 'request-timeout') return true;
  }
  return false;
}

/**
 * The client's `retryableErrorFn`: its default list plus refused connections and timeouts. The
 * client calls it for 4xx too, which stay final.
 */
export function isRetryableGcsError(error: unknown): boolean {
  if (RETRYABLE_ERR_FN_DEFAULT(error as ApiError)) return true;
  const status = httpStatusOf(error);
  return status === undefined ? isNetworkError(error) : TRANSIENT_STATUS.has(status);
}

/** The client sometimes rejects with a plain `{ code, message, errors }` object, not an Error. */
function describe(error: unknown): string {
  const message = fieldOf(error, 'message');
  return typeof message === 'string' && message !== '' ? message.replace(/\s+/g, ' ').trim() : messageOf(error);
}

/**
 * Translates an error of @google-cloud/storage into the port's codes at the adapter boundary,
 * keeping it as `cause`. `doing` names the operation and key(s), `attempts` is how many tries the
 * client had (for the message of a transient failure). A 404 means the object is missing when
 * reading, and the bucket is missing when writing or listing (`notFound` says which).
 */
export function translateGcsError(
  error: unknown, doing: string, location: string, key: string | undefined, attempts: number,
  notFound: Extract<ErrorCode, 'TAXI_ERR_OBJECT_NOT_FOUND' | 'TAXI_ERR_OBJECT_BUCKET_NOT_FOUND'> = 'TAXI_ERR_OBJECT_NOT_FOUND',
): AppError {
  if (error instanceof AppError) return error;
  const status = httpStatusOf(error);
  const detail = `${status === undefined ? '' : `HTTP ${status}: `}${describe(error)}`;
  const options = { cause: error, context: key === undefined ? {} : { key } };
  if (status === 404) {
    const what = notFound === 'TAXI_ERR_OBJECT_NOT_FOUND' ? 'no such object' : 'no such bucket';
    return new AppError(notFound, `${doing} in ${location}: ${what} (${detail})`, options);
  }
  if (status === 401 || status === 403) {
    return new AppError('TAXI_ERR_OBJECT_FORBIDDEN', `${doing} in ${location} was refused, check credentials and IAM (${detail})`, options);
  }
  if (status === undefined ? isNetworkError(error) : TRANSIENT_STATUS.has(status)) {
    return new AppError('TAXI_ERR_OBJECT_UNAVAILABLE', `${doing} in ${location} failed after ${attempts} attempt(s): ${detail}`, {
      ...options, retryable: true,
    });
  }
  return new AppError('TAXI_ERR_OBJECT_REQUEST_FAILED', `${doing} in ${location} failed: ${detail}`, options);
}
