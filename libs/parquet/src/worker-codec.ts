import { tableToIPC } from 'apache-arrow';
import { Piscina } from 'piscina';
import type { EncodeOptions, ParquetCodec, ParquetFileReader } from './types.js';
import { poolWorkerModule } from '../../workers/src/worker-module.js';

/**
 * Rows per decoded record batch. parquet-wasm's default (1,024) makes decoding 3-4x slower
 * (shared/notes/parquet-perf.md); 65,536 keeps batches large without holding a whole row group twice.
 */
export const DEFAULT_BATCH_ROWS = 65_536;

/** What an encode worker module receives: the rows as Arrow IPC streams of one schema, and how to write them. */
export interface EncodeTask {
  readonly streams: readonly Uint8Array[];
  readonly compression: EncodeOptions['compression'];
  readonly rowGroupRows: number;
  /** Key-value metadata written into the footer. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly plainColumns: readonly string[];
}

export interface WorkerCodecOptions {
  /** Most rows per decoded Arrow record batch. */
  readonly batchRows?: number;
  /** Worker threads decoding row groups, and encoding tables. */
  readonly decodeThreads?: number;
}

export interface WorkerCodec extends ParquetCodec {
  /** Stops the decode and encode workers. */
  destroy(): Promise<void>;
}

export interface WorkerCodecSpec<DecodeTask> {
  readonly name: string;
  /** The piscina task modules (URLs relative to the codec's module). */
  readonly decodeWorker: URL;
  readonly encodeWorker: URL;
  /** Opens a file: reads its footer here and decodes row groups through `decode` (a worker). */
  open(path: string, decode: (task: DecodeTask) => Promise<Uint8Array>, batchRows: number): Promise<ParquetFileReader>;
}

function encodeTask(streams: readonly Uint8Array[], options: EncodeOptions): EncodeTask {
  return { streams, compression: options.compression, rowGroupRows: options.rowGroupRows, metadata: options.metadata ?? {}, plainColumns: options.plainColumns ?? [] };
}

/**
 * A codec whose decode and encode run in piscina worker threads, which start on first use and
 * stop after 5 s idle: a library panic or its memory stays in a worker. Encoding sends the table
 * as Arrow IPC bytes, transferred, not copied.
 */
export function workerCodec<DecodeTask>(spec: WorkerCodecSpec<DecodeTask>, options: WorkerCodecOptions = {}): WorkerCodec {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const threads = options.decodeThreads ?? 1;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new RangeError(`batchRows should be a positive integer, got ${batchRows}`);
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`decodeThreads should be a positive integer, got ${threads}`);
  const decoder = new Piscina<DecodeTask, Uint8Array>({ ...poolWorkerModule(spec.decodeWorker), minThreads: 0, maxThreads: threads, idleTimeout: 5_000 });
  const encoder = new Piscina<EncodeTask, Uint8Array>({ ...poolWorkerModule(spec.encodeWorker), minThreads: 0, maxThreads: threads, idleTimeout: 5_000 });
  return {
    name: spec.name,
    open: (path) => spec.open(path, (task) => decoder.run(task), batchRows),
    async encode(table, encodeOptions) {
      const ipc = tableToIPC(table, 'stream');
      return encoder.run(encodeTask([ipc], encodeOptions), { transferList: [ipc.buffer as ArrayBuffer] });
    },
    // The caller keeps its streams: shared ones cross as they are, others are copied.
    encodeIpc: async (streams, encodeOptions) => encoder.run(encodeTask(streams, encodeOptions)),
    destroy: async () => { await Promise.all([decoder.destroy(), encoder.destroy()]); },
  };
}
