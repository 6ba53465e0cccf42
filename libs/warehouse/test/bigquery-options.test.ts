// BigQuery warehouse pieces that need no server: options and the client options they map to,
// checkpoints, schema planning, query value conversion, retry classification and backoff. The
// adapter itself is tested against the emulator in test/integration/warehouse-bigquery.test.ts.
import { BigQueryDate, BigQueryInt, BigQueryTimestamp } from '@google-cloud/bigquery';
import { Table } from 'apache-arrow';
import t from 'tap';
import { parseOptions } from '../../config/src/parse.js';
import { AppError } from '../../errors/src/index.js';
import { bigQuerySchema } from '../../schema/src/processed.js';
import { bigQueryClientOptions, bigQueryWarehouse, writerClientOptions } from '../src/bigquery.js';
import { formatCheckpoint, parseCheckpoint } from '../src/bigquery-checkpoint.js';
import { backoffMs, isTransientGrpcError, isTransientRestError, translate } from '../src/bigquery-errors.js';
import { planSchema, plainRow, processedTableMetadata } from '../src/bigquery-table.js';
import { bigQueryWarehouseOptionsSchema } from '../src/options.js';

const parse = (input: unknown) => parseOptions(bigQueryWarehouseOptionsSchema, input, 'warehouse.bigquery');

t.test('defaults, units, and the client options they map to', async (t) => {
  const options = parse({ projectId: 'taxi-prod' });
  t.same(options, {
    projectId: 'taxi-prod', dataset: 'taxi', table: 'trips', createIfMissing: true, maxRequestBytes: 8 * 1024 * 1024,
    requestTimeoutMs: 30_000, retry: { maxAttempts: 5, baseMs: 200, maxMs: 5_000 },
  });
  t.ok(Object.isFrozen(options));
  t.same(bigQueryClientOptions(options), { projectId: 'taxi-prod', retryOptions: { autoRetry: false }, timeout: 30_000 }, 'the adapter retries, not the client');
  t.same(writerClientOptions(options), { projectId: 'taxi-prod' }, 'production: Google\'s endpoint and credentials');
  const emulator = parse({ projectId: 'test', apiEndpoint: 'http://127.0.0.1:9050', grpcEndpoint: '127.0.0.1:9060', location: 'EU' });
  t.match(bigQueryClientOptions(emulator), { apiEndpoint: 'http://127.0.0.1:9050', location: 'EU' });
  const grpc = writerClientOptions(emulator);
  t.match(grpc, { projectId: 'test', servicePath: '127.0.0.1', port: 9060 });
  t.ok(grpc.sslCreds, 'plaintext credentials for the emulator');
});

t.test('bad options are TAXI_ERR_CONFIG_INVALID listing every bad key', async (t) => {
  const error = t.throws(() => bigQueryWarehouse({
    projectId: 'Bad Project', dataset: 'no-dashes', grpcEndpoint: 'http://x:1', maxRequestBytes: 20 * 1024 * 1024,
    retry: { maxAttempts: 0, extra: 1 },
  } as never)) as AppError;
  t.equal(error.code, 'TAXI_ERR_CONFIG_INVALID');
  for (const path of ['projectId', 'dataset', 'grpcEndpoint', 'maxRequestBytes', 'retry.maxAttempts', 'retry']) {
    t.match(error.message, `warehouse.bigquery.${path}:`, `names ${path}`);
  }
  t.match(error.message, /extra/);
  t.throws(() => parse({}), { message: /warehouse\.bigquery\.projectId/ }, 'projectId is required');
});

t.test('the warehouse answers name, location and misuse without a network', async (t) => {
  const warehouse = bigQueryWarehouse({ projectId: 'test', dataset: 'd1', table: 't1', apiEndpoint: 'http://127.0.0.1:9', grpcEndpoint: '127.0.0.1:9' });
  t.same([warehouse.name, warehouse.location, warehouse.tableRef], ['bigquery', 'bq://test.d1.t1', '`test.d1.t1`']);
  t.equal(warehouse.checkpoint('never/seen'), '{"stream":null,"rowOffset":0,"lastOffset":null}');
  await t.rejects(warehouse.writeBatch({ partitionKey: 'p', offset: '0', table: new Table() }), { code: 'TAXI_ERR_WAREHOUSE_WRITE', message: /before connect\(\)/ });
  await warehouse.close();
  await t.rejects(async () => warehouse.query('SELECT 1'), { code: 'TAXI_ERR_WAREHOUSE_WRITE', message: /after close\(\)/ });
});

t.test('checkpoints: the format, a fresh start, and what is refused', async (t) => {
  const table = 'projects/p/datasets/d/tables/t';
  const stream = `${table}/streams/abc`;
  t.equal(formatCheckpoint({ stream, rowOffset: 42, lastOffset: '1041' }), `{"stream":"${stream}","rowOffset":42,"lastOffset":"1041"}`);
  t.same(parseCheckpoint(formatCheckpoint({ stream, rowOffset: 42, lastOffset: '1041' }), 'k', table), { stream, rowOffset: 42, lastOffset: '1041' });
  t.same(parseCheckpoint(undefined, 'k', table), { stream: undefined, rowOffset: 0, lastOffset: undefined });
  t.same(parseCheckpoint('{"stream":null,"rowOffset":0,"lastOffset":null}', 'k', table), { stream: undefined, rowOffset: 0, lastOffset: undefined });
  t.same(parseCheckpoint(`{"stream":"${stream}","rowOffset":7}`, 'k', table), { stream, rowOffset: 7, lastOffset: undefined }, 'lastOffset is optional');
  for (const bad of ['', 'nope', '{"stream":"x"}', `{"stream":"${stream}","rowOffset":-1}`, `{"stream":"${stream}","rowOffset":1,"x":2}`, '{"stream":null,"rowOffset":3}']) {
    t.throws(() => parseCheckpoint(bad, 'raw/1', table), { code: 'TAXI_ERR_WAREHOUSE_WRITE', message: /checkpoint of partition raw\/1/ }, `refuses ${bad}`);
  }
  t.throws(() => parseCheckpoint('{"stream":"projects/p/datasets/d/tables/other/streams/s","rowOffset":1}', 'k', table), { message: /not a stream of projects\/p\/datasets\/d\/tables\/t/ });
});

t.test('schema planning: add missing NULLABLE columns, refuse what BigQuery cannot evolve', async (t) => {
  const wanted = bigQuerySchema();
  t.same(planSchema(wanted, wanted), { add: [], conflicts: [] });
  const legacy = wanted.map((f) => ({ ...f, name: f.name.toUpperCase(), type: f.type === 'INT64' ? 'INTEGER' : f.type === 'FLOAT64' ? 'FLOAT' : f.type }));
  t.same(planSchema(legacy, wanted), { add: [], conflicts: [] }, 'legacy type names and other letter case are the same columns');
  const lacking = wanted.filter((f) => f.name !== 'tip_pct' && f.name !== 'trip_id');
  const plan = planSchema([...lacking, { name: 'legacy_note', type: 'STRING', mode: 'REQUIRED' }], wanted);
  t.same(plan.add.map((f) => f.name), ['tip_pct']);
  t.same(plan.conflicts, [
    { column: 'trip_id', problem: 'is missing and is REQUIRED (only NULLABLE columns can be added)' },
    { column: 'legacy_note', problem: 'is REQUIRED and not in the processed schema, so no row could be written' },
  ]);
  const relaxed = wanted.map((f) => (f.name === 'duration_s' ? { ...f, mode: 'NULLABLE' } : f));
  t.same(planSchema(relaxed, wanted).conflicts, [{ column: 'duration_s', problem: 'is INT64 NULLABLE, expected INT64 REQUIRED' }]);
  t.same(processedTableMetadata(), { schema: { fields: wanted }, timePartitioning: { type: 'DAY', field: 'pickup_date' }, clustering: { fields: ['pickup_zone'] } });
});

t.test('query values become plain data', async (t) => {
  t.same(plainRow({
    ts: new BigQueryTimestamp('2024-01-01T10:00:00.123456000Z'), whole: new BigQueryTimestamp('2024-01-01T10:00:00Z'),
    d: new BigQueryDate('2024-01-02'), n: new BigQueryInt('42'), big: new BigQueryInt('9007199254740993'),
    s: 'x', f: -1.5, nothing: null, list: [new BigQueryInt('1')], nested: { d: new BigQueryDate('2024-02-29') }, bytes: Buffer.from('hi'),
    numeric: new (class Big { toJSON() { return '1.50'; } })(),
  }), {
    ts: '2024-01-01T10:00:00.123456Z', whole: '2024-01-01T10:00:00.000000Z', d: '2024-01-02', n: 42, big: '9007199254740993',
    s: 'x', f: -1.5, nothing: null, list: [1], nested: { d: '2024-02-29' }, bytes: 'aGk=', numeric: '1.50',
  });
});

t.test('which errors are retried, and how long the waits are', async (t) => {
  for (const code of [1, 4, 8, 10, 13, 14]) t.ok(isTransientGrpcError({ code }), `gRPC ${code} is transient`);
  for (const code of [3, 5, 6, 7, 9, 11, 16]) t.notOk(isTransientGrpcError({ code }), `gRPC ${code} is final`);
  t.ok(isTransientGrpcError(new Error('connection lost')), 'no status: the outcome is unknown, retry');
  for (const error of [{ code: 503 }, { code: 429 }, { code: 'ECONNREFUSED' }, { type: 'request-timeout' }]) t.ok(isTransientRestError(error), JSON.stringify(error));
  for (const status of [400, 403, 404]) t.notOk(isTransientRestError({ code: status }), `HTTP ${status} is final`);
  t.notOk(isTransientRestError(new Error('Access Denied')), 'a failed query job (no status) is final');

  const unavailable = translate({ code: 14, message: '14 UNAVAILABLE: down' }, 'appending to s', true, 5);
  t.match(unavailable, { code: 'TAXI_ERR_WAREHOUSE_UNAVAILABLE', retryable: true, message: 'appending to s failed after 5 attempt(s): 14 UNAVAILABLE: down' });
  const denied = translate(Object.assign(new Error('7 PERMISSION_DENIED: no'), { code: 7 }), 'appending to s', false, 1);
  t.match(denied, { code: 'TAXI_ERR_WAREHOUSE_WRITE', retryable: false, message: 'appending to s was refused: 7 PERMISSION_DENIED: no' });
  t.ok(denied.cause, 'the API error is the cause');
  const mine = new AppError('TAXI_ERR_WAREHOUSE_WRITE', 'x');
  t.equal(translate(mine, 'y', false, 1), mine, 'an AppError passes through');

  const retry = { maxAttempts: 5, baseMs: 200, maxMs: 1_000 };
  t.same([1, 2, 3, 4, 5].map((n) => backoffMs(n, retry, () => 1)), [200, 400, 800, 1_000, 1_000], 'doubling up to maxMs');
  t.same([1, 2, 3].map((n) => backoffMs(n, retry, () => 0)), [100, 200, 400], 'jitter keeps at least half');
});
