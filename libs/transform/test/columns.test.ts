// The string column builders the transform writes trip_id, service, month and the zone names with.
import { makeVector } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import t from 'tap';
import { constantString, lookupStrings, prefixedIntegers, stringTable } from '../src/columns.js';

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
