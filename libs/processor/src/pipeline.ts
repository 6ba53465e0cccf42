import { availableParallelism } from 'node:os';
import { tableFromIPC } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import type { Logger } from 'pino';
import { Piscina } from 'piscina';
import type { BusMessage } from '../../bus/src/index.js';
import { AppError } from '../../errors/src/index.js';
import { poolWorkerModule } from '../../workers/src/worker-module.js';
import type { ParquetSink } from '../../sinks/src/index.js';
import type { ProcessorMetrics } from '../../telemetry/src/index.js';
import type { Warehouse } from '../../warehouse/src/index.js';
import type { DeadLetter, DeadLetterSink } from './dead-letter.js';
import { unpackResult } from './transform-worker.js';
import type { TransformTask, TransformTaskResult, TransformWorkerData } from './transform-worker.js';
import { readZones } from '../../transform/src/index.js';

/**
 * The dead-letter reason of a message sent whole: `transform_failed` when the transform itself
 * failed on it (TAXI_ERR_TRANSFORM_FAILED: a bug to report; the message replays once fixed),
 * `undecodable_message` when the message is not one (its envelope or Arrow value is bad).
 */
export function wholeMessageReason(code: string): 'transform_failed' | 'undecodable_message' {
  return code === 'TAXI_ERR_TRANSFORM_FAILED' ? 'transform_failed' : 'undecodable_message';
}

/** Rows per month and outcome: the conservation law is rowsIn = rowsOut + sum(rejected). */
export interface MonthCounts {
  rowsIn: number;
  rowsOut: number;
  rejected: Record<string, number>;
  /** Messages sent whole to the DLQ (not decodable): their rows are unknown. */
  badMessages: number;
}

export interface PipelineDeps {
  readonly parquet: ParquetSink;
  readonly warehouse: Warehouse;
  readonly deadLetters: DeadLetterSink;
  readonly log: Logger;
  /** Worker threads transforming batches (default: available cores). */
  readonly poolSize?: number;
  /** The taxi zone lookup (default: the shipped data/samples/taxi_zone_lookup.csv). */
  readonly zonesPath?: string;
  /** Counters and the batch latency histogram (taxi_processor_*). */
  readonly metrics?: ProcessorMetrics;
  /** Called after each message is durable in both sinks and the DLQ. */
  readonly onDone?: (message: BusMessage, counts: { rowsIn: number; rowsOut: number; rejected: number }) => void;
}

/**
 * Transforms raw messages in a piscina pool and writes each to both sinks and the DLQ. Transforms
 * of a partition's messages run in parallel; their sink writes run in offset order (the caller
 * hands messages of a partition in offset order), which keeps Parquet names and warehouse
 * offsets deterministic.
 */
export class Pipeline {
  readonly #deps: PipelineDeps;
  readonly #pool: Piscina<TransformTask, Uint8Array>;
  readonly #chains = new Map<string, Promise<void>>();
  readonly counts = new Map<string, MonthCounts>();

  /** Errors: TAXI_ERR_ZONES_UNREADABLE when the zone lookup cannot be read (before any worker starts). */
  constructor(deps: PipelineDeps) {
    this.#deps = deps;
    const threads = deps.poolSize ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`processor.poolSize should be a positive integer, got ${threads}`);
    // Read here, once: a lookup that is missing stops the pipeline at its start, where a read in
    // each worker would fail every message and send the month to the DLQ whole.
    const workerData: TransformWorkerData = { zonesCsv: readZones(deps.zonesPath).csv };
    this.#pool = new Piscina({ ...poolWorkerModule(new URL('./transform-worker.ts', import.meta.url)), minThreads: threads, maxThreads: threads, idleTimeout: 30_000, workerData });
  }

  /** Share of the pool's capacity in use, 0-1 (for metrics and backpressure). */
  get utilization(): number { return this.#pool.utilization; }

  /** The pool has worker threads to run transforms (false once closed): part of readiness. */
  get poolUp(): boolean { return this.#pool.threads.length > 0; }

  /** Processes one message; resolves when it is durable in every sink. */
  async handle(message: BusMessage): Promise<void> {
    const key = `${message.topic}/${message.partition}`;
    const stopTimer = this.#deps.metrics?.batchSeconds.startTimer({ service: message.headers.service ?? 'unknown' });
    // The value is copied once into a buffer of its own (a kafkajs value is a view into the shared
    // fetch buffer) and transferred to the worker; the reply comes back shared (a SharedArrayBuffer), not cloned.
    const value = new Uint8Array(message.value);
    const transformed = this.#pool.run({ value, headers: message.headers }, { transferList: [value.buffer] }).then(unpackResult);
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const done = previous.then(async () => { await this.#write(message, key, await transformed); stopTimer?.(); });
    this.#chains.set(key, done.catch(() => undefined));
    return done;
  }

  async #write(message: BusMessage, partitionKey: string, result: TransformTaskResult): Promise<void> {
    const deps = this.#deps;
    const position = { topic: message.topic, partition: message.partition, offset: message.offset };
    if (!result.ok) {
      const reason = wholeMessageReason(result.code);
      if (reason === 'transform_failed') deps.log.error({ ...position, code: result.code, err: result.message }, 'the transform failed on a message (a bug, not bad input): message sent whole to the DLQ');
      else deps.log.warn({ ...position, code: result.code, err: result.message }, 'message sent whole to the DLQ');
      await deps.deadLetters.write([{ reason, error: `${result.code}: ${result.message}`, ...position,
        headers: message.headers, valueBase64: Buffer.from(message.value).toString('base64') }]);
      this.#count(message.headers.month ?? 'unknown', message.headers.service ?? 'unknown').badMessages++;
      deps.metrics?.dlqMessages.inc({ reason });
      deps.onDone?.(message, { rowsIn: 0, rowsOut: 0, rejected: 0 });
      return;
    }
    const { envelope, processed, rowsOut } = result;
    // The processed rows stay Arrow IPC bytes on this thread: the Parquet sink and a warehouse on
    // its own thread take the bytes, so a Table is decoded only for an adapter that reads one here
    // (BigQuery, DuckDB in-thread) or to name a row the warehouse refused.
    let decoded: Table | undefined;
    const decodedTable = (): Table => (decoded ??= tableFromIPC(processed));
    // Order matters: warehouse, then DLQ, then Parquet. A written Parquet file then proves every
    // message up to its last offset is durable everywhere, which is what offsets are committed from.
    const outcome = await deps.warehouse.writeBatch({ partitionKey, offset: message.offset, get table() { return decodedTable(); }, ipc: processed });
    const base = { service: envelope.service, month: envelope.month, source: envelope.source, rowGroup: envelope.rowGroup, ...position };
    const letters: DeadLetter[] = result.rejects.map((r) => ({ ...base, reason: r.reason, row: r.row, values: r.values }));
    for (const e of outcome.rowErrors) {
      const tripId = decodedTable().getChild('trip_id')?.get(e.index) as string | null;
      letters.push({ ...base, reason: 'warehouse_rejected', error: e.reason, row: Number(tripId?.split('/')[2] ?? -1) });
    }
    await deps.deadLetters.write(letters);
    await deps.parquet.add({ ...position, service: envelope.service, month: envelope.month, ipc: processed, rows: rowsOut });
    const written = rowsOut - outcome.rowErrors.length;
    const counts = this.#count(envelope.month, envelope.service);
    counts.rowsIn += envelope.rowCount;
    counts.rowsOut += written;
    for (const l of letters) counts.rejected[l.reason] = (counts.rejected[l.reason] ?? 0) + 1;
    const m = deps.metrics;
    if (m) {
      const service = envelope.service;
      m.rowsIn.inc({ service }, envelope.rowCount);
      m.rowsOut.inc({ service }, written);
      for (const l of letters) { m.rowsRejected.inc({ service, reason: l.reason }); m.dlqMessages.inc({ reason: l.reason }); }
    }
    deps.onDone?.(message, { rowsIn: envelope.rowCount, rowsOut: written, rejected: letters.length });
  }

  #count(month: string, service: string): MonthCounts {
    const key = `${service}/${month}`;
    let counts = this.counts.get(key);
    if (!counts) { counts = { rowsIn: 0, rowsOut: 0, rejected: {}, badMessages: 0 }; this.counts.set(key, counts); }
    return counts;
  }

  /** Waits for every message handed so far to be written. */
  async drain(): Promise<void> {
    await Promise.all(this.#chains.values());
  }

  async close(): Promise<void> {
    await this.drain();
    await this.#pool.destroy();
  }
}

/** Throws when a month's counts break rowsIn = rowsOut + rejected. */
export function checkConservation(month: string, c: MonthCounts): void {
  const rejected = Object.values(c.rejected).reduce((s, n) => s + n, 0);
  if (c.rowsIn !== c.rowsOut + rejected) {
    throw new AppError('TAXI_ERR_PROCESSOR_CONSERVATION', `${month}: rows in ${c.rowsIn} != rows out ${c.rowsOut} + rejected ${rejected}`);
  }
}
