import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { Piscina } from 'piscina';
import type { DecodeTask } from './decode-worker.js';
import type { EncodeTask } from './encode-worker.js';
import { readFileInfo, rowGroupReader } from './reader.js';
import type { ParquetCodec, ParquetFileReader } from './types.js';
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
 * thread by footer.ts; row groups are decoded and tables encoded in worker threads (decode-worker.ts,
 * encode-worker.ts).
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
  return rowGroupReader(await readFileInfo(path), async (index) => tableFromIPC(await decode(index)));
}
