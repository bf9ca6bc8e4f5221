"""The vendor's Python sample, rewritten on the SDK.

The vendor's version builds the request by hand:

    import requests
    import json

    url = "https://api.enjo.ai/v1/bots/botId/message"
    payload = json.dumps({
      "message": {
        "text": "Request for ticket generation",
        "conversationId": "conversationId"
      }
    })
    headers = {
      'Content-Type': 'application/json',
      'Authorization': 'Bearer <access token>'
    }
    response = requests.request("POST", url, headers=headers, data=payload)
    print(response.text)

With the SDK the token comes from ENJO_API_TOKEN and the base URL from ENJO_BASE_URL (default
https://api.enjo.ai); the reply is parsed into attributes, errors are typed exceptions, the
documented rate limits are respected and a request that may have created a ticket is never
sent twice. It sends the same body, `{"message": {"text": ..., "conversationId": ...}}` (the id
left out when not given).

    pip install ./bindings-python     # from a checkout of this repository (not on PyPI yet)
    ENJO_API_TOKEN=... ENJO_BOT_ID=<your bot id> python examples/python/send_message.py

Offline, against `enjo mock` (see mock/README.md), whose bots include `support-bot` (the
default here):

    ENJO_BASE_URL=http://127.0.0.1:<port> ENJO_API_TOKEN=enjo-mock-token \
        python examples/python/send_message.py
"""

from __future__ import annotations

import os
import sys

import enjo


def main() -> int:
    # The vendor's sample says `botId`; `support-bot` is a bot `enjo mock` has.
    bot_id = os.environ.get("ENJO_BOT_ID", "support-bot")
    # Continue a conversation when you have its id (the vendor's sample sends a placeholder).
    conversation_id = os.environ.get("ENJO_CONVERSATION_ID") or None

    with enjo.Enjo() as client:
        try:
            reply = client.send_message(
                bot_id, "Request for ticket generation", conversation_id=conversation_id
            )
        except enjo.RateLimitError as e:
            print(f"rate limited, retry in {e.retry_after or '?'} s", file=sys.stderr)
            return 1
        except enjo.EnjoError as e:
            print(f"{type(e).__name__}: {e}", file=sys.stderr)
            return 1

    print(reply.answers)
    print(f"conversation: {reply.conversation_id}")
    for source in reply.sources:
        print(f"source: {source.name} {source.url or ''}")
    if reply.ticket is not None:
        t = reply.ticket
        print(f"ticket {t.case_number} ({t.status}, {t.priority}): {t.url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
