/**
 * The warehouse on BigQuery: the table through @google-cloud/bigquery (REST), rows through the
 * Storage Write API (@google-cloud/bigquery-storage, gRPC).
 *
 * Exactly-once, with COMMITTED write streams and append offsets:
 * - Each partition key (one Kafka partition) writes through its own COMMITTED stream, created on
 *   its first batch, over one long-lived AppendRows connection. Rows on a COMMITTED stream are
 *   visible as soon as the append is acknowledged.
 * - The adapter tracks the partition's row offset: the number of rows in its stream. A batch's
 *   good rows go at that offset, row k at offset + k, in one or more AppendRows requests (split to
 *   stay under maxRequestBytes); each request carries the offset of its first row, and the stream
 *   accepts an append only at its exact end. On success the offset advances by the batch's rows.
 * - checkpoint() is `{"stream","rowOffset","lastOffset"}`: the stream, its row count, and the
 *   Kafka offset of the last batch in it; the processor stores it with its Kafka offset. restore()
 *   puts the partition back there. A batch at or before lastOffset is known to be in the stream:
 *   it is reported `duplicate` without asking the stream, which also covers a checkpoint stored
 *   with an older Kafka offset than the last batch it includes.
 * - After a crash, the processor restores the last checkpoint and re-sends the same batches in the
 *   same order. The transform is deterministic, so each re-sent batch has the same rows and lands
 *   at the same offsets: the stream answers ALREADY_EXISTS for rows it has (the batch is reported
 *   `duplicate`, the offset advances by its row count) and accepts what it lacks. A batch that was
 *   only partly written (its first requests landed) converges too: see appendBatch.
 * - A transient failure (a cut connection, UNAVAILABLE, a timeout) is retried on a new connection
 *   at the same offset; ALREADY_EXISTS then says the earlier attempt landed. A batch written out
 *   of order (OUT_OF_RANGE: the stream ends before it) is TAXI_ERR_WAREHOUSE_WRITE.
 * Limits: rows the server refused (rowErrors) shift the offsets of the rows after them, so a
 * re-send converges only if the server refuses the same rows again; the client-side checks of
 * encodeRows exist so that it never has to. The window between a partition's first write on a new
 * stream and the first stored checkpoint is not covered: a crash there loses the stream's name,
 * and the restarted processor, restoring nothing, writes those batches again on a new stream.
 * Streams are not finalized on close(): a finalized stream refuses every append, so a re-send
 * after a restart could not be checked against it.
 */
import { BigQuery } from '@google-cloud/bigquery';
import type { BigQueryOptions } from '@google-cloud/bigquery';
import { adapt, managedwriter } from '@google-cloud/bigquery-storage';
import { grpc } from 'google-gax';
import type { ClientOptions } from 'google-gax';
import { parseOptions } from '../../config/src/parse.js';
import { AppError } from '../../errors/src/index.js';
import { bigQuerySchema, PROCESSED_FIELDS } from '../../schema/src/processed.js';
import { appendBatch } from './bigquery-append.js';
import { formatCheckpoint, parseCheckpoint } from './bigquery-checkpoint.js';
import { checkBatchSchema, encodeRows, protoColumns } from './bigquery-rows.js';
import type { ProtoColumn } from './bigquery-rows.js';
import { checkStream, createCommittedStream, StreamAppender } from './bigquery-stream.js';
import type { StreamSettings } from './bigquery-stream.js';
import { ensureTable, pingTable, runQuery } from './bigquery-table.js';
import { bigQueryWarehouseOptionsSchema } from './options.js';
import type { BigQueryWarehouseInput, BigQueryWarehouseOptions } from './options.js';
import { checkStagingName } from './staging.js';
import type { Warehouse, WarehouseBatch, WriteOutcome } from './types.js';

/** Room kept in each AppendRows request for what is not rows: the stream name, trace id, offset, framing. */
const REQUEST_OVERHEAD_BYTES = 1_024;

export interface BigQueryWarehouse extends Warehouse {
  /** The table for SQL, fully qualified and quoted: `project.dataset.table` (query() also resolves a bare table name). */
  readonly tableRef: string;
}

/** The REST client's options: the adapter retries itself, so the client's retries are off. */
export function bigQueryClientOptions(options: BigQueryWarehouseOptions): BigQueryOptions & { timeout: number } {
  return {
    projectId: options.projectId,
    ...(options.apiEndpoint === undefined ? {} : { apiEndpoint: options.apiEndpoint }),
    ...(options.location === undefined ? {} : { location: options.location }),
    retryOptions: { autoRetry: false },
    timeout: options.requestTimeoutMs,
  };
}

/** The Storage Write client's options: Google's endpoint with credentials, or a plaintext emulator. */
export function writerClientOptions(options: BigQueryWarehouseOptions): ClientOptions {
  if (options.grpcEndpoint === undefined) return { projectId: options.projectId };
  const colon = options.grpcEndpoint.lastIndexOf(':');
  return {
    projectId: options.projectId,
    servicePath: options.grpcEndpoint.slice(0, colon),
    port: Number(options.grpcEndpoint.slice(colon + 1)),
    sslCreds: grpc.credentials.createInsecure(),
  };
}

/**
 * The BigQuery warehouse (see the top of this file for how writes are made exactly-once).
 * With apiEndpoint / grpcEndpoint set (the emulator) no credentials are used; METADATA_SERVER_DETECTION=none
 * keeps the clients from probing a GCE metadata server there.
 */
export function bigQueryWarehouse(input: BigQueryWarehouseInput): BigQueryWarehouse {
  return new BigQueryWarehouseAdapter(parseOptions(bigQueryWarehouseOptionsSchema, input, 'warehouse.bigquery'));
}

/** A partition's write position and connection; its calls run one at a time, in call order. */
class Partition {
  stream: string | undefined;
  rowOffset = 0;
  appender: StreamAppender | undefined;
  /** Kafka offset of the last batch in the stream (from the checkpoint restored, then each write). */
  lastBatchOffset: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  serial<T>(action: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(action);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

class BigQueryWarehouseAdapter implements BigQueryWarehouse {
  readonly name = 'bigquery';
  readonly location: string;
  readonly tableRef: string;
  readonly #options: BigQueryWarehouseOptions;
  readonly #tablePath: string;
  readonly #bq: BigQuery;
  readonly #writer: managedwriter.WriterClient;
  readonly #columns: readonly ProtoColumn[];
  readonly #settings: StreamSettings;
  readonly #budgetBytes: number;
  readonly #partitions = new Map<string, Partition>();
  #connected = false;
  #closed = false;

  constructor(options: BigQueryWarehouseOptions) {
    this.#options = options;
    this.location = `bq://${options.projectId}.${options.dataset}.${options.table}`;
    this.tableRef = `\`${options.projectId}.${options.dataset}.${options.table}\``;
    this.#tablePath = `projects/${options.projectId}/datasets/${options.dataset}/tables/${options.table}`;
    this.#bq = new BigQuery(bigQueryClientOptions(options));
    this.#writer = new managedwriter.WriterClient(writerClientOptions(options));
    const storageSchema = adapt.convertBigQuerySchemaToStorageTableSchema({ fields: bigQuerySchema() });
    const descriptor = adapt.convertStorageSchemaToProto2Descriptor(storageSchema, 'root');
    const numbers = new Map(descriptor.field.map((field) => [field.name ?? '', field.number ?? 0]));
    this.#columns = protoColumns(PROCESSED_FIELDS, numbers);
    this.#settings = { descriptor, requestTimeoutMs: options.requestTimeoutMs, retry: options.retry };
    // Every request carries the writer schema (the descriptor): its JSON length bounds its size.
    this.#budgetBytes = options.maxRequestBytes - JSON.stringify(descriptor).length - REQUEST_OVERHEAD_BYTES;
  }

  async connect(): Promise<void> {
    this.#checkOpen('connect');
    await ensureTable(this.#bq, this.#options, this.location);
    this.#connected = true;
  }

  async ping(): Promise<void> {
    this.#checkOpen('ping');
    await pingTable(this.#bq, this.#options, this.location);
  }

  async restore(partitionKey: string, checkpoint: string | undefined): Promise<void> {
    this.#checkOpen('restore');
    const partition = this.#partition(partitionKey);
    await partition.serial(async () => {
      const position = parseCheckpoint(checkpoint, partitionKey, this.#tablePath);
      if (position.stream !== undefined && position.stream !== partition.stream) {
        await checkStream(this.#writer, position.stream, this.#settings);
      }
      if (position.stream !== partition.stream) {
        partition.appender?.close();
        partition.appender = undefined;
      }
      partition.stream = position.stream;
      partition.rowOffset = position.rowOffset;
      partition.lastBatchOffset = position.lastOffset;
    });
  }

  async writeBatch(batch: WarehouseBatch): Promise<WriteOutcome> {
    this.#checkOpen('writeBatch');
    const partition = this.#partition(batch.partitionKey);
    return partition.serial(() => this.#write(partition, batch));
  }

  /** Appends are durable when the Storage Write API acknowledges them: a written batch needs nothing more. */
  async sync(): Promise<void> { /* nothing held */ }

  pendingFrom(): undefined { return undefined; }

  checkpoint(partitionKey: string): string {
    const partition = this.#partitions.get(partitionKey);
    return formatCheckpoint({ stream: partition?.stream, rowOffset: partition?.rowOffset ?? 0, lastOffset: partition?.lastBatchOffset });
  }

  async staging(name: string): Promise<Warehouse> {
    this.#checkOpen('staging');
    checkStagingName(name, this.#options.table);
    await runQuery(this.#bq, this.#options, `DROP TABLE IF EXISTS ${this.#ref(name)}`, this.location);
    return new BigQueryWarehouseAdapter({ ...this.#options, table: name, createIfMissing: true });
  }

  async replaceMonth(service: string, month: string, staging: string): Promise<number> {
    this.#checkOpen('replaceMonth');
    checkStagingName(staging, this.#options.table);
    const columns = PROCESSED_FIELDS.map((f) => `\`${f.name}\``).join(', ');
    const where = `service = '${service.replace(/'/g, "\\'")}' AND source_month = '${month.replace(/'/g, "\\'")}'`;
    // One multi-statement transaction: readers see the month before or after, never between.
    await runQuery(this.#bq, this.#options, [
      'BEGIN TRANSACTION;',
      `DELETE FROM ${this.tableRef} WHERE ${where};`,
      `INSERT INTO ${this.tableRef} (${columns}) SELECT ${columns} FROM ${this.#ref(staging)};`,
      'COMMIT TRANSACTION;',
    ].join('\n'), this.location);
    await runQuery(this.#bq, this.#options, `DROP TABLE IF EXISTS ${this.#ref(staging)}`, this.location);
    const [row] = await runQuery(this.#bq, this.#options, `SELECT COUNT(*) AS n FROM ${this.tableRef} WHERE ${where}`, this.location);
    return Number(row?.n ?? 0);
  }

  #ref(table: string): string { return `\`${this.#options.projectId}.${this.#options.dataset}.${table}\``; }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    this.#checkOpen('query');
    return runQuery(this.#bq, this.#options, sql, this.location);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#partitions.values()].map((partition) => partition.serial(async () => {
      partition.appender?.close();
      partition.appender = undefined;
    }).catch(() => undefined)));
    this.#writer.close(); // closes the AppendRows connections, not the gRPC channel under them
    await this.#writer.getClient().close();
  }

  async #write(partition: Partition, batch: WarehouseBatch): Promise<WriteOutcome> {
    const where = `${this.location} partition ${batch.partitionKey}, batch at offset ${batch.offset}`;
    if (!this.#connected) throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${where}: writeBatch() before connect()`);
    checkBatchSchema(batch.table, this.#columns, where);
    const encoded = encodeRows(batch.table, this.#columns);
    if (isWritten(batch.offset, partition.lastBatchOffset)) {
      return { rowsWritten: 0, duplicate: true, rowErrors: encoded.rowErrors };
    }
    if (encoded.rows.length === 0) {
      partition.lastBatchOffset = batch.offset;
      return { rowsWritten: 0, duplicate: false, rowErrors: encoded.rowErrors };
    }
    partition.stream ??= await createCommittedStream(this.#writer, this.#tablePath, this.#settings);
    partition.appender ??= new StreamAppender(this.#writer, partition.stream, this.#settings);
    const result = await appendBatch(partition.appender.append, encoded.rows, partition.rowOffset, this.#budgetBytes, `${where}, stream ${partition.stream}`);
    partition.rowOffset += result.rowCount;
    partition.lastBatchOffset = batch.offset;
    const rowErrors = [...encoded.rowErrors, ...result.rowErrors].sort((a, b) => a.index - b.index);
    return { rowsWritten: result.written, duplicate: result.written === 0 && result.existed > 0, rowErrors };
  }

  #partition(partitionKey: string): Partition {
    let partition = this.#partitions.get(partitionKey);
    if (!partition) {
      partition = new Partition();
      this.#partitions.set(partitionKey, partition);
    }
    return partition;
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${this.location}: ${what}() after close()`);
  }
}

/**
 * A batch at or before the last one in the stream is in it already (offsets of a partition only
 * grow): sent again after a lost answer, or after restoring a checkpoint that includes it. Sent to
 * the stream it would land at its end, as new rows. Offsets that are not integers compare by equality.
 */
function isWritten(offset: string, last: string | undefined): boolean {
  if (last === undefined) return false;
  if (/^\d+$/.test(offset) && /^\d+$/.test(last)) return BigInt(offset) <= BigInt(last);
  return offset === last;
}
