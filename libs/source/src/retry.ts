import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, messageOf } from '../../errors/src/index.js';
import { TransientError } from './http-request.js';
import type { HttpSourceConfig } from './options.js';

type RetryConfig = Pick<HttpSourceConfig, 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs'>;

/**
 * Delay before attempt `failed + 1`, in milliseconds: retryBaseMs doubled per failure, capped at
 * retryMaxMs, then "equal jitter" (half fixed, half random) so clients cut by the same outage do
 * not return in step, yet never retry at once. A server's Retry-After is honoured up to the cap.
 */
export function backoffMs(failed: number, config: RetryConfig, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** (failed - 1));
  const jittered = ceiling / 2 + (random() * ceiling) / 2;
  return Math.min(config.retryMaxMs, Math.max(jittered, retryAfterMs ?? 0));
}

/**
 * Runs `attempt` until it succeeds, up to maxAttempts. Only a TransientError is retried; any other
 * error (an AppError that is not worth repeating, the caller's abort reason) is rethrown at once.
 * When every attempt failed: TAXI_ERR_SOURCE_UNREADABLE, retryable, naming the URL and the last cause.
 */
export async function withRetries<T>(
  config: RetryConfig, url: URL, what: string, signal: AbortSignal | undefined, attempt: (n: number) => Promise<T>,
): Promise<T> {
  let lastCause: TransientError | undefined;
  for (let n = 1; n <= config.maxAttempts; n++) {
    signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      lastCause = error;
    }
    if (n < config.maxAttempts) await pause(backoffMs(n, config, lastCause.retryAfterMs), signal);
  }
  throw new AppError('TAXI_ERR_SOURCE_UNREADABLE',
    `${what} ${url.href} failed ${config.maxAttempts} times; last cause: ${messageOf(lastCause)}`,
    { retryable: true, cause: lastCause, context: { file: url.href } });
}

/** Sleeps; an abort rejects with the caller's reason rather than Node's generic AbortError. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}
