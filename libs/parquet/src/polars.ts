import { tableFromIPC } from 'apache-arrow';
import { plainBatches } from './arrow-batches.js';
import type { PolarsDecodeTask } from './polars-decode-worker.js';
import { readFileInfo, rowGroupReader } from './reader.js';
import type { ParquetFileReader } from './types.js';
import { workerCodec } from './worker-codec.js';
import type { WorkerCodec, WorkerCodecOptions } from './worker-codec.js';

/** batchRows: most rows per Arrow record batch handed out (polars decodes a row group in batches of up to 2^18 rows; they are sliced, not copied). */
export type PolarsOptions = WorkerCodecOptions;
export type PolarsCodec = WorkerCodec;

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
  return workerCodec<PolarsDecodeTask>({
    name: 'polars',
    decodeWorker: new URL('./polars-decode-worker.ts', import.meta.url),
    encodeWorker: new URL('./polars-encode-worker.ts', import.meta.url),
    open: (path, decode, batchRows) => openPolars(path, batchRows, decode),
  }, options);
}

async function openPolars(path: string, batchRows: number, decode: (task: PolarsDecodeTask) => Promise<Uint8Array>): Promise<ParquetFileReader> {
  const info = await readFileInfo(path);
  const firstRows: number[] = [];
  let rows = 0;
  for (const group of info.rowGroups) { firstRows.push(rows); rows += group.numRows; }
  return rowGroupReader(info, async (index, rows) => {
    const ipc = await decode({ path, firstRow: (firstRows[index] ?? 0) + (rows?.offset ?? 0), numRows: rows?.count ?? info.rowGroups[index]?.numRows ?? 0 });
    return plainBatches(tableFromIPC(ipc), batchRows);
  });
}
