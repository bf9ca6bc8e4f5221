"""One Python worker of a fleet: sends messages as fast as its shared limiter lets it until a
deadline, and prints one JSON line per request (when it asked, what came back).

    python worker.py enjo|enjo-async|pyrate NAME UNTIL_EPOCH_S

The server, token and shared store come from the environment: ENJO_BASE_URL, ENJO_API_TOKEN,
FLEET_QUOTAS ("10/0.5,20/6": requests/seconds pairs) and, for `enjo`, ENJO_RATE_LIMIT_STORE
(redis+unix://...); for `pyrate`, FLEET_REDIS_SOCKET (the redis-server's unix socket).
`pyrate` is pyrate-limiter's RedisBucket with both rates, in front of a plain HTTP POST (urllib),
as a user of that library would write it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import urllib.error
import urllib.request


def quotas() -> list[tuple[int, float]]:
    return [(int(n), float(w)) for n, w in
            (p.split("/") for p in os.environ["FLEET_QUOTAS"].split(",") if p)]


def emit(name: str, i: int, ask: float, status: int) -> None:
    print(json.dumps({"w": name, "i": i, "ask_ms": ask * 1000.0, "status": status}), flush=True)


def run_enjo(name: str, until: float) -> None:
    import enjo

    with enjo.Enjo(rate_limit=quotas(), max_retries=0) as client:
        i = 0
        while time.time() < until:
            i += 1
            ask = time.time()
            try:
                client.send_message("faq-bot", f"{name} {i}")
                emit(name, i, ask, 200)
            except enjo.EnjoError as err:
                emit(name, i, ask, err.status or 0)


async def run_enjo_async(name: str, until: float) -> None:
    import enjo

    async with enjo.AsyncEnjo(rate_limit=quotas(), max_retries=0) as client:
        i = 0
        while time.time() < until:
            i += 1
            ask = time.time()
            try:
                await client.send_message("faq-bot", f"{name} {i}")
                emit(name, i, ask, 200)
            except enjo.EnjoError as err:
                emit(name, i, ask, err.status or 0)


def run_pyrate(name: str, until: float) -> None:
    from pyrate_limiter import Limiter, Rate, RedisBucket
    from redis import Redis

    redis = Redis(unix_socket_path=os.environ["FLEET_REDIS_SOCKET"])
    rates = [Rate(n, int(w * 1000)) for n, w in sorted(quotas(), key=lambda q: q[1])]
    limiter = Limiter(RedisBucket.init(rates, redis, "enjo-fleet"))
    url = os.environ["ENJO_BASE_URL"] + "/v1/bots/faq-bot/message"
    headers = {"Authorization": "Bearer " + os.environ["ENJO_API_TOKEN"],
               "Content-Type": "application/json"}
    i = 0
    while time.time() < until:
        i += 1
        ask = time.time()
        limiter.try_acquire("enjo", blocking=True)
        body = json.dumps({"message": {"text": f"{name} {i}"}}).encode()
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                reply.read()
                emit(name, i, ask, reply.status)
        except urllib.error.HTTPError as err:
            emit(name, i, ask, err.code)


def main() -> int:
    kind, name, until = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if kind == "enjo":
        run_enjo(name, until)
    elif kind == "enjo-async":
        asyncio.run(run_enjo_async(name, until))
    elif kind == "pyrate":
        run_pyrate(name, until)
    else:
        raise SystemExit(f"unknown worker kind {kind!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
