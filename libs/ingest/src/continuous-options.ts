import { z } from 'zod';
import { SERVICES } from '../../schema/src/month.js';

/** setTimeout's longest delay (2^31-1 ms, about 24.8 days); a week is far below it. */
const MAX_INTERVAL_MS = 7 * 24 * 3_600_000;

/**
 * Options of the continuous ingestor (`taxi serve-ingestor`); the service config composes it as
 * `ingestor`. The source's base URL and allowed hosts are `source.http`.
 */
export const continuousIngestOptionsSchema = z.strictObject({
  services: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v), z.array(z.enum(SERVICES)).min(1))
    .default(['yellow', 'green'])
    .describe('TLC services whose months are discovered and ingested (a comma-separated string is split)'),
  intervalMs: z.int().min(1_000).max(MAX_INTERVAL_MS).default(24 * 3_600_000)
    .describe('time from the start of one discovery cycle to the start of the next, in milliseconds (at most 7 days)'),
  lookBackMonths: z.int().min(1).max(240).default(12)
    .describe('months checked each cycle, ending with the current month (UTC); older missing months are not looked for'),
  runOnStart: z.boolean().default(true)
    .describe('run a cycle at start-up; false: the first cycle runs one interval after start-up'),
  drainTimeoutMs: z.int().positive().default(240_000)
    .describe('on SIGTERM, how long the month in progress may take to finish before its transaction is aborted, in milliseconds (keep below the pod\'s terminationGracePeriodSeconds)'),
});

export type ContinuousIngestOptions = z.output<typeof continuousIngestOptionsSchema>;
