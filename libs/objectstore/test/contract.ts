// The ObjectStore contract (src/types.ts) as tests, run against every adapter: the local directory in
// local-dir.test.ts and GCS (fake-gcs-server) in test/integration/objectstore-gcs.test.ts, so both
// are held to the same behaviour.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { AppError } from '../../errors/src/index.js';
import type { ObjectInfo, ObjectStore } from '../src/index.js';

/** Opens a fresh, empty, connected store for one subtest and registers its cleanup on `t`. */
export type OpenStore = (t: Test) => Promise<ObjectStore>;

export interface ContractOptions {
  /** The adapter lists at most this many objects per request, so the list cases span pages. */
  readonly pageSize?: number;
}

export async function collect(objects: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const all: ObjectInfo[] = [];
  for await (const info of objects) all.push(info);
  return all;
}

/** Asserts `promise` rejects with an AppError of `code` naming `key`; returns the error. */
export async function rejectsWithCode(t: Test, promise: Promise<unknown>, code: string, key?: string): Promise<AppError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  t.type(error, AppError, `rejects with an AppError ${code}`);
  const appError = error as AppError;
  t.equal(appError.code, code, `code ${code} (${appError.message})`);
  if (key !== undefined) {
    t.equal(appError.context.key, key, 'context names the key');
    t.ok(appError.message.includes(JSON.stringify(key)), `message names ${JSON.stringify(key)}`);
  }
  return appError;
}

export function scratchDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  return dir;
}

/** The fields every adapter fills in exactly (`updated` is checked for type only). */
export const bare = (info: ObjectInfo | undefined): unknown => info && { key: info.key, sizeBytes: info.sizeBytes, metadata: info.metadata };
const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

export const INVALID_KEYS = ['', '/abs', 'a//b', 'a/', '../up', 'a/../b', 'a/./b', '.hidden', 'a/.meta', 'tab\there', 'x'.repeat(1025)];

/** Runs the whole contract as subtests of `t`. */
export function objectStoreContract(t: Test, open: OpenStore, options: ContractOptions = {}): void {
  t.test('put, get and head round-trip bytes and metadata', async (t) => {
    const store = await open(t);
    t.match(store.location, /^(gs|file):\/\/./, 'location is a URL for logs');
    const body = Uint8Array.from({ length: 256 }, (_, i) => i); // every byte value
    const put = await store.put('raw/green/2024/01/a.bin', body, { contentType: 'application/octet-stream', metadata: { month: '2024-01', rows: '3' } });
    t.same(bare(put), { key: 'raw/green/2024/01/a.bin', sizeBytes: 256, metadata: { month: '2024-01', rows: '3' } }, 'put returns the object info');
    t.ok(Buffer.from(await store.get('raw/green/2024/01/a.bin')).equals(body), 'get returns the same bytes');
    const head = await store.head('raw/green/2024/01/a.bin');
    t.same(bare(head), { key: 'raw/green/2024/01/a.bin', sizeBytes: 256, metadata: { month: '2024-01', rows: '3' } });
    t.type(head?.updated, Date, 'head says when it was written');
    t.equal(await store.head('raw/green/2024/01/missing.bin'), undefined, 'head of a missing key is undefined');
    await store.put('empty', new Uint8Array(0));
    t.equal((await store.get('empty')).byteLength, 0, 'an empty object round-trips');
    t.same((await store.head('empty'))?.metadata, {}, 'no metadata is {}');
  });

  t.test('get of a missing key is TAXI_ERR_OBJECT_NOT_FOUND, not retryable', async (t) => {
    const store = await open(t);
    const error = await rejectsWithCode(t, store.get('processed/nothing.parquet'), 'TAXI_ERR_OBJECT_NOT_FOUND', 'processed/nothing.parquet');
    t.equal(error.retryable, false);
    await store.put('a/b', text('x'));
    await rejectsWithCode(t, store.get('a'), 'TAXI_ERR_OBJECT_NOT_FOUND', 'a');
    t.equal(await store.head('a'), undefined, 'a key that is only a prefix of others is no object');
  });

  t.test('put overwrites: one object, new bytes, new metadata', async (t) => {
    const store = await open(t);
    await store.put('p/obj', text('first version, longer'), { metadata: { v: '1' } });
    await store.put('p/obj', text('second'));
    t.equal(decode(await store.get('p/obj')), 'second');
    const listed = await collect(store.list('p/'));
    t.same(listed.map((o) => [o.key, o.sizeBytes, o.metadata]), [['p/obj', 6, {}]], 'one object, metadata replaced');
  });

  t.test('list: every page, ordered by key, plain string prefixes', async (t) => {
    const store = await open(t);
    const keys = ['b', 'a/c/d', 'a-c', 'a/b', 'raw/green/2024/01/x', 'raw/yellow/2024/01/x', 'raw/green/2024/02/x', 'a/b2'];
    await Promise.all(keys.map((key, i) => store.put(key, text(key), { metadata: { i: String(i) } })));
    const all = await collect(store.list(''));
    t.same(all.map((o) => o.key), ['a-c', 'a/b', 'a/b2', 'a/c/d', 'b', 'raw/green/2024/01/x', 'raw/green/2024/02/x', 'raw/yellow/2024/01/x'],
      'byte order of the key, across pages');
    if (options.pageSize !== undefined) t.ok(all.length > options.pageSize * 2, `spans ${Math.ceil(all.length / options.pageSize)} pages`);
    t.same(all.find((o) => o.key === 'a/c/d')?.metadata, { i: '1' }, 'list carries metadata');
    t.same(all.find((o) => o.key === 'a/c/d')?.sizeBytes, 5, 'list carries sizes');
    t.same((await collect(store.list('a/'))).map((o) => o.key), ['a/b', 'a/b2', 'a/c/d'], 'a directory prefix');
    t.same((await collect(store.list('a/b'))).map((o) => o.key), ['a/b', 'a/b2'], 'a prefix inside a segment');
    t.same((await collect(store.list('raw/gre'))).map((o) => o.key), ['raw/green/2024/01/x', 'raw/green/2024/02/x']);
    t.same(await collect(store.list('nothing/')), [], 'no match is empty');
  });

  t.test('delete is idempotent; deletePrefix counts and keeps the rest', async (t) => {
    const store = await open(t);
    for (const key of ['m/2024-01/a', 'm/2024-01/b', 'm/2024-01/c/d', 'm/2024-010', 'm/2024-02/a']) await store.put(key, text(key), { metadata: { k: key } });
    await store.delete('m/2024-01/a');
    t.equal(await store.head('m/2024-01/a'), undefined, 'deleted');
    await store.delete('m/2024-01/a');
    await store.delete('never/was');
    t.pass('deleting a missing key succeeds');
    t.equal(await store.deletePrefix('m/2024-01/'), 2, 'returns how many it deleted');
    t.same((await collect(store.list(''))).map((o) => o.key), ['m/2024-010', 'm/2024-02/a'], 'other prefixes untouched');
    t.equal(await store.deletePrefix('m/2024-01/'), 0, 'again: nothing left');
    await rejectsWithCode(t, store.deletePrefix(''), 'TAXI_ERR_OBJECT_KEY_INVALID', '');
    t.equal((await collect(store.list(''))).length, 2, 'the empty prefix deleted nothing');
    await store.put('m/2024-01/a', text('again'));
    t.same((await store.head('m/2024-01/a'))?.metadata, {}, 'a re-created object does not inherit deleted metadata');
  });

  t.test('copy is a whole-object copy with metadata; missing source is NOT_FOUND', async (t) => {
    const store = await open(t);
    await store.put('staging/2024-01/part-0', text('new month'), { metadata: { rows: '9' } });
    await store.put('live/2024-01/part-0', text('old month, longer bytes'), { metadata: { rows: '1', old: 'yes' } });
    await store.copy('staging/2024-01/part-0', 'live/2024-01/part-0');
    t.equal(decode(await store.get('live/2024-01/part-0')), 'new month', 'replaces the target');
    t.same((await store.head('live/2024-01/part-0'))?.metadata, { rows: '9' }, 'metadata travels with it');
    t.equal(decode(await store.get('staging/2024-01/part-0')), 'new month', 'source stays');
    await store.copy('staging/2024-01/part-0', 'fresh/x');
    t.equal(decode(await store.get('fresh/x')), 'new month', 'copies to a new key');
    await rejectsWithCode(t, store.copy('staging/none', 'live/none'), 'TAXI_ERR_OBJECT_NOT_FOUND', 'staging/none');
    t.equal(await store.head('live/none'), undefined, 'a failed copy creates nothing');
  });

  t.test('putFile streams a local file; a bad path is UPLOAD_FILE_UNREADABLE', async (t) => {
    const store = await open(t);
    const dir = scratchDir(t, 'taxi-objectstore-src-');
    const path = join(dir, 'month.parquet');
    writeFileSync(path, 'PAR1 pretend\n');
    const info = await store.putFile('raw/green/2024/01/month.parquet', path, { metadata: { source: 'tlc' } });
    t.same(bare(info), { key: 'raw/green/2024/01/month.parquet', sizeBytes: 13, metadata: { source: 'tlc' } });
    t.equal(decode(await store.get('raw/green/2024/01/month.parquet')), 'PAR1 pretend\n');
    const missing = await rejectsWithCode(t, store.putFile('raw/x', join(dir, 'nope.parquet'), {}), 'TAXI_ERR_OBJECT_UPLOAD_FILE_UNREADABLE', 'raw/x');
    t.equal(missing.context.file, join(dir, 'nope.parquet'), 'names the local file');
    await rejectsWithCode(t, store.putFile('raw/x', dir), 'TAXI_ERR_OBJECT_UPLOAD_FILE_UNREADABLE', 'raw/x');
    t.equal(await store.head('raw/x'), undefined);
  });

  t.test('invalid keys fail before any I/O with TAXI_ERR_OBJECT_KEY_INVALID naming the key', async (t) => {
    const store = await open(t);
    await store.put('ok/key', text('x'));
    for (const key of INVALID_KEYS) {
      const error = await rejectsWithCode(t, store.put(key, text('x')), 'TAXI_ERR_OBJECT_KEY_INVALID', key);
      t.equal(error.retryable, false);
      await rejectsWithCode(t, store.get(key), 'TAXI_ERR_OBJECT_KEY_INVALID', key);
      await rejectsWithCode(t, store.head(key), 'TAXI_ERR_OBJECT_KEY_INVALID', key);
      await rejectsWithCode(t, store.delete(key), 'TAXI_ERR_OBJECT_KEY_INVALID', key);
      await rejectsWithCode(t, store.copy('ok/key', key), 'TAXI_ERR_OBJECT_KEY_INVALID', key);
      await rejectsWithCode(t, store.copy(key, 'ok/other'), 'TAXI_ERR_OBJECT_KEY_INVALID', key);
    }
    for (const prefix of ['/abs', 'a//', '../', 'a/../', '.x/']) {
      await rejectsWithCode(t, collect(store.list(prefix)), 'TAXI_ERR_OBJECT_KEY_INVALID', prefix);
      await rejectsWithCode(t, store.deletePrefix(prefix), 'TAXI_ERR_OBJECT_KEY_INVALID', prefix);
    }
    t.same((await collect(store.list(''))).map((o) => o.key), ['ok/key'], 'nothing was written');
  });

  t.test('connect and close are repeatable', async (t) => {
    const store = await open(t);
    await store.connect();
    await store.connect();
    await store.close();
    await store.close();
    t.pass('connect twice, close twice');
  });
}
