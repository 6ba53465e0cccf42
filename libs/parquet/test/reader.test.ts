// rowGroupReader's own checks, with a decoder standing in for a codec's worker.
import { tableFromArrays } from 'apache-arrow';
import t from 'tap';
import { AppError } from '../../errors/src/index.js';
import { rowGroupReader } from '../src/reader.js';
import type { ParquetFileInfo } from '../src/types.js';

const info: ParquetFileInfo = {
  path: '/data/month.parquet', sizeBytes: 1_000, numRows: 8, createdBy: undefined,
  rowGroups: [{ index: 0, numRows: 5, totalBytes: 500 }, { index: 1, numRows: 3, totalBytes: 300 }],
};
const rowsTable = (n: number) => tableFromArrays({ x: Float64Array.from({ length: n }, (_, i) => i) });

t.test('a decoder handing back other than the footer\'s row count is a corrupt row group, named with its range', async (t) => {
  const reader = rowGroupReader(info, async () => rowsTable(4));
  const whole = await reader.readRowGroup(0).then(() => undefined, (e: unknown) => e);
  t.type(whole, AppError);
  t.match(whole, { code: 'TAXI_ERR_PARQUET_CORRUPT', message: '/data/month.parquet row group 0 decoded to 4 rows where the footer says 5', context: { file: '/data/month.parquet', rowGroup: 0 } });
  const part = await reader.readRowGroup(1, { offset: 1, count: 2 }).then(() => undefined, (e: unknown) => e);
  t.match(part, { code: 'TAXI_ERR_PARQUET_CORRUPT', message: '/data/month.parquet row group 1 rows 1 to 2 decoded to 4 rows where the footer says 2', context: { rowGroup: 1, rowOffset: 1, rowCount: 2 } });
});

t.test('the decoder gets the row group and the range asked for', async (t) => {
  const asked: unknown[] = [];
  const reader = rowGroupReader(info, async (index, rows) => { asked.push([index, rows]); return rowsTable(rows?.count ?? info.rowGroups[index]?.numRows ?? 0); });
  t.equal((await reader.readRowGroup(0)).numRows, 5);
  t.equal((await reader.readRowGroup(1, { offset: 0, count: 3 })).numRows, 3);
  t.same(asked, [[0, undefined], [1, { offset: 0, count: 3 }]]);
  await t.rejects(reader.readRowGroup(1, { offset: 1, count: 3 }), { name: 'RangeError', message: 'rows 1 to 3 of row group 1 out of range: it has 3 (/data/month.parquet)' });
  t.equal(asked.length, 2, 'an out-of-range request reaches no decoder');
});
