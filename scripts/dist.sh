#!/usr/bin/env bash
# `make dist`: every artifact a user installs, built into dist/ (git-ignored) with SHA256SUMS.
#
#   enjo-<v>-cp39-abi3-manylinux_*_x86_64.whl   Python wheel (maturin, abi3, stripped; maturin's
#                                               auditwheel check decides the manylinux tag)
#   enjo-<v>.tar.gz                             Python sdist (builds with Rust present)
#   enjo-<v>.tgz, enjo-linux-x64-gnu-<v>.tgz    npm: the main package (JS, types, loader) and the
#                                               prebuilt linux-x64-gnu addon it selects at load time
#   libenjo-<v>-x86_64-linux-gnu.tar.gz         C: the `make install` tree (relocatable)
#   enjo_<v>.tar.gz                             R source package (R CMD build)
#   enjo-cli-<v>-x86_64-linux-gnu.tar.gz        the `enjo` binary, man page, bash/zsh/fish completions
#   crates/enjo-<v>.crate, enjo-mock, enjo-cli  `cargo package` (verified: each builds from its .crate)
#
# `make test-dist` (scripts/test-dist.sh) installs each of them without Rust or the sources.
# Needs: cargo, python3 (+ venv), node/npm, R, gcc, make. DIST_SKIP_CRATE_VERIFY=1 packages the
# crates without the verifying build (a few minutes).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="$ROOT/dist"
CARGO="${CARGO:-cargo}"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)"
TRIPLE=x86_64-linux-gnu
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cd "$ROOT"

step() { printf '\n==> dist: %s\n' "$*"; }

# Nothing shipped may name this machine's paths: the checkout's and the cargo home's (the
# dependencies' panic locations) are rewritten in every Rust and C object, in a target dir of
# the artifacts' own (other flags, so the suites' target/release is not rebuilt over).
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
export CARGO_TARGET_DIR="$ROOT/target/dist"
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$ROOT=/enjo --remap-path-prefix=$CARGO_HOME_DIR=/cargo"
export CFLAGS="${CFLAGS:-} -ffile-prefix-map=$ROOT=/enjo -ffile-prefix-map=$CARGO_HOME_DIR=/cargo"
OUT="$CARGO_TARGET_DIR/release"
rm -rf "$DIST"
mkdir -p "$DIST/crates"

step "cargo build --release (libenjo, then enjo and enjo-mock)"
# Separately, as `make -C bindings-c` and the suites build them: together, cargo would unify
# the dependencies' features across the three and every later single-package build would
# recompile (and relink with LTO) libenjo.
"$CARGO" build --release --locked -p enjo-c
"$CARGO" build --release --locked -p enjo-cli -p enjo-mock

step "C: libenjo-$VERSION-$TRIPLE.tar.gz (make install, relocatable tree)"
C_TREE="$STAGE/libenjo-$VERSION-$TRIPLE"
make -s -C bindings-c install PREFIX="$C_TREE" CARGO="$CARGO"
install -m 644 bindings-c/README.md "$C_TREE/README.md"
tar -C "$STAGE" --owner=0 --group=0 --numeric-owner -czf "$DIST/libenjo-$VERSION-$TRIPLE.tar.gz" \
  "libenjo-$VERSION-$TRIPLE"

step "CLI: enjo-cli-$VERSION-$TRIPLE.tar.gz (binary, man page, completions)"
CLI_TREE="$STAGE/enjo-cli-$VERSION-$TRIPLE"
install -d "$CLI_TREE/bin" "$CLI_TREE/share/man/man1" "$CLI_TREE/share/bash-completion/completions" \
  "$CLI_TREE/share/zsh/site-functions" "$CLI_TREE/share/fish/vendor_completions.d"
install -m 755 "$OUT/enjo" "$CLI_TREE/bin/enjo"
"$CLI_TREE/bin/enjo" man > "$CLI_TREE/share/man/man1/enjo.1"
"$CLI_TREE/bin/enjo" completions bash > "$CLI_TREE/share/bash-completion/completions/enjo"
"$CLI_TREE/bin/enjo" completions zsh > "$CLI_TREE/share/zsh/site-functions/_enjo"
"$CLI_TREE/bin/enjo" completions fish > "$CLI_TREE/share/fish/vendor_completions.d/enjo.fish"
install -m 644 cli/README.md "$CLI_TREE/README.md"
tar -C "$STAGE" --owner=0 --group=0 --numeric-owner -czf "$DIST/enjo-cli-$VERSION-$TRIPLE.tar.gz" \
  "enjo-cli-$VERSION-$TRIPLE"

step "Python: abi3 wheel (maturin, auditwheel check) and sdist"
TOOLS="$ROOT/bindings-python/.venvs/dist-tools"
if [ ! -x "$TOOLS/bin/maturin" ]; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q --disable-pip-version-check -r bindings-python/requirements-build.txt
fi
# --auditwheel check: fail (not repair) if the extension needs a library outside the manylinux
# policy, and tag the wheel with the oldest manylinux its symbols allow.
"$TOOLS/bin/maturin" build --release --strip --locked --auditwheel check \
  -m bindings-python/Cargo.toml --out "$DIST"
"$TOOLS/bin/maturin" sdist -m bindings-python/Cargo.toml --out "$DIST"

step "Node: enjo-linux-x64-gnu (prebuilt addon) and enjo (main package) tarballs"
(cd bindings-node && bash scripts/npm-install.sh >/dev/null &&
  npx napi build --platform --release --js native.js --dts native.d.ts -- --locked)
node "$ROOT/scripts/dist-npm.js" "$ROOT/bindings-node" "$STAGE/npm" "$DIST"

step "R: R CMD build bindings-r"
(cd "$STAGE" && R CMD build --no-build-vignettes --no-manual "$ROOT/bindings-r" >/dev/null)
mv "$STAGE/enjo_$VERSION.tar.gz" "$DIST/"

step "Rust: cargo package -p enjo -p enjo-mock -p enjo-cli"
verify=()
[ "${DIST_SKIP_CRATE_VERIFY:-0}" = 1 ] && verify=(--no-verify)
"$CARGO" package --locked --allow-dirty "${verify[@]}" -p enjo -p enjo-mock -p enjo-cli
for c in enjo enjo-mock enjo-cli; do cp "$CARGO_TARGET_DIR/package/$c-$VERSION.crate" "$DIST/crates/"; done

step "SHA256SUMS"
(cd "$DIST" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | xargs sha256sum > SHA256SUMS)
cat "$DIST/SHA256SUMS"
du -sh "$DIST"/* | sed 's/^/    /'
