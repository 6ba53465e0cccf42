import type { Data, DataType, Table } from 'apache-arrow';
import { checkArrowColumns } from './arrow-columns.js';
import type { ProcessedField, ProcessedType } from '../../schema/src/processed.js';
import type { RowError } from './types.js';

/**
 * Processed Arrow batches to the proto2 rows of a Storage Write API AppendRows request, with the
 * checks BigQuery would make on each row done here first (see `BigQueryRow` below).
 *
 * Wire format (https://protobuf.dev/programming-guides/encoding/):
 *   "Each key in the streamed message is a varint with the value (field_number << 3) | wire_type"
 *   wire types: 0 VARINT (int32, int64, ...), 1 I64 (fixed64, double), 2 LEN (string, bytes, ...).
 *   "Varints ... Each byte ... has a continuation bit ... the lower 7 bits ... least significant
 *   group first." "int32 and int64 ... negative values are always ten bytes long" (two's
 *   complement, sign-extended to 64 bits). "double ... I64 ... little-endian".
 *   LEN: "a length, encoded as a varint, followed by that many bytes".
 *   proto2 `optional`: an absent field is a null (the BigQuery column's NULL).
 * BigQuery's mapping (adapt.convertStorageSchemaToProto2Descriptor, the Storage Write API docs):
 *   STRING -> string, INT64 -> int64, FLOAT64 -> double, TIMESTAMP -> int64 microseconds since the
 *   epoch, DATE -> int32 days since the epoch.
 */

/** A processed column as the encoder needs it: its proto field number (from the writer's descriptor). */
export interface ProtoColumn {
  readonly name: string;
  readonly number: number;
  readonly type: ProcessedType;
  readonly required: boolean;
}

/** One row that passed the checks, serialized; `index` is its row in the batch's table. */
export interface EncodedRow {
  readonly index: number;
  readonly bytes: Uint8Array;
}

export interface EncodedBatch {
  readonly rows: readonly EncodedRow[];
  /** Rows refused by the checks, not sent. */
  readonly rowErrors: readonly RowError[];
}

/** BigQuery's ranges: TIMESTAMP 0001-01-01 00:00:00 to 9999-12-31 23:59:59.999999 UTC, DATE likewise. */
const MIN_TIMESTAMP_US = -62_135_596_800_000_000n;
const MAX_TIMESTAMP_US = 253_402_300_799_999_999n;
const MIN_DATE_DAYS = -719_162;
const MAX_DATE_DAYS = 2_932_896;
const TWO_32 = 4_294_967_296;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;

/** A growable output buffer with the few protobuf primitives the processed schema needs. */
class ProtoWriter {
  buf = new Uint8Array(1 << 16);
  view = new DataView(this.buf.buffer);
  pos = 0;

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** A varint of a 64-bit value given as its unsigned low and high 32-bit halves (at most 10 bytes). */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** A signed integer below 2^53 in magnitude, sign-extended to 64 bits. */
  int(value: number): void {
    const hi = Math.floor(value / TWO_32);
    this.varint64((value - hi * TWO_32) >>> 0, hi >>> 0);
  }

  tag(field: number, wireType: number): void {
    this.varint64(((field << 3) | wireType) >>> 0, 0);
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  bytes(source: Uint8Array, start: number, end: number): void {
    this.varint64(end - start, 0);
    this.ensure(end - start);
    this.buf.set(source.subarray(start, end), this.pos);
    this.pos += end - start;
  }
}

/** Writes one cell of row `i` (already known not null); returns why it is refused, or undefined. */
type CellWriter = (w: ProtoWriter, i: number) => string | undefined;

const uint64Of = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);
const int64Of = (lo: number, hi: number): bigint => BigInt.asIntN(64, uint64Of(lo, hi));

/** 64-bit columns are read as pairs of 32-bit halves: no BigInt per value on the fast path. */
function halvesOf(data: Data): Uint32Array {
  const values = data.values as BigInt64Array | BigUint64Array;
  return new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
}

function integerWriter(column: ProtoColumn, data: Data): CellWriter {
  const type = data.type as DataType & { bitWidth: number; isSigned: boolean };
  const tag = column.number;
  if (type.bitWidth < 64) {
    const values = data.values as Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;
    return (w, i) => { w.tag(tag, WIRE_VARINT); w.int(values[i] ?? 0); return undefined; };
  }
  const halves = halvesOf(data);
  return (w, i) => {
    const lo = halves[2 * i] ?? 0;
    const hi = halves[2 * i + 1] ?? 0;
    if (!type.isSigned && hi >= 0x8000_0000) return `${column.name}: INT64 out of range (above 2^63 - 1), got ${uint64Of(lo, hi)}`;
    w.tag(tag, WIRE_VARINT);
    w.varint64(lo, hi);
    return undefined;
  };
}

function timestampWriter(column: ProtoColumn, data: Data): CellWriter {
  const halves = halvesOf(data);
  const tag = column.number;
  // Doubles are exact below 2^53 us (year 2255); beyond, an exact BigInt check decides.
  const safeMin = Number(MIN_TIMESTAMP_US) + 1_024;
  const safeMax = Number(MAX_TIMESTAMP_US) - 1_024;
  return (w, i) => {
    const lo = halves[2 * i] ?? 0;
    const hi = halves[2 * i + 1] ?? 0;
    const approx = (hi | 0) * TWO_32 + lo;
    if (approx < safeMin || approx > safeMax) {
      const exact = int64Of(lo, hi);
      if (exact < MIN_TIMESTAMP_US || exact > MAX_TIMESTAMP_US) {
        return `${column.name}: TIMESTAMP outside 0001-01-01 .. 9999-12-31, got ${exact} microseconds since the epoch`;
      }
    }
    w.tag(tag, WIRE_VARINT);
    w.varint64(lo, hi);
    return undefined;
  };
}

function dateWriter(column: ProtoColumn, data: Data): CellWriter {
  const days = data.values as Int32Array;
  const tag = column.number;
  return (w, i) => {
    const value = days[i] ?? 0;
    if (value < MIN_DATE_DAYS || value > MAX_DATE_DAYS) return `${column.name}: DATE outside 0001-01-01 .. 9999-12-31, got ${value} days since the epoch`;
    w.tag(tag, WIRE_VARINT);
    w.int(value);
    return undefined;
  };
}

function doubleWriter(column: ProtoColumn, data: Data): CellWriter {
  const values = data.values as Float64Array;
  const tag = column.number;
  return (w, i) => {
    const value = values[i] ?? 0;
    // BigQuery would store NaN and +-Infinity, but one of them turns every SUM over the column
    // into NaN: upstream only ever produces finite amounts, so a non-finite one is a bad row.
    if (!Number.isFinite(value)) return `${column.name}: FLOAT64 must be finite, got ${value}`;
    w.tag(tag, WIRE_I64);
    w.double(value);
    return undefined;
  };
}

function stringWriter(column: ProtoColumn, data: Data): CellWriter {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const tag = column.number;
  return (w, i) => {
    w.tag(tag, WIRE_LEN);
    w.bytes(bytes, offsets[i] ?? 0, offsets[i + 1] ?? 0); // Arrow Utf8 is UTF-8 already: copied as is
    return undefined;
  };
}

function cellWriter(column: ProtoColumn, data: Data): CellWriter {
  switch (column.type) {
    case 'STRING': return stringWriter(column, data);
    case 'INT64': return integerWriter(column, data);
    case 'FLOAT64': return doubleWriter(column, data);
    case 'TIMESTAMP': return timestampWriter(column, data);
    case 'DATE': return dateWriter(column, data);
  }
}

function validityOf(data: Data): (i: number) => boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap.length === 0) return () => true; // Arrow JS may keep an empty bitmap
  const offset = data.offset;
  return (i) => ((bitmap[(i + offset) >> 3] ?? 0) & (1 << ((i + offset) & 7))) !== 0;
}

/**
 * Checks that the batch's columns are the processed ones with the expected Arrow types: a batch
 * of another schema is a bug upstream, refused whole (TAXI_ERR_WAREHOUSE_WRITE naming the column).
 * A missing NULLABLE column is written as nulls.
 */
export function checkBatchSchema(table: Table, columns: readonly ProtoColumn[], where: string): void {
  checkArrowColumns(table.schema.fields, columns, where);
}

/**
 * Serializes the rows of a processed table, one proto2 message per row, checking each value as
 * BigQuery would: a REQUIRED column null, a TIMESTAMP or DATE outside years 1..9999, an unsigned
 * integer above INT64's range, a non-finite FLOAT64. A refused row is left out and reported with
 * the column and value; the others keep batch order. Call checkBatchSchema first.
 */
export function encodeRows(table: Table, columns: readonly ProtoColumn[]): EncodedBatch {
  const w = new ProtoWriter();
  const spans: number[] = []; // per kept row: its batch index, start and end in w.buf
  const rowErrors: RowError[] = [];
  let base = 0;
  for (const batch of table.batches) {
    const cells = columns.flatMap((column) => {
      const data = batch.getChild(column.name)?.data[0] as Data | undefined;
      return data ? [{ column, write: cellWriter(column, data), valid: validityOf(data) }] : [];
    });
    for (let i = 0; i < batch.numRows; i++) {
      const start = w.pos;
      let problems: string[] | undefined;
      for (const cell of cells) {
        let problem: string | undefined;
        if (!cell.valid(i)) problem = cell.column.required ? `${cell.column.name}: REQUIRED value is null` : undefined;
        else problem = cell.write(w, i);
        if (problem !== undefined) (problems ??= []).push(problem);
      }
      if (problems === undefined) {
        spans.push(base + i, start, w.pos);
      } else {
        w.pos = start;
        rowErrors.push({ index: base + i, reason: problems.join('; ') });
      }
    }
    base += batch.numRows;
  }
  const rows: EncodedRow[] = [];
  for (let k = 0; k < spans.length; k += 3) {
    rows.push({ index: spans[k] ?? 0, bytes: w.buf.subarray(spans[k + 1] ?? 0, spans[k + 2] ?? 0) });
  }
  return { rows, rowErrors };
}

/** Bytes a row adds to ProtoRows (`repeated bytes serialized_rows = 1`): tag, length varint, the row. */
export function framedSize(row: Uint8Array): number {
  const n = row.length;
  return 1 + (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : n < 0x1000_0000 ? 4 : 5) + n;
}

/** The proto columns for the processed fields, numbered as the writer's descriptor numbers them. */
export function protoColumns(fields: readonly ProcessedField[], numbers: ReadonlyMap<string, number>): ProtoColumn[] {
  return fields.map((field) => {
    const number = numbers.get(field.name);
    if (number === undefined) throw new Error(`bigquery: the proto descriptor has no field ${field.name}`);
    return { name: field.name, number, type: field.type, required: field.mode === 'REQUIRED' };
  });
}
