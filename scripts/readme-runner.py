#!/usr/bin/env python3
"""Runs the fenced code blocks of the READMEs that are marked runnable, as a user would paste
them, each in a fresh temporary directory, against an `enjo-mock` this script starts; then
checks that no tracked file changed (`git status --porcelain` is the same before and after).

Marker: an HTML comment on the line right before the opening fence (invisible on GitHub):

    <!-- readme-runner: run -->
    ```python
    ...
    ```

Options after `run`, separated by spaces:
  continue    append the block to the previous runnable block of the same README and language
              (its statements run again first: for a README that builds on its last example)
  file=NAME   the file the block is saved as (default: main.py, main.mjs, main.c, main.R,
              main.sh); `file=main.cjs` runs a CommonJS block

Languages: sh/bash/shell (bash -euo pipefail, `enjo` on PATH), python, js/javascript (Node),
c (gcc against target/release/libenjo.so), r (Rscript). Environment of every block:
ENJO_BASE_URL (the mock), ENJO_API_TOKEN=enjo-mock-token, ENJO_REPO (the checkout's root),
PATH with target/release first.

What a block runs against (build it first; `make test` runs the binding suites before this):
  python  ENJO_README_PYTHON, else the newest bindings-python/.venvs/py*/bin/python that
          imports enjo (made by bindings-python/run-tests.sh)
  js      bindings-node, linked as node_modules/enjo (needs the addon: npm run build)
  c       bindings-c/include and target/release/libenjo.so (cargo build --release -p enjo-c)
  r       the package installed in bindings-r/.lib (bindings-r/run-tests.sh)

Usage: scripts/readme-runner.py [--list] [README ...]   (default: every README below)
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
READMES = [
    "README.md",
    "bindings-python/README.md",
    "bindings-node/README.md",
    "bindings-c/README.md",
    "bindings-r/README.md",
    "cli/README.md",
    "mock/README.md",
]
MARKER = re.compile(r"^\s*<!--\s*readme-runner:\s*run\b(?P<opts>[^>]*)-->\s*$")
FENCE = re.compile(r"^(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
LANGS = {
    "sh": "sh", "bash": "sh", "shell": "sh", "console": "sh",
    "python": "python", "py": "python",
    "js": "js", "javascript": "js", "mjs": "js",
    "c": "c",
    "r": "r",
}
DEFAULT_FILE = {"sh": "main.sh", "python": "main.py", "js": "main.mjs", "c": "main.c", "r": "main.R"}
TIMEOUT = 180


@dataclass
class Block:
    readme: str
    line: int
    lang: str
    code: str
    file: str
    parts: List[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.readme}:{self.line} ({self.lang})"


def parse(readme: str) -> List[Block]:
    """The runnable blocks of `readme`, with `continue` blocks merged into their predecessor."""
    lines = (ROOT / readme).read_text(encoding="utf-8").splitlines()
    blocks: List[Block] = []
    i = 0
    while i < len(lines):
        marker = MARKER.match(lines[i])
        if not marker:
            i += 1
            continue
        opts = marker.group("opts").split()
        fence = FENCE.match(lines[i + 1]) if i + 1 < len(lines) else None
        if not fence:
            raise SystemExit(f"{readme}:{i + 1}: a readme-runner marker must be right before a fence")
        lang = LANGS.get(fence.group("lang").lower())
        if lang is None:
            raise SystemExit(f"{readme}:{i + 2}: cannot run a {fence.group('lang')!r} block")
        end = i + 2
        while end < len(lines) and not lines[end].startswith(fence.group("fence")):
            end += 1
        code = "\n".join(lines[i + 2:end]) + "\n"
        file = next((o.split("=", 1)[1] for o in opts if o.startswith("file=")), DEFAULT_FILE[lang])
        if "continue" in opts:
            previous = next((b for b in reversed(blocks) if b.lang == lang), None)
            if previous is None:
                raise SystemExit(f"{readme}:{i + 1}: `continue` with no earlier {lang} block")
            previous.code += "\n" + code
            previous.parts.append(i + 3)
        else:
            blocks.append(Block(readme, i + 3, lang, code, file, [i + 3]))
        i = end + 1
    return blocks


def start_mock() -> "tuple[subprocess.Popen[str], str]":
    binary = os.environ.get("ENJO_MOCK_BIN") or str(ROOT / "target" / "release" / "enjo-mock")
    if not Path(binary).is_file():
        raise SystemExit(f"no enjo-mock at {binary}: cargo build --release --locked -p enjo-mock")
    proc = subprocess.Popen(
        [binary, "--port", "0", "--exit-on-stdin-close", "--quiet", "--rate-limit", "off"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline().split()
    if len(first) != 2 or first[0] != "LISTENING":
        proc.kill()
        raise SystemExit(f"enjo-mock did not start (first line: {first})")
    return proc, f"http://127.0.0.1:{first[1]}"


def python_with_enjo() -> str:
    given = os.environ.get("ENJO_README_PYTHON")
    candidates = [given] if given else sorted(
        glob.glob(str(ROOT / "bindings-python" / ".venvs" / "py*" / "bin" / "python")), reverse=True)
    for python in candidates:
        if python and subprocess.run([python, "-c", "import enjo"], capture_output=True).returncode == 0:
            return python
    raise RuntimeError("no Python that imports enjo: run bindings-python/run-tests.sh "
                       "(it makes bindings-python/.venvs/py*), or set ENJO_README_PYTHON")


def commands(block: Block, tmp: Path) -> List[List[str]]:
    """The commands that run `block`, saved in `tmp`."""
    path = tmp / block.file
    path.write_text(block.code, encoding="utf-8")
    if block.lang == "sh":
        return [["bash", "-euo", "pipefail", str(path)]]
    if block.lang == "python":
        return [[python_with_enjo(), str(path)]]
    if block.lang == "js":
        addons = glob.glob(str(ROOT / "bindings-node" / "*.node"))
        if not addons:
            raise RuntimeError("bindings-node has no built addon: cd bindings-node && npm run build")
        (tmp / "node_modules").mkdir()
        (tmp / "node_modules" / "enjo").symlink_to(ROOT / "bindings-node")
        return [["node", str(path)]]
    if block.lang == "c":
        lib = ROOT / "target" / "release"
        if not (lib / "libenjo.so").exists():
            raise RuntimeError("no target/release/libenjo.so: cargo build --release --locked -p enjo-c")
        exe = str(tmp / "main")
        return [["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(ROOT / "bindings-c" / "include"),
                 str(path), "-L", str(lib), "-lenjo", f"-Wl,-rpath,{lib}", "-o", exe], [exe]]
    if block.lang == "r":
        return [["Rscript", "--vanilla", str(path)]]
    raise AssertionError(block.lang)


def run_block(block: Block, env: Dict[str, str]) -> Optional[str]:
    """None when `block` ran and exited 0; else what went wrong, with its output."""
    with tempfile.TemporaryDirectory(prefix="enjo-readme-") as tmp:
        try:
            steps = commands(block, Path(tmp))
        except RuntimeError as e:
            return str(e)
        for cmd in steps:
            try:
                out = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True,
                                     timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                return f"{cmd[0]} did not finish in {TIMEOUT} s"
            if out.returncode != 0:
                return (f"`{' '.join(cmd[:2])} ...` exited {out.returncode}\n--- stdout\n"
                        f"{out.stdout[-3000:]}--- stderr\n{out.stderr[-3000:]}")
    return None


def tracked_changes() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the runnable blocks and exit")
    parser.add_argument("readmes", nargs="*", default=READMES)
    args = parser.parse_args()
    blocks = [b for readme in args.readmes for b in parse(readme)]
    if args.list:
        for b in blocks:
            print(f"{b.name} -> {b.file} (lines {', '.join(map(str, b.parts))})")
        return 0
    before = tracked_changes()
    mock, url = start_mock()
    env = dict(os.environ, ENJO_BASE_URL=url, ENJO_API_TOKEN="enjo-mock-token", ENJO_REPO=str(ROOT),
               PATH=f"{ROOT / 'target' / 'release'}{os.pathsep}{os.environ.get('PATH', '')}",
               R_LIBS=os.pathsep.join(filter(None, [str(ROOT / "bindings-r" / ".lib"),
                                                    os.environ.get("R_LIBS")])))
    env.pop("ENJO_LOG", None)
    failed = 0
    try:
        for block in blocks:
            started = time.monotonic()
            problem = run_block(block, env)
            took = time.monotonic() - started
            if problem is None:
                print(f"ok   {block.name} {took:.1f}s")
            else:
                failed += 1
                print(f"FAIL {block.name}\n{problem}")
    finally:
        assert mock.stdin is not None
        mock.stdin.close()
        try:
            mock.wait(10)
        except subprocess.TimeoutExpired:
            mock.kill()
    after = tracked_changes()
    changed = sorted(set(after.splitlines()) - set(before.splitlines()))
    if changed:
        print("FAIL the blocks changed tracked files (git status --porcelain):\n" + "\n".join(changed))
    print(f"{len(blocks) - failed} of {len(blocks)} README blocks ran"
          + ("; tracked files changed" if changed else "; no tracked file changed"))
    return 1 if failed or changed else 0


if __name__ == "__main__":
    if shutil.which("git") is None:
        raise SystemExit("git is needed (the check that no tracked file changed)")
    sys.exit(main())
