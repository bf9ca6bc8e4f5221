"""Instructions per call of the C and Python sync paths, under valgrind's callgrind.

    callgrind.py --root REPO [--python PY] [--calls 300] [--warmup 50] [--only c,py]

Against the same nginx (the documented body) as `make bench-report`: each contender runs
twice under `valgrind --tool=callgrind`, once with W warm-up calls and once with W + N; the
difference divided by N is the instruction count of one call (start-up, warm-up and exit cancel
out). Instruction counts repeat exactly whatever else the machine does, unlike wall clock on a
shared machine. Prints one line per contender; needs the report's C client built
(`target/release/report-c-client`) and, for `py`, the enjo wheel installed in PY.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402  (the report's server and constants)


def instructions(argv: list[str]) -> int:
    """Total instructions executed by `argv` (every thread) under callgrind."""
    with tempfile.TemporaryDirectory(prefix="enjo-callgrind-") as tmp:
        out = Path(tmp, "callgrind.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--quiet"] + argv,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        match = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M)
        if not match:
            raise SystemExit(f"no totals in callgrind's output of {argv}")
        return int(match.group(1))


def per_call(cmd: list[str], base: str, calls: int, warmup: int) -> float:
    """(instructions of W + N calls - those of W calls) / N."""
    short = instructions(cmd + [base, "0", "0", str(warmup)])
    long = instructions(cmd + [base, str(calls), "0", str(warmup)])
    return (long - short) / calls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--only", default="c,curl,py,http.client")
    args = ap.parse_args()
    root = args.root.resolve()
    c_client = str(report.release_dir(root) / "report-c-client")
    py_client = str(root / "benchmarks/report/clients/py_client.py")
    contenders = {
        "c": ("enjo_send_message", [c_client, "enjo"]),
        "curl": ("libcurl + jansson", [c_client, "curl"]),
        "py": ("enjo.Enjo.send_message", [args.python, py_client, "enjo"]),
        "http.client": ("http.client", [args.python, py_client, "http.client"]),
    }
    os.environ.pop("ENJO_BASE_URL", None)
    server = report.Server("nginx", root, [])
    try:
        for key in args.only.split(","):
            name, cmd = contenders[key]
            count = per_call(cmd, server.base, args.calls, args.warmup)
            print(f"{name}: {count / 1000:.1f} k instructions per call", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
