import type { Service } from '../../schema/src/month.js';

/**
 * Where each processed column comes from in a service's canonical schema (libs/schema canonical.ts).
 * `undefined`: the service does not record it (null in the processed table).
 */
export interface ServiceColumns {
  readonly vendor?: string;
  readonly pickup: string;
  readonly dropoff: string;
  readonly puLocation: string;
  readonly doLocation: string;
  readonly passengers?: string;
  readonly distance?: string;
  readonly ratecode?: string;
  readonly storeAndFwd?: string;
  readonly paymentType?: string;
  readonly tripType?: string;
  readonly fare?: string;
  readonly extra?: string;
  readonly mtaTax?: string;
  readonly tip?: string;
  readonly tolls?: string;
  readonly improvement?: string;
  readonly congestion?: string;
  readonly airport?: string;
  readonly cbd?: string;
  /** The recorded total; without it, the total is the sum of `totalParts`. */
  readonly total?: string;
  readonly totalParts?: readonly string[];
  /** Money columns checked for negative values. */
  readonly money: readonly string[];
  /** FHV files leave locations empty often: null is allowed there (out-of-range IDs still are not). */
  readonly nullLocationAllowed: boolean;
}

const TAXI_MONEY = ['fare_amount', 'extra', 'mta_tax', 'tip_amount', 'tolls_amount', 'improvement_surcharge', 'congestion_surcharge', 'total_amount'];

const taxi = (pickup: string, dropoff: string, airport: string | undefined, tripType?: string): ServiceColumns => ({
  vendor: 'VendorID', pickup, dropoff, puLocation: 'PULocationID', doLocation: 'DOLocationID', passengers: 'passenger_count',
  distance: 'trip_distance', ratecode: 'RatecodeID', storeAndFwd: 'store_and_fwd_flag', paymentType: 'payment_type',
  ...(tripType ? { tripType } : {}), fare: 'fare_amount', extra: 'extra', mtaTax: 'mta_tax', tip: 'tip_amount', tolls: 'tolls_amount',
  improvement: 'improvement_surcharge', congestion: 'congestion_surcharge', ...(airport ? { airport } : {}), cbd: 'cbd_congestion_fee',
  total: 'total_amount', money: airport ? [...TAXI_MONEY, airport] : TAXI_MONEY, nullLocationAllowed: false,
});

const FHVHV_PARTS = ['base_passenger_fare', 'tolls', 'bcf', 'sales_tax', 'congestion_surcharge', 'airport_fee', 'tips', 'cbd_congestion_fee'];

export const SERVICE_COLUMNS: Readonly<Record<Service, ServiceColumns>> = {
  yellow: taxi('tpep_pickup_datetime', 'tpep_dropoff_datetime', 'Airport_fee'),
  green: taxi('lpep_pickup_datetime', 'lpep_dropoff_datetime', undefined, 'trip_type'),
  fhv: { pickup: 'pickup_datetime', dropoff: 'dropOff_datetime', puLocation: 'PUlocationID', doLocation: 'DOlocationID', money: [], nullLocationAllowed: true },
  fhvhv: {
    pickup: 'pickup_datetime', dropoff: 'dropoff_datetime', puLocation: 'PULocationID', doLocation: 'DOLocationID', distance: 'trip_miles',
    fare: 'base_passenger_fare', tip: 'tips', tolls: 'tolls', congestion: 'congestion_surcharge', airport: 'airport_fee', cbd: 'cbd_congestion_fee',
    totalParts: FHVHV_PARTS, money: FHVHV_PARTS, nullLocationAllowed: false,
  },
};
