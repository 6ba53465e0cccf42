import { makeData, makeVector, Type, Utf8, vectorFromArray } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import { AppError } from '../../errors/src/index.js';
import type { ErrorContext } from '../../errors/src/index.js';
import { arrowType } from './canonical.js';
import type { FieldType } from './canonical.js';

/** Where a column is: used in error messages. */
export interface ColumnPlace {
  readonly file: string;
  readonly rowGroup: number;
  readonly column: string;
  /** Index in the row group of the chunk's first row. */
  readonly firstRow: number;
}

type Numeric = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** A chunk of `length` nulls of the canonical type. */
export function allNull(type: FieldType, length: number): Data {
  const nullBitmap = new Uint8Array(Math.ceil(length / 8));
  const t = arrowType(type);
  if (type === 'utf8') return makeData({ type: new Utf8(), length, nullCount: length, nullBitmap, valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) });
  return makeData({ type: t, length, nullCount: length, nullBitmap, data: new (t.ArrayType as new (n: number) => Numeric)(length) } as never);
}

/**
 * Converts one chunk to the canonical type, losslessly or not at all: an integer column narrowed to
 * int32 must fit, a float column made integer must hold whole numbers, timestamps are rescaled to
 * microseconds. A type with no conversion is TAXI_ERR_SCHEMA_UNKNOWN, a value that does not fit is
 * TAXI_ERR_SCHEMA_CONVERSION, each naming file, row group, column (and row).
 */
export function convertChunk(data: Data, target: FieldType, place: ColumnPlace): Data {
  const source = data.type;
  if (source.typeId === Type.Null) return allNull(target, data.length);
  const chunk = data.offset === 0 ? data : compact(data);
  switch (target) {
    case 'utf8':
      if (source.typeId === Type.Utf8) return chunk;
      if (source.typeId === Type.LargeUtf8 || source.typeId === Type.Dictionary) {
        const vector = makeVector(chunk);
        return vectorFromArray(Array.from({ length: chunk.length }, (_, i) => chunk.getValid(i) ? String(vector.get(i)) : null), new Utf8()).data[0] as Data;
      }
      break;
    case 'timestamp_us':
      if (source.typeId === Type.Timestamp) return rescaleTimestamp(chunk);
      break;
    case 'int32': case 'int64': case 'float64':
      if (source.typeId === Type.Int || source.typeId === Type.Float) return convertNumber(chunk, target, place);
      break;
  }
  throw new AppError('TAXI_ERR_SCHEMA_UNKNOWN',
    `${place.file} row group ${place.rowGroup}: column '${place.column}' has type ${Type[source.typeId]}, which cannot become ${target}`,
    { context: contextOf(place) });
}

function contextOf(place: ColumnPlace, row?: number): ErrorContext {
  return { file: place.file, rowGroup: place.rowGroup, column: place.column, ...(row === undefined ? {} : { offset: row }) };
}

function valueError(place: ColumnPlace, i: number, value: unknown, target: FieldType, why: string): AppError {
  const row = place.firstRow + i;
  return new AppError('TAXI_ERR_SCHEMA_CONVERSION',
    `${place.file} row group ${place.rowGroup} row ${row}: column '${place.column}' value ${String(value)} cannot become ${target} (${why})`,
    { context: contextOf(place, row) });
}

/** A zero-offset copy of a sliced chunk (slices share their parent's buffers at an offset). */
function compact(data: Data): Data {
  const vector = makeVector(data);
  return vectorFromArray(Array.from({ length: data.length }, (_, i) => data.getValid(i) ? vector.get(i) as unknown : null), data.type).data[0] as Data;
}

function withValues(data: Data, type: FieldType, values: Numeric): Data {
  return makeData({ type: arrowType(type), length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, data: values } as never);
}

function convertNumber(data: Data, target: 'int32' | 'int64' | 'float64', place: ColumnPlace): Data {
  const values = (data.values as Numeric).subarray(0, data.length);
  const sourceType = arrowType(target);
  if (values.constructor === sourceType.ArrayType) return withValues(data, target, values);
  const n = data.length;
  const nullable = data.nullCount > 0;
  if (target === 'float64') {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? 0;
      if (typeof v === 'bigint') {
        if (nullable && !data.getValid(i)) continue;
        if (v > 9007199254740991n || v < -9007199254740991n) throw valueError(place, i, v, target, 'beyond 2^53');
        out[i] = Number(v);
      } else out[i] = v;
    }
    return withValues(data, target, out);
  }
  const out = target === 'int32' ? new Int32Array(n) : new BigInt64Array(n);
  const [min, max] = target === 'int32' ? [-2147483648, 2147483647] : [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  for (let i = 0; i < n; i++) {
    if (nullable && !data.getValid(i)) continue;
    const v = values[i] ?? 0;
    if (typeof v === 'bigint') {
      if (target === 'int32' && (v > 2147483647n || v < -2147483648n)) throw valueError(place, i, v, target, 'out of range');
      (out as Int32Array | BigInt64Array)[i] = (target === 'int32' ? Number(v) : v);
    } else {
      if (!Number.isInteger(v)) throw valueError(place, i, v, target, 'not a whole number');
      if (v < min || v > max) throw valueError(place, i, v, target, 'out of range');
      (out as Int32Array | BigInt64Array)[i] = (target === 'int32' ? v : BigInt(v));
    }
  }
  return withValues(data, target, out);
}

const MICROS_PER_UNIT = [1_000_000n, 1_000n, 1n] as const; // SECOND, MILLISECOND, MICROSECOND

function rescaleTimestamp(data: Data): Data {
  const unit = (data.type as unknown as { unit: number }).unit; // arrow TimeUnit: 0 s, 1 ms, 2 us, 3 ns
  const values = (data.values as BigInt64Array).subarray(0, data.length);
  if (unit === 2) return withValues(data, 'timestamp_us', values);
  const out = new BigInt64Array(data.length);
  if (unit === 3) {
    for (let i = 0; i < out.length; i++) out[i] = (values[i] ?? 0n) / 1000n;
  } else {
    const factor = MICROS_PER_UNIT[unit as 0 | 1];
    for (let i = 0; i < out.length; i++) out[i] = (values[i] ?? 0n) * factor;
  }
  return withValues(data, 'timestamp_us', out);
}
