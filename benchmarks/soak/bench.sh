#!/usr/bin/env bash
# The soak (issue 21, item 3; a benchmark, not part of make test): SOAK_CALLS (default
# 100,000) sequential calls per binding (Rust, Python sync and async, Node, C) against one
# release enjo mock with limits off, in one mix of successes, 4xx, 5xx and timeouts (README.md);
# RSS and open fds every SOAK_EVERY (10,000) calls. Pass: RSS after warm-up (the first
# SOAK_EVERY calls) grows by at most 5 MiB, and no fd is left open. Writes
# results/<binding>.csv, results/summary.json, soak.png (matplotlib, in a git-ignored venv
# here) and prints the figures for README.md.
#   bash benchmarks/soak/bench.sh [binding...]
# (default: all five, and the Node reference runs node-v8-defaults and node-http)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
export SOAK_CALLS="${SOAK_CALLS:-100000}" SOAK_EVERY="${SOAK_EVERY:-10000}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset ENJO_LOG ENJO_API_TOKEN
BINDINGS=("$@")
[ ${#BINDINGS[@]} -gt 0 ] || BINDINGS=(rust python-sync python-async node c node-v8-defaults node-http)
RESULTS="$HERE/results"
mkdir -p "$RESULTS"
want() { [[ " ${BINDINGS[*]} " == *" $1 "* ]]; }

echo "==> build: enjo-mock, libenjo, the Rust soak (release)"
cargo build --release --locked -q -p enjo-mock -p enjo-c -p enjo-bench --bin soak

echo "==> venv (matplotlib, and the enjo wheel for the Python soaks): $HERE/.venv"
PYTHON="${PYTHON:-python3}"
if command -v pyenv >/dev/null 2>&1; then
  candidate="$(ls -d "$(pyenv root)"/versions/3.11.* 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$candidate" ] && PYTHON="$candidate/bin/python"
fi
[ -x "$HERE/.venv/bin/python" ] || "$PYTHON" -m venv "$HERE/.venv"
"$HERE/.venv/bin/pip" install -q -r "$HERE/requirements.txt"
if want python-sync || want python-async; then
  "$HERE/.venv/bin/pip" install -q -r bindings-python/requirements-build.txt
  rm -rf "$HERE/.venv/wheels"
  "$HERE/.venv/bin/maturin" build --release --locked -q --out "$HERE/.venv/wheels" \
    -m bindings-python/Cargo.toml --interpreter "$HERE/.venv/bin/python" >/dev/null
  "$HERE/.venv/bin/pip" install -q --force-reinstall --no-deps "$HERE"/.venv/wheels/enjo-*.whl
fi
if want node || want node-v8-defaults; then
  echo "==> the Node addon (release)"
  (
    cd bindings-node
    [ -d node_modules ] || bash scripts/npm-install.sh
    npx napi build --platform --release --js native.js --dts native.d.ts -- --locked >/dev/null
  )
fi
if want c; then
  echo "==> the C soak against libenjo.so"
  gcc -std=c11 -O2 -Wall -Wextra -Werror -Ibindings-c/include "$HERE/soak.c" \
    -Ltarget/release -lenjo -Wl,-rpath,"$ROOT/target/release" -o "$HERE/.venv/soak-c"
fi

# One mock for every binding, owned by this shell through a pipe on its stdin.
coproc MOCK { exec target/release/enjo-mock --port 0 --exit-on-stdin-close --quiet --rate-limit off 2>/dev/null; }
read -r -u "${MOCK[0]}" listening port
[ "$listening" = "LISTENING" ] || { echo "mock did not start"; exit 1; }
MOCK_PID_SAVED=$MOCK_PID
stop_mock() { if [ -n "${MOCK[1]:-}" ]; then eval "exec ${MOCK[1]}>&-"; fi; wait "$MOCK_PID_SAVED" 2>/dev/null || true; }
trap stop_mock EXIT
export ENJO_BASE_URL="http://127.0.0.1:$port"

run() {
  local binding="$1"; shift
  want "$binding" || return 0
  echo "==> $binding: $SOAK_CALLS calls"
  local start end
  start=$(date +%s)
  "$@" > "$RESULTS/$binding.csv" 2> "$RESULTS/$binding.log"
  end=$(date +%s)
  echo "$binding took $((end - start)) s: $(tail -n 1 "$RESULTS/$binding.log")"
  echo "$((end - start))" > "$RESULTS/$binding.seconds"
  # The mock keeps the last 100,000 requests in its log; forget them between bindings.
  curl -s -X POST "$ENJO_BASE_URL/_mock/reset" >/dev/null || true
}
run rust target/release/soak
run python-sync "$HERE/.venv/bin/python" "$HERE/soak.py" sync
run python-async "$HERE/.venv/bin/python" "$HERE/soak.py" async
# Node's young generation (V8's new space) grows with the allocation rate, by doubling, up to
# two semi-spaces of 16 MiB (V8's default maximum on 64-bit), whatever allocates: that is heap
# sizing, not memory a call leaves behind (README.md). The judged run fixes it at that size
# from the start, so that the warm-up sample holds it; the two reference runs (not judged)
# show V8's default sizing with the SDK and with Node's own http client.
NODE_SEMI_SPACE_MB="${NODE_SEMI_SPACE_MB:-16}"
run node node --expose-gc --min-semi-space-size="$NODE_SEMI_SPACE_MB" \
  --max-semi-space-size="$NODE_SEMI_SPACE_MB" "$HERE/soak.js"
run node-v8-defaults node --expose-gc "$HERE/soak.js"
run node-http node --expose-gc "$HERE/node-http.js"
run c "$HERE/.venv/soak-c"

echo "==> figures and plot"
"$HERE/.venv/bin/python" "$HERE/report.py"
