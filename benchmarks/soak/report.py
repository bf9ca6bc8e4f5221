"""Reads results/<binding>.csv (calls,rss_kb,fds[,...]) from bench.sh, checks the bar (RSS
after warm-up grows by at most 5 MiB, no fd growth), writes results/summary.json and soak.png,
and prints the Markdown tables for README.md. The Node reference runs (REFERENCE) are shown
and plotted, not judged; for every Node run a second table splits RSS growth into V8's young
generation, the rest of V8's heap, malloc's heaps and the remainder. Exits 1 when a binding
misses the bar."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ORDER = ["rust", "python-sync", "python-async", "node", "c"]
# Node under V8's default young-generation sizing, with the SDK and with Node's own http client.
REFERENCE = ["node-v8-defaults", "node-http"]
BAR_KB = 5 * 1024


def load(binding: str) -> list[tuple[int, int, int]]:
    with open(RESULTS / f"{binding}.csv", newline="") as f:
        return [(int(r["calls"]), int(r["rss_kb"]), int(r["fds"])) for r in csv.DictReader(f)]


def load_node(binding: str) -> list[dict[str, int]]:
    """The Node columns (node-sample.js), or [] for a CSV without them."""
    with open(RESULTS / f"{binding}.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "new_space_kb" not in rows[0]:
        return []
    return [{k: int(v) for k, v in r.items()} for r in rows]


def node_split(rows: list[dict[str, int]]) -> dict[str, int]:
    """Growth from the warm-up sample to the sample of largest RSS after it, per part (KiB)."""
    warm = rows[1] if len(rows) > 1 else rows[0]
    peak = max((r for r in rows if r["calls"] >= warm["calls"]), key=lambda r: r["rss_kb"])
    new = peak["new_space_kb"] - warm["new_space_kb"]
    v8_rest = peak["v8_other_kb"] - warm["v8_other_kb"]
    malloc = peak["malloc_kb"] - warm["malloc_kb"]
    rss = peak["rss_kb"] - warm["rss_kb"]
    return {
        "at_calls": peak["calls"],
        "rss": rss,
        "new_space": new,
        "v8_other_spaces": v8_rest,
        "heap_used": peak["heap_used_kb"] - warm["heap_used_kb"],
        "malloc": malloc,
        "rss_less_new_space": rss - new,
        "new_space_warmup": warm["new_space_kb"],
        "new_space_peak": peak["new_space_kb"],
    }


def main() -> int:
    bindings = [b for b in ORDER + REFERENCE if (RESULTS / f"{b}.csv").exists()]
    summary = {}
    failed = False
    for b in bindings:
        rows = load(b)
        # Warm-up: the first sample after the start (the first SOAK_EVERY calls).
        warm = rows[1] if len(rows) > 1 else rows[0]
        after = [r for r in rows if r[0] >= warm[0]]
        growth_last = after[-1][1] - warm[1]
        growth_max = max(r[1] for r in after) - warm[1]
        # A descriptor leak grows; one connection being replaced at the instant of a sample is
        # not one: the bar is on the last sample, the largest is shown beside it.
        fd_growth = after[-1][2] - warm[2]
        fd_max = max(r[2] for r in after)
        seconds_file = RESULTS / f"{b}.seconds"
        log = (RESULTS / f"{b}.log").read_text().strip().splitlines()
        judged = b not in REFERENCE
        ok = growth_max <= BAR_KB and fd_growth <= 0
        failed |= judged and not ok
        summary[b] = {
            "calls": rows[-1][0],
            "rss_start_kb": rows[0][1],
            "rss_after_warmup_kb": warm[1],
            "rss_end_kb": rows[-1][1],
            "growth_after_warmup_kb": growth_last,
            "max_growth_after_warmup_kb": growth_max,
            "fds_after_warmup": warm[2],
            "fds_end": rows[-1][2],
            "fds_max_after_warmup": fd_max,
            "fd_growth": fd_growth,
            "seconds": int(seconds_file.read_text()) if seconds_file.exists() else None,
            "outcomes": log[-1] if log else "",
            "pass": ok if judged else None,
        }
        node_rows = load_node(b)
        if node_rows:
            summary[b]["node_growth_split_kb"] = node_split(node_rows)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    print("| binding | calls | RSS start | after warm-up | end | growth after warm-up (max) | fds after warm-up → end | time | pass |")
    print("|---|---|---|---|---|---|---|---|---|")
    for b, s in summary.items():
        print(
            f"| {b} | {s['calls']:,} | {s['rss_start_kb'] / 1024:.1f} MiB | "
            f"{s['rss_after_warmup_kb'] / 1024:.1f} MiB | {s['rss_end_kb'] / 1024:.1f} MiB | "
            f"{s['growth_after_warmup_kb'] / 1024:+.2f} MiB ({s['max_growth_after_warmup_kb'] / 1024:+.2f}) | "
            f"{s['fds_after_warmup']} → {s['fds_end']} (max {s['fds_max_after_warmup']}) | {s['seconds']} s | "
            f"{'—' if s['pass'] is None else 'yes' if s['pass'] else '**no**'} |"
        )
    node_runs = {b: s["node_growth_split_kb"] for b, s in summary.items() if "node_growth_split_kb" in s}
    if node_runs:
        print()
        print("| Node run | RSS growth to its peak | V8 new space (resident) | other V8 spaces (resident) | heapUsed | malloc heaps | RSS less new space |")
        print("|---|---|---|---|---|---|---|")
        mib = lambda kb: f"{kb / 1024:+.2f} MiB"  # noqa: E731
        for b, d in node_runs.items():
            print(
                f"| {b} | {mib(d['rss'])} (at {d['at_calls']:,}) | {mib(d['new_space'])} "
                f"({d['new_space_warmup'] / 1024:.1f} → {d['new_space_peak'] / 1024:.1f}) | "
                f"{mib(d['v8_other_spaces'])} | {mib(d['heap_used'])} | {mib(d['malloc'])} | "
                f"{mib(d['rss_less_new_space'])} |"
            )
    for b, s in summary.items():
        print(s['outcomes'])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for b in bindings:
        rows = load(b)
        style = {"linestyle": "--", "alpha": 0.6} if b in REFERENCE else {}
        label = f"{b} (reference, not judged)" if b in REFERENCE else b
        if b == "node":
            label = "node (young generation fixed at its maximum)"
        ax.plot([r[0] for r in rows], [r[1] / 1024 for r in rows], marker="o", markersize=3, label=label, **style)
    ax.set_xlabel("calls")
    ax.set_ylabel("RSS (MiB)")
    ax.set_title("enjo soak: RSS every 10,000 calls against enjo mock (success, 4xx, 5xx, timeouts)")
    ax.title.set_fontsize(10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "soak.png")
    print(f"wrote {HERE / 'soak.png'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
