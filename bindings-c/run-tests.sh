#!/usr/bin/env bash
# The C library's test suite (docs/bindings.md: one script per binding). Builds libenjo and
# the mock in release, then, against real HTTP to enjo-mock:
#   1. Rust unit tests of the binding + header drift check (include/enjo.h vs cbindgen)
#   2. the header compiles as C11 and C++17 with -Wall -Wextra -Werror -pedantic
#   3. `make install` into build/prefix (include/, lib/, lib/pkgconfig/, lib/cmake/enjo/);
#      the SONAME is libenjo.so.<major>.<minor> before 1.0
#   4. the C suite with -fsanitize=address,undefined, against libenjo.a and libenjo.so, and
#      the fault matrix (tests/fault_matrix.c over spec/fault-matrix.json)
#   5. the same suite under valgrind --leak-check=full (static and shared)
#   6. consumers built from the install prefix through pkg-config and CMake find_package,
#      from a lib64 LIBDIR install moved elsewhere, from a `cmake --install` of
#      bindings-c/CMakeLists.txt, and from target/release (not installed: build.rs's link)
#   7. examples/c and examples/cpp, built and run against the mock
# Exits non-zero on any failure. Needs: cargo, gcc, g++, cmake, pkg-config, valgrind.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUILD="$HERE/build"
PREFIX="$BUILD/prefix"
CARGO="${CARGO:-cargo}"
CC="${CC:-gcc}"
CXX="${CXX:-g++}"
cd "$ROOT"

steps_passed=0
steps_failed=0
step() { echo; echo "==> $*"; }
pass() { steps_passed=$((steps_passed + 1)); echo "    ok: $*"; }
fail() { steps_failed=$((steps_failed + 1)); echo "    FAILED: $*"; }

step "build libenjo and enjo-mock (release)"
# Two builds, as `make -C bindings-c` and `make mock-bin` do: built together, cargo would unify
# the mock's dependency features into libenjo's, a different libenjo that the next plain
# `cargo build -p enjo-c` (make install, the README) relinks again.
"$CARGO" build --release --locked -p enjo-c
"$CARGO" build --release --locked -p enjo-mock -p enjo-cli
export ENJO_MOCK_BIN="${ENJO_MOCK_BIN:-$ROOT/target/release/enjo-mock}"
test -x "$ENJO_MOCK_BIN" || { echo "no mock binary at $ENJO_MOCK_BIN"; exit 1; }

step "Rust unit tests and header drift (cargo test -p enjo-c)"
if "$CARGO" test --locked -p enjo-c; then
  pass "cargo test -p enjo-c (include/enjo.h matches the sources)"
else
  fail "cargo test -p enjo-c; if the header drifted: ENJO_UPDATE_HEADER=1 cargo test -p enjo-c --test header"
fi

step "header compiles as C11 and C++17"
rm -rf "$BUILD"
mkdir -p "$BUILD"
printf '#include "enjo.h"\nint main(void) { return enjo_version() == 0; }\n' > "$BUILD/header.c"
cp "$BUILD/header.c" "$BUILD/header.cpp"
if "$CC" -std=c11 -Wall -Wextra -Werror -pedantic -I"$HERE/include" -c "$BUILD/header.c" -o "$BUILD/header_c.o" &&
   "$CXX" -std=c++17 -Wall -Wextra -Werror -pedantic -I"$HERE/include" -c "$BUILD/header.cpp" -o "$BUILD/header_cpp.o"; then
  pass "enjo.h as C11 and C++17"
else
  fail "enjo.h does not compile cleanly"
fi

step "install into $PREFIX"
make -s -C "$HERE" install PREFIX="$PREFIX" CARGO="$CARGO"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)"
MAJOR="${VERSION%%.*}"
MINOR="$(cut -d. -f2 <<<"$VERSION")"
if [ "$MAJOR" = 0 ]; then SOVERSION="0.$MINOR"; else SOVERSION="$MAJOR"; fi
for f in include/enjo.h lib/libenjo.a lib/libenjo.so "lib/libenjo.so.$SOVERSION" "lib/libenjo.so.$VERSION" \
         lib/pkgconfig/enjo.pc lib/cmake/enjo/enjoConfig.cmake lib/cmake/enjo/enjoConfigVersion.cmake; do
  test -e "$PREFIX/$f" || { echo "missing $PREFIX/$f"; exit 1; }
done
pass "install layout"
# A program linked against 0.1 must never load 0.2 (0.x minors may change the ABI).
soname="$(readelf -d "$PREFIX/lib/libenjo.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
if [ "$soname" = "libenjo.so.$SOVERSION" ] && [ "$(readlink "$PREFIX/lib/libenjo.so.$SOVERSION")" = "libenjo.so.$VERSION" ]; then
  pass "SONAME $soname (major.minor before 1.0), symlinked to libenjo.so.$VERSION"
else
  fail "SONAME is '$soname', expected libenjo.so.$SOVERSION"
fi

CFLAGS_STRICT=(-std=c11 -Wall -Wextra -Werror -g -O1 -I"$PREFIX/include" -I"$HERE/tests")
SANITIZE=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
STATIC_LIBS=(-lpthread -ldl -lm -lrt -lutil -lgcc_s)
SRCS=("$HERE/tests/test_enjo.c" "$HERE/tests/mock_server.c" "$HERE/tests/vendor_shape.c")
SHARED_LINK=(-L"$PREFIX/lib" -lenjo -Wl,-rpath,"$PREFIX/lib" -lpthread -lm)

step "C suite with ASan+UBSan, static and shared"
"$CC" "${CFLAGS_STRICT[@]}" "${SANITIZE[@]}" "${SRCS[@]}" "$PREFIX/lib/libenjo.a" "${STATIC_LIBS[@]}" -o "$BUILD/test_asan_static"
"$CC" "${CFLAGS_STRICT[@]}" "${SANITIZE[@]}" "${SRCS[@]}" "${SHARED_LINK[@]}" -o "$BUILD/test_asan_shared"
# The mock is a Rust program of its own: keep the sanitizer runtime out of its environment.
for kind in static shared; do
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
     "$BUILD/test_asan_$kind"; then
    pass "ASan+UBSan suite, $kind library"
  else
    fail "ASan+UBSan suite, $kind library"
  fi
done

step "fault matrix (spec/fault-matrix.json) with ASan+UBSan"
"$CC" "${CFLAGS_STRICT[@]}" "${SANITIZE[@]}" "$HERE/tests/fault_matrix.c" "$HERE/tests/mock_server.c" \
  "$PREFIX/lib/libenjo.a" "${STATIC_LIBS[@]}" -o "$BUILD/fault_matrix"
if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$BUILD/fault_matrix" "$ROOT"; then
  pass "fault matrix: every row as spec/fault-matrix.json expects"
else
  fail "fault matrix (see the FAIL rows above)"
fi

step "C suite under valgrind, static and shared"
"$CC" "${CFLAGS_STRICT[@]}" "${SRCS[@]}" "$PREFIX/lib/libenjo.a" "${STATIC_LIBS[@]}" -o "$BUILD/test_plain_static"
"$CC" "${CFLAGS_STRICT[@]}" "${SRCS[@]}" "${SHARED_LINK[@]}" -o "$BUILD/test_plain_shared"
# definite and indirect leaks fail the run; "possibly lost" blocks are the SDK's process-wide
# runtime and rate-limit registry (see tests/valgrind.supp). A forked child's report is
# silenced: it holds the parent's leaked-by-design runtime copy (the fork test checks the
# child's work through a pipe instead).
for kind in static shared; do
  if valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
       --show-leak-kinds=definite,indirect --error-exitcode=1 --child-silent-after-fork=yes \
       --suppressions="$HERE/tests/valgrind.supp" "$BUILD/test_plain_$kind"; then
    pass "valgrind suite, $kind library (no definite or indirect leaks, no errors)"
  else
    fail "valgrind suite, $kind library"
  fi
done

# A mock for the consumers and examples, owned by this shell through a pipe on its stdin.
coproc MOCK { exec "$ENJO_MOCK_BIN" --port 0 --exit-on-stdin-close --quiet --rate-limit off 2>/dev/null; }
read -r -u "${MOCK[0]}" listening port
[ "$listening" = "LISTENING" ] || { echo "mock did not start"; exit 1; }
MOCK_PID=$MOCK_PID
stop_mock() { if [ -n "${MOCK[1]:-}" ]; then eval "exec ${MOCK[1]}>&-"; fi; wait "$MOCK_PID" 2>/dev/null || true; }
trap stop_mock EXIT
export ENJO_BASE_URL="http://127.0.0.1:$port" ENJO_API_TOKEN="enjo-mock-token"

step "consumer through pkg-config (installed prefix)"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
# shellcheck disable=SC2046
if "$CC" -std=c11 -Wall -Wextra -Werror "$HERE/tests/consumer/consumer.c" -o "$BUILD/consumer_pkgconfig" \
     $(pkg-config --cflags --libs enjo) -Wl,-rpath,"$(pkg-config --variable=libdir enjo)" &&
   "$BUILD/consumer_pkgconfig"; then
  pass "pkg-config consumer"
else
  fail "pkg-config consumer"
fi
# shellcheck disable=SC2046
if "$CC" -std=c11 -Wall -Werror "$HERE/tests/consumer/consumer.c" -o "$BUILD/consumer_pkgconfig_static" \
     $(pkg-config --cflags enjo) "$PREFIX/lib/libenjo.a" $(pkg-config --static --libs-only-l enjo | sed 's/-lenjo //') &&
   "$BUILD/consumer_pkgconfig_static"; then
  pass "pkg-config --static consumer"
else
  fail "pkg-config --static consumer"
fi

step "consumer through CMake find_package (enjo::enjo and enjo::enjo_static)"
if cmake -S "$HERE/tests/consumer" -B "$BUILD/consumer_cmake" -G Ninja \
     -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >/dev/null &&
   cmake --build "$BUILD/consumer_cmake" >/dev/null &&
   "$BUILD/consumer_cmake/consumer_shared" && "$BUILD/consumer_cmake/consumer_static"; then
  pass "CMake consumer (shared and static)"
else
  fail "CMake consumer"
fi

step "consumer through CMake from a lib64 LIBDIR, the installed tree moved elsewhere"
# enjo_DIR: CMake on Debian does not search lib64/ under CMAKE_PREFIX_PATH (Debian is multiarch);
# what matters here is that the package finds lib64/ and include/ from where it now lies.
PREFIX64="$BUILD/prefix64"
make -s -C "$HERE" install PREFIX="$PREFIX64" LIBDIR="$PREFIX64/lib64" CARGO="$CARGO" >/dev/null
mv "$PREFIX64" "$BUILD/prefix64-moved"
# `grep >/dev/null`, not `grep -q`, after a pipe: under pipefail, grep -q exiting at its first
# match can kill the writer with SIGPIPE and fail the step at random (seen: 2 in 30 runs).
if test -e "$BUILD/prefix64-moved/lib64/cmake/enjo/enjoConfig.cmake" &&
   cmake -S "$HERE/tests/consumer" -B "$BUILD/consumer_cmake64" -G Ninja \
     -Denjo_DIR="$BUILD/prefix64-moved/lib64/cmake/enjo" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >/dev/null &&
   cmake --build "$BUILD/consumer_cmake64" >/dev/null &&
   "$BUILD/consumer_cmake64/consumer_shared" && "$BUILD/consumer_cmake64/consumer_static" &&
   ldd "$BUILD/consumer_cmake64/consumer_shared" | grep "libenjo.so.$SOVERSION => $BUILD/prefix64-moved/lib64/" >/dev/null; then
  pass "CMake consumer of a lib64 install (relocated): shared and static"
else
  fail "CMake consumer of a lib64 install"
fi

step "cmake --install (bindings-c/CMakeLists.txt): the same tree as make install"
CM_PREFIX="$BUILD/cmake-prefix"
if cmake -S "$HERE" -B "$BUILD/libenjo-cmake" -G Ninja -DCMAKE_INSTALL_LIBDIR=lib >/dev/null &&
   cmake --build "$BUILD/libenjo-cmake" >/dev/null &&
   cmake --install "$BUILD/libenjo-cmake" --prefix "$CM_PREFIX" >/dev/null &&
   diff <(cd "$PREFIX" && find . | sort) <(cd "$CM_PREFIX" && find . | sort) &&
   diff "$PREFIX/lib/pkgconfig/enjo.pc" "$CM_PREFIX/lib/pkgconfig/enjo.pc" &&
   [ "$(readlink "$CM_PREFIX/lib/libenjo.so.$SOVERSION")" = "libenjo.so.$VERSION" ] &&
   cmake -S "$HERE/tests/consumer" -B "$BUILD/consumer_cmake_inst" -G Ninja \
     -DCMAKE_PREFIX_PATH="$CM_PREFIX" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >/dev/null &&
   cmake --build "$BUILD/consumer_cmake_inst" >/dev/null &&
   "$BUILD/consumer_cmake_inst/consumer_shared" && "$BUILD/consumer_cmake_inst/consumer_static"; then
  pass "cmake --install: same files and links as make install; CMake consumer (shared and static)"
else
  fail "cmake --install of bindings-c/CMakeLists.txt"
fi

step "consumer linked against target/release without installing"
# What a bare `cargo build --release -p enjo-c` leaves there (the Makefile adds nothing): the
# SONAME libenjo.so.X.Y must be a file of that directory, or the program links but cannot start.
RELEASE_DIR="$ROOT/target/release"
if "$CC" -std=c11 -Wall -Wextra -Werror -I"$HERE/include" "$HERE/tests/consumer/consumer.c" \
     -o "$BUILD/consumer_uninstalled" -L"$RELEASE_DIR" -lenjo -Wl,-rpath,"$RELEASE_DIR" &&
   readelf -d "$BUILD/consumer_uninstalled" | grep "NEEDED.*\[libenjo.so.$SOVERSION\]" >/dev/null &&
   "$BUILD/consumer_uninstalled"; then
  pass "uninstalled consumer (target/release/libenjo.so.$SOVERSION, linked by build.rs, rpath)"
else
  fail "uninstalled consumer (README: use it without installing)"
fi

step "examples/c/send_message.c and examples/cpp"
# shellcheck disable=SC2046
if "$CC" -std=c11 -Wall -Wextra -Werror "$ROOT/examples/c/send_message.c" -o "$BUILD/send_message" \
     $(pkg-config --cflags --libs enjo) -Wl,-rpath,"$PREFIX/lib" &&
   out="$(ENJO_BOT_ID=support-bot "$BUILD/send_message")" &&
   grep -q '^answer: ' <<<"$out" && grep -q '^ticket: ' <<<"$out" && grep -q '"success":true' <<<"$out"; then
  pass "examples/c/send_message (answer, ticket and JSON printed)"
else
  echo "$out"
  fail "examples/c/send_message"
fi
if out="$(ENJO_BOT_ID=no-such-bot "$BUILD/send_message" 2>&1)"; then
  fail "examples/c/send_message should fail for an unknown bot"
else
  status=$?
  if [ "$status" -eq 2 ] && grep -q ENJO_ERR_INVALID_REQUEST <<<"$out"; then
    pass "examples/c/send_message reports an unknown bot (exit 2, ENJO_ERR_INVALID_REQUEST)"
  else
    echo "$out"; fail "examples/c/send_message error path (exit $status)"
  fi
fi
# The C example's own bodies, as the server received them, against the vendor's sample body:
# a first message, then a follow-up in the conversation it started (spec/vendor_shape.py).
if first="$(ENJO_BOT_ID=echo-bot "$BUILD/send_message" "first")" &&
   conv="$(sed -n 's/^conversation: //p' <<<"$first")" && [ -n "$conv" ] &&
   ENJO_BOT_ID=echo-bot ENJO_CONVERSATION_ID="$conv" "$BUILD/send_message" "follow-up" >/dev/null &&
   curl -sf "$ENJO_BASE_URL/_mock/requests?bot_id=echo-bot" | python3 -c '
import json, sys
sys.path.insert(0, sys.argv[1])
from vendor_shape import assert_vendor_shape
log = [r for r in json.load(sys.stdin) if r["text"] in ("first", "follow-up")][-2:]
assert [r["text"] for r in log] == ["first", "follow-up"], log
assert_vendor_shape(log[0]["body"], with_conversation=False)
assert_vendor_shape(log[1]["body"], with_conversation=True)
assert log[1]["body"]["message"]["conversationId"] == sys.argv[2], log[1]
assert log[1]["conversation_id"] == sys.argv[2], "the follow-up did not continue the conversation"
' "$ROOT/spec" "$conv"; then
  pass "examples/c/send_message: the bodies the server received are the vendor's, the follow-up threads"
else
  fail "examples/c/send_message: request bodies against spec/vendor-request-body.json"
fi
# shellcheck disable=SC2046
if "$CXX" -std=c++17 -Wall -Wextra -Werror "$ROOT/examples/cpp/send_message.cpp" -o "$BUILD/send_message_cpp" \
     $(pkg-config --cflags --libs enjo) -Wl,-rpath,"$PREFIX/lib" &&
   out="$("$BUILD/send_message_cpp")" && grep -q '^ticket: ' <<<"$out"; then
  pass "examples/cpp/send_message (RAII wrapper, conversation ending in a ticket)"
else
  echo "${out:-}"
  fail "examples/cpp/send_message"
fi

step "testing kit: libenjo with --features mock (enjo_mock_start & co.); the installed one has none"
# Built in a target dir of its own (shared with the R suite's configure), so that it never
# takes the place of the default libenjo in target/release (cargo names both libenjo.so: each
# switch relinked the whole library).
MOCK_KIT_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/mock-kit"
if CARGO_TARGET_DIR="$MOCK_KIT_TARGET" "$CARGO" build --release --locked -p enjo-c --features mock &&
   "$CC" -std=c11 -Wall -Wextra -Werror -pedantic -DENJO_MOCK "${SANITIZE[@]}" -I"$HERE/include" \
     "$HERE/tests/test_mock_kit.c" "$MOCK_KIT_TARGET/release/libenjo.a" "${STATIC_LIBS[@]}" \
     -o "$BUILD/test_mock_kit" &&
   "$BUILD/test_mock_kit"; then
  pass "tests/test_mock_kit.c (ASan+UBSan): send, requests, tickets, faults, scaled limit, stop"
else
  fail "tests/test_mock_kit.c against libenjo built with --features mock"
fi
if nm -D --defined-only "$PREFIX/lib/libenjo.so" | grep enjo_mock_ >/dev/null ||
   nm -D --defined-only "$ROOT/target/release/libenjo.so" | grep enjo_mock_ >/dev/null; then
  fail "the default libenjo exports the testing kit"
else
  pass "the installed (default) libenjo has no enjo_mock_* symbol"
fi

echo
echo "bindings-c: $steps_passed passed, $steps_failed failed"
[ "$steps_failed" -eq 0 ]
