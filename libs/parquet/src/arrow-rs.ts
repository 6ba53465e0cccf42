import { assertArrowRsBuilt } from './arrow-rs-native.js';
import type { DecodeTask } from './decode-worker.js';
import { ipcRowGroupReader } from './reader.js';
import { workerCodec } from './worker-codec.js';
import type { WorkerCodec, WorkerCodecOptions } from './worker-codec.js';

export type ArrowRsOptions = WorkerCodecOptions;
export type ArrowRsCodec = WorkerCodec;

/**
 * arrow-rs, the Rust parquet crate, compiled natively as a Node-API module (libs/parquet/native):
 * the same library as parquet-wasm, so the same Arrow types on decode and the same files on encode
 * (non-nullable columns REQUIRED), without WebAssembly's cost. The footer is read in the calling
 * thread by footer.ts; row groups are decoded and tables encoded in worker threads
 * (arrow-rs-decode-worker.ts, arrow-rs-encode-worker.ts). Fails at once, with how to build it, when
 * the module was not built.
 */
export function arrowRsCodec(options: ArrowRsOptions = {}): ArrowRsCodec {
  assertArrowRsBuilt();
  return workerCodec<DecodeTask>({
    name: 'arrow-rs',
    decodeWorker: new URL('./arrow-rs-decode-worker.ts', import.meta.url),
    encodeWorker: new URL('./arrow-rs-encode-worker.ts', import.meta.url),
    open: ipcRowGroupReader,
  }, options);
}
