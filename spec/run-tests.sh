#!/usr/bin/env bash
# Contract checks of `enjo mock` against spec/openapi.yaml (schemathesis, bounded), and the
# vendor's own curl sample against the mock with its reply checked for the documented shape.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# ENJO_MOCK_BIN: a prebuilt enjo-mock to test. Without it, build the release binaries here
# (a no-op when `make mock-bin` just did), so a run of this script alone never tests a
# stale binary. Only enjo-mock is run; enjo-cli is built with it as `make mock-bin` does.
if [ -n "${ENJO_MOCK_BIN:-}" ]; then
  mock_bin=$ENJO_MOCK_BIN
else
  cargo build --release --locked -q -p enjo-mock -p enjo-cli
  mock_bin="${CARGO_TARGET_DIR:-$root/target}/release/enjo-mock"
fi
[ -x "$mock_bin" ] || { echo "no enjo-mock at $mock_bin" >&2; exit 1; }

venv=spec/.venv
# Reinstalled when the pinned requirements change or a previous install did not finish.
stamp="$venv/.requirements-$(sha256sum spec/requirements.txt | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r spec/requirements.txt
  rm -f "$venv"/.requirements-*
  touch "$stamp"
fi

coproc MOCK { exec "$mock_bin" --port 0 --exit-on-stdin-close --rate-limit off --quiet; }
read -r listening port <&"${MOCK[0]}"
[ "$listening" = LISTENING ] || { echo "enjo-mock did not start" >&2; exit 1; }
trap 'exec {MOCK[1]}>&-; wait "$MOCK_PID" 2>/dev/null || true' EXIT
export ENJO_BASE_URL="http://127.0.0.1:$port" ENJO_API_TOKEN=enjo-mock-token

echo "==> the vendor's curl sample against enjo mock (twice: the second run continues the first's conversation)"
ENJO_BOT_ID=support-bot examples/curl/send_message.sh > spec/.curl-reply.json
ENJO_BOT_ID=support-bot examples/curl/send_message.sh > spec/.curl-reply-2.json
"$venv/bin/python" spec/check_reply.py spec/.curl-reply.json spec/.curl-reply-2.json

echo "==> schemathesis: spec/openapi.yaml against enjo mock"
"$venv/bin/python" -m pytest -q -rP spec/test_contract.py
