#!/usr/bin/env bash
# `make sanitize`: the C test suite (bindings-c/tests) with BOTH sides instrumented by
# AddressSanitizer: libenjo.a built by nightly rustc with -Zsanitizer=address (the core, the C
# API and every Rust dependency; the precompiled std is not), and the C test programs built by
# gcc with -fsanitize=address,undefined, one ASan runtime (gcc's) for both. Leak detection on.
#
# bindings-c/run-tests.sh already runs the suite with ASan+UBSan on the C side only, and under
# valgrind; this adds what those cannot see: an out-of-bounds access or use-after-free inside
# Rust code. It needs the nightly toolchain and a separate build (target/asan, several
# minutes from scratch), hence its own target rather than part of run-tests.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CC="${CC:-gcc}"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
OUT="$ROOT/target/asan"
BUILD="$OUT/c-tests"

echo "==> libenjo.a with -Zsanitizer=address (nightly, $TRIPLE)"
# --target: RUSTFLAGS then skip build scripts and proc macros (they run on the host, plain).
RUSTFLAGS="-Zsanitizer=address -Cforce-frame-pointers=yes -Cdebuginfo=1" \
  cargo +nightly rustc --release --locked -p enjo-c --crate-type staticlib \
  --target "$TRIPLE" --target-dir "$OUT"
LIB="$OUT/$TRIPLE/release/libenjo.a"
test -f "$LIB"

if [ -z "${ENJO_MOCK_BIN:-}" ]; then
  echo "==> enjo-mock (release, plain)"
  cargo build --release --locked -p enjo-mock
  export ENJO_MOCK_BIN="$ROOT/target/release/enjo-mock"
fi

echo "==> C suite, gcc -fsanitize=address,undefined, against the instrumented libenjo.a"
mkdir -p "$BUILD"
"$CC" -std=c11 -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
  -fsanitize=address,undefined -fno-sanitize-recover=all \
  -I"$ROOT/bindings-c/include" -I"$ROOT/bindings-c/tests" \
  "$ROOT/bindings-c/tests/test_enjo.c" "$ROOT/bindings-c/tests/mock_server.c" \
  "$ROOT/bindings-c/tests/vendor_shape.c" \
  "$LIB" -lpthread -ldl -lm -lrt -lutil -lgcc_s -o "$BUILD/test_enjo_asan_rust"
# The instrumented code must really be in the binary (not a plain libenjo picked up instead).
nm "$LIB" 2>/dev/null | grep ' U __asan_report_load' >/dev/null || { echo "libenjo.a is not instrumented"; exit 1; }
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
UBSAN_OPTIONS=print_stacktrace=1 \
  "$BUILD/test_enjo_asan_rust"
echo "sanitize: C suite passed with ASan in both the C tests and libenjo's Rust code"
