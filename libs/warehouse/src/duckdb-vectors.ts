import { isAscii } from 'node:buffer';
import duckdb from '@duckdb/node-bindings';
import type { Data } from 'apache-arrow';

// Writes of one Arrow column slice into one DuckDB vector, a column at a time: a native copy of
// the slice's bytes where DuckDB's layout is Arrow's, instead of one setItem (and one native call
// per string) a value. These are the calls @duckdb/node-api's own vectors flush with
// (copy_data_to_vector, copy_data_to_vector_validity, vector_assign_string_element*). The copies
// are unchecked memcpys into the vector: callers pass at most the chunk's capacity (2048 rows) of
// the width the vector's type has (duckdb-chunks.ts checks the table's types first).

/** Bytes of a duckdb_string_t, and the most a string holds inline (duckdb.h, below). */
const STRING_BYTES = 16;
const INLINE_BYTES = 12;

/** The most rows a vector holds (DuckDB's vector size), and so a copy here. */
export const VECTOR_ROWS = 2048;

// One scratch buffer per thread for what the copies stage (values out of a shared buffer, string
// slots, validity masks): the binding copies from it before it returns, so it is reused by every
// call instead of a new ArrayBuffer each. Allocated a call each, they were 760 MB of short-lived
// ArrayBuffers over the processed month: the warehouse alone on the month (by hand), V8's helper
// threads took 0.7-0.9 s of CPU collecting them, 0.13 s without them, 0.33-0.37 s with the
// collections duckdb-thread-worker.ts now asks for instead.
const scratch = new ArrayBuffer(VECTOR_ROWS * STRING_BYTES);
const scratchBytes = new Uint8Array(scratch);
const scratchView = new DataView(scratch);

/** `bytes` zeroed bytes of the scratch buffer. */
function zeroed(bytes: number): Uint8Array {
  const out = scratchBytes.subarray(0, bytes);
  out.fill(0);
  return out;
}

/**
 * Copies `n` fixed-width values from `values[start]` into the vector (DOUBLE, BIGINT, TIMESTAMP
 * as int64 micros, DATE as int32 days: Arrow's layouts, little-endian both).
 */
export function copyFixedWidth(vector: duckdb.Vector, values: Float64Array | BigInt64Array | Int32Array, start: number, n: number): void {
  const width = values.BYTES_PER_ELEMENT;
  if (values.buffer instanceof ArrayBuffer) {
    duckdb.copy_data_to_vector(vector, 0, values.buffer, values.byteOffset + start * width, n * width);
    return;
  }
  // The binding reads an ArrayBuffer: a slice of a shared one is staged in the scratch buffer.
  scratchBytes.set(new Uint8Array(values.buffer, values.byteOffset + start * width, n * width));
  duckdb.copy_data_to_vector(vector, 0, scratch, 0, n * width);
}

/**
 * Marks rows start..start+n-1 of `data` that are null as invalid in the vector. Arrow's validity
 * bitmap and DuckDB's validity mask (uint64 words, row i at bit i % 64 of word i / 64) are the same
 * bits, least significant first, so the bitmap is copied, shifted when the slice starts mid-byte.
 * A column without nulls leaves the mask alone (all valid, DuckDB's default).
 */
export function copyValidity(vector: duckdb.Vector, data: Data, start: number, n: number): void {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap.length === 0) return; // Arrow JS may keep an empty bitmap
  const mask = zeroed(Math.ceil(n / 64) * 8);
  const first = data.offset + start;
  const from = first >> 3;
  const shift = first & 7;
  const bytes = Math.ceil(n / 8);
  if (shift === 0) mask.set(bitmap.subarray(from, from + bytes));
  else for (let j = 0; j < bytes; j++) mask[j] = (((bitmap[from + j] ?? 0) >> shift) | ((bitmap[from + j + 1] ?? 0) << (8 - shift))) & 0xff;
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, scratch, 0, mask.byteLength);
}

/**
 * Marks all `n` rows of the vector invalid (NULL), its `width`-byte slots zeroed (a VARCHAR slot
 * then reads as an empty inline string, never as a pointer).
 */
export function setAllNull(vector: duckdb.Vector, n: number, width: number): void {
  duckdb.copy_data_to_vector(vector, 0, scratch, 0, zeroed(n * width).byteLength);
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, scratch, 0, zeroed(Math.ceil(n / 64) * 8).byteLength);
}

const utf8 = new TextDecoder();

/**
 * Writes rows start..start+n-1 of an Arrow Utf8 column into a VARCHAR vector (null slots get
 * whatever their offsets span; copyValidity marks them).
 *
 * duckdb.h lays a VARCHAR vector out as one duckdb_string_t per row:
 *
 *   typedef struct {
 *     union {
 *       struct { uint32_t length; char prefix[4]; char *ptr; } pointer;
 *       struct { uint32_t length; char inlined[12]; } inlined;
 *     } value;
 *   } duckdb_string_t;
 *
 * and duckdb_string_is_inlined: a string of at most 12 bytes is held in `inlined`, the rest of
 * which is zero (DuckDB compares the 16 bytes as two words). A longer one points at its bytes,
 * which must live in memory the vector owns: the slice's bytes (every row's, back to back, as
 * Arrow holds them) are copied into the vector's string heap at once, by assigning them as the
 * value of row 0 (vector_assign_string_element_len); row 0's slot, read back, gives their address,
 * and each long string's slot points into them. All the slots, row 0's included, are then written
 * at once. The appender copies the chunk's strings into storage of its own, so the pointers need
 * to hold only while the chunk lives, as the heap does. Only ASCII slices take this path (a VARCHAR
 * must hold valid UTF-8, which a direct write does not check); other text is decoded and assigned
 * value by value (invalid UTF-8 becoming U+FFFD).
 */
export function copyStrings(vector: duckdb.Vector, data: Data, start: number, n: number): void {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const first = offsets[start] ?? 0;
  const last = offsets[start + n] ?? first;
  const text = bytes.subarray(first, last);
  if (!isAscii(text)) {
    for (let k = 0; k < n; k++) duckdb.vector_assign_string_element(vector, k, utf8.decode(bytes.subarray(offsets[start + k], offsets[start + k + 1])));
    return;
  }
  const slots = zeroed(n * STRING_BYTES);
  const view = scratchView;
  let low = 0;
  let high = 0;
  if (last - first > INLINE_BYTES) {
    duckdb.vector_assign_string_element_len(vector, 0, text);
    const slot0 = new DataView(duckdb.vector_get_data(vector, STRING_BYTES).buffer);
    low = slot0.getUint32(8, true);
    high = slot0.getUint32(12, true);
  }
  for (let k = 0; k < n; k++) {
    const from = offsets[start + k] ?? 0;
    const length = (offsets[start + k + 1] ?? 0) - from;
    const slot = k * STRING_BYTES;
    view.setUint32(slot, length, true);
    // The whole string when inline, else its 4-byte prefix.
    const held = length <= INLINE_BYTES ? length : 4;
    for (let b = 0; b < held; b++) slots[slot + 4 + b] = bytes[from + b] ?? 0;
    if (length <= INLINE_BYTES) continue;
    // ptr = the heap copy's address + the string's place in the slice, as two little-endian words.
    const sum = low + (from - first);
    view.setUint32(slot + 8, sum >>> 0, true);
    view.setUint32(slot + 12, (high + Math.floor(sum / 2 ** 32)) >>> 0, true);
  }
  duckdb.copy_data_to_vector(vector, 0, scratch, 0, slots.byteLength);
}
