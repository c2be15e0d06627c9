#!/usr/bin/env bash
# Builds the worker into build/ (index.js + index_bg.wasm) and the web
# console into build/console/ (served by Workers Static Assets).
#
# Usage: scripts/build.sh [--dev]     (release by default)
# ALEPHANT_KEEP_NAMES=1 keeps wasm function names (for CPU profiles).
# Runs scripts/setup.sh first unless ALEPHANT_SKIP_SETUP=1 (set by the
# scripts that already ran it, and for wrangler's rebuild-on-change).
source "$(dirname "$0")/lib.sh"

profile=--release
[ "${1:-}" = "--dev" ] && profile=--dev

[ "${ALEPHANT_SKIP_SETUP:-0}" = 1 ] || "$ROOT/scripts/setup.sh"

cd "$ROOT"
# The console (Workers Static Assets, build/console): a second or two with
# esbuild, so it is simply rebuilt every time.
node console/build.mjs

# Up to date when the last build of this profile is newer than every input.
stamp="build/.built$profile"
# A build with names kept is another build: its own stamp.
[ "${ALEPHANT_KEEP_NAMES:-0}" = 1 ] && stamp="$stamp-names"
if [ -f "$stamp" ] && [ -f build/index.js ] && [ -f build/index_bg.wasm ] &&
  [ -z "$(find src providers build.rs Cargo.toml Cargo.lock scripts/build.sh -newer "$stamp" -print -quit)" ]; then
  note "worker build is up to date ($stamp)"
  exit 0
fi

step "building the worker ($profile, $(wasm_toolchain_kind) toolchain)"
rm -f build/.built-*
# The wasm build gets its own target dir: on Debian machines it uses a
# different compiler than native `cargo test`, and sharing one dir would
# make each invalidate the other's build cache.
with_wasm_env env \
  CARGO_TARGET_DIR="$ROOT/target/wasm" \
  WASM_BINDGEN_BIN="$TOOLS/bin/wasm-bindgen" \
  ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild" \
  WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt" \
  worker-build "$profile"

if [ "$profile" = --release ] && [ "${ALEPHANT_KEEP_NAMES:-0}" != 1 ]; then
  # worker-build keeps the wasm names section (--debuginfo) for readable
  # stack traces; panic messages already carry file:line, so the release
  # bundle drops it: about a tenth of the compressed size.
  wasm-opt build/index_bg.wasm --strip-debug -o build/index_bg.wasm \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
    --enable-multivalue --enable-reference-types --enable-exception-handling
fi

touch "$stamp"
wasm_gz=$(gzip -9 -c build/index_bg.wasm | wc -c)
js_gz=$(gzip -9 -c build/index.js | wc -c)
note "build/index_bg.wasm $(wc -c < build/index_bg.wasm) bytes ($wasm_gz gzip), build/index.js $js_gz gzip"
