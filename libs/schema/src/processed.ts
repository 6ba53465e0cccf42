import { createHash } from 'node:crypto';
import { Date_, DateUnit, Field, Float64, Int64, Schema, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import type { DataType } from 'apache-arrow';

/** Column types of the processed table, named as BigQuery names them. */
export type ProcessedType = 'STRING' | 'INT64' | 'FLOAT64' | 'TIMESTAMP' | 'DATE';

export interface ProcessedField {
  readonly name: string;
  readonly type: ProcessedType;
  readonly mode: 'REQUIRED' | 'NULLABLE';
  readonly description: string;
}

const f = (name: string, type: ProcessedType, mode: ProcessedField['mode'], description: string): ProcessedField => ({ name, type, mode, description });

/**
 * The processed trip table: one schema for every service, written to Parquet, BigQuery and the
 * embedded warehouse alike. TLC column names are kept where dashboards use them (VendorID,
 * PULocationID, total_amount, ...); the timestamps take one name across services; the old flow's
 * `Load_dt` and `Total_squared` stay. New columns are added at the end and NULLABLE only (BigQuery
 * schema evolution). terraform/modules/bigquery is generated from this list (npm run gen:schema).
 */
export const PROCESSED_FIELDS: readonly ProcessedField[] = Object.freeze([
  f('trip_id', 'STRING', 'REQUIRED', 'deterministic id: <service>/<YYYY-MM>/<row index in the source file>'),
  f('service', 'STRING', 'REQUIRED', 'yellow, green, fhv or fhvhv'),
  f('source_month', 'STRING', 'REQUIRED', 'the month file the trip came from, YYYY-MM'),
  f('VendorID', 'INT64', 'NULLABLE', 'TPEP/LPEP provider (yellow, green)'),
  f('pickup_datetime', 'TIMESTAMP', 'REQUIRED', 'pickup time, New York local time stored as UTC wall clock (as the TLC records it)'),
  f('dropoff_datetime', 'TIMESTAMP', 'REQUIRED', 'dropoff time, same convention'),
  f('pickup_date', 'DATE', 'REQUIRED', 'date of pickup_datetime; the table is partitioned by it'),
  f('pickup_hour', 'INT64', 'REQUIRED', 'hour of day of pickup_datetime, 0-23'),
  f('PULocationID', 'INT64', 'NULLABLE', 'TLC taxi zone of pickup'),
  f('DOLocationID', 'INT64', 'NULLABLE', 'TLC taxi zone of dropoff'),
  f('pickup_borough', 'STRING', 'NULLABLE', 'borough of PULocationID (taxi zone lookup)'),
  f('pickup_zone', 'STRING', 'NULLABLE', 'zone of PULocationID; the table is clustered by it'),
  f('dropoff_borough', 'STRING', 'NULLABLE', 'borough of DOLocationID'),
  f('dropoff_zone', 'STRING', 'NULLABLE', 'zone of DOLocationID'),
  f('passenger_count', 'INT64', 'NULLABLE', 'passengers, as entered by the driver'),
  f('trip_distance', 'FLOAT64', 'NULLABLE', 'miles (trip_miles for fhvhv)'),
  f('RatecodeID', 'INT64', 'NULLABLE', 'rate code in effect at the end of the trip'),
  f('store_and_fwd_flag', 'STRING', 'NULLABLE', 'Y when the record was held in the vehicle before sending'),
  f('payment_type', 'INT64', 'NULLABLE', '1 credit card, 2 cash, 3 no charge, 4 dispute, 5 unknown, 6 voided'),
  f('trip_type', 'INT64', 'NULLABLE', 'green only: 1 street-hail, 2 dispatch'),
  f('fare_amount', 'FLOAT64', 'NULLABLE', 'time-and-distance fare, USD (base_passenger_fare for fhvhv)'),
  f('extra', 'FLOAT64', 'NULLABLE', 'extras and surcharges, USD'),
  f('mta_tax', 'FLOAT64', 'NULLABLE', 'USD'),
  f('tip_amount', 'FLOAT64', 'NULLABLE', 'USD (tips for fhvhv)'),
  f('tolls_amount', 'FLOAT64', 'NULLABLE', 'USD (tolls for fhvhv)'),
  f('improvement_surcharge', 'FLOAT64', 'NULLABLE', 'USD'),
  f('congestion_surcharge', 'FLOAT64', 'NULLABLE', 'USD'),
  f('airport_fee', 'FLOAT64', 'NULLABLE', 'USD (Airport_fee in yellow files)'),
  f('cbd_congestion_fee', 'FLOAT64', 'NULLABLE', 'USD, from 2025'),
  f('total_amount', 'FLOAT64', 'NULLABLE', 'USD, as recorded (for fhvhv: the sum of the fare parts)'),
  f('duration_s', 'INT64', 'REQUIRED', 'dropoff minus pickup, seconds'),
  f('avg_speed_mph', 'FLOAT64', 'NULLABLE', 'trip_distance / duration, miles per hour'),
  f('tip_pct', 'FLOAT64', 'NULLABLE', 'tip_amount / fare_amount x 100, when fare_amount > 0'),
  f('Total_squared', 'FLOAT64', 'NULLABLE', 'total_amount squared: kept from the old flow for its dashboards'),
  f('Load_dt', 'TIMESTAMP', 'REQUIRED', 'when the month was ingested (the old flow\'s load time; the same on replay)'),
]);

function arrowType(type: ProcessedType): DataType {
  switch (type) {
    case 'STRING': return new Utf8();
    case 'INT64': return new Int64();
    case 'FLOAT64': return new Float64();
    case 'TIMESTAMP': return new TimestampMicrosecond();
    case 'DATE': return new Date_(DateUnit.DAY);
  }
}

/** The Arrow schema of processed batches (DATE as days, TIMESTAMP as microseconds). */
export const PROCESSED_ARROW_SCHEMA = new Schema(PROCESSED_FIELDS.map((field) => new Field(field.name, arrowType(field.type), field.mode === 'NULLABLE')));

/** The BigQuery table schema (the `fields` of tables.insert), as terraform and the adapter use it. */
export function bigQuerySchema(): { name: string; type: ProcessedType; mode: ProcessedField['mode']; description: string }[] {
  return PROCESSED_FIELDS.map((field) => ({ name: field.name, type: field.type, mode: field.mode, description: field.description }));
}

/**
 * Columns whose values are mostly distinct within a file: the per-row id, the two timestamps
 * (microseconds), and two ratios of measured values. Written to Parquet without dictionary
 * encoding, which arrow-rs would build and then abandon, or keep larger than the plain values.
 * On the bench month the id and timestamps made the arrow-rs encode about 10% faster and the files
 * 9% smaller. In a file of that month's 128,508 rows, avg_speed_mph had 119,752 distinct values
 * and tip_pct 63,948: plain, the encoder's thread took 2.27-2.32 s of CPU against 2.40-2.44 s, and
 * the two columns 35.1 MB against 41.9 MB (the files 129.6 MB against 136.4 MB; by hand, 2 runs).
 */
export const PROCESSED_DISTINCT_COLUMNS: readonly string[] = Object.freeze(['trip_id', 'pickup_datetime', 'dropoff_datetime', 'avg_speed_mph', 'tip_pct']);

export const PROCESSED_PARTITION_FIELD = 'pickup_date';
export const PROCESSED_CLUSTER_FIELDS = ['pickup_zone'] as const;

/** sha256 (16 hex) of names, types and modes: written into Parquet metadata and checked by sinks. */
export const PROCESSED_FINGERPRINT = createHash('sha256')
  .update(JSON.stringify(PROCESSED_FIELDS.map((field) => [field.name, field.type, field.mode]))).digest('hex').slice(0, 16);

