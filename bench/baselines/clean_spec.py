"""The cleaning transform of libs/transform (transform.ts, reasons.ts, service-map.ts), as data
the DuckDB and Polars baselines build their queries from.

The harness (bench/lib/baselines.ts) writes a JSON spec from the TypeScript constants themselves:
the service's column map (SERVICE_COLUMNS), the reject reasons in order (REJECT_REASONS), the
limits (MAX_DURATION_S, MAX_DISTANCE_MILES, MAX_SPEED_MPH), the processed fields (PROCESSED_FIELDS)
and the zone lookup CSV. What stays written out here, mirroring transform.ts, is which check
gives which reason (CHECKS, the order of check()) and where each processed column comes from
(FROM_COLUMN, as buildOutput() reads it). A reason added on the TypeScript side without a check
here stops the baseline with an error rather than letting it count rows differently.
"""

import json
import sys
import time

# check() in transform.ts, in its order: the first failing check is the row's reason.
CHECKS = (
    "missing_timestamp",
    "pickup_outside_month",
    "dropoff_before_pickup",
    "zero_duration",
    "absurd_duration",
    "bad_location",
    "negative_amount",
    "zero_distance",
    "absurd_distance",
    "absurd_speed",
)

# buildOutput() in transform.ts: processed column <- ServiceColumns key (a source column, or null).
FROM_COLUMN = {
    "VendorID": "vendor",
    "pickup_datetime": "pickup",
    "dropoff_datetime": "dropoff",
    "PULocationID": "puLocation",
    "DOLocationID": "doLocation",
    "passenger_count": "passengers",
    "trip_distance": "distance",
    "RatecodeID": "ratecode",
    "store_and_fwd_flag": "storeAndFwd",
    "payment_type": "paymentType",
    "trip_type": "tripType",
    "fare_amount": "fare",
    "extra": "extra",
    "mta_tax": "mtaTax",
    "tip_amount": "tip",
    "tolls_amount": "tolls",
    "improvement_surcharge": "improvement",
    "congestion_surcharge": "congestion",
    "airport_fee": "airport",
    "cbd_congestion_fee": "cbd",
    "total_amount": "total",
}

# Processed columns computed rather than copied (transform.ts computes them the same way).
COMPUTED = {
    "trip_id", "service", "source_month", "pickup_date", "pickup_hour", "pickup_borough", "pickup_zone",
    "dropoff_borough", "dropoff_zone", "duration_s", "avg_speed_mph", "tip_pct", "Total_squared", "Load_dt",
}



class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        self.source = raw["source"]
        self.output = raw["output"]
        self.service = raw["service"]
        self.month = raw["month"]
        self.month_start_us = raw["monthStartMicros"]
        self.month_end_us = raw["monthEndMicros"]
        self.load_dt_us = raw["loadDtMicros"]
        self.zones_csv = raw["zonesCsv"]
        self.columns = raw["columns"]
        self.fields = raw["fields"]
        self.max_duration_s = raw["limits"]["maxDurationS"]
        self.max_distance_miles = raw["limits"]["maxDistanceMiles"]
        self.max_speed_mph = raw["limits"]["maxSpeedMph"]
        self.row_group_rows = raw["rowGroupRows"]
        # clean_duckdb.py's embedded mode (taxi run's whole job): database, createTable, table,
        # storageVersion, deadLetters; None for the cleaning alone.
        self.embedded = raw.get("embedded")
        if tuple(raw["reasons"]) != CHECKS:
            sys.exit(f"clean_spec: the reject reasons changed in reasons.ts ({raw['reasons']}); update CHECKS in {__file__}")
        if self.columns.get("total") is None or self.columns.get("distance") is None:
            sys.exit(f"clean_spec: the baselines implement services with a recorded total and distance, not {self.service}")
        for field in self.fields:
            if field["name"] not in FROM_COLUMN and field["name"] not in COMPUTED:
                sys.exit(f"clean_spec: processed column {field['name']} is new in PROCESSED_FIELDS; teach the baselines where it comes from")

    def source_of(self, field_name):
        """The source column a copied processed column comes from, or None (null in the output)."""
        return self.columns.get(FROM_COLUMN[field_name])


def report(engine, version, started, rows_in, rows_kept, rejected, output_bytes):
    """The one JSON line the harness reads; seconds are the work after imports and set-up."""
    print(json.dumps({
        "engine": engine, "version": version, "seconds": time.perf_counter() - started,
        "rowsIn": rows_in, "rowsKept": rows_kept, "rejected": rejected, "outputBytes": output_bytes,
    }))
