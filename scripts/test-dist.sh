#!/usr/bin/env bash
# `make test-dist`: installs every artifact of dist/ (scripts/dist.sh) the way a user does, in a
# fresh temporary directory, with cargo, rustc and the source tree out of reach (a PATH without
# them, the working directory outside the checkout; only the examples are copied over), and
# runs that language's example against `enjo mock` (from the CLI tarball), asserting that the
# output holds an answer and a conversation id. Also: SHA256SUMS verifies, the artifacts carry
# no path of this checkout and no RPATH, package metadata is complete.
# Exits non-zero on any failure. Needs: python3 (venv), node/npm (the registry for typescript),
# gcc, cmake, pkg-config, R (+ testthat, processx, withr, jsonlite for R CMD check).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="$ROOT/dist"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)"
TRIPLE=x86_64-linux-gnu
[ -f "$DIST/SHA256SUMS" ] || { echo "no dist/SHA256SUMS: run make dist first" >&2; exit 1; }

passed=0
failed=0
step() { printf '\n==> test-dist: %s\n' "$*"; }
pass() { passed=$((passed + 1)); echo "    ok: $*"; }
fail() { failed=$((failed + 1)); echo "    FAILED: $*"; }

# An answer line and a conversation id in an example's output. $1: output, $2: the prefix of
# the line holding the conversation id (sed regex).
answered() {
  local out="$1" conv_prefix="$2" conv
  conv="$(sed -n "s/^${conv_prefix}[[:space:]]*\([A-Za-z0-9_-]\{8,\}\).*/\1/p" <<<"$out" | tail -n 1)"
  if [ -z "$conv" ]; then
    echo "    no conversation id after '$conv_prefix' in:"; sed 's/^/      | /' <<<"$out"; return 1
  fi
  # The mock's answers are sentences: at least one line of 20+ characters that is not an id line.
  if ! grep -v "^${conv_prefix}" <<<"$out" | grep -E '[[:alpha:]].{19,}' >/dev/null; then
    echo "    no answer in:"; sed 's/^/      | /' <<<"$out"; return 1
  fi
  echo "    conversation $conv"
}

step "dist/SHA256SUMS verifies"
if (cd "$DIST" && sha256sum --quiet -c SHA256SUMS); then pass "SHA256SUMS ($(wc -l <"$DIST/SHA256SUMS") files)"; else fail "SHA256SUMS"; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/enjo-test-dist.XXXXXX")"
MOCK_PID=""
cleanup() {
  if [ -n "${MOCK[1]:-}" ]; then eval "exec ${MOCK[1]}>&-"; fi
  [ -z "$MOCK_PID" ] || wait "$MOCK_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

# PATH without cargo/rustc (their directories dropped) and without anything in the checkout.
clean_path=""
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -n "$d" ] || continue
  case "$d" in "$ROOT"|"$ROOT"/*) continue ;; esac
  [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || [ -e "$d/rustup" ] && continue
  clean_path="${clean_path:+$clean_path:}$d"
done
export PATH="$clean_path"
unset CARGO CARGO_HOME RUSTUP_HOME CARGO_TARGET_DIR ENJO_SOURCE_DIR ENJO_LIBDIR ENJO_LOG
step "environment: no Rust, outside the checkout"
if ! command -v cargo >/dev/null && ! command -v rustc >/dev/null && [ "${PWD#"$ROOT"}" = "$PWD" ]; then
  pass "cargo and rustc not on PATH; cwd $PWD"
else
  fail "cargo/rustc still reachable or cwd inside the checkout"; exit 1
fi

step "unpack the artifacts"
mkdir -p cli c py node r
tar -xzf "$DIST/enjo-cli-$VERSION-$TRIPLE.tar.gz" -C cli
tar -xzf "$DIST/libenjo-$VERSION-$TRIPLE.tar.gz" -C c
CLI="$WORK/cli/enjo-cli-$VERSION-$TRIPLE"
CPREFIX="$WORK/c/libenjo-$VERSION-$TRIPLE"
WHEEL="$(ls "$DIST"/enjo-"$VERSION"-*abi3*manylinux*.whl)"
mkdir -p wheel && (cd wheel && python3 -m zipfile -e "$WHEEL" .)
mkdir -p npmx && tar -xzf "$DIST/enjo-linux-x64-gnu-$VERSION.tgz" -C npmx
pass "CLI, libenjo, wheel and addon unpacked"

step "no build-machine path and no RPATH in the shipped binaries"
binaries=("$CLI/bin/enjo" "$CPREFIX/lib/libenjo.so.$VERSION" "$CPREFIX/lib/libenjo.a"
  npmx/package/enjo.linux-x64-gnu.node wheel/enjo/_enjo*.so)
for b in "${binaries[@]}"; do
  hits="$(strings -a "$b" | grep -cF "$ROOT" || true)"
  rpath="$(readelf -d "$b" 2>/dev/null | grep -E 'RPATH|RUNPATH' || true)"
  # The dependencies' panic locations: dist.sh remaps the cargo home to /cargo.
  registry="$(strings -a "$b" | grep -cF "${CARGO_HOME:-$HOME/.cargo}/" || true)"
  if [ "$hits" = 0 ] && [ "$registry" = 0 ] && [ -z "$rpath" ]; then
    pass "$(basename "$b"): no '$ROOT', no cargo home path, no RPATH/RUNPATH"
  else
    fail "$(basename "$b"): $hits strings with '$ROOT', $registry with the cargo home; ${rpath:-no rpath}"
  fi
done
for f in "$DIST"/*.whl "$DIST"/*.tgz "$DIST"/*.tar.gz "$DIST"/crates/*.crate; do
  # text files inside the archives (pkg-config, CMake, package.json, DESCRIPTION...)
  if zgrep -a -F "$ROOT" "$f" >/dev/null 2>&1 || { [[ "$f" == *.whl ]] && unzip -p "$f" 2>/dev/null | grep -a -F "$ROOT" >/dev/null; }; then
    fail "$(basename "$f") mentions $ROOT"
  else
    pass "$(basename "$f"): no '$ROOT' inside"
  fi
done

step "enjo (CLI): send through enjo mock, man page, completions"
coproc MOCK { exec "$CLI/bin/enjo" mock --port 0 --exit-on-stdin-close --quiet --rate-limit off 2>/dev/null; }
MOCK_PID=$MOCK_PID
read -r -u "${MOCK[0]}" listening port
[ "$listening" = LISTENING ] || { echo "enjo mock did not start"; exit 1; }
export ENJO_BASE_URL="http://127.0.0.1:$port" ENJO_API_TOKEN="enjo-mock-token"
# `enjo-mock` for R CMD check's tests: the CLI's `enjo mock` takes the same arguments.
printf '#!/bin/sh\nexec "%s" mock "$@"\n' "$CLI/bin/enjo" > "$WORK/enjo-mock" && chmod +x "$WORK/enjo-mock"
if out="$("$CLI/bin/enjo" send support-bot "How do I reset my password?" 2>&1)" && answered "$out" 'Conversation:'; then
  pass "enjo send"
else
  fail "enjo send"
fi
if grep -q '^\.TH enjo 1' "$CLI/share/man/man1/enjo.1" &&
   bash -n "$CLI/share/bash-completion/completions/enjo" &&
   grep -q '#compdef enjo' "$CLI/share/zsh/site-functions/_enjo" &&
   grep -q 'complete -c enjo' "$CLI/share/fish/vendor_completions.d/enjo.fish"; then
  pass "man page (.TH enjo 1) and bash (syntax-checked), zsh, fish completions"
else
  fail "man page / completions"
fi

step "Python: pip install the wheel in a fresh venv"
ls -l "$WHEEL" | awk '{print "    " $5 " bytes: " $9}'
size=$(stat -c %s "$WHEEL")
if [ "$size" -le $((6 * 1024 * 1024)) ]; then pass "wheel ≤ 6 MB ($size bytes)"; else fail "wheel is $size bytes > 6 MB"; fi
python3 -m venv py/venv
py/venv/bin/pip install -q --disable-pip-version-check --no-index "$WHEEL"
cp "$ROOT/examples/python/send_message.py" "$ROOT/examples/python/async_chat.py" py/
if out="$(cd py && ENJO_BOT_ID=support-bot venv/bin/python send_message.py 2>&1)" && answered "$out" 'conversation:'; then
  pass "examples/python/send_message.py (sync)"
else
  fail "examples/python/send_message.py"
fi
if out="$(cd py && venv/bin/python async_chat.py 2>&1)" && answered "$out" 'conversation id:'; then
  pass "examples/python/async_chat.py (asyncio)"
else
  fail "examples/python/async_chat.py"
fi
if py/venv/bin/python - <<'EOF'
import importlib.metadata as md, importlib.resources as res, sys
m = md.metadata("enjo")
missing = [k for k in ("License", "Requires-Python", "Project-URL", "Classifier", "Summary") if not m.get_all(k)]
assert not missing, f"metadata lacks {missing}"
assert "Typing :: Typed" in m.get_all("Classifier"), "no Typing :: Typed classifier"
assert res.files("enjo").joinpath("py.typed").is_file(), "no py.typed"
wheel = md.distribution("enjo").read_text("WHEEL") or ""
assert "abi3" in wheel and "manylinux" in wheel, wheel
print("    " + ", ".join(f"{k}: {m.get_all(k)[0]}" for k in ("License", "Requires-Python", "Project-URL")))
EOF
then pass "metadata: license, Requires-Python, URLs, classifiers, py.typed, abi3 manylinux tag"; else fail "wheel metadata"; fi
imp="$(py/venv/bin/python -X importtime -c 'import enjo' 2>&1 | awk -F'|' '$3 ~ /^ *enjo$/ {gsub(/ /, "", $2); print $2}')"
echo "    benchmark: python -X importtime -c 'import enjo': ${imp:-?} us cumulative (budget 30000 us; not asserted: a wall clock)"
# `grep >/dev/null`, not `grep -q`, after a pipe: under pipefail an early exit fails the writer.
if tar -tzf "$DIST/enjo-$VERSION.tar.gz" | grep "enjo-$VERSION/Cargo.lock" >/dev/null; then
  pass "sdist enjo-$VERSION.tar.gz holds the Rust workspace (built and installed by bindings-python/run-tests.sh)"
else
  fail "sdist lacks Cargo.lock"
fi

step "Node: npm install the two tarballs in an empty directory"
cp "$ROOT/examples/node/send_message.mjs" "$ROOT/examples/node/conversation.mts" node/
if (cd node && npm init -y >/dev/null &&
    npm install --no-audit --no-fund --loglevel=error "$DIST/enjo-$VERSION.tgz" "$DIST/enjo-linux-x64-gnu-$VERSION.tgz" &&
    test ! -e node_modules/enjo/enjo.linux-x64-gnu.node && test -f node_modules/enjo-linux-x64-gnu/enjo.linux-x64-gnu.node); then
  pass "npm install (addon from enjo-linux-x64-gnu, none in enjo itself)"
else
  fail "npm install of the tarballs"
fi
if out="$(cd node && ENJO_BOT_ID=support-bot node send_message.mjs 2>&1)" && answered "$out" 'conversation:'; then
  pass "import { Enjo } from 'enjo' (examples/node/send_message.mjs, ESM)"
else
  fail "ESM example"
fi
if out="$(cd node && node -e "
const { Enjo } = require('enjo')
new Enjo().sendMessage('support-bot', 'How do I reset my password?').then((r) => {
  console.log(r.answers); console.log('conversation: ' + r.conversationId)
}, (e) => { console.error(e); process.exit(1) })" 2>&1)" && answered "$out" 'conversation:'; then
  pass "require('enjo') (CommonJS)"
else
  fail "CommonJS require"
fi
if (cd node && npm install --no-audit --no-fund --loglevel=error --save-dev typescript@5.9.3 @types/node@20 >/dev/null &&
    printf '%s\n' '{"compilerOptions": {"strict": true, "noEmit": true, "module": "nodenext",' \
      '"moduleResolution": "nodenext", "target": "es2022", "types": ["node"]}, "files": ["conversation.mts"]}' > tsconfig.json &&
    npx tsc -p tsconfig.json); then
  pass "tsc --noEmit --strict on examples/node/conversation.mts against the installed types"
else
  fail "tsc on the TypeScript example"
fi
if node -e "
const p = require('./node/node_modules/enjo/package.json'), x = require('./node/node_modules/enjo-linux-x64-gnu/package.json')
const e = p.exports['.']
if (!p.engines?.node || !e.import?.types || !e.import?.default || !e.require?.types || !e.require?.default) throw new Error('exports/engines')
if (p.optionalDependencies?.[x.name] !== x.version || x.os[0] !== 'linux' || x.cpu[0] !== 'x64') throw new Error('platform package')
console.log('    engines ' + p.engines.node + '; optionalDependencies ' + JSON.stringify(p.optionalDependencies))"; then
  pass "package.json: engines, exports (CJS + ESM + types), optional platform dependency"
else
  fail "package.json fields"
fi

step "C: libenjo from the tarball, via pkg-config and CMake, shared and static"
export PKG_CONFIG_PATH="$CPREFIX/lib/pkgconfig"
cp "$ROOT/examples/c/send_message.c" c/
soname="$(readelf -d "$CPREFIX/lib/libenjo.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
if [ -n "$soname" ] && [ -e "$CPREFIX/lib/$soname" ] && [ -e "$CPREFIX/lib/libenjo.so" ] && [ -f "$CPREFIX/lib/libenjo.a" ] &&
   [ -f "$CPREFIX/include/enjo.h" ] && [ -f "$CPREFIX/lib/cmake/enjo/enjoConfigVersion.cmake" ]; then
  pass "layout: include/enjo.h, lib/libenjo.{a,so}, libenjo.so.$VERSION with SONAME $soname linked, pkgconfig, cmake"
else
  fail "libenjo layout (SONAME '$soname')"
fi
run_c() { # $1: label, $2: binary, rest: env
  local label="$1" bin="$2" out; shift 2
  if out="$(env "$@" ENJO_BOT_ID=support-bot "$bin" 2>&1)" && answered "$out" 'conversation:'; then pass "$label"; else fail "$label"; fi
}
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Wextra -Werror c/send_message.c $(pkg-config --cflags --libs enjo) -o c/pc_shared &&
  run_c "pkg-config, shared, LD_LIBRARY_PATH" c/pc_shared LD_LIBRARY_PATH="$CPREFIX/lib" || fail "pkg-config shared build"
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Wextra -Werror c/send_message.c $(pkg-config --cflags --libs enjo) \
  -Wl,-rpath,"$(pkg-config --variable=libdir enjo)" -o c/pc_rpath &&
  run_c "pkg-config, shared, rpath (no LD_LIBRARY_PATH)" c/pc_rpath || fail "pkg-config rpath build"
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Wextra -Werror c/send_message.c $(pkg-config --cflags enjo) \
  -Wl,-Bstatic $(pkg-config --static --libs-only-L --libs-only-l enjo | sed 's/-lenjo /-lenjo -Wl,-Bdynamic /') -o c/pc_static &&
  ! readelf -d c/pc_static | grep -q 'NEEDED.*libenjo' &&
  run_c "pkg-config --static (libenjo.a, no libenjo.so needed)" c/pc_static || fail "pkg-config static build"
mkdir -p c/cmake-app
cat > c/cmake-app/CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(enjo_consumer C)
find_package(enjo CONFIG REQUIRED)
add_executable(app_shared ../send_message.c)
target_link_libraries(app_shared PRIVATE enjo::enjo)
add_executable(app_static ../send_message.c)
target_link_libraries(app_static PRIVATE enjo::enjo_static)
EOF
if cmake -S c/cmake-app -B c/cmake-build -DCMAKE_PREFIX_PATH="$CPREFIX" >/dev/null && cmake --build c/cmake-build >/dev/null; then
  run_c "CMake find_package(enjo CONFIG REQUIRED), enjo::enjo" c/cmake-build/app_shared LD_LIBRARY_PATH="$CPREFIX/lib"
  run_c "CMake find_package(enjo CONFIG REQUIRED), enjo::enjo_static" c/cmake-build/app_static
else
  fail "CMake consumer build"
fi

step "R: R CMD INSTALL the source tarball over the installed libenjo (pkg-config)"
mkdir -p r/lib
cp "$ROOT/examples/r/send_message.R" r/
if (cd r && R CMD INSTALL --library=lib "$DIST/enjo_$VERSION.tar.gz" >install.log 2>&1); then
  grep 'configure:' r/install.log | sed 's/^/    /'
  pass "R CMD INSTALL enjo_$VERSION.tar.gz (no cargo)"
else
  tail -20 r/install.log; fail "R CMD INSTALL"
fi
if out="$(cd r && R_LIBS="$WORK/r/lib" ENJO_BOT_ID=support-bot Rscript send_message.R 2>&1)" && answered "$out" 'conversation:'; then
  pass "examples/r/send_message.R"
else
  fail "examples/r/send_message.R"
fi
if [ "${TEST_DIST_SKIP_R_CHECK:-0}" = 1 ]; then
  echo "    R CMD check skipped (TEST_DIST_SKIP_R_CHECK=1)"
else
  # The tests that read the repository (spec/, examples/) skip here: no sources; those that
  # need a server run against the CLI's `enjo mock`. run-tests.sh runs them all from the checkout.
  if (cd r && ENJO_MOCK_BIN="$WORK/enjo-mock" _R_CHECK_FORCE_SUGGESTS_=false \
        R CMD check --no-manual -o "$WORK/r" "$DIST/enjo_$VERSION.tar.gz" >check.log 2>&1); then :; fi
  status="$(grep '^Status:' r/check.log || echo 'Status: (none)')"
  if grep -q '^Status: OK\|^Status: [0-9]* NOTEs\?$' <<<"$status"; then
    pass "R CMD check --no-manual (tarball, no cargo): $status"
  else
    grep -B2 -A8 'ERROR\|WARNING' r/check.log | tail -40; fail "R CMD check: $status"
  fi
fi

step "crates: metadata of the packaged Cargo.toml"
for c in enjo enjo-mock enjo-cli; do
  manifest="$(tar -xzOf "$DIST/crates/$c-$VERSION.crate" "$c-$VERSION/Cargo.toml")"
  missing=""
  for k in description license repository readme keywords categories; do
    grep -q "^$k = " <<<"$manifest" || missing="$missing $k"
  done
  if [ -z "$missing" ]; then pass "$c-$VERSION.crate: description, license, repository, readme, keywords, categories"; else fail "$c.crate lacks:$missing"; fi
done

echo
echo "test-dist: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
