import { makeData, makeVector, Utf8, vectorFromArray } from 'apache-arrow';
import type { Data, RecordBatch } from 'apache-arrow';
import { DateDay, Float64, Int64, TimestampMicrosecond } from 'apache-arrow';

/** A numeric source column read as doubles with a validity test; missing columns read as all null. */
export interface NumberColumn {
  readonly value: (i: number) => number;
  readonly valid: (i: number) => boolean;
}

const NULL_COLUMN: NumberColumn = { value: () => 0, valid: () => false };

function validityOf(data: Data): (i: number) => boolean {
  // Arrow JS keeps an empty bitmap for columns without nulls.
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap.length === 0) return () => true;
  const offset = data.offset;
  return (i) => ((bitmap[(i + offset) >> 3] ?? 0) & (1 << ((i + offset) & 7))) !== 0;
}

/** Int/float/timestamp columns as numbers: timestamps in microseconds (exact below 2^53, ~2255 AD). */
export function numberColumn(batch: RecordBatch, name: string | undefined): NumberColumn {
  const child = name === undefined ? null : batch.getChild(name);
  const data = child?.data[0] as Data | undefined;
  if (!data) return NULL_COLUMN;
  const values = data.values as ArrayLike<number | bigint>;
  const offset = data.offset;
  const valid = validityOf(data);
  if (values instanceof BigInt64Array) return { value: (i) => Number(values[i + offset] ?? 0n), valid };
  return { value: (i) => Number(values[i + offset] ?? 0), valid };
}

export function stringColumn(batch: RecordBatch, name: string | undefined): (i: number) => string | null {
  const child = name === undefined ? null : batch.getChild(name);
  if (!child) return () => null;
  const vector = makeVector(child.data[0] as Data);
  return (i) => vector.get(i) as string | null;
}

/** Output builders over the kept rows: typed arrays plus a validity bitmap. */
export class Builder {
  readonly #n: number;
  constructor(n: number) { this.#n = n; }

  #bitmap(valid: (k: number) => boolean): { nullBitmap: Uint8Array; nullCount: number } {
    const nullBitmap = new Uint8Array(Math.ceil(this.#n / 8));
    let nullCount = 0;
    for (let k = 0; k < this.#n; k++) {
      if (valid(k)) nullBitmap[k >> 3] = (nullBitmap[k >> 3] ?? 0) | (1 << (k & 7));
      else nullCount++;
    }
    return { nullBitmap, nullCount };
  }

  float(value: (k: number) => number, valid: (k: number) => boolean): Data {
    const data = new Float64Array(this.#n);
    for (let k = 0; k < this.#n; k++) data[k] = value(k);
    return makeData({ type: new Float64(), length: this.#n, ...this.#bitmap((k) => valid(k) && Number.isFinite(data[k])), data });
  }

  int64(value: (k: number) => number, valid: (k: number) => boolean): Data {
    const data = new BigInt64Array(this.#n);
    const ok = (k: number): boolean => valid(k) && Number.isFinite(value(k));
    for (let k = 0; k < this.#n; k++) if (ok(k)) data[k] = BigInt(Math.trunc(value(k)));
    return makeData({ type: new Int64(), length: this.#n, ...this.#bitmap(ok), data });
  }

  timestamp(micros: (k: number) => number): Data {
    const data = new BigInt64Array(this.#n);
    for (let k = 0; k < this.#n; k++) data[k] = BigInt(micros(k));
    return makeData({ type: new TimestampMicrosecond(), length: this.#n, nullCount: 0, data });
  }

  dateDays(days: (k: number) => number): Data {
    const data = new Int32Array(this.#n);
    for (let k = 0; k < this.#n; k++) data[k] = days(k);
    return makeData({ type: new DateDay(), length: this.#n, nullCount: 0, data });
  }

  string(value: (k: number) => string | null | undefined): Data {
    return vectorFromArray(Array.from({ length: this.#n }, (_, k) => value(k) ?? null), new Utf8()).data[0] as Data;
  }
}

