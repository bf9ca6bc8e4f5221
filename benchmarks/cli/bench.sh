#!/usr/bin/env bash
# Whole-process time of `enjo send` against `curl` doing the same call (the vendor's sample),
# against one release enjo mock (limits off), with hyperfine. Prints the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
# hyperfine is a Debian package: installed here when missing (as .ci/run installs its packages).
if ! command -v hyperfine >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends hyperfine
fi
cargo build --release --locked -q -p enjo-mock -p enjo-cli
bin="${CARGO_TARGET_DIR:-target}/release"
coproc MOCK { exec "$bin/enjo-mock" --port 0 --rate-limit off --quiet --exit-on-stdin-close; }
read -r _ port <&"${MOCK[0]}"
trap 'exec {MOCK[1]}>&-; wait "$MOCK_PID" 2>/dev/null || true' EXIT
export ENJO_BASE_URL="http://127.0.0.1:$port" ENJO_API_TOKEN=enjo-mock-token
json=$(mktemp)
hyperfine --warmup 20 --runs 300 -N --export-json "$json" \
  -n curl "curl -s -X POST $ENJO_BASE_URL/v1/bots/echo-bot/message -H 'Content-Type: application/json' -H 'Authorization: Bearer enjo-mock-token' --data '{\"message\":{\"text\":\"hello\"}}'" \
  -n "enjo send" "$bin/enjo send --no-rate-limit echo-bot hello" \
  -n "enjo send --json" "$bin/enjo send --no-rate-limit --json echo-bot hello"
python3 - "$json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
curl = results["curl"]["median"]
for name, r in results.items():
    print(f"{name:18s} median {r['median']*1000:6.2f} ms   ratio vs curl {r['median']/curl:4.2f}")
PY
rm -f "$json"
