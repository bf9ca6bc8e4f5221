#!/usr/bin/env bash
# Our shared limiter against what users would otherwise use to share a rate limit over Redis
# (Node `bottleneck` clustering, Python `pyrate-limiter` RedisBucket): three fleets of eight
# processes at once, each against its own `enjo mock` enforcing 10x-scaled Enjo limits. Prints
# the table of benchmarks/fleet/README.md and redraws fleet.png. Needs redis-server, node, npm
# and python3 (3.9+); installs the competitors into benchmarks/fleet/.venv and node_modules
# (git-ignored). Not part of `make test`. Extra arguments go to bench.py (e.g. --seconds 40).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$HERE"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
unset ENJO_LOG ENJO_API_TOKEN ENJO_BASE_URL ENJO_RATE_LIMIT_STORE ENJO_RATE_LIMIT_KEY

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r requirements.txt
[ -d node_modules/bottleneck ] && [ -d node_modules/ioredis ] || npm ci --no-audit --no-fund --silent

# This SDK from this checkout: the release native modules, loaded in place (no wheel, no npm
# pack): a package directory of symlinks for Python, the addon path for Node.
cargo build --release --locked -q -p enjo-mock -p enjo-cli -p enjo-python -p enjo-node \
  --manifest-path "$ROOT/Cargo.toml"
rm -rf .build && mkdir -p .build/py/enjo .build/node
for f in "$ROOT"/bindings-python/python/enjo/*; do ln -s "$f" .build/py/enjo/; done
ln -s "$ROOT/target/release/lib_enjo.so" .build/py/enjo/_enjo.abi3.so
ln -s "$ROOT/bindings-node" .build/node/enjo
# A hard link (a copy across file systems): Node picks the loader by the real file's extension.
ln "$ROOT/target/release/libenjo_node.so" .build/enjo.node 2>/dev/null \
  || cp "$ROOT/target/release/libenjo_node.so" .build/enjo.node
export PYTHONPATH="$HERE/.build/py" NODE_PATH="$HERE/.build/node"
export NAPI_RS_NATIVE_LIBRARY_PATH="$HERE/.build/enjo.node"
export ENJO_MOCK_BIN="$ROOT/target/release/enjo-mock"

.venv/bin/python bench.py --python "$HERE/.venv/bin/python" "$@"
