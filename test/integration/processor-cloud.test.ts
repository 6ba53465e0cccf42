// The processor with the cloud adapters: Parquet to GCS (fake-gcs-server) and rows to BigQuery
// through the Storage Write API (bqemulator). The month's rows land once in each.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BigQuery } from '@google-cloud/bigquery';
import t from 'tap';
import { ingestMonth } from '../../libs/ingest/src/index.js';
import { gcsObjectStore } from '../../libs/objectstore/src/index.js';
import { parquetWasmCodec } from '../../libs/parquet/src/index.js';
import { canonicalSchema } from '../../libs/schema/src/canonical.js';
import { normalizeRowGroup } from '../../libs/schema/src/normalize.js';
import { localFileSource } from '../../libs/source/src/index.js';
import { loadZones, transformTable } from '../../libs/transform/src/index.js';
import { kafkaFor, localStore, silentLog, uniqueTopics } from '../helpers/ingest.js';
import { contentsOf, processorEnv, startProcessor } from '../helpers/processor.js';
import { servers, uniqueName } from '../helpers/servers.js';

const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

t.test('ingest -> process with GCS and BigQuery: each holds the month once', async (t) => {
  const topics = { ...uniqueTopics(2), maxMessageBytes: 2 * 1024 * 1024 };
  const path = new URL('../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname;
  const bus = await kafkaFor(t, topics);
  const { manifest } = await ingestMonth({ service: 'green', year: 2024, month: 1 }, { source: localFileSource({ path }), store: await localStore(t), bus, codec, log: silentLog }, { topics });
  const bucket = uniqueName('taxi-processed');
  const dataset = uniqueName('taxi_e2e', '_');
  const env = processorEnv({ topics, groupId: uniqueName('taxi-cloud'), objects: '/unused', duckdb: '/unused', extra: {
    TAXI__OBJECT_STORE__KIND: 'gcs', TAXI__OBJECT_STORE__GCS__BUCKET: bucket, TAXI__OBJECT_STORE__GCS__API_ENDPOINT: servers.gcsEndpoint,
    TAXI__OBJECT_STORE__GCS__PROJECT_ID: 'test', TAXI__OBJECT_STORE__GCS__CREATE_BUCKET_IF_MISSING: 'true',
    TAXI__WAREHOUSE__KIND: 'bigquery', TAXI__WAREHOUSE__BIGQUERY__PROJECT_ID: servers.bigqueryProject, TAXI__WAREHOUSE__BIGQUERY__DATASET: dataset,
    TAXI__WAREHOUSE__BIGQUERY__API_ENDPOINT: servers.bigqueryEndpoint, TAXI__WAREHOUSE__BIGQUERY__GRPC_ENDPOINT: servers.bigqueryGrpc,
  } });
  const child = startProcessor(t, env, 5);
  t.equal(await child.exited, 0, `processor exits 0 ${child.stderr().slice(-600)}`);

  const reader = await codec.open(path);
  const canonical = normalizeRowGroup({ table: await reader.readRowGroup(0), schema: canonicalSchema('green'), file: path, rowGroup: 0 }).table;
  const want = transformTable(canonical, { service: 'green', month: '2024-01', firstRow: 0, loadDtMicros: Date.parse(manifest.ingestedAt) * 1000, zones: loadZones() }).table;
  const wantTotal = (want.getChild('total_amount')!.toArray() as Float64Array).reduce((s, v) => s + v, 0);

  const bq = new BigQuery({ projectId: servers.bigqueryProject, apiEndpoint: servers.bigqueryEndpoint, retryOptions: { autoRetry: false } });
  t.teardown(() => bq.dataset(dataset).delete({ force: true }).then(() => undefined, () => undefined));
  const [rows] = await bq.query({ query: `SELECT COUNT(*) AS n, COUNT(DISTINCT trip_id) AS ids, SUM(total_amount) AS total FROM \`${servers.bigqueryProject}.${dataset}.trips\``, useLegacySql: false });
  const r = (rows as { n: number; ids: number; total: number }[])[0];
  t.equal(Number(r?.n), want.numRows, 'BigQuery: every processed row');
  t.equal(Number(r?.ids), want.numRows, 'BigQuery: none twice');
  t.ok(Math.abs(Number(r?.total) - wantTotal) < 1e-3, 'BigQuery: amounts equal');

  const store = gcsObjectStore({ bucket, apiEndpoint: servers.gcsEndpoint, projectId: 'test' });
  const dir = mkdtempSync(join(tmpdir(), 'taxi-gcs-read-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const files: string[] = [];
  for await (const o of store.list('processed/green/year=2024/month=01/')) {
    const file = join(dir, `${files.length}.parquet`);
    writeFileSync(file, await store.get(o.key));
    files.push(file);
  }
  const got = await contentsOf({ parquet: files });
  t.same([got.rows, got.ids], [want.numRows, want.numRows], 'GCS: the month\'s processed Parquet, once');
});
