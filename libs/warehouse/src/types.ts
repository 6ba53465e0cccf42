import type { Table } from 'apache-arrow';

/** One processed batch: the rows of one raw message, in the processed schema (libs/schema processed.ts). */
export interface WarehouseBatch {
  /**
   * Where the rows came from: the partition key (e.g. "taxi.trips.raw/3") and the raw message's
   * offset. The same (partitionKey, offset) always carries the same rows: that is what makes a
   * retried write detectable.
   */
  readonly partitionKey: string;
  readonly offset: string;
  readonly table: Table;
  /**
   * The same rows as Arrow IPC bytes, when the caller has them (the transform's output): a
   * warehouse on another thread sends these instead of encoding the table again.
   */
  readonly ipc?: Uint8Array;
}

/** A row the warehouse refused (bad value for its column, ...): it goes to the DLQ with `reason`. */
export interface RowError {
  /** Index of the row in the batch's table. */
  readonly index: number;
  readonly reason: string;
}

export interface WriteOutcome {
  /** Rows now stored by this call (0 when the batch was already written: `duplicate`). */
  readonly rowsWritten: number;
  /** The batch had been written before (a retry after a crash or a lost reply); nothing was added. */
  readonly duplicate: boolean;
  readonly rowErrors: readonly RowError[];
}

/**
 * The warehouse port: BigQuery in the cloud (Storage Write API), DuckDB embedded.
 * Exactly-once: writeBatch is idempotent per (partitionKey, offset) provided that, per partition
 * key, batches are written in offset order from the last checkpoint the caller restored.
 */
export interface Warehouse {
  readonly name: string;
  /** Where the data is, for logs and summaries (bq://project.dataset.table, file:///…/taxi.duckdb). */
  readonly location: string;
  /**
   * Connects, creates the dataset/table when missing (schema from PROCESSED_FIELDS, partitioned
   * by pickup_date, clustered by pickup_zone) and adds missing NULLABLE columns.
   * Errors: TAXI_ERR_WAREHOUSE_UNAVAILABLE (retryable), TAXI_ERR_WAREHOUSE_SCHEMA (an existing
   * column has another type or mode: not retryable).
   */
  connect(): Promise<void>;
  /** Checks the warehouse answers now (readiness), cheaply. Errors: TAXI_ERR_WAREHOUSE_UNAVAILABLE. */
  ping(): Promise<void>;
  /**
   * Restores a partition's write position from a checkpoint string the caller stored with its
   * committed Kafka offset (undefined: start fresh). Call on partition assignment, before writes.
   */
  restore(partitionKey: string, checkpoint: string | undefined): Promise<void>;
  /**
   * Writes a batch: resolves once its rows are in the warehouse, durable then (BigQuery) or at the
   * next sync() (DuckDB gathers batches into larger transactions). Row-level refusals come back in
   * `rowErrors` (the other rows are written); a repeated batch comes back `duplicate`.
   * Errors: TAXI_ERR_WAREHOUSE_UNAVAILABLE (retryable: call again with the same batch),
   * TAXI_ERR_WAREHOUSE_WRITE (not retryable).
   */
  writeBatch(batch: WarehouseBatch): Promise<WriteOutcome>;
  /**
   * Makes every batch written so far durable. Call it before recording progress past them (a
   * Kafka offset commit). Errors: TAXI_ERR_WAREHOUSE_WRITE when written batches were lost (nothing
   * is written after that: restart from the last committed offsets).
   */
  sync(): Promise<void>;
  /**
   * The first offset of `partitionKey` whose batch writeBatch acknowledged but which is not durable
   * yet (DuckDB's open transaction), or undefined when every batch written for it is durable. A
   * caller recording progress (a Kafka offset commit) stays below it, or calls sync() first.
   */
  pendingFrom(partitionKey: string): string | undefined;
  /** The checkpoint to store with the Kafka offset after the partition's last written batch. */
  checkpoint(partitionKey: string): string;
  /**
   * Replay staging: a warehouse over a new, empty table `name` of the same dataset/database with
   * the processed schema (a table left by an earlier run is dropped first). Write to it with
   * writeBatch, then publish it with replaceMonth. Call connect() on the result; close() it after.
   */
  staging(name: string): Promise<Warehouse>;
  /**
   * Replaces every row of (service, month) (`source_month`) in the main table with the staging
   * table's rows and drops the staging table, in one transaction: a reader sees the month before or
   * after, never half-replaced or doubled. Returns the month's row count afterwards.
   * Errors: TAXI_ERR_WAREHOUSE_WRITE (nothing changed), TAXI_ERR_WAREHOUSE_UNAVAILABLE.
   */
  replaceMonth(service: string, month: string, staging: string): Promise<number>;
  /** Runs a query (standard SQL; the table is named `trips`) and returns rows as plain objects. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}
