#!/usr/bin/env bash
# The benchmark (not part of the tests): the built worker in workerd through
# the Miniflare API — never through wrangler dev — beside a minimal
# forwarding worker (the runtime's floor) and a peer gateway (Portkey, in
# node), all forwarding to the same mock provider; plus the native CPU cost
# of the pure request pipeline and the bundle size.
#
# Usage: scripts/bench.sh   BENCH_SECONDS=4 BENCH_ROUNDS=3 by default;
#                           BENCH_PEER=0 leaves the peer out
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
if ! have wrk; then
  step "installing wrk (load generator)"
  as_root apt-get install -y -qq wrk >/dev/null
fi
if [ "${BENCH_PEER:-1}" != 0 ] && [ ! -d scripts/bench/peer/node_modules/@portkey-ai/gateway ]; then
  step "installing the peer gateway (scripts/bench/peer: @portkey-ai/gateway, pinned)"
  npm ci --prefix scripts/bench/peer --no-audit --no-fund --loglevel=error
fi
export ALEPHANT_SKIP_SETUP=1
"$ROOT/scripts/build.sh"
cargo build -q -p mock-provider --profile native

step "pure pipeline CPU cost (native, cargo bench)"
cargo bench -q --bench pipeline 2>/dev/null | grep -v '^$' || cargo bench --bench pipeline

step "end-to-end latency and throughput"
node scripts/bench/run.mjs
