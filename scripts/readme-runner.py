#!/usr/bin/env python3
"""Runs the fenced code blocks of the READMEs as a user would paste them, each in a fresh
temporary directory, against an `enjo-mock` this script starts; then checks that the checkout
is as it was (`git status --porcelain`, untracked files included, is the same before and after).

Every fenced block in a language the runner knows (sh/bash/shell/console, python, js, c, r) must
carry a marker, an HTML comment on the line right before the opening fence (invisible on
GitHub); an unmarked one is an error, so that a new block cannot rot unseen:

    <!-- readme-runner: run -->
    ```python
    ...
    ```

    <!-- readme-runner: skip reason="needs root: installs into /opt" -->
    ```sh
    ...
    ```

`skip` needs a reason (quoted when it has spaces): what the block needs that a test run does
not have, and where else it is checked. Options after `run`, separated by spaces:
  continue    append the block to the previous runnable block of the same README, language and
              file (its statements run again first: for a README that builds on its example)
  file=NAME   the file the block is saved as (default: main.py, main.mjs, main.c, main.R,
              main.sh); `file=main.cjs` runs a CommonJS block
  test        run the file as a test file: `python -m pytest`, `node --test` (R: Rscript, as
              testthat's top-level `test_that()` fails the script on a failed expectation)
  repo        run from the repository root, as the README says: the block's directory is a
              temporary copy of the root made of symlinks to each of its top-level entries, so
              `pip install ./bindings-python`, `cd bindings-node` or `cargo build` work as
              written and reuse the warm `target/`, while what the block makes at the top level
              (`dist/`, `a.out`, `build/`) stays in the temporary directory
  venv        a fresh Python venv (the runner's python3) first on PATH: `pip install` goes there
  sub=OLD=NEW replace OLD by NEW in the block before running it (NEW may use $TMP, the block's
              directory): for install prefixes such as /opt/enjo that need root here

Languages: sh/bash/shell (bash -euo pipefail, `enjo` on PATH), python, js/javascript (Node),
c (gcc against target/release/libenjo.so), r (Rscript). Environment of every block:
ENJO_BASE_URL (the mock), ENJO_API_TOKEN=enjo-mock-token, ENJO_REPO (the checkout's root),
PATH with target/release first, R_LIBS with a fresh per-block library first (so that
`R CMD INSTALL` installs there) and then bindings-r/.lib, TMPDIR the block's directory (so
that `mktemp -d` is cleaned up with it); for the blocks of bindings-r/README.md also
CARGO_TARGET_DIR=target/mock-kit, where the C and R suites build libenjo with the testing kit
(configure's `--features mock`), so that `R CMD INSTALL` finds that build warm and never
replaces the default libenjo.so in target/release, which each switch relinked (~70 s each way).
Each block runs in its own process group, killed when the block ends (a block may start a
server with `&`).

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
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
READMES = [
    "README.md",
    "core/README.md",
    "bindings-python/README.md",
    "bindings-node/README.md",
    "bindings-c/README.md",
    "bindings-r/README.md",
    "cli/README.md",
    "mock/README.md",
]
MARKER = re.compile(r"^\s*<!--\s*readme-runner:\s*(?P<verb>\w+)\b(?P<opts>[^>]*)-->\s*$")
FENCE = re.compile(r"^(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
LANGS = {
    "sh": "sh", "bash": "sh", "shell": "sh", "console": "sh",
    "python": "python", "py": "python",
    "js": "js", "javascript": "js", "mjs": "js",
    "c": "c",
    "r": "r",
}
DEFAULT_FILE = {"sh": "main.sh", "python": "main.py", "js": "main.mjs", "c": "main.c", "r": "main.R"}
RUN_OPTIONS = {"continue", "test", "repo", "venv"}
VALUE_OPTIONS = {"file", "sub"}
TIMEOUT = 240
# Target dirs of their own for the blocks of a README (see the docstring), honoured by cargo.
TARGET_DIRS = {"bindings-r/README.md": ROOT / "target" / "mock-kit"}


@dataclass
class Block:
    readme: str
    line: int
    lang: str
    code: str
    file: str
    parts: List[int] = field(default_factory=list)
    skip: Optional[str] = None
    flags: List[str] = field(default_factory=list)
    subs: List[Tuple[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.readme}:{self.line} ({self.lang})"


def parse(readme: str) -> List[Block]:
    """The marked blocks of `readme` (run and skip), with `continue` blocks merged into their
    predecessor. Exits on an unmarked block of a known language or a malformed marker."""
    lines = (ROOT / readme).read_text(encoding="utf-8").splitlines()
    blocks: List[Block] = []
    errors: List[str] = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not lines[end].startswith(fence.group("fence")):
            end += 1
        where = f"{readme}:{i + 1}"
        lang_name = fence.group("lang")
        lang = LANGS.get(lang_name.lower())
        marker = MARKER.match(lines[i - 1]) if i > 0 else None
        code = "\n".join(lines[i + 1:end]) + "\n"
        i = end + 1
        if marker is None:
            if lang is not None:
                errors.append(f"{where}: a {lang_name} block with no readme-runner marker: mark it "
                              '`<!-- readme-runner: run -->` or `<!-- readme-runner: skip reason="..." -->`')
            continue
        try:
            opts = shlex.split(marker.group("opts"))
        except ValueError as e:
            errors.append(f"{where}: bad marker options: {e}")
            continue
        verb = marker.group("verb")
        if verb == "skip":
            reason = " ".join(o.split("=", 1)[1] for o in opts if o.startswith("reason="))
            if not reason.strip():
                errors.append(f'{where}: `skip` needs reason="what it needs that a test run has not"')
                continue
            blocks.append(Block(readme, where_line(where) + 1, lang or lang_name or "text", code, "",
                                skip=reason))
            continue
        if verb != "run":
            errors.append(f"{where}: unknown marker verb {verb!r} (run or skip)")
            continue
        if lang is None:
            errors.append(f"{where}: cannot run a {lang_name!r} block")
            continue
        flags, subs, file = [], [], DEFAULT_FILE[lang]
        for o in opts:
            key, eq, value = o.partition("=")
            if not eq and key in RUN_OPTIONS:
                flags.append(key)
            elif eq and key == "file":
                file = value
            elif eq and key == "sub" and "=" in value:
                old, new = value.split("=", 1)
                subs.append((old, new))
            else:
                errors.append(f"{where}: unknown run option {o!r}")
        start = where_line(where) + 1
        if "continue" in flags:
            previous = next((b for b in reversed(blocks)
                             if b.lang == lang and b.file == file and b.skip is None), None)
            if previous is None:
                errors.append(f"{where}: `continue` with no earlier {lang} block saved as {file}")
                continue
            previous.code += "\n" + code
            previous.parts.append(start)
        else:
            blocks.append(Block(readme, start, lang, code, file, [start], flags=flags, subs=subs))
    if errors:
        raise SystemExit("\n".join(errors))
    return blocks


def where_line(where: str) -> int:
    return int(where.rsplit(":", 1)[1])


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


def mirror_root(work: Path) -> None:
    """Makes `work` look like the repository root: a symlink to each top-level entry."""
    for entry in ROOT.iterdir():
        if entry.name != ".git":
            (work / entry.name).symlink_to(entry)


def commands(block: Block, tmp: Path, work: Path, env: Dict[str, str]) -> List[List[str]]:
    """The commands that run `block`, saved in `tmp` and run in `work`; adjusts `env`."""
    code = block.code
    for old, new in block.subs:
        code = code.replace(old, new.replace("$TMP", str(tmp)))
    path = tmp / block.file
    path.write_text(code, encoding="utf-8")
    if "venv" in block.flags:
        venv = tmp / ".venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    test = "test" in block.flags
    if block.lang == "sh":
        return [["bash", "-euo", "pipefail", str(path)]]
    if block.lang == "python":
        python = python_with_enjo()
        if test:
            return [[python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)]]
        return [[python, str(path)]]
    if block.lang == "js":
        addons = glob.glob(str(ROOT / "bindings-node" / "*.node"))
        if not addons:
            raise RuntimeError("bindings-node has no built addon: cd bindings-node && npm run build")
        (work / "node_modules").mkdir(exist_ok=True)
        (work / "node_modules" / "enjo").symlink_to(ROOT / "bindings-node")
        return [["node", "--test", str(path)] if test else ["node", str(path)]]
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


def run_step(cmd: List[str], cwd: Path, env: Dict[str, str], out_path: Path) -> Tuple[Optional[int], str]:
    """Runs `cmd` in a process group of its own, output to a file (a background child that
    keeps the output open cannot hang the runner), and kills the group when it ends."""
    with open(out_path, "w+", encoding="utf-8", errors="replace") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code: Optional[int] = proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        out.seek(0)
        return code, out.read()


def run_block(block: Block, base_env: Dict[str, str]) -> Optional[str]:
    """None when `block` ran and exited 0; else what went wrong, with its output."""
    with tempfile.TemporaryDirectory(prefix="enjo-readme-") as tmp_name:
        tmp = Path(tmp_name)
        work = tmp
        if "repo" in block.flags:
            work = tmp / "repo"
            work.mkdir()
            mirror_root(work)
        rlib = tmp / "R-library"
        rlib.mkdir()
        env = dict(base_env, R_LIBS=os.pathsep.join([str(rlib), base_env["R_LIBS"]]), TMPDIR=str(tmp))
        if block.readme in TARGET_DIRS:
            env["CARGO_TARGET_DIR"] = str(TARGET_DIRS[block.readme])
        try:
            steps = commands(block, tmp, work, env)
        except (RuntimeError, subprocess.CalledProcessError) as e:
            return str(e)
        for cmd in steps:
            code, output = run_step(cmd, work, env, tmp / ".output")
            if code is None:
                return f"{cmd[0]} did not finish in {TIMEOUT} s\n--- output\n{output[-3000:]}"
            if code != 0:
                return f"`{' '.join(cmd[:2])} ...` exited {code}\n--- output\n{output[-6000:]}"
    return None


def checkout_state() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the marked blocks and exit")
    parser.add_argument("readmes", nargs="*", default=READMES)
    args = parser.parse_args()
    blocks: List[Block] = []
    problems: List[str] = []
    for readme in args.readmes:
        try:
            blocks += parse(readme)
        except SystemExit as e:
            problems.append(str(e))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    if args.list:
        for b in blocks:
            if b.skip is not None:
                print(f"skip {b.name}: {b.skip}")
            else:
                opts = " ".join(b.flags + [f"sub={o}={n}" for o, n in b.subs])
                print(f"run  {b.name} -> {b.file}{' [' + opts + ']' if opts else ''} "
                      f"(lines {', '.join(map(str, b.parts))})")
        return 0
    runnable = [b for b in blocks if b.skip is None]
    before = checkout_state()
    mock, url = start_mock()
    env = dict(os.environ, ENJO_BASE_URL=url, ENJO_API_TOKEN="enjo-mock-token", ENJO_REPO=str(ROOT),
               PATH=f"{ROOT / 'target' / 'release'}{os.pathsep}{os.environ.get('PATH', '')}",
               R_LIBS=os.pathsep.join(filter(None, [str(ROOT / "bindings-r" / ".lib"),
                                                    os.environ.get("R_LIBS")])),
               PIP_DISABLE_PIP_VERSION_CHECK="1", npm_config_fund="false",
               npm_config_audit="false", npm_config_update_notifier="false")
    for name in ("ENJO_LOG", "VIRTUAL_ENV", "CARGO_TARGET_DIR"):
        env.pop(name, None)
    failed = 0
    all_started = time.monotonic()
    try:
        for block in runnable:
            started = time.monotonic()
            problem = run_block(block, env)
            took = time.monotonic() - started
            if problem is None:
                print(f"ok   {block.name} {took:.1f}s", flush=True)
            else:
                failed += 1
                print(f"FAIL {block.name} {took:.1f}s\n{problem}", flush=True)
    finally:
        assert mock.stdin is not None
        mock.stdin.close()
        try:
            mock.wait(10)
        except subprocess.TimeoutExpired:
            mock.kill()
    after = checkout_state()
    changed = sorted(set(after.splitlines()) ^ set(before.splitlines()))
    if changed:
        print("FAIL the blocks changed the checkout (git status --porcelain, untracked included):\n"
              + "\n".join(changed))
    print(f"{len(runnable) - failed} of {len(runnable)} README blocks ran, "
          f"{len(blocks) - len(runnable)} skipped (with reasons: --list), "
          f"{time.monotonic() - all_started:.0f}s"
          + ("; the checkout changed" if changed else "; the checkout is unchanged"))
    return 1 if failed or changed else 0


if __name__ == "__main__":
    if shutil.which("git") is None:
        raise SystemExit("git is needed (the check that the checkout is unchanged)")
    sys.exit(main())
