// Round trip through the BigQuery emulator (test/servers/bigquery.sh: bqemulator, REST + Storage
// Write gRPC) with the clients the warehouse adapter uses: @google-cloud/bigquery creates the
// dataset and a partitioned, clustered table and queries it; @google-cloud/bigquery-storage's
// managed writer appends rows with offsets on a committed stream; the query reads them back.
import { BigQuery } from '@google-cloud/bigquery';
import { adapt, managedwriter } from '@google-cloud/bigquery-storage';
import { grpc } from 'google-gax';
import t from 'tap';
import { servers, uniqueName } from '../helpers/servers.js';

const [host = '127.0.0.1', port = '9060'] = servers.bigqueryGrpc.split(':');
const project = servers.bigqueryProject;
const bq = new BigQuery({ projectId: project, apiEndpoint: servers.bigqueryEndpoint, retryOptions: { autoRetry: false } });
const callOptions = { timeout: 15_000 };

const schema = [
  { name: 'trip_id', type: 'STRING', mode: 'REQUIRED' },
  { name: 'pickup_at', type: 'TIMESTAMP', mode: 'REQUIRED' },
  { name: 'pickup_date', type: 'DATE', mode: 'REQUIRED' },
  { name: 'pu_location_id', type: 'INT64', mode: 'NULLABLE' },
  { name: 'total_amount', type: 'FLOAT64', mode: 'NULLABLE' },
  { name: 'zone', type: 'STRING', mode: 'NULLABLE' },
];

// TIMESTAMP as int64 microseconds, DATE as days since the epoch (what the proto descriptor expects).
const rows = [
  { trip_id: 'green/2024-01/0', pickup_at: 1704067200123456, pickup_date: 19723, pu_location_id: 132, total_amount: 12.5, zone: 'JFK Airport' },
  { trip_id: 'green/2024-01/1', pickup_at: 1704070800000001, pickup_date: 19723, pu_location_id: null, total_amount: null, zone: null },
  { trip_id: 'green/2024-01/2', pickup_at: 1704153599999999, pickup_date: 19723, pu_location_id: 7, total_amount: -3.25, zone: 'Astoria' },
];

t.test('create, append through the Storage Write API with offsets, query back', async (t) => {
  const datasetId = uniqueName('taxi_test', '_');
  const [dataset] = await bq.createDataset(datasetId);
  t.teardown(() => dataset.delete({ force: true }).then(() => undefined, () => undefined));
  const [table] = await dataset.createTable('trips', { schema, timePartitioning: { type: 'DAY', field: 'pickup_date' }, clustering: { fields: ['pu_location_id'] } });
  const [metadata] = await table.getMetadata() as unknown as [{ timePartitioning?: { field?: string }; clustering?: { fields?: string[] } }];
  t.equal(metadata.timePartitioning?.field, 'pickup_date', 'partitioned by pickup date');
  t.same(metadata.clustering?.fields, ['pu_location_id'], 'clustered');

  const writer = new managedwriter.WriterClient({ projectId: project, servicePath: host, port: Number(port), sslCreds: grpc.credentials.createInsecure() });
  t.teardown(() => { writer.close(); });
  const tablePath = `projects/${project}/datasets/${datasetId}/tables/trips`;
  const storageSchema = adapt.convertBigQuerySchemaToStorageTableSchema({ fields: schema });
  const protoDescriptor = adapt.convertStorageSchemaToProto2Descriptor(storageSchema, 'root');
  const stream = await writer.createWriteStreamFullResponse({ streamType: managedwriter.CommittedStream, destinationTable: tablePath }, callOptions);
  const connection = await writer.createStreamConnection({ streamId: stream.name ?? '' }, callOptions);
  const connectionErrors: unknown[] = [];
  connection.onConnectionError((error) => { connectionErrors.push(error); });
  const json = new managedwriter.JSONWriter({ connection, protoDescriptor });

  const first = await json.appendRows(rows.slice(0, 2), 0).getResult();
  t.notOk(first.error, 'offset 0 accepted');
  const retried = await json.appendRows(rows.slice(0, 2), 0).getResult();
  t.equal(retried.error?.code, 6, 'the same offset again is refused (ALREADY_EXISTS): a retry adds no duplicate');
  const second = await json.appendRows(rows.slice(2), 2).getResult();
  t.notOk(second.error, 'offset 2 accepted');
  json.close();
  connection.close();

  const [back] = await bq.query({
    query: `SELECT trip_id, UNIX_MICROS(pickup_at) AS micros, pickup_date, pu_location_id, total_amount, zone
            FROM \`${project}.${datasetId}.trips\` ORDER BY trip_id`,
    useLegacySql: false,
  }) as unknown as [{ trip_id: string; micros: number | string; pickup_date: { value: string }; pu_location_id: number | null; total_amount: number | null; zone: string | null }[]];
  t.same(back.map((r) => r.trip_id), rows.map((r) => r.trip_id), 'each row exactly once');
  t.same(back.map((r) => BigInt(r.micros)), rows.map((r) => BigInt(r.pickup_at)), 'timestamps to the microsecond');
  t.same(back.map((r) => r.pickup_date.value), ['2024-01-01', '2024-01-01', '2024-01-01']);
  t.same(back.map((r) => r.pu_location_id), [132, null, 7], 'nulls kept');
  t.same(back.map((r) => r.total_amount), [12.5, null, -3.25]);
  t.same(back.map((r) => r.zone), ['JFK Airport', null, 'Astoria']);
  t.same(connectionErrors, []);
});
