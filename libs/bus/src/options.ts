import { z } from 'zod';

export const kafkaBusOptionsSchema = z.object({
  brokers: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((b) => b.trim()) : v), z.array(z.string().min(1)).min(1))
    .describe('bootstrap brokers, host:port (a comma-separated string is split)'),
  clientId: z.string().default('taxi-stream').describe('Kafka client id, in broker logs and quotas'),
  transactionalId: z.string().default('taxi-ingestor').describe('transactional.id: one per producing instance; a restarted instance with the same id fences its predecessor'),
  connectionTimeoutMs: z.number().int().positive().default(3_000).describe('TCP connect timeout, in milliseconds'),
  requestTimeoutMs: z.number().int().positive().default(30_000).describe('broker request timeout, in milliseconds'),
  transactionTimeoutMs: z.number().int().positive().default(600_000).describe('a transaction not committed within this many milliseconds is aborted by the broker (at most transaction.max.timeout.ms, 15 min by default)'),
  retries: z.number().int().min(0).default(5).describe('retries of a failed request, with exponential backoff'),
  readIdleTimeoutMs: z.number().int().positive().default(30_000).describe('a range read with no progress for this many milliseconds fails'),
}).strict();

export type KafkaBusOptions = z.input<typeof kafkaBusOptionsSchema>;
