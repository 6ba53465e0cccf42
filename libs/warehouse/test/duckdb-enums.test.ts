// The DuckDB adapter's ENUM columns (duckdb-enums.ts): the service and the zone lookup's names are
// stored as codes, start with the shipped lookup's names, widen when a batch brings a new one (in
// its transaction), stay sorted as VARCHAR is, and read back as the text written.
import { Float64, makeData, RecordBatch, Schema, Struct, Table, Utf8, vectorFromArray } from 'apache-arrow';
import type { Data, DataType } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import t from 'tap';
import { AppError } from '../../errors/src/index.js';
import { PROCESSED_ARROW_SCHEMA, PROCESSED_FIELDS } from '../../schema/src/processed.js';
import { loadZones } from '../../transform/src/zones.js';
import { duckDbWarehouse } from '../src/index.js';
import { dbPath, markersRefusing } from './duckdb-files.js';
import { sortedValues } from '../src/duckdb-enums.js';

const ENUMS = ['service', 'pickup_borough', 'dropoff_borough', 'pickup_zone', 'dropoff_zone'];
const zones = loadZones();
const ZONE_NAMES = sortedValues(zones.zone.filter((z): z is string => z !== undefined && z !== ''));
const BOROUGHS = sortedValues(zones.borough.filter((b): b is string => b !== undefined && b !== ''));

/** A processed batch of `rows` rows: trip ids from `first`, the given text columns, the rest plain values. */
function batchOf(rows: number, first: number, text: Record<string, (string | null)[] | Data>): Table {
  const children = PROCESSED_ARROW_SCHEMA.fields.map((field): Data => {
    const given = text[field.name];
    if (given && !Array.isArray(given)) return given;
    if (given) return vectorFromArray(given, new Utf8()).data[0]!;
    const f = PROCESSED_FIELDS.find((p) => p.name === field.name)!;
    const type = field.type as DataType;
    switch (f.type) {
      case 'STRING': {
        const text = (i: number): string | null => ({ trip_id: `yellow/2024-01/${first + i}`, service: 'yellow', source_month: '2024-01', store_and_fwd_flag: 'N' } as Record<string, string>)[f.name] ?? null;
        return vectorFromArray(Array.from({ length: rows }, (_, i) => text(i)), new Utf8()).data[0]!;
      }
      case 'INT64': return makeData({ type, length: rows, nullCount: 0, data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i % 24)) } as never);
      case 'FLOAT64': return makeData({ type, length: rows, nullCount: 0, data: Float64Array.from({ length: rows }, (_, i) => i / 4) } as never);
      case 'TIMESTAMP': return makeData({ type, length: rows, nullCount: 0, data: BigInt64Array.from({ length: rows }, (_, i) => 1_704_067_200_000_000n + BigInt(i)) } as never);
      case 'DATE': return makeData({ type, length: rows, nullCount: 0, data: Int32Array.from({ length: rows }, () => 19_723) } as never);
    }
  });
  const batch = new RecordBatch(PROCESSED_ARROW_SCHEMA, makeData({ type: new Struct(PROCESSED_ARROW_SCHEMA.fields), length: rows, nullCount: 0, children }));
  return new Table(PROCESSED_ARROW_SCHEMA, [batch]);
}

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

/** The column's DuckDB type and, for an ENUM, its values. */
async function typeOf(wh: { query: (sql: string) => Promise<Record<string, unknown>[]> }, column: string, table = 'trips'): Promise<{ type: string; values: string[] | null }> {
  const [row] = await wh.query(`SELECT data_type AS type FROM information_schema.columns WHERE table_name = '${table}' AND column_name = '${column}'`);
  const type = String(row?.type);
  if (!type.startsWith('ENUM(')) return { type, values: null };
  const [range] = await wh.query(`SELECT enum_range(NULL::${type}) AS v`);
  return { type: 'ENUM', values: range?.v as string[] };
}

t.test('a new table holds the service and the zone names as ENUMs of the shipped lookup\'s names, in VARCHAR order; queries see text', async (t) => {
  const wh = duckDbWarehouse({ path: dbPath(t, 'taxi-duckdb-enums-') });
  await wh.connect();
  t.teardown(() => wh.close());
  t.same(await typeOf(wh, 'service'), { type: 'ENUM', values: ['fhv', 'fhvhv', 'green', 'yellow'] });
  t.same(await typeOf(wh, 'pickup_zone'), { type: 'ENUM', values: ZONE_NAMES });
  t.same(await typeOf(wh, 'dropoff_borough'), { type: 'ENUM', values: BOROUGHS });
  t.ok(ZONE_NAMES.length > 256, 'more zones than a uint8 codes: the zone columns take uint16 codes');
  t.same((await typeOf(wh, 'trip_id')).type, 'VARCHAR');
  t.same((await typeOf(wh, 'store_and_fwd_flag')).type, 'VARCHAR', 'raw text of the source stays VARCHAR');

  const rows = 5_000;
  const zone = (i: number): string | null => (i % 11 === 0 ? null : pick(ZONE_NAMES, i * 7));
  const table = batchOf(rows, 0, {
    service: Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 'yellow' : 'green')),
    pickup_zone: Array.from({ length: rows }, (_, i) => zone(i)),
    dropoff_zone: Array.from({ length: rows }, (_, i) => zone(i + 3)),
    pickup_borough: Array.from({ length: rows }, (_, i) => pick(BOROUGHS, i)),
    dropoff_borough: Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : pick(BOROUGHS, i + 1))),
  });
  // Sliced (offsets not a multiple of 8) and across 2048-row chunks.
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table: table.slice(3, 4_100) });
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '1', table: table.slice(4_100) });
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '2', table: table.slice(0, 3) });
  const got = await wh.query('SELECT CAST(split_part(trip_id, \'/\', 3) AS INTEGER) AS i, service, pickup_zone, dropoff_zone, pickup_borough, dropoff_borough FROM trips ORDER BY i');
  t.equal(got.length, rows);
  const bad = got.findIndex((r, i) => r.i !== i || r.service !== (i % 2 === 0 ? 'yellow' : 'green') || r.pickup_zone !== zone(i) || r.dropoff_zone !== zone(i + 3)
    || r.pickup_borough !== pick(BOROUGHS, i) || r.dropoff_borough !== (i % 5 === 0 ? null : pick(BOROUGHS, i + 1)));
  t.equal(bad, -1, `every row's text back${bad < 0 ? '' : `; row ${bad}: ${JSON.stringify(got[bad])}`}`);
  for (const column of ENUMS) t.same((await typeOf(wh, column)).values, column === 'service' ? ['fhv', 'fhvhv', 'green', 'yellow'] : column.endsWith('zone') ? ZONE_NAMES : BOROUGHS, `${column}: the lookup's names held them all, nothing added`);

  const [jfk] = await wh.query("SELECT count(*) AS n FROM trips WHERE pickup_zone = 'JFK Airport'");
  t.equal(Number(jfk?.n), Array.from({ length: rows }, (_, i) => zone(i)).filter((z) => z === 'JFK Airport').length, 'compared with text');
  const [none] = await wh.query("SELECT count(*) AS n FROM trips WHERE pickup_zone = 'no such zone' OR pickup_zone LIKE 'JFK%' AND pickup_zone IS NULL");
  t.equal(Number(none?.n), 0, 'text no value of the ENUM matches nothing (and is no error)');
  const ordered = (await wh.query('SELECT DISTINCT pickup_zone AS z FROM trips WHERE pickup_zone IS NOT NULL ORDER BY pickup_zone')).map((r) => r.z as string);
  t.same(ordered, sortedValues(ordered), 'ORDER BY is VARCHAR\'s order');
});

t.test('a value the ENUM lacks widens the column, in VARCHAR order, and rows already written keep their text', async (t) => {
  const path = dbPath(t, 'taxi-duckdb-enums-');
  const wh = duckDbWarehouse({ path });
  await wh.connect();
  const n = 3_000;
  const known = batchOf(n, 0, { pickup_zone: Array.from({ length: n }, (_, i) => pick(ZONE_NAMES, i)) });
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table: known });
  await wh.sync();
  // New names: before, between and after the lookup's; non-ASCII; and bytes that are no UTF-8.
  const fresh = ['Aaa First', 'Midtown Zzz', 'Zürich Nord', '🚕 Depot'];
  const invalid = makeData({ type: new Utf8(), length: 1, nullCount: 0, valueOffsets: Int32Array.from([0, 3]), data: Uint8Array.from([0x41, 0xff, 0x42]) });
  const mixed = batchOf(n, n, { pickup_zone: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? pick(fresh, i) : pick(ZONE_NAMES, i))) });
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '1', table: mixed });
  const odd = batchOf(1, 2 * n, { pickup_zone: invalid, service: ['fhvhv'] });
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '2', table: odd });
  const values = (await typeOf(wh, 'pickup_zone')).values!;
  t.same(values, sortedValues([...ZONE_NAMES, ...fresh, 'A\uFFFDB']), 'the lookup\'s names and the new ones, sorted');
  t.same((await typeOf(wh, 'dropoff_zone')).values, ZONE_NAMES, 'only the column that lacked them');
  const got = await wh.query('SELECT CAST(split_part(trip_id, \'/\', 3) AS INTEGER) AS i, pickup_zone AS z FROM trips ORDER BY i');
  const want = [...Array.from({ length: n }, (_, i) => pick(ZONE_NAMES, i)), ...Array.from({ length: n }, (_, i) => (i % 3 === 0 ? pick(fresh, i) : pick(ZONE_NAMES, i))), 'A\uFFFDB'];
  t.same(got.map((r) => r.z), want, 'committed rows and new rows alike; bytes that are no UTF-8 read as U+FFFD, as in a VARCHAR');
  await wh.close();
  // And after a reopen, the widened type is the table's.
  const again = duckDbWarehouse({ path });
  await again.connect();
  t.teardown(() => again.close());
  await again.writeBatch({ partitionKey: 'raw/0', offset: '3', table: batchOf(2, 3 * n, { pickup_zone: ['Zürich Nord', 'Aaa First'] }) });
  t.same((await typeOf(again, 'pickup_zone')).values, values, 'names added before are not added again');
  t.equal(Number((await again.query("SELECT count(*) AS n FROM trips WHERE pickup_zone = 'Zürich Nord'"))[0]?.n), [...want, 'Zürich Nord'].filter((z) => z === 'Zürich Nord').length);
});

t.test('a widening is part of its batch\'s transaction: a batch that fails leaves the ENUM as it was', async (t) => {
  const path = dbPath(t, 'taxi-duckdb-enums-');
  await markersRefusing(path, 'raw/refused');
  const wh = duckDbWarehouse({ path, groupRows: 0 });
  await wh.connect();
  t.teardown(() => wh.close());
  const err = await wh.writeBatch({ partitionKey: 'raw/refused', offset: '0', table: batchOf(10, 0, { pickup_zone: Array.from({ length: 10 }, () => 'Nowhere New') }) })
    .then(() => undefined, (e: unknown) => e);
  t.type(err, AppError);
  t.same((await typeOf(wh, 'pickup_zone')).values, ZONE_NAMES, 'rolled back with the rows');
  t.equal(Number((await wh.query('SELECT count(*) AS n FROM trips'))[0]?.n), 0);
});

t.test('before widening, the open transaction\'s batches are committed: an ALTER that failed would take none of them down', async (t) => {
  const wh = duckDbWarehouse({ path: dbPath(t, 'taxi-duckdb-enums-') }); // groupRows: one transaction gathers many batches
  await wh.connect();
  t.teardown(() => wh.close());
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table: batchOf(10, 0, { pickup_zone: Array.from({ length: 10 }, () => 'Astoria') }) });
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '1', table: batchOf(10, 10, { pickup_zone: Array.from({ length: 10 }, () => 'JFK Airport') }) });
  t.equal(wh.pendingFrom('raw/0'), '0', 'two batches in the open transaction');
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '2', table: batchOf(10, 20, { pickup_zone: Array.from({ length: 10 }, () => 'Outer Space') }) });
  t.equal(wh.pendingFrom('raw/0'), '2', 'the first two committed before the ALTER; the widening batch is the open one');
  t.equal(Number((await wh.query("SELECT count(*) AS n FROM trips WHERE pickup_zone = 'Outer Space'"))[0]?.n), 10);
});

t.test('a table made before the ENUMs keeps its VARCHAR columns and is written as before', async (t) => {
  const path = dbPath(t, 'taxi-duckdb-enums-');
  const db = await DuckDBInstance.create(path);
  const c = await db.connect();
  const sql = { STRING: 'VARCHAR', INT64: 'BIGINT', FLOAT64: 'DOUBLE', TIMESTAMP: 'TIMESTAMP', DATE: 'DATE' } as const;
  await c.run(`CREATE TABLE trips (${PROCESSED_FIELDS.map((f) => `"${f.name}" ${sql[f.type]}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`).join(', ')})`);
  c.closeSync(); db.closeSync();
  const wh = duckDbWarehouse({ path });
  await wh.connect();
  t.teardown(() => wh.close());
  const n = 2_500;
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table: batchOf(n, 0, { pickup_zone: Array.from({ length: n }, (_, i) => (i % 4 === 0 ? null : pick([...ZONE_NAMES, 'Not In The Lookup'], i))) }) });
  for (const column of ENUMS) t.same(await typeOf(wh, column), { type: 'VARCHAR', values: null }, `${column} stays VARCHAR`);
  const got = await wh.query('SELECT CAST(split_part(trip_id, \'/\', 3) AS INTEGER) AS i, pickup_zone AS z FROM trips ORDER BY i');
  t.same(got.map((r) => r.z), Array.from({ length: n }, (_, i) => (i % 4 === 0 ? null : pick([...ZONE_NAMES, 'Not In The Lookup'], i))));
});

t.test('replacing a month from a staging table brings the staging ENUMs\' new values into the table\'s', async (t) => {
  const wh = duckDbWarehouse({ path: dbPath(t, 'taxi-duckdb-enums-') });
  await wh.connect();
  t.teardown(() => wh.close());
  await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table: batchOf(4, 0, { pickup_zone: ['JFK Airport', 'JFK Airport', null, 'Astoria'] }) });
  const staging = await wh.staging('trips_replay_test');
  await staging.connect();
  await staging.writeBatch({ partitionKey: 'raw/0', offset: '0', table: batchOf(3, 0, { pickup_zone: ['Brand New Zone', 'Astoria', null] }) });
  await staging.sync();
  t.equal(await wh.replaceMonth('yellow', '2024-01', 'trips_replay_test'), 3);
  t.same((await typeOf(wh, 'pickup_zone')).values, sortedValues([...ZONE_NAMES, 'Brand New Zone']));
  t.same((await wh.query('SELECT pickup_zone AS z FROM trips ORDER BY trip_id')).map((r) => r.z), ['Brand New Zone', 'Astoria', null]);
});

t.test('an ENUM column of another Arrow type than Utf8 is refused whole, naming it', async (t) => {
  const wh = duckDbWarehouse({ path: dbPath(t, 'taxi-duckdb-enums-') });
  await wh.connect();
  t.teardown(() => wh.close());
  const base = batchOf(3, 0, {});
  const numbers = vectorFromArray([1.5, 2.5, 3.5], new Float64());
  const fields = base.schema.fields.map((f) => (f.name === 'pickup_zone' ? f.clone({ type: numbers.type }) : f));
  const children = base.batches[0]!.data.children.map((d, i) => (fields[i]!.name === 'pickup_zone' ? numbers.data[0]! : d));
  const schema = new Schema(fields);
  const table = new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length: 3, nullCount: 0, children }))]);
  const err = await wh.writeBatch({ partitionKey: 'raw/0', offset: '0', table }).then(() => undefined, (e: unknown) => e);
  t.equal((err as AppError).code, 'TAXI_ERR_WAREHOUSE_WRITE');
  t.match((err as AppError).message, /column pickup_zone \(STRING\) should be Arrow Utf8/);
  t.equal(Number((await wh.query('SELECT count(*) AS n FROM trips'))[0]?.n), 0);
});
