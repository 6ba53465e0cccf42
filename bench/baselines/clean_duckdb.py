"""Baseline: libs/transform's cleaning transform in DuckDB (Python), one month file to Parquet.

Usage: python clean_duckdb.py SPEC.json (see clean_spec.py). The month is read with
read_parquet, each row gets its reject reason (the first failing check, as transform.ts), the
kept rows are derived, enriched with the zone lookup and written as ZSTD Parquet; the rejected
rows are counted by reason. DuckDB uses every core. Prints one JSON line (clean_spec.report).

With the spec's `embedded` part, it does the whole of `taxi run`'s job, as DuckDB would do it
natively: the kept rows also go into a new table of the warehouse's schema (the adapter's own
CREATE TABLE) in a database file, which is checkpointed before the time stops, and the rejected
rows go with their reason and source row to a JSON-lines file (taxi run's dead letters).
"""

import os
import sys
import time

import duckdb

from clean_spec import CHECKS, Spec, report

SQL_TYPES = {"STRING": "VARCHAR", "INT64": "BIGINT", "FLOAT64": "DOUBLE", "TIMESTAMP": "TIMESTAMP", "DATE": "DATE"}


def q(name):
    return '"' + name.replace('"', '""') + '"'


def lit(text):
    return "'" + text.replace("'", "''") + "'"


def reason_sql(spec, max_id):
    c = spec.columns
    pickup, dropoff = f"epoch_us({q(c['pickup'])})", f"epoch_us({q(c['dropoff'])})"
    seconds = f"(({dropoff} - {pickup}) / 1e6)"
    locations = []
    for key in ("puLocation", "doLocation"):
        loc = q(c[key])
        missing = "" if c["nullLocationAllowed"] else f"{loc} IS NULL OR "
        locations.append(f"{missing}{loc} < 1 OR {loc} > {max_id}")
    distance = f"coalesce({q(c['distance'])}, 0)"
    checks = {
        "missing_timestamp": f"{q(c['pickup'])} IS NULL OR {q(c['dropoff'])} IS NULL",
        "pickup_outside_month": f"{pickup} < {spec.month_start_us} OR {pickup} >= {spec.month_end_us}",
        "dropoff_before_pickup": f"{dropoff} < {pickup}",
        "zero_duration": f"{dropoff} = {pickup}",
        "absurd_duration": f"{seconds} > {spec.max_duration_s}",
        "bad_location": " OR ".join(f"({x})" for x in locations),
        "negative_amount": " OR ".join(f"{q(m)} < 0" for m in c["money"]) or "false",
        "zero_distance": f"{distance} <= 0",
        "absurd_distance": f"{distance} > {spec.max_distance_miles}",
        "absurd_speed": f"{distance} / ({seconds} / 3600) > {spec.max_speed_mph}",
    }
    whens = " ".join(f"WHEN {checks[r]} THEN {lit(r)}" for r in CHECKS)
    return f"CASE {whens} END"


def output_sql(spec, present):
    c = spec.columns
    pickup_us = f"epoch_us({q(c['pickup'])})"
    seconds = f"((epoch_us({q(c['dropoff'])}) - {pickup_us}) / 1e6)"
    distance, tip, fare, total = (q(c[k]) for k in ("distance", "tip", "fare", "total"))
    computed = {
        "trip_id": f"{lit(spec.service + '/' + spec.month + '/')} || file_row_number",
        "service": lit(spec.service),
        "source_month": lit(spec.month),
        # TLC timestamps are naive (New York wall clock stored as UTC), so these are transform.ts's
        # floor(us / day) and floor(us % day / hour).
        "pickup_date": f"CAST({q(c['pickup'])} AS DATE)",
        "pickup_hour": f"hour({q(c['pickup'])})",
        "pickup_borough": "pz.Borough", "pickup_zone": "pz.Zone", "dropoff_borough": "dz.Borough", "dropoff_zone": "dz.Zone",
        "duration_s": f"CAST(trunc({seconds}) AS BIGINT)",
        "avg_speed_mph": f"CASE WHEN {distance} IS NOT NULL AND {seconds} > 0 THEN {distance} / ({seconds} / 3600) END",
        "tip_pct": f"CASE WHEN {tip} IS NOT NULL AND {fare} > 0 THEN {tip} / {fare} * 100 END",
        "Total_squared": f"{total} * {total}",
        "Load_dt": f"make_timestamp({spec.load_dt_us})",
    }
    out = []
    for field in spec.fields:
        name, sql_type = field["name"], SQL_TYPES[field["type"]]
        if name in computed:
            expr = computed[name]
        else:
            source = spec.source_of(name)
            expr = q(source) if source is not None and source in present else "NULL"
        out.append(f"CAST({expr} AS {sql_type}) AS {q(name)}")
    return ", ".join(out)


def main():
    spec = Spec(sys.argv[1])
    embedded = spec.embedded
    started = time.perf_counter()
    if embedded:
        con = duckdb.connect(embedded["database"], config={"storage_compatibility_version": embedded["storageVersion"]})
    else:
        con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE zones AS SELECT CAST(LocationID AS INTEGER) AS LocationID, Borough, Zone FROM read_csv({lit(spec.zones_csv)}, header = true, all_varchar = true)")
    max_id = con.execute("SELECT max(LocationID) FROM zones").fetchone()[0]
    present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(spec.source)})").fetchall()}
    c = spec.columns
    con.execute(f"CREATE TEMP VIEW classified AS SELECT *, {reason_sql(spec, max_id)} AS reject_reason FROM read_parquet({lit(spec.source)}, file_row_number = true)")
    kept_rows = (
        f"SELECT {output_sql(spec, present)} FROM classified "
        f"LEFT JOIN zones pz ON pz.LocationID = classified.{q(c['puLocation'])} "
        f"LEFT JOIN zones dz ON dz.LocationID = classified.{q(c['doLocation'])} "
        f"WHERE reject_reason IS NULL")
    parquet = f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {spec.row_group_rows})"
    if embedded:
        table = q(embedded["table"])
        con.execute(embedded["createTable"])
        con.execute(f"INSERT INTO {table} {kept_rows}")
        con.execute(f"COPY {table} TO {lit(spec.output)} {parquet}")
        con.execute(
            f"COPY (SELECT reject_reason AS reason, file_row_number AS row, * EXCLUDE (reject_reason, file_row_number) "
            f"FROM classified WHERE reject_reason IS NOT NULL) TO {lit(embedded['deadLetters'])} (FORMAT json)")
    else:
        con.execute(f"COPY ({kept_rows}) TO {lit(spec.output)} {parquet}")
    counts = dict(con.execute("SELECT coalesce(reject_reason, ''), count(*) FROM classified GROUP BY ALL").fetchall())
    kept = counts.pop("", 0)
    if embedded:
        stored = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if stored != kept:
            sys.exit(f"clean_duckdb: the table holds {stored} rows, {kept} were kept")
        con.execute("CHECKPOINT")
    con.close()
    report("duckdb-embedded" if embedded else "duckdb", duckdb.__version__, started, kept + sum(counts.values()), kept, counts, os.path.getsize(spec.output))


if __name__ == "__main__":
    main()
