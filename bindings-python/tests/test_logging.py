"""Records of the `enjo` logger: per attempt, retry and rate-limit wait; never the token."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
from typing import Any, Iterator, List, Tuple

import pytest

import enjo
from conftest import TOKEN, Mock

SECRET = "sk-logging-secret-9876"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="enjo")
    yield caplog


def mine(logs: pytest.LogCaptureFixture) -> List[logging.LogRecord]:
    return [r for r in logs.records if r.name == "enjo"]


def summary(records: List[logging.LogRecord]) -> List[Tuple[Any, ...]]:
    """What must be the same whichever way a call was made (not timings)."""
    return [(r.levelname, r.enjo_event, r.enjo_path, r.enjo_attempt, r.enjo_status,  # type: ignore[attr-defined]
             r.enjo_error) for r in records]  # type: ignore[attr-defined]


def test_one_record_per_attempt_with_its_outcome(client: enjo.Enjo, mock: Mock, unique: Any,
                                                 logs: pytest.LogCaptureFixture) -> None:
    mock.fault("echo-bot", "429;retry-after-ms=20", times=1)
    client.send_message("echo-bot", unique())
    records = mine(logs)
    path = "/v1/bots/echo-bot/message"
    assert summary(records) == [
        ("DEBUG", "attempt", path, 1, 429, "rate_limited"),
        ("INFO", "retry", path, 1, None, None),
        ("DEBUG", "attempt", path, 2, 200, None),
    ]
    first, retry, second = (r.getMessage() for r in records)
    assert first.startswith(f"POST {path}: attempt 1 of 3: HTTP 429 (rate_limited) after ")
    assert first.endswith(" ms")
    assert "retrying in" in retry and "429" in retry
    assert second.startswith(f"POST {path}: attempt 2 of 3: HTTP 200 in ")
    assert all(r.enjo_seconds is not None and r.enjo_seconds >= 0  # type: ignore[attr-defined]
               for r in records)
    assert all(r.thread == threading.get_ident() for r in records)


def test_async_logging_delivers_the_same_records_on_the_loops_thread(
        client: enjo.Enjo, aclient: enjo.AsyncEnjo, mock: Mock, unique: Any,
        logs: pytest.LogCaptureFixture) -> None:
    def scenario(send: Any) -> List[logging.LogRecord]:
        logs.clear()
        mock.fault("echo-bot", "429;retry-after-ms=20", times=1)
        send("echo-bot", unique())
        mock.fault("echo-bot", "status=401", times=1)
        with pytest.raises(enjo.AuthenticationError):
            send("echo-bot", unique())
        return mine(logs)

    sync_records = scenario(client.send_message)
    loop_threads: List[int] = []

    def async_send(bot: str, text: str) -> Any:
        async def main() -> Any:
            loop_threads.append(threading.get_ident())
            return await aclient.send_message(bot, text)

        return asyncio.run(main())

    async_records = scenario(async_send)
    assert len(sync_records) == 5  # attempt, retry, attempt; attempt, failed
    assert summary(async_records) == summary(sync_records)
    assert [r.getMessage().split(": ")[:2] for r in async_records] == \
        [r.getMessage().split(": ")[:2] for r in sync_records]
    # Emitted by the event loop's thread, never by the SDK's I/O thread.
    assert {r.thread for r in async_records} == set(loop_threads) == {threading.get_ident()}


def test_async_records_come_before_the_result(aclient: enjo.AsyncEnjo, mock: Mock, unique: Any,
                                              logs: pytest.LogCaptureFixture) -> None:
    async def main() -> int:
        await aclient.send_message("echo-bot", unique())
        return len(mine(logs))  # read as soon as the await returns

    assert asyncio.run(main()) == 1


def test_the_path_comes_from_the_core(mock: Mock, logs: pytest.LogCaptureFixture) -> None:
    prefixed = enjo.Enjo(token=TOKEN, base_url=mock.url + "/wrong/prefix/", rate_limit=False)
    with pytest.raises(enjo.NotFoundError):
        prefixed.send_message("echo-bot", "prefixed")
    attempt, failed = mine(logs)
    path = "/wrong/prefix/v1/bots/echo-bot/message"
    assert attempt.getMessage().startswith(f"POST {path}: attempt 1 of 3: HTTP 404 (not_found)")
    assert (failed.levelname, failed.enjo_event, failed.enjo_status) == (  # type: ignore[attr-defined]
        "INFO", "failed", 404)
    assert failed.getMessage().startswith(f"POST {path}: failed after 1 attempt: NotFoundError: ")
    logs.clear()
    plain = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False)
    with pytest.raises(enjo.InvalidRequestError):
        plain.send_message("a b/ü?", "encoded")
    assert mine(logs)[0].enjo_path == "/v1/bots/a%20b%2F%C3%BC%3F/message"  # type: ignore[attr-defined]
    assert any(r["bot_id"] == "a b/ü?" for r in mock.requests())
    for r in mine(logs):
        assert "127.0.0.1" not in r.getMessage()


def test_a_final_failure_after_retries(client: enjo.Enjo, mock: Mock, unique: Any,
                                       logs: pytest.LogCaptureFixture) -> None:
    mock.fault("echo-bot", "429;retry-after-ms=10", times=5)
    with pytest.raises(enjo.RateLimitError):
        client.send_message("echo-bot", unique(), max_retries=1)
    mock.reset()
    records = mine(logs)
    assert [(r.enjo_event, r.enjo_attempt) for r in records] == [  # type: ignore[attr-defined]
        ("attempt", 1), ("retry", 1), ("attempt", 2), ("failed", 2)]
    assert records[-1].getMessage().endswith("failed after 2 attempts: RateLimitError: "
                                             "Rate limit exceeded")


def test_info_level_builds_no_debug_records(client: enjo.Enjo, mock: Mock, unique: Any,
                                            logs: pytest.LogCaptureFixture) -> None:
    # The logger would take DEBUG records; told INFO, the native side builds none.
    mock.fault("echo-bot", "429;retry-after-ms=10", times=1)
    client._native.send("echo-bot", unique(), None, logging.INFO)
    assert [(r.levelname, r.enjo_event) for r in mine(logs)] == [  # type: ignore[attr-defined]
        ("INFO", "retry")]
    logs.clear()
    logs.set_level(logging.INFO, logger="enjo")
    mock.fault("echo-bot", "429;retry-after-ms=10", times=1)
    client.send_message("echo-bot", unique())
    assert [r.enjo_event for r in mine(logs)] == ["retry"]  # type: ignore[attr-defined]


def test_rate_limit_waits_are_logged(own_mock: Mock, unique: Any,
                                     logs: pytest.LogCaptureFixture) -> None:
    c = enjo.Enjo(token=TOKEN, base_url=own_mock.url, rate_limit=[(1, 0.3)])
    c.conversation("echo-bot").send(unique())
    c.send_message("echo-bot", unique())
    waits = [r for r in logs.records if "client-side rate limit" in r.getMessage()]
    # A wait of a second or less is DEBUG: only longer ones make a call look stalled.
    assert len(waits) == 1 and waits[0].levelname == "DEBUG"


def test_a_wait_over_a_second_is_info_when_it_starts(own_mock: Mock, unique: Any,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    # Python's usual switch (the `enjo` logger at INFO) shows a long wait, with its quota,
    # before the call returns.
    caplog.set_level(logging.INFO, logger="enjo")
    c = enjo.Enjo(token=TOKEN, base_url=own_mock.url, rate_limit=[(1, 1.5)])
    c.send_message("echo-bot", unique())
    seen_during_call: List[str] = []
    second = unique()

    class Probe(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            # Called while the call is still in progress: its request not sent yet.
            if "rate limit" in record.getMessage():
                seen_during_call.append(str(len(own_mock.requests_with(second))))

    probe = Probe()
    logging.getLogger("enjo").addHandler(probe)
    try:
        c.send_message("echo-bot", second)
    finally:
        logging.getLogger("enjo").removeHandler(probe)
    waits = [r for r in mine(caplog) if r.enjo_event == "wait"]  # type: ignore[attr-defined]
    assert len(waits) == 1, [r.getMessage() for r in mine(caplog)]
    assert waits[0].levelname == "INFO"
    message = waits[0].getMessage()
    assert "client-side rate limit, waiting 1." in message, message
    assert message.endswith("(quota: 1 request per 1.5s)"), message
    assert seen_during_call == ["0"], "logged before the request was sent"
    assert TOKEN not in message


def test_a_failure_before_sending(own_mock: Mock, unique: Any,
                                  logs: pytest.LogCaptureFixture) -> None:
    c = enjo.Enjo(token=TOKEN, base_url=own_mock.url, rate_limit=[(1, 3600.0)],
                  rate_limit_max_wait=0.1)
    c.send_message("echo-bot", unique())
    logs.clear()
    with pytest.raises(enjo.RateLimitError):
        c.send_message("echo-bot", unique())
    (failed,) = [r for r in mine(logs) if r.enjo_event == "failed"]  # type: ignore[attr-defined]
    assert failed.enjo_attempt == 0  # type: ignore[attr-defined]
    assert failed.getMessage().startswith(
        "POST /v1/bots/echo-bot/message: failed before sending: RateLimitError: ")


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
        aclient = enjo.AsyncEnjo(token=TOKEN, base_url=client.base_url, rate_limit=False)
        reply = asyncio.run(aclient.send_message("echo-bot", "async still works"))
        assert reply.answers == "async still works"
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
