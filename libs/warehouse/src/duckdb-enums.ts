import { DuckDBTypeId } from '@duckdb/node-api';
import type { DuckDBEnumType } from '@duckdb/node-api';
import type { Data } from 'apache-arrow';
import { SERVICES } from '../../schema/src/month.js';
import { readZones } from '../../transform/src/zones.js';

// The processed table's low-cardinality text columns (the service, and the boroughs and zones the
// zone lookup names) are DuckDB ENUMs in a table this adapter creates: a small code a row, not a
// string. DuckDB writes a VARCHAR column's statistics, dictionary and FSST analysis from every
// string; measured on the processed month, one thread (duckdb 1.5.6), the four zone and borough
// columns took 1.78 s to store as VARCHAR and 0.52 s as ENUM (the cast from text included), the
// service 0.42 s against 0.14 s, of 6.3 s for the whole table. Queries see text either way:
// comparisons, LIKE, || and results are the values' strings, and ORDER BY follows the ENUM's order,
// which is kept sorted as VARCHAR's (byte order). An ENUM's values are fixed when its type is:
// a value a batch brings that its column lacks widens the column first (duckdb.ts, widenEnums).

/** Processed columns stored as ENUM in a table this adapter creates, and the list their values start as. */
const SEEDED_BY = { service: 'services', pickup_borough: 'boroughs', dropoff_borough: 'boroughs', pickup_zone: 'zones', dropoff_zone: 'zones' } as const;

/** Processed columns stored as ENUM in a table this adapter creates (an older table's VARCHAR stays). */
export const ENUM_COLUMNS: ReadonlySet<string> = new Set(Object.keys(SEEDED_BY));

/** The values a new table's ENUM columns start with: the services, and the shipped lookup's names. */
export function enumSeeds(): ReadonlyMap<string, readonly string[]> {
  const { zones } = readZones();
  const names = (list: readonly (string | undefined)[]): string[] => sortedValues(list.filter((v): v is string => v !== undefined && v !== ''));
  const lists = { services: sortedValues(SERVICES), boroughs: names(zones.borough), zones: names(zones.zone) };
  return new Map(Object.entries(SEEDED_BY).map(([column, list]) => [column, lists[list]]));
}

const encoder = new TextEncoder();

/** Distinct values in DuckDB's VARCHAR order (bytes of UTF-8, compared unsigned). */
export function sortedValues(values: Iterable<string>): string[] {
  return [...new Set(values)].map((v) => ({ v, bytes: Buffer.from(v, 'utf8') })).sort((a, b) => Buffer.compare(a.bytes, b.bytes)).map((e) => e.v);
}

/** The SQL type of an ENUM of these values: ENUM('a', 'b'). */
export function enumSql(values: readonly string[]): string {
  return `ENUM(${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')})`;
}

/** Bytes of one code of the ENUM: DuckDB stores up to 256 values as uint8, then uint16, then uint32. */
export function enumCodeBytes(type: DuckDBEnumType): 1 | 2 | 4 {
  if (type.internalTypeId === DuckDBTypeId.UTINYINT) return 1;
  if (type.internalTypeId === DuckDBTypeId.USMALLINT) return 2;
  return 4;
}

/**
 * An ENUM's codes by the UTF-8 bytes of their values: an open-addressing table over a hash of the
 * bytes, each hit checked byte by byte, so that a value of an Arrow Utf8 column is coded without
 * being decoded into a string. Bytes that are no value (or not UTF-8) are decoded and looked up by
 * string, so that text a VARCHAR column would hold as U+FFFD is coded the same.
 */
export class EnumCodes {
  readonly type: DuckDBEnumType;
  readonly #values: Uint8Array[];
  readonly #slots: Int32Array;
  readonly #mask: number;

  constructor(type: DuckDBEnumType) {
    this.type = type;
    this.#values = type.values.map((v) => encoder.encode(v));
    let size = 16;
    while (size < this.#values.length * 4) size *= 2;
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    this.#values.forEach((bytes, code) => {
      let slot = hash(bytes, 0, bytes.length) & this.#mask;
      while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = code + 1;
    });
  }

  /** The code of the value bytes[from, to), or -1 when the ENUM lacks it. */
  code(bytes: Uint8Array, from: number, to: number): number {
    const length = to - from;
    for (let slot = hash(bytes, from, to) & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const code = (this.#slots[slot] ?? 0) - 1;
      if (code < 0) return this.#slowCode(bytes, from, to);
      const value = this.#values[code] as Uint8Array;
      if (value.length !== length) continue;
      let k = 0;
      while (k < length && value[k] === bytes[from + k]) k++;
      if (k === length) return code;
    }
  }

  #slowCode(bytes: Uint8Array, from: number, to: number): number {
    return this.type.valueIndexes[decoder.decode(bytes.subarray(from, to))] ?? -1;
  }
}

const decoder = new TextDecoder();

/** FNV-1a over the bytes, seeded with their length. */
function hash(bytes: Uint8Array, from: number, to: number): number {
  let h = (0x811c9dc5 ^ (to - from)) | 0;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] ?? 0), 0x01000193);
  return h >>> 0;
}

/** Codes of an Arrow Utf8 column, one a row (0 for a null row), of the width the ENUM stores. */
export type EnumCodeArray = Uint8Array | Uint16Array | Uint32Array;

/**
 * Codes every row of `data` (an Arrow Utf8 column) with `codes`. Values the ENUM lacks are
 * returned in `missing` (decoded, distinct), and their rows coded 0: callers widen and code again.
 */
export function codeColumn(data: Data, codes: EnumCodes): { codes: EnumCodeArray; missing: Set<string> } {
  const n = data.length;
  const width = enumCodeBytes(codes.type);
  const out = width === 1 ? new Uint8Array(n) : width === 2 ? new Uint16Array(n) : new Uint32Array(n);
  const missing = new Set<string>();
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const nulls = data.nullCount > 0 && data.nullBitmap.length > 0 ? data.nullBitmap : undefined;
  for (let k = 0; k < n; k++) {
    // Arrow JS slices a column's offsets with it, not its validity bitmap (as copyStrings reads them).
    const bit = data.offset + k;
    if (nulls && ((nulls[bit >> 3] ?? 0) & (1 << (bit & 7))) === 0) continue;
    const from = offsets[k] ?? 0;
    const to = offsets[k + 1] ?? from;
    const code = codes.code(bytes, from, to);
    if (code >= 0) out[k] = code;
    else missing.add(decoder.decode(bytes.subarray(from, to)));
  }
  return { codes: out, missing };
}
