// A synthetic yellow-taxi month with the TLC's 2024 yellow schema, realistic spreads and the dirt
// real months have (rows outside the month, dropoff before pickup, negative amounts, zero
// distance, unknown zones, missing passenger counts). `drift` writes it as older years did:
// passenger_count and RatecodeID as double, airport_fee lower case, timestamps in nanoseconds.
import { writeFileSync } from 'node:fs';
import { Field, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, TimestampMicrosecond, TimestampNanosecond, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import type { Data, DataType } from 'apache-arrow';
import * as pq from 'parquet-wasm';

export interface SyntheticMonthOptions {
  readonly year: number;
  readonly month: number;
  readonly rows: number;
  readonly rowGroupRows: number;
  readonly seed?: number;
  readonly drift?: boolean;
}

/** mulberry32: a small deterministic PRNG, so the same options give the same file. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function column(type: DataType, length: number, fill: (i: number) => number | bigint | string | null): Data {
  if (type instanceof TimestampMicrosecond || type instanceof TimestampNanosecond || type instanceof Int64) {
    const values = new BigInt64Array(length);
    const nullBitmap = new Uint8Array(Math.ceil(length / 8));
    let nullCount = 0;
    for (let i = 0; i < length; i++) {
      const v = fill(i);
      if (v === null) { nullCount++; continue; }
      values[i] = BigInt(v);
      nullBitmap[i >> 3]! |= 1 << (i & 7);
    }
    return makeData({ type, length, nullCount, nullBitmap, data: values } as never);
  }
  return vectorFromArray(Array.from({ length }, (_, i) => fill(i)), type).data[0] as Data;
}

/** Builds the month as an Arrow table (one batch per row group). */
export function syntheticYellowTable(options: SyntheticMonthOptions): Table {
  const random = prng(options.seed ?? 42);
  const drift = options.drift ?? false;
  const ts = drift ? new TimestampNanosecond() : new TimestampMicrosecond();
  const unit = drift ? 1000n : 1n;
  const start = BigInt(Date.UTC(options.year, options.month - 1, 1)) * 1000n;
  const monthMicros = BigInt(Date.UTC(options.year, options.month, 1)) * 1000n - start;
  const count = drift ? new Float64() : new Int64();
  const fields = [
    new Field('VendorID', new Int32()), new Field('tpep_pickup_datetime', ts), new Field('tpep_dropoff_datetime', ts),
    new Field('passenger_count', count), new Field('trip_distance', new Float64()), new Field('RatecodeID', count),
    new Field('store_and_fwd_flag', new Utf8()), new Field('PULocationID', new Int32()), new Field('DOLocationID', new Int32()),
    new Field('payment_type', new Int64()), new Field('fare_amount', new Float64()), new Field('extra', new Float64()),
    new Field('mta_tax', new Float64()), new Field('tip_amount', new Float64()), new Field('tolls_amount', new Float64()),
    new Field('improvement_surcharge', new Float64()), new Field('total_amount', new Float64()),
    new Field('congestion_surcharge', new Float64()), new Field(drift ? 'airport_fee' : 'Airport_fee', new Float64()),
  ].map((f) => new Field(f.name, f.type, true));
  const schema = new Schema(fields);
  const batches: RecordBatch[] = [];
  for (let first = 0; first < options.rows; first += options.rowGroupRows) {
    const n = Math.min(options.rowGroupRows, options.rows - first);
    const r = Array.from({ length: n }, () => {
      const dirt = random();
      const pickup = start + BigInt(Math.floor(random() * Number(monthMicros))) + (dirt < 0.002 ? -86_400_000_000n * 3n : 0n);
      const minutes = Math.max(1, -Math.log(1 - random()) * 14);
      const distance = dirt > 0.995 ? 0 : Math.round(minutes * (0.1 + random() * 0.3) * 100) / 100;
      const fare = Math.round((3 + distance * 2.5 + minutes * 0.5) * (dirt > 0.003 && dirt < 0.006 ? -1 : 1) * 100) / 100;
      const tip = random() < 0.6 ? Math.round(fare * random() * 0.3 * 100) / 100 : 0;
      const dropoff = pickup + BigInt(Math.round(minutes * 60_000_000)) * (dirt > 0.006 && dirt < 0.008 ? -1n : 1n);
      return { pickup, dropoff, distance, fare, tip, pu: 1 + Math.floor(random() * (dirt > 0.99 ? 265 : 263)), do: 1 + Math.floor(random() * 263),
        passengers: random() < 0.03 ? null : 1 + Math.floor(random() * random() * 5), payment: 1 + Math.floor(random() * random() * 4) };
    });
    const countValue = (v: number | null): number | bigint | null => v === null ? null : drift ? v : BigInt(v);
    const children = [
      column(new Int32(), n, () => 1 + Math.floor(random() * 2)),
      column(ts, n, (i) => r[i]!.pickup * unit), column(ts, n, (i) => r[i]!.dropoff * unit),
      column(count, n, (i) => countValue(r[i]!.passengers)), column(new Float64(), n, (i) => r[i]!.distance),
      column(count, n, (i) => countValue(r[i]!.passengers === null ? null : 1)), column(new Utf8(), n, () => (random() < 0.01 ? 'Y' : 'N')),
      column(new Int32(), n, (i) => r[i]!.pu), column(new Int32(), n, (i) => r[i]!.do), column(new Int64(), n, (i) => BigInt(r[i]!.payment)),
      column(new Float64(), n, (i) => r[i]!.fare), column(new Float64(), n, () => 1), column(new Float64(), n, () => 0.5),
      column(new Float64(), n, (i) => r[i]!.tip), column(new Float64(), n, () => 0), column(new Float64(), n, () => 1),
      column(new Float64(), n, (i) => Math.round((r[i]!.fare + r[i]!.tip + 5) * 100) / 100), column(new Float64(), n, () => 2.5),
      column(new Float64(), n, (i) => (r[i]!.pu === 132 || r[i]!.pu === 138 ? 1.75 : 0)),
    ];
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children })));
  }
  return new Table(schema, batches);
}

/** Writes the month as Parquet (ZSTD, row groups of `rowGroupRows`) and returns the path. */
export function writeSyntheticYellowMonth(path: string, options: SyntheticMonthOptions): string {
  const table = syntheticYellowTable(options);
  const props = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).setMaxRowGroupSize(options.rowGroupRows).build();
  writeFileSync(path, pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(table, 'stream')), props));
  return path;
}
