import type { DecodeTask } from './decode-worker.js';
import { ipcRowGroupReader } from './reader.js';
import { workerCodec } from './worker-codec.js';
import type { WorkerCodec, WorkerCodecOptions } from './worker-codec.js';

export { DEFAULT_BATCH_ROWS } from './worker-codec.js';

/** decodeThreads: each holds one wasm instance, up to the row group's size. */
export type ParquetWasmOptions = WorkerCodecOptions;
export type ParquetWasmCodec = WorkerCodec;

/**
 * parquet-wasm (Rust parquet crate compiled to WebAssembly). The footer is read in the calling
 * thread by footer.ts; row groups are decoded and tables encoded in worker threads (decode-worker.ts,
 * encode-worker.ts).
 */
export function parquetWasmCodec(options: ParquetWasmOptions = {}): ParquetWasmCodec {
  return workerCodec<DecodeTask>({
    name: 'parquet-wasm',
    decodeWorker: new URL('./decode-worker.ts', import.meta.url),
    encodeWorker: new URL('./encode-worker.ts', import.meta.url),
    open: ipcRowGroupReader,
  }, options);
}
