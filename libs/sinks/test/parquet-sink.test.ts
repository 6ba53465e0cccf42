import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { localDirObjectStore } from '../../objectstore/src/index.js';
import { parquetWasmCodec } from '../../parquet/src/index.js';
import { parquetSinkContract } from './contract.js';

const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

parquetSinkContract(t, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-sink-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const store = localDirObjectStore({ root: dir });
  await store.connect();
  return store;
}, codec);
