#!/usr/bin/env bash
# enjo mock under load: wrk (Debian's) against the release server, limits off, on this
# machine's cores. Prints requests/s and latency for a retrieval bot and for echo-bot.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --locked -q -p enjo-mock
coproc MOCK { exec target/release/enjo-mock --port 0 --rate-limit off --quiet --exit-on-stdin-close; }
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
