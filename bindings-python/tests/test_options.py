"""The options every binding has (docs/bindings.md), against enjo-mock: the client's `deadline`,
`proxy`, `allow_insecure_http`, `max_response_bytes`, `root_certificate_pem`; per call
`retry_policy`, `deadline`, `headers` (blocking and async, client and conversation);
`server_request_id` and `may_have_been_sent`; the core's refusal of a conversation id on a
conversation."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any, Optional

import pytest

import enjo
from enjo import _enjo
from conftest import TOKEN, Mock

#: Long enough that only the deadline under test can end the call first.
SLOW = "delay=5000"


def make(mock: Mock, **options: Any) -> enjo.Enjo:
    return enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False, **options)


def first_system_certificate() -> Optional[str]:
    paths = ssl.get_default_verify_paths()
    for cafile in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if cafile and Path(cafile).is_file():
            text = Path(cafile).read_text(errors="replace")
            begin = text.find("-----BEGIN CERTIFICATE-----")
            end_marker = "-----END CERTIFICATE-----"
            end = text.find(end_marker, begin)
            if begin >= 0 and end > begin:
                return text[begin:end + len(end_marker)] + "\n"
    return None


# --- client options ------------------------------------------------------------------------


def test_client_deadline_bounds_the_whole_call(mock: Mock, unique: Any) -> None:
    c = make(mock, deadline=0.3, timeout=30)
    text = unique()
    mock.fault("echo-bot", SLOW, times=1)
    with pytest.raises(enjo.APITimeoutError, match="deadline"):
        c.send_message("echo-bot", text)
    assert len(mock.requests_with(text)) == 1
    with pytest.raises(enjo.InvalidArgumentError, match="^deadline must be"):
        make(mock, deadline=0)
    with pytest.raises(TypeError):
        make(mock, deadline="1")


def test_proxy_and_allow_insecure_http(mock: Mock, unique: Any) -> None:
    # Plain http to a host that is not loopback is refused unless allowed.
    with pytest.raises(enjo.InvalidArgumentError, match="allow_insecure_http"):
        enjo.Enjo(token=TOKEN, base_url="http://enjo.invalid", rate_limit=False)
    # Allowed, through the mock as a forward proxy: `enjo.invalid` does not resolve, so the
    # reply can only come through the proxy.
    c = enjo.Enjo(token=TOKEN, base_url="http://enjo.invalid", rate_limit=False,
                  proxy=mock.url, allow_insecure_http=True)
    text = unique()
    assert c.send_message("echo-bot", text).answers == text
    assert len(mock.requests_with(text)) == 1
    with pytest.raises(enjo.InvalidArgumentError):
        make(mock, proxy="not a url")
    with pytest.raises(TypeError):
        make(mock, allow_insecure_http="yes")


def test_max_response_bytes_caps_a_reply(mock: Mock, unique: Any) -> None:
    c = make(mock, max_response_bytes=4096, max_retries=0)
    mock.fault("echo-bot", "huge-body=65536", times=1)
    with pytest.raises(enjo.EnjoError, match="4096") as info:
        c.send_message("echo-bot", unique())
    assert not isinstance(info.value, enjo.InvalidArgumentError)
    text = unique()
    assert c.send_message("echo-bot", text).answers == text  # a small reply passes
    for bad in (0, -1):
        with pytest.raises(enjo.InvalidArgumentError, match="^max_response_bytes must be"):
            make(mock, max_response_bytes=bad)
    with pytest.raises(TypeError):
        make(mock, max_response_bytes=1.5)


def test_root_certificate_pem(mock: Mock, unique: Any) -> None:
    for bad in ("not pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"):
        with pytest.raises(enjo.InvalidArgumentError):
            make(mock, root_certificate_pem=bad)
    with pytest.raises(TypeError):
        make(mock, root_certificate_pem=b"bytes")
    pem = first_system_certificate()
    if pem is None:
        pytest.skip("no system CA bundle to take a real certificate from")
    text = unique()
    assert make(mock, root_certificate_pem=pem).send_message("echo-bot", text).answers == text


def test_every_new_client_option_at_once(mock: Mock, unique: Any) -> None:
    c = make(mock, deadline=30.0, proxy=None, allow_insecure_http=False,
             max_response_bytes=1 << 20, user_agent="parity/1")
    text = unique()
    reply = c.send_message("echo-bot", text)
    assert reply.answers == text
    (logged,) = mock.requests_with(text)
    assert logged["user_agent"].endswith(" parity/1")


# --- per-call options ----------------------------------------------------------------------


def test_per_call_deadline(mock: Mock, unique: Any) -> None:
    c = make(mock, timeout=30)
    conv = c.conversation("echo-bot")
    for send in (lambda t: c.send_message("echo-bot", t, deadline=0.3),
                 lambda t: conv.send(t, deadline=0.3)):
        mock.fault("echo-bot", SLOW, times=1)
        with pytest.raises(enjo.APITimeoutError, match="deadline"):
            send(unique())
    with pytest.raises(enjo.InvalidArgumentError, match="^deadline must be"):
        c.send_message("echo-bot", "x", deadline=-1)


def test_per_call_retry_policy(mock: Mock, unique: Any) -> None:
    c = make(mock)  # the client's policy: safe
    text = unique()
    mock.fault("echo-bot", "reset", times=1)
    with pytest.raises(enjo.APIConnectionError) as info:
        c.send_message("echo-bot", text)
    assert info.value.may_have_been_sent is True  # the request reached the server
    assert len(mock.requests_with(text)) == 1
    for send in (lambda t: c.send_message("echo-bot", t, retry_policy="at_least_once"),
                 lambda t: c.conversation("echo-bot").send(t, retry_policy="at_least_once")):
        text = unique()
        mock.fault("echo-bot", "reset", times=1)
        assert send(text).answers == text
        assert len(mock.requests_with(text)) == 2
    with pytest.raises(enjo.InvalidArgumentError, match="^retry_policy must be"):
        c.send_message("echo-bot", "x", retry_policy="atLeastOnce")
    with pytest.raises(TypeError):
        c.send_message("echo-bot", "x", retry_policy=1)  # type: ignore[arg-type]


def test_per_call_headers(mock: Mock, unique: Any) -> None:
    c = make(mock)
    text = unique()
    c.send_message("echo-bot", text, headers={"X-Tenant": "acme", "X-Trace": "t1"})
    (logged,) = mock.requests_with(text)
    assert logged["headers"]["x-tenant"] == "acme" and logged["headers"]["x-trace"] == "t1"
    text = unique()
    c.conversation("echo-bot").send(text, headers=[("X-Tenant", "a"), ("X-Tenant", "b")])
    (logged,) = mock.requests_with(text)
    assert logged["headers"]["x-tenant"] == "a, b"  # pairs keep order and repeats
    for bad in ("X-Tenant: acme", [("X-Tenant",)], [("X-Tenant", 1)], 42):
        with pytest.raises(TypeError, match="^headers must be"):
            c.send_message("echo-bot", "x", headers=bad)  # type: ignore[arg-type]
    with pytest.raises(enjo.InvalidArgumentError, match="reserved"):
        c.send_message("echo-bot", "x", headers={"Authorization": "Bearer other"})
    with pytest.raises(enjo.InvalidArgumentError):
        c.send_message("echo-bot", "x", headers={"bad name": "v"})


def test_async_per_call_options(mock: Mock, unique: Any) -> None:
    async def main() -> None:
        async with enjo.AsyncEnjo(token=TOKEN, base_url=mock.url, rate_limit=False,
                                  timeout=30) as c:
            text = unique()
            mock.fault("echo-bot", "reset", times=1)
            reply = await c.send_message("echo-bot", text, retry_policy="at_least_once",
                                         headers={"X-Tenant": "async"}, deadline=20)
            assert reply.answers == text
            logged = mock.requests_with(text)
            assert len(logged) == 2 and logged[-1]["headers"]["x-tenant"] == "async"
            conv = c.conversation("echo-bot")
            text = unique()
            await conv.send(text, headers=[("X-Tenant", "conv")], max_retries=0, timeout=5)
            (logged_conv,) = mock.requests_with(text)
            assert logged_conv["headers"]["x-tenant"] == "conv"
            mock.fault("echo-bot", SLOW, times=1)
            with pytest.raises(enjo.APITimeoutError, match="deadline"):
                await conv.send(unique(), deadline=0.3)
            with pytest.raises(enjo.InvalidArgumentError, match="^deadline must be"):
                await c.send_message("echo-bot", "x", deadline=0)
            with pytest.raises(TypeError, match="^headers must be"):
                await c.send_message("echo-bot", "x", headers="X: y")  # type: ignore[arg-type]

    asyncio.run(main())


# --- replies, errors, conversations, close -------------------------------------------------


def test_server_request_id_on_replies_and_errors(mock: Mock, unique: Any) -> None:
    c = make(mock, max_retries=0)
    reply = c.send_message("echo-bot", unique(), headers={"X-Request-Id": "req-mine-1"})
    # enjo-mock echoes the request id it received as its own.
    assert reply.request_id == "req-mine-1" and reply.server_request_id == "req-mine-1"
    mock.fault("echo-bot", "500", times=1)
    with pytest.raises(enjo.ServerError) as info:
        c.send_message("echo-bot", unique())
    err = info.value
    assert err.request_id and err.server_request_id == err.request_id
    assert err.may_have_been_sent is True
    refused = enjo.Enjo(token=TOKEN, base_url="http://127.0.0.1:1", rate_limit=False,
                        max_retries=0)
    with pytest.raises(enjo.APIConnectionError) as info:
        refused.send_message("echo-bot", "nobody listens")
    assert info.value.may_have_been_sent is False and info.value.server_request_id is None


def test_a_conversation_refuses_a_conversation_id_through_core(mock: Mock, unique: Any) -> None:
    c = make(mock)
    conv = c.conversation("echo-bot")
    text = unique()
    with pytest.raises(enjo.InvalidArgumentError, match="conversation sends its own"):
        conv._native.send(text, _enjo.CallOptions(conversation_id="other"))
    with pytest.raises(TypeError):
        conv.send(text, conversation_id="other")  # type: ignore[call-arg]
    assert mock.requests_with(text) == []


def test_close_is_the_cores(mock: Mock, unique: Any) -> None:
    c = make(mock)
    conv = c.conversation("echo-bot")
    assert not c.closed and not c._native.closed
    c.close()
    c.close()  # idempotent
    assert c.closed and c._native.closed
    text = unique()
    with pytest.raises(enjo.InvalidArgumentError, match="closed") as info:
        conv.send(text)
    assert info.value.may_have_been_sent is False
    with pytest.raises(enjo.InvalidArgumentError, match="closed"):
        c.send_message("echo-bot", text, headers={"X-Tenant": "t"})
    assert mock.requests_with(text) == []
    assert repr(c).endswith(", closed)")

    async def main() -> None:
        a = enjo.AsyncEnjo(token=TOKEN, base_url=mock.url, rate_limit=False)
        aconv = a.conversation("echo-bot")
        await a.close()
        assert a.closed
        with pytest.raises(enjo.InvalidArgumentError, match="closed"):
            await aconv.send(text)
        with pytest.raises(enjo.InvalidArgumentError, match="closed"):
            await a.send_message("echo-bot", text)

    asyncio.run(main())
    assert mock.requests_with(text) == []


# --- shared rate-limit store -----------------------------------------------------------------


def test_a_file_store_shares_the_quota_with_another_process(
    mock: Mock, unique: Any, tmp_path: Path
) -> None:
    import subprocess
    import sys

    store = f"file:{tmp_path / 'limiter.state'}"
    text = unique()
    # Another process takes both requests of a 2-per-10-minutes quota...
    child = (
        "import enjo, sys\n"
        f"c = enjo.Enjo(token={TOKEN!r}, base_url={mock.url!r}, rate_limit=[(2, 600)],\n"
        f"              rate_limit_store={store!r})\n"
        f"for i in range(2): c.send_message('echo-bot', {text!r} + str(i))\n"
    )
    subprocess.run([sys.executable, "-c", child], check=True, timeout=120)
    assert (tmp_path / "limiter.state").exists()
    # ...so this one, sharing the file, has none left: it fails at once without sending.
    c = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=[(2, 600)],
                  rate_limit_store=store, rate_limit_max_wait=0)
    with pytest.raises(enjo.RateLimitError):
        c.send_message("echo-bot", text + "-parent")
    sent = [r for r in mock.requests("echo-bot") if (r.get("text") or "").startswith(text)]
    assert len(sent) == 2
    # Without the store, this process's own limiter has room.
    own = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=[(2, 600)],
                    rate_limit_key="other", rate_limit_max_wait=0)
    own.send_message("echo-bot", text + "-own")


def test_an_unreachable_store_is_a_typed_error_or_falls_back(mock: Mock, unique: Any) -> None:
    text = unique()
    down = "redis://127.0.0.1:1/0"
    c = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit_store=down)
    with pytest.raises(enjo.RateLimitStoreError, match="127.0.0.1:1") as caught:
        c.send_message("echo-bot", text)
    assert caught.value.may_have_been_sent is False
    assert mock.requests_with(text) == []
    fallback = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit_store=down,
                         rate_limit_store_fallback=True)
    assert fallback.send_message("echo-bot", text).answers
    assert len(mock.requests_with(text)) == 1


def test_a_bad_store_names_the_option_and_hides_the_password(mock: Mock) -> None:
    with pytest.raises(enjo.InvalidArgumentError, match="^rate_limit_store: ") as caught:
        enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit_store="redis://:hunter2@")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(TypeError):
        enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit_store=5)  # type: ignore[arg-type]
