#!/usr/bin/env bash
# The README runner as a `make test` suite: runs the README blocks marked
# `<!-- readme-runner: run -->` against enjo-mock, and fails on a block with no marker (see
# scripts/readme-runner.py). Runs after the binding suites, which build what the blocks use
# (the Python venvs, the Node addon and its npm tools, libenjo, the R package), so that the
# install and build blocks find cargo's target/ warm; builds libenjo, the mock and the CLI
# itself (warm too).
set -euo pipefail
cd "$(dirname "$0")/.."
# Two builds, as the C suite and `make mock-bin` do (together, cargo would unify the mock's
# dependency features into a different libenjo, relinked again by the C blocks' plain builds).
cargo build --release --locked -p enjo-c
cargo build --release --locked -p enjo-mock -p enjo-cli
exec python3 scripts/readme-runner.py "$@"
