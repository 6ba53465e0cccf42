import type { Table } from 'apache-arrow';
import type { ParquetCodec } from '../../../libs/parquet/src/index.js';
import { monthKey } from '../../../libs/schema/src/month.js';
import type { MonthRef } from '../../../libs/schema/src/month.js';

export interface RowGroupSummary {
  readonly index: number;
  readonly rows: number;
  readonly decodeMs: number;
}

export interface MonthSummary {
  readonly service: string;
  readonly month: string;
  readonly source: string;
  readonly sourceBytes: number;
  readonly createdBy: string | undefined;
  readonly columns: readonly string[];
  readonly rowGroups: readonly RowGroupSummary[];
  readonly rowsRead: number;
  /** ISO timestamps (New York local time, as the TLC records them) of the first and last pickup. */
  readonly pickupMin: string | undefined;
  readonly pickupMax: string | undefined;
  readonly rowsOutsideMonth: number;
  readonly seconds: number;
}

const PICKUP_COLUMNS = ['tpep_pickup_datetime', 'lpep_pickup_datetime', 'pickup_datetime'];

/** Reads a month one row group at a time (never the whole file) and summarises what it holds. */
export async function summarizeMonth(codec: ParquetCodec, path: string, ref: MonthRef): Promise<MonthSummary> {
  const started = performance.now();
  const reader = await codec.open(path);
  try {
    const monthStart = BigInt(Date.UTC(ref.year, ref.month - 1, 1)) * 1000n;
    const monthEnd = BigInt(Date.UTC(ref.year, ref.month, 1)) * 1000n;
    const rowGroups: RowGroupSummary[] = [];
    let columns: string[] = [];
    let rowsRead = 0;
    let min: bigint | undefined;
    let max: bigint | undefined;
    let outside = 0;
    for (const group of reader.info.rowGroups) {
      const t0 = performance.now();
      const table = await reader.readRowGroup(group.index);
      rowGroups.push({ index: group.index, rows: table.numRows, decodeMs: performance.now() - t0 });
      columns = table.schema.fields.map((f) => f.name);
      rowsRead += table.numRows;
      for (const micros of pickupMicros(table)) {
        if (min === undefined || micros < min) min = micros;
        if (max === undefined || micros > max) max = micros;
        if (micros < monthStart || micros >= monthEnd) outside++;
      }
    }
    return {
      service: ref.service, month: monthKey(ref), source: path, sourceBytes: reader.info.sizeBytes,
      createdBy: reader.info.createdBy, columns, rowGroups, rowsRead,
      pickupMin: min === undefined ? undefined : isoMicros(min),
      pickupMax: max === undefined ? undefined : isoMicros(max),
      rowsOutsideMonth: outside, seconds: (performance.now() - started) / 1000,
    };
  } finally {
    reader.close();
  }
}

/** Non-null pickup timestamps in microseconds, read from the column's BigInt64 buffers directly. */
function* pickupMicros(table: Table): Generator<bigint> {
  const name = PICKUP_COLUMNS.find((c) => table.schema.fields.some((f) => f.name === c));
  const column = name === undefined ? null : table.getChild(name);
  if (!column) return;
  for (const data of column.data) {
    const values = data.values as BigInt64Array;
    for (let i = 0; i < data.length; i++) {
      if (data.getValid(i)) yield values[i] ?? 0n;
    }
  }
}

function isoMicros(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString().replace('Z', '');
}
