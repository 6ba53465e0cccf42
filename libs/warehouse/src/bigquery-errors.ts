import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, messageOf } from '../../errors/src/index.js';
import type { BigQueryRetryOptions } from './options.js';

/**
 * gRPC status codes worth another attempt (google.rpc.Code): CANCELLED (a connection cut under a
 * call), DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (quota, throttling), ABORTED, INTERNAL, UNAVAILABLE.
 * INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION (a finalized stream), ... are final.
 */
export const TRANSIENT_GRPC_CODES: ReadonlySet<number> = new Set([1, 4, 8, 10, 13, 14]);
export const GRPC_ALREADY_EXISTS = 6;
export const GRPC_OUT_OF_RANGE = 11;
export const GRPC_DEADLINE_EXCEEDED = 4;

const TRANSIENT_HTTP = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_NETWORK = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'EAI_AGAIN',
  'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE',
]);

function fieldOf(value: unknown, field: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
}

/** The gRPC status code of a google-gax error (or of an AppendRowsResponse's `error`). */
export function grpcCodeOf(error: unknown): number | undefined {
  const code = fieldOf(error, 'code');
  return typeof code === 'number' ? code : undefined;
}

/** The HTTP status of a REST client error (ApiError.code), if it got an answer. */
export function httpStatusOf(error: unknown): number | undefined {
  const code = fieldOf(error, 'code');
  if (typeof code === 'number') return code;
  const status = fieldOf(fieldOf(error, 'response'), 'statusCode') ?? fieldOf(fieldOf(error, 'response'), 'status');
  return typeof status === 'number' ? status : undefined;
}

/** A REST failure that never got an answer: refused, reset, timed out, no DNS. */
function isNetworkError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; current = fieldOf(current, 'cause'), depth += 1) {
    const code = fieldOf(current, 'code');
    if (typeof code === 'string' && TRANSIENT_NETWORK.has(code.toUpperCase())) return true;
    if (fieldOf(current, 'name') === 'AbortError' || fieldOf(current, 'type') === 'request-timeout') return true;
  }
  return false;
}

export function isTransientRestError(error: unknown): boolean {
  if (error instanceof AppError) return error.retryable;
  const status = httpStatusOf(error);
  return status === undefined ? isNetworkError(error) : TRANSIENT_HTTP.has(status);
}

/** A Storage Write API failure worth another attempt: a transient status, or no status at all (a lost connection). */
export function isTransientGrpcError(error: unknown): boolean {
  if (error instanceof AppError) return error.retryable;
  const code = grpcCodeOf(error);
  return code === undefined || TRANSIENT_GRPC_CODES.has(code);
}

/** The message of an error, or of the plain `{ code, message }` objects the clients sometimes reject with. */
function describe(error: unknown): string {
  const message = fieldOf(error, 'message');
  return (typeof message === 'string' && message !== '' ? message : messageOf(error)).replace(/\s+/g, ' ').trim();
}

/**
 * Translates a client error at the adapter boundary, keeping it as `cause`: transient ones become
 * TAXI_ERR_WAREHOUSE_UNAVAILABLE (retryable), the rest TAXI_ERR_WAREHOUSE_WRITE with the API's
 * message. `doing` names the operation and the table or stream.
 */
export function translate(error: unknown, doing: string, transient: boolean, attempts: number): AppError {
  if (error instanceof AppError) return error;
  if (transient) {
    return new AppError('TAXI_ERR_WAREHOUSE_UNAVAILABLE', `${doing} failed after ${attempts} attempt(s): ${describe(error)}`, { retryable: true, cause: error });
  }
  return new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${doing} was refused: ${describe(error)}`, { cause: error });
}

/** Wait before attempt `attempt + 1`: between half and all of min(baseMs x 2^(attempt-1), maxMs). */
export function backoffMs(attempt: number, retry: BigQueryRetryOptions, random: () => number = Math.random): number {
  const cap = Math.min(retry.maxMs, retry.baseMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + (cap / 2) * random());
}

/**
 * Runs `action` up to retry.maxAttempts times while it fails transiently, with backoffMs between
 * attempts, then translates the last error. `action` gets the attempt number (1-based).
 */
export async function withRetries<T>(
  doing: string, retry: BigQueryRetryOptions, isTransient: (error: unknown) => boolean, action: (attempt: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action(attempt);
    } catch (error) {
      const transient = isTransient(error);
      if (!transient || attempt >= retry.maxAttempts) throw translate(error, doing, transient, attempt);
      await sleep(backoffMs(attempt, retry));
    }
  }
}
