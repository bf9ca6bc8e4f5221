"""Three fleets side by side, in one run: eight processes behind one IP sharing one rate limit
over Redis with (1) this SDK's shared store (Python sync and async, Node), (2) Node `bottleneck`
in clustering mode (ioredis), (3) Python `pyrate-limiter` (RedisBucket with both rates). Each
fleet has its own `enjo mock` (enforcing the documented limits scaled 10x: 10 per 0.5 s and
20 per 6 s per client IP) and its own `redis-server` (unix socket); all three run at the same
time, for the same seconds, every worker sending as fast as its limiter lets it.

From each server's own request log: 429s, the share of the allowed rate used (admitted
requests over the run's whole long windows from the fleet's first request), the most
requests the server received in any window of each quota (429s included), and the admission latency (from the worker's call
to the server receiving the request; the server's clock is tied to the wall clock by GET
requests that it logs but does not count). Writes results/<stamp>.json, fleet.png and prints
a Markdown table.

    python bench.py [--seconds 26] [--png fleet.png]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "examples" / "fleet"))
import fleet as example  # noqa: E402  (start_mock, start_redis, analyse)

QUOTAS = [(10, 0.5), (20, 6.0)]
TOKEN = example.TOKEN
CONTENDERS = {
    "enjo (this SDK)": [("py", "enjo")] * 2 + [("py", "enjo-async")] * 2 + [("node", "enjo")] * 4,
    "bottleneck (Node)": [("node", "bottleneck")] * 8,
    "pyrate-limiter (Python)": [("py", "pyrate")] * 8,
}


def server_epoch_ms(url: str) -> float:
    """Wall-clock ms of the mock's `at_ms` 0: GETs of a message path are logged (404) but not
    rate limited; the one with the shortest round trip wins."""
    best = None
    for k in range(5):
        before = time.time()
        try:
            urllib.request.urlopen(f"{url}/v1/bots/clock-{k}/message", timeout=5)
        except urllib.error.HTTPError:
            pass
        after = time.time()
        if best is None or after - before < best[1] - best[0]:
            best = (before, after, k)
    assert best is not None
    with urllib.request.urlopen(f"{url}/_mock/requests?bot_id=clock-{best[2]}") as reply:
        log = json.load(reply)
    log = log["requests"] if isinstance(log, dict) else log
    return (best[0] + best[1]) / 2 * 1000.0 - log[0]["at_ms"]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=26.0)
    parser.add_argument("--png", default=str(HERE / "fleet.png"))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--node", default="node")
    args = parser.parse_args()
    spec = ",".join(f"{n}/{w:g}" for n, w in QUOTAS)

    runs = {}
    with tempfile.TemporaryDirectory(prefix="enjo-fleet-bench-") as tmp_name:
        tmp = Path(tmp_name)
        started = []
        try:
            for c, name in enumerate(CONTENDERS):
                mock, url = example.start_mock(QUOTAS)
                started.append(mock)
                rdir = tmp / f"redis-{c}"
                rdir.mkdir()
                redis, store = example.start_redis(rdir)
                started.append(redis)
                runs[name] = {"url": url, "socket": str(rdir / "redis.sock"), "store": store,
                              "epoch_ms": server_epoch_ms(url)}
            until = time.time() + 1.0 + args.seconds
            procs = []
            for c, (name, workers) in enumerate(CONTENDERS.items()):
                run = runs[name]
                env = dict(os.environ, ENJO_BASE_URL=run["url"], ENJO_API_TOKEN=TOKEN,
                           ENJO_RATE_LIMIT_STORE=run["store"], FLEET_QUOTAS=spec,
                           FLEET_REDIS_SOCKET=run["socket"])
                env.pop("ENJO_LOG", None)
                for k, (lang, kind) in enumerate(workers):
                    wname = f"{'abc'[c]}{k}-{kind}"
                    cmd = ([args.python, str(HERE / "worker.py")] if lang == "py"
                           else [args.node, str(HERE / "worker.mjs")])
                    procs.append((name, wname, subprocess.Popen(
                        cmd + [kind, wname, f"{until:.3f}"], env=env, cwd=HERE,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
            asks: dict[str, dict[str, float]] = {name: {} for name in CONTENDERS}
            for name, wname, proc in procs:
                out, err = proc.communicate(timeout=args.seconds + 120)
                if proc.returncode != 0:
                    print(f"worker {wname} ({name}) exited {proc.returncode}: {err[-2000:]}",
                          file=sys.stderr)
                for line in out.splitlines():
                    if line.startswith("{"):
                        r = json.loads(line)
                        asks[name][f"{r['w']} {r['i']}"] = r["ask_ms"]
            for name, run in runs.items():
                with urllib.request.urlopen(f"{run['url']}/_mock/requests?bot_id=faq-bot") as reply:
                    log = json.load(reply)
                run["log"] = log["requests"] if isinstance(log, dict) else log
        finally:
            for p in started:
                if p.stdin:
                    p.stdin.close()
                else:
                    p.kill()
            for p in started:
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()

    results = {}
    for name, run in runs.items():
        log = run["log"]
        summary = example.analyse(log, QUOTAS, 0)
        # Over the same span for every fleet: whole long windows of the run from its first
        # request (examples/fleet stops at the last admitted one, which flatters a fleet that
        # stalls), and the most requests the server RECEIVED in any window of each quota
        # (429s included: what the fleet sent, not what the server let through).
        # (A 429 is logged without its text: the limit is checked before the body is read.)
        arrivals = sorted(r["at_ms"] for r in log)
        long_n, long_w = max(QUOTAS, key=lambda q: q[1])
        windows = int(args.seconds // long_w)
        first = arrivals[0] if arrivals else 0
        admitted = sum(1 for r in log if r["status"] == 200
                       and first <= r["at_ms"] < first + windows * long_w * 1000)
        summary.update(long_windows=windows, admitted_in_windows=admitted,
                       allowed_in_windows=windows * long_n,
                       used=admitted / (windows * long_n) if windows else 0.0)
        most = {}
        for n, w in QUOTAS:
            j = top = 0
            for i, t in enumerate(arrivals):
                while arrivals[j] <= t - w * 1000:
                    j += 1
                top = max(top, i - j + 1)
            most[f"{n}/{w:g}s"] = top
        summary["most_sent_in_any_window"] = most
        latencies = [r["at_ms"] + run["epoch_ms"] - asks[name][r["text"]]
                     for r in log if r.get("text") in asks[name]]
        results[name] = {
            **summary,
            "sent": len(log),
            "latency_ms": {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
                           "mean": statistics.fmean(latencies) if latencies else float("nan"),
                           "n": len(latencies)},
        }
    stamp = time.strftime("%Y-%m-%dT%H%M%SZ", time.gmtime())
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{stamp}.json").write_text(json.dumps(
        {"quotas": spec, "seconds": args.seconds, "cpus": os.cpu_count(), "results": results,
         "logs": {n: [{k: r[k] for k in ("at_ms", "status", "text")} for r in run["log"]]
                  for n, run in runs.items()}}, indent=1))
    plot(runs, args.png)

    print(f"fleet benchmark, {stamp}, {os.cpu_count()} CPUs, quotas {spec} (10x Enjo's), "
          f"{args.seconds:g} s, 8 processes per fleet, all three at once")
    print()
    print("| fleet (8 processes, one Redis) | sent | 429s at the server | allowed rate used "
          "| most sent in any 0.5 s / 6 s | admission p50 | admission p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        most = r["most_sent_in_any_window"]
        print(f"| {name} | {r['sent']} | {r['server_429']} | {r['used']:.1%} "
              f"({r['admitted_in_windows']}/{r['allowed_in_windows']} in {r['long_windows']} "
              f"long windows) | {most['10/0.5s']} / {most['20/6s']} (limits 10 / 20) "
              f"| {r['latency_ms']['p50'] / 1000:.2f} s | {r['latency_ms']['p99'] / 1000:.2f} s |")
    print(f"\nplot: {args.png}")
    return 0


def plot(runs: dict, png: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(runs), 2, figsize=(13, 3.2 * len(runs)), sharex=True,
                             squeeze=False)
    for row, (name, run) in enumerate(runs.items()):
        log = sorted(run["log"], key=lambda r: r["at_ms"])
        if not log:
            continue
        t0 = log[0]["at_ms"]
        who = [(r.get("text") or "?").split(" ")[0] for r in log]
        workers = sorted(set(who))
        colours = {w: plt.cm.tab10(k % 10) for k, w in enumerate(workers)}
        for col, (n, w) in enumerate(QUOTAS):
            ax = axes[row][col]
            span = w * 1000
            times = [r["at_ms"] for r in log]
            # Requests the server saw in the window ending at each arrival (429s included:
            # the server counts what it receives).
            counts, j = [], 0
            for i, t in enumerate(times):
                while times[j] <= t - span:
                    j += 1
                counts.append(i - j + 1)
            xs = [(t - t0) / 1000 for t in times]
            ax.step(xs, counts, where="post", color="0.6", lw=0.8, zorder=1)
            for r, w_name, x, c in zip(log, who, xs, counts):
                ok = r["status"] == 200
                ax.scatter(x, c, s=14 if ok else 30, marker="o" if ok else "x",
                           color=colours[w_name] if ok else "red", zorder=2)
            ax.axhline(n, color="black", ls="--", lw=1)
            ax.text(0.01, n, f" limit {n} per {w:g} s", va="bottom", fontsize=8,
                    transform=ax.get_yaxis_transform())
            ax.set_ylim(0, max(max(counts), n) * 1.25)
            ax.set_title(f"{name}: requests in the last {w:g} s", fontsize=9)
            if col == 0:
                ax.set_ylabel("count (dot = one arrival,\ncolour = process, red x = 429)",
                              fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("seconds since the fleet's first request")
    fig.tight_layout()
    fig.savefig(png, dpi=90)


if __name__ == "__main__":
    sys.exit(main())
