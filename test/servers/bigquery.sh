#!/usr/bin/env bash
# BigQuery emulator for the integration tests: bqemulator (PyPI, DuckDB-backed), serving the
# BigQuery REST API on 127.0.0.1:$BQ_PORT and the Storage Read/Write gRPC API (plaintext) on
# 127.0.0.1:$BQ_GRPC_PORT. Chosen because its Storage Write API enforces append offsets on
# COMMITTED streams (ALREADY_EXISTS / OUT_OF_RANGE) and supports PENDING + Finalize +
# BatchCommitWriteStreams, which the exactly-once tests rely on.
#
# Usage: test/servers/bigquery.sh install|start|stop|status|env
# Env:   BQ_PORT (9050)  BQ_GRPC_PORT (9060)  BQ_PROJECT (test)
#        BQ_PYTHON (default: first of python3.11 python3.12 python3.13 python3 that is >= 3.11)
#        BQ_START_TIMEOUT (seconds, 60)
# Files: venv in $TAXI_CACHE_DIR/bigquery/venv-<key>; pid and log in $TAXI_SERVERS_DIR/bigquery/.
# The emulator is ephemeral (in-memory): every start begins with no datasets.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BQ_PORT=${BQ_PORT:-9050}
BQ_GRPC_PORT=${BQ_GRPC_PORT:-9060}
BQ_PROJECT=${BQ_PROJECT:-test}
BQ_START_TIMEOUT=${BQ_START_TIMEOUT:-60}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements=$here/bigquery/requirements.txt
state=$TAXI_SERVERS_DIR/bigquery
pidfile=$state/pid
logfile=$state/emulator.log
# Bump when the install steps below change, so that cached venvs are rebuilt.
recipe=1

pick_python() {
  local candidates=(python3.11 python3.12 python3.13 python3) py
  if [ -n "${BQ_PYTHON:-}" ]; then candidates=("$BQ_PYTHON"); fi
  for py in "${candidates[@]}"; do
    if command -v "$py" >/dev/null 2>&1 &&
      "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      "$py" -c 'import sys; print(sys.executable)'; return 0
    fi
  done
  return 1
}

# Sets python, venv, stamp, duckdb_home. The venv is keyed by the pins, the interpreter and the
# recipe: changing any of them gives a fresh venv.
resolve_venv() {
  python=$(pick_python) || die "bigquery: needs Python >= 3.11 (set BQ_PYTHON)"
  local key
  key=$( { cat "$requirements"; "$python" -c 'import sys; print(sys.version)'; echo "recipe=$recipe"; } |
    sha256sum | cut -c1-12)
  venv=$TAXI_CACHE_DIR/bigquery/venv-$key
  stamp=$venv/.installed
  # DuckDB looks for extensions under $HOME/.duckdb/extensions. The emulator runs with HOME set to
  # this directory, where install puts the spatial extension from its wheel (no download at boot).
  duckdb_home=$venv/duckdb-home
}

health_url="http://127.0.0.1:$BQ_PORT/healthz"
healthy() { curl -fsS -m 2 "$health_url" 2>/dev/null | grep -q '"status":"ok"'; }
ready() { healthy && port_open "$BQ_GRPC_PORT"; }

cmd_install() {
  resolve_venv
  if [ -f "$stamp" ]; then log "bigquery: already installed ($venv)"; return 0; fi
  # One installer at a time per cache dir (parallel test runs share it); re-check once locked.
  mkdir -p "$TAXI_CACHE_DIR/bigquery"
  exec 9>"$TAXI_CACHE_DIR/bigquery/.install.lock"
  flock 9
  if [ -f "$stamp" ]; then log "bigquery: already installed ($venv)"; exec 9>&-; return 0; fi
  command -v curl >/dev/null 2>&1 || die "bigquery: curl is needed for the readiness check"
  local t0; t0=$(now_ms)
  log "bigquery: installing bqemulator into $venv with $python"
  rm -rf "$TAXI_CACHE_DIR"/bigquery/venv-*  # stale venvs of other pins, and a half-built one
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --no-input --disable-pip-version-check \
    --quiet -r "$requirements"
  mkdir -p "$duckdb_home"
  # Install DuckDB's spatial extension from the duckdb-extension-spatial wheel, then load it once.
  HOME=$duckdb_home "$venv/bin/python" - <<'PY'
import os
import duckdb
import duckdb_extension_spatial

path = os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions",
                    "v" + duckdb.__version__, "spatial.duckdb_extension")
if not os.path.isfile(path):
    raise SystemExit(f"spatial extension for duckdb {duckdb.__version__} not found at {path}")
con = duckdb.connect()
con.execute(f"INSTALL '{path}'")
con.execute("LOAD spatial")
PY
  "$venv/bin/bqemulator" --version >/dev/null
  touch "$stamp"
  exec 9>&-
  log "bigquery: installed in $(( $(now_ms) - t0 )) ms"
}

# wait_ready T0_MS: waits for the emulator in $pidfile to answer on both ports; prints the startup time.
wait_ready() {
  local t0=$1 deadline=$(( $(date +%s) + BQ_START_TIMEOUT ))
  until ready; do
    if ! pid_alive "$pidfile"; then
      rm -f "$pidfile"; tail -n 20 "$logfile" >&2 || true
      die "bigquery: emulator exited during startup (log: $logfile)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 20 "$logfile" >&2 || true
      stop_pidfile bigquery "$pidfile"
      die "bigquery: not ready after $BQ_START_TIMEOUT s (log: $logfile)"
    fi
    sleep 0.2
  done
  log "bigquery: ready in $(( $(now_ms) - t0 )) ms (pid $(cat "$pidfile"); REST 127.0.0.1:$BQ_PORT, gRPC 127.0.0.1:$BQ_GRPC_PORT, project $BQ_PROJECT)"
}

cmd_start() {
  # One start at a time per state dir, so that concurrent calls cannot launch two emulators.
  mkdir -p "$state"
  exec 8>"$state/start.lock"
  flock 8
  if ready; then
    log "bigquery: already answering on 127.0.0.1:$BQ_PORT (gRPC $BQ_GRPC_PORT), leaving it alone"
    return 0
  fi
  if pid_alive "$pidfile"; then  # started by an earlier call and still booting
    log "bigquery: pid $(cat "$pidfile") is starting, waiting for it"
    wait_ready "$(now_ms)"; return 0
  fi
  if port_open "$BQ_PORT"; then die "bigquery: port $BQ_PORT is taken by something that is not the emulator"; fi
  if port_open "$BQ_GRPC_PORT"; then die "bigquery: gRPC port $BQ_GRPC_PORT is already taken"; fi
  cmd_install
  mkdir -p "$state/uploads"
  local t0; t0=$(now_ms)
  # serialized.py: bqemulator's own CLI, with its DuckDB use serialised across threads (a query
  # beside an append deadlocks it otherwise; the file says how that was seen).
  # Avro load/extract would need another DuckDB extension download: off. Tracing off.
  # The emulator handles SIGTERM (stop) with a clean shutdown.
  HOME=$duckdb_home \
    BQEMU_ENABLE_FORMAT_EXTENSIONS=false \
    BQEMU_TRACING_ENABLED=false \
    BQEMU_UPLOAD_STAGING_DIR=$state/uploads \
    "$venv/bin/python" "$here/bigquery/serialized.py" start --ephemeral \
    --rest-host 127.0.0.1 --rest-port "$BQ_PORT" \
    --grpc-host 127.0.0.1 --grpc-port "$BQ_GRPC_PORT" \
    --project "$BQ_PROJECT" --log-level warning --log-format console \
    </dev/null >"$logfile" 2>&1 8>&- &  # 8>&-: the emulator must not hold the start lock
  echo $! >"$pidfile"
  wait_ready "$t0"
}

cmd_stop() { stop_pidfile bigquery "$pidfile"; }

cmd_status() {
  if ready; then
    if pid_alive "$pidfile"; then
      log "bigquery: running (pid $(cat "$pidfile")), REST 127.0.0.1:$BQ_PORT, gRPC 127.0.0.1:$BQ_GRPC_PORT"
    else
      log "bigquery: answering on 127.0.0.1:$BQ_PORT but not started by this project"
    fi
    return 0
  fi
  if pid_alive "$pidfile"; then log "bigquery: pid $(cat "$pidfile") running but not ready"; return 1; fi
  log "bigquery: not running"; return 1
}

cmd_env() {
  echo "BQ_ENDPOINT=http://127.0.0.1:$BQ_PORT"
  echo "BQ_GRPC_ENDPOINT=127.0.0.1:$BQ_GRPC_PORT"
  echo "BQ_PROJECT=$BQ_PROJECT"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) die "usage: $0 install|start|stop|status|env" ;;
esac
