"""Starts bqemulator (its `bqemulator` CLI, same arguments) with its DuckDB use serialised.

bqemulator 1.4.0 shares one DuckDB connection between its REST handlers (on the event loop's
thread) and its Storage Write gRPC handlers (on a thread pool). A query arriving while an append
is being flushed deadlocks the process: seen by py-spy, the event loop in DuckDBEngine.execute
and a gRPC thread in BigQueryWriteHandler._flush_to_target, both waiting, no CPU used, for good.
A loop of `SELECT count(*)` beside a loop of appends wedged it within seconds.

Here the engine's execute and fetch_arrow and the write handler's flush take one re-entrant lock.
A thread waiting for it waits outside DuckDB and without the GIL, so the holder always finishes.
The version check keeps this from silently patching a release it was not written for.
"""

import functools
import sys
import threading

import bqemulator
from bqemulator.cli import main
from bqemulator.grpc_api.write_servicer import BigQueryWriteHandler
from bqemulator.storage.engine import DuckDBEngine

PATCHED_FOR = "1.4.0"
if bqemulator.__version__ != PATCHED_FOR:
    sys.exit(f"serialized.py was written for bqemulator {PATCHED_FOR}, found {bqemulator.__version__}: check the deadlock it works around")

_DUCKDB = threading.RLock()


def _serialised(method):
    @functools.wraps(method)
    def run(*args, **kwargs):
        with _DUCKDB:
            return method(*args, **kwargs)
    return run


DuckDBEngine.execute = _serialised(DuckDBEngine.execute)
DuckDBEngine.fetch_arrow = _serialised(DuckDBEngine.fetch_arrow)
BigQueryWriteHandler._flush_to_target = _serialised(BigQueryWriteHandler._flush_to_target)

if __name__ == "__main__":
    sys.argv[0] = "bqemulator"
    sys.exit(main())
