import { managedwriter } from '@google-cloud/bigquery-storage';
import type { protos } from '@google-cloud/bigquery-storage';
import { AppError } from '../../errors/src/index.js';
import type { AppendAt, AppendReply } from './bigquery-append.js';
import { GRPC_ALREADY_EXISTS, GRPC_DEADLINE_EXCEEDED, GRPC_OUT_OF_RANGE, isTransientGrpcError, TRANSIENT_GRPC_CODES, withRetries } from './bigquery-errors.js';
import type { BigQueryRetryOptions } from './options.js';

type StreamConnection = Awaited<ReturnType<managedwriter.WriterClient['createStreamConnection']>>;
type AppendRowsResponse = protos.google.cloud.bigquery.storage.v1.IAppendRowsResponse;
type DescriptorProto = protos.google.protobuf.IDescriptorProto;

export interface StreamSettings {
  readonly descriptor: DescriptorProto;
  readonly requestTimeoutMs: number;
  readonly retry: BigQueryRetryOptions;
}

/**
 * A transient failure of one attempt. `answered`: the server said so (nothing was appended);
 * otherwise the outcome is unknown (no answer in time: the request may have landed).
 */
class TransientAppendError extends Error {
  readonly code: number;
  readonly answered: boolean;
  constructor(code: number, message: string, answered: boolean) {
    super(message);
    this.code = code;
    this.answered = answered;
  }
}

/** Creates a COMMITTED write stream on the table; returns its name. */
export async function createCommittedStream(client: managedwriter.WriterClient, tablePath: string, settings: StreamSettings): Promise<string> {
  return withRetries(`creating a COMMITTED write stream on ${tablePath}`, settings.retry, isTransientGrpcError, async () => {
    const stream = await client.createWriteStreamFullResponse(
      { streamType: managedwriter.CommittedStream, destinationTable: tablePath },
      { timeout: settings.requestTimeoutMs, retry: null },
    );
    if (!stream.name) throw new Error('CreateWriteStream answered without a stream name');
    return stream.name;
  });
}

/** Checks that a stream named by a checkpoint still exists (before trusting its offsets). */
export async function checkStream(client: managedwriter.WriterClient, streamName: string, settings: StreamSettings): Promise<void> {
  await withRetries(`checking write stream ${streamName}`, settings.retry, isTransientGrpcError, () =>
    client.getClient().getWriteStream({ name: streamName }, { timeout: settings.requestTimeoutMs, retry: null }));
}

/**
 * One long-lived AppendRows connection to one COMMITTED stream, reused across batches. `append`
 * sends rows at an offset and retries transient failures (a cut connection, UNAVAILABLE, a
 * timeout, ...) with backoff on a fresh connection, at the same offset: the stream itself then
 * says whether an earlier attempt landed (ALREADY_EXISTS). One append at a time: a connection's
 * answers are matched to its requests in order, so after any failure the connection is dropped
 * rather than reused with requests of unknown fate still queued on it.
 */
export class StreamAppender {
  readonly stream: string;
  readonly #client: managedwriter.WriterClient;
  readonly #settings: StreamSettings;
  #connection: StreamConnection | undefined;
  #writer: managedwriter.Writer | undefined;
  #failed = false;

  constructor(client: managedwriter.WriterClient, stream: string, settings: StreamSettings) {
    this.#client = client;
    this.stream = stream;
    this.#settings = settings;
  }

  /** The AppendAt of bigquery-append.ts for this stream. */
  readonly append: AppendAt = async (rows, offset) => {
    let unknownOutcome = false;
    return withRetries(`appending ${rows.length} row(s) at offset ${offset} of ${this.stream}`, this.#settings.retry, isTransientGrpcError, async () => {
      try {
        const reply = replyOf(await this.#send(rows, offset), this.stream);
        return reply.kind === 'exists' ? { ...reply, afterUnknown: unknownOutcome } : reply;
      } catch (error) {
        if (isTransientGrpcError(error)) {
          unknownOutcome ||= !(error instanceof TransientAppendError && error.answered);
          this.#drop();
        }
        throw error;
      }
    });
  };

  close(): void {
    this.#drop();
  }

  async #send(rows: readonly Uint8Array[], offset: number): Promise<AppendRowsResponse> {
    const writer = await this.#open();
    const pending = writer.appendRows({ serializedRows: [...rows] }, offset);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new TransientAppendError(GRPC_DEADLINE_EXCEEDED, `no answer within ${this.#settings.requestTimeoutMs} ms`, false));
      }, this.#settings.requestTimeoutMs);
    });
    try {
      return await Promise.race([pending.getResult(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #open(): Promise<managedwriter.Writer> {
    if (this.#failed) this.#drop();
    if (this.#writer) return this.#writer;
    const connection = await this.#client.createStreamConnection({ streamId: this.stream });
    // Without a listener, an error on the bidi stream is an unhandled 'error' event: a crash.
    connection.onConnectionError(() => { this.#failed = true; });
    this.#connection = connection;
    this.#writer = new managedwriter.Writer({ connection, protoDescriptor: this.#settings.descriptor });
    this.#failed = false;
    return this.#writer;
  }

  /** Closes the connection, failing whatever is still pending on it (its fate is unknown). */
  #drop(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#writer = undefined;
    this.#failed = false;
    if (!connection) return;
    for (const pending of connection.getPendingWrites()) pending.abort();
    connection.close();
  }
}

/**
 * Reads an AppendRows answer. ALREADY_EXISTS and OUT_OF_RANGE come back inside the response (not
 * as a rejected call) on a COMMITTED stream; row errors come with INVALID_ARGUMENT in `rowErrors`.
 */
function replyOf(response: AppendRowsResponse, stream: string): AppendReply {
  const rowErrors = response.rowErrors ?? [];
  if (rowErrors.length > 0) {
    return { kind: 'rowErrors', errors: rowErrors.map((error) => ({ index: Number(error.index ?? -1), message: error.message ?? 'refused by BigQuery' })) };
  }
  const error = response.error;
  if (!error) return { kind: 'ok' };
  const code = error.code ?? 2;
  const message = error.message ?? '';
  if (code === GRPC_ALREADY_EXISTS) return { kind: 'exists', afterUnknown: false };
  if (code === GRPC_OUT_OF_RANGE) return { kind: 'gap', message };
  if (TRANSIENT_GRPC_CODES.has(code)) throw new TransientAppendError(code, message, true);
  throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `appending to ${stream} was refused (gRPC status ${code}): ${message}`, { cause: error });
}
