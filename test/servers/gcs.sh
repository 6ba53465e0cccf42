#!/usr/bin/env bash
# fsouza/fake-gcs-server (GCS JSON API emulator) for the integration tests.
# Usage: test/servers/gcs.sh install|start|stop|status|env
#   GCS_PORT     port on 127.0.0.1 (default 4443)
#   GCS_BACKEND  memory (default: a restart empties it) or filesystem (kept under $state/data,
#                survives stop/start; `rm -rf` that folder to reset)
# Serves plain HTTP on loopback only. Clients use apiEndpoint=$GCS_ENDPOINT and must NOT have
# STORAGE_EMULATOR_HOST set (it overrides apiEndpoint in @google-cloud/storage).
# Fail-fast client (checked with @google-cloud/storage 8.4): retryOptions { autoRetry: false } or
# { maxRetries: N>=1, maxRetryDelay: 1 }; maxRetries: 0 is ignored (falls back to 3 retries).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GCS_VERSION=v1.56.1
GCS_MODULE=github.com/fsouza/fake-gcs-server
GCS_PORT=${GCS_PORT:-4443}
GCS_BACKEND=${GCS_BACKEND:-memory}
bin_dir=$TAXI_CACHE_DIR/bin
bin=$bin_dir/fake-gcs-server
state=$TAXI_SERVERS_DIR/gcs
pidfile=$state/pid
logfile=$state/server.log
endpoint=http://127.0.0.1:$GCS_PORT

# installed_version: the module version built into $bin (empty when missing or unreadable).
installed_version() {
  [ -x "$bin" ] || return 0
  go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

healthy() { curl -fsS --max-time 2 -o /dev/null "$endpoint/_internal/healthcheck" 2>/dev/null; }

cmd_install() {
  if [ "$(installed_version)" = "$GCS_VERSION" ]; then
    log "gcs: fake-gcs-server $GCS_VERSION already installed ($bin)"; return 0
  fi
  command -v go >/dev/null || die "gcs: go is not on PATH"
  local t0; t0=$(now_ms)
  log "gcs: go install $GCS_MODULE@$GCS_VERSION -> $bin_dir"
  mkdir -p "$bin_dir"
  GOBIN=$bin_dir CGO_ENABLED=0 go install "$GCS_MODULE@$GCS_VERSION"
  [ "$(installed_version)" = "$GCS_VERSION" ] || die "gcs: $bin does not report $GCS_VERSION after install"
  log "gcs: installed in $(( $(now_ms) - t0 )) ms"
}

cmd_start() {
  if healthy; then log "gcs: already answering on $endpoint, leaving it alone"; return 0; fi
  if port_open "$GCS_PORT"; then die "gcs: port $GCS_PORT is taken by something that is not fake-gcs-server"; fi
  [ "$(installed_version)" = "$GCS_VERSION" ] || cmd_install
  mkdir -p "$state"
  local backend_args=(-backend memory)
  case $GCS_BACKEND in
    memory) ;;
    filesystem) mkdir -p "$state/data"; backend_args=(-backend filesystem -filesystem-root "$state/data") ;;
    *) die "gcs: GCS_BACKEND must be memory or filesystem, not '$GCS_BACKEND'" ;;
  esac
  local t0; t0=$(now_ms)
  # setsid + nohup: detached from the caller's terminal and process group, so it outlives this script.
  setsid nohup "$bin" -scheme http -host 127.0.0.1 -port "$GCS_PORT" \
    -external-url "$endpoint" -public-host "127.0.0.1:$GCS_PORT" \
    "${backend_args[@]}" -log-level warn </dev/null >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  if ! wait_until 30 "gcs ready" healthy; then
    tail -n 20 "$logfile" >&2 || true
    stop_pidfile gcs "$pidfile"
    die "gcs: not ready on $endpoint after 30 s (log: $logfile)"
  fi
  log "gcs: ready on $endpoint (backend $GCS_BACKEND, pid $(cat "$pidfile")) in $(( $(now_ms) - t0 )) ms"
}

cmd_stop() { stop_pidfile gcs "$pidfile"; }

cmd_status() {
  if healthy; then
    if pid_alive "$pidfile"; then log "gcs: running on $endpoint (pid $(cat "$pidfile"))"
    else log "gcs: answering on $endpoint (not started by this script)"; fi
    return 0
  fi
  log "gcs: not running on $endpoint"; return 1
}

cmd_env() { echo "GCS_ENDPOINT=$endpoint"; }

case ${1:-} in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
