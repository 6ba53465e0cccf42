import { setTimeout as sleep } from 'node:timers/promises';
import type { GcsObjectStoreOptions } from './options.js';

/**
 * Runs `action` up to `retry.maxAttempts` times while it fails with an error `isRetryable` accepts,
 * waiting min(1 s x delayMultiplier^(n-1), maxDelayMs) before retry n and starting no retry after
 * `totalTimeoutMs`: the schedule the GCS client uses for uploads. Only for what the client cannot
 * retry safely itself (see `get` in gcs.ts).
 */
export async function withRetries<T>(
  action: () => Promise<T>, retry: GcsObjectStoreOptions['retry'], isRetryable: (error: unknown) => boolean,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action();
    } catch (error) {
      const delayMs = Math.min(1000 * retry.delayMultiplier ** (attempt - 1), retry.maxDelayMs);
      const outOfTime = Date.now() - started + delayMs > retry.totalTimeoutMs;
      if (attempt >= retry.maxAttempts || outOfTime || !isRetryable(error)) throw error;
      await sleep(delayMs);
    }
  }
}
