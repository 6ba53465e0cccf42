// The DuckDB adapter's append path (duckdb-chunks.ts): every value back exactly, across chunk
// boundaries, sliced and multi-batch tables; rows and marker committed together or not at all.
import { DateDay, Float64, Int8, makeData, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC, TimestampMicrosecond, Utf8, vectorFromArray } from 'apache-arrow';
import type { Data, DataType } from 'apache-arrow';
import { DuckDBDateValue, DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import t from 'tap';
import { AppError } from '../../errors/src/index.js';
import { PROCESSED_ARROW_SCHEMA, PROCESSED_FIELDS } from '../../schema/src/processed.js';
import type { ProcessedField } from '../../schema/src/processed.js';
import { duckDbWarehouse } from '../src/index.js';
import { dbPath, markersRefusing } from './duckdb-files.js';

type Value = string | bigint | number | null;

const STRINGS = ['Manhattan', '', 'Café Ñ 🚕 Zürich', 'x'.repeat(40), 'EWR'];
const DOUBLES = [-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.7976931348623157e308, 5e-324, 0.1 + 0.2, -123.456];

/** Row i of a processed column, deterministic; NULLABLE columns have nulls at column-dependent rows. */
function value(f: ProcessedField, fi: number, i: number): Value {
  if (f.mode === 'NULLABLE' && (i + fi) % (3 + (fi % 5)) === 0) return null;
  switch (f.type) {
    case 'STRING': return f.name === 'trip_id' ? `yellow/2024-01/${String(i).padStart(6, '0')}` : `${STRINGS[(i + fi) % STRINGS.length]!}${i % 2 === 0 ? '' : String(i)}`;
    case 'INT64': return i % 97 === 0 ? 2n ** 62n + BigInt(i) : BigInt(i * (fi + 1)) - 1000n;
    case 'FLOAT64': return i < DOUBLES.length ? DOUBLES[(i + fi) % DOUBLES.length]! : i * 0.1 + fi / 3;
    case 'TIMESTAMP': return -86_400_000_000n + BigInt(i) * 1_000_001n + BigInt(fi); // before and after 1970, odd microseconds
    case 'DATE': return -3 + i;
  }
}

function column(f: ProcessedField, values: Value[]): Data {
  if (f.type === 'TIMESTAMP') return makeData({ type: new TimestampMicrosecond(), length: values.length, nullCount: 0, data: BigInt64Array.from(values as bigint[]) });
  if (f.type === 'DATE') return makeData({ type: new DateDay(), length: values.length, nullCount: 0, data: Int32Array.from(values as number[]) });
  return vectorFromArray(values, PROCESSED_ARROW_SCHEMA.fields.find((x) => x.name === f.name)!.type as DataType).data[0]!;
}

function syntheticTable(rows: number): { table: Table; expected: Value[][] } {
  const expected = PROCESSED_FIELDS.map((f, fi) => Array.from({ length: rows }, (_, i) => value(f, fi, i)));
  const children = PROCESSED_FIELDS.map((f, fi) => column(f, expected[fi]!));
  const batch = new RecordBatch(PROCESSED_ARROW_SCHEMA, makeData({ type: new Struct(PROCESSED_ARROW_SCHEMA.fields), length: rows, nullCount: 0, children }));
  return { table: new Table(PROCESSED_ARROW_SCHEMA, [batch]), expected };
}

/** Every column of the trips table, ordered by trip_id, as plain values (micros, days). */
async function readBack(path: string): Promise<Value[][]> {
  const db = await DuckDBInstance.create(path);
  const c = await db.connect();
  try {
    const names = PROCESSED_FIELDS.map((f) => `"${f.name}"`).join(', ');
    const columns = (await c.runAndReadAll(`SELECT ${names} FROM trips ORDER BY trip_id`)).getColumns();
    return columns.map((values) => values.map((v) => {
      if (v instanceof DuckDBTimestampValue) return v.micros;
      if (v instanceof DuckDBDateValue) return v.days;
      return v as Value;
    }));
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** The table over a SharedArrayBuffer, as the processor holds a transform's reply. */
function inSharedMemory(table: Table): Table {
  const ipc = tableToIPC(table, 'stream');
  const shared = new Uint8Array(new SharedArrayBuffer(ipc.byteLength));
  shared.set(ipc);
  return tableFromIPC(shared);
}

for (const memory of ['an ArrayBuffer', 'a SharedArrayBuffer'] as const) t.test(`every value comes back exactly: nulls, doubles, UTF-8, microseconds, days; sliced and multi-batch tables; in ${memory}`, async (t) => {
  const path = dbPath(t, 'taxi-duckdb-append-');
  const rows = 5_000;
  const synthetic = syntheticTable(rows);
  const { expected } = synthetic;
  const table = memory === 'a SharedArrayBuffer' ? inSharedMemory(synthetic.table) : synthetic.table;
  t.equal((table.getChild('fare_amount')!.data[0]!.values as Float64Array).buffer instanceof SharedArrayBuffer, memory === 'a SharedArrayBuffer');
  const wh = duckDbWarehouse({ path });
  await wh.connect();
  // Offsets that are no multiple of 8 (the null bitmap is then read mid-byte), a batch larger
  // than one 2048-row chunk, and a table of two record batches.
  const twoBatches = new Table([...table.slice(2_603, 4_000).batches, ...table.slice(4_000).batches]);
  t.equal(twoBatches.batches.length, 2);
  for (const [offset, part] of [table.slice(3, 2_603), twoBatches, table.slice(0, 3)].entries()) {
    t.same(await wh.writeBatch({ partitionKey: 'raw/0', offset: String(offset), table: part }), { rowsWritten: part.numRows, duplicate: false, rowErrors: [] });
  }
  await wh.close();

  const actual = await readBack(path);
  PROCESSED_FIELDS.forEach((f, fi) => {
    const want = expected[fi]!;
    const got = actual[fi]!;
    const bad = want.findIndex((v, i) => !Object.is(v, got[i]));
    t.equal(bad, -1, `${f.name} (${f.type}): every row equal${bad < 0 ? '' : `; row ${bad}: want ${String(want[bad])}, got ${String(got[bad])}`}`);
  });
});

t.test('rows follow the table\'s column order after a column was added back', async (t) => {
  const path = dbPath(t, 'taxi-duckdb-append-');
  const first = duckDbWarehouse({ path });
  await first.connect();
  await first.query('ALTER TABLE trips DROP COLUMN tip_pct');
  await first.query('ALTER TABLE trips ADD COLUMN note VARCHAR'); // a column of the user's
  await first.close();
  const { table, expected } = syntheticTable(100);
  const wh = duckDbWarehouse({ path });
  await wh.connect(); // adds tip_pct back, after `note`
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table });
  const rows = await wh.query('SELECT epoch_us(pickup_datetime) AS us, tip_pct, "Total_squared" AS sq, note FROM trips ORDER BY trip_id');
  await wh.close();
  const at = (name: string) => expected[PROCESSED_FIELDS.findIndex((f) => f.name === name)]!;
  t.same(rows.map((r) => BigInt(r.us as string)), at('pickup_datetime'));
  t.same(rows.map((r) => r.tip_pct), at('tip_pct').map((v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)), 'tip_pct in its own column');
  t.same(rows.map((r) => r.note), rows.map(() => null), 'a column outside the processed schema is left null');
});

t.test('rows and marker commit together: a failure after the rows leaves neither, and a retry lands once', async (t) => {
  const path = dbPath(t, 'taxi-duckdb-append-');
  // A markers table that refuses one partition key: the marker INSERT fails after the rows were
  // appended, inside the same transaction.
  await markersRefusing(path, 'raw/refused');
  const { table } = syntheticTable(3_000);
  const wh = duckDbWarehouse({ path });
  await wh.connect();
  t.teardown(() => wh.close());
  const count = async (sql: string) => Number((await wh.query(sql))[0]?.n);

  const err = await wh.writeBatch({ partitionKey: 'raw/refused', offset: '7', table }).then(() => undefined, (e: unknown) => e);
  t.type(err, AppError);
  t.equal((err as AppError).code, 'TAXI_ERR_WAREHOUSE_UNAVAILABLE');
  t.equal(await count('SELECT count(*) AS n FROM trips'), 0, 'the appended rows were rolled back with the marker');
  t.equal(await count('SELECT count(*) AS n FROM _taxi_batches'), 0);

  // A REQUIRED column null in one row: the appender refuses the flush; nothing of the batch stays.
  const broken = table.slice(0, 10);
  const ids = vectorFromArray(Array.from({ length: 10 }, (_, i) => (i === 4 ? null : `broken/${i}`)), new Utf8());
  const withNull = new Table(broken.schema, [new RecordBatch(broken.schema, makeData({ type: new Struct(broken.schema.fields), length: 10, nullCount: 0,
    children: broken.schema.fields.map((f, i) => (f.name === 'trip_id' ? ids.data[0]! : broken.batches[0]!.data.children[i]!)) }))]);
  const err2 = await wh.writeBatch({ partitionKey: 'raw/0', offset: '8', table: withNull }).then(() => undefined, (e: unknown) => e);
  t.match((err2 as AppError).message, /NOT NULL/);
  t.equal(await count('SELECT count(*) AS n FROM trips'), 0, 'no row of the refused batch');

  t.same(await wh.writeBatch({ partitionKey: 'raw/0', offset: '7', table }), { rowsWritten: 3_000, duplicate: false, rowErrors: [] }, 'the connection still writes');
  t.same(await wh.writeBatch({ partitionKey: 'raw/0', offset: '7', table }), { rowsWritten: 0, duplicate: true, rowErrors: [] });
  t.equal(await count('SELECT count(*) AS n FROM trips'), 3_000);
  t.equal(await count("SELECT count(*) AS n FROM _taxi_batches WHERE partition_key = 'raw/0' AND \"offset\" = '7' AND row_count = 3000"), 1);
});

t.test('a batch of another schema is refused whole, not retryable', async (t) => {
  const wh = duckDbWarehouse({ path: dbPath(t, 'taxi-duckdb-append-') });
  await wh.connect();
  t.teardown(() => wh.close());
  const batch = syntheticTable(10).table.batches[0]!;
  // pickup_hour as Float64 instead of an integer.
  const fields = batch.schema.fields.map((f) => (f.name === 'pickup_hour' ? f.clone({ type: new Float64() }) : f));
  const children = batch.schema.fields.map((f, i) => (f.name === 'pickup_hour' ? vectorFromArray(Array.from({ length: 10 }, (_, k) => k + 0.5), new Float64()).data[0]! : batch.data.children[i]!));
  const schema = new Schema(fields);
  const table = new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length: 10, nullCount: 0, children }))]);
  const err = await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table }).then(() => undefined, (e: unknown) => e);
  t.equal((err as AppError).code, 'TAXI_ERR_WAREHOUSE_WRITE');
  t.equal((err as AppError).retryable, false);
  t.match((err as AppError).message, /column pickup_hour \(INT64\) should be Arrow Int/);
  t.equal(Number((await wh.query('SELECT count(*) AS n FROM _taxi_batches'))[0]?.n), 0);
  t.equal(Number((await wh.query('SELECT count(*) AS n FROM trips'))[0]?.n), 0);
});

/** `table` with some columns replaced (same Arrow types), or left out when `values` is undefined. */
function withColumns(table: Table, replace: Record<string, { values?: Value[]; type?: DataType }>): Table {
  const batch = table.batches[0]!;
  const kept = batch.schema.fields.filter((f) => !(f.name in replace) || replace[f.name]!.values !== undefined);
  const fields = kept.map((f) => (replace[f.name]?.type ? f.clone({ type: replace[f.name]!.type }) : f));
  const children = kept.map((f): Data => {
    const r = replace[f.name];
    return r?.values ? vectorFromArray(r.values, (r.type ?? f.type) as DataType).data[0]! : batch.data.children[batch.schema.fields.indexOf(f)]!;
  });
  const schema = new Schema(fields);
  return new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length: table.numRows, nullCount: 0, children }))]);
}

t.test('ASCII strings: inline (up to 12 bytes) and not, around the boundary, with nulls, in sliced batches', async (t) => {
  const path = dbPath(t, 'taxi-duckdb-append-');
  const rows = 5_000;
  const { table, expected } = syntheticTable(rows);
  // Lengths 0..20 bytes; every 7th NULL in the NULLABLE zone, none in REQUIRED trip_id and service.
  const ascii = (i: number, salt: string): string => `${salt}${String(i).padStart(6, '0')}~${'abcdefghijklm'.slice(0, i % 14)}`.slice(0, i % 21);
  const strings: Record<string, Value[]> = {
    trip_id: Array.from({ length: rows }, (_, i) => `${String(i).padStart(5, '0')}${ascii(i, 't')}`),
    service: Array.from({ length: rows }, (_, i) => ascii(i, 's')),
    pickup_zone: Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : ascii(i * 3, 'z'))),
  };
  const ascii12 = withColumns(table, Object.fromEntries(Object.entries(strings).map(([name, values]) => [name, { values }])));
  const wh = duckDbWarehouse({ path });
  await wh.connect();
  for (const [offset, part] of [ascii12.slice(5, 2_600), ascii12.slice(2_600), ascii12.slice(0, 5)].entries()) {
    await wh.writeBatch({ partitionKey: 'raw/0', offset: String(offset), table: part });
  }
  await wh.close();
  const actual = await readBack(path);
  for (const [name, want] of Object.entries(strings)) {
    const got = actual[PROCESSED_FIELDS.findIndex((f) => f.name === name)]!;
    t.same(got, want, `${name}: every string back, lengths 0-20 and nulls`);
  }
  const at = PROCESSED_FIELDS.findIndex((f) => f.name === 'pickup_datetime');
  t.same(actual[at], expected[at], 'the other columns are unchanged');
});

t.test('a missing NULLABLE column is written as NULL; narrower Arrow ints as BIGINT', async (t) => {
  const path = dbPath(t, 'taxi-duckdb-append-');
  const { table } = syntheticTable(3_000);
  const hours = Array.from({ length: 3_000 }, (_, i) => i % 24);
  const narrow = withColumns(table, { tip_pct: {}, pickup_zone: {}, pickup_hour: { values: hours, type: new Int8() } });
  t.notOk(narrow.schema.fields.some((f) => f.name === 'tip_pct' || f.name === 'pickup_zone'));
  const wh = duckDbWarehouse({ path });
  await wh.connect();
  t.teardown(() => wh.close());
  t.same(await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table: narrow.slice(1) }), { rowsWritten: 2_999, duplicate: false, rowErrors: [] });
  const [row] = await wh.query('SELECT count(*) AS n, count(tip_pct) AS tips, count(pickup_zone) AS zones, sum(pickup_hour) AS hours, max(pickup_hour) AS top FROM trips');
  t.same(row, { n: '2999', tips: '0', zones: '0', hours: String(hours.slice(1).reduce((s, h) => s + h, 0)), top: '23' });
});

t.test('a table column retyped after connect is refused before any byte is copied into it', async (t) => {
  const wh = duckDbWarehouse({ path: dbPath(t, 'taxi-duckdb-append-') });
  await wh.connect();
  t.teardown(() => wh.close());
  await wh.query('ALTER TABLE trips ALTER COLUMN tip_pct TYPE FLOAT');
  const err = await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table: syntheticTable(100).table }).then(() => undefined, (e: unknown) => e);
  t.equal((err as AppError).code, 'TAXI_ERR_WAREHOUSE_SCHEMA');
  t.match((err as AppError).message, /column tip_pct is FLOAT in the table, expected DOUBLE/);
  t.equal(Number((await wh.query('SELECT count(*) AS n FROM trips'))[0]?.n), 0);
  t.equal(Number((await wh.query('SELECT count(*) AS n FROM _taxi_batches'))[0]?.n), 0);
});

t.test('the reused data chunk: a column with nulls in one batch and none in the next, and new ENUM values in between', async (t) => {
  const path = dbPath(t, 'taxi-duckdb-append-');
  const rows = 6_000;
  const { table, expected } = syntheticTable(rows);
  // Nulls in the first 3,000 rows only; a zone no ENUM holds yet from row 4,600 (the column is
  // widened, and the chunk made again for the new type).
  const withNulls = (i: number, v: Value): Value => (i < 3_000 && i % 3 === 0 ? null : v);
  const columns: Record<string, Value[]> = {
    tip_pct: Array.from({ length: rows }, (_, i) => withNulls(i, i / 7)),
    store_and_fwd_flag: Array.from({ length: rows }, (_, i) => withNulls(i, i % 2 === 0 ? 'N' : 'Y, a longer flag')),
    pickup_zone: Array.from({ length: rows }, (_, i) => withNulls(i, i >= 4_600 ? `New zone ${i % 5}` : 'JFK Airport')),
    // The other ENUM columns hold values of the shipped lookup only, so they widen nothing.
    service: Array.from({ length: rows }, () => 'yellow'),
    pickup_borough: Array.from({ length: rows }, () => 'Queens'),
    dropoff_borough: Array.from({ length: rows }, (_, i) => withNulls(i, 'Manhattan')),
    dropoff_zone: Array.from({ length: rows }, () => 'Midtown Center'),
  };
  const mixed = withColumns(table, Object.fromEntries(Object.entries(columns).map(([name, values]) => [name, { values }])));
  const wh = duckDbWarehouse({ path });
  await wh.connect();
  for (const [offset, part] of [mixed.slice(0, 3_000), mixed.slice(3_000, 4_500), mixed.slice(4_500)].entries()) {
    if (offset > 0) t.equal(part.getChild('tip_pct')!.nullCount, 0, 'no nulls after the first batch');
    await wh.writeBatch({ partitionKey: 'raw/0', offset: String(offset), table: part });
  }
  await wh.close();
  const actual = await readBack(path);
  for (const [name, want] of Object.entries(columns)) {
    t.same(actual[PROCESSED_FIELDS.findIndex((f) => f.name === name)], want, `${name}: every value back, nulls only where they were`);
  }
  const at = PROCESSED_FIELDS.findIndex((f) => f.name === 'pickup_datetime');
  t.same(actual[at], expected[at], 'the other columns are unchanged');
});
