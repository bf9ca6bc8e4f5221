"""The blocking client against enjo-mock: replies, conversations, tickets, options."""

from __future__ import annotations

import gc
import json
import os
import pickle
import subprocess
import sys
import threading
from typing import Any, List

import pytest

import enjo
from conftest import TOKEN, Mock, assert_vendor_shape


def test_echo_reply_has_attributes_raw_and_to_dict(client: enjo.Enjo, unique: Any) -> None:
    text = unique("hello")
    reply = client.send_message("echo-bot", text)
    assert isinstance(reply, enjo.MessageResponse)
    assert reply.answers == text
    assert reply.sources == []
    assert reply.ticket is None
    assert isinstance(reply.conversation_id, str) and reply.conversation_id
    assert reply.request_id and reply.request_id.startswith("req_")
    assert reply.raw["success"] is True
    assert reply.raw["data"]["answers"] == text
    d = reply.to_dict()
    assert d == {
        "answers": text,
        "sources": [],
        "conversation_id": reply.conversation_id,
        "ticket": None,
        "request_id": reply.request_id,
        "server_request_id": reply.server_request_id,
        "raw": reply.raw,
    }
    # enjo-mock echoes the X-Request-Id it received as its own request id.
    assert reply.server_request_id == reply.request_id
    json.dumps(d)  # plain data


def test_sources_are_objects(client: enjo.Enjo) -> None:
    reply = client.send_message("faq-bot", "How much does it cost? What is the pricing?")
    assert reply.sources, reply.raw
    for s in reply.sources:
        assert isinstance(s, enjo.Source)
        assert isinstance(s.type, str)
        assert isinstance(s.name, str)
        assert isinstance(s.score, float) and 0.0 <= s.score <= 1.0
        assert isinstance(s.url, str) and s.url.startswith("http")
        assert s.to_dict() == {"type": s.type, "name": s.name, "score": s.score, "url": s.url}
    assert [s.to_dict() for s in reply.sources] == reply.to_dict()["sources"]
    assert reply.sources[0] == reply.sources[0]
    assert "Source(type=" in repr(reply.sources[0])


def test_repr_is_readable_and_cut(client: enjo.Enjo) -> None:
    reply = client.send_message("echo-bot", "x" * 1000)
    r = repr(reply)
    assert r.startswith("MessageResponse(answers='xxx")
    assert "…" in r and len(r) < 400
    assert TOKEN not in r


def test_unicode_round_trips(client: enjo.Enjo) -> None:
    text = "Grüße, 世界! 👋🏽 — «ñ» \u200b émoji 🇫🇷 \\ \" '"
    reply = client.send_message("echo-bot", text)
    assert reply.answers == text
    reply = client.send_message("echo-bot", "ticket? " + text, conversation_id="conv-ü-🎉")
    assert reply.conversation_id == "conv-ü-🎉"


def test_five_megabyte_answer(client: enjo.Enjo, mock: Mock, unique: Any) -> None:
    size = 5 * 1024 * 1024
    mock.fault("faq-bot", f"huge-body={size}")
    reply = client.send_message("faq-bot", unique("huge"))
    assert reply.answers is not None and len(reply.answers) == size
    assert len(reply.raw["data"]["answers"]) == size
    # The longest message the SDK sends (128 KiB) goes through whole; longer ones are refused
    # before sending.
    text = unique("long") + "é" * ((128 * 1024 - 200) // 2)
    assert client.send_message("echo-bot", text).answers == text
    with pytest.raises(enjo.InvalidArgumentError, match="at most"):
        client.send_message("echo-bot", "a" * size)


def test_conversation_threads_the_id(client: enjo.Enjo, mock: Mock, unique: Any) -> None:
    conv = client.conversation("support-bot")
    assert conv.bot_id == "support-bot"
    assert conv.conversation_id is None
    first = conv.send(unique("My VPN is down"))
    assert conv.conversation_id == first.conversation_id is not None
    second = conv.send(unique("It is urgent, please open a ticket"))
    assert second.conversation_id == first.conversation_id
    third = conv.send(unique("thanks"))
    assert third.conversation_id == first.conversation_id
    # The server saw the id on every message after the first.
    seen = [r["conversation_id"] for r in mock.requests("support-bot")[-3:]]
    assert seen == [None, first.conversation_id, first.conversation_id]
    # One ticket for the whole conversation, covering the earlier message.
    assert second.ticket is not None and third.ticket is not None
    assert second.ticket.id == third.ticket.id
    assert second.ticket.priority == "High"
    assert "VPN is down" in (second.ticket.description or "")
    assert f"conversation_id='{first.conversation_id}'" in repr(conv)


def test_the_body_received_is_the_vendors_and_a_follow_up_threads(
    client: enjo.Enjo, mock: Mock, unique: Any
) -> None:
    """What the SERVER received: `{"message": {"text"}}` first, then `{"message": {"text",
    "conversationId"}}` (the id inside `message`, as in the vendor's samples), and the server
    continued the same conversation."""
    first_text, second_text, third_text = unique("first"), unique("second"), unique("third")
    first = client.send_message("echo-bot", first_text)
    cid = first.conversation_id
    assert cid is not None
    client.send_message("echo-bot", second_text, conversation_id=cid)
    client.conversation("echo-bot", conversation_id=cid).send(third_text)
    (sent_first,) = mock.requests_with(first_text)
    assert sent_first["body"] == {"message": {"text": first_text}}
    assert_vendor_shape(sent_first["body"], with_conversation=False)
    for text in (second_text, third_text):
        (entry,) = mock.requests_with(text)
        assert_vendor_shape(entry["body"], with_conversation=True)
        assert entry["body"]["message"]["conversationId"] == cid
        assert entry["conversation_id"] == cid  # threaded on the server


def test_resume_a_conversation(client: enjo.Enjo) -> None:
    conv = client.conversation("echo-bot", conversation_id="resumed-42")
    assert conv.conversation_id == "resumed-42"
    assert conv.send("again").conversation_id == "resumed-42"
    reply = client.send_message("echo-bot", "explicit", conversation_id="resumed-42")
    assert reply.conversation_id == "resumed-42"


@pytest.mark.parametrize(
    "bot, platform, number_prefix",
    [("support-bot", "salesforce", "000"), ("jira-bot", "jira", "SUP-"),
     ("servicenow-bot", "servicenow", "INC")],
)
def test_tickets_of_each_platform(
    client: enjo.Enjo, mock: Mock, unique: Any, bot: str, platform: str, number_prefix: str
) -> None:
    text = unique("The printer is down, please open a ticket")
    reply = client.send_message(bot, text)
    t = reply.ticket
    assert isinstance(t, enjo.Ticket), reply.raw
    assert t.id and t.url and t.url.startswith("https://")
    assert t.status and t.priority and "High" in t.priority
    assert t.case_number and t.case_number.startswith(number_prefix), t.raw
    assert t.created_date and t.last_modified_date
    assert t.description and text in t.description
    assert isinstance(t.raw, dict)
    assert t.raw == reply.raw["data"]["ticketDetails"]
    assert t.to_dict()["raw"] == t.raw
    assert t.to_dict()["case_number"] == t.case_number
    assert reply.to_dict()["ticket"] == t.to_dict()
    assert t == reply.ticket
    server = [x for x in mock.tickets() if x["conversation_id"] == reply.conversation_id]
    assert len(server) == 1 and server[0]["platform"] == platform
    if platform == "salesforce":
        assert t.raw["CaseNumber"] == t.case_number and t.raw["attributes"]["type"] == "Case"
        assert t.type
    if platform == "jira":
        assert t.raw["key"] == t.case_number and t.type == t.raw["fields"]["issuetype"]["name"]
    if platform == "servicenow":
        assert t.raw["number"] == t.case_number and t.status == t.raw["state"]


def test_bot_without_ticketing_creates_none(client: enjo.Enjo, mock: Mock) -> None:
    reply = client.send_message("faq-bot", "I want to talk to a human agent, open a ticket")
    assert reply.ticket is None and reply.answers


def test_missing_and_extra_fields(client: enjo.Enjo, mock: Mock, unique: Any) -> None:
    mock.fault("echo-bot", "missing-fields")
    reply = client.send_message("echo-bot", unique())
    assert reply.answers is None and reply.conversation_id is None
    assert reply.sources == [] and reply.ticket is None
    assert reply.raw == {"success": True, "data": {}}
    mock.fault("support-bot", "extra-fields")
    reply = client.send_message("support-bot", unique("password reset, ticket please"))
    assert reply.answers and reply.ticket is not None


def test_options_and_env_defaults(mock: Mock, unique: Any) -> None:
    env = dict(os.environ, ENJO_API_TOKEN=TOKEN, ENJO_BASE_URL=mock.url + "/")
    code = (
        "import enjo; c = enjo.Enjo(rate_limit=False); print(c.base_url); "
        "print(c.send_message('echo-bot', 'from env').answers)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == [mock.url, "from env"]


def test_missing_token_is_an_invalid_argument(mock: Mock, monkeypatch: Any) -> None:
    monkeypatch.delenv("ENJO_API_TOKEN", raising=False)
    with pytest.raises(enjo.InvalidArgumentError) as info:
        enjo.Enjo(base_url=mock.url)
    assert "ENJO_API_TOKEN" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0},
        {"timeout": -1.0},
        {"timeout": float("nan")},
        {"connect_timeout": 0},
        {"max_retries": -1},
        {"retry_policy": "sometimes"},
        {"rate_limit": [(0, 1.0)]},
        {"rate_limit": [(5, 0)]},
        {"rate_limit": []},
        {"rate_limit": [(5, 1.0, 3)]},
        {"rate_limit": [[5]]},
        {"rate_limit": [(2.5, 1.0)]},
        {"rate_limit": [(5, float("inf"))]},
        {"rate_limit_max_wait": -1},
        {"timeout": 10.0**12},  # over a year
        {"base_url": "ftp://example.com"},
        {"base_url": "http://example.com"},  # plain http only to loopback
        {"token": ""},
    ],
)
def test_bad_options_are_invalid_arguments(mock: Mock, options: Any) -> None:
    kwargs = {"token": TOKEN, "base_url": mock.url, **options}
    with pytest.raises(enjo.InvalidArgumentError):
        enjo.Enjo(**kwargs)
    with pytest.raises(enjo.InvalidArgumentError):
        enjo.AsyncEnjo(**kwargs)


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": "3"},
        {"max_retries": 1.5},
        {"retry_policy": 1},
        {"rate_limit": "20/60s"},
        {"rate_limit": 20},
        {"rate_limit": [("a", 1.0)]},
        {"rate_limit": [(5, "1s")]},
        {"rate_limit": ["51"]},
        {"rate_limit": [(True, 1.0)]},
        {"token": 42},
    ],
)
def test_options_of_the_wrong_type_are_type_errors(mock: Mock, options: Any) -> None:
    kwargs = {"token": TOKEN, "base_url": mock.url, **options}
    for cls in (enjo.Enjo, enjo.AsyncEnjo):
        with pytest.raises(TypeError) as info:
            cls(**kwargs)
        assert not isinstance(info.value, enjo.EnjoError)


def test_rate_limit_pairs_may_be_any_two_item_sequences(own_mock: Mock, unique: Any) -> None:
    for quotas in ([[5, 1.0]], [(5, 1)], ((100, 1.0), [1000, 60.0]), [[5.0, 0.5]]):
        c = enjo.Enjo(token=TOKEN, base_url=own_mock.url, rate_limit=quotas)  # type: ignore[arg-type]
        text = unique()
        assert c.send_message("echo-bot", text).answers == text
    c = enjo.Enjo(token=TOKEN, base_url=own_mock.url, rate_limit=[[5, 1.0], [100, 60]])
    assert "rate_limit=[(5, 1.0), (100, 60.0)]" in repr(c)


def test_options_are_keyword_only(mock: Mock) -> None:
    with pytest.raises(TypeError):
        enjo.Enjo(TOKEN)  # type: ignore[misc]
    with pytest.raises(TypeError):
        enjo.Enjo(token=TOKEN, base_url=mock.url, tiemout=3)  # type: ignore[call-arg]


def test_every_option_is_accepted(mock: Mock, unique: Any) -> None:
    c = enjo.Enjo(
        token=TOKEN,
        base_url=mock.url,
        timeout=5,
        connect_timeout=2.5,
        max_retries=0,
        retry_policy="at_least_once",
        rate_limit=[(100, 1.0), (1000, 60)],
        rate_limit_max_wait=10.0,
        user_agent="my-app/1.2",
    )
    text = unique()
    assert c.send_message("echo-bot", text, timeout=3.0, max_retries=1).answers == text
    (logged,) = mock.requests_with(text)
    ua = logged["user_agent"]
    assert ua.startswith("enjo-rust/") and f"python/{sys.version.split()[0]}" in ua
    assert ua.endswith("my-app/1.2")


def test_bad_call_arguments(client: enjo.Enjo) -> None:
    with pytest.raises(enjo.InvalidArgumentError):
        client.send_message("", "text")
    with pytest.raises(enjo.InvalidArgumentError):
        client.send_message("echo-bot", "")
    with pytest.raises(enjo.InvalidArgumentError):
        client.send_message("echo-bot", "x", timeout=0)
    with pytest.raises(enjo.InvalidArgumentError):
        client.send_message("echo-bot", "x", max_retries=-2)
    with pytest.raises(TypeError):
        client.send_message("echo-bot", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.send_message("echo-bot", "x", "conv")  # type: ignore[misc]


def test_bot_id_is_one_path_segment(client: enjo.Enjo, mock: Mock) -> None:
    with pytest.raises(enjo.InvalidRequestError):
        client.send_message("../../_mock/reset", "x")
    assert any(r["bot_id"] == "../../_mock/reset" for r in mock.requests())


def test_close_reaches_every_handle(mock: Mock, unique: Any) -> None:
    c = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False)
    other = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False)
    conv = c.conversation("echo-bot")
    first = conv.send(unique())
    c.close()
    # The core's close: the native client drops its connection pool, and every handle of it
    # (this conversation, one made after the close) refuses to send, sending nothing.
    assert c._native.closed
    assert conv.bot_id == "echo-bot" and conv.conversation_id == first.conversation_id
    with pytest.raises(enjo.InvalidArgumentError, match="closed"):
        conv.send("after close")
    late = c.conversation("echo-bot")
    text = unique()
    with pytest.raises(enjo.InvalidArgumentError, match="closed") as info:
        late.send(text)
    assert info.value.may_have_been_sent is False
    assert mock.requests_with(text) == []
    # Another client of the same server is not affected.
    text = unique()
    assert other.send_message("echo-bot", text).answers == text


def test_close_lets_a_running_call_finish(mock: Mock, unique: Any) -> None:
    c = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False)
    text = unique()
    mock.fault("echo-bot", "delay=300", times=1)
    got: List[Any] = []
    worker = threading.Thread(target=lambda: got.append(c.send_message("echo-bot", text)))
    worker.start()
    for _ in range(500):
        if mock.requests_with(text):
            break
        threading.Event().wait(0.02)
    assert mock.requests_with(text), "the request never arrived"
    c.close()
    worker.join()
    assert [r.answers for r in got] == [text]


def test_replies_pickle(client: enjo.Enjo, unique: Any) -> None:
    reply = client.send_message("faq-bot", "pricing? how much does it cost?")
    assert reply.sources
    ticketed = client.conversation("jira-bot")
    ticketed.send(unique("the build is broken"))
    with_ticket = ticketed.send(unique("please open a ticket"))
    assert with_ticket.ticket is not None
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        for original in (reply, with_ticket):
            back = pickle.loads(pickle.dumps(original, protocol=protocol))
            assert type(back) is enjo.MessageResponse and back == original
            assert back.to_dict() == original.to_dict()
            assert back.raw == original.raw and back.request_id == original.request_id
            assert repr(back) == repr(original)
        source = reply.sources[0]
        back_source = pickle.loads(pickle.dumps(source, protocol=protocol))
        assert type(back_source) is enjo.Source and back_source == source
        assert back_source.to_dict() == source.to_dict()
        ticket = with_ticket.ticket
        back_ticket = pickle.loads(pickle.dumps(ticket, protocol=protocol))
        assert type(back_ticket) is enjo.Ticket and back_ticket == ticket
        assert back_ticket.to_dict() == ticket.to_dict()


def test_raw_is_a_fresh_copy_that_cannot_drift(client: enjo.Enjo) -> None:
    reply = client.send_message("jira-bot", "the printer is down, please open a ticket")
    assert reply.ticket is not None
    raw = reply.raw
    raw["success"] = "changed"
    raw["data"].clear()
    assert reply.raw["success"] is True and reply.raw["data"]
    assert reply.to_dict()["raw"] == reply.raw
    reply.sources.append(None)  # type: ignore[arg-type]
    assert None not in reply.sources
    ticket_raw = reply.ticket.raw
    ticket_raw.clear()
    assert reply.ticket.raw and reply.ticket.to_dict()["raw"] == reply.ticket.raw
    assert pickle.loads(pickle.dumps(reply)).raw == reply.raw


def test_close_and_context_manager(mock: Mock) -> None:
    with enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False) as c:
        conv = c.conversation("echo-bot")
        assert c.send_message("echo-bot", "open").answers == "open"
        assert not c.closed
    assert c.closed
    with pytest.raises(enjo.InvalidArgumentError, match="closed"):
        c.send_message("echo-bot", "after close")
    with pytest.raises(enjo.InvalidArgumentError, match="closed"):
        conv.send("after close")
    c.close()  # idempotent
    assert "closed" in repr(c)


def test_repr_never_shows_the_token(mock: Mock) -> None:
    secret = "sk-very-secret-token-1234"
    c = enjo.Enjo(token=secret, base_url=mock.url, rate_limit=False)
    assert secret not in repr(c) and secret not in str(c)
    assert repr(c).startswith(f"Enjo(base_url='{mock.url}'")
    assert secret not in c._native.describe()
    with pytest.raises(enjo.AuthenticationError) as info:
        c.send_message("echo-bot", "x")
    err = info.value
    for text in (str(err), repr(err), err.message, err.body or "", str(err.args)):
        assert secret not in text
    assert all(secret not in json.dumps(r) for r in mock.requests())


def test_repr_shows_the_real_settings(mock: Mock, monkeypatch: Any) -> None:
    secret = "sk-repr-secret-5678"
    c = enjo.AsyncEnjo(token=secret, base_url=mock.url + "/", timeout=5, connect_timeout=1.5,
                       max_retries=0, retry_policy="at_least_once", rate_limit=[[5, 1]])
    assert repr(c) == (
        f"AsyncEnjo(base_url='{mock.url}', timeout=5.0, connect_timeout=1.5, max_retries=0, "
        "retry_policy='at_least_once', rate_limit=[(5, 1.0)])"
    )
    monkeypatch.setenv("ENJO_API_TOKEN", secret)
    monkeypatch.setenv("ENJO_BASE_URL", mock.url)
    d = enjo.Enjo(rate_limit=False)
    # The core's defaults, whatever they are, as the native client was built with them.
    assert repr(d) == (
        f"Enjo(base_url='{mock.url}', timeout=60.0, connect_timeout=10.0, max_retries=2, "
        "retry_policy='safe', rate_limit=False)"
    )
    assert "timeout: 60s" in d._native.describe() and "max_retries: 2" in d._native.describe()
    for client in (c, d):
        assert secret not in repr(client) and secret not in client._native.describe()


def test_version() -> None:
    assert enjo.__version__.count(".") == 2
