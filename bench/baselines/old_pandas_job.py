"""Baseline: the old flow's Pandas job (the Prefect flow this project replaces), on one month file.

Usage: python old_pandas_job.py SPEC.json (see clean_spec.py; only source and output are read).
What it did: read the month with pandas.read_parquet, add Load_dt (the load time) and
Total_squared (total_amount squared), write it back with DataFrame.to_parquet, Pandas' defaults
(pyarrow engine, Snappy). It validates nothing, derives nothing else and enriches nothing: every
row is kept. Prints one JSON line (clean_spec.report).
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
    started = time.perf_counter()
    df = pd.read_parquet(spec["source"])
    df["Load_dt"] = datetime.now()
    df["Total_squared"] = df["total_amount"] ** 2
    df.to_parquet(spec["output"])
    report("pandas", pd.__version__, started, len(df), len(df), {}, os.path.getsize(spec["output"]))


if __name__ == "__main__":
    main()
