#!/usr/bin/env bash
# The Python package's whole suite (docs/bindings.md):
#   1. builds the release enjo-mock and ONE abi3 wheel (maturin, release);
#   2. for every CPython the machine has among 3.9, 3.11 and 3.13 (pyenv, else PATH; 3.11 is
#      required), makes a venv under .venvs/ (git-ignored), installs the wheel and the pinned
#      test dependencies, and runs pytest against enjo-mock;
#   3. runs mypy --strict once over the package, the examples and tests/typing;
#   4. installs from source once (`pip install ./bindings-python`, as a user would) and runs
#      the client tests against that install.
# Exits non-zero on any failure. Set PYTHON_VERSIONS="3.11" to test fewer interpreters.
set -euo pipefail
cd "$(dirname "$0")"
HERE="$(pwd)"
REPO="$(cd .. && pwd)"
CARGO="${CARGO:-cargo}"
VENVS="$HERE/.venvs"
DIST="$HERE/dist"
PYTHON_VERSIONS="${PYTHON_VERSIONS:-3.9 3.11 3.13}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
unset ENJO_LOG ENJO_API_TOKEN ENJO_BASE_URL

step() { printf '\n==> %s\n' "$*"; }

# The newest installed CPython X.Y: pyenv's versions first, then pythonX.Y on PATH.
find_python() {
  local want="$1" root candidate=""
  if command -v pyenv >/dev/null 2>&1; then
    root="$(pyenv root)"
    candidate="$(ls -d "$root"/versions/"$want".* 2>/dev/null | grep -E "/$want\.[0-9]+$" \
      | sort -V | tail -n 1 || true)"
    if [ -n "$candidate" ] && [ -x "$candidate/bin/python" ]; then
      echo "$candidate/bin/python"
      return 0
    fi
  fi
  command -v "python$want" 2>/dev/null || return 1
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
  (cd "$REPO" && "$CARGO" build --release --locked -q -p enjo-mock)
  export ENJO_MOCK_BIN="$REPO/target/release/enjo-mock"
fi

BASE_PYTHON="$(find_python 3.11)" || { echo "error: CPython 3.11 not found" >&2; exit 1; }
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
for version in $PYTHON_VERSIONS; do
  if ! python="$(find_python "$version")"; then
    if [ "$version" = "3.11" ]; then
      echo "error: CPython 3.11 not found" >&2
      exit 1
    fi
    echo "CPython $version not installed: skipped"
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

step "mypy --strict (package, examples, tests/typing)"
"$TOOLS/bin/pip" install -q --force-reinstall --no-deps "$WHEEL"
"$TOOLS/bin/mypy" --strict --no-incremental \
  "$HERE/python/enjo" "$HERE/tests/typing" "$REPO/examples/python"

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

echo
echo "bindings-python: all checks passed on: ${tested[*]}"
if [ ${#skipped[@]} -gt 0 ]; then echo "(not installed here: CPython ${skipped[*]})"; fi
