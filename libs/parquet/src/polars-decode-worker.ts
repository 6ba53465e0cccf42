// Piscina task module: decodes one Parquet row group with nodejs-polars (native Rust) to Arrow IPC
// stream bytes. The row group is read as its row range of a lazy scan: polars pushes the slice down
// to the reader, which then decodes only the row groups holding those rows (this one), so memory
// follows the row group, not the file.
import pl from 'nodejs-polars';
import { ownBuffer } from './own-buffer.js';
import { movedAfterRelease } from './polars-gc.js';
import { nameThisThread, THREAD_NAMES } from '../../workers/src/thread-name.js';

nameThisThread(THREAD_NAMES.parquetDecode);

export interface PolarsDecodeTask {
  readonly path: string;
  /** Index in the file of the first row to read (the row group's, or of a range in it). */
  readonly firstRow: number;
  readonly numRows: number;
}

function decode(task: PolarsDecodeTask): Uint8Array {
  // collectSync, not collect(): nodejs-polars turns a Rust panic (a corrupt page or footer) into a
  // JS error only on its synchronous calls; inside collect()'s thread-pool task a panic aborts the process.
  const frame = pl.scanParquet(task.path).slice(task.firstRow, task.numRows).collectSync();
  if (frame.height !== task.numRows) throw new Error(`read ${frame.height} rows where the footer says ${task.numRows}`);
  return ownBuffer(frame.writeIPCStream());
}

export default function decodeRowGroup(task: PolarsDecodeTask): Promise<Uint8Array> {
  return movedAfterRelease(() => decode(task));
}
