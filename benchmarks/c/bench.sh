#!/usr/bin/env bash
# libenjo's enjo_send_message vs libcurl (reused easy handle, keep-alive) + jansson, against
# one release enjo-mock with rate limits off. Prints median per call and the ratio.
# Needs: gcc, cargo, and Debian's libcurl4-openssl-dev and libjansson-dev.
#   bash benchmarks/c/bench.sh [calls-per-client]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
for pc in libcurl jansson; do
  if ! pkg-config --exists "$pc"; then
    echo "benchmarks/c needs $pc's headers: apt-get install -y libcurl4-openssl-dev libjansson-dev" >&2
    exit 1
  fi
done
cargo build --release --locked -q -p enjo-c -p enjo-mock
OUT="$ROOT/target/release/bench-c"
# shellcheck disable=SC2046
gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$ROOT/bindings-c/include" -I"$ROOT/bindings-c/tests" \
  "$HERE/bench.c" "$ROOT/bindings-c/tests/mock_server.c" -o "$OUT" \
  "$ROOT/target/release/libenjo.a" $(pkg-config --cflags --libs libcurl jansson) \
  -lpthread -ldl -lm -lrt -lutil -lgcc_s
ENJO_MOCK_BIN="${ENJO_MOCK_BIN:-$ROOT/target/release/enjo-mock}" "$OUT" "${1:-2000}"
