#!/usr/bin/env bash
# The whole test suite, on a fresh machine or an old one:
#   setup (installs what is missing) → worker build → native unit tests
#   (pure logic, mock provider) → integration tests (the built worker in
#   local workerd via wrangler dev, official SDK clients, mock provider,
#   the console in headless Chromium).
#
# Usage: scripts/test.sh [integration-test-filter ...]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ALEPHANT_WITH_BROWSER=1 "$ROOT/scripts/setup.sh"
export ALEPHANT_SKIP_SETUP=1
"$ROOT/scripts/build.sh"

step "native unit tests (cargo test)"
cargo test --workspace --profile native

step "mock provider"
cargo build -p mock-provider --profile native

step "integration tests"
node tests/integration/run.mjs "$@"
step "all tests passed"
