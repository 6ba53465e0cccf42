import { createHash } from 'node:crypto';

/** A stable partition for a key (the manifest's month keys): same key, same partition, on any bus. */
export function partitionForKey(key: string, partitions: number): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % partitions;
}
