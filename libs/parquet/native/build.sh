#!/usr/bin/env bash
# Builds the arrow-rs Parquet codec (a Node-API module, src/lib.rs) into taxi-parquet.node beside
# this script, with cargo from crates.io (Cargo.lock pins every crate). Run by `npm ci` (prepare)
# and `npm run build:native`. cargo's own checks make a rebuild with nothing changed take a second.
#   --if-cargo  without a Rust toolchain, warn and exit 0 (so `npm ci` works without one; the codec
#               then fails with TAXI_ERR_PARQUET_NATIVE_MISSING when used).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
min_rust="1.85"
if ! command -v cargo >/dev/null; then
  msg="cargo not found: the arrow-rs Parquet codec (libs/parquet/native) needs Rust $min_rust or later (rustup, or a distribution package that new)"
  if [ "${1:-}" = "--if-cargo" ]; then echo "warning: $msg; not built" >&2; exit 0; fi
  echo "error: $msg" >&2; exit 1
fi
have="$(rustc --version | awk '{print $2}')"
if [ "$(printf '%s\n%s\n' "$min_rust" "$have" | sort -V | head -n 1)" != "$min_rust" ]; then
  echo "error: rustc $have is older than $min_rust, which the arrow-rs Parquet codec's crates need" >&2; exit 1
fi
cargo build --release --locked --quiet --manifest-path "$here/Cargo.toml"
# cargo names the library after the platform (.so, .dylib); Node loads it by any name ending .node.
for lib in "$here/target/release/libtaxi_parquet.so" "$here/target/release/libtaxi_parquet.dylib"; do
  if [ -f "$lib" ]; then
    cp "$lib" "$here/taxi-parquet.node.tmp" && mv "$here/taxi-parquet.node.tmp" "$here/taxi-parquet.node"
    echo "built $here/taxi-parquet.node"
    exit 0
  fi
done
echo "error: cargo built no libtaxi_parquet library under $here/target/release" >&2; exit 1
