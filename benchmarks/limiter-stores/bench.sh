#!/usr/bin/env bash
# Admission latency of the rate limiter per store: memory, file, Redis over TCP and over a unix
# socket; 1 caller and 64 concurrent callers; quotas so high that nothing waits. Prints µs per
# admission and the ratio to the memory store. Needs `redis-server` (Debian's package).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
redis-server --port "$PORT" --bind 127.0.0.1 --unixsocket "$WORK/redis.sock" --unixsocketperm 700 \
  --save "" --appendonly no --dir "$WORK" >/dev/null 2>&1 &
REDIS_PID=$!
trap 'kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [ -S "$WORK/redis.sock" ] && break; sleep 0.05; done
cargo build --release --locked -q -p enjo-bench --bin limiter_stores --manifest-path "$ROOT/Cargo.toml"
echo "limiter stores, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(redis-server --version | cut -d' ' -f3)"
# The state file on the temp dir's disk, and on tmpfs (/dev/shm) where there is one.
SHM=()
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  SHM_DIR="$(mktemp -d /dev/shm/enjo-bench.XXXXXX)"
  trap 'kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; rm -rf "$WORK" "$SHM_DIR"' EXIT
  SHM=("file:$SHM_DIR/state")
fi
"$ROOT/target/release/limiter_stores" memory "file:$WORK/state" "${SHM[@]}" \
  "redis://127.0.0.1:$PORT/0" "redis+unix://$WORK/redis.sock"
