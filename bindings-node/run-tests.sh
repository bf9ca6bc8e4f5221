#!/usr/bin/env bash
# The Node package's whole suite (docs/bindings.md): installs its npm packages locally
# (node_modules, git-ignored), builds the release addon, checks that the generated bindings
# (native.js, native.d.ts) match what is committed, runs the node:test suite against
# `enjo-mock` (the pack test included), and type-checks the declarations, the typing test
# and the examples with `tsc --strict`. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"
REPO="$(cd .. && pwd)"
CARGO="${CARGO:-cargo}"

step() { printf '\n==> %s\n' "$*"; }

step "npm ci"
bash scripts/npm-install.sh

step "enjo-mock (release)"
if [ -z "${ENJO_MOCK_BIN:-}" ]; then
  (cd "$REPO" && "$CARGO" build --release --locked -p enjo-mock -p enjo-cli)
  export ENJO_MOCK_BIN="$REPO/target/release/enjo-mock"
fi

step "napi build --platform --release (and drift check of the generated bindings)"
committed="$(mktemp -d)"
trap 'rm -rf "$committed"' EXIT
cp native.js native.d.ts "$committed/"
npx napi build --platform --release \
  --js native.js --dts native.d.ts -- --locked
drift=0
for f in native.js native.d.ts; do
  if ! cmp -s "$committed/$f" "$f"; then
    echo "error: $f is out of date with the Rust side: commit the regenerated file" >&2
    diff -u "$committed/$f" "$f" | head -40 >&2 || true
    drift=1
  fi
done
[ "$drift" -eq 0 ] || exit 1

step "node --test"
# examples/node resolves `import 'enjo'` to this package, as `npm install` in it would.
mkdir -p "$REPO/examples/node/node_modules"
ln -sfn "../../../bindings-node" "$REPO/examples/node/node_modules/enjo"
# `npm test` is these two steps (package.json's test:node and test:types), without the
# install, the build and the drift check above.
npm run --silent test:node

step "tsc --noEmit --strict (declarations, typing test, examples)"
npm run --silent test:types

echo
echo "bindings-node: all checks passed"
