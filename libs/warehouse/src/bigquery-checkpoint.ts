import { z } from 'zod';
import { AppError } from '../../errors/src/index.js';

/**
 * Where a partition's next batch goes: a COMMITTED stream (none yet: created on first write), its
 * row offset, and the (Kafka) offset of the last batch those rows include.
 */
export interface StreamPosition {
  readonly stream: string | undefined;
  readonly rowOffset: number;
  readonly lastOffset: string | undefined;
}

const checkpointSchema = z.strictObject({
  stream: z.string().min(1).nullable(),
  rowOffset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  lastOffset: z.string().min(1).nullable().optional(),
});

/**
 * The checkpoint string: `{"stream":"projects/…/streams/…","rowOffset":N,"lastOffset":"<offset>"}`
 * (stream and lastOffset null before the first write).
 */
export function formatCheckpoint(position: StreamPosition): string {
  return JSON.stringify({ stream: position.stream ?? null, rowOffset: position.rowOffset, lastOffset: position.lastOffset ?? null });
}

/**
 * Reads a checkpoint of formatCheckpoint back; undefined (nothing stored yet) is a fresh start. A
 * checkpoint that does not parse, or names a stream of another table (the config changed), is
 * TAXI_ERR_WAREHOUSE_WRITE: writing on from it could duplicate or lose rows.
 */
export function parseCheckpoint(checkpoint: string | undefined, partitionKey: string, tablePath: string): StreamPosition {
  if (checkpoint === undefined) return { stream: undefined, rowOffset: 0, lastOffset: undefined };
  let parsed: z.infer<typeof checkpointSchema>;
  try {
    parsed = checkpointSchema.parse(JSON.parse(checkpoint));
  } catch (error) {
    throw new AppError('TAXI_ERR_WAREHOUSE_WRITE',
      `checkpoint of partition ${partitionKey} should be {"stream":"<write stream>","rowOffset":<n>,"lastOffset":"<offset>"}, got ${JSON.stringify(checkpoint.slice(0, 200))}`, { cause: error });
  }
  if (parsed.stream !== null && !parsed.stream.startsWith(`${tablePath}/streams/`)) {
    throw new AppError('TAXI_ERR_WAREHOUSE_WRITE',
      `checkpoint of partition ${partitionKey} names stream ${parsed.stream}, which is not a stream of ${tablePath} (was warehouse.bigquery's project, dataset or table changed?)`);
  }
  if (parsed.stream === null && parsed.rowOffset !== 0) {
    throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `checkpoint of partition ${partitionKey} has rowOffset ${parsed.rowOffset} but no stream`);
  }
  return { stream: parsed.stream ?? undefined, rowOffset: parsed.rowOffset, lastOffset: parsed.lastOffset ?? undefined };
}
