#!/usr/bin/env bash
# Installs the package's pinned npm dev dependencies into bindings-node/node_modules with
# `npm ci`, exactly as the README tells a user to. Shared by run-tests.sh and
# benchmarks/node/bench.sh.
#
# Fails when the committed lock is out of sync with package.json (npm's EUSAGE) or when npm
# warns that a locked package does not support this Node (EBADENGINE): both are what a new
# user would meet. package.json's `overrides` keep @napi-rs/cli's dependencies on versions
# that support Node 20 (README: Node >= 20); regenerate the lock with
# `npm install --package-lock-only` after changing them.
set -euo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! npm ci --no-audit --no-fund 2>"$log"; then
  cat "$log" >&2
  echo "error: npm ci failed: package-lock.json must be in sync with package.json" >&2
  exit 1
fi
if grep -q EBADENGINE "$log"; then
  grep EBADENGINE "$log" >&2
  echo "error: a locked package does not support Node $(node --version): pin one that does (package.json overrides)" >&2
  exit 1
fi
