#!/usr/bin/env bash
# Installs the package's pinned npm dev dependencies into bindings-node/node_modules: `npm ci`,
# or, where the registry mirror makes `npm ci` refuse the lock, `npm install --no-save`.
# Shared by run-tests.sh and benchmarks/node/bench.sh.
#
# The registry mirror on these machines serves only linux-x64 builds of @napi-rs/cli's optional
# native helpers, so the committed lock cannot list the other platforms' ones and `npm ci`
# refuses it as "out of sync" (EUSAGE). `npm install --no-save` then installs exactly the
# locked versions (the lock file is left untouched).
set -euo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! npm ci --no-audit --no-fund --loglevel=error 2>"$log"; then
  if grep -q EUSAGE "$log"; then
    echo "npm ci refused the lock (missing other platforms' optional packages); npm install --no-save"
    npm install --no-audit --no-fund --no-save --loglevel=error
  else
    cat "$log" >&2
    exit 1
  fi
fi
