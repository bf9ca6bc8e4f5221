#!/usr/bin/env bash
# The R package's test suite (docs/bindings.md: one script per binding):
#   1. build enjo-mock (release, the workspace's target/)
#   2. R CMD INSTALL bindings-r into bindings-r/.lib (git-ignored); configure builds libenjo
#      with the testing kit (--features mock) in target/mock-kit (CARGO_TARGET_DIR), where the
#      C suite built it, so that it never replaces the default libenjo in target/release
#   3. the testthat suite against enjo-mock (processx), failing if the mock is missing
#   4. examples/r/send_message.R against the mock
#   5. R under valgrind (tools/leak-check.R): no definite or indirect leak on error paths,
#      interrupted calls included
#   6. R CMD build + R CMD check --no-manual on the tarball: no ERROR, no WARNING
# Needs R from Debian (r-base-core r-base-dev r-cran-testthat: .ci/run installs them), cargo
# and a C compiler. Exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
LIB="$HERE/.lib"
CHECK="$HERE/.check"
CARGO="${CARGO:-cargo}"
cd "$ROOT"

command -v Rscript >/dev/null || {
  echo "R is not installed: apt-get install -y --no-install-recommends r-base-core r-base-dev r-cran-testthat" >&2
  exit 1
}

steps_passed=0
steps_failed=0
pass() { steps_passed=$((steps_passed + 1)); echo "    ok: $*"; }
fail() { steps_failed=$((steps_failed + 1)); echo "    FAILED: $*"; }

echo "==> build enjo-mock (release)"
"$CARGO" build --release --locked -p enjo-mock -p enjo-cli
# configure's libenjo (with the testing kit), here and in R CMD check's build of the tarball.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/mock-kit"
export ENJO_MOCK_BIN="${ENJO_MOCK_BIN:-$ROOT/target/release/enjo-mock}"
export ENJO_REQUIRE_MOCK=1          # the tests fail, not skip, without a mock
export ENJO_SOURCE_DIR="$ROOT"      # for configure when R CMD check builds the tarball

echo "==> R CMD INSTALL bindings-r -> $LIB"
rm -rf "$LIB" "$CHECK"
mkdir -p "$LIB" "$CHECK"
R CMD INSTALL --library="$LIB" "$HERE"
export R_LIBS="$LIB${R_LIBS:+:$R_LIBS}"
pass "R CMD INSTALL"

echo "==> testthat suite against enjo-mock"
if TESTS_DIR="$HERE/tests/testthat" Rscript -e '
  suppressPackageStartupMessages({ library(testthat); library(enjo) })
  results <- as.data.frame(test_dir(Sys.getenv("TESTS_DIR"), reporter = "summary",
                                    stop_on_failure = FALSE))
  failed <- sum(results$failed > 0 | results$error)
  skipped <- sum(results$skipped)
  cat(sprintf("\ntestthat: %d tests, %d expectations, %d failed, %d skipped\n",
              nrow(results), sum(results$nb), failed, skipped))
  quit(status = if (failed > 0 || skipped > 0) 1 else 0)
'; then
  pass "testthat suite"
else
  fail "testthat suite"
fi

echo "==> examples/r/send_message.R against enjo-mock"
coproc MOCK { exec "$ENJO_MOCK_BIN" --port 0 --exit-on-stdin-close --quiet --rate-limit off 2>/dev/null; }
read -r -u "${MOCK[0]}" listening port
[ "$listening" = "LISTENING" ] || { echo "mock did not start"; exit 1; }
MOCK_PID_SAVED=$MOCK_PID
stop_mock() { if [ -n "${MOCK[1]:-}" ]; then eval "exec ${MOCK[1]}>&-"; fi; wait "$MOCK_PID_SAVED" 2>/dev/null || true; }
trap stop_mock EXIT
if out="$(ENJO_BASE_URL="http://127.0.0.1:$port" ENJO_API_TOKEN=enjo-mock-token \
          Rscript "$ROOT/examples/r/send_message.R")" &&
   grep -q '^answer: ' <<<"$out" && grep -q '^ticket: ' <<<"$out" && grep -q '"success":true' <<<"$out"; then
  pass "examples/r/send_message.R (answer, ticket and JSON printed)"
else
  echo "$out"
  fail "examples/r/send_message.R"
fi
if out="$(ENJO_BASE_URL="http://127.0.0.1:$port" ENJO_API_TOKEN=wrong-token \
          Rscript "$ROOT/examples/r/send_message.R" 2>&1)"; then
  fail "examples/r/send_message.R should fail with a wrong token"
elif grep -q enjo_authentication_error <<<"$out" && ! grep -q wrong-token <<<"$out"; then
  pass "examples/r/send_message.R reports a wrong token (without printing it)"
else
  echo "$out"
  fail "examples/r/send_message.R error path"
fi

echo "==> R under valgrind: error paths, interrupts and finalizers leak no Rust memory"
if ! command -v valgrind >/dev/null; then
  fail "valgrind is not installed"
elif ENJO_R_PKG_DIR="$HERE" R -d "valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --error-exitcode=1" \
       --vanilla -f "$HERE/tools/leak-check.R" > "$CHECK/valgrind.txt" 2>&1 &&
     grep -q "leak-check script done" "$CHECK/valgrind.txt"; then
  pass "valgrind: no definite or indirect leaks (errors of every origin, 3 interrupted calls)"
else
  tail -60 "$CHECK/valgrind.txt"
  fail "valgrind leak check of the R package (see $CHECK/valgrind.txt)"
fi

echo "==> R CMD build + R CMD check --no-manual"
(
  cd "$CHECK"
  R CMD build --no-build-vignettes "$HERE"
  tarball="$(ls enjo_*.tar.gz)"
  _R_CHECK_FORCE_SUGGESTS_=false R CMD check --no-manual "$tarball"
) > "$CHECK/check-output.txt" 2>&1 || true
log="$CHECK/enjo.Rcheck/00check.log"
if [ -f "$log" ]; then
  grep -E "^Status:" "$log" || true
  if grep -qE "^\* .*\.\.\. (ERROR|WARNING)" "$log" || grep -qE "^Status: .*(ERROR|WARNING)" "$log"; then
    grep -B2 -A20 -E "\.\.\. (ERROR|WARNING)" "$log" || true
    fail "R CMD check has an ERROR or WARNING (see $log)"
  else
    grep -E "\.\.\. NOTE" -A8 "$log" || true
    pass "R CMD check --no-manual: no ERROR or WARNING"
  fi
else
  tail -40 "$CHECK/check-output.txt"
  fail "R CMD check did not run"
fi

echo
echo "bindings-r: $steps_passed passed, $steps_failed failed"
[ "$steps_failed" -eq 0 ]
