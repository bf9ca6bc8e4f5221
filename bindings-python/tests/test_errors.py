"""Every error kind, every fault of the mock, the exception classes' contract, panics."""

from __future__ import annotations

import asyncio
import pickle
import socket
from typing import Any, Optional, Type

import pytest

import enjo
from enjo import _enjo
from conftest import TOKEN, Mock


def raises(client: enjo.Enjo, cls: Type[enjo.EnjoError], bot: str = "echo-bot",
           text: str = "x", **kw: Any) -> Any:
    with pytest.raises(cls) as info:
        client.send_message(bot, text, **kw)
    return info.value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_hierarchy() -> None:
    api = [enjo.InvalidRequestError, enjo.AuthenticationError, enjo.NotFoundError,
           enjo.RateLimitError, enjo.ServerError]
    for cls in api:
        assert issubclass(cls, enjo.APIError)
    others = [enjo.InvalidArgumentError, enjo.APIError, enjo.APITimeoutError,
              enjo.APIConnectionError, enjo.ResponseDecodeError]
    for cls in api + others:
        assert issubclass(cls, enjo.EnjoError) and issubclass(cls, Exception)
    assert issubclass(enjo.InvalidArgumentError, ValueError)
    assert issubclass(enjo.APITimeoutError, TimeoutError)
    assert not issubclass(enjo.EnjoError, ValueError)


def test_invalid_request(client: enjo.Enjo, unique: Any) -> None:
    err = raises(client, enjo.InvalidRequestError, bot="no-such-bot")
    assert (err.status, err.code, err.message, err.kind) == (
        400, "invalid_request_error", "botId not found", "invalid_request")
    assert err.body and "botId not found" in err.body
    assert err.request_id and err.request_id in str(err)
    assert str(err).startswith("HTTP 400 invalid_request_error: botId not found")
    assert "check the bot id" in str(err)
    assert err.retry_after is None


def test_authentication(mock: Mock) -> None:
    c = enjo.Enjo(token="wrong-token", base_url=mock.url, rate_limit=False)
    err = raises(c, enjo.AuthenticationError)
    assert (err.status, err.code, err.kind) == (401, "authentication_error", "authentication")
    assert "ENJO_API_TOKEN" in str(err)


def test_not_found(mock: Mock) -> None:
    c = enjo.Enjo(token=TOKEN, base_url=mock.url + "/wrong/prefix", rate_limit=False)
    err = raises(c, enjo.NotFoundError)
    assert (err.status, err.code, err.kind) == (404, "not_found", "not_found")


@pytest.mark.parametrize("shape", ["", ";shape=message"])
def test_rate_limited_both_body_shapes(client: enjo.Enjo, mock: Mock, shape: str) -> None:
    mock.fault("echo-bot", "status=429;retry-after=3" + shape)
    err = raises(client, enjo.RateLimitError, max_retries=0)
    assert (err.status, err.code, err.message) == (429, "rate_limit_error", "Rate limit exceeded")
    assert err.retry_after == 3.0
    assert err.kind == "rate_limited"
    assert "retry after 3.0s" in str(err)
    assert ('"status":429' in (err.body or "").replace(" ", "")) == bool(shape)


def test_rate_limit_error_from_the_local_limiter(own_mock: Mock, unique: Any) -> None:
    mock = own_mock  # its own origin: a limiter no other test shares
    c = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=[(1, 3600.0)],
                  rate_limit_max_wait=0.5)
    c.send_message("echo-bot", unique("first"))
    text = unique("second")
    err = raises(c, enjo.RateLimitError, text=text)
    assert err.status is None and err.retry_after is not None and err.retry_after > 0.5
    assert "nothing was sent" in str(err)
    assert mock.requests_with(text) == []


def test_server_error(client: enjo.Enjo, mock: Mock) -> None:
    mock.fault("echo-bot", "500")
    err = raises(client, enjo.ServerError)
    assert (err.status, err.code, err.kind) == (500, "server_error", "server")
    assert "may have been processed" in str(err)


def test_other_status_is_api_error(client: enjo.Enjo, mock: Mock) -> None:
    mock.fault("echo-bot", "status=418")
    err = raises(client, enjo.APIError)
    assert type(err) is enjo.APIError and err.status == 418 and err.kind == "api"


def test_success_false_is_api_error(client: enjo.Enjo, mock: Mock) -> None:
    mock.fault("echo-bot", "success-false")
    err = raises(client, enjo.APIError)
    assert type(err) is enjo.APIError
    assert (err.status, err.code) == (200, "bot_error")


def test_timeout(client: enjo.Enjo, mock: Mock) -> None:
    mock.fault("echo-bot", "delay=3000")
    err = raises(client, enjo.APITimeoutError, timeout=0.2)
    assert isinstance(err, TimeoutError) and err.kind == "timeout"
    assert err.status is None


def test_connection_refused(unique: Any) -> None:
    c = enjo.Enjo(token=TOKEN, base_url=f"http://127.0.0.1:{free_port()}", rate_limit=False,
                  max_retries=1)
    err = raises(c, enjo.APIConnectionError)
    assert err.kind == "connection" and err.status is None


def test_connection_reset(client: enjo.Enjo, mock: Mock) -> None:
    mock.fault("echo-bot", "reset")
    raises(client, enjo.APIConnectionError)


def test_malformed_json_is_decode_error(client: enjo.Enjo, mock: Mock) -> None:
    mock.fault("echo-bot", "malformed-json")
    err = raises(client, enjo.ResponseDecodeError)
    assert err.status == 200 and err.body and err.kind == "decode"


def test_body_over_the_cap_is_decode_error(client: enjo.Enjo, mock: Mock) -> None:
    mock.fault("faq-bot", "huge-body")  # 20 MiB, over the 16 MiB cap
    raises(client, enjo.ResponseDecodeError, bot="faq-bot")


def test_html_502(client: enjo.Enjo, mock: Mock) -> None:
    mock.fault("echo-bot", "html-502")
    err = raises(client, enjo.ServerError)
    assert err.status == 502 and err.body and "<html" in err.body.lower()


@pytest.mark.parametrize(
    "status, cls",
    [(400, enjo.InvalidRequestError), (401, enjo.AuthenticationError),
     (404, enjo.NotFoundError), (429, enjo.RateLimitError), (500, enjo.ServerError),
     (503, enjo.ServerError), (409, enjo.APIError)],
)
def test_empty_bodies(client: enjo.Enjo, mock: Mock, status: int, cls: Type[Exception]) -> None:
    mock.fault("echo-bot", f"empty-body={status}")
    err = raises(client, cls, max_retries=0)  # type: ignore[arg-type]
    assert err.status == status and err.code is None


@pytest.mark.parametrize(
    "status, cls, code",
    [(400, enjo.InvalidRequestError, "invalid_request_error"),
     (401, enjo.AuthenticationError, "authentication_error"),
     (404, enjo.NotFoundError, "not_found"),
     (500, enjo.ServerError, "server_error"),
     (504, enjo.ServerError, "server_error"),
     (402, enjo.APIError, "api_error")],
)
@pytest.mark.parametrize("shape", ["", ";shape=message"])
def test_status_faults_in_both_shapes(client: enjo.Enjo, mock: Mock, status: int,
                                      cls: Type[Exception], code: str, shape: str) -> None:
    mock.fault("echo-bot", f"status={status}{shape}")
    err = raises(client, cls)  # type: ignore[arg-type]
    assert (err.status, err.code) == (status, code)
    assert err.message and err.message != str(err)


def test_500_after_ticket_is_sent_once(client: enjo.Enjo, mock: Mock, unique: Any) -> None:
    text = unique("deploys are down, open a ticket")
    mock.fault("jira-bot", "500-after-ticket")
    with pytest.raises(enjo.ServerError):
        client.send_message("jira-bot", text)
    # The server created the ticket although the reply was an error: never sent twice.
    (logged,) = mock.requests_with(text)
    assert logged["status"] == 500 and logged["fault"]
    made = [t for t in mock.tickets() if text in str(t["ticket"])]
    assert len(made) == 1 and made[0]["platform"] == "jira"


def test_delay_fault_answers_normally(client: enjo.Enjo, mock: Mock) -> None:
    mock.fault("echo-bot", "delay=50")
    assert client.send_message("echo-bot", "late").answers == "late"


# --- the exception objects ----------------------------------------------------------------

def test_errors_pickle_with_every_field(client: enjo.Enjo, mock: Mock) -> None:
    mock.fault("echo-bot", "status=429;retry-after=2;shape=message")
    err = raises(client, enjo.RateLimitError, max_retries=0)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(err, protocol=protocol))
        assert type(back) is enjo.RateLimitError
        assert str(back) == str(err)
        for name in ("message", "kind", "status", "code", "body", "retry_after", "request_id"):
            assert getattr(back, name) == getattr(err, name), name
    for cls in (enjo.InvalidArgumentError, enjo.APITimeoutError, enjo.EnjoError):
        e = cls("boom", status=None)
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is cls and str(back) == "boom" and back.kind == e.kind


def test_errors_can_be_raised_by_user_code() -> None:
    e = enjo.RateLimitError("slow down", retry_after=1.5, status=429)
    assert (str(e), e.message, e.retry_after, e.kind) == ("slow down", "slow down", 1.5,
                                                         "rate_limited")
    assert repr(e) == "RateLimitError('slow down', status=429, retry_after=1.5)"
    assert enjo.EnjoError("x").kind == "internal"


def test_invalid_argument_is_a_value_error(client: enjo.Enjo) -> None:
    with pytest.raises(ValueError):
        client.send_message("", "x")


def test_every_core_kind_has_its_class_with_the_right_parent() -> None:
    # The native module lists the core's ErrorKind::ALL: a kind added there fails here until
    # enjo._exceptions has its class.
    assert len(_enjo.ERROR_KINDS) >= 11
    for class_name, kind, is_api in _enjo.ERROR_KINDS:
        cls = getattr(enjo, class_name)
        assert class_name in enjo.__all__
        assert issubclass(cls, enjo.EnjoError) and cls.default_kind == kind
        assert issubclass(cls, enjo.APIError) == is_api, class_name
    assert enjo.InternalError.__bases__ == (enjo.EnjoError,)


def test_panics_arrive_as_internal_errors(mock: Mock) -> None:
    for mode in ("sync", "blocking"):
        with pytest.raises(enjo.InternalError) as info:
            _enjo._test_panic(mode)
        assert type(info.value) is enjo.InternalError
        assert "this is a bug in enjo, please report it" in str(info.value)
        assert info.value.kind == "internal" and info.value.may_have_been_sent

    async def in_a_task() -> Optional[BaseException]:
        from enjo._client import _completions

        loop = asyncio.get_running_loop()
        future = loop.create_future()
        _enjo._test_panic("async", _completions(loop), future)
        try:
            await future
        except BaseException as e:  # noqa: BLE001 - the point of the test
            return e
        return None

    err = asyncio.run(in_a_task())
    assert type(err) is enjo.InternalError and "test panic (async)" in str(err)
