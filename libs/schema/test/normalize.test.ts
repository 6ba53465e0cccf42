import { Field, Float64, Int64, Null, Schema, Table, TimestampNanosecond, Utf8, makeData, RecordBatch, Struct, vectorFromArray } from 'apache-arrow';
import type { Data, DataType } from 'apache-arrow';
import t from 'tap';
import type { Test } from 'tap';
import { AppError } from '../../errors/src/index.js';
import { parquetWasmCodec } from '../../parquet/src/index.js';
import { canonicalSchema } from '../src/canonical.js';
import { normalizeRowGroup } from '../src/normalize.js';

const samples = new URL('../../../data/samples/', import.meta.url);
const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

async function readSample(name: string): Promise<Table> {
  const reader = await codec.open(new URL(name, samples).pathname);
  return reader.readRowGroup(0);
}

/** A one-batch table from named columns of explicit types. */
function table(columns: Record<string, [DataType, unknown[]]>): Table {
  const fields = Object.entries(columns).map(([name, [type]]) => new Field(name, type, true));
  const children = Object.values(columns).map(([type, values]) => type instanceof TimestampNanosecond ? rawTimestamps(type, values) : vectorFromArray(values, type).data[0] as Data);
  const length = children[0]?.length ?? 0;
  const schema = new Schema(fields);
  return new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length, nullCount: 0, children }))]);
}

/** Timestamp columns from raw BigInt64 values (arrow's builder takes epoch milliseconds instead). */
function rawTimestamps(type: TimestampNanosecond, values: unknown[]): Data {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => { if (v !== null) nullBitmap[i >> 3]! |= 1 << (i & 7); });
  const data = BigInt64Array.from(values, (v) => (v ?? 0n) as bigint);
  return makeData({ type, length: values.length, nullCount: values.filter((v) => v === null).length, nullBitmap, data });
}

function expectError(t: Test, fn: () => unknown, code: string, message: RegExp): AppError {
  const err = t.throws(fn) as unknown as AppError;
  t.type(err, AppError);
  t.equal(err.code, code);
  t.match(err.message, message);
  return err;
}

t.test('the drifted green 2022-02 month becomes the canonical green schema, values intact', async (t) => {
  const source = await readSample('green_tripdata_2022-02.parquet');
  const { table: out, unknownColumns, missingColumns } = normalizeRowGroup({
    table: source, schema: canonicalSchema('green'), file: 'green_tripdata_2022-02.parquet', rowGroup: 0 });
  t.equal(out.numRows, 69_399);
  t.same(out.schema.fields.map((f) => `${f.name}:${String(f.type)}`), canonicalSchema('green').arrow.fields.map((f) => `${f.name}:${String(f.type)}`));
  t.same(unknownColumns, []);
  t.same(missingColumns, ['cbd_congestion_fee'], 'a column of later years is filled with nulls');
  t.equal(String(out.schema.fields.find((f) => f.name === 'VendorID')?.type), 'Int32', 'int64 IDs narrowed to int32');
  t.equal(out.getChild('ehail_fee')?.nullCount, 69_399, 'the null-typed column is all null, typed float64');
  for (const name of ['VendorID', 'PULocationID', 'DOLocationID', 'lpep_pickup_datetime', 'passenger_count', 'total_amount', 'store_and_fwd_flag']) {
    const a = source.getChild(name)!;
    const b = out.getChild(name)!;
    t.equal(b.nullCount, a.nullCount, `${name}: same nulls`);
    let same = true;
    for (let i = 0; i < a.length && same; i += 97) same = String(a.get(i)) === String(b.get(i));
    t.ok(same, `${name}: same values`);
  }
});

t.test('the 2024 green month passes through unchanged', async (t) => {
  const source = await readSample('green_tripdata_2024-01.parquet');
  const { table: out } = normalizeRowGroup({ table: source, schema: canonicalSchema('green'), file: 'g.parquet', rowGroup: 0 });
  t.equal(out.numRows, source.numRows);
  t.equal(out.getChild('lpep_pickup_datetime')?.get(0), source.getChild('lpep_pickup_datetime')?.get(0));
});

t.test('yellow drift: lower-case airport_fee, nanosecond timestamps, double counts, extra columns', async (t) => {
  const input = table({
    VendorID: [new Int64(), [1n, 2n]],
    tpep_pickup_datetime: [new TimestampNanosecond(), [1_704_067_200_000_000_000n, 1_704_067_260_123_456_789n]],
    tpep_dropoff_datetime: [new TimestampNanosecond(), [1_704_067_500_000_000_000n, null]],
    passenger_count: [new Float64(), [1, null]],
    trip_distance: [new Float64(), [1.5, 2]],
    PULocationID: [new Int64(), [132n, 265n]],
    DOLocationID: [new Int64(), [1n, 7n]],
    fare_amount: [new Float64(), [10, -3]],
    total_amount: [new Float64(), [12.5, -3]],
    airport_fee: [new Float64(), [1.75, 0]],
    mystery_surcharge: [new Float64(), [1, 1]],
    store_and_fwd_flag: [new Utf8(), ['N', null]],
    congestion_surcharge: [new Null(), [null, null]],
  });
  const { table: out, unknownColumns, missingColumns } = normalizeRowGroup({ table: input, schema: canonicalSchema('yellow'), file: 'y.parquet', rowGroup: 3 });
  t.same(unknownColumns, ['mystery_surcharge'], 'an unknown column is reported by name');
  t.ok(missingColumns.includes('cbd_congestion_fee'));
  t.same(out.getChild('Airport_fee')?.toArray(), new Float64Array([1.75, 0]), 'airport_fee matched case-insensitively');
  const pickup = out.getChild('tpep_pickup_datetime')!.data[0]!.values as BigInt64Array;
  t.same([...pickup], [1_704_067_200_000_000n, 1_704_067_260_123_456n], 'nanoseconds become microseconds');
  t.equal(out.getChild('tpep_dropoff_datetime')?.get(1), null, 'nulls survive conversion');
  t.same((out.getChild('passenger_count')!.data[0]!.values as BigInt64Array)[0], 1n, 'whole doubles become int64');
  t.equal(out.getChild('passenger_count')?.get(1), null);
  t.equal(out.getChild('congestion_surcharge')?.nullCount, 2);
});

t.test('a missing required column names it; a lossy value names file, row group, row and column', async (t) => {
  const noPickup = table({ VendorID: [new Int64(), [1n]], trip_distance: [new Float64(), [1]] });
  const err = expectError(t, () => normalizeRowGroup({ table: noPickup, schema: canonicalSchema('green'), file: 'x.parquet', rowGroup: 0 }),
    'TAXI_ERR_SCHEMA_UNKNOWN', /x\.parquet is not a green trip file: required columns 'lpep_pickup_datetime', .* missing/);
  t.equal(err.context.column, 'lpep_pickup_datetime');

  const base = {
    VendorID: [new Int64(), [1n, 2n]], tpep_pickup_datetime: [new TimestampNanosecond(), [0n, 0n]],
    tpep_dropoff_datetime: [new TimestampNanosecond(), [0n, 0n]], trip_distance: [new Float64(), [1, 1]],
    PULocationID: [new Int64(), [1n, 2n]], DOLocationID: [new Int64(), [1n, 2n]], fare_amount: [new Float64(), [1, 1]],
    total_amount: [new Float64(), [1, 1]],
  } satisfies Record<string, [DataType, unknown[]]>;
  const fractional = table({ ...base, passenger_count: [new Float64(), [1, 1.5]] });
  const lossy = expectError(t, () => normalizeRowGroup({ table: fractional, schema: canonicalSchema('yellow'), file: 'y.parquet', rowGroup: 2 }),
    'TAXI_ERR_SCHEMA_CONVERSION', /y\.parquet row group 2 row 1: column 'passenger_count' value 1.5 cannot become int64 \(not a whole number\)/);
  t.same(lossy.context, { file: 'y.parquet', rowGroup: 2, column: 'passenger_count', offset: 1 });

  const huge = table({ ...base, PULocationID: [new Int64(), [1n, 3_000_000_000n]] });
  expectError(t, () => normalizeRowGroup({ table: huge, schema: canonicalSchema('yellow'), file: 'y.parquet', rowGroup: 0 }),
    'TAXI_ERR_SCHEMA_CONVERSION', /column 'PULocationID' value 3000000000 cannot become int32 \(out of range\)/);

  const stringly = table({ ...base, RatecodeID: [new Utf8(), ['1', '2']] });
  expectError(t, () => normalizeRowGroup({ table: stringly, schema: canonicalSchema('yellow'), file: 'y.parquet', rowGroup: 0 }),
    'TAXI_ERR_SCHEMA_UNKNOWN', /column 'RatecodeID' has type Utf8, which cannot become int64/);
});

t.test('every service has a distinct, stable fingerprint', async (t) => {
  const prints = (['yellow', 'green', 'fhv', 'fhvhv'] as const).map((s) => canonicalSchema(s).fingerprint);
  t.equal(new Set(prints).size, 4);
  t.ok(prints.every((p) => /^[0-9a-f]{16}$/.test(p)));
});
