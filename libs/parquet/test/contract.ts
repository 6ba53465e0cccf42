// The Parquet codec port's contract, run against every codec (parquet-wasm.test.ts, polars.test.ts).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Table, tableToIPC } from 'apache-arrow';
import type { Test } from 'tap';
import { AppError } from '../../errors/src/index.js';
import type { ParquetCodec } from '../src/index.js';

const SAMPLES = new URL('../../../data/samples/', import.meta.url);
export const green2024 = new URL('green_tripdata_2024-01.parquet', SAMPLES).pathname;
export const green2022 = new URL('green_tripdata_2022-02.parquet', SAMPLES).pathname;

/** Resolves when `promise` rejects with an AppError of `code` whose message matches. */
async function rejectsWithCode(t: Test, promise: Promise<unknown>, code: string, message: RegExp): Promise<AppError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  t.type(err, AppError, `rejects with an AppError (${code})`);
  t.equal((err as AppError).code, code);
  t.match((err as AppError).message, message);
  return err as AppError;
}

export function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-parquet-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  return dir;
}

/** mulberry32: the same damage on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), a | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** Footer metadata and row groups as DuckDB (an implementation independent of both codecs) reads them. */
export async function duckDbLayout(path: string): Promise<{ rowGroups: number[]; compression: string[]; keyValue: Record<string, string>; encodings: Record<string, string> }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const groups = (await c.runAndReadAll(`SELECT row_group_id, any_value(row_group_num_rows) AS n, string_agg(DISTINCT compression, ',') AS comp
      FROM parquet_metadata('${path}') GROUP BY row_group_id ORDER BY row_group_id`)).getRowObjectsJson();
    const kv = (await c.runAndReadAll(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${path}')`)).getRowObjectsJson();
    // Each column's encodings, all its chunks' together.
    const encodings = (await c.runAndReadAll(`SELECT path_in_schema AS col, string_agg(DISTINCT encodings, ',') AS enc FROM parquet_metadata('${path}') GROUP BY 1`)).getRowObjectsJson();
    return {
      rowGroups: groups.map((g) => Number(g.n)), compression: [...new Set(groups.map((g) => g.comp as string))],
      keyValue: Object.fromEntries(kv.map((r) => [r.k as string, r.v as string])),
      encodings: Object.fromEntries(encodings.map((r) => [r.col as string, r.enc as string])),
    };
  } finally {
    c.closeSync(); db.closeSync();
  }
}

/** What a codec's library lets it do: polars has no per-column dictionary setting. */
export interface CodecAbilities {
  readonly plainColumns: boolean;
}

export function parquetCodecContract(t: Test, codec: ParquetCodec, abilities: CodecAbilities = { plainColumns: true }): void {
  const rejectsWith = async (t: Test, path: string, code: string, message: RegExp): Promise<void> => {
    const err = await rejectsWithCode(t, codec.open(path), code, message);
    t.equal(err.context.file, path, 'names the file');
  };

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

  t.test('reads a range of a row group\'s rows: the same rows as the whole group holds there', async (t) => {
    const reader = await codec.open(green2024);
    t.teardown(() => { reader.close(); });
    const whole = await reader.readRowGroup(0);
    const columns = (table: Table): string[] => ['lpep_pickup_datetime', 'PULocationID', 'total_amount', 'store_and_fwd_flag']
      .map((name) => JSON.stringify(table.getChild(name)?.toArray(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    for (const [offset, count] of [[0, 1_000], [1_000, 20_000], [56_550, 1], [0, 56_551], [65, 56_486]] as const) {
      const part = await reader.readRowGroup(0, { offset, count });
      t.equal(part.numRows, count, `rows ${offset}+${count}: that many rows`);
      t.same(columns(part), columns(whole.slice(offset, offset + count)), `rows ${offset}+${count}: the whole group's values there`);
      t.ok(part.batches.every((b) => b.numRows <= 65_536), 'decoded in bounded batches');
    }
    for (const rows of [{ offset: 56_551, count: 1 }, { offset: 0, count: 0 }, { offset: 56_000, count: 552 }, { offset: -1, count: 2 }, { offset: 1.5, count: 2 }]) {
      await t.rejects(reader.readRowGroup(0, rows), { name: 'RangeError', message: /of row group 0 out of range: it has 56551/ }, `${JSON.stringify(rows)} is refused before any decoding`);
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
    const ranged = await rejectsWithCode(t, reader.readRowGroup(0, { offset: 100, count: 10 }), 'TAXI_ERR_PARQUET_CORRUPT', /green_tripdata_2024-01\.parquet row group 0 rows 100 to 109 cannot be decoded/);
    t.match(ranged.context, { rowGroup: 0, rowOffset: 100, rowCount: 10 }, 'names the row range');

    // The decoder's panic stayed in its worker: the same codec still reads a good file.
    const good = await codec.open(green2024);
    t.equal((await good.readRowGroup(0)).numRows, 56_551, 'a good file decodes after a corrupt one');
  });

  t.test('random damage to the footer or the pages fails the file, never the process', async (t) => {
    const dir = scratch(t);
    const original = readFileSync(green2024);
    const footerBytes = original.readUInt32LE(original.length - 8);
    const footerStart = original.length - 8 - footerBytes;
    const random = prng(20240101);
    const outcomes = { opened: 0, decoded: 0, corrupt: 0 };
    for (let i = 0; i < 60; i++) {
      // Even runs hit the footer (which both the footer reader and the decoder parse), odd runs the pages.
      const [from, to] = i % 2 === 0 ? [footerStart, footerStart + footerBytes] : [4, footerStart];
      const bytes = Buffer.from(original);
      for (let k = 1 + Math.floor(random() * 4); k > 0; k--) bytes[from + Math.floor(random() * (to - from))] = Math.floor(random() * 256);
      const path = join(dir, `damaged-${i}.parquet`);
      writeFileSync(path, bytes);
      try {
        const reader = await codec.open(path);
        outcomes.opened++;
        for (const group of reader.info.rowGroups) await reader.readRowGroup(group.index);
        outcomes.decoded++; // a byte in padding, statistics or a value: still a valid file
      } catch (error) {
        if (!(error instanceof AppError) || !['TAXI_ERR_PARQUET_CORRUPT', 'TAXI_ERR_PARQUET_EMPTY'].includes(error.code)) {
          t.fail(`damaged-${i}.parquet: expected TAXI_ERR_PARQUET_CORRUPT, got ${String(error)}`);
        }
        outcomes.corrupt++;
      }
    }
    t.ok(outcomes.corrupt > 20, `most damaged files are reported corrupt (${JSON.stringify(outcomes)})`);
    t.equal((await (await codec.open(green2024)).readRowGroup(0)).numRows, 56_551, 'the codec still reads a good file');
  });

  t.test('encodes with the compression, row group size and key-value metadata asked for', async (t) => {
    const dir = scratch(t);
    const green = await (await codec.open(green2024)).readRowGroup(0);
    const metadata = { 'taxi.schema': 'abcdef0123456789', 'taxi.topic': 'taxi.trips.raw', 'taxi.partition': '3', 'taxi.first_offset': '10', 'taxi.last_offset': '12' };
    const six = new Table(Array.from({ length: 6 }, () => green.batches).flat()); // 339,306 rows
    const cases = [
      { name: 'small', table: green, compression: 'snappy', rowGroupRows: 20_000, expected: [20_000, 20_000, 16_551] },
      { name: 'default', table: six, compression: 'zstd', rowGroupRows: 262_144, expected: [262_144, 77_162] },
      { name: 'one', table: six, compression: 'uncompressed', rowGroupRows: 1_000_000, expected: [339_306] },
    ] as const;
    for (const c of cases) {
      const path = join(dir, `${c.name}.parquet`);
      writeFileSync(path, await codec.encode(c.table, { compression: c.compression, rowGroupRows: c.rowGroupRows, metadata }));
      const layout = await duckDbLayout(path);
      t.same(layout.rowGroups, c.expected, `${c.name}: row groups of at most ${c.rowGroupRows} rows`);
      t.same(layout.compression, [c.compression.toUpperCase()], `${c.name}: ${c.compression}`);
      t.match(layout.keyValue, metadata, `${c.name}: key-value metadata in the footer`);
      const reader = await codec.open(path);
      t.same(reader.info.rowGroups.map((g) => g.numRows), c.expected, `${c.name}: the codec reads its own footer`);
      let rows = 0;
      for (const g of reader.info.rowGroups) rows += (await reader.readRowGroup(g.index)).numRows;
      t.equal(rows, c.table.numRows, `${c.name}: every row read back`);
    }
    const plain = join(dir, 'plain.parquet');
    writeFileSync(plain, await codec.encode(green, { compression: 'zstd', rowGroupRows: 262_144, plainColumns: ['lpep_pickup_datetime', 'lpep_dropoff_datetime'] }));
    const { encodings } = await duckDbLayout(plain);
    if (abilities.plainColumns) {
      t.notMatch(encodings.lpep_pickup_datetime, /DICTIONARY/, 'plainColumns: written without a dictionary');
      t.notMatch(encodings.lpep_dropoff_datetime, /DICTIONARY/);
    }
    t.match(encodings.PULocationID, /DICTIONARY/, 'other columns keep their dictionary');
    const back = await (await codec.open(plain)).readRowGroup(0);
    t.equal(back.numRows, green.numRows, 'plainColumns: every row read back');
    t.equal(back.getChild('lpep_pickup_datetime')?.get(12_345), green.getChild('lpep_pickup_datetime')?.get(12_345), 'with its values');
    const empty = join(dir, 'empty.parquet');
    writeFileSync(empty, await codec.encode(new Table(green.schema), { compression: 'zstd', rowGroupRows: 1_000, metadata }));
    const layout = await duckDbLayout(empty);
    t.same(layout.rowGroups.filter((n) => n > 0), [], 'an empty table is a file of no rows');
    t.match(layout.keyValue, metadata, 'with its metadata');
  });

  t.test('encodes Arrow IPC streams, shared or not, as the file of their rows in order', async (t) => {
    const dir = scratch(t);
    const green = await (await codec.open(green2024)).readRowGroup(0);
    const metadata = { 'taxi.schema': 'abcdef0123456789' };
    const parts = [green.slice(0, 25_000), green.slice(25_000, 25_000), green.slice(25_000)]; // an empty part in the middle
    const shared = (bytes: Uint8Array): Uint8Array => { const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength)); out.set(bytes); return out; };
    const streams = parts.map((p, i) => (i === 0 ? shared(tableToIPC(p, 'stream')) : tableToIPC(p, 'stream')));
    const fromStreams = join(dir, 'streams.parquet');
    const fromTable = join(dir, 'table.parquet');
    writeFileSync(fromStreams, await codec.encodeIpc(streams, { compression: 'zstd', rowGroupRows: 20_000, metadata }));
    writeFileSync(fromTable, await codec.encode(green, { compression: 'zstd', rowGroupRows: 20_000, metadata }));
    t.equal(streams[0]?.buffer instanceof SharedArrayBuffer, true, 'the caller keeps its shared stream');
    t.same((await duckDbLayout(fromStreams)).rowGroups, [20_000, 20_000, 16_551], 'row groups across the streams\' borders');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    t.teardown(() => { c.closeSync(); db.closeSync(); });
    const differ = await c.runAndReadAll(`SELECT count(*)::INT AS n FROM ((SELECT * FROM read_parquet('${fromStreams}') EXCEPT ALL SELECT * FROM read_parquet('${fromTable}'))
      UNION ALL (SELECT * FROM read_parquet('${fromTable}') EXCEPT ALL SELECT * FROM read_parquet('${fromStreams}')))`);
    t.same(differ.getRowObjectsJson(), [{ n: 0 }], 'the same rows as encoding the whole table');
    const order = await c.runAndReadAll(`SELECT count(*)::INT AS n FROM (SELECT lpep_pickup_datetime AS p, row_number() OVER () AS i FROM read_parquet('${fromStreams}')) s
      JOIN (SELECT lpep_pickup_datetime AS p, row_number() OVER () AS i FROM read_parquet('${fromTable}')) w USING (i) WHERE s.p IS DISTINCT FROM w.p`);
    t.same(order.getRowObjectsJson(), [{ n: 0 }], 'in the streams\' order');

    const other = tableToIPC(green.selectAt([0, 1, 2]), 'stream');
    await t.rejects(codec.encodeIpc([streams[0] ?? other, other], { compression: 'zstd', rowGroupRows: 20_000 }), /schema/i, 'a stream of another schema fails the call');
    await t.rejects(codec.encodeIpc([new TextEncoder().encode('not arrow')], { compression: 'zstd', rowGroupRows: 20_000 }), 'bytes that are not Arrow IPC fail the call');
    await t.rejects(codec.encodeIpc([], { compression: 'zstd', rowGroupRows: 20_000 }), /no Arrow IPC stream/, 'no stream at all fails the call');
  });
}
