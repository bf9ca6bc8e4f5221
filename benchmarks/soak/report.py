"""Reads results/<binding>.csv (calls,rss_kb,fds) from bench.sh, checks the bar (RSS after
warm-up grows by at most 5 MiB, no fd growth), writes results/summary.json and soak.png, and
prints the Markdown table for README.md. Exits 1 when a binding misses the bar."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ORDER = ["rust", "python-sync", "python-async", "node", "c"]
BAR_KB = 5 * 1024


def load(binding: str) -> list[tuple[int, int, int]]:
    with open(RESULTS / f"{binding}.csv", newline="") as f:
        return [(int(r["calls"]), int(r["rss_kb"]), int(r["fds"])) for r in csv.DictReader(f)]


def main() -> int:
    bindings = [b for b in ORDER if (RESULTS / f"{b}.csv").exists()]
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
        ok = growth_max <= BAR_KB and fd_growth <= 0
        failed |= not ok
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
            "pass": ok,
        }
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    print("| binding | calls | RSS start | after warm-up | end | growth after warm-up (max) | fds after warm-up → end | time | pass |")
    print("|---|---|---|---|---|---|---|---|---|")
    for b, s in summary.items():
        print(
            f"| {b} | {s['calls']:,} | {s['rss_start_kb'] / 1024:.1f} MiB | "
            f"{s['rss_after_warmup_kb'] / 1024:.1f} MiB | {s['rss_end_kb'] / 1024:.1f} MiB | "
            f"{s['growth_after_warmup_kb'] / 1024:+.2f} MiB ({s['max_growth_after_warmup_kb'] / 1024:+.2f}) | "
            f"{s['fds_after_warmup']} → {s['fds_end']} (max {s['fds_max_after_warmup']}) | {s['seconds']} s | "
            f"{'yes' if s['pass'] else '**no**'} |"
        )
    for b, s in summary.items():
        print(s['outcomes'])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for b in bindings:
        rows = load(b)
        ax.plot([r[0] for r in rows], [r[1] / 1024 for r in rows], marker="o", markersize=3, label=b)
    ax.set_xlabel("calls")
    ax.set_ylabel("RSS (MiB)")
    ax.set_title("enjo soak: RSS every 10,000 calls against enjo mock (success, 4xx, 5xx, timeouts)")
    ax.title.set_fontsize(10)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(HERE / "soak.png")
    print(f"wrote {HERE / 'soak.png'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
