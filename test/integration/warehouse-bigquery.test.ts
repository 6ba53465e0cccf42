// The BigQuery warehouse adapter against the real emulator (test/servers/bigquery.sh: bqemulator,
// REST + Storage Write gRPC): table creation and schema evolution, a processed batch written and
// read back to the microsecond, exactly-once across a simulated crash (a new adapter instance
// restoring an older checkpoint), batches split into several AppendRows requests and re-sent
// after only part of them landed, rows refused with a reason, unreachable endpoints, and a
// connection cut after the append reached the server (a TCP proxy in front of the gRPC port drops
// the answer and the connection).
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { BigQuery } from '@google-cloud/bigquery';
import type { TableField, TableMetadata } from '@google-cloud/bigquery';
import { makeData, RecordBatch, Struct, Table, Utf8, vectorFromArray } from 'apache-arrow';
import type { Data, DateDay, Float64, Int64, TimestampMicrosecond } from 'apache-arrow';
import t from 'tap';
import type { Test } from 'tap';
import type { AppError } from '../../libs/errors/src/index.js';
import { bigQuerySchema, PROCESSED_ARROW_SCHEMA, PROCESSED_FIELDS } from '../../libs/schema/src/processed.js';
import { bigQueryWarehouse } from '../../libs/warehouse/src/bigquery.js';
import type { BigQueryWarehouse } from '../../libs/warehouse/src/bigquery.js';
import type { BigQueryWarehouseInput } from '../../libs/warehouse/src/options.js';
import { servers, uniqueName } from '../helpers/servers.js';

const project = servers.bigqueryProject;
const admin = new BigQuery({ projectId: project, apiEndpoint: servers.bigqueryEndpoint, retryOptions: { autoRetry: false } });
const FAST_RETRY = { maxAttempts: 4, baseMs: 50, maxMs: 400 } as const;

/** A dataset name no other test uses, dropped with its tables at teardown. */
function freshDataset(t: Test): string {
  const dataset = uniqueName('taxi_wh', '_');
  t.teardown(() => admin.dataset(dataset).delete({ force: true }).then(() => undefined, () => undefined));
  return dataset;
}

function openWarehouse(t: Test, dataset: string, overrides: Partial<BigQueryWarehouseInput> = {}): BigQueryWarehouse {
  const warehouse = bigQueryWarehouse({
    projectId: project, dataset, apiEndpoint: servers.bigqueryEndpoint, grpcEndpoint: servers.bigqueryGrpc,
    requestTimeoutMs: 15_000, retry: FAST_RETRY, ...overrides,
  });
  t.teardown(() => warehouse.close());
  return warehouse;
}

// --- processed batches -----------------------------------------------------------------------

type Value = string | number | bigint | null;
type Row = Record<string, Value>;
const DAY_US = 86_400_000_000n;

/** A valid processed row; `i` makes trip_id and the values differ. Timestamps carry microseconds. */
function tripRow(i: number, month = '2024-01'): Row {
  const pickupUs = 1_704_067_200_000_000n + BigInt(i) * 61_000_123n + 7n; // from 2024-01-01, odd microseconds
  return {
    trip_id: `green/${month}/${i}`, service: 'green', source_month: month, VendorID: i % 3 === 0 ? null : (i % 2) + 1,
    pickup_datetime: pickupUs, dropoff_datetime: pickupUs + 600_000_001n, pickup_date: Number(pickupUs / DAY_US), pickup_hour: Number((pickupUs % DAY_US) / 3_600_000_000n),
    PULocationID: 132, DOLocationID: i % 5 === 0 ? null : 7, pickup_borough: 'Queens', pickup_zone: i % 4 === 0 ? null : 'JFK Airport',
    dropoff_borough: 'Queens', dropoff_zone: 'Astoria', passenger_count: i % 7, trip_distance: 1.25 + i / 100, RatecodeID: 1,
    store_and_fwd_flag: 'N', payment_type: 1, trip_type: null, fare_amount: i % 6 === 0 ? -3.5 : 12.5 + i, extra: -0.5, mta_tax: 0.5,
    tip_amount: 0, tolls_amount: null, improvement_surcharge: 1, congestion_surcharge: 2.5, airport_fee: null, cbd_congestion_fee: null,
    total_amount: 16.75 + i, duration_s: 600, avg_speed_mph: 7.5, tip_pct: 0, Total_squared: (16.75 + i) ** 2, Load_dt: 1_709_596_800_123_456n,
  };
}

function validity(values: readonly Value[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((value, i) => {
    if (value === null) nullCount += 1;
    else nullBitmap[i >> 3] = (nullBitmap[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return { nullBitmap, nullCount };
}

function columnData(name: string, values: readonly Value[]): Data {
  const field = PROCESSED_ARROW_SCHEMA.fields.find((f) => f.name === name)!;
  const type = PROCESSED_FIELDS.find((f) => f.name === name)!.type;
  const length = values.length;
  if (type === 'STRING') return vectorFromArray(values as (string | null)[], new Utf8()).data[0]!;
  const bits = validity(values);
  if (type === 'FLOAT64') return makeData({ type: field.type as Float64, length, ...bits, data: Float64Array.from(values, (v) => (v === null ? 0 : Number(v))) });
  if (type === 'DATE') return makeData({ type: field.type as DateDay, length, ...bits, data: Int32Array.from(values, (v) => (v === null ? 0 : Number(v))) });
  const data = BigInt64Array.from(values, (v) => (v === null ? 0n : BigInt(v)));
  if (type === 'TIMESTAMP') return makeData({ type: field.type as TimestampMicrosecond, length, ...bits, data });
  return makeData({ type: field.type as Int64, length, ...bits, data });
}

/** A processed table (PROCESSED_ARROW_SCHEMA) of the given rows. */
function processedTable(rows: readonly Row[]): Table {
  const children = PROCESSED_FIELDS.map((f) => columnData(f.name, rows.map((row) => row[f.name] ?? null)));
  return new Table(new RecordBatch(PROCESSED_ARROW_SCHEMA, makeData({ type: new Struct(PROCESSED_ARROW_SCHEMA.fields), length: rows.length, nullCount: 0, children })));
}

const trips = (from: number, count: number): Row[] => Array.from({ length: count }, (_, k) => tripRow(from + k));

async function countRows(warehouse: BigQueryWarehouse): Promise<{ rows: number; ids: number; repeated: number }> {
  const [stats] = await warehouse.query('SELECT COUNT(*) AS n, COUNT(DISTINCT trip_id) AS ids FROM trips');
  const repeated = await warehouse.query('SELECT trip_id, COUNT(*) AS c FROM trips GROUP BY trip_id HAVING COUNT(*) <> 1');
  return { rows: Number(stats?.n), ids: Number(stats?.ids), repeated: repeated.length };
}

async function tableMetadata(dataset: string): Promise<TableMetadata> {
  const [metadata] = await admin.dataset(dataset).table('trips').getMetadata() as [TableMetadata, unknown];
  return metadata;
}

const position = (warehouse: BigQueryWarehouse, key: string) => JSON.parse(warehouse.checkpoint(key)) as { stream: string | null; rowOffset: number; lastOffset: string | null };

const errorOf = (promise: Promise<unknown>): Promise<AppError> => promise.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as AppError);

// --- tests ------------------------------------------------------------------------------------

t.test('connect creates the partitioned, clustered table; again is a no-op', async (t) => {
  const dataset = freshDataset(t);
  const warehouse = openWarehouse(t, dataset);
  t.equal(warehouse.location, `bq://${project}.${dataset}.trips`);
  await warehouse.connect();
  const metadata = await tableMetadata(dataset);
  const fields = (metadata.schema?.fields ?? []).map((f) => ({ name: f.name, type: f.type, mode: f.mode, description: f.description }));
  t.same(fields, bigQuerySchema(), 'the schema is bigQuerySchema(), in order');
  t.same(metadata.timePartitioning, { type: 'DAY', field: 'pickup_date' }, 'DAY partitions on pickup_date');
  t.same(metadata.clustering, { fields: ['pickup_zone'] }, 'clustered by pickup_zone');

  const again = openWarehouse(t, dataset);
  await again.connect();
  const after = await tableMetadata(dataset);
  t.equal(after.lastModifiedTime, metadata.lastModifiedTime, 'a second connect changes nothing');
  t.equal(after.etag, metadata.etag);
});

t.test('connect adds missing NULLABLE columns and refuses a changed column', async (t) => {
  const dataset = freshDataset(t);
  await admin.createDataset(dataset);
  const without = bigQuerySchema().filter((f) => f.name !== 'tip_pct' && f.name !== 'cbd_congestion_fee');
  await admin.dataset(dataset).createTable('trips', { schema: { fields: without } });
  await openWarehouse(t, dataset).connect();
  const names = ((await tableMetadata(dataset)).schema?.fields ?? []).map((f) => f.name);
  t.same(names.slice(-2), ['cbd_congestion_fee', 'tip_pct'], 'the missing columns are added at the end');
  t.equal(names.length, PROCESSED_FIELDS.length);

  const conflicting = freshDataset(t);
  await admin.createDataset(conflicting);
  const changed: TableField[] = bigQuerySchema().map((f) => (f.name === 'pickup_hour' ? { ...f, type: 'STRING' } : f));
  await admin.dataset(conflicting).createTable('trips', { schema: { fields: changed } });
  const error = await errorOf(openWarehouse(t, conflicting).connect());
  t.equal(error.code, 'TAXI_ERR_WAREHOUSE_SCHEMA');
  t.equal(error.retryable, false);
  t.match(error.message, /column pickup_hour is STRING REQUIRED, expected INT64 REQUIRED/);
  t.equal(error.context.column, 'pickup_hour');

  const absent = freshDataset(t);
  const refused = await errorOf(openWarehouse(t, absent, { createIfMissing: false }).connect());
  t.equal(refused.code, 'TAXI_ERR_WAREHOUSE_SCHEMA', 'no dataset and createIfMissing off');
  t.match(refused.message, /dataset does not exist/);
});

t.test('a processed batch reads back equal: values, nulls, negatives, microseconds, dates', async (t) => {
  const warehouse = openWarehouse(t, freshDataset(t));
  await warehouse.connect();
  const rows = trips(0, 13);
  const outcome = await warehouse.writeBatch({ partitionKey: 'taxi.trips.raw/0', offset: '0', table: processedTable(rows) });
  t.same(outcome, { rowsWritten: 13, duplicate: false, rowErrors: [] });

  const back = await warehouse.query(`SELECT *, UNIX_MICROS(pickup_datetime) AS pickup_us, UNIX_MICROS(dropoff_datetime) AS dropoff_us,
    UNIX_MICROS(Load_dt) AS load_us, UNIX_DATE(pickup_date) AS pickup_days FROM trips ORDER BY duration_s, pickup_datetime`);
  t.equal(back.length, rows.length);
  for (const [k, row] of rows.entries()) {
    const got = back[k]!;
    for (const field of PROCESSED_FIELDS) {
      const want = row[field.name] ?? null;
      if (field.type === 'TIMESTAMP') {
        t.equal(got[field.name], new Date(Number((want as bigint) / 1000n)).toISOString().replace('Z', `${String((want as bigint) % 1000n).padStart(3, '0')}Z`), `${field.name} as ISO with microseconds`);
      } else if (field.type === 'DATE') {
        t.equal(got[field.name], new Date(Number(want) * 86_400_000).toISOString().slice(0, 10), field.name);
      } else {
        t.equal(got[field.name], want, `row ${k} ${field.name}`);
      }
    }
    t.equal(BigInt(got.pickup_us as number), row.pickup_datetime, 'pickup_datetime to the microsecond');
    t.equal(BigInt(got.dropoff_us as number), row.dropoff_datetime);
    t.equal(BigInt(got.load_us as number), row.Load_dt);
    t.equal(got.pickup_days, row.pickup_date);
  }
  t.same(back.filter((r) => r.fare_amount === -3.5).length, rows.filter((r) => r.fare_amount === -3.5).length, 'negative amounts kept');
  t.same(await warehouse.query(`SELECT COUNT(*) AS n FROM ${warehouse.tableRef}`), [{ n: 13 }], 'tableRef names the table');
});

t.test('exactly once across a crash: a new instance restores the checkpoint after A, re-sends B, then C', async (t) => {
  const dataset = freshDataset(t);
  const key = 'taxi.trips.raw/3';
  const [a, b, c] = [processedTable(trips(0, 40)), processedTable(trips(40, 25)), processedTable(trips(65, 30))];
  const first = openWarehouse(t, dataset);
  await first.connect();
  await first.restore(key, undefined);
  t.same(position(first, key), { stream: null, rowOffset: 0, lastOffset: null }, 'no stream before the first write');
  t.same(await first.writeBatch({ partitionKey: key, offset: '100', table: a }), { rowsWritten: 40, duplicate: false, rowErrors: [] });
  const afterA = first.checkpoint(key);
  t.match(position(first, key), { stream: new RegExp(`^projects/${project}/datasets/${dataset}/tables/trips/streams/`), rowOffset: 40, lastOffset: '100' });
  t.same(await first.writeBatch({ partitionKey: key, offset: '101', table: b }), { rowsWritten: 25, duplicate: false, rowErrors: [] });
  t.same(await first.writeBatch({ partitionKey: key, offset: '101', table: b }), { rowsWritten: 0, duplicate: true, rowErrors: [] },
    'the same batch again on the same instance (its answer was lost) adds nothing');
  // The crash: B is in the table, but the processor's last stored checkpoint is the one after A.
  await first.close();

  const second = openWarehouse(t, dataset);
  await second.connect();
  await second.restore(key, afterA);
  t.same(await second.writeBatch({ partitionKey: key, offset: '101', table: b }), { rowsWritten: 0, duplicate: true, rowErrors: [] }, 'B is a duplicate');
  t.same(await second.writeBatch({ partitionKey: key, offset: '102', table: c }), { rowsWritten: 30, duplicate: false, rowErrors: [] }, 'C is new');
  t.same(position(second, key), { stream: position(first, key).stream, rowOffset: 95, lastOffset: '102' }, 'the same stream, 95 rows on');
  t.same(await countRows(second), { rows: 95, ids: 95, repeated: 0 }, 'A + B + C, each trip_id once');
  t.same(await second.writeBatch({ partitionKey: key, offset: '100', table: a }), { rowsWritten: 0, duplicate: true, rowErrors: [] },
    'an older batch sent again without a restore is known to be in the stream');

  // The processor may store a checkpoint with an older Kafka offset than the last batch it includes
  // (it never commits inside an unwritten Parquet file): it then re-sends batches the checkpoint holds.
  const third = openWarehouse(t, dataset);
  await third.connect();
  await third.restore(key, second.checkpoint(key));
  t.same(await third.writeBatch({ partitionKey: key, offset: '101', table: b }), { rowsWritten: 0, duplicate: true, rowErrors: [] });
  t.same(await third.writeBatch({ partitionKey: key, offset: '102', table: c }), { rowsWritten: 0, duplicate: true, rowErrors: [] });
  t.same(await third.writeBatch({ partitionKey: key, offset: '103', table: processedTable(trips(95, 5)) }), { rowsWritten: 5, duplicate: false, rowErrors: [] });
  t.same(await countRows(third), { rows: 100, ids: 100, repeated: 0 });
});

t.test('a batch split into several requests lands once, also when re-sent after part of it landed', async (t) => {
  const dataset = freshDataset(t);
  const key = 'taxi.trips.raw/1';
  const big = processedTable(trips(1_000, 700));
  const small = { maxRequestBytes: 16 * 1024 }; // about 35 rows a request: 700 rows in about 20 requests
  const first = openWarehouse(t, dataset, small);
  await first.connect();
  await first.restore(key, undefined);
  await first.writeBatch({ partitionKey: key, offset: '0', table: processedTable(trips(0, 10)) });
  const before = first.checkpoint(key);
  // The crash in the middle of the big batch: its first 123 rows landed (as their own requests, at
  // the same offsets), the rest never left.
  t.equal((await first.writeBatch({ partitionKey: key, offset: '1', table: big.slice(0, 123) })).rowsWritten, 123);
  await first.close();

  // Restarted with another request size, so the landed prefix ends inside one of the new requests.
  const second = openWarehouse(t, dataset, { maxRequestBytes: 40 * 1024 });
  await second.connect();
  await second.restore(key, before);
  const outcome = await second.writeBatch({ partitionKey: key, offset: '1', table: big });
  t.same(outcome, { rowsWritten: 700 - 123, duplicate: false, rowErrors: [] }, 'only the missing rows are added');
  t.same(await countRows(second), { rows: 710, ids: 710, repeated: 0 });

  const third = openWarehouse(t, dataset, small);
  await third.connect();
  await third.restore(key, before);
  t.same(await third.writeBatch({ partitionKey: key, offset: '1', table: big }), { rowsWritten: 0, duplicate: true, rowErrors: [] }, 'whole batch again: duplicate');
  t.same(await third.writeBatch({ partitionKey: key, offset: '2', table: processedTable(trips(2_000, 5)) }), { rowsWritten: 5, duplicate: false, rowErrors: [] });
  t.same(await countRows(third), { rows: 715, ids: 715, repeated: 0 });
});

t.test('refused rows come back with a reason; the good rows land', async (t) => {
  const dataset = freshDataset(t);
  const key = 'taxi.trips.raw/2';
  const rows = trips(0, 10);
  rows[2] = { ...rows[2]!, trip_id: null };
  rows[5] = { ...rows[5]!, pickup_datetime: 253_402_300_800_000_000n }; // 10000-01-01T00:00:00Z
  rows[7] = { ...rows[7]!, fare_amount: Number.NaN, pickup_date: 3_000_000 };
  const warehouse = openWarehouse(t, dataset);
  await warehouse.connect();
  await warehouse.restore(key, undefined);
  await warehouse.writeBatch({ partitionKey: key, offset: '6', table: processedTable(trips(100, 3)) });
  const before = warehouse.checkpoint(key);
  const outcome = await warehouse.writeBatch({ partitionKey: key, offset: '7', table: processedTable(rows) });
  t.equal(outcome.rowsWritten, 7);
  t.equal(outcome.duplicate, false);
  t.same(outcome.rowErrors.map((e) => e.index), [2, 5, 7]);
  t.match(outcome.rowErrors[0]?.reason, /^trip_id: REQUIRED value is null$/);
  t.match(outcome.rowErrors[1]?.reason, /^pickup_datetime: TIMESTAMP outside 0001-01-01 \.\. 9999-12-31, got 253402300800000000/);
  t.match(outcome.rowErrors[2]?.reason, /pickup_date: DATE outside .*; fare_amount: FLOAT64 must be finite, got NaN/, 'every problem of the row');
  const ids = (await warehouse.query('SELECT trip_id FROM trips ORDER BY trip_id')).map((r) => r.trip_id);
  const expected = [...trips(100, 3), ...rows.filter((_, k) => ![2, 5, 7].includes(k))].map((r) => r.trip_id);
  t.same(ids, expected.sort(), 'the good rows, once');
  t.equal(position(warehouse, key).rowOffset, 3 + 7, 'the offset counts the rows sent');
  t.same(await warehouse.writeBatch({ partitionKey: key, offset: '8', table: processedTable(trips(10, 3)) }), { rowsWritten: 3, duplicate: false, rowErrors: [] });

  const again = openWarehouse(t, dataset);
  await again.connect();
  await again.restore(key, before);
  const repeat = await again.writeBatch({ partitionKey: key, offset: '7', table: processedTable(rows) });
  t.same([repeat.rowsWritten, repeat.duplicate, repeat.rowErrors.map((e) => e.index)], [0, true, [2, 5, 7]], 're-sent: a duplicate with the same refusals');
  t.equal((await again.writeBatch({ partitionKey: key, offset: '8', table: processedTable(trips(10, 3)) })).duplicate, true);
  t.same(await countRows(again), { rows: 13, ids: 13, repeated: 0 });
});

t.test('out of order and unknown streams are TAXI_ERR_WAREHOUSE_WRITE', async (t) => {
  const dataset = freshDataset(t);
  const key = 'taxi.trips.raw/4';
  const warehouse = openWarehouse(t, dataset);
  await warehouse.connect();
  await warehouse.writeBatch({ partitionKey: key, offset: '0', table: processedTable(trips(0, 5)) });
  const { stream } = position(warehouse, key) as { stream: string };
  await warehouse.restore(key, JSON.stringify({ stream, rowOffset: 50 }));
  const gap = await errorOf(warehouse.writeBatch({ partitionKey: key, offset: '1', table: processedTable(trips(5, 5)) }));
  t.equal(gap.code, 'TAXI_ERR_WAREHOUSE_WRITE');
  t.equal(gap.retryable, false);
  t.match(gap.message, /the stream ends before offset 50 \(OUT_OF_RANGE/);

  const missing = await errorOf(warehouse.restore(key, JSON.stringify({ stream: `${stream.replace(/[^/]+$/, '')}nope`, rowOffset: 0 })));
  t.equal(missing.code, 'TAXI_ERR_WAREHOUSE_WRITE', 'a checkpoint naming a stream the server does not know');
  const foreign = await errorOf(warehouse.restore(key, JSON.stringify({ stream: 'projects/x/datasets/y/tables/z/streams/s', rowOffset: 3 })));
  t.match(foreign.message, /not a stream of projects\/test\/datasets\//);
  const garbled = await errorOf(warehouse.restore(key, '{"stream":1}'));
  t.match(garbled.message, /should be \{"stream":"<write stream>","rowOffset":<n>,"lastOffset":"<offset>"\}/);
});

t.test('unreachable endpoints: TAXI_ERR_WAREHOUSE_UNAVAILABLE, retryable, in bounded time', async (t) => {
  const dead = await closedPort();
  const retry = { maxAttempts: 3, baseMs: 20, maxMs: 100 };
  let started = Date.now();
  const rest = await errorOf(openWarehouse(t, freshDataset(t), { apiEndpoint: `http://127.0.0.1:${dead}`, retry, requestTimeoutMs: 2_000 }).connect());
  t.match(rest, { code: 'TAXI_ERR_WAREHOUSE_UNAVAILABLE', retryable: true });
  t.match(rest.message, /failed after 3 attempt\(s\)/);
  t.ok(Date.now() - started < 5_000, `REST gave up in ${Date.now() - started} ms`);

  const warehouse = openWarehouse(t, freshDataset(t), { grpcEndpoint: `127.0.0.1:${dead}`, retry, requestTimeoutMs: 2_000 });
  await warehouse.connect();
  started = Date.now();
  const grpc = await errorOf(warehouse.writeBatch({ partitionKey: 'p', offset: '0', table: processedTable(trips(0, 3)) }));
  t.match(grpc, { code: 'TAXI_ERR_WAREHOUSE_UNAVAILABLE', retryable: true });
  t.match(grpc.message, /creating a COMMITTED write stream .* failed after 3 attempt\(s\): 14 UNAVAILABLE/);
  t.ok(Date.now() - started < 5_000, `gRPC gave up in ${Date.now() - started} ms`);
});

t.test('a connection cut after the append reached the server: retried at the same offset, written once', async (t) => {
  const proxy = await grpcProxy(t);
  const dataset = freshDataset(t);
  const key = 'taxi.trips.raw/5';
  const warehouse = openWarehouse(t, dataset, { grpcEndpoint: proxy.endpoint, retry: { maxAttempts: 8, baseMs: 100, maxMs: 1_000 } });
  await warehouse.connect();
  t.equal((await warehouse.writeBatch({ partitionKey: key, offset: '0', table: processedTable(trips(0, 20)) })).rowsWritten, 20);
  proxy.cutNextAnswer();
  const outcome = await warehouse.writeBatch({ partitionKey: key, offset: '1', table: processedTable(trips(20, 20)) });
  t.equal(proxy.cuts, 1, 'the answer to the append was dropped and the connection cut');
  t.same(outcome, { rowsWritten: 20, duplicate: false, rowErrors: [] }, 'the retry found the rows there (ALREADY_EXISTS) and counts them as written');
  t.same(await countRows(warehouse), { rows: 40, ids: 40, repeated: 0 });
  t.equal(position(warehouse, key).rowOffset, 40);
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  return port;
}

/**
 * A TCP proxy in front of the emulator's gRPC port that reads the HTTP/2 frames the server sends
 * back (9-byte header: 24-bit length, type, flags, stream id). cutNextAnswer(): the next DATA frame
 * (type 0: a response message, so the server has handled the request) is dropped and every
 * connection cut, so the client never learns the outcome of what it sent.
 */
async function grpcProxy(t: Test): Promise<{ endpoint: string; cutNextAnswer: () => void; readonly cuts: number }> {
  const [host = '127.0.0.1', port = '9060'] = servers.bigqueryGrpc.split(':');
  const sockets = new Set<Socket>();
  let armed = false;
  let cuts = 0;
  const server = createServer((client) => {
    const upstream = connect(Number(port), host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => { sockets.delete(socket); client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 9 && pending.length >= 9 + pending.readUIntBE(0, 3)) {
        const frame = pending.subarray(0, 9 + pending.readUIntBE(0, 3));
        pending = pending.subarray(frame.length);
        if (armed && frame[3] === 0 && frame.length > 9) {
          armed = false;
          cuts += 1;
          for (const socket of sockets) socket.destroy();
          return;
        }
        client.write(frame);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { for (const socket of sockets) socket.destroy(); server.close(() => { resolve(); }); }));
  return {
    endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    cutNextAnswer: () => { armed = true; },
    get cuts() { return cuts; },
  };
}
