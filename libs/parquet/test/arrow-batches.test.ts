import { Field, Int32, LargeUtf8, makeData, RecordBatch, Schema, Struct, Table, TimestampMicrosecond, Utf8, vectorFromArray } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import t from 'tap';
import { plainBatches } from '../src/arrow-batches.js';

const n = 1_003;
const strings = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `v${i}-${'x'.repeat(i % 7)}`));
const ints = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : i * 2));

/** A LargeUtf8 column as polars' IPC gives it (64-bit offsets). */
function largeUtf8(values: (string | null)[]): Data {
  const utf8 = vectorFromArray(values, new Utf8()).data[0]!;
  return makeData({ type: new LargeUtf8(), length: utf8.length, nullCount: utf8.nullCount, nullBitmap: utf8.nullBitmap, valueOffsets: BigInt64Array.from(utf8.valueOffsets, BigInt), data: utf8.values });
}

function table(): Table {
  const fields = [new Field('s', new LargeUtf8(), true), new Field('i', new Int32(), true), new Field('ts', new TimestampMicrosecond(), false)];
  const children = [largeUtf8(strings), vectorFromArray(ints, new Int32()).data[0]!,
    makeData({ type: new TimestampMicrosecond(), length: n, nullCount: 0, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 1_000_000n) })];
  const schema = new Schema(fields);
  return new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }))]);
}

t.test('LargeUtf8 becomes Utf8 and batches are cut to the limit, values and nulls kept', async (t) => {
  for (const maxRows of [64, 100, 13, 5_000]) { // byte-aligned, unaligned, odd, larger than the table
    const out = plainBatches(table(), maxRows);
    t.equal(String(out.schema.fields[0]?.type as Utf8), 'Utf8', 'strings as Utf8');
    t.ok(out.batches.every((b) => b.numRows <= maxRows), `batches of at most ${maxRows} rows`);
    t.ok(out.batches.every((b) => b.data.children.every((c) => c.offset === 0)), 'zero-offset columns (libs/schema copies offset slices)');
    t.same(out.getChild('s')!.toArray(), strings, `strings, maxRows ${maxRows}`);
    t.same([...out.getChild('i')!], ints, `ints with nulls, maxRows ${maxRows}`);
    t.equal(out.getChild('ts')!.nullCount, 0);
    t.same(out.batches.map((b) => (b.getChild('ts')!.data[0]!.values as BigInt64Array)[0]), out.batches.map((_, k) => BigInt(k * Math.min(maxRows, n)) * 1_000_000n), 'timestamps sliced at their rows');
  }
});

t.test('a table already plain is returned as it is', async (t) => {
  const plain = new Table({ a: vectorFromArray([1, 2, 3], new Int32()) });
  t.equal(plainBatches(plain, 10), plain);
});
