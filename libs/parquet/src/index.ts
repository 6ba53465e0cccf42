export { DEFAULT_BATCH_ROWS, parquetWasmCodec } from './parquet-wasm.js';
export type { ParquetWasmCodec, ParquetWasmOptions } from './parquet-wasm.js';
export type { EncodeOptions, ParquetCodec, ParquetFileInfo, ParquetFileReader, RowGroupInfo } from './types.js';
