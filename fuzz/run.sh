#!/usr/bin/env bash
# Runs the fuzz targets (cargo-fuzz, libFuzzer, nightly): `make fuzz` and `make fuzz-smoke`.
#   fuzz/run.sh [--smoke] [SECONDS] [TARGET...]
# Each target first replays its committed corpus (fuzz/corpus/<target>: a crash there fails at
# once), then fuzzes for SECONDS (default: FUZZ_SECONDS, else 300; --smoke: FUZZ_SMOKE_SECONDS,
# else 20). New inputs go to fuzz/corpus-run/<target> (git-ignored), crashes to
# fuzz/artifacts/<target>. Prints one line of figures per target and exits non-zero if any
# target crashed. See docs/testing.md.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
ALL=(decode_response error_body retry_after validate quota_list client_options c_api)
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
if [ $smoke = 1 ]; then seconds="${FUZZ_SMOKE_SECONDS:-20}"; else seconds="${FUZZ_SECONDS:-300}"; fi
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds="$1"; shift; fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")
if [ $smoke = 1 ] && [ "$seconds" -gt 30 ]; then echo "a smoke run is at most 30 s per target"; exit 2; fi

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz --locked"; exit 2; }
FUZZ=(cargo +nightly fuzz)
# -O: optimised, with debug assertions (cargo-fuzz's default) and AddressSanitizer.
"${FUZZ[@]}" build -O
mkdir -p corpus-run logs

failed=0
printf '%-16s %12s %8s %10s %s\n' target executions seconds corpus result
for t in "${targets[@]}"; do
  mkdir -p "corpus-run/$t" "corpus/$t"
  log="logs/$t.log"
  # -timeout: one input may take at most 10 s (c_api's sends time out after 2 s);
  # -rss_limit_mb: a leak or an unbounded allocation fails the run.
  if "${FUZZ[@]}" run -O "$t" "corpus-run/$t" "corpus/$t" -- \
       -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see $HERE/$log and $HERE/artifacts/$t)"
    failed=1
  fi
  # `|| true`: a target that crashed at once has no figures; the others still run.
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)"
  secs="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1 || true)"
  corpus="$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)"
  printf '%-16s %12s %8s %10s %s\n' "$t" "${runs:-?}" "${secs:-?}" "${corpus:-?}" "$result"
done
exit $failed
