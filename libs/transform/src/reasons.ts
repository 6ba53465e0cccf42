/**
 * Why a row is rejected. One reason per row: the first check that fails, in this order. These are
 * metric labels (taxi_processor_rows_rejected_total{reason}) and DLQ reason codes: never renamed.
 */
export const REJECT_REASONS = [
  'missing_timestamp',      // pickup or dropoff time is null
  'pickup_outside_month',   // pickup not within the month the file is for
  'dropoff_before_pickup',  // dropoff earlier than pickup
  'zero_duration',          // dropoff equals pickup
  'absurd_duration',        // longer than 24 hours
  'bad_location',           // pickup or dropoff LocationID missing or not in the zone lookup
  'negative_amount',        // a fare, tip, toll, surcharge or total below zero
  'zero_distance',          // trip distance zero or less (services that record distance)
  'absurd_distance',        // more than 500 miles
  'absurd_speed',           // average speed above 120 mph
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

export const MAX_DURATION_S = 24 * 3600;
export const MAX_DISTANCE_MILES = 500;
export const MAX_SPEED_MPH = 120;
