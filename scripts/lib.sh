# Shared helpers for the project's scripts. Source it; do not run it.
#
# Every script prints what it is doing with `step`, skips work that is
# already done, and works both on a bare Debian machine (no wasm32 std,
# no network beyond the package registries) and on an ordinary machine whose
# rustup toolchain already has the wasm32 target.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
export PATH="$TOOLS/bin:$ROOT/node_modules/.bin:$PATH"
# npm 11 warns about a user-level option on these machines; keep output readable.
export npm_config_loglevel=error

step() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }

# Runs a command as root (directly, or through sudo when we are not root).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif have sudo; then sudo "$@"
  else die "need root to run: $*"
  fi
}

# Version of a crate as resolved in Cargo.lock (first match).
locked_version() {
  awk -v name="$1" '
    $0 == "name = \"" name "\"" { found = 1; next }
    found && /^version = / { gsub(/"/, "", $3); print $3; exit }
  ' "$ROOT/Cargo.lock"
}

# The rustup toolchain can build for wasm32 when its target std is installed.
rustup_has_wasm() {
  have rustup && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown
}

# Which compiler builds the worker: "rustup" (ordinary machine) or
# "debian" (rustc-web + build-std, see shared TOOLCHAIN notes in README).
wasm_toolchain_kind() {
  if rustup_has_wasm; then echo rustup; else echo debian; fi
}

# Environment for the wasm build only. Native `cargo test` must not see it.
with_wasm_env() {
  if [ "$(wasm_toolchain_kind)" = debian ]; then
    PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort "$@"
  else
    "$@"
  fi
}

# Loopback ports that are free now (best effort; the OS may hand one out later).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until an HTTP endpoint answers (any status), up to $2 seconds.
wait_http() {
  local url="$1" secs="${2:-60}" i=0
  while ! curl -s -o /dev/null "$url"; do
    i=$((i + 1))
    [ "$i" -ge "$((secs * 5))" ] && return 1
    sleep 0.2
  done
}
