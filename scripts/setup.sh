#!/usr/bin/env bash
# Installs whatever the project needs and is missing; skips what is present.
#
#   - a compiler that can build the worker for wasm32-unknown-unknown
#     (rustup's target when installed, else Debian's rustc-web + build-std)
#   - worker-build and wasm-bindgen-cli at the versions Cargo.lock needs
#   - the pinned JS tools and test clients from package-lock.json
#
# Usage: scripts/setup.sh
source "$(dirname "$0")/lib.sh"

setup_native_rust() {
  have cargo || die "cargo not found: install Rust with rustup (https://rustup.rs) and re-run"
  note "native: $(cargo --version)"
  # A C compiler: native tests build SQLite (rusqlite, bundled) to run the
  # analytics SQL against the real migrations.
  if ! have cc; then
    note "installing gcc (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null
  fi
}

setup_wasm_toolchain() {
  if [ "$(wasm_toolchain_kind)" = rustup ]; then
    step "wasm32 toolchain: rustup target present"
    return
  fi
  step "wasm32 toolchain: Debian rustc-web with std built from source"
  local pkgs=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    note "installing ${missing[*]} (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    note "packages present: ${pkgs[*]}"
  fi
  # worker-build checks that the target's sysroot folder exists; with
  # build-std it may stay empty.
  local sysroot
  sysroot="$(/usr/bin/rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib"
  [ -d "$sysroot" ] || as_root mkdir -p "$sysroot"
  have_lld=$(PATH=/usr/bin:$PATH command -v rust-lld || true)
  [ -n "$have_lld" ] || die "rust-lld missing after installing lld-22"
  note "wasm compiler: $(/usr/bin/rustc --version)"
}

# cargo install <crate> <version> <binary> into .tools unless that version is there.
install_cargo_tool() {
  local crate="$1" version="$2" bin="$3"
  if [ -x "$TOOLS/bin/$bin" ] && "$TOOLS/bin/$bin" --version 2>/dev/null | grep -q "$version"; then
    note "$crate $version present"
    return
  fi
  note "installing $crate $version into .tools (takes a few minutes once)"
  # --locked reproduces the tool's own lockfile; when a crate it pins has
  # since been yanked, fall back to a fresh resolution of the same version.
  cargo install --quiet --locked --root "$TOOLS" "$crate" --version "$version" 2>/dev/null ||
    cargo install --quiet --root "$TOOLS" "$crate" --version "$version"
}

setup_build_tools() {
  step "worker build tools"
  [ -f "$ROOT/Cargo.lock" ] || die "Cargo.lock missing (it is committed; restore it)"
  local worker_v bindgen_v
  worker_v="$(locked_version worker)"
  bindgen_v="$(locked_version wasm-bindgen)"
  [ -n "$worker_v" ] && [ -n "$bindgen_v" ] || die "cannot read worker / wasm-bindgen versions from Cargo.lock"
  install_cargo_tool worker-build "$worker_v" worker-build
  install_cargo_tool wasm-bindgen-cli "$bindgen_v" wasm-bindgen
}

setup_node() {
  step "node packages (wrangler, esbuild, binaryen, SDK clients)"
  have node || die "node not found: install Node.js 20 or newer and re-run"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js $major is too old; wrangler needs 20 or newer"
  local stamp="$ROOT/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/package-lock.json" ]; then
    note "node_modules up to date"
  else
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

# The console's browser test drives Debian's Chromium (no browser download
# is possible on the machines we test on). Only the test suite asks for it.
setup_browser() {
  step "headless browser for the console test"
  if have chromium; then
    note "chromium present ($(chromium --version 2>/dev/null | head -1))"
    return
  fi
  have apt-get || die "chromium not found and apt-get unavailable: install Chromium and re-run"
  note "installing chromium (apt; about a minute once)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  have chromium || die "chromium missing after installing it"
}

setup_native_rust
setup_wasm_toolchain
setup_build_tools
setup_node
[ "${ALEPHANT_WITH_BROWSER:-0}" = 1 ] && setup_browser
step "setup done"
