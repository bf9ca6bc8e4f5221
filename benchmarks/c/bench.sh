#!/usr/bin/env bash
# libenjo's enjo_send_message vs libcurl (reused easy handle, keep-alive) + jansson, against
# one release enjo-mock with rate limits off. Prints median per call and the ratio.
# Needs: gcc, cargo, pkg-config, and Debian's libcurl4-openssl-dev and libjansson-dev, which it
# installs when they are missing (apt-get, through sudo when not root, as .ci/run does; the
# benchmarks are not part of CI, so .ci/run does not install libjansson-dev).
#   bash benchmarks/c/bench.sh [calls-per-client]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
APT_PACKAGES=(pkg-config libcurl4-openssl-dev libjansson-dev)
have_headers() { command -v pkg-config >/dev/null && pkg-config --exists libcurl jansson; }
if ! have_headers; then
  missing=()
  if command -v dpkg >/dev/null; then
    for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  fi
  if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
      echo "benchmarks/c needs ${missing[*]} and is not root, without sudo: install them, then rerun" >&2
      exit 1
    fi
    echo "benchmarks/c: installing ${missing[*]} (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if ! have_headers; then
    echo "benchmarks/c needs the development files of libcurl and jansson, found through pkg-config" >&2
    echo "  (Debian/Ubuntu: apt-get install -y ${APT_PACKAGES[*]})" >&2
    exit 1
  fi
fi
cargo build --release --locked -q -p enjo-c -p enjo-mock
OUT="$ROOT/target/release/bench-c"
# shellcheck disable=SC2046
gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$ROOT/bindings-c/include" -I"$ROOT/bindings-c/tests" -I"$HERE" \
  "$HERE/bench.c" "$ROOT/bindings-c/tests/mock_server.c" -o "$OUT" \
  "$ROOT/target/release/libenjo.a" $(pkg-config --cflags --libs libcurl jansson) \
  -lpthread -ldl -lm -lrt -lutil -lgcc_s
ENJO_MOCK_BIN="${ENJO_MOCK_BIN:-$ROOT/target/release/enjo-mock}" "$OUT" "${1:-2000}"
