import { DateDay, Float64, Int64, makeData, makeVector, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import type { Data, RecordBatch } from 'apache-arrow';

// Column access and output building over typed arrays, one tight loop per column: the transform
// touches every value of a month (about 100 million), so no per-value closures, BigInts or
// Arrow `get()` calls here. Arrow's layouts are little-endian, as are the machines we run on.

const TWO_32 = 4_294_967_296;

/** A numeric source column read as doubles, with one validity byte per row (1 valid, 0 null). */
export interface NumberColumn {
  readonly values: Float64Array;
  readonly valid: Uint8Array;
}

/** Validity of a column's rows as bytes; a column with no null bitmap is all valid. */
function validBytes(data: Data, n: number): Uint8Array {
  const valid = new Uint8Array(n);
  const bitmap = data.nullBitmap;
  // Arrow JS keeps an empty bitmap for columns without nulls.
  if (data.nullCount === 0 || bitmap.length === 0) return valid.fill(1);
  const offset = data.offset;
  for (let i = 0; i < n; i++) {
    const bit = i + offset;
    valid[i] = ((bitmap[bit >> 3] ?? 0) >> (bit & 7)) & 1;
  }
  return valid;
}

/**
 * Int, float and timestamp columns as doubles (timestamps in microseconds: exact below 2^53, about
 * 2255 AD); a missing column reads as all null. 64-bit integers are read as two 32-bit halves, the
 * same value `Number(bigint)` gives, without making a BigInt per value.
 */
export function numberColumn(batch: RecordBatch, name: string | undefined): NumberColumn {
  const n = batch.numRows;
  const child = name === undefined ? null : batch.getChild(name);
  const data = child?.data[0] as Data | undefined;
  if (!data) return { values: new Float64Array(n), valid: new Uint8Array(n) };
  const values = new Float64Array(n);
  // A sliced Data's values start at its first row already (its offset only applies to the bitmap).
  const source = data.values as ArrayLike<number | bigint> & ArrayBufferView;
  if (source instanceof BigInt64Array || source instanceof BigUint64Array) {
    const words = new Int32Array(source.buffer, source.byteOffset, n * 2);
    const signed = source instanceof BigInt64Array;
    for (let i = 0; i < n; i++) {
      const high = signed ? (words[2 * i + 1] ?? 0) : (words[2 * i + 1] ?? 0) >>> 0;
      values[i] = high * TWO_32 + ((words[2 * i] ?? 0) >>> 0);
    }
  } else {
    const numbers = source as ArrayLike<number>;
    for (let i = 0; i < n; i++) values[i] = numbers[i] ?? 0;
  }
  return { values, valid: validBytes(data, n) };
}

/** A string source column: its rows' UTF-8 bytes (Arrow Utf8 layout) and validity. */
export interface StringColumn {
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
  readonly valid: Uint8Array;
}

export function stringColumn(batch: RecordBatch, name: string | undefined): StringColumn {
  const n = batch.numRows;
  const child = name === undefined ? null : batch.getChild(name);
  const data = child?.data[0] as Data | undefined;
  if (!data) return { offsets: new Int32Array(n + 1), bytes: new Uint8Array(0), valid: new Uint8Array(n) };
  const valid = validBytes(data, n);
  if (data.type instanceof Utf8 && data.valueOffsets instanceof Int32Array) {
    return { offsets: data.valueOffsets, bytes: data.values as Uint8Array, valid }; // sliced like the values
  }
  // Another string layout (large or view strings): encode the values once.
  const vector = makeVector(data);
  const encoder = new TextEncoder();
  const parts = Array.from({ length: n }, (_, i) => encoder.encode((vector.get(i) as string | null) ?? ''));
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i] ?? 0) + (parts[i]?.byteLength ?? 0);
  const bytes = new Uint8Array(offsets[n] ?? 0);
  for (let i = 0; i < n; i++) bytes.set(parts[i] ?? new Uint8Array(0), offsets[i] ?? 0);
  return { offsets, bytes, valid };
}

/** A null bitmap from validity bytes: [bitmap, null count]. */
function bitmapOf(valid: Uint8Array): [Uint8Array, number] {
  const n = valid.length;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let k = 0; k < n; k++) {
    if (valid[k] === 1) bitmap[k >> 3] = (bitmap[k >> 3] ?? 0) | (1 << (k & 7));
    else nulls++;
  }
  return [bitmap, nulls];
}

/** Rows `keep` of a source column: values and validity. */
export function gather(column: NumberColumn, keep: Int32Array): NumberColumn {
  const n = keep.length;
  const values = new Float64Array(n);
  const valid = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = keep[k] ?? 0;
    values[k] = column.values[i] ?? 0;
    valid[k] = column.valid[i] ?? 0;
  }
  return { values, valid };
}

/** A Float64 column; a value that is not finite (NaN, Infinity) is written as null. */
export function floatData(column: NumberColumn): Data {
  const { values } = column;
  const valid = new Uint8Array(values.length);
  for (let k = 0; k < values.length; k++) valid[k] = column.valid[k] === 1 && Number.isFinite(values[k]) ? 1 : 0;
  const [nullBitmap, nullCount] = bitmapOf(valid);
  return makeData({ type: new Float64(), length: values.length, nullCount, nullBitmap, data: values });
}

/** 64-bit integers from doubles, truncated toward zero; a value that is not finite is null. */
function int64Words(column: NumberColumn): [BigInt64Array, Uint8Array] {
  const { values } = column;
  const n = values.length;
  const words = new Int32Array(n * 2);
  const valid = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const value = values[k] ?? 0;
    if (column.valid[k] !== 1 || !Number.isFinite(value)) continue;
    const whole = Math.trunc(value);
    const high = Math.floor(whole / TWO_32);
    words[2 * k] = (whole - high * TWO_32) | 0;
    words[2 * k + 1] = high | 0;
    valid[k] = 1;
  }
  return [new BigInt64Array(words.buffer), valid];
}

export function int64Data(column: NumberColumn): Data {
  const [data, valid] = int64Words(column);
  const [nullBitmap, nullCount] = bitmapOf(valid);
  return makeData({ type: new Int64(), length: valid.length, nullCount, nullBitmap, data });
}

/** Microseconds since the epoch, never null. */
export function timestampData(micros: Float64Array): Data {
  const [data] = int64Words({ values: micros, valid: new Uint8Array(micros.length).fill(1) });
  return makeData({ type: new TimestampMicrosecond(), length: micros.length, nullCount: 0, data });
}

/** Days since the epoch, never null. */
export function dateData(days: Int32Array): Data {
  return makeData({ type: new DateDay(), length: days.length, nullCount: 0, data: days });
}

function utf8Data(offsets: Int32Array, bytes: Uint8Array, valid: Uint8Array): Data {
  const [nullBitmap, nullCount] = bitmapOf(valid);
  return makeData({ type: new Utf8(), length: valid.length, nullCount, nullBitmap, valueOffsets: offsets, data: bytes });
}

/** The same string in every one of n rows. */
export function constantString(value: string, n: number): Data {
  const one = new TextEncoder().encode(value);
  const offsets = new Int32Array(n + 1);
  const bytes = new Uint8Array(one.byteLength * n);
  for (let k = 0; k < n; k++) {
    bytes.set(one, k * one.byteLength);
    offsets[k + 1] = (k + 1) * one.byteLength;
  }
  return utf8Data(offsets, bytes, new Uint8Array(n).fill(1));
}

const DIGIT_0 = 48;

/** `${prefix}${numbers[k]}` per row: non-negative integers written in decimal after an ASCII prefix. */
export function prefixedIntegers(prefix: string, numbers: Float64Array): Data {
  const head = new TextEncoder().encode(prefix);
  const n = numbers.length;
  const digits = new Uint8Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    let d = 1;
    for (let v = numbers[k] ?? 0; v >= 10; v = Math.floor(v / 10)) d++;
    digits[k] = d;
    total += head.byteLength + d;
  }
  const offsets = new Int32Array(n + 1);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (let k = 0; k < n; k++) {
    bytes.set(head, at);
    at += head.byteLength;
    const d = digits[k] ?? 1;
    let v = numbers[k] ?? 0;
    for (let j = d - 1; j >= 0; j--) {
      bytes[at + j] = DIGIT_0 + (v % 10);
      v = Math.floor(v / 10);
    }
    at += d;
    offsets[k + 1] = at;
  }
  return utf8Data(offsets, bytes, new Uint8Array(n).fill(1));
}

/** A name looked up by id per row (null when the id is null or has no name); names are UTF-8 bytes. */
export function lookupStrings(ids: NumberColumn, names: readonly (Uint8Array | undefined)[]): Data {
  const n = ids.values.length;
  const valid = new Uint8Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const name = ids.valid[k] === 1 ? names[ids.values[k] ?? 0] : undefined;
    if (name !== undefined) { total += name.byteLength; valid[k] = 1; }
  }
  const offsets = new Int32Array(n + 1);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (let k = 0; k < n; k++) {
    const name = valid[k] === 1 ? names[ids.values[k] ?? 0] : undefined;
    if (name !== undefined) { bytes.set(name, at); at += name.byteLength; }
    offsets[k + 1] = at;
  }
  return utf8Data(offsets, bytes, valid);
}

/** Rows `keep` of a source string column. */
export function gatherStrings(column: StringColumn, keep: Int32Array): Data {
  const n = keep.length;
  const valid = new Uint8Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const i = keep[k] ?? 0;
    valid[k] = column.valid[i] ?? 0;
    if (valid[k] === 1) total += (column.offsets[i + 1] ?? 0) - (column.offsets[i] ?? 0);
  }
  const offsets = new Int32Array(n + 1);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (let k = 0; k < n; k++) {
    const i = keep[k] ?? 0;
    if (valid[k] === 1) {
      const start = column.offsets[i] ?? 0;
      const end = column.offsets[i + 1] ?? 0;
      bytes.set(column.bytes.subarray(start, end), at);
      at += end - start;
    }
    offsets[k + 1] = at;
  }
  return utf8Data(offsets, bytes, valid);
}
