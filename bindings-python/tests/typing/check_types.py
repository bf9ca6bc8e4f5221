"""Type-checked with `mypy --strict` (run-tests.sh), never run: the public API's types as a
user's code sees them, including the `# type: ignore`s that must stay errors."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any, Dict, List, Optional, Tuple

import enjo


def sync_usage() -> None:
    client: enjo.Enjo = enjo.Enjo(
        token="t",
        base_url="http://127.0.0.1:1",
        timeout=5,
        connect_timeout=1.5,
        max_retries=0,
        retry_policy="at_least_once",
        rate_limit=[(5, 0.2), (10, 1.0)],
        rate_limit_max_wait=2.0,
        user_agent="app/1",
    )
    with client as c:
        reply: enjo.MessageResponse = c.send_message(
            "bot", "hi", conversation_id=None, timeout=1.0, max_retries=1
        )
        answers: Optional[str] = reply.answers
        conversation_id: Optional[str] = reply.conversation_id
        request_id: Optional[str] = reply.request_id
        sources: List[enjo.Source] = reply.sources
        for s in sources:
            kind: Optional[str] = s.type
            score: Optional[float] = s.score
            name: Optional[str] = s.name
            url: Optional[str] = s.url
            print(kind, score, name, url, s.to_dict())
        raw: Dict[str, Any] = reply.raw
        data: Dict[str, Any] = reply.to_dict()
        if reply.ticket is not None:
            t: enjo.Ticket = reply.ticket
            fields: List[Optional[str]] = [t.id, t.url, t.type, t.status, t.priority,
                                           t.description, t.created_date,
                                           t.last_modified_date, t.case_number]
            ticket_raw: Dict[str, Any] = t.raw
            print(fields, ticket_raw, t.to_dict())
        conv: enjo.Conversation = c.conversation("bot", conversation_id="c1")
        again: enjo.MessageResponse = conv.send("more", timeout=2.0)
        cid: Optional[str] = conv.conversation_id
        bot: str = conv.bot_id
        print(answers, conversation_id, request_id, raw, data, again, cid, bot)
    base: str = client.base_url
    closed: bool = client.closed
    client.close()
    print(base, closed)
    enjo.Enjo(rate_limit=False)
    enjo.Enjo(rate_limit=True)
    enjo.Enjo(rate_limit=[[5, 1.0], [100, 60]])  # any 2-item sequences of numbers
    copied: enjo.MessageResponse = pickle.loads(pickle.dumps(reply))
    print(copied)
    enjo.Enjo(rate_limit="20/60s")  # type: ignore[arg-type]
    enjo.Enjo("token")  # type: ignore[call-arg]
    client.send_message("bot", "hi", "conversation")  # type: ignore[call-arg]
    client.send_message("bot", 3)  # type: ignore[arg-type]
    reply.answers = "x"  # type: ignore[misc]


def parity_options() -> None:
    client = enjo.Enjo(
        deadline=30.0,
        proxy="http://127.0.0.1:3128",
        root_certificate_pem="-----BEGIN CERTIFICATE-----...",
        allow_insecure_http=True,
        max_response_bytes=1 << 20,
    )
    headers: enjo.Headers = {"X-Tenant": "t"}
    reply = client.send_message(
        "bot", "hi", retry_policy="at_least_once", deadline=5.0, headers=headers
    )
    server_id: Optional[str] = reply.server_request_id
    again = client.conversation("bot").send(
        "more", retry_policy="safe", deadline=2, headers=[("X-Tenant", "t")]
    )
    print(server_id, again)
    client.send_message("bot", "hi", headers="X: y")  # type: ignore[arg-type]
    client.conversation("bot").send("x", conversation_id="c")  # type: ignore[call-arg]


async def parity_options_async() -> None:
    client = enjo.AsyncEnjo(deadline=30.0, max_response_bytes=4096)
    reply = await client.send_message("bot", "hi", deadline=1.0, headers={"X-A": "b"})
    more = await client.conversation("bot").send("x", retry_policy="at_least_once",
                                                  headers=[("X-A", "b")], deadline=1.0)
    print(reply.server_request_id, more)


async def async_usage() -> None:
    async with enjo.AsyncEnjo(rate_limit=False) as client:
        reply: enjo.MessageResponse = await client.send_message("bot", "hi")
        replies: Tuple[enjo.MessageResponse, enjo.MessageResponse] = await asyncio.gather(
            client.send_message("bot", "a"), client.send_message("bot", "b")
        )
        timed: enjo.MessageResponse = await asyncio.wait_for(
            client.send_message("bot", "c", timeout=1.0), timeout=2.0
        )
        conv: enjo.AsyncConversation = client.conversation("bot")
        more: enjo.MessageResponse = await conv.send("more")
        print(reply, replies, timed, more)
    await client.close()


def errors() -> None:
    try:
        enjo.Enjo().send_message("bot", "hi")
    except enjo.RateLimitError as e:
        wait: Optional[float] = e.retry_after
        print(wait)
    except enjo.APIError as e:
        status: Optional[int] = e.status
        code: Optional[str] = e.code
        body: Optional[str] = e.body
        print(status, code, body)
    except enjo.InvalidArgumentError as e:
        as_value_error: ValueError = e
        print(as_value_error)
    except enjo.APITimeoutError as e:
        as_timeout: TimeoutError = e
        print(as_timeout)
    except enjo.EnjoError as e:
        message: str = e.message
        kind: str = e.kind
        request_id: Optional[str] = e.request_id
        server_request_id: Optional[str] = e.server_request_id
        may_have_been_sent: bool = e.may_have_been_sent
        print(server_request_id, may_have_been_sent)
        copy = pickle.loads(pickle.dumps(e))
        print(message, kind, request_id, copy)
    err: enjo.EnjoError = enjo.ServerError("boom", status=500)
    print(err, enjo.__version__)
