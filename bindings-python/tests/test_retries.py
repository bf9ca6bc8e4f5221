"""Retries, counted at the server (`/_mock/requests`): what is safe is retried, what may have
created a ticket is not (unless `retry_policy="at_least_once"`)."""

from __future__ import annotations

from typing import Any, List

import pytest

import enjo
from conftest import TOKEN, Mock


def statuses(mock: Mock, text: str) -> List[int]:
    return [r["status"] for r in mock.requests_with(text)]


def test_429_is_retried_after_retry_after(client: enjo.Enjo, mock: Mock, unique: Any) -> None:
    text = unique()
    mock.fault("echo-bot", "429", times=1)  # Retry-After: 1
    assert client.send_message("echo-bot", text).answers == text
    assert statuses(mock, text) == [429, 200]
    logged = mock.requests_with(text)
    # Not sent again before the server's Retry-After had passed. (A lower bound that the
    # client's wait guarantees, read on the server's clock; never an upper bound.)
    assert logged[1]["at_ms"] - logged[0]["at_ms"] >= 1000


def test_429_with_retry_after_ms_and_the_limiter_on(own_mock: Mock, unique: Any) -> None:
    mock = own_mock  # a limiter of its own
    c = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=[(1000, 1.0)])
    text = unique()
    mock.fault("echo-bot", "429;retry-after-ms=150", times=2)
    assert c.send_message("echo-bot", text).answers == text
    logged = mock.requests_with(text)
    assert [r["status"] for r in logged] == [429, 429, 200]
    assert all(b["at_ms"] - a["at_ms"] >= 150 for a, b in zip(logged, logged[1:]))


def test_429_gives_up_after_max_retries(client: enjo.Enjo, mock: Mock, unique: Any) -> None:
    text = unique()
    mock.fault("echo-bot", "429;retry-after-ms=10", times=5)
    with pytest.raises(enjo.RateLimitError):
        client.send_message("echo-bot", text, max_retries=1)
    assert statuses(mock, text) == [429, 429]
    mock.reset()


def test_500_is_sent_exactly_once_by_default(client: enjo.Enjo, mock: Mock, unique: Any) -> None:
    text = unique()
    mock.fault("echo-bot", "500", times=3)
    with pytest.raises(enjo.ServerError):
        client.send_message("echo-bot", text)
    assert statuses(mock, text) == [500]
    mock.reset()


def test_at_least_once_sends_one_plus_max_retries(mock: Mock, unique: Any) -> None:
    c = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False,
                  retry_policy="at_least_once", max_retries=2)
    text = unique()
    mock.fault("echo-bot", "500", times=3)
    with pytest.raises(enjo.ServerError):
        c.send_message("echo-bot", text)
    assert statuses(mock, text) == [500, 500, 500]
    text = unique()
    mock.fault("echo-bot", "500", times=1)
    assert c.send_message("echo-bot", text).answers == text
    assert statuses(mock, text) == [500, 200]


def test_timeout_after_sending_is_not_retried_by_default(client: enjo.Enjo, mock: Mock,
                                                         unique: Any) -> None:
    text = unique()
    mock.fault("echo-bot", "delay=1000", times=1)
    with pytest.raises(enjo.APITimeoutError):
        client.send_message("echo-bot", text, timeout=0.2)
    assert len(mock.requests_with(text)) == 1


def test_reset_is_retried_only_at_least_once(mock: Mock, unique: Any) -> None:
    safe = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False)
    text = unique()
    mock.fault("echo-bot", "reset", times=1)
    with pytest.raises(enjo.APIConnectionError):
        safe.send_message("echo-bot", text)
    assert len(mock.requests_with(text)) == 1
    eager = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False,
                      retry_policy="at_least_once")
    text = unique()
    mock.fault("echo-bot", "reset", times=1)
    assert eager.send_message("echo-bot", text).answers == text
    assert statuses(mock, text) == [0, 200]


def test_per_call_max_retries(mock: Mock, unique: Any) -> None:
    c = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False, max_retries=0)
    text = unique()
    mock.fault("echo-bot", "429;retry-after-ms=10", times=1)
    with pytest.raises(enjo.RateLimitError):
        c.send_message("echo-bot", text)
    text = unique()
    mock.fault("echo-bot", "429;retry-after-ms=10", times=1)
    assert c.send_message("echo-bot", text, max_retries=1).answers == text
    assert statuses(mock, text) == [429, 200]


def test_400_and_401_are_never_retried(client: enjo.Enjo, mock: Mock, unique: Any) -> None:
    for fault, cls in (("status=400", enjo.InvalidRequestError),
                       ("status=401", enjo.AuthenticationError)):
        text = unique()
        mock.fault("echo-bot", fault, times=3)
        with pytest.raises(cls):
            client.send_message("echo-bot", text)
        assert len(mock.requests_with(text)) == 1
        mock.reset()
