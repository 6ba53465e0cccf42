import type { Table } from 'apache-arrow';

export interface RowGroupInfo {
  readonly index: number;
  readonly numRows: number;
  /** Uncompressed size of the row group's column chunks, in bytes. */
  readonly totalBytes: number;
}

export interface ParquetFileInfo {
  readonly path: string;
  readonly sizeBytes: number;
  readonly numRows: number;
  /** The writer named in the footer, e.g. "parquet-cpp-arrow version 15.0.2". */
  readonly createdBy: string | undefined;
  readonly rowGroups: readonly RowGroupInfo[];
}

/** Rows `offset` to `offset + count - 1` of a row group (0 is the row group's first row). */
export interface RowRange {
  readonly offset: number;
  readonly count: number;
}

/** One open Parquet file, read one row group at a time so memory follows the row group, not the file. */
export interface ParquetFileReader {
  readonly info: ParquetFileInfo;
  /**
   * Decodes row group `index` into an Arrow table: all its rows, or only those of `rows` (the
   * decoder stops after them; the rows before them are skipped, not handed out).
   * Errors: RangeError for an index or a row range outside the file; TAXI_ERR_PARQUET_CORRUPT (not
   * retryable) when the row group cannot be decoded, naming the file, the row group and the range.
   */
  readRowGroup(index: number, rows?: RowRange): Promise<Table>;
  /** Releases the decoder's memory. Idempotent. */
  close(): void;
}

export interface EncodeOptions {
  readonly compression: 'zstd' | 'snappy' | 'uncompressed';
  readonly rowGroupRows: number;
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * Columns written without dictionary encoding: those whose values are nearly all distinct, where
   * the writer would build a dictionary only to abandon it (time, and larger files). A hint: the
   * polars codec has no such setting and writes them as it always does.
   */
  readonly plainColumns?: readonly string[];
}

/**
 * The Parquet codec port: the one place the project touches a Parquet library, so the codec can be
 * swapped when the benchmark shows a faster one.
 */
export interface ParquetCodec {
  readonly name: string;
  /**
   * Opens a local file and reads its footer only.
   * Errors (none retryable): TAXI_ERR_SOURCE_NOT_FOUND (no such file), TAXI_ERR_SOURCE_UNREADABLE
   * (a directory, no permission), TAXI_ERR_PARQUET_EMPTY (zero bytes or zero rows),
   * TAXI_ERR_PARQUET_CORRUPT (not Parquet, truncated footer).
   */
  open(path: string): Promise<ParquetFileReader>;
  /** Encodes a table as one Parquet file (in a worker thread). */
  encode(table: Table, options: EncodeOptions): Promise<Uint8Array>;
  /**
   * Encodes the rows of Arrow IPC streams of one schema, one stream after another, as one Parquet
   * file (in a worker thread): for a caller that holds IPC bytes already (the processor's transform
   * replies), which would otherwise decode them to a Table for encode() to serialize again. Streams
   * in SharedArrayBuffers reach the worker without a copy. A stream that is not Arrow IPC, or whose
   * schema is not the first one's, fails the call (a bug upstream, not bad input).
   */
  encodeIpc(streams: readonly Uint8Array[], options: EncodeOptions): Promise<Uint8Array>;
}
