"""A fleet of SDK processes behind one IP sharing one rate limit through a shared store.

Starts `enjo mock` enforcing scaled quotas per client IP, a shared store (a private
`redis-server` on a unix socket, or a state file), and N worker processes mixing the Python
sync and async clients, the Node client, the `enjo` CLI and a C program, all configured with
the same quotas and the same store. Each sends as fast as its limiter lets it until the run
ends; optionally one worker is killed with SIGKILL half-way. Then it reads the server's own
request log and prints, per worker and in all: admitted requests and 429s, and how much of
the allowed rate the fleet used over the longest window.

    python examples/fleet/fleet.py --store redis --seconds 20
    python examples/fleet/fleet.py --store file --kill-one --check

`--check` exits non-zero unless the server saw 0 × 429 and the fleet used at least 95 % of the
allowed rate over at least three long windows (what the test suite runs).

Needs: the release `enjo` and `enjo-mock` binaries (target/release), a Python with `enjo`
installed (this interpreter), the Node package built (bindings-node), libenjo built
(bindings-c) and, for `--store redis`, `redis-server` on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RELEASE = REPO / "target" / "release"
TOKEN = "enjo-mock-token"


def start_mock(quotas: list[tuple[int, float]]) -> tuple[subprocess.Popen[str], str]:
    spec = ",".join(f"{n}/{int(w * 1000)}ms" for n, w in quotas)
    mock = subprocess.Popen(
        [os.environ.get("ENJO_MOCK_BIN", str(RELEASE / "enjo-mock")), "--port", "0",
         "--rate-limit", spec, "--exit-on-stdin-close", "--quiet"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert mock.stdout is not None
    line = mock.stdout.readline().split()
    if len(line) != 2 or line[0] != "LISTENING":
        raise SystemExit(f"enjo-mock did not start: {line}")
    return mock, f"http://127.0.0.1:{line[1]}"


def start_redis(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    sock = tmp / "redis.sock"
    redis = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "",
         "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        if sock.exists():
            return redis, f"redis+unix://{sock}"
        time.sleep(0.05)
    redis.kill()
    raise SystemExit("redis-server did not create its socket")


def build_c_worker(tmp: Path) -> Path:
    exe = tmp / "worker-c"
    subprocess.run(
        ["cc", "-O2", "-o", str(exe), str(HERE / "worker.c"),
         f"-I{REPO / 'bindings-c' / 'include'}", f"-L{RELEASE}", "-lenjo",
         f"-Wl,-rpath,{RELEASE}"],
        check=True,
    )
    return exe


def cli_loop(name: str, until: float) -> list[str]:
    """The CLI as a shell loop: one `enjo send` process per message, as a cron job would."""
    script = (
        'ok=0; other=0; i=0; '
        'while [ "$(date +%s.%N)" \\< "$1" ]; do i=$((i+1)); '
        '"$ENJO_BIN" send --max-retries 0 --rate-limit "$FLEET_CLI_QUOTAS" faq-bot '
        '"$2 $i: my badge does not open the door" >/dev/null 2>&1 '
        '&& ok=$((ok+1)) || other=$((other+1)); done; '
        'printf \'{"worker": "%s", "language": "cli", "ok": %d, "other": %d}\\n\' "$2" $ok $other'
    )
    return ["bash", "-c", script, "cli", f"{until:.3f}", name]


def analyse(log: list[dict], quotas: list[tuple[int, float]], started_ms: int) -> dict:
    sent = sorted(r["at_ms"] for r in log if r.get("bot_id") == "faq-bot" and r["status"] == 200)
    refused = sum(1 for r in log if r.get("bot_id") == "faq-bot" and r["status"] == 429)
    longest_n, longest_w = max(quotas, key=lambda q: q[1])
    window_ms = int(longest_w * 1000)
    # Whole long windows from the first admitted request, inside the run.
    first = sent[0] if sent else started_ms
    end = max(sent) if sent else first
    windows = max(0, (end - first) // window_ms)
    admitted = sum(1 for t in sent if first <= t < first + windows * window_ms)
    allowed = windows * longest_n
    # The same count for every quota: the most requests in any window of its length.
    worst = {}
    for n, w in quotas:
        span = int(w * 1000)
        j = 0
        most = 0
        for i, t in enumerate(sent):
            while sent[j] <= t - span:
                j += 1
            most = max(most, i - j + 1)
        worst[f"{n}/{w:g}s"] = most
    return {
        "admitted": len(sent), "server_429": refused, "long_windows": windows,
        "admitted_in_windows": admitted, "allowed_in_windows": allowed,
        "used": admitted / allowed if allowed else 0.0, "most_in_any_window": worst,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["redis", "file"], default="redis")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--quotas", default="10/0.5,20/6", help="requests/seconds pairs")
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL one worker half-way")
    parser.add_argument("--check", action="store_true", help="assert 0 x 429 and >= 95%% use")
    parser.add_argument("--node", default=shutil.which("node") or "node")
    args = parser.parse_args()
    quotas = [(int(n), float(w)) for n, w in (p.split("/") for p in args.quotas.split(","))]

    with tempfile.TemporaryDirectory(prefix="enjo-fleet-") as tmp_name:
        tmp = Path(tmp_name)
        mock, url = start_mock(quotas)
        redis = None
        try:
            if args.store == "redis":
                redis, store = start_redis(tmp)
            else:
                store = f"file:{tmp / 'limiter.state'}"
            env = dict(os.environ, ENJO_BASE_URL=url, ENJO_API_TOKEN=TOKEN,
                       ENJO_RATE_LIMIT_STORE=store, FLEET_QUOTAS=args.quotas,
                       FLEET_CLI_QUOTAS=",".join(f"{n}/{int(w * 1000)}ms" for n, w in quotas),
                       ENJO_BIN=str(RELEASE / "enjo"))
            env.pop("ENJO_LOG", None)
            c_worker = build_c_worker(tmp)
            until = time.time() + args.seconds
            commands = {
                "py-sync-1": [sys.executable, str(HERE / "worker.py"), "sync", "py-sync-1"],
                "py-sync-2": [sys.executable, str(HERE / "worker.py"), "sync", "py-sync-2"],
                "py-async-1": [sys.executable, str(HERE / "worker.py"), "async", "py-async-1"],
                "py-async-2": [sys.executable, str(HERE / "worker.py"), "async", "py-async-2"],
                "node-1": [args.node, str(HERE / "worker.mjs"), "node-1"],
                "node-2": [args.node, str(HERE / "worker.mjs"), "node-2"],
                "c-1": [str(c_worker), "c-1"],
            }
            workers = {
                name: subprocess.Popen(cmd + [f"{until:.3f}"], env=env, cwd=HERE,
                                       stdout=subprocess.PIPE, text=True)
                for name, cmd in commands.items()
            }
            workers["cli-1"] = subprocess.Popen(cli_loop("cli-1", until), env=env,
                                                stdout=subprocess.PIPE, text=True)
            killed = None
            if args.kill_one:
                time.sleep(args.seconds / 2)
                killed = "py-sync-2"
                workers[killed].send_signal(signal.SIGKILL)
            results = []
            for name, proc in workers.items():
                try:
                    out, _ = proc.communicate(timeout=args.seconds + 120)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    out = ""
                line = out.strip().splitlines()[-1] if out.strip() else ""
                if name == killed:
                    results.append({"worker": name, "killed": True})
                elif line:
                    results.append(json.loads(line))
                else:
                    results.append({"worker": name, "exit": proc.returncode, "no_report": True})
            with urllib.request.urlopen(f"{url}/_mock/requests") as reply:
                log = json.load(reply)
            log = log["requests"] if isinstance(log, dict) else log
            summary = analyse(log, quotas, 0)
        finally:
            if redis is not None:
                redis.kill()
                redis.wait()
            if mock.stdin:
                mock.stdin.close()
            mock.wait(timeout=30)

    print(f"store: {args.store}  quotas: {args.quotas}  workers: {len(results)}")
    for r in results:
        print("  " + json.dumps(r))
    print("server: " + json.dumps(summary))
    if not args.check:
        return 0
    failures = []
    if summary["server_429"]:
        failures.append(f"the server answered {summary['server_429']} x 429")
    for r in results:
        if r.get("no_report"):
            failures.append(f"worker {r['worker']} did not report (exit {r.get('exit')})")
    if summary["long_windows"] < 3:
        failures.append(f"only {summary['long_windows']} long windows ran")
    if summary["used"] < 0.95:
        failures.append(f"the fleet used {summary['used']:.1%} of the allowed rate (< 95%)")
    for failure in failures:
        print("FAIL: " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
