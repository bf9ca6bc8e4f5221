"""One fleet worker in Python: sends messages until a deadline through a SHARED rate limiter
store, then prints what happened as one JSON line.

    python worker.py sync|async NAME UNTIL_EPOCH_SECONDS

The store, the quotas and the server come from the environment, as in any deployment:
ENJO_BASE_URL, ENJO_API_TOKEN, ENJO_RATE_LIMIT_STORE (e.g. redis://127.0.0.1:6379/0 or
file:/tmp/enjo-fleet.state) and FLEET_QUOTAS ("10/0.5,20/6": requests/seconds pairs, the
quotas every worker of the fleet is configured with).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import enjo


def quotas() -> list[tuple[int, float]]:
    spec = os.environ.get("FLEET_QUOTAS", "10/5,20/60")
    pairs = [part.split("/") for part in spec.split(",") if part]
    return [(int(n), float(w)) for n, w in pairs]


def record(counts: dict[str, int], err: enjo.EnjoError | None) -> None:
    if err is None:
        counts["ok"] += 1
    elif err.status == 429:
        counts["server_429"] += 1
    else:
        counts[type(err).__name__] = counts.get(type(err).__name__, 0) + 1


def run_sync(name: str, until: float) -> dict[str, int]:
    counts = {"ok": 0, "server_429": 0}
    with enjo.Enjo(rate_limit=quotas(), max_retries=0) as client:
        i = 0
        while time.time() < until:
            i += 1
            try:
                client.send_message("faq-bot", f"{name} {i}: how do I reset my password?")
                record(counts, None)
            except enjo.EnjoError as err:
                record(counts, err)
    return counts


async def run_async(name: str, until: float) -> dict[str, int]:
    counts = {"ok": 0, "server_429": 0}
    async with enjo.AsyncEnjo(rate_limit=quotas(), max_retries=0) as client:
        i = 0
        while time.time() < until:
            i += 1
            try:
                await client.send_message("faq-bot", f"{name} {i}: where is the VPN guide?")
                record(counts, None)
            except enjo.EnjoError as err:
                record(counts, err)
    return counts


def main() -> int:
    mode, name, until = sys.argv[1], sys.argv[2], float(sys.argv[3])
    counts = run_sync(name, until) if mode == "sync" else asyncio.run(run_async(name, until))
    print(json.dumps({"worker": name, "language": f"python-{mode}", **counts}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
