#!/usr/bin/env bash
# The Kotlin/JVM package's test suite (docs/bindings.md: one script per binding):
#   1. builds the native library (cdylib enjo_uniffi) and enjo-mock in release;
#   2. regenerates the uniffi Kotlin into src/main/kotlin/ai/enjo/ffi with the crate's own
#      bindgen (`--features cli`, bin `uniffi-bindgen`) and fails if it differs from the
#      committed file (`git diff --exit-code`);
#   3. `mvn -B test`: the JUnit suite against enjo-mock (started by the tests on free loopback
#      ports), the Kotlin and Java examples included; then `mvn package` and a check that the
#      jar holds linux-x86-64/libenjo_uniffi.so.
# Needs: cargo, a JDK 17+ and Maven 3.8+. Maven's downloads go to ~/.m2 (or MAVEN_REPO_LOCAL).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CARGO="${CARGO:-cargo}"
cd "$ROOT"

command -v mvn >/dev/null || { echo "Maven (mvn) is not installed: apt-get install maven"; exit 1; }
command -v java >/dev/null || { echo "no JDK: apt-get install openjdk-17-jdk-headless"; exit 1; }

echo "==> build the native library and enjo-mock (release)"
# With `cli` on, so that the library and the bindgen share one build of uniffi (without it,
# the bindgen's build would rebuild the library each time).
"$CARGO" build --release --locked -p enjo-kotlin --features cli
"$CARGO" build --release --locked -p enjo-mock -p enjo-cli  # as make mock-bin: one build of the mock
export ENJO_MOCK_BIN="${ENJO_MOCK_BIN:-$ROOT/target/release/enjo-mock}"

echo "==> regenerate the Kotlin bindings and check them against the committed ones"
"$ROOT/target/release/uniffi-bindgen" \
  generate --library "$ROOT/target/release/libenjo_uniffi.so" --language kotlin \
  --out-dir "$HERE/src/main/kotlin" --no-format
if ! git diff --exit-code -- "$HERE/src/main/kotlin/ai/enjo/ffi"; then
  echo "FAILED: the generated Kotlin (bindings-kotlin/src/main/kotlin/ai/enjo/ffi) is out of date:"
  echo "        commit the regenerated file above"
  exit 1
fi
if [ -n "$(git ls-files --others --exclude-standard -- "$HERE/src/main/kotlin/ai/enjo/ffi")" ]; then
  echo "FAILED: uncommitted generated files in bindings-kotlin/src/main/kotlin/ai/enjo/ffi"
  exit 1
fi

MVN=(mvn -B -q -f "$HERE/pom.xml")
[ -n "${MAVEN_REPO_LOCAL:-}" ] && MVN+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")

echo "==> mvn test (JUnit against enjo-mock, examples included)"
"${MVN[@]}" test

echo "==> mvn package: one jar with the native library"
"${MVN[@]}" package -DskipTests
jar="$HERE/target/enjo-0.1.0.jar"
if ! jar tf "$jar" | grep -qx 'linux-x86-64/libenjo_uniffi.so'; then
  echo "FAILED: $jar does not hold linux-x86-64/libenjo_uniffi.so"
  exit 1
fi
echo "bindings-kotlin: all tests passed"
