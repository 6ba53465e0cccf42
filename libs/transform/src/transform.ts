import { makeData, RecordBatch, Struct, Table } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import type { Service } from '../../schema/src/month.js';
import { PROCESSED_ARROW_SCHEMA, PROCESSED_FIELDS } from '../../schema/src/processed.js';
import { Builder, numberColumn, stringColumn } from './columns.js';
import type { NumberColumn } from './columns.js';
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

/** The first failing check for row i, or undefined when the row is kept (order: reasons.ts). */
function check(i: number, x: Inputs, cols: ServiceColumns, zones: Zones, start: number, end: number): RejectReason | undefined {
  if (!x.pickup.valid(i) || !x.dropoff.valid(i)) return 'missing_timestamp';
  const pickup = x.pickup.value(i);
  const dropoff = x.dropoff.value(i);
  if (pickup < start || pickup >= end) return 'pickup_outside_month';
  if (dropoff < pickup) return 'dropoff_before_pickup';
  if (dropoff === pickup) return 'zero_duration';
  const seconds = (dropoff - pickup) / 1e6;
  if (seconds > MAX_DURATION_S) return 'absurd_duration';
  for (const loc of [x.pu, x.do]) {
    if (!loc.valid(i)) { if (!cols.nullLocationAllowed) return 'bad_location'; continue; }
    const id = loc.value(i);
    if (!Number.isInteger(id) || id < 1 || id > zones.maxId) return 'bad_location';
  }
  for (const m of x.money) if (m.valid(i) && m.value(i) < 0) return 'negative_amount';
  if (x.distance) {
    const miles = x.distance.valid(i) ? x.distance.value(i) : 0;
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

function buildOutput(batch: RecordBatch, ctx: TransformContext, cols: ServiceColumns, x: Inputs, keep: Int32Array): RecordBatch {
  const b = new Builder(keep.length);
  const at = (c: NumberColumn) => ({ value: (k: number) => c.value(keep[k] ?? 0), valid: (k: number) => c.valid(keep[k] ?? 0) });
  const col = (name: string | undefined) => at(numberColumn(batch, name));
  const float = (name: string | undefined): Data => { const c = col(name); return b.float(c.value, c.valid); };
  const int = (name: string | undefined): Data => { const c = col(name); return b.int64(c.value, c.valid); };
  const str = stringColumn(batch, cols.storeAndFwd);
  const pickup = (k: number): number => x.pickup.value(keep[k] ?? 0);
  const dropoff = (k: number): number => x.dropoff.value(keep[k] ?? 0);
  const seconds = (k: number): number => (dropoff(k) - pickup(k)) / 1e6;
  const distance = col(cols.distance);
  const fare = col(cols.fare);
  const tip = col(cols.tip);
  const parts = (cols.totalParts ?? []).map(col);
  const total = cols.total !== undefined ? col(cols.total)
    : { value: (k: number) => parts.reduce((s, p) => s + (p.valid(k) ? p.value(k) : 0), 0), valid: (k: number) => parts.some((p) => p.valid(k)) };
  const pu = at(x.pu);
  const dof = at(x.do);
  const zoneOf = (ids: typeof pu, names: readonly (string | undefined)[]) => (k: number): string | undefined => (ids.valid(k) ? names[ids.value(k)] : undefined);
  const columns: Record<string, Data> = {
    trip_id: b.string((k) => `${ctx.service}/${ctx.month}/${ctx.firstRow + (keep[k] ?? 0)}`),
    service: b.string(() => ctx.service),
    source_month: b.string(() => ctx.month),
    VendorID: int(cols.vendor),
    pickup_datetime: b.timestamp(pickup),
    dropoff_datetime: b.timestamp(dropoff),
    pickup_date: b.dateDays((k) => Math.floor(pickup(k) / MICROS_PER_DAY)),
    pickup_hour: b.int64((k) => Math.floor((pickup(k) % MICROS_PER_DAY) / MICROS_PER_HOUR), () => true),
    PULocationID: b.int64(pu.value, pu.valid),
    DOLocationID: b.int64(dof.value, dof.valid),
    pickup_borough: b.string(zoneOf(pu, ctx.zones.borough)),
    pickup_zone: b.string(zoneOf(pu, ctx.zones.zone)),
    dropoff_borough: b.string(zoneOf(dof, ctx.zones.borough)),
    dropoff_zone: b.string(zoneOf(dof, ctx.zones.zone)),
    passenger_count: int(cols.passengers),
    trip_distance: b.float(distance.value, distance.valid),
    RatecodeID: int(cols.ratecode),
    store_and_fwd_flag: b.string((k) => str(keep[k] ?? 0)),
    payment_type: int(cols.paymentType),
    trip_type: int(cols.tripType),
    fare_amount: b.float(fare.value, fare.valid),
    extra: float(cols.extra),
    mta_tax: float(cols.mtaTax),
    tip_amount: b.float(tip.value, tip.valid),
    tolls_amount: float(cols.tolls),
    improvement_surcharge: float(cols.improvement),
    congestion_surcharge: float(cols.congestion),
    airport_fee: float(cols.airport),
    cbd_congestion_fee: float(cols.cbd),
    total_amount: b.float(total.value, total.valid),
    duration_s: b.int64(seconds, () => true),
    avg_speed_mph: b.float((k) => distance.value(k) / (seconds(k) / 3600), (k) => distance.valid(k) && seconds(k) > 0),
    tip_pct: b.float((k) => (tip.value(k) / fare.value(k)) * 100, (k) => tip.valid(k) && fare.valid(k) && fare.value(k) > 0),
    Total_squared: b.float((k) => total.value(k) ** 2, total.valid),
    Load_dt: b.timestamp(() => ctx.loadDtMicros),
  };
  const children = PROCESSED_FIELDS.map((field) => {
    const data = columns[field.name];
    if (!data) throw new Error(`transform: no value for processed column ${field.name}`);
    return data;
  });
  return new RecordBatch(PROCESSED_ARROW_SCHEMA, makeData({ type: new Struct(PROCESSED_ARROW_SCHEMA.fields), length: keep.length, nullCount: 0, children }));
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
