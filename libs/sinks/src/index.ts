export { ParquetSink, parquetSinkOptionsSchema, processedKey } from './parquet-sink.js';
export type { FlushedFile, ParquetSinkInput, SinkBatch } from './parquet-sink.js';
