import { tableToIPC } from 'apache-arrow';
import type { Table } from 'apache-arrow';

export interface Slice {
  /** Row index of the slice's first row within the table. */
  readonly offset: number;
  readonly rowCount: number;
  /** Arrow IPC stream bytes: the schema and one record batch. */
  readonly ipc: Uint8Array;
}

/** Bytes held by a table's buffers: the basis of the rows-per-slice estimate. */
function tableBytes(table: Table): number {
  return table.batches.reduce((sum, batch) => sum + batch.data.byteLength, 0);
}

/**
 * Cuts a table into IPC messages of at most `maxBytes` each, as few as that allows. Rows per slice
 * start from the table's average row width; a slice that still comes out too large (rows of uneven
 * width) is halved until it fits. A single row larger than `maxBytes` is an error.
 */
export function sliceTable(table: Table, maxBytes: number): Slice[] {
  return [...iterateSlices(table, maxBytes)];
}

/** As sliceTable, one slice at a time: a caller that sends as it goes holds one slice, not all. */
export function* iterateSlices(table: Table, maxBytes: number): Generator<Slice> {
  if (table.numRows === 0) return;
  const bytesPerRow = Math.max(1, tableBytes(table) / table.numRows);
  const target = Math.max(1, Math.floor((maxBytes * 0.9) / bytesPerRow));
  for (let offset = 0; offset < table.numRows;) {
    let rowCount = Math.min(target, table.numRows - offset);
    let ipc = tableToIPC(table.slice(offset, offset + rowCount), 'stream');
    while (ipc.byteLength > maxBytes) {
      if (rowCount === 1) throw new RangeError(`row ${offset} alone takes ${ipc.byteLength} bytes, more than the ${maxBytes}-byte message limit`);
      rowCount = Math.ceil(rowCount / 2);
      ipc = tableToIPC(table.slice(offset, offset + rowCount), 'stream');
    }
    yield { offset, rowCount, ipc };
    offset += rowCount;
  }
}
