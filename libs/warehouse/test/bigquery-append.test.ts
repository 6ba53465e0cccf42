// appendBatch, the offset bookkeeping of the BigQuery warehouse, against an in-memory COMMITTED
// stream with the Storage Write API's offset rules (ALREADY_EXISTS below the end, OUT_OF_RANGE
// above it, accepted only at the end, each request whole or not at all). The same scenarios run
// against the emulator in test/integration/warehouse-bigquery.test.ts; here every crash point and
// split size is tried.
import t from 'tap';
import type { AppError } from '../../errors/src/index.js';
import { appendBatch } from '../src/bigquery-append.js';
import type { AppendAt, AppendReply } from '../src/bigquery-append.js';
import type { EncodedRow } from '../src/bigquery-rows.js';

/** An in-memory COMMITTED stream; rows are one byte each (their value) so the stream reads back as numbers. */
function stream(initial: readonly number[] = []) {
  const rows = [...initial];
  const requests: { offset: number; count: number; reply: AppendReply['kind'] }[] = [];
  let refuse: ((row: number) => string | undefined) | undefined;
  const append: AppendAt = async (batch, offset) => {
    const values = batch.map((bytes) => bytes[0]!);
    const bad = refuse ? values.flatMap((v, index) => { const message = refuse?.(v); return message === undefined ? [] : [{ index, message }]; }) : [];
    let reply: AppendReply;
    if (bad.length > 0) reply = { kind: 'rowErrors', errors: bad };
    else if (offset < rows.length) reply = { kind: 'exists', afterUnknown: false };
    else if (offset > rows.length) reply = { kind: 'gap', message: `Offset ${offset} beyond next expected ${rows.length}` };
    else { rows.push(...values); reply = { kind: 'ok' }; }
    requests.push({ offset, count: batch.length, reply: reply.kind });
    return reply;
  };
  return { rows, requests, append, refuseWhere: (fn: (row: number) => string | undefined) => { refuse = fn; } };
}

/** Rows 0..n-1 of a batch whose values start at `first`; each framed row is 3 bytes. */
const batch = (first: number, n: number): EncodedRow[] => Array.from({ length: n }, (_, index) => ({ index, bytes: Uint8Array.of(first + index) }));
const budget = (rowsPerRequest: number) => rowsPerRequest * 3;

t.test('a fresh batch is split by bytes and written at consecutive offsets', async (t) => {
  const s = stream([100, 101]);
  const result = await appendBatch(s.append, batch(0, 10), 2, budget(4), 'test');
  t.same(result, { written: 10, existed: 0, rowErrors: [], rowCount: 10 });
  t.same(s.requests.map((r) => [r.offset, r.count]), [[2, 4], [6, 4], [10, 2]]);
  t.same(s.rows, [100, 101, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

t.test('whatever prefix landed before, and however it was split, a re-send converges', async (t) => {
  const n = 23;
  for (let landed = 0; landed <= n; landed++) {
    for (const perRequest of [1, 2, 5, 7, 23, 50]) {
      const s = stream([...batch(0, landed).map((r) => r.bytes[0]!)]);
      const result = await appendBatch(s.append, batch(0, n), 0, budget(perRequest), 'test');
      const label = `${landed} rows landed, ${perRequest} rows a request`;
      t.same(s.rows, batch(0, n).map((r) => r.bytes[0]), `${label}: each row once, in order`);
      t.same([result.written, result.existed, result.rowCount], [n - landed, landed, n], `${label}: counts`);
      t.ok(s.requests.length <= Math.ceil(n / perRequest) * (2 + Math.ceil(Math.log2(perRequest))), `${label}: a request, a probe and a bisection at most (${s.requests.length})`);
    }
  }
});

t.test('a whole duplicate costs one probe per request', async (t) => {
  const s = stream(batch(0, 10).map((r) => r.bytes[0]!));
  const result = await appendBatch(s.append, batch(0, 10), 0, budget(5), 'test');
  t.same(result, { written: 0, existed: 10, rowErrors: [], rowCount: 10 });
  t.same(s.requests.map((r) => [r.offset, r.count, r.reply]), [[0, 5, 'exists'], [4, 1, 'exists'], [5, 5, 'exists'], [9, 1, 'exists']]);
});

t.test('an answer lost on an earlier attempt counts as written by this call', async (t) => {
  const s = stream([0, 1, 2]);
  let first = true;
  const append: AppendAt = async (rows, offset) => {
    const reply = await s.append(rows, offset);
    if (first && reply.kind === 'exists') { first = false; return { kind: 'exists', afterUnknown: true }; }
    return reply;
  };
  t.same(await appendBatch(append, batch(0, 3), 0, budget(10), 'test'), { written: 3, existed: 0, rowErrors: [], rowCount: 3 });
});

t.test('OUT_OF_RANGE on a batch means the caller skipped one: TAXI_ERR_WAREHOUSE_WRITE', async (t) => {
  const s = stream([0, 1]);
  const error = await appendBatch(s.append, batch(5, 3), 4, budget(10), 'bq://p.d.t partition 3').catch((e: unknown) => e as AppError);
  t.match(error, { code: 'TAXI_ERR_WAREHOUSE_WRITE', retryable: false });
  t.match((error as AppError).message, /^bq:\/\/p\.d\.t partition 3: the stream ends before offset 4 \(OUT_OF_RANGE: Offset 4 beyond next expected 2\)/);
  t.same(s.rows, [0, 1], 'nothing appended');
});

t.test('a stream holding other rows than the batch is detected, not papered over', async (t) => {
  // The stream has 3 rows past base 0, but bisection answers contradict a contiguous end.
  const calls: number[] = [];
  const append: AppendAt = async (_rows, offset) => {
    calls.push(offset);
    return offset === 0 || offset === 2 ? { kind: 'exists', afterUnknown: false } : { kind: 'gap', message: 'gap' };
  };
  const error = await appendBatch(append, batch(0, 6), 0, budget(6), 'w').catch((e: unknown) => e as AppError);
  t.match(error, { code: 'TAXI_ERR_WAREHOUSE_WRITE', message: /cannot be found: it holds rows that are not this batch's/ });
});

t.test('rows the server refuses are reported and the rest re-sent at the same offset', async (t) => {
  const s = stream([50]);
  s.refuseWhere((row) => (row === 3 || row === 8 ? `row ${row}: bad` : undefined));
  const result = await appendBatch(s.append, batch(0, 10), 1, budget(4), 'test');
  t.same(result.rowErrors, [{ index: 3, reason: 'row 3: bad' }, { index: 8, reason: 'row 8: bad' }]);
  t.same([result.written, result.rowCount], [8, 8]);
  t.same(s.rows, [50, 0, 1, 2, 4, 5, 6, 7, 9]);
  t.same(s.requests.map((r) => [r.offset, r.count, r.reply]), [[1, 4, 'rowErrors'], [1, 4, 'ok'], [5, 4, 'rowErrors'], [5, 4, 'ok']]);
  // Re-sent after a crash: the server refuses the same rows again, so the offsets line up.
  const again = await appendBatch(s.append, batch(0, 10), 1, budget(4), 'test');
  t.same([again.written, again.existed, again.rowCount, again.rowErrors.length], [0, 8, 8, 2]);
  t.same(s.rows, [50, 0, 1, 2, 4, 5, 6, 7, 9]);
});
