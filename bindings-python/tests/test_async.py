"""AsyncEnjo: real coroutines (asyncio.run, gather, wait_for), errors, conversations,
cancellation that aborts the request."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from typing import Any, Awaitable, Callable, List, TypeVar

import pytest

import enjo
from enjo import _enjo
from conftest import TOKEN, Mock

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def wait_until(predicate: Callable[[], bool], what: str, tries: int = 500) -> None:
    """Polls `predicate` (bounded: ~10 s), for states reached on other threads."""
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def test_send_message_is_a_coroutine(aclient: enjo.AsyncEnjo, unique: Any) -> None:
    text = unique()
    coro = aclient.send_message("echo-bot", text)
    assert asyncio.iscoroutine(coro)
    reply = run(coro)
    assert isinstance(reply, enjo.MessageResponse) and reply.answers == text


def test_gather_many(aclient: enjo.AsyncEnjo, unique: Any) -> None:
    texts = [unique(f"m{i}") for i in range(200)]

    async def main() -> List[enjo.MessageResponse]:
        return await asyncio.gather(*(aclient.send_message("echo-bot", t) for t in texts))

    replies = run(main())
    assert [r.answers for r in replies] == texts


def test_errors_are_raised_from_await(aclient: enjo.AsyncEnjo, mock: Mock) -> None:
    async def main() -> None:
        with pytest.raises(enjo.InvalidRequestError) as info:
            await aclient.send_message("no-such-bot", "x")
        assert info.value.status == 400
        with pytest.raises(enjo.InvalidArgumentError):
            await aclient.send_message("echo-bot", "")
        with pytest.raises(enjo.InvalidArgumentError):
            await aclient.send_message("echo-bot", "x", timeout=-1)
        mock.fault("echo-bot", "delay=2000", times=1)
        with pytest.raises(enjo.APITimeoutError):
            await aclient.send_message("echo-bot", "x", timeout=0.1)
        mock.fault("echo-bot", "status=429;retry-after=4;shape=message", times=1)
        with pytest.raises(enjo.RateLimitError) as rl:
            await aclient.send_message("echo-bot", "x", max_retries=0)
        assert rl.value.retry_after == 4.0

    run(main())


def test_conversation(aclient: enjo.AsyncEnjo, mock: Mock, unique: Any) -> None:
    async def main() -> None:
        conv = aclient.conversation("servicenow-bot")
        assert conv.conversation_id is None and conv.bot_id == "servicenow-bot"
        first = await conv.send(unique("my laptop will not boot"))
        assert first.conversation_id and conv.conversation_id == first.conversation_id
        second = await conv.send(unique("please open a ticket for it"))
        assert second.conversation_id == first.conversation_id
        assert second.ticket is not None and second.ticket.case_number
        resumed = aclient.conversation("echo-bot", conversation_id="async-resumed")
        assert (await resumed.send("hi")).conversation_id == "async-resumed"

    run(main())


def test_async_with_and_close(mock: Mock) -> None:
    async def main() -> None:
        async with enjo.AsyncEnjo(token=TOKEN, base_url=mock.url, rate_limit=False) as c:
            assert (await c.send_message("echo-bot", "in")).answers == "in"
            conv = c.conversation("echo-bot")
        assert c.closed
        with pytest.raises(enjo.InvalidArgumentError, match="closed"):
            await c.send_message("echo-bot", "out")
        with pytest.raises(enjo.InvalidArgumentError, match="closed"):
            await conv.send("out")

    run(main())


def test_close_lets_running_requests_finish(mock: Mock, unique: Any) -> None:
    text = unique()

    async def main() -> None:
        c = enjo.AsyncEnjo(token=TOKEN, base_url=mock.url, rate_limit=False)
        conv = c.conversation("echo-bot")
        mock.fault("echo-bot", "delay=300", times=1)
        task = asyncio.ensure_future(conv.send(text))
        await wait_until(lambda: len(mock.requests_with(text)) == 1, "request arrived")
        await c.close()
        assert c.closed  # the core's close: every handle sees it, the running request goes on
        assert (await task).answers == text
        with pytest.raises(enjo.InvalidArgumentError, match="closed"):
            await conv.send("after close")

    run(main())


def test_wait_for_timeout_aborts_the_request(aclient: enjo.AsyncEnjo, mock: Mock,
                                             unique: Any) -> None:
    text = unique()

    async def main() -> None:
        mock.fault("echo-bot", "delay=30000", times=1)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(aclient.send_message("echo-bot", text), timeout=0.3)
        # The Rust future was dropped although the server is still holding the request.
        await wait_until(lambda: _enjo._in_flight() == 0, "request dropped")
        (logged,) = mock.requests_with(text)
        assert logged["status"] == 0, "answered already: the abort proved nothing"

    run(main())


def test_cancel_aborts_the_request(aclient: enjo.AsyncEnjo, mock: Mock, unique: Any) -> None:
    text = unique()

    async def main() -> None:
        mock.fault("echo-bot", "delay=30000", times=1)
        task = asyncio.ensure_future(aclient.send_message("echo-bot", text))
        await wait_until(lambda: len(mock.requests_with(text)) == 1, "request arrived")
        assert _enjo._in_flight() >= 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await wait_until(lambda: _enjo._in_flight() == 0, "request dropped")
        assert mock.requests_with(text)[0]["status"] == 0
        # The client still works.
        assert (await aclient.send_message("echo-bot", "after")).answers == "after"

    run(main())


def test_cancel_while_waiting_for_the_limiter(own_mock: Mock, unique: Any) -> None:
    mock = own_mock
    c = enjo.AsyncEnjo(token=TOKEN, base_url=mock.url, rate_limit=[(1, 3600.0)])
    queued = unique("queued")

    async def main() -> None:
        await c.send_message("echo-bot", unique("first"))
        task = asyncio.ensure_future(c.send_message("echo-bot", queued))
        await asyncio.sleep(0.2)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await wait_until(lambda: _enjo._in_flight() == 0, "request dropped")

    run(main())
    assert mock.requests_with(queued) == []


def test_loops_on_several_threads_share_one_client(aclient: enjo.AsyncEnjo,
                                                   unique: Any) -> None:
    results: List[List[str]] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        texts = [unique(f"t{n}-{i}") for i in range(20)]

        async def main() -> List[str]:
            replies = await asyncio.gather(*(aclient.send_message("echo-bot", t) for t in texts))
            return [r.answers or "" for r in replies]

        got = asyncio.run(main())
        assert got == texts
        with lock:
            results.append(got)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4


def test_new_event_loops_work_one_after_another(aclient: enjo.AsyncEnjo) -> None:
    for i in range(5):
        assert run(aclient.send_message("echo-bot", f"loop {i}")).answers == f"loop {i}"


def test_a_loop_without_add_reader(aclient: enjo.AsyncEnjo, unique: Any) -> None:
    class NoReaderLoop(asyncio.SelectorEventLoop):
        def add_reader(self, *args: Any) -> None:  # type: ignore[override]
            raise NotImplementedError

    loop = NoReaderLoop()
    try:
        texts = [unique() for _ in range(20)]

        async def main() -> List[enjo.MessageResponse]:
            return await asyncio.gather(*(aclient.send_message("echo-bot", t) for t in texts))

        assert [r.answers for r in loop.run_until_complete(main())] == texts
    finally:
        loop.close()


def test_a_loop_without_add_reader_is_not_kept_alive(aclient: enjo.AsyncEnjo) -> None:
    class NoReaderLoop(asyncio.SelectorEventLoop):
        def add_reader(self, *args: Any) -> None:  # type: ignore[override]
            raise NotImplementedError

    loop = NoReaderLoop()
    assert loop.run_until_complete(aclient.send_message("echo-bot", "once")).answers == "once"
    loop.close()
    ref = weakref.ref(loop)
    del loop
    gc.collect()
    # Its completion queue (still in enjo's per-loop table until the loop goes) held it only
    # weakly, and no cycle through Rust hides it from the collector.
    assert ref() is None
