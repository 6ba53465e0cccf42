import { z } from 'zod';
import type { Bus } from '../../bus/src/index.js';
import { AppError } from '../../errors/src/index.js';
import { monthKey } from '../../schema/src/month.js';
import type { MonthRef } from '../../schema/src/month.js';

/**
 * Manifest v1: the value of a month's record on the compacted manifest topic, keyed
 * "<service>/<YYYY-MM>". Written in the same transaction as the month's messages, so a month is in
 * the manifest exactly when all its messages are readable. `partitions` maps each partition to the
 * first and last offset of the month's messages there (other months' messages and transaction
 * markers may sit between them: readers filter by the envelope's month).
 */
const offset = z.string().regex(/^\d+$/);
export const manifestV1Schema = z.object({
  version: z.literal(1),
  service: z.enum(['yellow', 'green', 'fhv', 'fhvhv']),
  month: z.string().regex(/^\d{4}-\d{2}$/),
  source: z.string(),
  fileName: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  rows: z.number().int().nonnegative(),
  rowGroups: z.number().int().nonnegative(),
  schema: z.string(),
  unknownColumns: z.array(z.string()),
  topic: z.string(),
  partitions: z.array(z.object({
    partition: z.number().int().nonnegative(), firstOffset: offset, lastOffset: offset,
    messages: z.number().int().positive(), rows: z.number().int().nonnegative(),
  })),
  messages: z.number().int().nonnegative(),
  ingestedAt: z.string(),
}).strict();

export type ManifestV1 = z.infer<typeof manifestV1Schema>;
export type PartitionRange = ManifestV1['partitions'][number];

export function manifestKey(ref: Pick<MonthRef, 'service' | 'year' | 'month'>): string {
  return `${ref.service}/${monthKey(ref)}`;
}

export function encodeManifest(manifest: ManifestV1): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(manifestV1Schema.parse(manifest)));
}

export function decodeManifest(value: Uint8Array, where: string): ManifestV1 {
  const parsed = manifestV1Schema.safeParse(JSON.parse(new TextDecoder().decode(value)));
  if (!parsed.success) {
    throw new AppError('TAXI_ERR_MANIFEST_INVALID', `manifest record ${where} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Every month in the manifest topic: the last record per key wins, an empty value deletes. */
export async function loadManifests(bus: Bus, topic: string): Promise<Map<string, ManifestV1>> {
  const months = new Map<string, ManifestV1>();
  for await (const message of bus.readAll(topic)) {
    if (message.key === undefined) continue;
    if (message.value.byteLength === 0) months.delete(message.key);
    else months.set(message.key, decodeManifest(message.value, `${message.key} at ${topic}/${message.partition}@${message.offset}`));
  }
  return months;
}
