# The two commands of the README:
#   make demo   - build the CLI, start `enjo mock`, hold a conversation that ends in a ticket
#   make test   - every test suite: Rust (core, mock, CLI), Python, Node, C, R, Kotlin
#   make dist   - every artifact users install (wheel, sdist, npm tarballs, libenjo, R, CLI,
#                 crates) into dist/ with SHA256SUMS; make test-dist installs each without Rust
# Both set up what they need on a fresh machine with the toolchains of .ci/run.

CARGO ?= cargo
SUITES := $(wildcard spec/run-tests.sh bindings-python/run-tests.sh bindings-node/run-tests.sh bindings-c/run-tests.sh bindings-r/run-tests.sh bindings-kotlin/run-tests.sh examples/fleet/run-tests.sh scripts/readme-runner.sh)

.PHONY: demo test lint test-rust test-bindings mock-bin bench bench-report help fuzz fuzz-smoke sanitize miri dist test-dist

help:
	@echo "make demo   run the demo against a local enjo mock"
	@echo "make test   run every test suite"
	@echo "make bench  run the benchmarks (not part of make test)"
	@echo "make bench-report  every binding against one server in one run: docs/performance.md"
	@echo "make dist   build every installable artifact into dist/ (+ SHA256SUMS)"
	@echo "make test-dist   install each artifact of dist/ without Rust or the sources, run its example"
	@echo "make fuzz   run every fuzz target FUZZ_SECONDS (default 300) each (nightly, cargo-fuzz)"
	@echo "make fuzz-smoke  every fuzz target on its corpus, then <= 30 s each (what CI runs)"
	@echo "make sanitize    the C suite against a libenjo built with -Zsanitizer=address (nightly)"
	@echo "make miri   the rate limiter's unit tests under Miri (nightly, component miri)"

demo:
	@scripts/demo.sh

test: lint test-rust test-bindings
	python3 scripts/fault-matrix.py --check
	@echo "all test suites passed"

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked

test-rust:
	$(CARGO) test --workspace --locked

# Every binding's suite talks to the release mock server.
mock-bin:
	$(CARGO) build --release --locked -p enjo-mock -p enjo-cli

test-bindings: mock-bin
	@set -e; for suite in $(SUITES); do \
		echo "==> $$suite"; bash $$suite; \
	done

# Release artifacts (scripts/dist.sh) and their install tests (scripts/test-dist.sh).
dist:
	bash scripts/dist.sh

test-dist:
	bash scripts/test-dist.sh

bench: mock-bin
	@set -e; for b in $(wildcard benchmarks/*/bench.sh); do echo "==> $$b"; bash $$b; done

# Every binding and its alternatives against one server (nginx) in one run, next to the floor
# (wrk, 1 connection): writes docs/performance.md, its plot and the README's table.
# BENCH_REPORT_ARGS goes to benchmarks/report/report.py (e.g. --reps 3 --server mock).
bench-report:
	bash benchmarks/report/run.sh $(BENCH_REPORT_ARGS)

# Fuzzing (nightly + cargo-fuzz; the product itself stays on stable). See docs/testing.md.
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 20
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh

fuzz-smoke:
	FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) bash fuzz/run.sh --smoke

# The C suite with AddressSanitizer inside libenjo's Rust code too (nightly); see the script.
sanitize:
	bash scripts/sanitize-c.sh

# The rate limiter's logic (the sliding log, quotas, the shared registry) under Miri: undefined
# behaviour, data races and leaks in its unsafe-free but concurrency-heavy code.
miri:
	cargo +nightly miri test -p enjo --lib --locked ratelimit::
