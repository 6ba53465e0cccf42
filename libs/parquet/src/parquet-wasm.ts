import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import * as pq from 'parquet-wasm';
import { Piscina } from 'piscina';
import { AppError, messageOf } from '../../errors/src/index.js';
import type { DecodeTask } from './decode-worker.js';
import type { EncodeTask } from './encode-worker.js';
import type { ParquetCodec, ParquetFileInfo, ParquetFileReader, RowGroupInfo } from './types.js';
import { workerModule } from '../../workers/src/worker-module.js';

/**
 * Rows per decoded record batch. parquet-wasm's default (1,024) makes decoding 3-4x slower
 * (shared/notes/parquet-perf.md); 65,536 keeps batches large without holding a whole row group twice.
 */
export const DEFAULT_BATCH_ROWS = 65_536;

export interface ParquetWasmOptions {
  /** Rows per decoded Arrow record batch. */
  readonly batchRows?: number;
  /** Worker threads decoding row groups (each holds one wasm instance, up to the row group's size). */
  readonly decodeThreads?: number;
}

export interface ParquetWasmCodec extends ParquetCodec {
  /** Stops the decode workers. */
  destroy(): Promise<void>;
}

/**
 * parquet-wasm (Rust parquet crate compiled to WebAssembly). The footer is read in the calling
 * thread through a lazy file Blob; row groups are decoded in worker threads (see decode-worker.ts).
 */
export function parquetWasmCodec(options: ParquetWasmOptions = {}): ParquetWasmCodec {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const threads = options.decodeThreads ?? 1;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new RangeError(`batchRows should be a positive integer, got ${batchRows}`);
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`decodeThreads should be a positive integer, got ${threads}`);
  const pool = new Piscina<DecodeTask, Uint8Array>({
    ...workerModule(new URL('./decode-worker.ts', import.meta.url)),
    minThreads: 0, maxThreads: threads, idleTimeout: 5_000,
  });
  const encoder = new Piscina<EncodeTask, Uint8Array>({
    ...workerModule(new URL('./encode-worker.ts', import.meta.url)),
    minThreads: 0, maxThreads: threads, idleTimeout: 5_000,
  });
  return {
    name: 'parquet-wasm',
    open: (path) => openParquetWasm(path, (rowGroup) => pool.run({ path, rowGroup, batchRows })),
    async encode(table, options) {
      const ipc = tableToIPC(table, 'stream');
      return encoder.run({ ipc, compression: options.compression, rowGroupRows: options.rowGroupRows, metadata: options.metadata ?? {} },
        { transferList: [ipc.buffer as ArrayBuffer] });
    },
    destroy: async () => { await Promise.all([pool.destroy(), encoder.destroy()]); },
  };
}

async function openParquetWasm(path: string, decode: (rowGroup: number) => Promise<Uint8Array>): Promise<ParquetFileReader> {
  const sizeBytes = await statFile(path);
  if (sizeBytes === 0) {
    throw new AppError('TAXI_ERR_PARQUET_EMPTY', `${path} is empty (0 bytes), expected a Parquet file`, { context: { file: path } });
  }
  let file: pq.ParquetFile;
  try {
    // openAsBlob is lazy: parquet-wasm reads the footer and then only the byte ranges asked for.
    file = await pq.ParquetFile.fromFile(await openAsBlob(path));
  } catch (error) {
    throw new AppError('TAXI_ERR_PARQUET_CORRUPT', `${path} is not a readable Parquet file: ${messageOf(error)}`, {
      cause: error, context: { file: path },
    });
  }
  const info = describe(path, sizeBytes, file);
  file.free(); // the footer is all the calling thread needs; workers open the file themselves
  if (info.numRows === 0) {
    throw new AppError('TAXI_ERR_PARQUET_EMPTY', `${path} holds no rows`, { context: { file: path } });
  }
  let closed = false;
  return {
    info,
    async readRowGroup(index: number): Promise<Table> {
      if (closed) throw new Error(`readRowGroup(${index}) after close() on ${path}`);
      if (!Number.isInteger(index) || index < 0 || index >= info.rowGroups.length) {
        throw new RangeError(`row group ${index} out of range: ${path} has ${info.rowGroups.length}`);
      }
      try {
        return tableFromIPC(await decode(index));
      } catch (error) {
        throw new AppError('TAXI_ERR_PARQUET_CORRUPT', `${path} row group ${index} cannot be decoded: ${messageOf(error)}`, {
          cause: error, context: { file: path, rowGroup: index },
        });
      }
    },
    close(): void {
      closed = true;
    },
  };
}

function describe(path: string, sizeBytes: number, file: pq.ParquetFile): ParquetFileInfo {
  const metadata = file.metadata();
  const fileMetadata = metadata.fileMetadata();
  const rowGroups: RowGroupInfo[] = [];
  for (let index = 0; index < metadata.numRowGroups(); index++) {
    const rowGroup = metadata.rowGroup(index);
    rowGroups.push({ index, numRows: rowGroup.numRows(), totalBytes: rowGroup.totalByteSize() });
  }
  return { path, sizeBytes, numRows: fileMetadata.numRows(), createdBy: fileMetadata.createdBy() ?? undefined, rowGroups };
}

async function statFile(path: string): Promise<number> {
  try {
    const stats = await stat(path);
    if (!stats.isFile()) {
      throw new AppError('TAXI_ERR_SOURCE_UNREADABLE', `${path} is not a regular file`, { context: { file: path } });
    }
    return stats.size;
  } catch (error) {
    if (error instanceof AppError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AppError('TAXI_ERR_SOURCE_NOT_FOUND', `${path} does not exist`, { cause: error, context: { file: path } });
    }
    throw new AppError('TAXI_ERR_SOURCE_UNREADABLE', `${path} cannot be read: ${messageOf(error)}`, { cause: error, context: { file: path } });
  }
}
