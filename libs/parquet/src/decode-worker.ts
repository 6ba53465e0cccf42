// Piscina task module: decodes one Parquet row group to Arrow IPC stream bytes.
// It runs in a worker thread so that each thread owns one parquet-wasm instance: a wasm panic on a
// corrupt page ("RuntimeError: unreachable") poisons only that instance, the worker dies, the pool
// replaces it, and the caller gets an error instead of a crashed service.
import { openAsBlob } from 'node:fs';
import * as pq from 'parquet-wasm';
import { Piscina } from 'piscina';
import type { RowRange } from './types.js';
import { nameThisThread, THREAD_NAMES } from '../../workers/src/thread-name.js';

nameThisThread(THREAD_NAMES.parquetDecode);

export interface DecodeTask {
  readonly path: string;
  readonly rowGroup: number;
  readonly batchRows: number;
  /** Only these rows of the row group (reader.ts has checked them against the footer). */
  readonly rows?: RowRange;
}

export default async function decodeRowGroup(task: DecodeTask): Promise<Uint8Array> {
  const file = await pq.ParquetFile.fromFile(await openAsBlob(task.path));
  try {
    const range = task.rows ? { offset: task.rows.offset, limit: task.rows.count } : {};
    const table = await file.read({ rowGroups: [task.rowGroup], batchSize: task.batchRows, ...range });
    const bytes = table.intoIPCStream();
    // Transfer, not copy: the IPC bytes are the largest thing a decode makes.
    return Piscina.move(bytes) as Uint8Array;
  } finally {
    file.free();
  }
}
