"""The Python soak of benchmarks/soak/bench.sh: SOAK_CALLS (default 100,000) sequential calls
with `Enjo` (`sync`) or `AsyncEnjo` (`async`) against enjo mock (limits off) at ENJO_BASE_URL,
in the mix every soak program uses (README.md). Prints `calls,rss_kb,fds` every SOAK_EVERY
(10,000) calls, from /proc/self, each after a full `gc.collect()` (what is retained, not garbage
waiting for the cycle collector; the Node soak does the same with `global.gc()`).

    python soak.py sync|async
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from typing import Dict, Optional, Tuple

import enjo

CALLS = int(os.environ.get("SOAK_CALLS", "100000"))
EVERY = max(1, int(os.environ.get("SOAK_EVERY", "10000")))
BASE_URL = os.environ["ENJO_BASE_URL"]


def mix(i: int) -> Tuple[Optional[str], Optional[float]]:
    """The fault (and per-call timeout) of call `i`: per 200 calls, 1 timeout, 16 4xx, 16 5xx."""
    k = i % 200
    if k == 0:
        return "delay=100", 0.02
    if k <= 16:
        return ("status=400", "status=404", "status=401")[k % 3], None
    if k <= 32:
        return ("500", "html-502", "empty-body=503")[k % 3], None
    return None, None


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds() -> int:
    return len(os.listdir("/proc/self/fd")) - 1  # the listing's own handle


def sample(calls: int) -> str:
    """The CSV row after `calls` calls, after a full collection."""
    gc.collect()
    return f"{calls},{rss_kb()},{fds()}"


def classify(err: Optional[enjo.EnjoError], counts: Dict[str, int]) -> None:
    if err is None:
        key = "ok"
    elif isinstance(err, (enjo.InvalidRequestError, enjo.NotFoundError, enjo.AuthenticationError)):
        key = "4xx"
    elif isinstance(err, enjo.ServerError):
        key = "5xx"
    elif isinstance(err, enjo.APITimeoutError):
        key = "timeout"
    else:
        key = "other"
    counts[key] = counts.get(key, 0) + 1


def call_args(i: int) -> Dict[str, object]:
    fault, timeout = mix(i)
    kwargs: Dict[str, object] = {}
    if fault is not None:
        kwargs["headers"] = {"X-Enjo-Mock-Fault": fault}
    if timeout is not None:
        kwargs["timeout"] = timeout
    return kwargs


def run_sync() -> Dict[str, int]:
    counts: Dict[str, int] = {}
    with enjo.Enjo(token="enjo-mock-token", base_url=BASE_URL, rate_limit=False,
                   max_retries=0, timeout=10.0) as client:
        for i in range(CALLS):
            try:
                client.send_message("echo-bot", f"soak {i}", **call_args(i))  # type: ignore[arg-type]
                classify(None, counts)
            except enjo.EnjoError as e:
                classify(e, counts)
            if (i + 1) % EVERY == 0:
                print(sample(i + 1), flush=True)
    return counts


async def run_async() -> Dict[str, int]:
    counts: Dict[str, int] = {}
    async with enjo.AsyncEnjo(token="enjo-mock-token", base_url=BASE_URL, rate_limit=False,
                              max_retries=0, timeout=10.0) as client:
        for i in range(CALLS):
            try:
                await client.send_message("echo-bot", f"soak {i}", **call_args(i))  # type: ignore[arg-type]
                classify(None, counts)
            except enjo.EnjoError as e:
                classify(e, counts)
            if (i + 1) % EVERY == 0:
                print(sample(i + 1), flush=True)
    return counts


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "sync"
    print("calls,rss_kb,fds")
    print(sample(0), flush=True)
    counts = run_sync() if mode == "sync" else asyncio.run(run_async())
    print(f"python-{mode}: " + " ".join(f"{k} {v}" for k, v in sorted(counts.items())),
          file=sys.stderr)


if __name__ == "__main__":
    main()
