import duckdb from '@duckdb/node-bindings';
import type { Data, DataType, RecordBatch, Table } from 'apache-arrow';
import { DuckDBDataChunk, DuckDBTypeId } from '@duckdb/node-api';
import type { DuckDBType } from '@duckdb/node-api';
import { AppError } from '../../errors/src/index.js';
import { PROCESSED_FIELDS } from '../../schema/src/processed.js';
import type { ProcessedField, ProcessedType } from '../../schema/src/processed.js';
import { checkArrowColumns } from './arrow-columns.js';
import type { ExpectedColumn } from './arrow-columns.js';
import { codeColumn, enumCodeBytes } from './duckdb-enums.js';
import type { EnumCodeArray, EnumCodes } from './duckdb-enums.js';
import { copyFixedWidth, copyStrings, copyValidity, setAllNull, VECTOR_ROWS } from './duckdb-vectors.js';

// Arrow columns of a processed batch -> DuckDB data chunks for the appender, with no file and no
// Parquet in between. The value layouts are DuckDB's own: DOUBLE and BIGINT as 8-byte numbers,
// TIMESTAMP as int64 microseconds since the epoch and DATE as int32 days since the epoch, which
// is what Arrow Timestamp<MICROSECOND> and Date<DAY> hold, so each column slice is copied whole
// (duckdb-vectors.ts), not value by value.

/** One column of the table, in the table's order: its DuckDB type and the processed field it holds. */
export interface TableColumn {
  readonly type: DuckDBType;
  /** undefined: a column outside the processed schema (added by hand), written as NULL. */
  readonly field: ProcessedField | undefined;
  /** An ENUM column's codes (duckdb-enums.ts). */
  readonly enumCodes?: EnumCodes | undefined;
}

/** Rows per data chunk: DuckDB's vector size, the most a chunk holds (2048). */
const CHUNK_ROWS = VECTOR_ROWS;

/** The DuckDB type a processed column has in a table this adapter created or checked. */
const DUCKDB_TYPE: Record<ProcessedType, DuckDBTypeId> = {
  STRING: DuckDBTypeId.VARCHAR, INT64: DuckDBTypeId.BIGINT, FLOAT64: DuckDBTypeId.DOUBLE, TIMESTAMP: DuckDBTypeId.TIMESTAMP, DATE: DuckDBTypeId.DATE,
};

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

/**
 * Checks the table's columns still have the types the copies write (connect checked them; a
 * column retyped since would otherwise receive bytes of another width).
 */
function checkTableTypes(columns: readonly TableColumn[], where: string): void {
  for (const { type, field, enumCodes } of columns) {
    if (enumCodes) continue; // an ENUM column of ENUM_COLUMNS (the adapter codes only those)
    if (field && type.typeId !== DUCKDB_TYPE[field.type]) {
      throw new AppError('TAXI_ERR_WAREHOUSE_SCHEMA', `${where}: column ${field.name} is ${type.toString()} in the table, expected ${DuckDBTypeId[DUCKDB_TYPE[field.type]]}`, { context: { column: field.name } });
    }
  }
}

const INT64_MAX = 2n ** 63n - 1n;

/** The column's values as int64s: Arrow's own when they are, else converted (narrower or unsigned Arrow ints). */
function int64Values(values: ArrayLike<number | bigint>, start: number, n: number, name: string, where: string): { values: BigInt64Array; start: number } {
  if (values instanceof BigInt64Array) return { values, start };
  const out = new BigInt64Array(n);
  for (let k = 0; k < n; k++) {
    const v = BigInt(values[start + k] ?? 0);
    if (v > INT64_MAX) throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${where}: column ${name} holds ${v}, beyond BIGINT`, { context: { column: name } });
    out[k] = v;
  }
  return { values: out, start: 0 };
}

/** The Arrow values buffer of a column, of the typed array its Arrow type has in apache-arrow 21. */
function valuesOf<T extends Float64Array | BigInt64Array | Int32Array>(data: Data, kind: new (n: number) => T, name: string, where: string): T {
  if (data.values instanceof kind) return data.values;
  throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${where}: column ${name} holds ${(data.values as object).constructor.name} values, expected ${kind.name}`, { context: { column: name } });
}

/**
 * Sets rows start..start+n-1 of one processed column into `vector`; `data` undefined: a missing
 * NULLABLE column; `codes`: an ENUM column's codes of the batch's rows.
 */
function fill(vector: duckdb.Vector, field: ProcessedField, enumCodes: EnumCodes | undefined, data: Data | undefined, codes: EnumCodeArray | undefined, start: number, n: number, where: string): void {
  if (!data) {
    setAllNull(vector, n, enumCodes ? enumCodeBytes(enumCodes.type) : field.type === 'STRING' ? 16 : field.type === 'DATE' ? 4 : 8);
    return;
  }
  if (codes) {
    duckdb.copy_data_to_vector(vector, 0, codes.buffer as ArrayBuffer, codes.byteOffset + start * codes.BYTES_PER_ELEMENT, n * codes.BYTES_PER_ELEMENT);
    copyValidity(vector, data, start, n);
    return;
  }
  switch (field.type) {
    case 'STRING': copyStrings(vector, data, start, n); break;
    case 'FLOAT64': copyFixedWidth(vector, valuesOf(data, Float64Array, field.name, where), start, n); break;
    case 'TIMESTAMP': copyFixedWidth(vector, valuesOf(data, BigInt64Array, field.name, where), start, n); break;
    case 'DATE': copyFixedWidth(vector, valuesOf(data, Int32Array, field.name, where), start, n); break;
    case 'INT64': {
      const int64 = int64Values(data.values as ArrayLike<number | bigint>, start, n, field.name, where);
      copyFixedWidth(vector, int64.values, int64.start, n);
      break;
    }
  }
  copyValidity(vector, data, start, n);
}

// The one data chunk this thread fills and appends, over and over: reset between uses (DuckDB
// then drops its string heap and marks every row valid again), and made anew only when the table's
// column types change (an ENUM widened, a column added). A chunk made per 2048 rows holds about
// 0.6 MB of native memory until V8 collects its handle: by hand, `taxi run` of a month peaked at
// 2,322-2,345 MiB with a chunk made each time and 2,075-2,176 MiB with this one (GNU time, 3 runs
// each, both before duckdb-thread-worker.ts collected garbage, when this thread's copies no longer
// made V8 do it).
let reusable: { readonly types: string; readonly chunk: DuckDBDataChunk } | undefined;

/** The thread's data chunk for a table of these column types (`types`: their names, joined). */
function chunkFor(types: string, columns: readonly TableColumn[]): DuckDBDataChunk {
  if (reusable?.types !== types) {
    reusable = { types, chunk: new DuckDBDataChunk(duckdb.create_data_chunk(columns.map((c) => c.type.toLogicalType().logical_type))) };
  }
  return reusable.chunk;
}

/** A batch ready for the appender: `append` hands it over a data chunk at a time. */
export interface ProcessedBatch {
  /**
   * Fills a data chunk with each run of up to 2048 rows, in order, and passes it to `into` (the
   * appender, which copies it): the same chunk each time, so `into` must not keep it.
   */
  append(into: (chunk: DuckDBDataChunk) => void): void;
  /** Values an ENUM column lacks, by column: the batch cannot be appended until it is widened. */
  readonly missing: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * The batch's rows for DuckDB data chunks of up to 2048 rows, one vector per column of the table
 * (`columns`, in the table's order, which need not be PROCESSED_FIELDS' once a column was added
 * back). `where` names the batch in errors. Throws TAXI_ERR_WAREHOUSE_WRITE for a batch of another
 * schema, TAXI_ERR_WAREHOUSE_SCHEMA for a table column retyped since connect, both before any
 * chunk is filled. Values an ENUM column lacks are returned by column in `missing`, for the caller
 * to widen it and call again.
 */
export function processedBatch(table: Table, columns: readonly TableColumn[], where: string): ProcessedBatch {
  checkTableTypes(columns, where);
  const missing = new Map<string, Set<string>>();
  // Every batch checked and its ENUM columns coded before any chunk is filled.
  const batches = table.batches.map((batch) => {
    checkBatch(batch, where);
    const data: (Data | undefined)[] = columns.map((c) => (c.field ? batch.getChild(c.field.name)?.data[0] : undefined));
    const codes = columns.map((c, i) => {
      const column = data[i];
      if (!c.enumCodes || !column || !c.field) return undefined;
      const coded = codeColumn(column, c.enumCodes);
      for (const value of coded.missing) {
        const values = missing.get(c.field.name) ?? new Set<string>();
        missing.set(c.field.name, values.add(value));
      }
      return coded.codes;
    });
    return { batch, data, codes };
  });
  const append = (into: (chunk: DuckDBDataChunk) => void): void => {
    if (missing.size > 0) throw new Error(`${where}: appended with ENUM values missing`);
    const chunk = chunkFor(columns.map((c) => c.type.toString()).join('\u0000'), columns);
    for (const { batch, data, codes } of batches) {
      for (let start = 0; start < batch.numRows; start += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, batch.numRows - start);
        duckdb.data_chunk_reset(chunk.chunk);
        chunk.rowCount = n;
        columns.forEach((c, i) => {
          if (c.field) {
            fill(duckdb.data_chunk_get_vector(chunk.chunk, i), c.field, c.enumCodes, data[i], codes[i], start, n, where);
          } else {
            // A column of the user's, of any type: node-api's vector writes its NULLs.
            const vector = chunk.getColumnVector(i);
            for (let k = 0; k < n; k++) vector.setItem(k, null);
            vector.flush();
          }
        });
        into(chunk);
      }
    }
  };
  return { append, missing };
}
