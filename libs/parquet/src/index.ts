export { defaultParquetCodec, namedParquetCodec, parquetCodec } from './codecs.js';
export type { CodecOptions, DestroyableCodec } from './codecs.js';
export { DEFAULT_PARQUET_OPTIONS, PARQUET_CODECS, parquetOptionsSchema } from './options.js';
export type { ParquetCodecName, ParquetOptions } from './options.js';
export { DEFAULT_BATCH_ROWS, parquetWasmCodec } from './parquet-wasm.js';
export type { ParquetWasmCodec, ParquetWasmOptions } from './parquet-wasm.js';
export { polarsCodec } from './polars.js';
export type { PolarsCodec, PolarsOptions } from './polars.js';
export type { EncodeOptions, ParquetCodec, ParquetFileInfo, ParquetFileReader, RowGroupInfo } from './types.js';
