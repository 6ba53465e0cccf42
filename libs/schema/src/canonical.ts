import { createHash } from 'node:crypto';
import { Field, Float64, Int32, Int64, Schema, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import type { DataType } from 'apache-arrow';
import type { Service } from './month.js';

/** The types a canonical column can have. Timestamps are New York local time, without zone, as the TLC writes them. */
export type FieldType = 'int32' | 'int64' | 'float64' | 'utf8' | 'timestamp_us';

export interface CanonicalField {
  /** The newest spelling the TLC uses; older files are matched case-insensitively and by `aliases`. */
  readonly name: string;
  readonly type: FieldType;
  /** A file without a required column fails its month; a missing optional column is all null. */
  readonly required: boolean;
  readonly aliases?: readonly string[];
}

export interface CanonicalSchema {
  readonly service: Service;
  /** Bumped when a field is added; old messages stay readable (new fields are nullable). */
  readonly version: number;
  readonly pickupColumn: string;
  readonly dropoffColumn: string;
  readonly pickupLocationColumn: string;
  readonly dropoffLocationColumn: string;
  readonly fields: readonly CanonicalField[];
  readonly arrow: Schema;
  /** sha256 (hex, 16 chars) of service, version, names and types: carried in every message's headers. */
  readonly fingerprint: string;
}

const f = (name: string, type: FieldType, required = false, aliases?: readonly string[]): CanonicalField =>
  aliases ? { name, type, required, aliases } : { name, type, required };

const money = (...names: string[]): CanonicalField[] => names.map((n) => f(n, 'float64'));

// Field lists follow the TLC's data dictionaries and its newest files (2024-2025): green and yellow
// from the shipped 2024 files, cbd_congestion_fee added in 2025; FHV and FHVHV per the dictionaries.
const GREEN: CanonicalField[] = [
  f('VendorID', 'int32', true), f('lpep_pickup_datetime', 'timestamp_us', true), f('lpep_dropoff_datetime', 'timestamp_us', true),
  f('store_and_fwd_flag', 'utf8'), f('RatecodeID', 'float64'), f('PULocationID', 'int32', true), f('DOLocationID', 'int32', true),
  f('passenger_count', 'float64'), f('trip_distance', 'float64', true), f('fare_amount', 'float64', true),
  ...money('extra', 'mta_tax', 'tip_amount', 'tolls_amount', 'ehail_fee', 'improvement_surcharge'),
  f('total_amount', 'float64', true), f('payment_type', 'float64'), f('trip_type', 'float64'),
  ...money('congestion_surcharge', 'cbd_congestion_fee'),
];

const YELLOW: CanonicalField[] = [
  f('VendorID', 'int32', true), f('tpep_pickup_datetime', 'timestamp_us', true), f('tpep_dropoff_datetime', 'timestamp_us', true),
  f('passenger_count', 'int64'), f('trip_distance', 'float64', true), f('RatecodeID', 'int64'), f('store_and_fwd_flag', 'utf8'),
  f('PULocationID', 'int32', true), f('DOLocationID', 'int32', true), f('payment_type', 'int64'), f('fare_amount', 'float64', true),
  ...money('extra', 'mta_tax', 'tip_amount', 'tolls_amount', 'improvement_surcharge'), f('total_amount', 'float64', true),
  ...money('congestion_surcharge'), f('Airport_fee', 'float64'), f('cbd_congestion_fee', 'float64'),
];

const FHV: CanonicalField[] = [
  f('dispatching_base_num', 'utf8', true), f('pickup_datetime', 'timestamp_us', true), f('dropOff_datetime', 'timestamp_us', true),
  f('PUlocationID', 'int32'), f('DOlocationID', 'int32'), f('SR_Flag', 'int32'), f('Affiliated_base_number', 'utf8'),
];

const FHVHV: CanonicalField[] = [
  f('hvfhs_license_num', 'utf8', true), f('dispatching_base_num', 'utf8'), f('originating_base_num', 'utf8'),
  f('request_datetime', 'timestamp_us'), f('on_scene_datetime', 'timestamp_us'), f('pickup_datetime', 'timestamp_us', true),
  f('dropoff_datetime', 'timestamp_us', true), f('PULocationID', 'int32', true), f('DOLocationID', 'int32', true),
  f('trip_miles', 'float64', true), f('trip_time', 'int64'), f('base_passenger_fare', 'float64', true),
  ...money('tolls', 'bcf', 'sales_tax', 'congestion_surcharge', 'airport_fee', 'tips', 'driver_pay'),
  f('shared_request_flag', 'utf8'), f('shared_match_flag', 'utf8'), f('access_a_ride_flag', 'utf8'),
  f('wav_request_flag', 'utf8'), f('wav_match_flag', 'utf8'), f('cbd_congestion_fee', 'float64'),
];

export function arrowType(type: FieldType): DataType {
  switch (type) {
    case 'int32': return new Int32();
    case 'int64': return new Int64();
    case 'float64': return new Float64();
    case 'utf8': return new Utf8();
    case 'timestamp_us': return new TimestampMicrosecond();
  }
}

function build(service: Service, fields: CanonicalField[], pickup: string, dropoff: string, puLocation: string, doLocation: string): CanonicalSchema {
  const version = 1;
  const arrow = new Schema(fields.map((field) => new Field(field.name, arrowType(field.type), true)));
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ service, version, fields: fields.map((field) => [field.name, field.type]) }))
    .digest('hex').slice(0, 16);
  return Object.freeze({
    service, version, pickupColumn: pickup, dropoffColumn: dropoff, pickupLocationColumn: puLocation,
    dropoffLocationColumn: doLocation, fields: Object.freeze(fields), arrow, fingerprint,
  });
}

export const CANONICAL_SCHEMAS: Readonly<Record<Service, CanonicalSchema>> = Object.freeze({
  green: build('green', GREEN, 'lpep_pickup_datetime', 'lpep_dropoff_datetime', 'PULocationID', 'DOLocationID'),
  yellow: build('yellow', YELLOW, 'tpep_pickup_datetime', 'tpep_dropoff_datetime', 'PULocationID', 'DOLocationID'),
  fhv: build('fhv', FHV, 'pickup_datetime', 'dropOff_datetime', 'PUlocationID', 'DOlocationID'),
  fhvhv: build('fhvhv', FHVHV, 'pickup_datetime', 'dropoff_datetime', 'PULocationID', 'DOLocationID'),
});

export function canonicalSchema(service: Service): CanonicalSchema {
  return CANONICAL_SCHEMAS[service];
}
