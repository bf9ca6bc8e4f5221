"""Records of the `enjo` logger: per attempt, retry and rate-limit wait; never the token."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from typing import Any, Iterator, List

import pytest

import enjo
from conftest import TOKEN, Mock

SECRET = "sk-logging-secret-9876"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="enjo")
    yield caplog


def test_one_record_per_attempt_and_retry(client: enjo.Enjo, mock: Mock, unique: Any,
                                          logs: pytest.LogCaptureFixture) -> None:
    mock.fault("echo-bot", "429;retry-after-ms=20", times=1)
    client.send_message("echo-bot", unique())
    mine = [r for r in logs.records if r.name == "enjo"]
    assert [r.levelname for r in mine] == ["DEBUG", "INFO", "DEBUG"]
    assert "attempt 1 of 3" in mine[0].getMessage()
    assert "/v1/bots/echo-bot/message" in mine[0].getMessage()
    assert "retrying in" in mine[1].getMessage() and "429" in mine[1].getMessage()
    assert "attempt 2 of 3" in mine[2].getMessage()


def test_async_calls_log_too(aclient: enjo.AsyncEnjo, logs: pytest.LogCaptureFixture) -> None:
    asyncio.run(aclient.send_message("echo-bot", "logged"))
    assert [r.getMessage() for r in logs.records if r.name == "enjo"] == [
        "POST /v1/bots/echo-bot/message: attempt 1 of 3"
    ]


def test_rate_limit_waits_are_logged(own_mock: Mock, unique: Any,
                                     logs: pytest.LogCaptureFixture) -> None:
    c = enjo.Enjo(token=TOKEN, base_url=own_mock.url, rate_limit=[(1, 0.3)])
    c.conversation("echo-bot").send(unique())
    c.send_message("echo-bot", unique())
    waits = [r for r in logs.records if "client-side rate limit" in r.getMessage()]
    assert len(waits) == 1 and waits[0].levelname == "INFO"


def test_nothing_is_logged_when_the_logger_is_off(client: enjo.Enjo,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="enjo")
    client.send_message("echo-bot", "quiet")
    assert [r for r in caplog.records if r.name == "enjo"] == []


def test_the_token_never_reaches_the_logs(mock: Mock, unique: Any,
                                          logs: pytest.LogCaptureFixture) -> None:
    c = enjo.Enjo(token=SECRET, base_url=mock.url, rate_limit=False)
    with pytest.raises(enjo.AuthenticationError):
        c.send_message("echo-bot", unique())
    ok = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False)
    mock.fault("echo-bot", "429;retry-after-ms=10", times=1)
    ok.send_message("echo-bot", unique())
    assert logs.records
    for r in logs.records:
        assert SECRET not in r.getMessage() and TOKEN not in r.getMessage()


# The handler's exception is reported through sys.unraisablehook (which pytest turns into
# this warning) instead of failing the request.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_failing_handler_does_not_fail_the_request(client: enjo.Enjo) -> None:
    class Broken(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raise RuntimeError("broken handler")

    logger = logging.getLogger("enjo")
    handler = Broken()
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        assert client.send_message("echo-bot", "still works").answers == "still works"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def test_enjo_log_env_turns_logging_on(mock: Mock) -> None:
    code = (
        "import enjo\n"
        f"c = enjo.Enjo(token={SECRET!r}, base_url={mock.url!r}, rate_limit=False)\n"
        "try:\n    c.send_message('echo-bot', 'env logging')\n"
        "except enjo.AuthenticationError:\n    pass\n"
    )
    env = dict(os.environ, ENJO_LOG="debug")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "enjo" in out.stderr and "attempt 1 of 3" in out.stderr
    assert SECRET not in out.stderr + out.stdout
    env.pop("ENJO_LOG")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == ""
