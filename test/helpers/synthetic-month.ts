// A synthetic yellow-taxi month with the TLC's 2024 yellow schema, realistic spreads and the dirt
// real months have (rows outside the month, dropoff before pickup, negative amounts, zero
// distance, unknown zones, missing passenger counts). `drift` writes it as older years did:
// passenger_count and RatecodeID as double, airport_fee lower case, timestamps in nanoseconds.
// The surcharges, tolls and rate codes take the values real months have, in shares close to the
// real green January 2024's (shared/data/tlc; yellow's own 2024 amounts where they differ, e.g.
// its congestion surcharge of 2.50 on most trips); version 2 wrote them as constants, which
// flattered every compressor, ours and the baselines' alike.
//
// Columns are filled straight into typed arrays, one row group at a time, and streamed as Arrow
// IPC: a full month (~3 M rows) peaks at about 1.7 GB RSS, most of it the IPC stream and
// parquet-wasm's copy of it, against 2.6 GB when rows were built as objects.
import { writeFileSync } from 'node:fs';
import { Field, Float64, Int32, Int64, makeData, RecordBatch, RecordBatchStreamWriter, Schema, Struct, Table, TimestampMicrosecond, TimestampNanosecond, Utf8 } from 'apache-arrow';
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

/** Changes whenever the same options would give different bytes (caches key on it). */
export const SYNTHETIC_MONTH_VERSION = 3;

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

const DAY_MICROS = 86_400_000_000;

interface Layout {
  readonly drift: boolean;
  readonly ts: TimestampMicrosecond | TimestampNanosecond;
  readonly count: Float64 | Int64;
  readonly fields: Field[];
  readonly schema: Schema;
}

function layout(drift: boolean): Layout {
  const ts = drift ? new TimestampNanosecond() : new TimestampMicrosecond();
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
  return { drift, ts, count, fields, schema: new Schema(fields) };
}

const plain = (type: DataType, values: Int32Array | Float64Array | BigInt64Array): Data =>
  makeData({ type, length: values.length, nullCount: 0, data: values } as never);

const withNulls = (type: DataType, values: Float64Array | BigInt64Array, nullBitmap: Uint8Array, nullCount: number): Data =>
  makeData({ type, length: values.length, nullCount, nullBitmap, data: values } as never);

/** Values and their shares (summing to 1): `pick` draws one. */
type Shares = readonly (readonly [number, number])[];
function pick(shares: Shares, r: number): number {
  let sum = 0;
  for (const [value, share] of shares) {
    sum += share;
    if (r < sum) return value;
  }
  return shares[shares.length - 1]![0];
}
const EXTRA: Shares = [[0, 0.58], [2.5, 0.2], [1, 0.16], [5, 0.03], [3.5, 0.02], [7.5, 0.01]];
const MTA_TAX: Shares = [[0.5, 0.9], [0, 0.1]];
const IMPROVEMENT: Shares = [[1, 0.986], [0.3, 0.008], [0, 0.006]];
const CONGESTION: Shares = [[2.5, 0.9], [0, 0.1]];
const RATECODE: Shares = [[1, 0.94], [2, 0.035], [5, 0.01], [99, 0.01], [3, 0.003], [4, 0.002]];
const round2 = (v: number): number => Math.round(v * 100) / 100;
/** An amount with the row's sign (-1 on a refund), never -0. */
const signed = (v: number, sign: number): number => (v === 0 ? 0 : v * sign);

/**
 * One row group of `n` rows. The draws from `random` happen per row (dirt, pickup, duration,
 * distance, tip, zones, passengers, payment, surcharges, tolls, rate code; then the vendor column,
 * then the store-and-forward column): the same options give the same bytes.
 */
function rowGroup(l: Layout, n: number, random: () => number, startMicros: number, monthMicros: number): RecordBatch {
  const unit = l.drift ? 1000n : 1n;
  const pickup = new BigInt64Array(n);
  const dropoff = new BigInt64Array(n);
  const distance = new Float64Array(n);
  const fare = new Float64Array(n);
  const tip = new Float64Array(n);
  const total = new Float64Array(n);
  const airport = new Float64Array(n);
  const extra = new Float64Array(n);
  const mta = new Float64Array(n);
  const tolls = new Float64Array(n);
  const improvement = new Float64Array(n);
  const congestion = new Float64Array(n);
  const pu = new Int32Array(n);
  const dropZone = new Int32Array(n);
  const payment = new BigInt64Array(n);
  const passengers = l.drift ? new Float64Array(n) : new BigInt64Array(n);
  const ratecode = l.drift ? new Float64Array(n) : new BigInt64Array(n);
  const valid = new Uint8Array(Math.ceil(n / 8));
  let missing = 0;
  for (let i = 0; i < n; i++) {
    const dirt = random();
    const pickupMicros = startMicros + Math.floor(random() * monthMicros) + (dirt < 0.002 ? -3 * DAY_MICROS : 0);
    const minutes = Math.max(1, -Math.log(1 - random()) * 14);
    const d = dirt > 0.995 ? 0 : round2(minutes * (0.1 + random() * 0.3));
    const sign = dirt > 0.003 && dirt < 0.006 ? -1 : 1; // a refund: every amount negative
    const f = round2((3 + d * 2.5 + minutes * 0.5) * sign);
    const t = random() < 0.6 ? round2(f * random() * 0.3) : 0;
    const duration = Math.round(minutes * 60_000_000) * (dirt > 0.006 && dirt < 0.008 ? -1 : 1);
    const zone = 1 + Math.floor(random() * (dirt > 0.99 ? 265 : 263));
    pu[i] = zone;
    dropZone[i] = 1 + Math.floor(random() * 263);
    const riders = random() < 0.03 ? null : 1 + Math.floor(random() * random() * 5);
    payment[i] = BigInt(1 + Math.floor(random() * random() * 4));
    pickup[i] = BigInt(pickupMicros) * unit;
    dropoff[i] = BigInt(pickupMicros + duration) * unit;
    distance[i] = d;
    fare[i] = f;
    tip[i] = t;
    airport[i] = signed(zone === 132 || zone === 138 ? 1.75 : 0, sign);
    extra[i] = signed(pick(EXTRA, random()), sign);
    mta[i] = signed(pick(MTA_TAX, random()), sign);
    const tollDraw = random();
    tolls[i] = signed(tollDraw < 0.973 ? 0 : tollDraw < 0.997 ? 6.94 : round2(3 + random() * 13), sign);
    improvement[i] = signed(pick(IMPROVEMENT, random()), sign);
    congestion[i] = signed(pick(CONGESTION, random()), sign);
    const rate = pick(RATECODE, random());
    total[i] = round2(f + extra[i]! + mta[i]! + t + tolls[i]! + improvement[i]! + congestion[i]! + airport[i]!);
    if (riders === null) { missing++; continue; }
    valid[i >> 3]! |= 1 << (i & 7);
    if (passengers instanceof Float64Array) { passengers[i] = riders; (ratecode as Float64Array)[i] = rate; } else { passengers[i] = BigInt(riders); (ratecode as BigInt64Array)[i] = BigInt(rate); }
  }
  const vendor = new Int32Array(n);
  for (let i = 0; i < n; i++) vendor[i] = 1 + Math.floor(random() * 2);
  const flagOffsets = new Int32Array(n + 1);
  const flags = new Uint8Array(n);
  for (let i = 0; i < n; i++) { flagOffsets[i + 1] = i + 1; flags[i] = random() < 0.01 ? 0x59 /* Y */ : 0x4e /* N */; }
  const children = [
    plain(new Int32(), vendor), plain(l.ts, pickup), plain(l.ts, dropoff),
    withNulls(l.count, passengers, valid, missing), plain(new Float64(), distance), withNulls(l.count, ratecode, valid.slice(), missing),
    makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets: flagOffsets, data: flags }),
    plain(new Int32(), pu), plain(new Int32(), dropZone), plain(new Int64(), payment),
    plain(new Float64(), fare), plain(new Float64(), extra), plain(new Float64(), mta), plain(new Float64(), tip), plain(new Float64(), tolls),
    plain(new Float64(), improvement), plain(new Float64(), total), plain(new Float64(), congestion), plain(new Float64(), airport),
  ];
  return new RecordBatch(l.schema, makeData({ type: new Struct(l.fields), length: n, nullCount: 0, children }));
}

/** The month's row groups, generated one at a time. */
function* rowGroups(options: SyntheticMonthOptions): Generator<RecordBatch> {
  const random = prng(options.seed ?? 42);
  const l = layout(options.drift ?? false);
  const startMicros = Date.UTC(options.year, options.month - 1, 1) * 1000;
  const monthMicros = Date.UTC(options.year, options.month, 1) * 1000 - startMicros;
  for (let first = 0; first < options.rows; first += options.rowGroupRows) {
    yield rowGroup(l, Math.min(options.rowGroupRows, options.rows - first), random, startMicros, monthMicros);
  }
}

/** Builds the month as an Arrow table (one batch per row group). */
export function syntheticYellowTable(options: SyntheticMonthOptions): Table {
  return new Table(layout(options.drift ?? false).schema, [...rowGroups(options)]);
}

/** Writes the month as Parquet (ZSTD, row groups of `rowGroupRows`) and returns the path. */
export function writeSyntheticYellowMonth(path: string, options: SyntheticMonthOptions): string {
  // Row groups go to the IPC stream as they are made, so only one is held as Arrow columns.
  const writer = new RecordBatchStreamWriter();
  for (const batch of rowGroups(options)) writer.write(batch);
  writer.finish();
  const table = pq.Table.fromIPCStream(writer.toUint8Array(true)); // the IPC bytes are garbage after this
  const props = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).setMaxRowGroupSize(options.rowGroupRows).build();
  writeFileSync(path, pq.writeParquet(table, props)); // consumes the wasm table
  return path;
}
