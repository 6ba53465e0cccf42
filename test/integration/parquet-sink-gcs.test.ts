// The Parquet sink's contract on fake-gcs-server (test/servers/gcs.sh) through the GCS adapter.
import t from 'tap';
import { gcsObjectStore } from '../../libs/objectstore/src/index.js';
import { parquetWasmCodec } from '../../libs/parquet/src/index.js';
import { parquetSinkContract } from '../../libs/sinks/test/contract.js';
import { servers, uniqueName } from '../helpers/servers.js';

const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

parquetSinkContract(t, async (t) => {
  const store = gcsObjectStore({ bucket: uniqueName('taxi-sink'), apiEndpoint: servers.gcsEndpoint, projectId: 'test', createBucketIfMissing: true });
  await store.connect();
  t.teardown(async () => { await store.deletePrefix('processed/').catch(() => undefined); await store.close(); });
  return store;
}, codec, { plainColumns: true });
