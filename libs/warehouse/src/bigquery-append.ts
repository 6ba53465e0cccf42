import { AppError } from '../../errors/src/index.js';
import type { EncodedRow } from './bigquery-rows.js';
import { framedSize } from './bigquery-rows.js';
import type { RowError } from './types.js';

/**
 * What the stream answered to one AppendRows request at an offset (transient failures are retried
 * below this, by the transport):
 * - ok: the rows are appended at that offset.
 * - exists (ALREADY_EXISTS): the stream already has a row at that offset; nothing was appended.
 *   `afterUnknown`: an earlier attempt of this same request failed without an answer, so it is
 *   most likely that attempt which landed.
 * - gap (OUT_OF_RANGE): the offset is beyond the stream's end; nothing was appended.
 * - rowErrors: the server refused these rows (index within the request); nothing was appended.
 */
export type AppendReply =
  | { readonly kind: 'ok' }
  | { readonly kind: 'exists'; readonly afterUnknown: boolean }
  | { readonly kind: 'gap'; readonly message: string }
  | { readonly kind: 'rowErrors'; readonly errors: readonly { readonly index: number; readonly message: string }[] };

export type AppendAt = (rows: readonly Uint8Array[], offset: number) => Promise<AppendReply>;

export interface AppendedBatch {
  /** Rows this call added to the stream. */
  readonly written: number;
  /** Rows found already in the stream (an earlier attempt or an earlier life wrote them). */
  readonly existed: number;
  /** Rows the server refused (none when the client-side checks caught everything). */
  readonly rowErrors: readonly RowError[];
  /** Rows of the batch now in the stream, from `base`: the partition's offset advances by this. */
  readonly rowCount: number;
}

/**
 * Appends a batch's rows to a COMMITTED stream so that row k of `rows` lands at offset base + k,
 * in requests of at most `budgetBytes` of rows each, and converges whatever part of the batch is
 * already in the stream.
 *
 * The invariant that makes every answer safe: a request of rows [s, e) is only ever sent at offset
 * base + s, and the stream accepts a request only at its end. So an accepted request always puts
 * the right rows at the right offsets, however the batch was split before; ALREADY_EXISTS means
 * "the stream's end is past base + s", and OUT_OF_RANGE "before it".
 *
 * A request answered ALREADY_EXISTS may be only partly in the stream when an earlier attempt split
 * the batch at other rows (another maxRequestBytes). Its last row is then probed (one 1-row
 * request at its offset): ALREADY_EXISTS means the request is whole; accepted means it lacked just
 * that row, now written; OUT_OF_RANGE means the stream ends inside the request, and a bisection
 * over [s + 1, e - 1] finds the end, appending the missing tail there. OUT_OF_RANGE on a request
 * itself means the stream ends before the batch: the caller skipped a batch.
 */
export async function appendBatch(append: AppendAt, batchRows: readonly EncodedRow[], base: number, budgetBytes: number, where: string): Promise<AppendedBatch> {
  let rows = [...batchRows];
  const rowErrors: RowError[] = [];
  let written = 0;
  let existed = 0;
  let s = 0;
  while (s < rows.length) {
    const e = requestEnd(rows, s, budgetBytes);
    const reply = await append(bytesOf(rows, s, e), base + s);
    if (reply.kind === 'ok') {
      written += e - s;
    } else if (reply.kind === 'exists') {
      const tail = await completeTail(append, rows, base, s, e, where);
      written += reply.afterUnknown ? e - s : tail;
      existed += reply.afterUnknown ? 0 : e - s - tail;
    } else if (reply.kind === 'gap') {
      throw outOfOrder(where, base + s, reply.message);
    } else {
      // Nothing of the request was appended: drop the refused rows and send the rest from s again.
      const refused = new Set(reply.errors.map((error) => s + error.index));
      for (const error of reply.errors) rowErrors.push({ index: rows[s + error.index]?.index ?? -1, reason: error.message });
      if (refused.size === 0 || [...refused].some((k) => k < s || k >= e)) {
        throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${where}: the server refused rows it does not name correctly (${JSON.stringify(reply.errors)})`);
      }
      rows = [...rows.slice(0, s), ...rows.slice(s, e).filter((_, k) => !refused.has(s + k)), ...rows.slice(e)];
      continue;
    }
    s = e;
  }
  return { written, existed, rowErrors, rowCount: rows.length };
}

/** End of the request starting at row s: as many rows as fit in the budget, at least one. */
function requestEnd(rows: readonly EncodedRow[], s: number, budgetBytes: number): number {
  let e = s;
  let bytes = 0;
  while (e < rows.length) {
    const size = framedSize(rows[e]?.bytes ?? new Uint8Array());
    if (e > s && bytes + size > budgetBytes) break;
    bytes += size;
    e += 1;
  }
  return e;
}

function bytesOf(rows: readonly EncodedRow[], s: number, e: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = s; k < e; k++) out.push(rows[k]?.bytes ?? new Uint8Array());
  return out;
}

/**
 * Rows [s, e) were answered ALREADY_EXISTS at base + s: makes sure all of them are in the stream,
 * appending the missing tail if the stream ends inside them. Returns the rows appended.
 */
async function completeTail(append: AppendAt, rows: readonly EncodedRow[], base: number, s: number, e: number, where: string): Promise<number> {
  // The stream's end m (relative to base) is > s. Find whether m >= e; else append [m, e) at base + m.
  let lo = s + 1;
  let hi = e - 1;
  let k = hi; // probe the last row first: when the whole request exists, one probe suffices
  while (lo <= hi) {
    const reply = await append(bytesOf(rows, k, e), base + k);
    if (reply.kind === 'ok') return e - k;
    if (reply.kind === 'exists') lo = k + 1;
    else if (reply.kind === 'gap') hi = k - 1;
    else throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${where}: rows refused on a re-send that the first send accepted (${JSON.stringify(reply.errors)})`);
    k = (lo + hi) >>> 1;
  }
  if (lo === e) return 0;
  throw new AppError('TAXI_ERR_WAREHOUSE_WRITE',
    `${where}: the stream's end between offsets ${base + s} and ${base + e} cannot be found: it holds rows that are not this batch's (was the partition written out of order?)`);
}

function outOfOrder(where: string, offset: number, message: string): AppError {
  return new AppError('TAXI_ERR_WAREHOUSE_WRITE',
    `${where}: the stream ends before offset ${offset} (OUT_OF_RANGE: ${message}): a batch was skipped, or the checkpoint restored is newer than the stream; batches must be written in order from the last checkpoint restored`);
}
