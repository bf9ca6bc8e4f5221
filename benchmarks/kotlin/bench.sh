#!/usr/bin/env bash
# enjo (Kotlin/JVM) vs java.net.http.HttpClient + org.json: builds the release native library
# and mock, installs bindings-kotlin's jar (ai.enjo:enjo:0.1.0) into the Maven repository
# (~/.m2, or MAVEN_REPO_LOCAL), builds this module against it and runs Bench.kt in one JVM
# against one release enjo mock (limits off): sequential and 64 in flight, interleaved.
# Needs: cargo, a JDK 17+ and Maven 3.8+. Not part of `make test`.
#   bash benchmarks/kotlin/bench.sh        (BENCH_CALLS, BENCH_CONCURRENT_CALLS, BENCH_REPS)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
command -v mvn >/dev/null || { echo "Maven (mvn) is not installed: apt-get install maven" >&2; exit 1; }
command -v java >/dev/null || { echo "no JDK: apt-get install openjdk-17-jdk-headless" >&2; exit 1; }
# `--features cli` as run-tests.sh builds it, so that both share one build of the library.
cargo build --release --locked -q -p enjo-kotlin --features cli
cargo build --release --locked -q -p enjo-mock
MVN=(mvn -B -q -Dstyle.color=never)
[ -n "${MAVEN_REPO_LOCAL:-}" ] && MVN+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
"${MVN[@]}" -f bindings-kotlin/pom.xml install -Dmaven.test.skip=true
"${MVN[@]}" -f "$HERE/pom.xml" package
bin="${CARGO_TARGET_DIR:-target}/release"
coproc MOCK { exec "$bin/enjo-mock" --port 0 --rate-limit off --quiet --exit-on-stdin-close 2>/dev/null; }
read -r _ port <&"${MOCK[0]}"
trap 'exec {MOCK[1]}>&-; wait "$MOCK_PID" 2>/dev/null || true' EXIT
unset ENJO_LOG
java -cp "$HERE/target/classes:$(cat "$HERE/target/classpath.txt")" BenchKt "http://127.0.0.1:$port"
