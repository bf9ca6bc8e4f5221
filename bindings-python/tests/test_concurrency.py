"""Threads, the GIL, fork, Ctrl-C, and the client-side rate limiter under load."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List

import pytest

import enjo
from conftest import SCALED_QUOTAS, TOKEN, Mock


def wait_until(predicate: Callable[[], bool], what: str, tries: int = 500) -> None:
    for _ in range(tries):
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


class Spinner(threading.Thread):
    """Counts loop iterations of pure Python code: it only moves while nobody holds the GIL."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.count = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.count += 1


@pytest.mark.parametrize("how", ["send_message", "conversation", "limiter wait"])
def test_the_gil_is_released_while_a_request_waits(mock: Mock, own_mock: Mock, unique: Any,
                                                   how: str) -> None:
    spinner = Spinner()
    spinner.start()
    try:
        if how == "limiter wait":
            c = enjo.Enjo(token=TOKEN, base_url=own_mock.url, rate_limit=[(1, 0.5)])
            c.send_message("echo-bot", unique())
            before = spinner.count
            c.send_message("echo-bot", unique())  # waits ~0.5 s in the limiter
        else:
            c = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False)
            mock.fault("echo-bot", "delay=500", times=1)
            before = spinner.count
            if how == "conversation":
                c.conversation("echo-bot").send(unique())
            else:
                c.send_message("echo-bot", unique())
        progressed = spinner.count - before
    finally:
        spinner.stop.set()
        spinner.join()
    # Holding the GIL for the whole wait would leave the spinner at (almost) zero.
    assert progressed > 10_000, progressed


def test_sixteen_threads_share_one_client(client: enjo.Enjo, mock: Mock, unique: Any) -> None:
    per_thread = 25
    errors: List[BaseException] = []
    texts: Dict[int, List[str]] = {n: [unique(f"t{n}-{i}") for i in range(per_thread)]
                                   for n in range(16)}

    def worker(n: int) -> None:
        try:
            conv = client.conversation("echo-bot")
            for i, text in enumerate(texts[n]):
                reply = (conv.send(text) if i % 2 else client.send_message("echo-bot", text))
                assert reply.answers == text
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    logged = {r["text"] for r in mock.requests("echo-bot")}
    assert all(t in logged for ts in texts.values() for t in ts)


def test_ctrl_c_interrupts_a_blocking_call(client: enjo.Enjo, mock: Mock, unique: Any) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread")
    text = unique()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    def interrupt() -> None:
        wait_until(lambda: len(mock.requests_with(text)) == 1, "request arrived")
        os.kill(os.getpid(), signal.SIGINT)

    killer = threading.Thread(target=interrupt)
    killer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # The fault rides on this request alone (a queued one could be taken by a stray
            # request of another test).
            client.send_message("echo-bot", text, headers={"X-Enjo-Mock-Fault": "delay=30000"})
    finally:
        killer.join()
        signal.signal(signal.SIGINT, previous)
    # The call was abandoned while the server still held it, and the client goes on.
    assert mock.requests_with(text)[0]["status"] == 0
    assert client.send_message("echo-bot", "after").answers == "after"


_IMPORTED_IN_A_THREAD = """
import os, signal, sys, threading, time
text = sys.argv[1]
# Ctrl-C as in a terminal: a process started with SIGINT ignored (a background job of a
# non-interactive shell, as CI may start the suite) keeps it ignored, and nothing is raised.
signal.signal(signal.SIGINT, signal.default_int_handler)
# The first import of enjo (and of its native module) happens on another thread.
importer = threading.Thread(target=lambda: __import__("enjo.testing"))
importer.start()
importer.join()
import enjo
from enjo.testing import MockServer

# A server of its own (the testing kit, in this process): its request log holds this one
# request, so waiting for it to arrive is quick however long the suite's shared log is.
with MockServer() as server:
    def interrupt():
        while not any(r.get("text") == text for r in server.requests("echo-bot")):
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    client = enjo.Enjo(token=server.token, base_url=server.url, rate_limit=False, timeout=120)
    try:
        client.send_message("echo-bot", text, headers={"X-Enjo-Mock-Fault": "delay=60000"})
        print("not interrupted")
    except KeyboardInterrupt:
        # Abandoned while the server still held it.
        print("interrupted", [r["status"] for r in server.requests("echo-bot")])
"""


def test_ctrl_c_works_when_enjo_was_first_imported_on_another_thread(unique: Any) -> None:
    out = subprocess.run([sys.executable, "-c", _IMPORTED_IN_A_THREAD, unique()],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "interrupted [0]", (out.stdout, out.stderr)


# --- fork -------------------------------------------------------------------------------------

def _child(base_url: str, sync_client: enjo.Enjo, async_client: enjo.AsyncEnjo,
           queue: "multiprocessing.Queue[Any]") -> None:
    try:
        out = [sync_client.send_message("echo-bot", "child sync").answers]
        conv = sync_client.conversation("echo-bot")
        out.append(conv.send("child conversation").answers)

        async def main() -> List[Any]:
            replies = await asyncio.gather(
                *(async_client.send_message("echo-bot", f"child async {i}") for i in range(5))
            )
            return [r.answers for r in replies]

        out.extend(asyncio.run(main()))
        fresh = enjo.Enjo(token=TOKEN, base_url=base_url, rate_limit=False)
        out.append(fresh.send_message("echo-bot", "child fresh").answers)
        queue.put(("ok", out))
    except BaseException as e:  # noqa: BLE001 - sent to the parent
        queue.put(("error", repr(e)))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # 3.12+: fork with threads running
def test_clients_made_before_fork_work_in_the_child(mock: Mock) -> None:
    sync_client = enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False)
    async_client = enjo.AsyncEnjo(token=TOKEN, base_url=mock.url, rate_limit=False)
    # Used before the fork: runtimes, pools and the loop's wake-up sockets all exist.
    assert sync_client.send_message("echo-bot", "parent before").answers == "parent before"
    assert asyncio.run(async_client.send_message("echo-bot", "p")).answers == "p"

    ctx = multiprocessing.get_context("fork")
    queue: "multiprocessing.Queue[Any]" = ctx.Queue()
    children = [ctx.Process(target=_child, args=(mock.url, sync_client, async_client, queue))
                for _ in range(2)]
    for p in children:
        p.start()
    results = [queue.get(timeout=60) for _ in children]
    for p in children:
        p.join(timeout=60)
        assert p.exitcode == 0
    expected = ["child sync", "child conversation"] + [f"child async {i}" for i in range(5)]
    assert results == [("ok", expected + ["child fresh"])] * 2

    # And the parent goes on, sync and async.
    assert sync_client.send_message("echo-bot", "parent after").answers == "parent after"
    assert asyncio.run(async_client.send_message("echo-bot", "pa")).answers == "pa"


# --- the client-side limiter against a server enforcing the same quotas --------------------

def test_limiter_32_threads_no_429(limited_mock: Mock, unique: Any) -> None:
    client = enjo.Enjo(token=TOKEN, base_url=limited_mock.url, rate_limit=SCALED_QUOTAS,
                       max_retries=0)
    texts = [unique(f"thread {i}") for i in range(32)]
    errors: List[BaseException] = []

    def worker(text: str) -> None:
        try:
            assert client.send_message("echo-bot", text).answers == text
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    statuses = [r["status"] for r in limited_mock.requests() if r["text"] in texts]
    assert statuses == [200] * 32


def test_limiter_64_tasks_no_429(limited_mock: Mock, unique: Any) -> None:
    client = enjo.AsyncEnjo(token=TOKEN, base_url=limited_mock.url, rate_limit=SCALED_QUOTAS,
                            max_retries=0)
    texts = [unique(f"task {i}") for i in range(64)]

    async def main() -> List[enjo.MessageResponse]:
        return await asyncio.gather(*(client.send_message("echo-bot", t) for t in texts))

    assert [r.answers for r in asyncio.run(main())] == texts
    statuses = [r["status"] for r in limited_mock.requests() if r["text"] in texts]
    assert statuses == [200] * 64
    assert all(r["status"] != 429 for r in limited_mock.requests())


def test_sync_and_async_clients_share_the_process_limiter(limited_mock: Mock,
                                                          unique: Any) -> None:
    sync_client = enjo.Enjo(token=TOKEN, base_url=limited_mock.url, rate_limit=SCALED_QUOTAS,
                            max_retries=0)
    async_client = enjo.AsyncEnjo(token=TOKEN, base_url=limited_mock.url,
                                  rate_limit=SCALED_QUOTAS, max_retries=0)
    texts = [unique(f"mixed {i}") for i in range(24)]
    errors: List[BaseException] = []

    def sync_worker(text: str) -> None:
        try:
            sync_client.send_message("echo-bot", text)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=sync_worker, args=(t,)) for t in texts[:12]]
    for t in threads:
        t.start()

    async def main() -> None:
        await asyncio.gather(*(async_client.send_message("echo-bot", t) for t in texts[12:]))

    asyncio.run(main())
    for t in threads:
        t.join()
    assert errors == []
    assert all(r["status"] == 200 for r in limited_mock.requests() if r["text"] in texts)
    assert all(r["status"] != 429 for r in limited_mock.requests())
