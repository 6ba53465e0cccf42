import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { AppError } from '../../errors/src/index.js';
import { parquetWasmCodec } from '../src/index.js';

const SAMPLES = new URL('../../../data/samples/', import.meta.url);
const green2024 = new URL('green_tripdata_2024-01.parquet', SAMPLES).pathname;
const green2022 = new URL('green_tripdata_2022-02.parquet', SAMPLES).pathname;
const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

/** Resolves when `promise` rejects with an AppError of `code` whose message matches. */
async function rejectsWithCode(t: Test, promise: Promise<unknown>, code: string, message: RegExp): Promise<AppError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  t.type(err, AppError, `rejects with an AppError (${code})`);
  t.equal((err as AppError).code, code);
  t.match((err as AppError).message, message);
  return err as AppError;
}

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-parquet-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  return dir;
}

async function rejectsWith(t: Test, path: string, code: string, message: RegExp): Promise<void> {
  const err = await rejectsWithCode(t, codec.open(path), code, message);
  t.equal(err.context.file, path, 'names the file');
}

t.test('reads the real green months one row group at a time', async (t) => {
  for (const [path, rows, vendorType] of [[green2024, 56_551, 'Int32'], [green2022, 69_399, 'Int64']] as const) {
    const reader = await codec.open(path);
    t.teardown(() => { reader.close(); });
    t.equal(reader.info.numRows, rows);
    t.equal(reader.info.rowGroups.length, 1);
    t.equal(reader.info.rowGroups[0]?.numRows, rows);
    t.match(reader.info.createdBy, /parquet-cpp-arrow/);
    const table = await reader.readRowGroup(0);
    t.equal(table.numRows, rows);
    t.equal(String(table.schema.fields.find((f) => f.name === 'VendorID')?.type), vendorType, 'the file\'s own types, undrifted');
    t.ok(table.batches.every((b) => b.numRows <= 65_536), 'decoded in bounded batches');
    await t.rejects(reader.readRowGroup(1), RangeError);
    reader.close();
    await t.rejects(reader.readRowGroup(0), /after close/);
  }
});

t.test('bad files fail with a code naming the file', async (t) => {
  const dir = scratch(t);
  const empty = join(dir, 'empty.parquet');
  writeFileSync(empty, '');
  await rejectsWith(t, empty, 'TAXI_ERR_PARQUET_EMPTY', /is empty/);

  const text = join(dir, 'text.parquet');
  writeFileSync(text, 'LocationID,Borough\n1,EWR\n');
  await rejectsWith(t, text, 'TAXI_ERR_PARQUET_CORRUPT', /not a readable Parquet file/);

  const bytes = readFileSync(green2024);
  const truncated = join(dir, 'truncated.parquet');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await rejectsWith(t, truncated, 'TAXI_ERR_PARQUET_CORRUPT', /truncated\.parquet/);

  await rejectsWith(t, join(dir, 'missing.parquet'), 'TAXI_ERR_SOURCE_NOT_FOUND', /does not exist/);
  await rejectsWith(t, dir, 'TAXI_ERR_SOURCE_UNREADABLE', /not a regular file/);
});

t.test('a corrupt row group (intact footer) names the file and row group', async (t) => {
  const dir = scratch(t);
  const damaged = join(dir, 'green_tripdata_2024-01.parquet');
  copyFileSync(green2024, damaged);
  const bytes = readFileSync(damaged);
  // Overwrite the middle of the column data: the footer still parses, the pages do not.
  bytes.fill(0xff, 4, Math.floor(bytes.length * 0.9));
  writeFileSync(damaged, bytes);
  const reader = await codec.open(damaged);
  t.teardown(() => { reader.close(); });
  const err = await rejectsWithCode(t, reader.readRowGroup(0), 'TAXI_ERR_PARQUET_CORRUPT', /green_tripdata_2024-01\.parquet row group 0 cannot be decoded/);
  t.equal(err.context.rowGroup, 0);

  // The decoder's panic stayed in its worker: the same codec still reads a good file.
  const good = await codec.open(green2024);
  t.equal((await good.readRowGroup(0)).numRows, 56_551, 'a good file decodes after a corrupt one');
});
