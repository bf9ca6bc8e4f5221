"""One Python contender of `make bench-report`: `py_client.py KIND URL SEQ CONC WARMUP`.

KIND: enjo, enjo-async, requests, httpx, http.client, aiohttp. WARMUP calls, then SEQ
sequential calls (each timed), then CONC calls with 64 in flight (64 threads for the
synchronous clients, 64 tasks for the asyncio ones). Prints one JSON line:
{"seq_us": [...], "conc_calls": N, "conc_s": seconds}. Every contender sends the documented
request and parses the JSON reply, checking `success` and reading `data.answers`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

# The http.client contender is shared with benchmarks/python/bench.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from http_client_contender import http_client_call  # noqa: E402

TOKEN = "enjo-mock-token"
# The bot every request goes to: report.py sets it (`enjo mock` knows only its own bots).
BOT = os.environ.get("BENCH_BOT") or "bench-bot"
TEXT = "Request for ticket generation"
IN_FLIGHT = 64
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}


def check(body: Any) -> None:
    if body.get("success") is not True or body["data"]["answers"] is None:
        raise RuntimeError(f"unexpected reply {body!r:.200}")


def sync_factory(kind: str, base: str) -> Callable[[], Callable[[], None]]:
    """A function that makes one caller (a client/session/connection per thread)."""
    url = f"{base}/v1/bots/{BOT}/message"
    payload = {"message": {"text": TEXT}}
    if kind == "enjo":
        import enjo

        shared = enjo.Enjo(token=TOKEN, base_url=base, rate_limit=False, max_retries=0)

        def make() -> Callable[[], None]:
            def call() -> None:
                if shared.send_message(BOT, TEXT).answers is None:
                    raise RuntimeError("no answer")

            return call

        return make
    if kind == "requests":
        import requests

        def make() -> Callable[[], None]:
            session = requests.Session()

            def call() -> None:
                r = session.post(url, headers=HEADERS, data=json.dumps(payload))
                r.raise_for_status()
                check(r.json())

            return call

        return make
    if kind == "httpx":
        import httpx

        def make() -> Callable[[], None]:
            client = httpx.Client()

            def call() -> None:
                r = client.post(url, headers=HEADERS, content=json.dumps(payload))
                r.raise_for_status()
                check(r.json())

            return call

        return make
    if kind == "http.client":
        return lambda: http_client_call(base, BOT, TEXT, HEADERS, check)
    raise SystemExit(f"unknown contender {kind}")


def run_sync(kind: str, base: str, seq: int, conc: int, warmup: int) -> dict:
    make = sync_factory(kind, base)
    call = make()
    for _ in range(warmup):
        call()
    lat = []
    clock = time.perf_counter
    for _ in range(seq):
        start = clock()
        call()
        lat.append((clock() - start) * 1e6)
    lock = threading.Lock()
    remaining = [conc]
    errors: list = []

    def lane() -> None:
        mine = make()
        try:
            mine()  # the thread's own connection, outside the count
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                mine()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=lane) for _ in range(IN_FLIGHT)]
    start = clock()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = clock() - start
    if errors:
        raise errors[0]
    return {"seq_us": lat, "conc_calls": conc, "conc_s": elapsed}


async def run_async(kind: str, base: str, seq: int, conc: int, warmup: int) -> dict:
    url = f"{base}/v1/bots/{BOT}/message"
    payload = {"message": {"text": TEXT}}
    closer: Any = None
    if kind == "enjo-async":
        import enjo

        client = enjo.AsyncEnjo(token=TOKEN, base_url=base, rate_limit=False, max_retries=0)

        async def call() -> None:
            if (await client.send_message(BOT, TEXT)).answers is None:
                raise RuntimeError("no answer")

    elif kind == "aiohttp":
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=IN_FLIGHT))
        closer = session.close

        async def call() -> None:
            async with session.post(url, headers=HEADERS, data=json.dumps(payload)) as r:
                r.raise_for_status()
                check(await r.json())

    else:
        raise SystemExit(f"unknown contender {kind}")
    for _ in range(warmup):
        await call()
    lat = []
    clock = time.perf_counter
    for _ in range(seq):
        start = clock()
        await call()
        lat.append((clock() - start) * 1e6)
    remaining = conc

    async def lane() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    start = clock()
    await asyncio.gather(*(lane() for _ in range(IN_FLIGHT)))
    elapsed = clock() - start
    if closer is not None:
        await closer()
    return {"seq_us": lat, "conc_calls": conc, "conc_s": elapsed}


def main() -> None:
    kind, base = sys.argv[1], sys.argv[2]
    seq, conc, warmup = (int(v) for v in sys.argv[3:6])
    if kind in ("enjo-async", "aiohttp"):
        out = asyncio.run(run_async(kind, base, seq, conc, warmup))
    else:
        out = run_sync(kind, base, seq, conc, warmup)
    out["seq_us"] = [round(v, 2) for v in out["seq_us"]]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
