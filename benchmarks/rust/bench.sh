#!/usr/bin/env bash
# Rust core vs raw reqwest, and the limiter's acquire cost. Needs the release mock.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked -q -p enjo-mock
cargo run --release --locked -q -p enjo-bench
