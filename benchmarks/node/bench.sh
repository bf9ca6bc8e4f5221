#!/usr/bin/env bash
# enjo (Node) vs built-in fetch: builds the release mock and the release addon, then runs
# bench.mjs (one mock, limits off; sequential and 64 in flight; latency, throughput, RSS).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked -q -p enjo-mock
(
  cd bindings-node
  [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
  npx napi build --platform --release --js native.js --dts native.d.ts -- --locked >/dev/null
)
node benchmarks/node/bench.mjs
