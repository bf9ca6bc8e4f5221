"""`enjo` against what Python users would otherwise use, on one release `enjo-mock` (limits
off): the same POST to echo-bot with the same payload, the JSON reply parsed and checked by
every contender.

- sequential (2000 calls): enjo.Enjo, requests.Session, httpx.Client, http.client;
- concurrent (2000 calls, 64 in flight, 3 rounds, the median round's throughput counts):
  enjo.AsyncEnjo, httpx.AsyncClient, aiohttp; latency is each call's own, from its start to
  its result, under that load (median and p99 over every call of the three rounds).

Each contender runs in a child process of its own, so that its peak RSS is its own. Prints
median latency, throughput, ratios and peak RSS, and writes results.json beside this file.

    python benchmarks/python/bench.py [--calls 2000]     (bench.sh builds what it needs first)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List

from http_client_contender import http_client_call  # beside this file (sys.path[0])

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TOKEN = "enjo-mock-token"
BOT = "echo-bot"
TEXT = "Request for ticket generation"
IN_FLIGHT = 64
ROUNDS = 3
WARMUP = 200

SYNC = ["enjo", "requests", "httpx", "http.client"]
ASYNC = ["enjo-async", "httpx-async", "aiohttp"]


# ---------------------------------------------------------------------------------------------
# Contenders (each runs in its own process)
# ---------------------------------------------------------------------------------------------

def check(body: Any) -> None:
    if body["data"]["answers"] != TEXT:
        raise RuntimeError(f"wrong answer: {body!r:.200}")


def sync_call(kind: str, base: str) -> Callable[[], None]:
    url = f"{base}/v1/bots/{BOT}/message"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    payload = {"message": {"text": TEXT}}
    if kind == "enjo":
        import enjo

        client = enjo.Enjo(token=TOKEN, base_url=base, rate_limit=False)

        def call() -> None:
            if client.send_message(BOT, TEXT).answers != TEXT:
                raise RuntimeError("wrong answer")

        return call
    if kind == "requests":
        import requests

        session = requests.Session()

        def call() -> None:
            r = session.post(url, headers=headers, data=json.dumps(payload))
            r.raise_for_status()
            check(r.json())

        return call
    if kind == "httpx":
        import httpx

        hclient = httpx.Client()

        def call() -> None:
            r = hclient.post(url, headers=headers, content=json.dumps(payload))
            r.raise_for_status()
            check(r.json())

        return call
    if kind == "http.client":
        return http_client_call(base, BOT, TEXT, headers, check)
    raise SystemExit(f"unknown contender {kind}")


def async_call(kind: str, base: str) -> Callable[[], Awaitable[None]]:
    url = f"{base}/v1/bots/{BOT}/message"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    payload = {"message": {"text": TEXT}}
    if kind == "enjo-async":
        import enjo

        client = enjo.AsyncEnjo(token=TOKEN, base_url=base, rate_limit=False)

        async def call() -> None:
            if (await client.send_message(BOT, TEXT)).answers != TEXT:
                raise RuntimeError("wrong answer")

        return call
    if kind == "httpx-async":
        import httpx

        hclient = httpx.AsyncClient(limits=httpx.Limits(max_connections=IN_FLIGHT))

        async def call() -> None:
            r = await hclient.post(url, headers=headers, content=json.dumps(payload))
            r.raise_for_status()
            check(r.json())

        return call
    if kind == "aiohttp":
        import aiohttp

        session: Any = None

        async def call() -> None:
            nonlocal session
            if session is None:
                session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=IN_FLIGHT)
                )
            async with session.post(url, headers=headers, data=json.dumps(payload)) as r:
                r.raise_for_status()
                check(await r.json())

        return call
    raise SystemExit(f"unknown contender {kind}")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_sync(kind: str, base: str, calls: int) -> Dict[str, Any]:
    call = sync_call(kind, base)
    for _ in range(WARMUP):
        call()
    latencies: List[float] = []
    cpu0 = cpu_seconds()
    start = time.perf_counter()
    for _ in range(calls):
        t0 = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "kind": kind,
        "medianUs": statistics.median(latencies) * 1e6,
        "p99Us": latencies[int(len(latencies) * 0.99) - 1] * 1e6,
        "throughput": calls / elapsed,
        "cpuSeconds": cpu_seconds() - cpu0,
        "peakRssMiB": peak_rss_mib(),
    }


async def one_round(call: Callable[[], Awaitable[None]], calls: int,
                    latencies: List[float]) -> float:
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return calls / (time.perf_counter() - start)


async def run_async_rounds(kind: str, base: str, calls: int) -> Dict[str, Any]:
    call = async_call(kind, base)
    await one_round(call, WARMUP, [])
    latencies: List[float] = []
    cpu0 = cpu_seconds()
    rounds = [await one_round(call, calls, latencies) for _ in range(ROUNDS)]
    latencies.sort()
    return {
        "kind": kind,
        "medianUs": statistics.median(latencies) * 1e6,
        "p99Us": latencies[int(len(latencies) * 0.99) - 1] * 1e6,
        "throughput": statistics.median(rounds),
        "rounds": rounds,
        "cpuSecondsPerRound": (cpu_seconds() - cpu0) / ROUNDS,
        "peakRssMiB": peak_rss_mib(),
    }


def contender(kind: str, base: str, calls: int) -> None:
    if kind in SYNC:
        result = run_sync(kind, base, calls)
    else:
        result = asyncio.run(run_async_rounds(kind, base, calls))
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------

def start_mock() -> "tuple[subprocess.Popen[bytes], str]":
    binary = os.environ.get("ENJO_MOCK_BIN") or str(REPO / "target" / "release" / "enjo-mock")
    proc = subprocess.Popen(
        [binary, "--port", "0", "--exit-on-stdin-close", "--rate-limit", "off", "--quiet"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().split()
    if len(line) != 2 or line[0] != "LISTENING":
        raise SystemExit(f"enjo-mock did not start: {line}")
    return proc, f"http://127.0.0.1:{line[1]}"


def run_child(kind: str, base: str, calls: int) -> Dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--contender", kind, "--base", base, "--calls", str(calls)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contender")
    parser.add_argument("--base")
    parser.add_argument("--calls", type=int, default=int(os.environ.get("BENCH_CALLS", 2000)))
    args = parser.parse_args()
    if args.contender:
        contender(args.contender, args.base, args.calls)
        return

    proc, base = start_mock()
    try:
        results = {kind: run_child(kind, base, args.calls) for kind in SYNC + ASYNC}
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()

    print(f"\nenjo (Python) vs Python HTTP clients — enjo-mock on loopback, limits off, "
          f"{args.calls} calls, CPython {platform.python_version()}, {os.cpu_count()} CPUs\n")
    print("sequential            median µs    p99 µs    calls/s   CPU s   peak RSS MiB")
    for kind in SYNC:
        r = results[kind]
        print(f"  {kind:<18} {r['medianUs']:>9.1f} {r['p99Us']:>9.1f} {r['throughput']:>10.0f}"
              f" {r['cpuSeconds']:>7.2f} {r['peakRssMiB']:>14.1f}")
    print(f"\n{IN_FLIGHT} in flight ({ROUNDS} rounds)  median µs    p99 µs    calls/s"
          "   CPU s/round   peak RSS MiB")
    for kind in ASYNC:
        r = results[kind]
        print(f"  {kind:<18} {r['medianUs']:>9.1f} {r['p99Us']:>9.1f} {r['throughput']:>10.0f}"
              f" {r['cpuSecondsPerRound']:>13.2f} {r['peakRssMiB']:>14.1f}")
    e = results["enjo"]["medianUs"]
    ratios = {
        "sync latency enjo / requests": e / results["requests"]["medianUs"],
        "sync latency enjo / httpx": e / results["httpx"]["medianUs"],
        "sync latency enjo / http.client": e / results["http.client"]["medianUs"],
        "async throughput enjo / aiohttp":
            results["enjo-async"]["throughput"] / results["aiohttp"]["throughput"],
        "async throughput enjo / httpx":
            results["enjo-async"]["throughput"] / results["httpx-async"]["throughput"],
        "async latency enjo / aiohttp":
            results["enjo-async"]["medianUs"] / results["aiohttp"]["medianUs"],
        "async latency enjo / httpx":
            results["enjo-async"]["medianUs"] / results["httpx-async"]["medianUs"],
    }
    targets = {
        "sync latency enjo / requests": ("<=", 0.5),
        "sync latency enjo / http.client": ("<=", 1.0),
        "async throughput enjo / aiohttp": (">=", 1.5),
    }
    print("\nratios")
    for name, value in ratios.items():
        target = targets.get(name)
        verdict = ""
        if target:
            op, bound = target
            ok = value <= bound if op == "<=" else value >= bound
            verdict = f"   target {op} {bound}: {'met' if ok else 'MISSED'}"
        print(f"  {name:<34} {value:6.2f}{verdict}")
    (HERE / "results.json").write_text(json.dumps({
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "calls": args.calls,
        "inFlight": IN_FLIGHT,
        "results": results,
        "ratios": ratios,
    }, indent=2) + "\n")


if __name__ == "__main__":
    main()
