#!/usr/bin/env bash
# The mixed-language fleet (issue 16's acceptance), after the binding suites have built what
# it needs: 8 OS processes (Python sync and async, Node, C, the CLI) sharing one rate-limit
# store against `enjo mock` enforcing scaled quotas (10 per 0.5 s and 20 per 6 s per IP).
# Passes when the server saw 0 x 429 and the fleet used >= 95 % of the allowed rate over at
# least three long windows; once over a real redis-server with one worker SIGKILLed half-way,
# once over a state file. Counts come from the server's own request log, never from a clock.
set -euo pipefail
cd "$(dirname "$0")"
REPO="$(cd ../.. && pwd)"

step() { printf '\n==> %s\n' "$*"; }

# A Python with the enjo wheel the Python suite installed.
PY=""
for venv in "$REPO"/bindings-python/.venvs/py3.*; do
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import enjo' 2>/dev/null; then
    PY="$venv/bin/python"
  fi
done
[ -n "$PY" ] || { echo "error: run bindings-python/run-tests.sh first (no venv with enjo)" >&2; exit 1; }
[ -f "$REPO/bindings-node/enjo.linux-x64-gnu.node" ] \
  || { echo "error: run bindings-node/run-tests.sh first (no native module)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "error: redis-server not found (.ci/run installs it)" >&2; exit 1; }

step "release enjo, enjo-mock and libenjo"
# Two builds, as the C suite does: one would unify the mock's features into libenjo's and
# relink it (it shares target/release/libenjo.so with every other suite).
(cd "$REPO" && cargo build --release --locked -q -p enjo-c && cargo build --release --locked -q -p enjo-cli -p enjo-mock)
# examples/fleet resolves `import 'enjo'` to the package in this checkout.
mkdir -p node_modules
ln -sfn ../../../bindings-node node_modules/enjo

unset ENJO_LOG ENJO_API_TOKEN ENJO_BASE_URL ENJO_RATE_LIMIT_STORE ENJO_RATE_LIMIT_KEY
step "fleet over a real redis-server (unix socket), one worker SIGKILLed half-way"
"$PY" fleet.py --store redis --seconds 20 --kill-one --check
step "fleet over a state file, one worker SIGKILLed half-way"
"$PY" fleet.py --store file --seconds 20 --kill-one --check
echo "fleet: all checks passed"
