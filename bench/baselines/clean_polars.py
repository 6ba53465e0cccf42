"""Baseline: libs/transform's cleaning transform in Polars (lazy), one month file to Parquet.

Usage: python clean_polars.py SPEC.json (see clean_spec.py). The same steps as clean_duckdb.py:
scan_parquet, a reject reason per row (the first failing check, as transform.ts), the kept rows
derived, joined to the zone lookup and sunk to ZSTD Parquet; the rejected rows counted by reason.
Polars uses every core. Prints one JSON line (clean_spec.report).
"""

import os
import sys
import time

import polars as pl

from clean_spec import CHECKS, Spec, report

POLARS_TYPES = {"STRING": pl.String, "INT64": pl.Int64, "FLOAT64": pl.Float64, "TIMESTAMP": pl.Datetime("us"), "DATE": pl.Date}


def reason_expr(spec, max_id):
    c = spec.columns
    pickup, dropoff = pl.col(c["pickup"]).dt.epoch("us"), pl.col(c["dropoff"]).dt.epoch("us")
    seconds = (dropoff - pickup) / 1e6
    locations = []
    for key in ("puLocation", "doLocation"):
        loc = pl.col(c[key])
        out_of_range = (loc < 1) | (loc > max_id)
        locations.append(out_of_range if c["nullLocationAllowed"] else loc.is_null() | out_of_range)
    distance = pl.col(c["distance"]).fill_null(0)
    negative = pl.lit(False)
    for m in c["money"]:
        negative = negative | (pl.col(m) < 0)
    checks = {
        "missing_timestamp": pl.col(c["pickup"]).is_null() | pl.col(c["dropoff"]).is_null(),
        "pickup_outside_month": (pickup < spec.month_start_us) | (pickup >= spec.month_end_us),
        "dropoff_before_pickup": dropoff < pickup,
        "zero_duration": dropoff == pickup,
        "absurd_duration": seconds > spec.max_duration_s,
        "bad_location": locations[0] | locations[1],
        "negative_amount": negative,
        "zero_distance": distance <= 0,
        "absurd_distance": distance > spec.max_distance_miles,
        "absurd_speed": distance / (seconds / 3600) > spec.max_speed_mph,
    }
    first, *rest = CHECKS
    expr = pl.when(checks[first]).then(pl.lit(first))
    for reason in rest:
        expr = expr.when(checks[reason]).then(pl.lit(reason))
    return expr.otherwise(pl.lit(None, dtype=pl.String))


def outputs(spec, present):
    c = spec.columns
    pickup = pl.col(c["pickup"])
    seconds = (pl.col(c["dropoff"]).dt.epoch("us") - pickup.dt.epoch("us")) / 1e6
    distance, tip, fare, total = (pl.col(c[k]) for k in ("distance", "tip", "fare", "total"))
    computed = {
        "trip_id": pl.lit(f"{spec.service}/{spec.month}/") + pl.col("row_index").cast(pl.String),
        "service": pl.lit(spec.service),
        "source_month": pl.lit(spec.month),
        # TLC timestamps are naive (New York wall clock stored as UTC): transform.ts's
        # floor(us / day) and floor(us % day / hour).
        "pickup_date": pickup.dt.date(),
        "pickup_hour": pickup.dt.hour(),
        "pickup_borough": pl.col("pickup_borough"), "pickup_zone": pl.col("pickup_zone"),
        "dropoff_borough": pl.col("dropoff_borough"), "dropoff_zone": pl.col("dropoff_zone"),
        "duration_s": seconds.floor(),
        "avg_speed_mph": pl.when(distance.is_not_null() & (seconds > 0)).then(distance / (seconds / 3600)),
        "tip_pct": pl.when(tip.is_not_null() & (fare > 0)).then(tip / fare * 100),
        "Total_squared": total * total,
        "Load_dt": pl.lit(spec.load_dt_us).cast(pl.Datetime("us")),
    }
    exprs = []
    for field in spec.fields:
        name = field["name"]
        if name in computed:
            expr = computed[name]
        else:
            source = spec.source_of(name)
            expr = pl.col(source) if source is not None and source in present else pl.lit(None)
        exprs.append(expr.cast(POLARS_TYPES[field["type"]]).alias(name))
    return exprs


def zone_names(zones, key, prefix):
    return zones.select(pl.col("LocationID").alias(key), pl.col("Borough").alias(f"{prefix}_borough"), pl.col("Zone").alias(f"{prefix}_zone"))


def main():
    spec = Spec(sys.argv[1])
    started = time.perf_counter()
    c = spec.columns
    zones = pl.read_csv(spec.zones_csv, infer_schema=False).with_columns(pl.col("LocationID").cast(pl.Int64))
    max_id = zones["LocationID"].max()
    source = pl.scan_parquet(spec.source)
    present = set(source.collect_schema().names())
    classified = (source.with_row_index("row_index")
                  .with_columns(pl.col(c["puLocation"]).cast(pl.Int64), pl.col(c["doLocation"]).cast(pl.Int64))
                  .with_columns(reason_expr(spec, max_id).alias("reject_reason")))
    zones = zones.lazy()
    kept = (classified.filter(pl.col("reject_reason").is_null())
            .join(zone_names(zones, c["puLocation"], "pickup"), on=c["puLocation"], how="left", maintain_order="left")
            .join(zone_names(zones, c["doLocation"], "dropoff"), on=c["doLocation"], how="left", maintain_order="left")
            .select(outputs(spec, present)))
    kept.sink_parquet(spec.output, compression="zstd", row_group_size=spec.row_group_rows)
    counts = dict(classified.group_by("reject_reason").len().collect().iter_rows())
    kept_rows = counts.pop(None, 0)
    report("polars", pl.__version__, started, kept_rows + sum(counts.values()), kept_rows, counts, os.path.getsize(spec.output))


if __name__ == "__main__":
    main()
