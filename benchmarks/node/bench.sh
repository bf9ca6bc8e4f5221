#!/usr/bin/env bash
# enjo (Node) vs built-in fetch: builds the release mock and the release addon, then runs
# bench.mjs (one mock, limits off; sequential and 64 in flight; latency, throughput, RSS).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked -q -p enjo-mock
(
  cd bindings-node
  # The suite's installer: `npm ci`, or `npm install --no-save` where this registry mirror's
  # lock makes `npm ci` refuse (see the script).
  [ -d node_modules ] || bash scripts/npm-install.sh
  npx napi build --platform --release --js native.js --dts native.d.ts -- --locked >/dev/null
)
node benchmarks/node/bench.mjs
