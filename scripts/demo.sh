#!/usr/bin/env bash
# The demo: build the `enjo` CLI, start `enjo mock` (a local Enjo-compatible server), ask a
# question, follow up in the same conversation, ask for a ticket, show it, stop the server.
# Needs only Rust; no Enjo account, no network.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building the enjo CLI (release; the first build takes a few minutes, cargo shows progress)"
cargo build --release --locked -p enjo-cli
enjo="${CARGO_TARGET_DIR:-target}/release/enjo"
echo "    built $enjo (the enjo CLI; \`enjo mock\` is its local server)"

echo "==> starting enjo mock on a free port"
coproc MOCK { exec "$enjo" mock --port 0 --exit-on-stdin-close --quiet 2>/dev/null; }
read -r listening port <&"${MOCK[0]}"
[ "$listening" = LISTENING ] || { echo "enjo mock did not start" >&2; exit 1; }
trap 'exec {MOCK[1]}>&-; wait "$MOCK_PID" 2>/dev/null || true' EXIT

export ENJO_BASE_URL="http://127.0.0.1:$port"
export ENJO_API_TOKEN=enjo-mock-token   # the mock's documented test token
echo "    $ENJO_BASE_URL"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step enjo send faq-bot '"How do I reset my password?"'
"$enjo" send faq-bot "How do I reset my password?"

step enjo send support-bot '"Our Okta single sign-on login fails for everyone"'
first=$("$enjo" send support-bot "Our Okta single sign-on login fails for everyone")
echo "$first"
conversation=$(sed -n 's/^Conversation: //p' <<<"$first")

step enjo send support-bot --conversation-id "$conversation" '"Do we still need two-factor authentication with SSO?"'
"$enjo" send support-bot --conversation-id "$conversation" "Do we still need two-factor authentication with SSO?"

step enjo send support-bot --conversation-id "$conversation" '"This is urgent, please create a ticket"'
"$enjo" send support-bot --conversation-id "$conversation" "This is urgent, please create a ticket"

step enjo send support-bot --json --conversation-id "$conversation" '"What is the status of my ticket?"   # the documented JSON'
"$enjo" send support-bot --json --conversation-id "$conversation" "What is the status of my ticket?"

printf '\n==> a conversation as a chat over piped stdin (enjo chat)\n'
step 'printf "My CI build fails while downloading dependencies\nI need a human\n" | enjo chat jira-bot'
printf 'My CI build fails while downloading dependencies\nI need a human\n' | "$enjo" chat jira-bot

printf '\n==> done; stopping enjo mock\n'
printf '    the CLI is %s; `cargo install --locked --path cli` puts `enjo` (and `enjo mock`) on PATH\n' "$enjo"
