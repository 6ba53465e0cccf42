// The arrow-rs Node-API module (libs/parquet/native, built by `npm ci` through build.sh): where it
// is, and loading it with a clear error when it was not built.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../errors/src/index.js';

/** Both return a Buffer V8 allocated (Rust's memory is freed before they return), so it can be transferred. */
export interface ArrowRsNative {
  /** Arrow IPC streams of one schema -> one Parquet file of their rows, in order (row groups of at most rowGroupRows rows). */
  encodeParquet(streams: readonly Uint8Array[], compression: string, rowGroupRows: number, metadata: Record<string, string>, plainColumns: readonly string[]): Buffer;
  /**
   * One row group of a Parquet file (or its rows rowOffset..rowOffset+rowCount-1) -> Arrow IPC
   * stream bytes, in batches of at most batchRows rows.
   */
  decodeRowGroup(path: string, rowGroup: number, batchRows: number, rowOffset?: number, rowCount?: number): Buffer;
}

/** From libs/parquet/src (or dist/libs/parquet/src in the image) to the built module. */
export const ARROW_RS_NATIVE_PATH = fileURLToPath(new URL('../native/taxi-parquet.node', import.meta.url));

/** Fails now, with how to fix it, when the module was not built (no Rust toolchain at `npm ci`). */
export function assertArrowRsBuilt(path: string = ARROW_RS_NATIVE_PATH): void {
  if (!existsSync(path)) {
    throw new AppError('TAXI_ERR_PARQUET_NATIVE_MISSING',
      `${path} does not exist: the arrow-rs Parquet codec was not built. Run \`npm run build:native\` (needs Rust 1.85 or later with cargo), or choose another codec with parquet.decoder / parquet.encoder (polars, parquet-wasm)`,
      { context: { file: path } });
  }
}

/** Loads the module; called only inside worker threads, so the calling thread never maps it. */
export function loadArrowRs(path: string = ARROW_RS_NATIVE_PATH): ArrowRsNative {
  assertArrowRsBuilt(path);
  return createRequire(import.meta.url)(path) as ArrowRsNative;
}
