#!/usr/bin/env bash
# enjo mock under load: wrk (Debian's) against the release server, limits off, on this
# machine's cores. Prints requests/s and latency for a retrieval bot and for echo-bot.
set -euo pipefail
cd "$(dirname "$0")/../.."
# wrk is a Debian package: installed here when missing (as .ci/run installs its packages).
if ! command -v wrk >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends wrk
fi
cargo build --release --locked -q -p enjo-mock
bin="${CARGO_TARGET_DIR:-target}/release"
coproc MOCK { exec "$bin/enjo-mock" --port 0 --rate-limit off --quiet --exit-on-stdin-close; }
read -r _ port <&"${MOCK[0]}"
trap 'exec {MOCK[1]}>&-; wait "$MOCK_PID" 2>/dev/null || true' EXIT
lua=$(mktemp --suffix=.lua)
cat > "$lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer enjo-mock-token"
wrk.body = '{"message": {"text": "How do I reset my password?"}}'
LUA
echo "enjo mock, $(nproc) cores, wrk -t2 -c64 -d10s"
for bot in faq-bot echo-bot; do
  echo "--- $bot"
  wrk -t2 -c64 -d10s --latency -s "$lua" "http://127.0.0.1:$port/v1/bots/$bot/message" \
    | grep -E "Requests/sec|Latency  |50%|99%|Non-2xx"
done
rm -f "$lua"
