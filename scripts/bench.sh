#!/usr/bin/env bash
# The benchmark (not part of the tests): the built worker in workerd through
# the Miniflare API — never through wrangler dev — against the mock provider
# directly and a minimal pass-through worker (the runtime's floor); plus the
# native CPU cost of the pure request pipeline and the bundle size.
#
# Usage: scripts/bench.sh            BENCH_SECONDS=4 BENCH_ROUNDS=3 by default
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
if ! have wrk; then
  step "installing wrk (load generator)"
  as_root apt-get install -y -qq wrk >/dev/null
fi
export ALEPHANT_SKIP_SETUP=1
"$ROOT/scripts/build.sh"
cargo build -q -p mock-provider --profile native

step "pure pipeline CPU cost (native, cargo bench)"
cargo bench -q --bench pipeline 2>/dev/null | grep -v '^$' || cargo bench --bench pipeline

step "end-to-end latency and throughput"
node scripts/bench/run.mjs
