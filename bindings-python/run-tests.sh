#!/usr/bin/env bash
# The Python package's whole suite (docs/bindings.md):
#   1. builds the release enjo-mock and ONE abi3 wheel (maturin, release);
#   2. for EVERY CPython >= 3.9 the machine has (the newest patch release of each X.Y that
#      pyenv lists; without pyenv, python3 and python3.N on PATH), makes a venv under .venvs/
#      (git-ignored), installs the wheel and the pinned test dependencies, and runs pytest
#      against enjo-mock;
#   3. runs mypy --strict once over the package, the examples and tests/typing, and
#      `mypy.stubtest enjo._enjo` (the hand-written stub against the built native module);
#   4. installs from source once (`pip install ./bindings-python`, as a user would) and runs
#      the client tests against that install;
#   5. builds a real sdist (`maturin sdist`), checks that it carries the core crate, the
#      workspace Cargo.toml and Cargo.lock, pip-installs the tarball in a fresh venv and makes
#      one call against enjo-mock with it.
# Exits non-zero on any failure. Set PYTHON_VERSIONS="3.11 3.13" to test fewer interpreters.
set -euo pipefail
cd "$(dirname "$0")"
HERE="$(pwd)"
REPO="$(cd .. && pwd)"
CARGO="${CARGO:-cargo}"
VENVS="$HERE/.venvs"
DIST="$HERE/dist"
PYTHON_VERSIONS="${PYTHON_VERSIONS:-}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
unset ENJO_LOG ENJO_API_TOKEN ENJO_BASE_URL

step() { printf '\n==> %s\n' "$*"; }

# "X.Y /path/to/python" for every CPython >= 3.9 found: pyenv's versions (CPython X.Y.Z only:
# no PyPy, dev builds or virtualenvs; the newest patch release of each X.Y), or, when pyenv is
# absent (a CI machine may lack it), python3 and python3.N on PATH. Sorted by version.
discover_pythons() {
  local dir name exe
  {
    if command -v pyenv >/dev/null 2>&1; then
      for dir in "$(pyenv root)"/versions/*; do
        name="$(basename "$dir")"
        [[ "$name" =~ ^3\.[0-9]+\.[0-9]+$ ]] || continue
        [ -x "$dir/bin/python" ] && echo "$name $dir/bin/python"
      done
    else
      for exe in python3 $(compgen -c python3. | grep -E '^python3\.[0-9]+$' | sort -u); do
        command -v "$exe" >/dev/null 2>&1 || continue
        name="$("$exe" -c 'import platform; print(platform.python_version())' 2>/dev/null)" \
          || continue
        [[ "$name" =~ ^3\.[0-9]+\.[0-9]+$ ]] && echo "$name $(command -v "$exe")"
      done
    fi
  } | sort -V | awk '{ split($1, v, "."); if (v[2] >= 9) newest[v[1] "." v[2]] = $2 }
                     END { for (xy in newest) print xy, newest[xy] }' | sort -V
}

# A venv for CPython $1 under .venvs/, rebuilt when its interpreter changed.
make_venv() {
  local python="$1" dir="$2"
  if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$dir"
    "$python" -m venv "$dir"
  fi
}

step "enjo-mock (release)"
if [ -z "${ENJO_MOCK_BIN:-}" ]; then
  (cd "$REPO" && "$CARGO" build --release --locked -q -p enjo-mock -p enjo-cli)
  export ENJO_MOCK_BIN="$REPO/target/release/enjo-mock"
fi

mapfile -t FOUND < <(discover_pythons)
if [ ${#FOUND[@]} -eq 0 ]; then
  echo "error: no CPython >= 3.9 found (pyenv versions, python3)" >&2
  exit 1
fi
echo "CPythons found: $(printf '%s ' "${FOUND[@]%% *}")"
# Tools (maturin, mypy) and the source installs run on 3.11 when present, else the newest.
BASE_PYTHON=""
for entry in "${FOUND[@]}"; do
  [ "${entry%% *}" = "3.11" ] && BASE_PYTHON="${entry#* }"
done
[ -n "$BASE_PYTHON" ] || BASE_PYTHON="${FOUND[-1]#* }"
TOOLS="$VENVS/tools"
step "tools venv (maturin, mypy) on $("$BASE_PYTHON" --version)"
make_venv "$BASE_PYTHON" "$TOOLS"
"$TOOLS/bin/pip" install -q -r requirements-build.txt -r requirements-typing.txt

step "maturin build --release (one abi3 wheel)"
rm -rf "$DIST"
"$TOOLS/bin/maturin" build --release --locked --out "$DIST" --interpreter "$BASE_PYTHON"
WHEEL="$(ls "$DIST"/enjo-*-cp39-abi3-*.whl)"
echo "$WHEEL"
"$TOOLS/bin/python" - "$WHEEL" <<'EOF'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = {"enjo/__init__.py", "enjo/_client.py", "enjo/_exceptions.py", "enjo/_logging.py",
        "enjo/_enjo.pyi", "enjo/py.typed"}
missing = need - names
native = [n for n in names if n.startswith("enjo/_enjo") and n.endswith(".so")]
if missing or not native:
    sys.exit(f"wheel is incomplete: missing {sorted(missing)}, native module {native}")
print("wheel contents ok:", sorted(need | set(native)))
EOF

tested=()
skipped=()
for entry in "${FOUND[@]}"; do
  version="${entry%% *}"
  python="${entry#* }"
  if [ -n "$PYTHON_VERSIONS" ] && [[ " $PYTHON_VERSIONS " != *" $version "* ]]; then
    skipped+=("$version")
    continue
  fi
  venv="$VENVS/py$version"
  step "pytest on $("$python" --version) ($venv)"
  make_venv "$python" "$venv"
  "$venv/bin/pip" install -q -r requirements-test.txt
  "$venv/bin/pip" install -q --force-reinstall --no-deps "$WHEEL"
  # Run from tests/ so that `import enjo` is the installed wheel, not the source tree.
  (cd "$HERE/tests" && "$venv/bin/python" -m pytest -p no:cacheprovider -q \
    -c "$HERE/pyproject.toml" --rootdir "$HERE" "$HERE/tests")
  tested+=("$("$python" --version 2>&1)")
done

if [ ${#tested[@]} -eq 0 ]; then
  echo "error: PYTHON_VERSIONS=\"$PYTHON_VERSIONS\" selects none of the CPythons found" >&2
  exit 1
fi

step "mypy --strict (package, examples, tests/typing)"
"$TOOLS/bin/pip" install -q --force-reinstall --no-deps "$WHEEL"
"$TOOLS/bin/mypy" --strict --no-incremental \
  "$HERE/python/enjo" "$HERE/tests/typing" "$REPO/examples/python"

step "stubtest: the hand-written _enjo.pyi against the built module"
# Run outside the source tree, so that `enjo` is the installed wheel (its .so and .pyi).
(cd "$HERE/tests" && "$TOOLS/bin/python" -m mypy.stubtest enjo._enjo)

step "pip install ./bindings-python (source build, as a user would)"
SRC="$VENVS/source-install"
rm -rf "$SRC"
"$BASE_PYTHON" -m venv "$SRC"
"$SRC/bin/pip" install -q -r requirements-test.txt
# The isolated build environment gets the pinned maturin.
(cd "$REPO" && PIP_CONSTRAINT="$HERE/requirements-build.txt" \
  "$SRC/bin/pip" install -q ./bindings-python)
(cd "$HERE/tests" && "$SRC/bin/python" -c 'import enjo, sys; print("installed", enjo.__version__, enjo.__file__)' \
  && "$SRC/bin/python" -m pytest -p no:cacheprovider -q -c "$HERE/pyproject.toml" \
    --rootdir "$HERE" "$HERE/tests/test_client.py" "$HERE/tests/test_examples.py")

step "maturin sdist, then pip install of the tarball in a fresh venv"
"$TOOLS/bin/maturin" sdist --out "$DIST"
SDIST="$(ls "$DIST"/enjo-*.tar.gz)"
echo "$SDIST"
"$TOOLS/bin/python" - "$SDIST" <<'EOF'
import sys, tarfile
names = {n.split("/", 1)[1] for n in tarfile.open(sys.argv[1]).getnames() if "/" in n}
need = {"pyproject.toml", "Cargo.toml", "Cargo.lock", "core/Cargo.toml", "core/src/lib.rs",
        "bindings-python/Cargo.toml", "bindings-python/src/lib.rs", "python/enjo/__init__.py",
        "python/enjo/_enjo.pyi", "python/enjo/py.typed"}
missing = sorted(need - names)
if missing:
    sys.exit(f"sdist is incomplete: missing {missing}")
print("sdist contents ok:", sorted(need))
EOF
# The sdist's workspace Cargo.toml lists only the members it carries, so cargo prunes the
# other members' entries from its Cargo.lock (which is why `--locked` would refuse it). What
# matters is that the lock pins every dependency of what it carries: resolve the unpacked
# sdist offline and check that the lock only lost entries, never gained or changed one.
UNPACKED="$(mktemp -d)"
tar xzf "$SDIST" -C "$UNPACKED"
SDIST_ROOT="$(ls -d "$UNPACKED"/enjo-*/)"
cp "$SDIST_ROOT/Cargo.lock" "$UNPACKED/Cargo.lock.shipped"
(cd "$SDIST_ROOT" && "$CARGO" metadata --offline --format-version 1 >/dev/null)
"$TOOLS/bin/python" - "$UNPACKED/Cargo.lock.shipped" "$SDIST_ROOT/Cargo.lock" <<'EOF'
import sys, tomllib
def packages(path):
    with open(path, "rb") as f:
        return {(p["name"], p["version"], p.get("source")) for p in tomllib.load(f)["package"]}
shipped, resolved = packages(sys.argv[1]), packages(sys.argv[2])
if resolved - shipped:
    sys.exit(f"the sdist's Cargo.lock does not pin: {sorted(resolved - shipped)}")
print(f"sdist Cargo.lock pins all {len(resolved)} packages "
      f"({len(shipped - resolved)} entries of members it does not carry are unused)")
EOF
# Built from the tarball alone (not this checkout). SDIST_TARGET keeps the compiled registry
# dependencies between runs; the SDK's own crates are cleaned first, because maturin gives every
# file of an sdist the same old mtime, which would make cargo take a stale build for fresh.
SDIST_TARGET="$REPO/target/sdist-check"
(cd "$SDIST_ROOT" && "$CARGO" clean -q --release -p enjo -p enjo-python \
  --target-dir "$SDIST_TARGET")
rm -rf "$UNPACKED"
SDIST_VENV="$VENVS/sdist-install"
rm -rf "$SDIST_VENV"
"$BASE_PYTHON" -m venv "$SDIST_VENV"
(cd /tmp && PIP_CONSTRAINT="$HERE/requirements-build.txt" CARGO_TARGET_DIR="$SDIST_TARGET" \
  "$SDIST_VENV/bin/pip" install -q "$SDIST")
(cd /tmp && "$SDIST_VENV/bin/python" - "$ENJO_MOCK_BIN" <<'EOF'
import subprocess, sys
import enjo
assert "/sdist-install/" in enjo.__file__, enjo.__file__
mock = subprocess.Popen([sys.argv[1], "--port", "0", "--exit-on-stdin-close", "--quiet",
                         "--rate-limit", "off"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL)
try:
    port = mock.stdout.readline().decode().split()[1]
    client = enjo.Enjo(token="enjo-mock-token", base_url=f"http://127.0.0.1:{port}")
    reply = client.send_message("echo-bot", "from the sdist")
    assert reply.answers == "from the sdist", reply
    print("sdist install", enjo.__version__, "answered:", reply.answers)
finally:
    mock.stdin.close()
    mock.wait(timeout=10)
EOF
)

echo
echo "bindings-python: all checks passed on: ${tested[*]}"
if [ ${#skipped[@]} -gt 0 ]; then
  echo "(found but left out by PYTHON_VERSIONS: CPython ${skipped[*]})"
fi
