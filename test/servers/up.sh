#!/usr/bin/env bash
# Installs (cached) and starts the real servers the integration tests use, on 127.0.0.1 only,
# then prints their endpoints. Idempotent: a server that already answers is left as it is.
#   up.sh [--record FILE]   FILE gets the name of each server this call started (tap's after-hook
#                           stops only those, so servers a developer started stay up).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here=$(dirname "${BASH_SOURCE[0]}")
record=""
if [ "${1:-}" = "--record" ]; then record=${2:?--record needs a file}; : > "$record"; fi
servers=(${TAXI_SERVERS:-kafka gcs bigquery})

for s in "${servers[@]}"; do bash "$here/$s.sh" install; done

# Start in parallel: Kafka's JVM start dominates, the emulators start meanwhile.
pids=()
for s in "${servers[@]}"; do
  if bash "$here/$s.sh" status >/dev/null 2>&1; then
    log "$s: already up, leaving it as it is"
  else
    [ -n "$record" ] && echo "$s" >> "$record"
    bash "$here/$s.sh" start & pids+=($!)
  fi
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
if [ "$failed" -ne 0 ]; then die "a server failed to start; logs under $TAXI_SERVERS_DIR/<server>/"; fi

env_file="$TAXI_SERVERS_DIR/endpoints.env"
: > "$env_file"
for s in "${servers[@]}"; do bash "$here/$s.sh" env >> "$env_file"; done
log "endpoints (also in $env_file):"
sed 's/^/  /' "$env_file" >&2
