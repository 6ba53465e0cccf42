#!/usr/bin/env bash
# Stops the servers this project started.
#   down.sh [--recorded FILE]   stop only the servers listed in FILE (written by up.sh --record).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here=$(dirname "${BASH_SOURCE[0]}")
servers=(${TAXI_SERVERS:-kafka gcs bigquery})
if [ "${1:-}" = "--recorded" ]; then
  file=${2:?--recorded needs a file}
  [ -f "$file" ] || exit 0
  mapfile -t servers < "$file"
  rm -f "$file"
fi
for s in "${servers[@]}"; do [ -n "$s" ] && bash "$here/$s.sh" stop; done
exit 0
