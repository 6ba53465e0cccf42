import { z } from 'zod';

export const topicsSchema = z.object({
  raw: z.string().default('taxi.trips.raw').describe('row-group slices as Arrow IPC (envelope v1)'),
  manifest: z.string().default('taxi.manifest').describe('compacted: one record per month'),
  dlq: z.string().default('taxi.trips.dlq').describe('rejected rows and undecodable messages, with reasons'),
  rawPartitions: z.number().int().positive().default(6).describe('partitions of the raw topic when the service creates it'),
  maxMessageBytes: z.number().int().min(64 * 1024).default(4 * 1024 * 1024).describe('largest raw message value, in bytes (the topic\'s max.message.bytes is set 64 KiB above)'),
  rawRetentionMs: z.number().int().positive().default(90 * 24 * 3_600_000).describe('how long raw messages stay replayable, in milliseconds'),
}).strict();

export type Topics = z.infer<typeof topicsSchema>;
export const defaultTopics = (): Topics => topicsSchema.parse({});
