"""Baseline: the old flow's Pandas job (the Prefect flow this project replaces), on one month file.

Usage: python old_pandas_job.py SPEC.json (see clean_spec.py; only source, output and totalSquared
are read).
What it did: read the month with pandas.read_parquet, add Load_dt (the load time) and
Total_squared (total_amount squared, by a list comprehension over the column: the team's record
of the old flow, shared/notes/parquet-perf.md, says so), write it back with DataFrame.to_parquet,
Pandas' defaults (pyarrow engine, Snappy). It validates nothing, derives nothing else and enriches
nothing: every row is kept. Prints one JSON line (clean_spec.report).

The spec's "totalSquared" picks how Total_squared is computed: "comprehension" (the default, the
old job as it ran) or "vectorised" (`total_amount ** 2`, what the job would be with that one line
mended). The harness runs both: the first is the target's baseline, the second shows how much of
the old job's time was that line.
"""

import json
import os
import sys
import time
from datetime import datetime

import pandas as pd

from clean_spec import report


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    how = spec.get("totalSquared", "comprehension")
    if how not in ("comprehension", "vectorised"):
        raise SystemExit(f"old_pandas_job.py: the spec's totalSquared must be comprehension or vectorised, got {how!r}")
    started = time.perf_counter()
    df = pd.read_parquet(spec["source"])
    df["Load_dt"] = datetime.now()
    if how == "comprehension":
        df["Total_squared"] = [x ** 2 for x in df["total_amount"]]
    else:
        df["Total_squared"] = df["total_amount"] ** 2
    df.to_parquet(spec["output"])
    report("pandas" if how == "comprehension" else "pandas-vectorised", pd.__version__, started, len(df), len(df), {}, os.path.getsize(spec["output"]))


if __name__ == "__main__":
    main()
