// The proto2 row encoder of the BigQuery warehouse and its client-side row checks, decoded here by
// a small independent reader of the protobuf wire format (the emulator decodes the same rows with
// Google's protobuf library in test/integration/warehouse-bigquery.test.ts).
import { Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, Table, TimestampMicrosecond, Uint64, Utf8, vectorFromArray, DateDay } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import t from 'tap';
import type { AppError } from '../../errors/src/index.js';
import { checkBatchSchema, encodeRows, framedSize } from '../src/bigquery-rows.js';
import type { ProtoColumn } from '../src/bigquery-rows.js';

type Decoded = Map<number, bigint | number | string>;

/** Reads one message: varints as (signed 64-bit) bigints, I64 as doubles, LEN as UTF-8 strings. */
function decode(bytes: Uint8Array): Decoded {
  const out: Decoded = new Map();
  let pos = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[pos++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asIntN(64, value);
    }
  };
  while (pos < bytes.length) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    if (wire === 0) out.set(field, varint());
    else if (wire === 1) { out.set(field, new DataView(bytes.buffer, bytes.byteOffset + pos, 8).getFloat64(0, true)); pos += 8; }
    else if (wire === 2) { const n = Number(varint()); out.set(field, Buffer.from(bytes.subarray(pos, pos + n)).toString('utf8')); pos += n; }
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}

const COLUMNS: ProtoColumn[] = [
  { name: 'id', number: 1, type: 'STRING', required: true },
  { name: 'n', number: 2, type: 'INT64', required: false },
  { name: 'ts', number: 3, type: 'TIMESTAMP', required: true },
  { name: 'd', number: 4, type: 'DATE', required: false },
  { name: 'f', number: 20, type: 'FLOAT64', required: false },
];

function bits(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => { if (v !== null) nullBitmap[i >> 3] = (nullBitmap[i >> 3] ?? 0) | (1 << (i & 7)); });
  return { nullBitmap, nullCount: values.filter((v) => v === null).length };
}

function table(columns: { id: (string | null)[]; n?: (bigint | null)[]; ts: (bigint | null)[]; d?: (number | null)[]; f?: (number | null)[] }, unsigned = false): Table {
  const length = columns.id.length;
  const fields: Field[] = [];
  const children: Data[] = [];
  const push = (name: string, data: Data) => { fields.push(new Field(name, data.type, true)); children.push(data); };
  push('id', vectorFromArray(columns.id, new Utf8()).data[0]!);
  const { n, d, f } = columns;
  if (n) {
    push('n', unsigned
      ? makeData({ type: new Uint64(), length, ...bits(n), data: BigUint64Array.from(n, (v) => v ?? 0n) })
      : makeData({ type: new Int64(), length, ...bits(n), data: BigInt64Array.from(n, (v) => v ?? 0n) }));
  }
  push('ts', makeData({ type: new TimestampMicrosecond(), length, ...bits(columns.ts), data: BigInt64Array.from(columns.ts, (v) => v ?? 0n) }));
  if (d) push('d', makeData({ type: new DateDay(), length, ...bits(d), data: Int32Array.from(d, (v) => v ?? 0) }));
  if (f) push('f', makeData({ type: new Float64(), length, ...bits(f), data: Float64Array.from(f, (v) => v ?? 0) }));
  return new Table(new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length, nullCount: 0, children })));
}

t.test('values encode as BigQuery reads them: int64, TIMESTAMP micros, DATE days, doubles, UTF-8', async (t) => {
  const { rows, rowErrors } = encodeRows(table({
    id: ['a', 'zoë', 'c'],
    n: [150n, -1n, null],
    ts: [1_704_067_200_123_456n, -1n, 253_402_300_799_999_999n],
    d: [19_723, -719_162, null],
    f: [12.5, -3.25, null],
  }), COLUMNS);
  t.same(rowErrors, []);
  t.same(rows.map((r) => r.index), [0, 1, 2]);
  t.same([...decode(rows[0]!.bytes)], [[1, 'a'], [2, 150n], [3, 1_704_067_200_123_456n], [4, 19_723n], [20, 12.5]]);
  t.same([...decode(rows[1]!.bytes)], [[1, 'zoë'], [2, -1n], [3, -1n], [4, -719_162n], [20, -3.25]]);
  t.same([...decode(rows[2]!.bytes)], [[1, 'c'], [3, 253_402_300_799_999_999n]], 'nulls are absent fields');
  // The spec's own example: 150 as a varint is 96 01; a negative int64 takes ten bytes.
  t.same([...rows[0]!.bytes.subarray(3, 6)], [0x10, 0x96, 0x01], 'field 2, varint 150');
  t.same([...rows[1]!.bytes.subarray(6, 17)], [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 'field 2, -1 in ten bytes');
  t.same([...rows[0]!.bytes.subarray(-10)], [0xa1, 0x01, 0, 0, 0, 0, 0, 0, 0x29, 0x40], 'field 20: a two-byte tag, then 12.5 as a little-endian double');
});

t.test('rows BigQuery would refuse are left out with a reason naming the column', async (t) => {
  const { rows, rowErrors } = encodeRows(table({
    id: ['ok', null, 'late', 'early', 'nan', 'day'],
    n: [1n, 2n, 3n, 4n, 5n, 6n],
    ts: [0n, 0n, 253_402_300_800_000_000n, -62_135_596_800_000_001n, 0n, 0n],
    d: [0, 0, 0, 0, 0, 2_932_897],
    f: [0, 0, 0, 0, Number.NaN, Number.POSITIVE_INFINITY],
  }), COLUMNS);
  t.same(rows.map((r) => r.index), [0]);
  t.same(rowErrors, [
    { index: 1, reason: 'id: REQUIRED value is null' },
    { index: 2, reason: 'ts: TIMESTAMP outside 0001-01-01 .. 9999-12-31, got 253402300800000000 microseconds since the epoch' },
    { index: 3, reason: 'ts: TIMESTAMP outside 0001-01-01 .. 9999-12-31, got -62135596800000001 microseconds since the epoch' },
    { index: 4, reason: 'f: FLOAT64 must be finite, got NaN' },
    { index: 5, reason: 'd: DATE outside 0001-01-01 .. 9999-12-31, got 2932897 days since the epoch; f: FLOAT64 must be finite, got Infinity' },
  ]);
  t.same([...decode(rows[0]!.bytes)], [[1, 'ok'], [2, 1n], [3, 0n], [4, 0n], [20, 0]], 'the refused rows left nothing behind');

  const unsigned = encodeRows(table({ id: ['small', 'big'], n: [2n ** 63n - 1n, 2n ** 63n], ts: [0n, 0n] }, true), COLUMNS);
  t.same(unsigned.rowErrors, [{ index: 1, reason: 'n: INT64 out of range (above 2^63 - 1), got 9223372036854775808' }]);
  t.equal(decode(unsigned.rows[0]!.bytes).get(2), 2n ** 63n - 1n);
});

t.test('sliced and multi-batch tables keep their row indices; a missing NULLABLE column is null', async (t) => {
  const whole = table({ id: ['a', 'b', 'c', 'd'], ts: [1n, 2n, 3n, 4n] });
  const sliced = encodeRows(whole.slice(1, 3), COLUMNS);
  t.same(sliced.rows.map((r) => decode(r.bytes).get(1)), ['b', 'c']);
  t.same(sliced.rows.map((r) => decode(r.bytes).get(3)), [2n, 3n]);
  const two = new Table([...whole.batches, ...table({ id: ['e', null], ts: [5n, 6n] }).batches]);
  const encoded = encodeRows(two, COLUMNS);
  t.same(encoded.rows.map((r) => r.index), [0, 1, 2, 3, 4]);
  t.same(encoded.rowErrors, [{ index: 5, reason: 'id: REQUIRED value is null' }]);
});

t.test('a batch of another schema is refused whole, naming the column', async (t) => {
  const good = table({ id: ['a'], ts: [1n] });
  t.doesNotThrow(() => { checkBatchSchema(good, COLUMNS, 'here'); });
  const extra = new Table({ id: vectorFromArray(['a'], new Utf8()), ts: vectorFromArray([1n], new Int64()) });
  const error = t.throws(() => { checkBatchSchema(extra, COLUMNS, 'bq://p.d.t batch 3'); }) as AppError;
  t.equal(error.code, 'TAXI_ERR_WAREHOUSE_WRITE');
  t.equal(error.message, 'bq://p.d.t batch 3: column ts (TIMESTAMP) should be Arrow Timestamp<MICROSECOND>, got Int64');
  t.equal(error.context.column, 'ts');
  t.throws(() => { checkBatchSchema(new Table({ id: vectorFromArray(['a'], new Utf8()), zone: vectorFromArray(['x'], new Utf8()) }), COLUMNS, 'w'); },
    { message: /the batch has column zone, which is not in the processed schema/ });
  t.throws(() => { checkBatchSchema(new Table({ id: vectorFromArray(['a'], new Utf8()) }), COLUMNS, 'w'); }, { message: /lacks REQUIRED column ts/ });
});

t.test('framedSize counts the ProtoRows tag and length prefix', async (t) => {
  t.equal(framedSize(new Uint8Array(0)), 2);
  t.equal(framedSize(new Uint8Array(127)), 129);
  t.equal(framedSize(new Uint8Array(128)), 131);
  t.equal(framedSize(new Uint8Array(20_000)), 20_004);
});
