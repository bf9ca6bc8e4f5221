#!/usr/bin/env bash
# `make bench-report`: builds every contender, installs what it needs (Debian packages through
# apt-get, as the binding benchmarks do; Python packages into benchmarks/report/.venv; undici
# into benchmarks/report/node_modules; the Kotlin jar into ~/.m2), then runs report.py, which
# measures everything against one server in one run and writes docs/performance.md,
# docs/performance.png and the README's table. Arguments go to report.py
# (e.g. --reps 3 --server mock --only node,fetch --no-write).
# Kotlin is skipped (with a note) when java or mvn is missing: BENCH_SKIP_KOTLIN=1 skips it too.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
export PIP_DISABLE_PIP_VERSION_CHECK=1
step() { printf '==> %s\n' "$*" >&2; }
# Cargo's release directory (CARGO_TARGET_DIR is honoured, relative to the repository).
TARGET="${CARGO_TARGET_DIR:-target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
RELEASE="$TARGET/release"

# --- Debian packages: the server, the floor, the C competitor, curl.
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
command -v taskset >/dev/null || need+=(util-linux)
command -v pkg-config >/dev/null || need+=(pkg-config)
if ! pkg-config --exists libcurl jansson 2>/dev/null; then need+=(libcurl4-openssl-dev libjansson-dev); fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  step "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

# --- Rust: the mock, the CLI, libenjo, the Rust contenders.
step "cargo build --release (mock, CLI, libenjo, report_client)"
cargo build --release --locked -q -p enjo-mock -p enjo-cli -p enjo-c
cargo build --release --locked -q -p enjo-bench --bin report_client

# --- C: the enjo and libcurl + jansson contenders, against the static library.
step "gcc report-c-client"
# shellcheck disable=SC2046
gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$ROOT/bindings-c/include" -I"$ROOT/benchmarks/c" \
  "$HERE/clients/c_client.c" -o "$RELEASE/report-c-client" \
  "$RELEASE/libenjo.a" $(pkg-config --cflags --libs libcurl jansson) \
  -lpthread -ldl -lm -lrt -lutil -lgcc_s

# --- Python: the wheel and the competitors (and matplotlib for the plot).
step "Python venv, enjo wheel, competitors"
PYTHON="${PYTHON:-python3}"
if command -v pyenv >/dev/null 2>&1; then
  candidate="$(ls -d "$(pyenv root)"/versions/3.11.* 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$candidate" ] && PYTHON="$candidate/bin/python"
fi
VENV="$HERE/.venv"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q -r "$HERE/requirements.txt" -r bindings-python/requirements-build.txt
rm -rf "$VENV/wheels"
"$VENV/bin/maturin" build --release --locked -q --out "$VENV/wheels" \
  -m bindings-python/Cargo.toml --interpreter "$VENV/bin/python" >/dev/null
"$VENV/bin/pip" install -q --force-reinstall --no-deps "$VENV"/wheels/enjo-*.whl

# --- Node: the release addon (as the suite builds it) and undici.
step "Node addon (napi build --release), undici"
(
  cd bindings-node
  [ -d node_modules ] || bash scripts/npm-install.sh
  npx napi build --platform --release --js native.js --dts native.d.ts -- --locked >/dev/null
)
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)

# --- Kotlin: the binding's jar, built from this checkout every run, then the two contenders.
# The jar is also installed into the Maven repository (the contenders' pom resolves it and its
# dependencies there), but report.py runs them with this checkout's own
# bindings-kotlin/target/enjo-0.1.0.jar on the class path, never a jar another checkout
# installed meanwhile.
if [ -z "${BENCH_SKIP_KOTLIN:-}" ] && command -v mvn >/dev/null && command -v java >/dev/null; then
  step "Kotlin (enjo-kotlin from this checkout, mvn install, contenders)"
  MVN=(mvn -B -q -Dstyle.color=never)
  [ -n "${MAVEN_REPO_LOCAL:-}" ] && MVN+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
  cargo build --release --locked -q -p enjo-kotlin --features cli
  rm -f bindings-kotlin/target/enjo-*.jar
  "${MVN[@]}" -f bindings-kotlin/pom.xml install -Dmaven.test.skip=true -Denjo.native.dir="$RELEASE"
  "${MVN[@]}" -f "$HERE/kotlin/pom.xml" package
else
  rm -f "$HERE/kotlin/target/classpath.txt"
  step "Kotlin skipped (no java/mvn, or BENCH_SKIP_KOTLIN set)"
fi

unset ENJO_LOG ENJO_BASE_URL ENJO_API_TOKEN
step "measuring (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
"$VENV/bin/python" "$HERE/report.py" --root "$ROOT" --python "$VENV/bin/python" "$@" >/dev/null
