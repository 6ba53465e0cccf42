# Shared helpers for the test servers' scripts (sourced, not run).
# Contract for each test/servers/<name>.sh: subcommands install | start | stop | status | env.
#   install: idempotent; downloads and builds land in $TAXI_CACHE_DIR so a warm run is fast.
#   start:   idempotent; if the server already answers, says so and leaves it alone; otherwise
#            starts it bound to 127.0.0.1, records its pid in $state/pid, waits until it is ready.
#   stop:    stops only a server this project started (pid file), waits for it to exit.
#   env:     prints KEY=VALUE lines for the endpoints tests read.
set -euo pipefail

SERVERS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TAXI_CACHE_DIR=${TAXI_CACHE_DIR:-$HOME/.cache/taxi-stream}
TAXI_SERVERS_DIR=${TAXI_SERVERS_DIR:-$SERVERS_ROOT/.servers}
mkdir -p "$TAXI_CACHE_DIR" "$TAXI_SERVERS_DIR"

log() { printf '[servers] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }

# wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.25 s until it succeeds or time runs out.
wait_until() {
  local seconds=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then return 1; fi
    sleep 0.25
  done
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive PIDFILE: true when the pid recorded in PIDFILE is a running process.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pidfile NAME PIDFILE: TERM, wait up to 20 s, then KILL; removes the pid file.
stop_pidfile() {
  local name=$1 pidfile=$2
  if ! pid_alive "$pidfile"; then rm -f "$pidfile"; log "$name: not running (started by us)"; return 0; fi
  local pid; pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until 20 "$name exit" bash -c "! kill -0 $pid"; then
    log "$name: still running after 20 s, sending KILL"; kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"; log "$name: stopped"
}
