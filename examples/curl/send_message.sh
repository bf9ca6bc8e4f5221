#!/usr/bin/env bash
# The vendor's curl sample, verbatim apart from reading the base URL, token and bot from the
# environment (so it runs against `enjo mock`). `enjo send "$BOT" "..."` does the same in one
# word, with rate limiting, retries and typed exit codes.
set -euo pipefail
BASE="${ENJO_BASE_URL:-https://api.enjo.ai}"
BOT="${ENJO_BOT_ID:-botId}"
curl --silent --show-error --location "$BASE/v1/bots/$BOT/message" \
  --header 'Content-Type: application/json' \
  --header "Authorization: Bearer ${ENJO_API_TOKEN:?set ENJO_API_TOKEN}" \
  --data '{
    "message": {
        "text": "Request for ticket generation",
        "conversationId": "conversationId"
    }
}'
