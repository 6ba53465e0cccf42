// The string column builders the transform writes trip_id, service, month and the zone names with.
import { Float64, Int64, makeVector, Table, vectorFromArray } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import t from 'tap';
import { constantString, floatData, gather, lookupStrings, numberColumn, numberColumnAt, prefixedIntegers, stringTable } from '../src/columns.js';

const strings = (data: Data): (string | null)[] => [...makeVector(data)] as (string | null)[];

t.test('lookupStrings: the name of each id; null for a null, fractional, negative, unknown or unnamed id', async (t) => {
  const table = stringTable([undefined, 'Manhattan', 'Staten Island', undefined, 'Café Zone ☕']);
  const ids = { values: new Float64Array([1, 2, 4, 0, 3, 1.5, -1, 5, 99, 1, 2]), valid: new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1]) };
  const data = lookupStrings(ids, table);
  t.same(strings(data), ['Manhattan', 'Staten Island', 'Café Zone ☕', null, null, null, null, null, null, null, 'Staten Island']);
  t.equal(data.nullCount, 7);
  t.same(strings(lookupStrings({ values: new Float64Array(0), valid: new Uint8Array(0) }, table)), [], 'no rows');
});

t.test('prefixedIntegers: the prefix, then each number in decimal, at every digit count', async (t) => {
  const numbers = [0, 7, 9, 10, 99, 100, 12_345, 999_999, 1_000_000, 99_999_999, 100_000_000, 2_147_483_647, 2_147_483_648, 2 ** 40 + 3, 9_007_199_254_740_991];
  const data = prefixedIntegers('yellow/2024-01/', new Float64Array(numbers));
  t.same(strings(data), numbers.map((n) => `yellow/2024-01/${n}`));
  t.equal(data.nullCount, 0);
  t.same(strings(prefixedIntegers('', new Float64Array([42]))), ['42'], 'an empty prefix');
});

t.test('constantString: the same value in every row', async (t) => {
  for (const n of [0, 1, 2, 3, 5, 8, 1000, 25_001]) {
    const values = strings(constantString('2024-01', n));
    t.equal(values.length, n);
    t.ok(values.every((v) => v === '2024-01'), `${n} rows`);
  }
  t.same(strings(constantString('fhvhv·é', 3)), ['fhvhv·é', 'fhvhv·é', 'fhvhv·é'], 'multi-byte UTF-8');
  t.same(strings(constantString('', 2)), ['', ''], 'an empty value');
});

t.test('numberColumnAt: the kept rows of a column, as numberColumn then gather give them', async (t) => {
  const ints = vectorFromArray([5n, null, -7n, 2n ** 40n, null, 3n], new Int64());
  const floats = vectorFromArray([0.5, 1.5, null, -2.25, 8, null], new Float64());
  const whole = new Table({ ints, floats });
  // A slice (as the processor's 25k-row batches are): values start at its first row, the bitmap at an offset.
  for (const [label, table] of [['whole', whole], ['sliced', whole.slice(1, 6)]] as const) {
    const batch = table.batches[0]!;
    const keep = Int32Array.from({ length: Math.ceil(batch.numRows / 2) }, (_, k) => k * 2);
    for (const name of ['ints', 'floats', 'missing']) {
      const at = numberColumnAt(batch, name, keep);
      const expected = gather(numberColumn(batch, name), keep);
      t.same([...at.values], [...expected.values], `${label} ${name}: values`);
      t.same([...at.valid], [...expected.valid], `${label} ${name}: validity`);
    }
  }
});

t.test('floatData: null where the source is null or the value is not finite', async (t) => {
  const data = floatData({ values: new Float64Array([1, Number.NaN, Infinity, -Infinity, 2, 3, -0, 4, 5]), valid: new Uint8Array([1, 1, 1, 1, 0, 1, 1, 1, 1]) });
  t.same([...makeVector(data)], [1, null, null, null, null, 3, -0, 4, 5]);
  t.equal(data.nullCount, 4);
});
