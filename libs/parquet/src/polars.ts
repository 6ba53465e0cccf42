import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { Piscina } from 'piscina';
import { plainBatches } from './arrow-batches.js';
import { DEFAULT_BATCH_ROWS } from './parquet-wasm.js';
import type { PolarsDecodeTask } from './polars-decode-worker.js';
import type { PolarsEncodeTask } from './polars-encode-worker.js';
import { readFileInfo, rowGroupReader } from './reader.js';
import type { ParquetCodec, ParquetFileReader } from './types.js';
import { workerModule } from '../../workers/src/worker-module.js';

export interface PolarsOptions {
  /** Most rows per Arrow record batch handed out (polars decodes a row group in batches of up to 2^18 rows; they are sliced, not copied). */
  readonly batchRows?: number;
  /** Worker threads decoding row groups, and encoding tables (polars runs each on its own thread pool too). */
  readonly decodeThreads?: number;
}

export interface PolarsCodec extends ParquetCodec {
  /** Stops the decode and encode workers. */
  destroy(): Promise<void>;
}

/**
 * nodejs-polars (the Rust polars crates as a native Node-API module). The footer is read in the
 * calling thread by footer.ts; row groups are decoded and tables encoded in worker threads
 * (polars-decode-worker.ts, polars-encode-worker.ts), so the native module never loads in the
 * calling thread. Decoded string columns arrive as LargeUtf8 and are handed out as Utf8
 * (arrow-batches.ts), so a reader's tables have parquet-wasm's types.
 * Written files differ from parquet-wasm's in one way: every column is OPTIONAL in the Parquet
 * schema (polars has no non-nullable columns), where parquet-wasm writes REQUIRED for non-nullable
 * Arrow fields. Types, units and key-value metadata are the same.
 */
export function polarsCodec(options: PolarsOptions = {}): PolarsCodec {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const threads = options.decodeThreads ?? 1;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new RangeError(`batchRows should be a positive integer, got ${batchRows}`);
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`decodeThreads should be a positive integer, got ${threads}`);
  const decoder = new Piscina<PolarsDecodeTask, Uint8Array>({
    ...workerModule(new URL('./polars-decode-worker.ts', import.meta.url)),
    minThreads: 0, maxThreads: threads, idleTimeout: 5_000,
  });
  const encoder = new Piscina<PolarsEncodeTask, Uint8Array>({
    ...workerModule(new URL('./polars-encode-worker.ts', import.meta.url)),
    minThreads: 0, maxThreads: threads, idleTimeout: 5_000,
  });
  return {
    name: 'polars',
    open: (path) => openPolars(path, batchRows, (task) => decoder.run(task)),
    async encode(table, options) {
      const ipc = tableToIPC(table, 'stream');
      return encoder.run({ ipc, compression: options.compression, rowGroupRows: options.rowGroupRows, metadata: options.metadata ?? {} },
        { transferList: [ipc.buffer as ArrayBuffer] });
    },
    destroy: async () => { await Promise.all([decoder.destroy(), encoder.destroy()]); },
  };
}

async function openPolars(path: string, batchRows: number, decode: (task: PolarsDecodeTask) => Promise<Uint8Array>): Promise<ParquetFileReader> {
  const info = await readFileInfo(path);
  const firstRows: number[] = [];
  let rows = 0;
  for (const group of info.rowGroups) { firstRows.push(rows); rows += group.numRows; }
  return rowGroupReader(info, async (index) => {
    const ipc = await decode({ path, firstRow: firstRows[index] ?? 0, numRows: info.rowGroups[index]?.numRows ?? 0 });
    return plainBatches(tableFromIPC(ipc), batchRows);
  });
}
