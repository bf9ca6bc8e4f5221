#!/usr/bin/env bash
# enjo (Python) vs requests, httpx, http.client and aiohttp: builds the release mock and the
# release wheel, installs the wheel and the pinned competitors into benchmarks/python/.venv
# (git-ignored), then runs bench.py (one mock, limits off).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO="$(pwd)"
HERE="$REPO/benchmarks/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
cargo build --release --locked -q -p enjo-mock
PYTHON="${PYTHON:-python3}"
if command -v pyenv >/dev/null 2>&1; then
  candidate="$(ls -d "$(pyenv root)"/versions/3.11.* 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$candidate" ] && PYTHON="$candidate/bin/python"
fi
[ -x "$HERE/.venv/bin/python" ] || "$PYTHON" -m venv "$HERE/.venv"
"$HERE/.venv/bin/pip" install -q -r "$HERE/requirements.txt" -r bindings-python/requirements-build.txt
rm -rf "$HERE/.venv/wheels"
"$HERE/.venv/bin/maturin" build --release --locked -q --out "$HERE/.venv/wheels" \
  -m bindings-python/Cargo.toml --interpreter "$HERE/.venv/bin/python" >/dev/null
"$HERE/.venv/bin/pip" install -q --force-reinstall --no-deps "$HERE"/.venv/wheels/enjo-*.whl
unset ENJO_LOG
"$HERE/.venv/bin/python" "$HERE/bench.py" "$@"
