// Shapes an Arrow table decoded from polars' IPC like parquet-wasm's: record batches of at most
// `maxRows` rows and 32-bit-offset strings. Polars writes strings as LargeUtf8 (64-bit offsets) and
// record batches of up to 2^18 rows; libs/schema would convert LargeUtf8 value by value.
// Slices share the decoded buffers (values are views, not copies); only string offsets are rewritten.
import { Binary, Field, makeData, RecordBatch, Schema, Struct, Table, Type, Utf8 } from 'apache-arrow';
import type { Data, DataType } from 'apache-arrow';

const FIXED_WIDTH = new Set<Type>([Type.Int, Type.Float, Type.Date, Type.Time, Type.Timestamp, Type.Duration, Type.Decimal, Type.Interval, Type.FixedSizeBinary]);
const INT32_MAX = 2 ** 31 - 1;

function plainType(type: DataType): DataType {
  if (type.typeId === Type.LargeUtf8) return new Utf8();
  if (type.typeId === Type.LargeBinary) return new Binary();
  return type;
}

/** `length` bits of `bits` from bit `start`, as a new zero-offset bitmap (a view when `start` is byte-aligned). */
function bitSlice(bits: Uint8Array, start: number, length: number): Uint8Array {
  if (start % 8 === 0) return bits.subarray(start / 8, Math.ceil((start + length) / 8));
  const out = new Uint8Array(Math.ceil(length / 8));
  for (let i = 0; i < length; i++) {
    const bit = start + i;
    if (((bits[bit >> 3] ?? 0) >> (bit & 7)) & 1) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  }
  return out;
}

/** 32-bit offsets of rows [start, start + length), rebased to start at 0. */
function rebasedOffsets(offsets: Int32Array | BigInt64Array, start: number, length: number): { offsets: Int32Array; first: number; last: number } {
  const first = Number(offsets[start] ?? 0);
  const last = Number(offsets[start + length] ?? 0);
  if (last - first > INT32_MAX || last > Number.MAX_SAFE_INTEGER) throw new RangeError(`${last - first} bytes of strings in ${length} rows do not fit 32-bit offsets`);
  const out = new Int32Array(length + 1);
  if (offsets instanceof Int32Array) {
    for (let i = 0; i <= length; i++) out[i] = (offsets[start + i] ?? 0) - first;
  } else if (last <= INT32_MAX) {
    // Offsets only grow, so when the last fits 31 bits every one does: read the low little-endian
    // words instead of converting a BigInt per row (several times faster).
    const words = new Int32Array(offsets.buffer, offsets.byteOffset, offsets.length * 2);
    for (let i = 0; i <= length; i++) out[i] = (words[2 * (start + i)] ?? 0) - first;
  } else {
    for (let i = 0; i <= length; i++) out[i] = Number(offsets[start + i] ?? 0) - first;
  }
  return { offsets: out, first, last };
}

/** Rows [start, start + length) of `data` as zero-offset Data of its plain type. */
function sliceData(data: Data, start: number, length: number): Data {
  const at = data.offset + start;
  const type = plainType(data.type);
  const bitmap = data.nullBitmap as Uint8Array | undefined; // absent when the column has no nulls
  const nullBitmap = data.nullCount === 0 || bitmap === undefined || bitmap.length === 0 ? undefined : bitSlice(bitmap, at, length);
  const nulls = nullBitmap === undefined ? { nullCount: 0 } : { nullBitmap };
  const typeId = data.type.typeId;
  if (typeId === Type.Null) return makeData({ type: data.type, length, nullCount: length } as never);
  if (typeId === Type.Bool) return makeData({ type: data.type, length, ...nulls, data: bitSlice(data.values as Uint8Array, at, length) } as never);
  if (FIXED_WIDTH.has(typeId)) {
    const values = data.values as Int32Array;
    return makeData({ type: data.type, length, ...nulls, data: values.subarray(at * data.stride, (at + length) * data.stride) } as never);
  }
  if (typeId === Type.Utf8 || typeId === Type.LargeUtf8 || typeId === Type.Binary || typeId === Type.LargeBinary) {
    const { offsets, first, last } = rebasedOffsets(data.valueOffsets as Int32Array | BigInt64Array, at, length);
    return makeData({ type, length, ...nulls, valueOffsets: offsets, data: (data.values as Uint8Array).subarray(first, last) } as never);
  }
  return data.slice(start, length); // nested types: not in TLC files; libs/schema copies offset slices
}

/**
 * The table with LargeUtf8 / LargeBinary columns as Utf8 / Binary and no record batch longer than
 * `maxRows` rows. Returns `table` itself when it already is so.
 */
export function plainBatches(table: Table, maxRows: number): Table {
  const types = table.schema.fields.map((f) => f.type as DataType);
  const large = types.some((type) => type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary);
  if (!large && table.batches.every((b) => b.numRows <= maxRows)) return table;
  const fields = table.schema.fields.map((f, i) => new Field(f.name, plainType(types[i] as DataType), f.nullable, f.metadata));
  const schema = new Schema(fields, table.schema.metadata);
  const batches: RecordBatch[] = [];
  for (const batch of table.batches) {
    for (let start = 0; start < batch.numRows; start += maxRows) {
      const length = Math.min(maxRows, batch.numRows - start);
      const children = batch.data.children.map((child) => sliceData(child, start, length));
      batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length, nullCount: 0, children })));
    }
  }
  return new Table(schema, batches);
}
