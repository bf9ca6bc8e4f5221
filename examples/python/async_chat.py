"""A conversation with a support bot over asyncio: the bot keeps the context from one message
to the next, and the ticket it opens covers the whole exchange. A second task asks the FAQ bot
meanwhile, to show that requests run concurrently.

    ENJO_API_TOKEN=... python async_chat.py
    # against the local mock:  enjo mock &  ENJO_BASE_URL=http://127.0.0.1:PORT ...
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import List

import enjo

BOT = os.environ.get("ENJO_BOT_ID", "support-bot")
MESSAGES: List[str] = [
    "Hi, I can't sign in since this morning.",
    "I already tried resetting my password, it still fails.",
    "This is urgent, please escalate: open a ticket for a human agent.",
]


async def chat(client: enjo.AsyncEnjo) -> None:
    conversation = client.conversation(BOT)
    for text in MESSAGES:
        reply = await conversation.send(text)
        print(f"> {text}\n{reply.answers}\n")
    print(f"conversation id: {conversation.conversation_id}")
    if reply.ticket is not None:
        t = reply.ticket
        print(f"ticket {t.case_number}: {t.status}, priority {t.priority}\n{t.url}")


async def main() -> int:
    async with enjo.AsyncEnjo() as client:
        try:
            faq, _ = await asyncio.gather(
                client.send_message("faq-bot", "What are your support hours?"),
                chat(client),
            )
        except enjo.EnjoError as e:
            print(f"{type(e).__name__}: {e}", file=sys.stderr)
            return 1
    print(f"\n(faq-bot, meanwhile: {faq.answers})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
