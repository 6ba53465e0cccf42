import { makeData, RecordBatch, Struct, Table } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import type { Service } from '../../schema/src/month.js';
import { PROCESSED_ARROW_SCHEMA, PROCESSED_FIELDS } from '../../schema/src/processed.js';
import { constantString, dateData, floatData, gather, gatherStrings, int64Data, lookupStrings, numberColumn, numberColumnAt, prefixedIntegers, stringColumn, stringTable, timestampData } from './columns.js';
import type { NumberColumn, StringTable } from './columns.js';
import { MAX_DISTANCE_MILES, MAX_DURATION_S, MAX_SPEED_MPH } from './reasons.js';
import type { RejectReason } from './reasons.js';
import { SERVICE_COLUMNS } from './service-map.js';
import type { ServiceColumns } from './service-map.js';
import type { Zones } from './zones.js';

export interface TransformContext {
  readonly service: Service;
  /** YYYY-MM: the month the file is for (pickups outside it are rejected). */
  readonly month: string;
  /** Row index in the source file of the batch's first row (from the envelope). */
  readonly firstRow: number;
  /** Load_dt: when the month was ingested, in microseconds (so a replay writes the same value). */
  readonly loadDtMicros: number;
  readonly zones: Zones;
}

export interface Reject {
  /** Row index in the source file. */
  readonly row: number;
  readonly reason: RejectReason;
}

export interface TransformResult {
  readonly table: Table;
  readonly rejects: readonly Reject[];
  readonly rowsIn: number;
}

const MICROS_PER_DAY = 86_400_000_000;
const MICROS_PER_HOUR = 3_600_000_000;

interface Inputs {
  readonly pickup: NumberColumn;
  readonly dropoff: NumberColumn;
  readonly pu: NumberColumn;
  readonly do: NumberColumn;
  readonly distance: NumberColumn | undefined;
  readonly money: readonly NumberColumn[];
}

function monthBounds(month: string): [number, number] {
  const [y = 0, m = 0] = month.split('-').map(Number);
  return [Date.UTC(y, m - 1, 1) * 1000, Date.UTC(y, m, 1) * 1000];
}

function badLocation(loc: NumberColumn, i: number, nullAllowed: boolean, maxId: number): boolean {
  if (loc.valid[i] !== 1) return !nullAllowed;
  const id = loc.values[i] ?? 0;
  return !Number.isInteger(id) || id < 1 || id > maxId;
}

/** The first failing check for row i, or undefined when the row is kept (order: reasons.ts). */
function check(i: number, x: Inputs, cols: ServiceColumns, zones: Zones, start: number, end: number): RejectReason | undefined {
  if (x.pickup.valid[i] !== 1 || x.dropoff.valid[i] !== 1) return 'missing_timestamp';
  const pickup = x.pickup.values[i] ?? 0;
  const dropoff = x.dropoff.values[i] ?? 0;
  if (pickup < start || pickup >= end) return 'pickup_outside_month';
  if (dropoff < pickup) return 'dropoff_before_pickup';
  if (dropoff === pickup) return 'zero_duration';
  const seconds = (dropoff - pickup) / 1e6;
  if (seconds > MAX_DURATION_S) return 'absurd_duration';
  if (badLocation(x.pu, i, cols.nullLocationAllowed, zones.maxId) || badLocation(x.do, i, cols.nullLocationAllowed, zones.maxId)) return 'bad_location';
  for (const m of x.money) if (m.valid[i] === 1 && (m.values[i] ?? 0) < 0) return 'negative_amount';
  if (x.distance) {
    const miles = x.distance.valid[i] === 1 ? (x.distance.values[i] ?? 0) : 0;
    if (miles <= 0) return 'zero_distance';
    if (miles > MAX_DISTANCE_MILES) return 'absurd_distance';
    if (miles / (seconds / 3600) > MAX_SPEED_MPH) return 'absurd_speed';
  }
  return undefined;
}

/**
 * Validates, derives and enriches one batch in a service's canonical schema. Pure: the same batch
 * and context give the same output, which replays and retries rely on.
 */
export function transformBatch(batch: RecordBatch, ctx: TransformContext): { batch: RecordBatch; rejects: Reject[] } {
  const cols = SERVICE_COLUMNS[ctx.service];
  const num = (name: string | undefined): NumberColumn => numberColumn(batch, name);
  const x: Inputs = {
    pickup: num(cols.pickup), dropoff: num(cols.dropoff), pu: num(cols.puLocation), do: num(cols.doLocation),
    distance: cols.distance === undefined ? undefined : num(cols.distance), money: cols.money.map(num),
  };
  const [start, end] = monthBounds(ctx.month);
  const keep = new Int32Array(batch.numRows);
  const rejects: Reject[] = [];
  let n = 0;
  for (let i = 0; i < batch.numRows; i++) {
    const reason = check(i, x, cols, ctx.zones, start, end);
    if (reason === undefined) keep[n++] = i;
    else rejects.push({ row: ctx.firstRow + i, reason });
  }
  return { batch: buildOutput(batch, ctx, cols, x, keep.subarray(0, n)), rejects };
}

/** The zone lookup's names as UTF-8, encoded once per lookup. */
const encodedNames = new WeakMap<Zones, { borough: StringTable; zone: StringTable }>();
function namesOf(zones: Zones): { borough: StringTable; zone: StringTable } {
  let names = encodedNames.get(zones);
  if (!names) {
    names = { borough: stringTable(zones.borough), zone: stringTable(zones.zone) };
    encodedNames.set(zones, names);
  }
  return names;
}

/** Derived values over the kept rows. */
function derive(n: number, fill: (k: number, out: Float64Array, valid: Uint8Array) => void): NumberColumn {
  const values = new Float64Array(n);
  const valid = new Uint8Array(n);
  for (let k = 0; k < n; k++) fill(k, values, valid);
  return { values, valid };
}

function buildOutput(batch: RecordBatch, ctx: TransformContext, cols: ServiceColumns, x: Inputs, keep: Int32Array): RecordBatch {
  const n = keep.length;
  const col = (name: string | undefined): NumberColumn => numberColumnAt(batch, name, keep);
  const float = (name: string | undefined): Data => floatData(col(name));
  const int = (name: string | undefined): Data => int64Data(col(name));
  const pickup = gather(x.pickup, keep).values;
  const dropoff = gather(x.dropoff, keep).values;
  const seconds = new Float64Array(n);
  for (let k = 0; k < n; k++) seconds[k] = ((dropoff[k] ?? 0) - (pickup[k] ?? 0)) / 1e6;
  const distance = col(cols.distance);
  const fare = col(cols.fare);
  const tip = col(cols.tip);
  let total: NumberColumn;
  if (cols.total !== undefined) total = col(cols.total);
  else {
    const parts = (cols.totalParts ?? []).map(col);
    total = derive(n, (k, out, valid) => {
      let sum = 0;
      let any = 0;
      for (const p of parts) if (p.valid[k] === 1) { sum += p.values[k] ?? 0; any = 1; }
      out[k] = sum;
      valid[k] = any;
    });
  }
  const pu = gather(x.pu, keep);
  const dof = gather(x.do, keep);
  const names = namesOf(ctx.zones);
  const rows = new Float64Array(n);
  const days = new Int32Array(n);
  const hours = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const p = pickup[k] ?? 0;
    rows[k] = ctx.firstRow + (keep[k] ?? 0);
    days[k] = Math.floor(p / MICROS_PER_DAY);
    hours[k] = Math.floor((p % MICROS_PER_DAY) / MICROS_PER_HOUR);
  }
  const allValid = new Uint8Array(n).fill(1);
  const columns: Record<string, Data> = {
    trip_id: prefixedIntegers(`${ctx.service}/${ctx.month}/`, rows),
    service: constantString(ctx.service, n),
    source_month: constantString(ctx.month, n),
    VendorID: int(cols.vendor),
    pickup_datetime: timestampData(pickup),
    dropoff_datetime: timestampData(dropoff),
    pickup_date: dateData(days),
    pickup_hour: int64Data({ values: hours, valid: allValid }),
    PULocationID: int64Data(pu),
    DOLocationID: int64Data(dof),
    pickup_borough: lookupStrings(pu, names.borough),
    pickup_zone: lookupStrings(pu, names.zone),
    dropoff_borough: lookupStrings(dof, names.borough),
    dropoff_zone: lookupStrings(dof, names.zone),
    passenger_count: int(cols.passengers),
    trip_distance: floatData(distance),
    RatecodeID: int(cols.ratecode),
    store_and_fwd_flag: gatherStrings(stringColumn(batch, cols.storeAndFwd), keep),
    payment_type: int(cols.paymentType),
    trip_type: int(cols.tripType),
    fare_amount: floatData(fare),
    extra: float(cols.extra),
    mta_tax: float(cols.mtaTax),
    tip_amount: floatData(tip),
    tolls_amount: float(cols.tolls),
    improvement_surcharge: float(cols.improvement),
    congestion_surcharge: float(cols.congestion),
    airport_fee: float(cols.airport),
    cbd_congestion_fee: float(cols.cbd),
    total_amount: floatData(total),
    duration_s: int64Data({ values: seconds, valid: allValid }),
    avg_speed_mph: floatData(derive(n, (k, out, valid) => {
      const s = seconds[k] ?? 0;
      out[k] = (distance.values[k] ?? 0) / (s / 3600);
      valid[k] = distance.valid[k] === 1 && s > 0 ? 1 : 0;
    })),
    tip_pct: floatData(derive(n, (k, out, valid) => {
      const f = fare.values[k] ?? 0;
      out[k] = ((tip.values[k] ?? 0) / f) * 100;
      valid[k] = tip.valid[k] === 1 && fare.valid[k] === 1 && f > 0 ? 1 : 0;
    })),
    Total_squared: floatData(derive(n, (k, out, valid) => { out[k] = (total.values[k] ?? 0) ** 2; valid[k] = total.valid[k] ?? 0; })),
    Load_dt: timestampData(new Float64Array(n).fill(ctx.loadDtMicros)),
  };
  const children = PROCESSED_FIELDS.map((field) => {
    const data = columns[field.name];
    if (!data) throw new Error(`transform: no value for processed column ${field.name}`);
    return data;
  });
  return new RecordBatch(PROCESSED_ARROW_SCHEMA, makeData({ type: new Struct(PROCESSED_ARROW_SCHEMA.fields), length: n, nullCount: 0, children }));
}

/** transformBatch over every batch of a table (one message usually holds one batch). */
export function transformTable(table: Table, ctx: TransformContext): TransformResult {
  let firstRow = ctx.firstRow;
  const batches: RecordBatch[] = [];
  const rejects: Reject[] = [];
  for (const batch of table.batches) {
    const out = transformBatch(batch, { ...ctx, firstRow });
    batches.push(out.batch);
    rejects.push(...out.rejects);
    firstRow += batch.numRows;
  }
  return { table: new Table(PROCESSED_ARROW_SCHEMA, batches), rejects, rowsIn: table.numRows };
}
