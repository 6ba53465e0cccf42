// What every codec's open() shares: the file checks before any decoder sees it, and the reader's
// contract (range checks, close, errors naming the file and row group). Only decoding differs.
import { stat } from 'node:fs/promises';
import { tableFromIPC } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import { AppError, messageOf } from '../../errors/src/index.js';
import { readFooter } from './footer.js';
import type { DecodeTask } from './decode-worker.js';
import type { ParquetFileInfo, ParquetFileReader, RowRange } from './types.js';

/**
 * The size of a source file that exists and is a regular file.
 * Errors: TAXI_ERR_SOURCE_NOT_FOUND, TAXI_ERR_SOURCE_UNREADABLE, TAXI_ERR_PARQUET_EMPTY (0 bytes).
 */
export async function sourceFileSize(path: string): Promise<number> {
  let size: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) {
      throw new AppError('TAXI_ERR_SOURCE_UNREADABLE', `${path} is not a regular file`, { context: { file: path } });
    }
    size = stats.size;
  } catch (error) {
    if (error instanceof AppError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AppError('TAXI_ERR_SOURCE_NOT_FOUND', `${path} does not exist`, { cause: error, context: { file: path } });
    }
    throw new AppError('TAXI_ERR_SOURCE_UNREADABLE', `${path} cannot be read: ${messageOf(error)}`, { cause: error, context: { file: path } });
  }
  if (size === 0) {
    throw new AppError('TAXI_ERR_PARQUET_EMPTY', `${path} is empty (0 bytes), expected a Parquet file`, { context: { file: path } });
  }
  return size;
}

/**
 * The file's footer, read in JavaScript (footer.ts): a corrupt footer is an error here, never a panic
 * in a decoder sharing the calling thread (parquet-wasm's footer reader can panic outside any promise
 * it returns, which ends the process).
 * Errors: those of sourceFileSize, and TAXI_ERR_PARQUET_CORRUPT (not Parquet, truncated, bad footer).
 */
export async function readFileInfo(path: string): Promise<ParquetFileInfo> {
  const sizeBytes = await sourceFileSize(path);
  try {
    const footer = await readFooter(path, sizeBytes);
    const rowGroups = footer.rowGroups.map((g, index) => ({ index, numRows: g.numRows, totalBytes: g.totalBytes }));
    return { path, sizeBytes, numRows: footer.numRows, createdBy: footer.createdBy, rowGroups };
  } catch (error) {
    throw new AppError('TAXI_ERR_PARQUET_CORRUPT', `${path} is not a readable Parquet file: ${messageOf(error)}`, {
      cause: error, context: { file: path },
    });
  }
}

/**
 * A reader over `info` whose row groups (or row ranges of them) come from `decode`; a decode error,
 * or fewer or more rows than the footer promises, becomes TAXI_ERR_PARQUET_CORRUPT naming the file,
 * the row group and the range. A file of no rows is TAXI_ERR_PARQUET_EMPTY.
 */
export function rowGroupReader(info: ParquetFileInfo, decode: (index: number, rows: RowRange | undefined) => Promise<Table>): ParquetFileReader {
  const { path } = info;
  if (info.numRows === 0) {
    throw new AppError('TAXI_ERR_PARQUET_EMPTY', `${path} holds no rows`, { context: { file: path } });
  }
  let closed = false;
  return {
    info,
    async readRowGroup(index: number, rows?: RowRange): Promise<Table> {
      if (closed) throw new Error(`readRowGroup(${index}) after close() on ${path}`);
      const group = info.rowGroups[index];
      if (!Number.isInteger(index) || group === undefined) {
        throw new RangeError(`row group ${index} out of range: ${path} has ${info.rowGroups.length}`);
      }
      if (rows && !(Number.isInteger(rows.offset) && Number.isInteger(rows.count) && rows.offset >= 0 && rows.count >= 1 && rows.offset + rows.count <= group.numRows)) {
        throw new RangeError(`rows ${rows.offset} to ${rows.offset + rows.count - 1} of row group ${index} out of range: it has ${group.numRows} (${path})`);
      }
      const what = `${path} row group ${index}${rows ? ` rows ${rows.offset} to ${rows.offset + rows.count - 1}` : ''}`;
      const context = { file: path, rowGroup: index, ...(rows ? { rowOffset: rows.offset, rowCount: rows.count } : {}) };
      let table: Table;
      try {
        table = await decode(index, rows);
      } catch (error) {
        throw new AppError('TAXI_ERR_PARQUET_CORRUPT', `${what} cannot be decoded: ${messageOf(error)}`, { cause: error, context });
      }
      const expected = rows?.count ?? group.numRows;
      if (table.numRows !== expected) {
        throw new AppError('TAXI_ERR_PARQUET_CORRUPT', `${what} decoded to ${table.numRows} rows where the footer says ${expected}`, { context });
      }
      return table;
    },
    close(): void {
      closed = true;
    },
  };
}

/**
 * open() of a codec whose worker decodes a row group, by index, to Arrow IPC stream bytes
 * (parquet-wasm's and arrow-rs's).
 */
export async function ipcRowGroupReader(path: string, decode: (task: DecodeTask) => Promise<Uint8Array>, batchRows: number): Promise<ParquetFileReader> {
  return rowGroupReader(await readFileInfo(path), async (rowGroup, rows) => tableFromIPC(await decode({ path, rowGroup, batchRows, ...(rows ? { rows } : {}) })));
}
