import type { Logger } from 'pino';
import { isAppError } from '../../errors/src/index.js';
import type { AssignedPartition, BusMessage, GroupConsumer } from '../../bus/src/index.js';
import type { ObjectStore } from '../../objectstore/src/index.js';
import type { ParquetSink } from '../../sinks/src/index.js';
import type { Warehouse } from '../../warehouse/src/index.js';
import type { CheckpointStore } from './checkpoints.js';
import type { Pipeline } from './pipeline.js';

export interface KafkaProcessorDeps {
  readonly consumer: GroupConsumer;
  readonly pipeline: Pipeline;
  readonly parquet: ParquetSink;
  readonly warehouse: Warehouse;
  readonly store: ObjectStore;
  readonly checkpoints: CheckpointStore;
  readonly log: Logger;
  readonly topic: string;
  /** Object key prefix of processed files (to find uncommitted leftovers). */
  readonly processedPrefix: string;
  /** Messages accepted but not yet durable, across partitions; more pauses fetching. */
  readonly maxInFlight: number;
  readonly commitIntervalMs: number;
}

interface PartitionState {
  /** Highest offset whose message completed (messages complete in offset order). */
  lastDone: bigint | undefined;
  /** Last offset of the partition's latest written Parquet file: everything up to it is durable. */
  flushedThrough: bigint | undefined;
  committed: bigint | undefined;
  /** The warehouse's pendingFrom for the partition at the last commit, when it held that commit back. */
  warehouseHeld: bigint | undefined;
  revoked: boolean;
}

const FILE_NAME = /-(\d+)-(\d{12})-(\d{12})\.parquet$/;

/**
 * The processor: a consumer-group member feeding the pipeline, committing a partition's offset
 * only up to what both sinks made durable: Parquet per written file, the warehouse per committed
 * transaction (its pendingFrom). A warehouse that gathers batches into transactions (DuckDB's
 * groups) commits them as they fill; a commit forces one (sync) only when the same batch has held
 * it back since the previous commit (a quiet or slow stream), and at stop. Forcing one at every
 * commit instead cut the groups short, into partly filled row groups DuckDB then merges: by hand,
 * a month's `taxi process` (one worker, compiled) took 18.20 / 18.57 s that way, 16.46 / 17.16 s this way.
 */
export class KafkaProcessor {
  readonly #d: KafkaProcessorDeps;
  readonly #parts = new Map<number, PartitionState>();
  readonly #waiters: (() => void)[] = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #failure: Error | undefined;
  #lastError: { readonly at: string; readonly message: string; readonly code?: string } | undefined;
  #running: Promise<void> | undefined;
  #lastActivity: number | undefined;

  constructor(deps: KafkaProcessorDeps) { this.#d = deps; }

  /** Starts consuming; resolves once the consumer runs. `failed` rejects on a fatal error. */
  async start(): Promise<void> {
    this.#timer = setInterval(() => { this.commit().catch((e: unknown) => { this.#retryOrFail(e, 'commit failed; the next interval retries'); }); }, this.#d.commitIntervalMs);
    this.#running = this.#d.consumer.run(this.#d.topic, {
      onAssigned: (parts) => this.#assigned(parts),
      onRevoked: async (parts) => {
        for (const p of parts) this.#revoke(p.partition);
        // Let in-flight messages finish (their warehouse writes are deduplicated on redelivery),
        // then drop what they left in unwritten files: it will be read and written again.
        await this.#d.pipeline.drain();
        await this.#d.parquet.settled();
        for (const p of parts) this.#d.parquet.discard(this.#d.topic, p.partition);
      },
      onMessage: (m) => this.#accept(m),
      onError: (error, restarting) => {
        if (restarting) this.#note(error, 'consumer stopped fetching; it rejoins the group by itself');
        else this.#fail(error);
      },
    });
    await this.#running;
  }

  get failure(): Error | undefined { return this.#failure; }

  /** The latest error seen, fatal or retried (for /status); undefined when none yet. */
  get lastError(): { readonly at: string; readonly message: string; readonly code?: string } | undefined { return this.#lastError; }

  /** An error the caller will retry past (a commit with the broker away): logged and kept for /status if retryable, else fatal. */
  noteError(error: unknown, what: string): void { this.#retryOrFail(error, what); }

  /** Messages accepted and not yet durable in every sink (the taxi_processor_in_flight_messages gauge). */
  get inFlight(): number { return this.#inFlight; }

  /**
   * Milliseconds since the last message was accepted or finished, or since the last assignment
   * (a member may own partitions that never bring a message); 0 while work is in flight or
   * before the first assignment.
   */
  get idleMs(): number {
    return this.#inFlight > 0 || this.#lastActivity === undefined ? 0 : Date.now() - this.#lastActivity;
  }

  #fail(error: unknown): void {
    this.#failure ??= error instanceof Error ? error : new Error(String(error));
    this.#remember(this.#failure);
    this.#d.log.error({ err: this.#failure }, 'processor failed');
  }

  /** A retryable error (AppError.retryable) is logged and remembered; any other is fatal. */
  #retryOrFail(error: unknown, what: string): void {
    if (isAppError(error) && error.retryable) this.#note(error, what);
    else this.#fail(error);
  }

  #note(error: Error, what: string): void {
    this.#remember(error);
    this.#d.log.warn({ err: error }, what);
  }

  #remember(error: Error): void {
    this.#lastError = { at: new Date().toISOString(), message: error.message, ...(isAppError(error) ? { code: error.code } : {}) };
  }

  async #assigned(parts: readonly AssignedPartition[]): Promise<void> {
    this.#lastActivity = Date.now();
    for (const p of parts) {
      const removed = await this.#removeUncommitted(p.partition, p.committed);
      await this.#d.warehouse.restore(`${this.#d.topic}/${p.partition}`, await this.#d.checkpoints.find(this.#d.topic, p.partition, p.committed));
      this.#parts.set(p.partition, { lastDone: undefined, flushedThrough: undefined, committed: p.committed === undefined ? undefined : BigInt(p.committed), warehouseHeld: undefined, revoked: false });
      this.#d.log.info({ partition: p.partition, offset: p.committed, removed }, 'partition assigned');
    }
  }

  /** Deletes processed files of this partition at or after the committed offset: leftovers of work that was never committed. */
  async #removeUncommitted(partition: number, committed: string | undefined): Promise<number> {
    const from = BigInt(committed ?? '0');
    let removed = 0;
    for await (const o of this.#d.store.list(`${this.#d.processedPrefix}/`)) {
      const m = FILE_NAME.exec(o.key);
      if (m && o.key.includes(`/${this.#d.topic}-${partition}-`) && Number(m[1]) === partition && BigInt(m[2] ?? '0') >= from) {
        await this.#d.store.delete(o.key);
        removed++;
      }
    }
    return removed;
  }

  #revoke(partition: number): void {
    const state = this.#parts.get(partition);
    if (state) state.revoked = true;
    this.#parts.delete(partition);
  }

  async #accept(message: BusMessage): Promise<void> {
    if (this.#failure) throw this.#failure;
    while (this.#inFlight >= this.#d.maxInFlight) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#inFlight++;
    this.#lastActivity = Date.now();
    const state = this.#parts.get(message.partition);
    this.#d.pipeline.handle(message).then(() => {
      if (state && !state.revoked) state.lastDone = BigInt(message.offset);
    }, (error: unknown) => { this.#fail(error); }).finally(() => {
      this.#inFlight--;
      this.#waiters.shift()?.();
    });
  }

  #commits: Promise<void> = Promise.resolve();

  /**
   * Commits each owned partition up to what both sinks hold; checkpoint first. One commit at a time.
   * `sync`: make the warehouse's open transaction durable first (stop does), so the commit reaches
   * every completed message outside an unwritten Parquet file.
   */
  commit(options: { readonly sync?: boolean } = {}): Promise<void> {
    const run = this.#commits.then(() => this.#commitNow(options.sync ?? false));
    this.#commits = run.catch(() => undefined);
    return run;
  }

  /** A Parquet file was written: every message of its partition up to its last offset is durable. */
  noteFlushed(partition: number, lastOffset: string): void {
    const state = this.#parts.get(partition);
    if (state && (state.flushedThrough === undefined || BigInt(lastOffset) > state.flushedThrough)) state.flushedThrough = BigInt(lastOffset);
  }

  async #commitNow(force: boolean): Promise<void> {
    // A failed processor records no more progress: the failure may have taken acknowledged rows
    // with it (a warehouse thread that died with its open transaction), whatever pendingFrom says now.
    if (this.#failure) return;
    // What is done now, with each partition's warehouse checkpoint and pending batch, read together
    // before any await: messages finishing while this commit runs may sit in the warehouse's next
    // open transaction.
    const positions: { partition: number; state: PartitionState; done: bigint; held: bigint | undefined; checkpoint: string }[] = [];
    let sync = force;
    for (const [partition, state] of this.#parts) {
      // Durable up to the later of: the last completed message, the end of the last written file.
      const done = [state.lastDone, state.flushedThrough].reduce<bigint | undefined>((a, b) => (b !== undefined && (a === undefined || b > a) ? b : a), undefined);
      if (done === undefined || state.revoked) continue;
      const key = `${this.#d.topic}/${partition}`;
      // The first completed message whose rows the warehouse has not made durable yet, if any.
      const pending = this.#d.warehouse.pendingFrom(key);
      const held = pending !== undefined && BigInt(pending) <= done ? BigInt(pending) : undefined;
      // Held back by the same batch as at the last commit: its transaction is not filling up; commit it.
      if (held !== undefined && held === state.warehouseHeld) sync = true;
      positions.push({ partition, state, done, held, checkpoint: this.#d.warehouse.checkpoint(key) });
    }
    if (sync) await this.#d.warehouse.sync();
    for (const { partition, state, done, held, checkpoint } of positions) {
      state.warehouseHeld = sync ? undefined : held;
      if (state.revoked) continue;
      // Never commit inside a file: up to the first offset of a file not yet written, at most.
      const pending = this.#d.parquet.pendingFrom(this.#d.topic, partition);
      let next = done + 1n;
      if (pending !== undefined && BigInt(pending) < next) next = BigInt(pending);
      // Nor past a message whose rows the warehouse holds in its open transaction (unless synced).
      if (!sync && held !== undefined && held < next) next = held;
      if (state.committed !== undefined && next <= state.committed) continue;
      await this.#d.checkpoints.save(this.#d.topic, partition, String(next), checkpoint);
      await this.#d.consumer.commit(this.#d.topic, partition, String(next));
      state.committed = next;
      this.#d.log.debug({ partition, offset: String(next) }, 'committed');
    }
  }

  /** Graceful stop: stop fetching (staying in the group), drain, write open files, commit, leave. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#d.consumer.pause();
    try {
      await this.#d.pipeline.drain();
      await this.#d.parquet.flushAll();
      if (!this.#failure) await this.commit({ sync: true });
    } finally {
      await this.#d.consumer.stop();
    }
  }
}
