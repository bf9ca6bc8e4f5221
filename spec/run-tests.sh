#!/usr/bin/env bash
# Contract checks of `enjo mock` against spec/openapi.yaml (schemathesis, bounded), and the
# vendor's own curl sample against the mock with its reply checked for the documented shape.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mock_bin="${ENJO_MOCK_BIN:-$root/target/release/enjo-mock}"
[ -x "$mock_bin" ] || cargo build --release --locked -q -p enjo-mock

venv=spec/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r spec/requirements.txt
fi

coproc MOCK { exec "$mock_bin" --port 0 --exit-on-stdin-close --rate-limit off --quiet; }
read -r listening port <&"${MOCK[0]}"
[ "$listening" = LISTENING ] || { echo "enjo-mock did not start" >&2; exit 1; }
trap 'exec {MOCK[1]}>&-; wait "$MOCK_PID" 2>/dev/null || true' EXIT
export ENJO_BASE_URL="http://127.0.0.1:$port" ENJO_API_TOKEN=enjo-mock-token

echo "==> the vendor's curl sample against enjo mock"
ENJO_BOT_ID=support-bot examples/curl/send_message.sh > spec/.curl-reply.json
"$venv/bin/python" spec/check_reply.py spec/.curl-reply.json

echo "==> schemathesis: spec/openapi.yaml against enjo mock"
"$venv/bin/python" -m pytest -q spec/test_contract.py
