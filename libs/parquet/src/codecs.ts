import { arrowRsCodec } from './arrow-rs.js';
import { DEFAULT_PARQUET_OPTIONS } from './options.js';
import type { ParquetCodecName, ParquetOptions } from './options.js';
import { parquetWasmCodec } from './parquet-wasm.js';
import { polarsCodec } from './polars.js';
import type { ParquetCodec } from './types.js';

export interface CodecOptions {
  /** Most rows per decoded Arrow record batch. */
  readonly batchRows?: number;
  /** Worker threads decoding row groups (and encoding tables). */
  readonly decodeThreads?: number;
}

export type DestroyableCodec = ParquetCodec & { destroy(): Promise<void> };

/** One library for both decoding and encoding; `destroy()` stops its worker threads. */
export function namedParquetCodec(name: ParquetCodecName, options: CodecOptions = {}): DestroyableCodec {
  switch (name) {
    case 'arrow-rs': return arrowRsCodec(options);
    case 'polars': return polarsCodec(options);
    case 'parquet-wasm': return parquetWasmCodec(options);
  }
}

/**
 * The codec the config chooses (`parquet.decoder`, `parquet.encoder`): one library, or one to
 * decode and another to encode. Worker threads start on first use, so the half not used costs nothing.
 */
export function parquetCodec(choice: Readonly<ParquetOptions> = DEFAULT_PARQUET_OPTIONS, options: CodecOptions = {}): DestroyableCodec {
  if (choice.decoder === choice.encoder) return namedParquetCodec(choice.decoder, options);
  const decoder = namedParquetCodec(choice.decoder, options);
  const encoder = namedParquetCodec(choice.encoder, options);
  return {
    name: `${choice.decoder} decoder, ${choice.encoder} encoder`,
    open: (path) => decoder.open(path),
    encode: (table, encodeOptions) => encoder.encode(table, encodeOptions),
    encodeIpc: (streams, encodeOptions) => encoder.encodeIpc(streams, encodeOptions),
    destroy: async () => { await Promise.all([decoder.destroy(), encoder.destroy()]); },
  };
}

/** The default codecs (options.ts says why they are the defaults). */
export function defaultParquetCodec(options: CodecOptions = {}): DestroyableCodec {
  return parquetCodec(DEFAULT_PARQUET_OPTIONS, options);
}
