import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { localDirObjectStore } from '../../objectstore/src/index.js';
import { PARQUET_CODECS, namedParquetCodec } from '../../parquet/src/index.js';
import { parquetSinkContract } from './contract.js';

// Every codec behind the port: the sink's files are read back by DuckDB, footer metadata included.
// polars has no per-column dictionary setting.
for (const name of PARQUET_CODECS) {
  t.test(name, async (t) => {
    const codec = namedParquetCodec(name);
    t.teardown(() => codec.destroy());
    parquetSinkContract(t, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'taxi-sink-'));
      t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
      const store = localDirObjectStore({ root: dir });
      await store.connect();
      return store;
    }, codec, { plainColumns: name !== 'polars' });
  });
}
