// Round trip through fake-gcs-server (test/servers/gcs.sh) with @google-cloud/storage, the client
// the object-store adapter uses: upload (simple and resumable), list by prefix, download, overwrite.
import { randomBytes } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import t from 'tap';
import { servers, uniqueName } from '../helpers/servers.js';

const storage = new Storage({ apiEndpoint: servers.gcsEndpoint, projectId: 'test', retryOptions: { maxRetries: 2, totalTimeout: 30 } });

t.test('@google-cloud/storage uploads, lists and downloads objects', async (t) => {
  const [bucket] = await storage.createBucket(uniqueName('taxi-test'));
  t.teardown(() => bucket.deleteFiles({ force: true }).then(() => bucket.delete()).catch(() => undefined));

  const small = Buffer.from('PAR1 not really\n');
  await bucket.file('raw/green/2024/01/a.parquet').save(small, { resumable: false });
  const large = randomBytes(12 * 1024 * 1024);
  await bucket.file('raw/green/2024/01/b.parquet').save(large, { resumable: true });
  await bucket.file('processed/green/year=2024/month=01/c.parquet').save(Buffer.from('x'), { resumable: false });

  const [listed] = await bucket.getFiles({ prefix: 'raw/green/2024/01/' });
  t.same(listed.map((f) => f.name).sort(), ['raw/green/2024/01/a.parquet', 'raw/green/2024/01/b.parquet'], 'list by prefix');
  const [smallBack] = await bucket.file('raw/green/2024/01/a.parquet').download();
  t.ok(smallBack.equals(small), 'simple upload round trip');
  const [largeBack] = await bucket.file('raw/green/2024/01/b.parquet').download();
  t.equal(largeBack.length, large.length);
  t.ok(largeBack.equals(large), 'resumable upload of 12 MiB round trip');

  await bucket.file('raw/green/2024/01/a.parquet').save(Buffer.from('second'), { resumable: false });
  const [overwritten] = await bucket.file('raw/green/2024/01/a.parquet').download();
  t.equal(overwritten.toString(), 'second', 'same name overwrites, no second copy');
  const [after] = await bucket.getFiles({ prefix: 'raw/' });
  t.equal(after.length, 2);
});
