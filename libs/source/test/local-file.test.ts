import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import type { Test } from 'tap';
import { AppError } from '../../errors/src/index.js';
import type { MonthRef } from '../../schema/src/month.js';
import { localDirSource, localFileSource } from '../src/index.js';

const FILE_NAME = 'green_tripdata_2024-01.parquet';
const SAMPLES = fileURLToPath(new URL('../../../data/samples/', import.meta.url));
const samplePath = join(SAMPLES, FILE_NAME);
const SAMPLE_SHA256 = '5cae2f9ba12fa40bd3ed2b85032132212e1063af8e4c692d1f76a7959bfcd2b6';
const SAMPLE_BYTES = 1_541_325;
const ref: MonthRef = { service: 'green', year: 2024, month: 1 };

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-source-local-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

t.test('localFileSource checksums the one file it serves', async (t) => {
  const progress: [number, number | undefined][] = [];
  const file = await localFileSource({ path: samplePath }).fetch(ref, { onProgress: (b, total) => progress.push([b, total]) });
  t.same(file, {
    path: samplePath, uri: pathToFileURL(samplePath).href, fileName: FILE_NAME, sizeBytes: SAMPLE_BYTES, sha256: SAMPLE_SHA256,
  });
  t.ok(progress.length >= 2, 'progress reported chunk by chunk, not once for a whole read');
  t.same(progress.at(-1), [SAMPLE_BYTES, SAMPLE_BYTES]);
});

t.test('localDirSource resolves <dir>/<TLC file name>', async (t) => {
  const source = localDirSource({ dir: SAMPLES });
  t.equal(source.name, 'local-dir');
  const file = await source.fetch(ref);
  t.equal(file.path, samplePath);
  t.equal(file.sha256, SAMPLE_SHA256);
  const err = await rejection(source.fetch({ service: 'yellow', year: 2024, month: 1 }));
  t.equal(err.code, 'TAXI_ERR_SOURCE_NOT_FOUND');
  t.match(err.message, `no file for yellow 2024-01: ${join(SAMPLES, 'yellow_tripdata_2024-01.parquet')} does not exist`);
  t.equal(err.context.month, '2024-01');
});

t.test('a missing file is NOT_FOUND naming the path', async (t) => {
  const path = join(scratch(t), 'nope.parquet');
  const err = await rejection(localFileSource({ path }).fetch(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_NOT_FOUND');
  t.equal(err.retryable, false);
  t.match(err.message, `${path} does not exist`);
  t.equal(err.context.file, path);
});

t.test('a directory is UNREADABLE', async (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, FILE_NAME));
  for (const source of [localFileSource({ path: join(dir, FILE_NAME) }), localDirSource({ dir })]) {
    const err = await rejection(source.fetch(ref));
    t.equal(err.code, 'TAXI_ERR_SOURCE_UNREADABLE');
    t.match(err.message, /is a directory/);
  }
});

t.test('a file without read permission is UNREADABLE', { skip: process.getuid?.() === 0 ? 'root reads any file' : false }, async (t) => {
  const path = join(scratch(t), FILE_NAME);
  writeFileSync(path, 'PAR1');
  chmodSync(path, 0o000);
  const err = await rejection(localFileSource({ path }).fetch(ref));
  t.equal(err.code, 'TAXI_ERR_SOURCE_UNREADABLE');
  t.match(err.message, /EACCES/);
});

t.test('a zero-byte file is PARQUET_EMPTY', async (t) => {
  const path = join(scratch(t), FILE_NAME);
  writeFileSync(path, '');
  const err = await rejection(localFileSource({ path }).fetch(ref));
  t.equal(err.code, 'TAXI_ERR_PARQUET_EMPTY');
  t.match(err.message, `${path} is empty (0 bytes)`);
});

t.test('an abort rejects with the caller\'s reason', async (t) => {
  const reason = new Error('shutting down');
  const controller = new AbortController();
  controller.abort(reason);
  const err = await localFileSource({ path: samplePath }).fetch(ref, { signal: controller.signal }).then(() => undefined, (e: unknown) => e);
  t.equal(err, reason);

  const during = new AbortController();
  const rejected = localFileSource({ path: samplePath }).fetch(ref, {
    signal: during.signal, onProgress: () => { during.abort(reason); },
  });
  t.equal(await rejected.then(() => undefined, (e: unknown) => e), reason, 'also mid-read');
});
