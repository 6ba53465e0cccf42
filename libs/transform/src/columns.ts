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

/** 0, 1, 2, ...: the rows of a whole batch, for numberColumn (grown on demand, shared). */
let identity = new Int32Array(0);
function allRows(n: number): Int32Array {
  if (identity.length < n) identity = Int32Array.from({ length: Math.max(n, 2 * identity.length) }, (_, i) => i);
  return identity.subarray(0, n);
}

/**
 * Int, float and timestamp columns as doubles (timestamps in microseconds: exact below 2^53, about
 * 2255 AD); a missing column reads as all null. 64-bit integers are read as two 32-bit halves, the
 * same value `Number(bigint)` gives, without making a BigInt per value.
 */
export function numberColumn(batch: RecordBatch, name: string | undefined): NumberColumn {
  return numberColumnAt(batch, name, allRows(batch.numRows));
}

/**
 * Rows `keep` of a numeric source column, as numberColumn reads them: for the kept rows, without
 * reading the whole column and gathering from it.
 */
export function numberColumnAt(batch: RecordBatch, name: string | undefined, keep: Int32Array): NumberColumn {
  const n = keep.length;
  const child = name === undefined ? null : batch.getChild(name);
  const data = child?.data[0] as Data | undefined;
  const values = new Float64Array(n);
  const valid = new Uint8Array(n);
  if (!data) return { values, valid };
  // A sliced Data's values start at its first row already (its offset only applies to the bitmap).
  const source = data.values as ArrayLike<number | bigint> & ArrayBufferView;
  if (source instanceof BigInt64Array || source instanceof BigUint64Array) {
    const words = new Int32Array(source.buffer, source.byteOffset, batch.numRows * 2);
    const signed = source instanceof BigInt64Array;
    for (let k = 0; k < n; k++) {
      const i = keep[k] ?? 0;
      const high = signed ? (words[2 * i + 1] ?? 0) : (words[2 * i + 1] ?? 0) >>> 0;
      values[k] = high * TWO_32 + ((words[2 * i] ?? 0) >>> 0);
    }
  } else {
    const numbers = source as ArrayLike<number>;
    for (let k = 0; k < n; k++) values[k] = numbers[keep[k] ?? 0] ?? 0;
  }
  const bitmap = data.nullBitmap;
  // Arrow JS keeps an empty bitmap for columns without nulls.
  if (data.nullCount === 0 || bitmap.length === 0) return { values, valid: valid.fill(1) };
  const offset = data.offset;
  for (let k = 0; k < n; k++) {
    const bit = (keep[k] ?? 0) + offset;
    valid[k] = ((bitmap[bit >> 3] ?? 0) >> (bit & 7)) & 1;
  }
  return { values, valid };
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
  const n = values.length;
  const nullBitmap = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  for (let k = 0; k < n; k++) {
    const v = values[k] ?? 0;
    // v - v is 0 for a finite number, NaN for NaN and the infinities.
    if (column.valid[k] === 1 && v - v === 0) nullBitmap[k >> 3] = (nullBitmap[k >> 3] ?? 0) | (1 << (k & 7));
    else nullCount++;
  }
  return makeData({ type: new Float64(), length: n, nullCount, nullBitmap, data: values });
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
  for (let k = 0; k < n; k++) offsets[k + 1] = (k + 1) * one.byteLength;
  // The value once, then the filled part copied after itself, doubling: log2(n) copies.
  const bytes = new Uint8Array(one.byteLength * n);
  if (n > 0) bytes.set(one);
  for (let filled = one.byteLength; filled < bytes.byteLength; filled *= 2) bytes.copyWithin(filled, 0, Math.min(filled, bytes.byteLength - filled));
  return utf8Data(offsets, bytes, new Uint8Array(n).fill(1));
}

const DIGIT_0 = 48;

/** Decimal digits of a non-negative integer. */
function digitCount(v: number): number {
  let d = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) d++;
  return d;
}

/**
 * `${prefix}${numbers[k]}` per row: non-negative integers written in decimal after an ASCII prefix.
 * The prefix (a few bytes) and digits are written byte by byte; numbers below 2^31 (any row index)
 * use 32-bit integer arithmetic.
 */
export function prefixedIntegers(prefix: string, numbers: Float64Array): Data {
  const head = new TextEncoder().encode(prefix);
  const h = head.byteLength;
  const n = numbers.length;
  const digits = new Uint8Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const v = numbers[k] ?? 0;
    const d = v < 10 ? 1 : v < 100 ? 2 : v < 1e3 ? 3 : v < 1e4 ? 4 : v < 1e5 ? 5 : v < 1e6 ? 6 : v < 1e7 ? 7 : v < 1e8 ? 8 : digitCount(v);
    digits[k] = d;
    total += h + d;
  }
  const offsets = new Int32Array(n + 1);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < h; j++) bytes[at + j] = head[j] ?? 0;
    at += h;
    const d = digits[k] ?? 1;
    const v = numbers[k] ?? 0;
    if (v < 2_147_483_648) {
      let x = v | 0;
      for (let j = d - 1; j >= 0; j--) {
        const q = (x / 10) | 0;
        bytes[at + j] = DIGIT_0 + (x - q * 10);
        x = q;
      }
    } else {
      let x = v;
      for (let j = d - 1; j >= 0; j--) {
        bytes[at + j] = DIGIT_0 + (x % 10);
        x = Math.floor(x / 10);
      }
    }
    at += d;
    offsets[k + 1] = at;
  }
  return utf8Data(offsets, bytes, new Uint8Array(n).fill(1));
}

/** Strings by id, as UTF-8 bytes back to back: id i's are bytes[start[i], start[i] + length[i]); length -1: no string. */
export interface StringTable {
  readonly bytes: Uint8Array;
  readonly start: Int32Array;
  readonly length: Int32Array;
}

export function stringTable(list: readonly (string | undefined)[]): StringTable {
  const encoder = new TextEncoder();
  const encoded = list.map((s) => (s === undefined ? undefined : encoder.encode(s)));
  const start = new Int32Array(list.length);
  const length = new Int32Array(list.length).fill(-1);
  const bytes = new Uint8Array(encoded.reduce((n, e) => n + (e?.byteLength ?? 0), 0));
  let at = 0;
  encoded.forEach((e, id) => {
    if (e === undefined) return;
    bytes.set(e, at);
    start[id] = at;
    length[id] = e.byteLength;
    at += e.byteLength;
  });
  return { bytes, start, length };
}

/**
 * A string looked up by id per row (null when the id is null, not an integer, or has no string).
 * Names are a few bytes: copied byte by byte, cheaper than a typed-array set() call per row.
 */
export function lookupStrings(ids: NumberColumn, table: StringTable): Data {
  const n = ids.values.length;
  const count = table.length.length;
  const lengths = new Int32Array(n);
  const valid = new Uint8Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const id = ids.values[k] ?? 0;
    const i = id | 0;
    const length = ids.valid[k] === 1 && i === id && i >= 0 && i < count ? (table.length[i] ?? -1) : -1;
    if (length >= 0) { total += length; valid[k] = 1; lengths[k] = length; }
  }
  const offsets = new Int32Array(n + 1);
  const bytes = new Uint8Array(total);
  const source = table.bytes;
  let at = 0;
  for (let k = 0; k < n; k++) {
    const length = lengths[k] ?? 0;
    if (length > 0) {
      const from = table.start[(ids.values[k] ?? 0) | 0] ?? 0;
      for (let j = 0; j < length; j++) bytes[at + j] = source[from + j] ?? 0;
      at += length;
    }
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
