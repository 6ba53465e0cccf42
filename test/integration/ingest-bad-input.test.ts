// Bad input fails its month with an error naming the file and the problem, leaves no manifest
// entry and no visible message, and the same process goes on to ingest the next month.
import { readFileSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Field, Int32, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import * as pq from 'parquet-wasm';
import t from 'tap';
import type { Test } from 'tap';
import type { Bus } from '../../libs/bus/src/index.js';
import { AppError } from '../../libs/errors/src/index.js';
import { ingestMonth, loadManifests } from '../../libs/ingest/src/index.js';
import type { Topics } from '../../libs/ingest/src/index.js';
import type { ObjectStore } from '../../libs/objectstore/src/index.js';
import { parquetWasmCodec } from '../../libs/parquet/src/index.js';
import { monthRefFromFileName, parseMonthRef } from '../../libs/schema/src/month.js';
import { httpSource, localFileSource } from '../../libs/source/src/index.js';
import type { Source } from '../../libs/source/src/index.js';
import { startFileServer } from '../../libs/source/test/file-server.js';
import { kafkaFor, localStore, silentLog, tempDir, uniqueTopics } from '../helpers/ingest.js';

const goodPath = new URL('../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname;
const good = readFileSync(goodPath);
const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

interface World { bus: Bus; store: ObjectStore; topics: Topics }

async function world(t: Test): Promise<World> {
  const topics = uniqueTopics(3);
  return { bus: await kafkaFor(t, topics), store: await localStore(t), topics };
}

/** The month fails with `code` and a message matching `message`; nothing becomes visible; the next month still goes through. */
async function failsCleanly(t: Test, w: World, month: string, source: Source, code: string, message: RegExp): Promise<void> {
  const ref = parseMonthRef('green', month);
  const err = await ingestMonth(ref, { source, store: w.store, bus: w.bus, codec, log: silentLog }, { topics: w.topics }).then(() => undefined, (e: unknown) => e);
  t.type(err, AppError, `${month} fails with an AppError`);
  t.equal((err as AppError).code, code);
  t.match((err as AppError).message, message);
  t.equal((await loadManifests(w.bus, w.topics.manifest)).has(`green/${month}`), false, 'no manifest entry');
  let visible = 0;
  for await (const m of w.bus.readAll(w.topics.raw)) if (m.headers.month === month) visible++;
  t.equal(visible, 0, 'no message of the failed month is visible');

  const next = await ingestMonth(monthRefFromFileName(goodPath)!, { source: localFileSource({ path: goodPath }), store: w.store, bus: w.bus, codec, log: silentLog },
    { topics: w.topics, force: true });
  t.equal(next.status, 'ingested', 'the same process ingests the next month');
}

function file(t: Test, name: string, bytes: Uint8Array): string {
  const path = join(tempDir(t, 'taxi-bad'), name);
  writeFileSync(path, bytes);
  return path;
}

t.test('truncated Parquet', async (t) => {
  const path = file(t, 'green_tripdata_2024-02.parquet', good.subarray(0, good.length - 1000));
  await failsCleanly(t, await world(t), '2024-02', localFileSource({ path }), 'TAXI_ERR_PARQUET_CORRUPT', /green_tripdata_2024-02\.parquet is not a readable Parquet file/);
});

t.test('corrupt pages behind an intact footer', async (t) => {
  const bytes = Buffer.from(good);
  bytes.fill(0xff, 4, Math.floor(bytes.length * 0.9));
  const path = file(t, 'green_tripdata_2024-03.parquet', bytes);
  await failsCleanly(t, await world(t), '2024-03', localFileSource({ path }), 'TAXI_ERR_PARQUET_CORRUPT', /green_tripdata_2024-03\.parquet row group 0 cannot be decoded/);
});

t.test('a file matching no known schema names the missing columns', async (t) => {
  const fields = [new Field('LocationID', new Int32(), true), new Field('Borough', new Utf8(), true)];
  const children = [vectorFromArray([1, 2], new Int32()).data[0] as Data, vectorFromArray(['EWR', 'Queens'], new Utf8()).data[0] as Data];
  const schema = new Schema(fields);
  const table = new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length: 2, nullCount: 0, children }))]);
  const path = file(t, 'green_tripdata_2024-04.parquet', pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(table, 'stream'))));
  await failsCleanly(t, await world(t), '2024-04', localFileSource({ path }), 'TAXI_ERR_SCHEMA_UNKNOWN',
    /green_tripdata_2024-04\.parquet is not a green trip file: required columns 'VendorID', 'lpep_pickup_datetime'.* missing \(columns found: LocationID, Borough\)/);
});

t.test('an empty file', async (t) => {
  const path = file(t, 'green_tripdata_2024-05.parquet', new Uint8Array(0));
  await failsCleanly(t, await world(t), '2024-05', localFileSource({ path }), 'TAXI_ERR_PARQUET_EMPTY', /green_tripdata_2024-05\.parquet/);
});

t.test('a month the server has not published (404 over real HTTP)', async (t) => {
  const server = await startFileServer(t, 'green_tripdata_2024-01.parquet', good);
  const source = httpSource({ baseUrl: server.baseUrl, allowedHosts: ['127.0.0.1'], downloadDir: tempDir(t, 'taxi-dl'), maxAttempts: 2, retryBaseMs: 10 });
  await failsCleanly(t, await world(t), '2030-01', source, 'TAXI_ERR_SOURCE_NOT_FOUND', /green_tripdata_2030-01\.parquet/);
});

t.test('a download cut mid-way on every attempt', async (t) => {
  const server = await startFileServer(t, 'green_tripdata_2024-06.parquet', good);
  const cut = (_req: unknown, res: ServerResponse): void => {
    res.writeHead(200, { 'content-length': String(good.length), 'content-type': 'application/octet-stream' });
    res.write(good.subarray(0, 1000), () => { res.socket?.destroy(); });
  };
  server.script.push(cut, cut, cut);
  const source = httpSource({ baseUrl: server.baseUrl, allowedHosts: ['127.0.0.1'], downloadDir: tempDir(t, 'taxi-dl'), maxAttempts: 3, retryBaseMs: 10, retryMaxMs: 20 });
  await failsCleanly(t, await world(t), '2024-06', source, 'TAXI_ERR_SOURCE_UNREADABLE', /green_tripdata_2024-06\.parquet/);
  t.ok(server.requests.length >= 3, 'retried before failing');
});
