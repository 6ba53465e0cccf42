import type { Logger } from 'pino';
import { z } from 'zod';
import { parseOptions } from '../../config/src/parse.js';
import type { ObjectStore } from '../../objectstore/src/index.js';
import type { EncodeOptions, ParquetCodec } from '../../parquet/src/index.js';
import { PROCESSED_DISTINCT_COLUMNS, PROCESSED_FINGERPRINT } from '../../schema/src/processed.js';

export const parquetSinkOptionsSchema = z.strictObject({
  prefix: z.string().default('processed').describe('object key prefix of processed files'),
  compression: z.enum(['zstd', 'snappy', 'uncompressed']).default('zstd').describe('Parquet compression codec'),
  rowGroupRows: z.number().int().positive().default(262_144).describe('rows per Parquet row group'),
  roll: z.strictObject({
    rows: z.number().int().positive().default(1_000_000).describe('a file is written once it holds this many rows'),
    // Every open file is held in memory until written, and encoded whole in a worker (parquet-wasm's
    // memory grows to the largest file and stays): the size bounds the processor's memory.
    bytes: z.number().int().positive().default(32 * 1024 * 1024).describe('... or this many bytes of Arrow data (held in memory until written; about 100k processed rows, 5 MB of ZSTD Parquet)'),
    intervalMs: z.number().int().positive().default(60_000).describe('... or once its first batch is this many milliseconds old, even with no new input'),
  }).prefault({}),
  // Files are open per partition AND month: a processor with many partitions, or reading several
  // months at once, would otherwise hold roll.bytes times as many files. The price of a tight
  // budget is smaller files: with 6 partitions a file rolls at about a sixth of it.
  maxOpenBytes: z.number().int().positive().default(64 * 1024 * 1024)
    .describe('most bytes of Arrow data held in all open files together; above it the largest open file is written early (raise it for bigger files where memory allows)'),
}).prefault({});

export type ParquetSinkInput = z.input<typeof parquetSinkOptionsSchema>;

/** What one write of a file made durable: the processor commits offsets from these. */
export interface FlushedFile {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly rows: number;
  readonly bytes: number;
}

export interface SinkBatch {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly service: string;
  /** YYYY-MM of the source month: decides the object prefix. */
  readonly month: string;
  /**
   * The processed rows as an Arrow IPC stream (the processed schema): kept as they are until the
   * file is written, and handed to the encoder without a copy when they live in a SharedArrayBuffer.
   */
  readonly ipc: Uint8Array;
  /** Rows in `ipc`. */
  readonly rows: number;
}

interface OpenFile {
  readonly topic: string;
  readonly partition: number;
  readonly service: string;
  readonly month: string;
  readonly firstOffset: string;
  lastOffset: string;
  readonly streams: Uint8Array[];
  rows: number;
  bytes: number;
  readonly openedAt: number;
}

/** Files completed and waiting to be written, beyond which add() waits: bounds the memory they hold. */
const MAX_QUEUED_WRITES = 2;

/** processed/{service}/year=YYYY/month=MM/{topic}-{partition}-{first}-{last}.parquet */
export function processedKey(prefix: string, f: Pick<FlushedFile, 'topic' | 'partition' | 'firstOffset' | 'lastOffset'> & { service: string; month: string }): string {
  const [year, month] = f.month.split('-');
  const pad = (o: string): string => o.padStart(12, '0');
  return `${prefix}/${f.service}/year=${year}/month=${month}/${f.topic}-${f.partition}-${pad(f.firstOffset)}-${pad(f.lastOffset)}.parquet`;
}

/**
 * Accumulates processed batches per (topic, partition, service, month) and writes each as one
 * Parquet object when it reaches the row or byte limit, or its interval (a timer: the file is
 * written even when no new batch arrives). Object names come from the offsets they cover, so a
 * retry after a crash overwrites the same object. Memory: at most `roll.bytes` per open file.
 */
export class ParquetSink {
  readonly #store: ObjectStore;
  readonly #codec: ParquetCodec;
  readonly #options: z.output<typeof parquetSinkOptionsSchema>;
  readonly #log: Logger;
  readonly #onFlushed: (file: FlushedFile) => void;
  readonly #open = new Map<string, OpenFile>();
  /** Files taken out of #open whose write has not finished: still pending for commits. */
  readonly #writingFiles = new Set<OpenFile>();
  readonly #timer: NodeJS.Timeout;
  /** Bytes of Arrow data in #open. */
  #openBytes = 0;
  /** The first failed write: every later call fails with it (the sink is then unusable). */
  #failure: Error | undefined;
  /** Writes started and not settled, oldest first (they run one after another; none rejects). */
  readonly #queued: Promise<void>[] = [];

  constructor(store: ObjectStore, codec: ParquetCodec, input: ParquetSinkInput, log: Logger, onFlushed: (file: FlushedFile) => void) {
    this.#store = store;
    this.#codec = codec;
    this.#options = parseOptions(parquetSinkOptionsSchema, input, 'sinks.parquet');
    this.#log = log;
    this.#onFlushed = onFlushed;
    this.#timer = setInterval(() => { this.#flushOld(); }, Math.max(50, Math.floor(this.#options.roll.intervalMs / 4)));
    this.#timer.unref();
  }

  /**
   * Adds a batch. A file it completes is written in the background (encoding takes a worker
   * thread while batches keep coming); it resolves once at most MAX_QUEUED_WRITES files wait to be
   * written. Errors: the first failed write, here and in every later call.
   */
  async add(batch: SinkBatch): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    const id = `${batch.topic}\u0000${batch.partition}\u0000${batch.service}\u0000${batch.month}`;
    let file = this.#open.get(id);
    if (!file) {
      file = { topic: batch.topic, partition: batch.partition, service: batch.service, month: batch.month, firstOffset: batch.offset,
        lastOffset: batch.offset, streams: [], rows: 0, bytes: 0, openedAt: Date.now() };
      this.#open.set(id, file);
    }
    const bytes = batch.ipc.byteLength;
    file.streams.push(batch.ipc);
    file.lastOffset = batch.offset;
    file.rows += batch.rows;
    file.bytes += bytes;
    this.#openBytes += bytes;
    if (file.rows >= this.#options.roll.rows || file.bytes >= this.#options.roll.bytes) this.#flush(id);
    while (this.#openBytes > this.#options.maxOpenBytes) {
      let largest: [string, OpenFile] | undefined;
      for (const entry of this.#open) if (!largest || entry[1].bytes > largest[1].bytes) largest = entry;
      if (!largest) break;
      this.#flush(largest[0]);
    }
    while (this.#queued.length > MAX_QUEUED_WRITES) await this.#queued[0];
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Bytes of Arrow data held in open files (bounded by maxOpenBytes after each add). */
  get openBytes(): number { return this.#openBytes; }

  /** The smallest first offset of the partition's files not yet written, open or being written (undefined: none). */
  pendingFrom(topic: string, partition: number): string | undefined {
    let min: bigint | undefined;
    for (const f of [...this.#open.values(), ...this.#writingFiles]) {
      if (f.topic === topic && f.partition === partition && (min === undefined || BigInt(f.firstOffset) < min)) min = BigInt(f.firstOffset);
    }
    return min === undefined ? undefined : String(min);
  }

  /** Writes every open file and waits for every write (shutdown, end of an embedded run). Errors: the first failed write. */
  async flushAll(filter?: (topic: string, partition: number) => boolean): Promise<void> {
    const ids = [...this.#open].filter(([, f]) => !filter || filter(f.topic, f.partition)).map(([id]) => id);
    for (const id of ids) this.#flush(id);
    await this.settled();
  }

  /** Resolves when every file write started so far has finished. Errors: the first failed write. */
  async settled(): Promise<void> {
    await this.#queued.at(-1);
    this.#throwIfFailed();
  }

  /** Drops open files without writing them (a partition revoked: its next owner re-reads them). */
  discard(topic: string, partition: number): void {
    for (const [id, f] of this.#open) {
      if (f.topic === topic && f.partition === partition) { this.#open.delete(id); this.#openBytes -= f.bytes; }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flushAll();
  }

  #flushOld(): void {
    const now = Date.now();
    for (const [id, f] of this.#open) {
      if (now - f.openedAt >= this.#options.roll.intervalMs) {
        this.#flush(id);
      }
    }
  }

  /**
   * Queues the file's write. Writes run one after another, so files of a partition become durable
   * in offset order; after a failed write no other runs, and the failed file stays pending, so no
   * offset past it is ever committed (the processor fails on the error and restarts from there).
   */
  #flush(id: string): void {
    const file = this.#open.get(id);
    if (!file) return;
    this.#open.delete(id);
    this.#openBytes -= file.bytes;
    this.#writingFiles.add(file);
    const write = (this.#queued.at(-1) ?? Promise.resolve()).then(() => {
      if (this.#failure !== undefined) throw this.#failure;
      return this.#write(file);
    }).then(() => { this.#writingFiles.delete(file); }, (error: unknown) => {
      if (this.#failure === undefined) {
        this.#failure = error instanceof Error ? error : new Error(String(error));
        this.#log.error({ err: error, partition: file.partition, firstOffset: file.firstOffset }, 'Parquet write failed');
      }
    });
    this.#queued.push(write);
    void write.then(() => { void this.#queued.shift(); }); // the oldest settles first
  }

  /**
   * Deletes the partition's other files whose offset range lies inside this one's. Such files come
   * from work never committed (a crash or a rebalance after a file was written, before its offsets
   * were committed) that a retry rolled at other offsets (time and memory rolls are not at the same
   * offsets twice): every row they hold is in this file too (same offsets, same messages, a pure
   * transform), so deleting them loses nothing, even when a late writer (an old partition owner)
   * does it. A file only partly overlapping is kept: its rows may exist nowhere else yet. Done
   * after this file is durable.
   */
  async #removeContained(key: string, file: OpenFile): Promise<void> {
    const prefix = key.slice(0, key.lastIndexOf('/') + 1) + `${file.topic}-${file.partition}-`;
    const first = BigInt(file.firstOffset);
    const last = BigInt(file.lastOffset);
    for await (const o of this.#store.list(prefix)) {
      const range = /^(\d+)-(\d+)\.parquet$/.exec(o.key.slice(prefix.length));
      if (o.key === key || !range) continue;
      const [, from = '', to = ''] = range;
      if (BigInt(from) >= first && BigInt(to) <= last) {
        await this.#store.delete(o.key);
        this.#log.warn({ key: o.key, replacedBy: key }, 'deleted an uncommitted Parquet file whose rows this one holds (a retry rolled at other offsets)');
      }
    }
  }

  async #write(file: OpenFile): Promise<void> {
    const started = performance.now();
    const key = processedKey(this.#options.prefix, file);
    const options: EncodeOptions = {
      compression: this.#options.compression, rowGroupRows: this.#options.rowGroupRows, plainColumns: PROCESSED_DISTINCT_COLUMNS,
      metadata: { 'taxi.schema': PROCESSED_FINGERPRINT, 'taxi.topic': file.topic, 'taxi.partition': String(file.partition),
        'taxi.first_offset': file.firstOffset, 'taxi.last_offset': file.lastOffset },
    };
    // The batches' IPC streams go to the encoder as they are: no Table to build here and no
    // serializing it again on this thread.
    const bytes = await this.#codec.encodeIpc(file.streams, options);
    await this.#store.put(key, bytes, { contentType: 'application/vnd.apache.parquet', metadata: { rows: String(file.rows), schema: PROCESSED_FINGERPRINT } });
    await this.#removeContained(key, file);
    this.#log.info({ key, rows: file.rows, bytes: bytes.byteLength, partition: file.partition, durationMs: Math.round(performance.now() - started) }, 'Parquet file written');
    this.#onFlushed({ key, topic: file.topic, partition: file.partition, firstOffset: file.firstOffset, lastOffset: file.lastOffset, rows: file.rows, bytes: bytes.byteLength });
  }
}
