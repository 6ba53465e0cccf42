// polars and arrow-rs (native) against parquet-wasm on the same files: the footer info, every row
// group once normalised to the canonical schema (types and values), and the Parquet each writes for
// the processed schema.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { makeData, RecordBatch, Struct, Table, Type, Utf8, vectorFromArray } from 'apache-arrow';
import type { Data, DataType, Vector } from 'apache-arrow';
import t from 'tap';
import type { Test } from 'tap';
import { writeSyntheticYellowMonth } from '../../../test/helpers/synthetic-month.js';
import { canonicalSchema } from '../../schema/src/canonical.js';
import { monthRefFromFileName } from '../../schema/src/month.js';
import { normalizeRowGroup } from '../../schema/src/normalize.js';
import { PROCESSED_ARROW_SCHEMA } from '../../schema/src/processed.js';
import { arrowRsCodec, parquetWasmCodec, polarsCodec } from '../src/index.js';
import type { ParquetCodec } from '../src/index.js';
import { scratch } from './contract.js';

const wasm = parquetWasmCodec();
const polars = polarsCodec();
const arrowRs = arrowRsCodec();
t.teardown(async () => { await Promise.all([wasm.destroy(), polars.destroy(), arrowRs.destroy()]); });

const parquetIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.parquet')).map((f) => join(dir, f)) : []);
const SHARED_TLC = '/work/shared/data/tlc';
const BENCH_MONTH = new URL('../../../bench/cache/yellow-2024-01-rows300000-seed42-gen2/yellow_tripdata_2024-01.parquet', import.meta.url).pathname;

/** The first difference between two columns of the same type (validity and raw values), or undefined. */
function firstDifference(a: Vector, b: Vector): string | undefined {
  if (a.length !== b.length) return `${a.length} rows against ${b.length}`;
  const raw = (v: Vector): { valid: boolean[]; values: unknown[] } => {
    const valid: boolean[] = [];
    const values: unknown[] = [];
    for (const d of v.data as Data[]) {
      for (let i = 0; i < d.length; i++) {
        valid.push(d.getValid(i));
        // Fixed-width canonical types compare their stored values (a timestamp's bigint, not arrow's Date);
        // strings compare as strings.
        values.push(d.typeId === Type.Utf8 ? (d.getValid(i) ? utf8At(d, i) : null) : (d.values as ArrayLike<unknown>)[d.offset + i]);
      }
    }
    return { valid, values };
  };
  const [x, y] = [raw(a), raw(b)];
  for (let i = 0; i < a.length; i++) {
    if (x.valid[i] !== y.valid[i]) return `row ${i}: valid ${x.valid[i]} against ${y.valid[i]}`;
    const [p, q] = [x.values[i], y.values[i]];
    if (x.valid[i] && p !== q && !(Number.isNaN(p) && Number.isNaN(q))) return `row ${i}: ${String(p)} against ${String(q)}`;
  }
  return undefined;
}

function utf8At(d: Data, i: number): string {
  const offsets = d.valueOffsets as Int32Array;
  const start = offsets[d.offset + i] ?? 0;
  const end = offsets[d.offset + i + 1] ?? 0;
  return Buffer.from((d.values as Uint8Array).subarray(start, end)).toString('utf8');
}

function sources(t: Test): string[] {
  const dir = scratch(t);
  const files = [...parquetIn(SHARED_TLC), ...parquetIn(new URL('../../../data/samples/', import.meta.url).pathname)];
  files.push(existsSync(BENCH_MONTH) ? BENCH_MONTH : writeSyntheticYellowMonth(join(dir, 'yellow_tripdata_2024-01.parquet'), { year: 2024, month: 1, rows: 300_000, rowGroupRows: 100_000, seed: 42 }));
  // Older years' drift: doubles for counts, lower-case airport_fee, nanosecond timestamps.
  files.push(writeSyntheticYellowMonth(join(dir, 'yellow_tripdata_2019-03.parquet'), { year: 2019, month: 3, rows: 90_000, rowGroupRows: 40_000, seed: 7, drift: true }));
  return files;
}

t.test('every codec gives the same footer info and the same canonical row groups', async (t) => {
  for (const [path, other] of sources(t).flatMap((p) => [polars, arrowRs].map((c) => [p, c] as const))) {
    const ref = monthRefFromFileName(path);
    if (!ref) { t.fail(`${path}: not a TLC file name`); continue; }
    const [a, b] = [await wasm.open(path), await other.open(path)];
    t.same(b.info, a.info, `${path}: footer info`);
    for (const group of a.info.rowGroups) {
      const normalize = async (codec: ParquetCodec, reader: typeof a): Promise<Table> => {
        const table = await reader.readRowGroup(group.index);
        t.ok(table.batches.every((x) => x.numRows <= 65_536), `${codec.name}: bounded batches`);
        return normalizeRowGroup({ table, schema: canonicalSchema(ref.service), file: path, rowGroup: group.index }).table;
      };
      const [x, y] = [await normalize(wasm, a), await normalize(other, b)];
      const fields = (tb: Table): string[] => tb.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`);
      t.same(fields(y), fields(x), `${other.name}: ${path} row group ${group.index}: canonical types`);
      const differences = x.schema.fields.flatMap((f) => {
        const diff = firstDifference(x.getChild(f.name)!, y.getChild(f.name)!);
        return diff === undefined ? [] : [`${f.name}: ${diff}`];
      });
      t.same(differences, [], `${other.name}: ${path} row group ${group.index}: ${x.numRows} rows, every value equal`);
    }
    a.close(); b.close();
  }
});

/** A processed-schema table of `copies` x 50,000 rows: every column type, nulls in the nullable ones. */
function processedTable(copies: number): Table {
  const n = 50_000;
  const children = PROCESSED_ARROW_SCHEMA.fields.map((field, f): Data => {
    const type = field.type as DataType;
    const isNull = (i: number): boolean => field.nullable && (i + f) % 11 === 0;
    const nullBitmap = new Uint8Array(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) if (!isNull(i)) nullBitmap[i >> 3]! |= 1 << (i & 7);
    const nulls = field.nullable ? { nullBitmap } : { nullCount: 0 };
    switch (type.typeId) {
      case Type.Utf8: return vectorFromArray(Array.from({ length: n }, (_, i) => (isNull(i) ? null : `${field.name}-${(i * 7 + f) % 263}`)), new Utf8()).data[0]!;
      case Type.Int: return makeData({ type, length: n, ...nulls, data: BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 31 + f) % 10_000)) } as never);
      case Type.Float: return makeData({ type, length: n, ...nulls, data: Float64Array.from({ length: n }, (_, i) => (i % 1_000) * 0.25 - f) } as never);
      case Type.Timestamp: return makeData({ type, length: n, ...nulls, data: BigInt64Array.from({ length: n }, (_, i) => 1_704_067_200_000_000n + BigInt(i) * 1_000_003n) } as never);
      case Type.Date: return makeData({ type, length: n, ...nulls, data: Int32Array.from({ length: n }, (_, i) => 19_723 + (i % 31)) } as never);
      default: throw new Error(`no test values for ${field.name} (${Type[type.typeId]})`);
    }
  });
  const batch = new RecordBatch(PROCESSED_ARROW_SCHEMA, makeData({ type: new Struct(PROCESSED_ARROW_SCHEMA.fields), length: n, nullCount: 0, children }));
  return new Table(Array.from({ length: copies }, () => batch));
}

t.test('every codec writes the processed schema with the same Parquet types, metadata and values', async (t) => {
  const dir = scratch(t);
  const table = processedTable(6); // 300,000 rows: two row groups at the sink's 262,144
  const metadata = { 'taxi.schema': '0123456789abcdef', 'taxi.topic': 'taxi.trips.raw', 'taxi.partition': '0', 'taxi.first_offset': '0', 'taxi.last_offset': '11' };
  const files: Record<string, string> = {};
  for (const codec of [wasm, polars, arrowRs]) {
    files[codec.name] = join(dir, `${codec.name}.parquet`);
    writeFileSync(files[codec.name]!, await codec.encode(table, { compression: 'zstd', rowGroupRows: 262_144, metadata }));
  }
  const [a, b, n] = [files['parquet-wasm']!, files.polars!, files['arrow-rs']!];
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  t.teardown(() => { c.closeSync(); db.closeSync(); });
  const rows = async (sql: string): Promise<Record<string, unknown>[]> => (await c.runAndReadAll(sql)).getRowObjectsJson();
  const schemaOf = async (path: string): Promise<Record<string, unknown>[]> =>
    rows(`SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema('${path}') WHERE type IS NOT NULL`);
  const [sa, sb] = [await schemaOf(a), await schemaOf(b)];
  t.same(sb.map((r) => [r.name, r.type, r.logical_type]), sa.map((r) => [r.name, r.type, r.logical_type]), 'same physical and logical types (µs timestamps, DATE, INT64, DOUBLE, UTF8)');
  const required = PROCESSED_ARROW_SCHEMA.fields.filter((f) => !f.nullable).map((f) => f.name);
  t.same(sa.filter((r) => r.repetition_type === 'REQUIRED').map((r) => r.name), required, 'parquet-wasm: non-nullable fields are REQUIRED');
  t.same(sb.filter((r) => r.repetition_type !== 'OPTIONAL').map((r) => r.name), [], 'polars: every column OPTIONAL (the one known difference: polars has no non-nullable columns)');
  const timestamps = PROCESSED_ARROW_SCHEMA.fields.filter((f) => (f.type as DataType).typeId === Type.Timestamp).map((f) => f.name);
  t.same(sb.filter((r, i) => r.converted_type !== sa[i]?.converted_type).map((r) => r.name), timestamps,
    'converted types equal but for timestamps, where polars writes only the logical type (TIMESTAMP(MICROS, not UTC-adjusted))');
  t.same(await schemaOf(n), sa, 'arrow-rs: the schema parquet-wasm writes, repetition and converted types included (the same library)');

  for (const path of [a, b, n]) {
    const kv = Object.fromEntries((await rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${path}')`)).map((r): [string, unknown] => [r.k as string, r.v]));
    t.match(kv, metadata, `${path}: key-value metadata`);
    t.same((await rows(`SELECT row_group_num_rows AS n FROM parquet_metadata('${path}') WHERE column_id = 0 ORDER BY row_group_id`)).map((r) => Number(r.n)), [262_144, 37_856], `${path}: row groups`);
  }
  for (const other of [b, n]) {
    const [onlyA] = await rows(`SELECT count(*) AS n FROM (SELECT * FROM read_parquet('${a}') EXCEPT ALL SELECT * FROM read_parquet('${other}'))`);
    const [onlyB] = await rows(`SELECT count(*) AS n FROM (SELECT * FROM read_parquet('${other}') EXCEPT ALL SELECT * FROM read_parquet('${a}'))`);
    t.same([Number(onlyA?.n), Number(onlyB?.n)], [0, 0], `DuckDB reads the same 300,000 rows from ${other} as from parquet-wasm's`);
  }

  // Read back by the codecs themselves: the same Arrow types (nullability aside) from every file.
  for (const reader of [wasm, polars, arrowRs]) {
    const types = async (path: string): Promise<string[]> => (await (await reader.open(path)).readRowGroup(0)).schema.fields.map((f) => `${f.name}:${String(f.type)}`);
    for (const other of [b, n]) t.same(await types(other), await types(a), `${reader.name} reads ${other} as parquet-wasm's file, the same Arrow types`);
  }
});
