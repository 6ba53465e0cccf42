import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { Test } from 'tap';
import { localDirObjectStore } from '../src/index.js';
import type { ObjectStore } from '../src/index.js';
import { collect, objectStoreContract, rejectsWithCode, scratchDir } from './contract.js';

async function openLocal(t: Test, root = scratchDir(t, 'taxi-objectstore-')): Promise<ObjectStore> {
  const store = localDirObjectStore({ root });
  await store.connect();
  t.teardown(() => store.close());
  return store;
}

/** Every file under `dir`, as `/`-separated paths relative to it, sorted. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

t.test('the ObjectStore contract', async (t) => {
  objectStoreContract(t, (t) => openLocal(t));
});

t.test('objects are plain files under root with the same keys; location is a file URL', async (t) => {
  const root = scratchDir(t, 'taxi-objectstore-');
  const store = await openLocal(t, root);
  t.equal(store.name, 'local-dir');
  t.equal(store.location, pathToFileURL(root).href);
  await store.put('processed/green/year=2024/month=01/part-0.parquet', new TextEncoder().encode('PAR1'));
  t.equal(readFileSync(join(root, 'processed/green/year=2024/month=01/part-0.parquet'), 'utf8'), 'PAR1');
});

t.test('metadata lives in a hidden sidecar that follows the object', async (t) => {
  const root = scratchDir(t, 'taxi-objectstore-');
  const store = await openLocal(t, root);
  await store.put('a/obj', new Uint8Array([1]), { metadata: { rows: '1' } });
  t.same(tree(root), ['a/.obj.meta.json', 'a/obj']);
  t.same(JSON.parse(readFileSync(join(root, 'a/.obj.meta.json'), 'utf8')), { metadata: { rows: '1' } });
  await store.put('a/obj', new Uint8Array([2]));
  t.same(tree(root), ['a/obj'], 'a put without metadata removes the sidecar');
  await store.put('a/obj', new Uint8Array([3]), { metadata: { rows: '3' } });
  await store.delete('a/obj');
  t.same(tree(root), [], 'delete removes the sidecar too');
  writeFileSync(join(root, 'a/.bad.meta.json'), '{not json');
  writeFileSync(join(root, 'a/bad'), 'x');
  await rejectsWithCode(t, store.head('a/bad'), 'TAXI_ERR_OBJECT_REQUEST_FAILED', 'a/bad');
});

t.test('put writes a hidden temp file, then renames it over the target', async (t) => {
  const root = scratchDir(t, 'taxi-objectstore-');
  const store = await openLocal(t, root);
  const seen: string[] = [];
  const watcher = watch(root, (_event, name) => { if (name !== null) seen.push(name); });
  t.teardown(() => { watcher.close(); });
  await store.put('obj', new Uint8Array(64 * 1024));
  await new Promise((resolve) => setTimeout(resolve, 100)); // inotify events arrive asynchronously
  const temp = seen.find((name) => /^\.obj\.tmp-[0-9a-f]{12}$/.test(name));
  t.ok(temp, `a temp file .obj.tmp-<random> was written (saw ${seen.join(', ')})`);
  t.ok(seen.lastIndexOf('obj') > seen.indexOf(temp ?? ''), 'then obj appeared by rename');
  t.same(tree(root), ['obj'], 'no temp file left');
});

t.test('a reader never sees a partial object while puts replace it', async (t) => {
  const store = await openLocal(t);
  const small = Buffer.alloc(256 * 1024, 1);
  const large = Buffer.alloc(3 * 1024 * 1024, 2);
  await store.put('hot', small);
  const state = { writing: true }; // an object: the writer's update is invisible to narrowing
  const writer = (async () => {
    for (let i = 0; i < 40; i += 1) await store.put('hot', i % 2 === 0 ? large : small);
    state.writing = false;
  })();
  let reads = 0;
  while (state.writing) {
    const body = Buffer.from(await store.get('hot'));
    if (!body.equals(small) && !body.equals(large)) t.fail(`read ${body.byteLength} bytes that are neither version`);
    reads += 1;
  }
  await writer;
  t.ok(reads > 0, `${reads} reads during 40 puts, each saw a whole version`);
});

t.test('failed writes leave no temp files and name the key', async (t) => {
  const root = scratchDir(t, 'taxi-objectstore-');
  const store = await openLocal(t, root);
  await store.put('a/b', new Uint8Array([1]), { metadata: { m: '1' } });
  await rejectsWithCode(t, store.put('a', new Uint8Array([2]), { metadata: { m: '2' } }), 'TAXI_ERR_OBJECT_REQUEST_FAILED', 'a');
  await store.put('file', new Uint8Array([3]));
  await rejectsWithCode(t, store.put('file/below', new Uint8Array([4])), 'TAXI_ERR_OBJECT_REQUEST_FAILED', 'file/below');
  t.same(tree(root), ['a/.b.meta.json', 'a/b', 'file'], 'only the objects and their sidecars');
  t.same((await collect(store.list(''))).map((o) => o.key), ['a/b', 'file']);
});

t.test('list skips hidden files and follows deletes; empty directories stay harmless', async (t) => {
  const root = scratchDir(t, 'taxi-objectstore-');
  const store = await openLocal(t, root);
  await store.put('m/x', new Uint8Array([1]));
  writeFileSync(join(root, 'm/.x.tmp-0123456789ab'), 'half');
  mkdirSync(join(root, 'm/empty/deeper'), { recursive: true });
  t.same((await collect(store.list(''))).map((o) => o.key), ['m/x'], 'temp files and empty dirs are not objects');
  t.equal(await store.deletePrefix('m/'), 1);
  t.same(await collect(store.list('m/')), []);
});

t.test('connect creates the root, and refuses a root that is a file', async (t) => {
  const dir = scratchDir(t, 'taxi-objectstore-');
  const store = localDirObjectStore({ root: join(dir, 'nested/root') });
  await store.connect();
  t.ok(existsSync(join(dir, 'nested/root')), 'created');
  t.same(tree(dir), [], 'the write probe is removed');
  writeFileSync(join(dir, 'plain'), 'x');
  await rejectsWithCode(t, localDirObjectStore({ root: join(dir, 'plain') }).connect(), 'TAXI_ERR_OBJECT_REQUEST_FAILED');
});

t.test('a read-only root is TAXI_ERR_OBJECT_FORBIDDEN', { skip: process.getuid?.() === 0 ? 'root ignores file modes' : false }, async (t) => {
  const root = scratchDir(t, 'taxi-objectstore-');
  const store = await openLocal(t, root);
  chmodSync(root, 0o500);
  t.teardown(() => { chmodSync(root, 0o700); });
  const error = await rejectsWithCode(t, store.put('x', new Uint8Array([1])), 'TAXI_ERR_OBJECT_FORBIDDEN', 'x');
  t.equal(error.retryable, false);
  await rejectsWithCode(t, store.connect(), 'TAXI_ERR_OBJECT_FORBIDDEN');
});

t.test('bad options are TAXI_ERR_CONFIG_INVALID naming each key', async (t) => {
  t.throws(() => localDirObjectStore({ root: '' }), { code: 'TAXI_ERR_CONFIG_INVALID', message: /objectStore\.local\.root/ });
  t.throws(() => localDirObjectStore({ root: '/tmp', extra: 1 } as never), { code: 'TAXI_ERR_CONFIG_INVALID', message: /extra/ });
});
