import { isAscii } from 'node:buffer';
import type { Data, DataType, RecordBatch, Table } from 'apache-arrow';
import { DuckDBDataChunk, DuckDBDateValue, DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBType, DuckDBVector } from '@duckdb/node-api';
import { PROCESSED_FIELDS } from '../../schema/src/processed.js';
import type { ProcessedField, ProcessedType } from '../../schema/src/processed.js';
import { checkArrowColumns } from './arrow-columns.js';
import type { ExpectedColumn } from './arrow-columns.js';

// Arrow columns of a processed batch -> DuckDB data chunks for the appender, with no file and no
// Parquet in between. The value layouts are DuckDB's own: DOUBLE and BIGINT as 8-byte numbers,
// TIMESTAMP as int64 microseconds since the epoch and DATE as int32 days since the epoch, which
// is what Arrow Timestamp<MICROSECOND> and Date<DAY> hold, so every value is copied, not converted.

/** One column of the table, in the table's order: its DuckDB type and the processed field it holds. */
export interface TableColumn {
  readonly type: DuckDBType;
  /** undefined: a column outside the processed schema (added by hand), written as NULL. */
  readonly field: ProcessedField | undefined;
}

/** Rows per data chunk: DuckDB's vector size, the most a chunk holds (2048). */
const CHUNK_ROWS = 2048;

/**
 * Checks a record batch has the processed columns with the expected Arrow types (its data's, not
 * only its schema's): another schema is a bug upstream, refused whole (TAXI_ERR_WAREHOUSE_WRITE
 * naming the column). A missing NULLABLE column is written as nulls, as the BigQuery adapter does.
 */
function checkBatch(batch: RecordBatch, where: string): void {
  const fields = batch.schema.fields.map((field, i) => ({ name: field.name, type: (batch.data.children[i]?.type ?? field.type) as DataType }));
  checkArrowColumns(fields, EXPECTED, where);
}

const EXPECTED: readonly ExpectedColumn[] = PROCESSED_FIELDS.map((f) => ({ name: f.name, type: f.type, required: f.mode === 'REQUIRED' }));

/** Rows start..start+n-1 of `data` that are null, as indexes from start. */
function nullsIn(data: Data, start: number, n: number): number[] {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap.length === 0) return []; // Arrow JS may keep an empty bitmap
  const nulls: number[] = [];
  for (let k = 0; k < n; k++) {
    const bit = data.offset + start + k;
    if (((bitmap[bit >> 3] ?? 0) & (1 << (bit & 7))) === 0) nulls.push(k);
  }
  return nulls;
}

/**
 * Sets rows start..start+n-1 of one column into `vector`. Every slot is set first (a null slot
 * with whatever its buffer holds), then the nulls are marked: the vector's validity mask is only
 * built when a null comes, which keeps the common all-valid column cheap.
 */
function fill(vector: DuckDBVector, type: ProcessedType | undefined, data: Data | undefined, start: number, n: number): void {
  if (!type || !data) {
    for (let k = 0; k < n; k++) vector.setItem(k, null);
    vector.flush();
    return;
  }
  if (type === 'STRING') fillStrings(vector, data, start, n);
  else fillNumbers(vector, type, data.values as ArrayLike<number | bigint>, start, n);
  for (const k of nullsIn(data, start, n)) vector.setItem(k, null);
  vector.flush();
}

// One loop per type, so that each stays monomorphic.
function fillNumbers(vector: DuckDBVector, type: Exclude<ProcessedType, 'STRING'>, values: ArrayLike<number | bigint>, start: number, n: number): void {
  switch (type) {
    case 'FLOAT64':
      for (let k = 0; k < n; k++) vector.setItem(k, values[start + k] as number);
      return;
    case 'INT64':
      if (values instanceof BigInt64Array) for (let k = 0; k < n; k++) vector.setItem(k, values[start + k] as bigint);
      else for (let k = 0; k < n; k++) vector.setItem(k, BigInt(values[start + k] as number | bigint)); // narrower or unsigned Arrow ints
      return;
    case 'TIMESTAMP':
      for (let k = 0; k < n; k++) vector.setItem(k, new DuckDBTimestampValue(values[start + k] as bigint));
      return;
    case 'DATE':
      for (let k = 0; k < n; k++) vector.setItem(k, new DuckDBDateValue(values[start + k] as number));
      return;
  }
}

const utf8 = new TextDecoder();

/**
 * Strings: the chunk's bytes are decoded once, and each value is a slice of that string. That
 * needs byte offsets to be character offsets, true of ASCII (zone names, ids); other text is
 * decoded value by value.
 */
function fillStrings(vector: DuckDBVector, data: Data, start: number, n: number): void {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const first = offsets[start] ?? 0;
  const last = offsets[start + n] ?? first;
  const range = bytes.subarray(first, last);
  if (isAscii(range)) {
    const text = Buffer.from(range.buffer, range.byteOffset, range.byteLength).toString('latin1');
    for (let k = 0; k < n; k++) vector.setItem(k, text.slice((offsets[start + k] ?? 0) - first, (offsets[start + k + 1] ?? 0) - first));
  } else {
    for (let k = 0; k < n; k++) vector.setItem(k, utf8.decode(bytes.subarray(offsets[start + k] ?? 0, offsets[start + k + 1] ?? 0)));
  }
}

/**
 * The batch's rows as DuckDB data chunks of up to 2048 rows, one vector per column of the table
 * (`columns`, in the table's order, which need not be PROCESSED_FIELDS' once a column was added
 * back). `where` names the batch in errors. Throws TAXI_ERR_WAREHOUSE_WRITE for a batch of another
 * schema.
 */
export function processedChunks(table: Table, columns: readonly TableColumn[], where: string): DuckDBDataChunk[] {
  const types = columns.map((c) => c.type);
  const chunks: DuckDBDataChunk[] = [];
  for (const batch of table.batches) {
    checkBatch(batch, where);
    const data = columns.map((c) => (c.field ? batch.getChild(c.field.name)?.data[0] : undefined));
    for (let start = 0; start < batch.numRows; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, batch.numRows - start);
      const chunk = DuckDBDataChunk.create(types, n);
      columns.forEach((c, i) => { fill(chunk.getColumnVector(i), c.field?.type, data[i], start, n); });
      chunks.push(chunk);
    }
  }
  return chunks;
}
