import { Float64, Int32, Int64, makeData, RecordBatch, Struct, Table, tableFromIPC, tableToIPC, TimestampMicrosecond, Utf8, vectorFromArray } from 'apache-arrow';
import type { Data, DataType } from 'apache-arrow';
import t from 'tap';
import { parquetWasmCodec } from '../../parquet/src/index.js';
import { canonicalSchema } from '../../schema/src/canonical.js';
import { normalizeRowGroup } from '../../schema/src/normalize.js';
import { PROCESSED_ARROW_SCHEMA } from '../../schema/src/processed.js';
import { loadZones, REJECT_REASONS, transformTable } from '../src/index.js';
import type { RejectReason } from '../src/index.js';

const zones = loadZones();
const LOAD_DT = Date.UTC(2024, 2, 5, 6, 0, 0) * 1000;
const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

async function canonicalGreen(name: string): Promise<Table> {
  const reader = await codec.open(new URL(`../../../data/samples/${name}`, import.meta.url).pathname);
  return normalizeRowGroup({ table: await reader.readRowGroup(0), schema: canonicalSchema('green'), file: name, rowGroup: 0 }).table;
}

t.test('the zone lookup has the 265 TLC zones', async (t) => {
  t.equal(zones.maxId, 265);
  t.equal(zones.zone[132], 'JFK Airport');
  t.equal(zones.borough[132], 'Queens');
  t.equal(zones.zone[265], 'Outside of NYC');
});

for (const [name, month, rows] of [['green_tripdata_2024-01.parquet', '2024-01', 56_551], ['green_tripdata_2022-02.parquet', '2022-02', 69_399]] as const) {
  t.test(`real ${name}: conservation, derivations, zones`, async (t) => {
    const input = await canonicalGreen(name);
    const out = transformTable(input, { service: 'green', month, firstRow: 1000, loadDtMicros: LOAD_DT, zones });
    t.equal(out.rowsIn, rows);
    t.equal(out.table.numRows + out.rejects.length, rows, 'rows in = rows out + rows rejected');
    t.ok(out.rejects.length > 0 && out.rejects.length < rows * 0.2, `${out.rejects.length} rejected: real months are dirty, not mostly`);
    const byReason = Object.fromEntries(REJECT_REASONS.map((r) => [r, out.rejects.filter((x) => x.reason === r).length]));
    t.ok(byReason.pickup_outside_month! > 0, 'real pickups outside the month are counted');
    t.ok(out.rejects.every((r) => r.row >= 1000 && r.row < 1000 + rows), 'reject rows are file row indexes');
    t.same(out.table.schema.fields.map((f) => f.name), PROCESSED_ARROW_SCHEMA.fields.map((f) => f.name));
    t.equal(new Set(out.table.getChild('trip_id')!.toArray() as string[]).size, out.table.numRows, 'trip ids are unique');
    // Check one kept row against the source by hand.
    const firstId = out.table.getChild('trip_id')!.get(0) as string;
    const sourceRow = Number(firstId.split('/')[2]) - 1000;
    const src = (col: string): unknown => input.getChild(col)!.get(sourceRow);
    const get = (col: string): unknown => out.table.getChild(col)!.get(0);
    t.match(firstId, new RegExp(`^green/${month}/\\d+$`));
    t.equal(get('total_amount'), src('total_amount'));
    t.equal(get('Total_squared'), (src('total_amount') as number) ** 2, 'Total_squared = total_amount squared');
    const seconds = ((src('lpep_dropoff_datetime') as number) - (src('lpep_pickup_datetime') as number)) / 1000;
    t.equal(Number(get('duration_s')), Math.trunc(seconds));
    t.equal(get('avg_speed_mph'), (src('trip_distance') as number) / (seconds / 3600));
    t.equal(get('pickup_zone'), zones.zone[src('PULocationID') as number]);
    t.equal(get('dropoff_borough'), zones.borough[src('DOLocationID') as number]);
    t.equal(Number(get('pickup_hour')), new Date(src('lpep_pickup_datetime') as number).getUTCHours());
    t.equal(get('pickup_date'), Math.floor((src('lpep_pickup_datetime') as number) / 86_400_000) * 86_400_000, 'pickup_date is the pickup day');
    t.equal(get('Load_dt'), LOAD_DT / 1000, 'Load_dt is the ingest time given');
  });
}

function yellowBatch(rows: Record<string, unknown>[]): Table {
  const schema = canonicalSchema('yellow').arrow;
  const children = schema.fields.map((field) => {
    const values = rows.map((r) => r[field.name] ?? null);
    if (field.type instanceof TimestampMicrosecond || field.type instanceof Int64) {
      const data = BigInt64Array.from(values, (v) => BigInt((v as number | null) ?? 0));
      const nullBitmap = new Uint8Array(Math.ceil(rows.length / 8));
      values.forEach((v, i) => { if (v !== null) nullBitmap[i >> 3]! |= 1 << (i & 7); });
      return makeData({ type: field.type as DataType, length: rows.length, nullCount: values.filter((v) => v === null).length, nullBitmap, data } as never) as Data;
    }
    const type = field.type instanceof Int32 ? new Int32() : field.type instanceof Utf8 ? new Utf8() : new Float64();
    return vectorFromArray(values, type).data[0] as Data;
  });
  return new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }))]);
}

t.test('each reject reason, once, in order; a clean row passes', async (t) => {
  const h = 3_600_000_000;
  const jan = Date.UTC(2024, 0, 10) * 1000;
  const ok = { VendorID: 1, tpep_pickup_datetime: jan, tpep_dropoff_datetime: jan + h / 4, PULocationID: 132, DOLocationID: 236, trip_distance: 5, fare_amount: 20, total_amount: 25, tip_amount: 4 };
  const cases: [RejectReason | 'kept', Record<string, unknown>][] = [
    ['kept', ok],
    ['missing_timestamp', { ...ok, tpep_dropoff_datetime: null }],
    ['pickup_outside_month', { ...ok, tpep_pickup_datetime: Date.UTC(2023, 11, 31) * 1000, tpep_dropoff_datetime: Date.UTC(2023, 11, 31) * 1000 + h }],
    ['dropoff_before_pickup', { ...ok, tpep_dropoff_datetime: jan - 1 }],
    ['zero_duration', { ...ok, tpep_dropoff_datetime: jan }],
    ['absurd_duration', { ...ok, tpep_dropoff_datetime: jan + 25 * h }],
    ['bad_location', { ...ok, DOLocationID: 300 }],
    ['bad_location', { ...ok, PULocationID: null }],
    ['negative_amount', { ...ok, total_amount: -25 }],
    ['zero_distance', { ...ok, trip_distance: 0 }],
    ['absurd_distance', { ...ok, trip_distance: 900, tpep_dropoff_datetime: jan + 20 * h }],
    ['absurd_speed', { ...ok, trip_distance: 100 }],
  ];
  const out = transformTable(yellowBatch(cases.map(([, r]) => r)), { service: 'yellow', month: '2024-01', firstRow: 0, loadDtMicros: LOAD_DT, zones });
  t.equal(out.table.numRows, 1);
  t.same(out.rejects.map((r) => r.reason), cases.slice(1).map(([reason]) => reason));
  t.same(out.rejects.map((r) => r.row), cases.slice(1).map((_, i) => i + 1));
  const get = (col: string): unknown => out.table.getChild(col)!.get(0);
  t.equal(get('trip_id'), 'yellow/2024-01/0');
  t.equal(get('tip_pct'), 20);
  t.equal(get('avg_speed_mph'), 20);
  t.equal(get('pickup_zone'), 'JFK Airport');
  t.equal(get('airport_fee'), null, 'absent optional values stay null');
});

t.test('a sliced batch (Arrow data with an offset) gives what the same rows give unsliced', async (t) => {
  const input = await canonicalGreen('green_tripdata_2024-01.parquet');
  const sliced = input.slice(20_000, 30_000);
  const copy = tableFromIPC(tableToIPC(sliced, 'stream'));
  t.equal(sliced.batches[0]!.data.children[0]!.offset, 20_000, 'the slice keeps an offset into its parent');
  const ctx = { service: 'green', month: '2024-01', firstRow: 20_000, loadDtMicros: LOAD_DT, zones } as const;
  const a = transformTable(sliced, ctx);
  const b = transformTable(copy, ctx);
  t.ok(a.table.numRows > 9_000, `${a.table.numRows} rows kept of 10,000`);
  t.same(a.rejects, b.rejects);
  for (const field of PROCESSED_ARROW_SCHEMA.fields) {
    t.same(a.table.getChild(field.name)!.toArray(), b.table.getChild(field.name)!.toArray(), field.name);
    t.equal(a.table.getChild(field.name)!.nullCount, b.table.getChild(field.name)!.nullCount, `${field.name} nulls`);
  }
});
