#!/usr/bin/env bash
# Runs the gateway locally, ready to use:
#   setup → build → local D1 migrations → mock provider (unless real
#   provider keys are given) → wrangler dev on http://localhost:8787 →
#   a demo workspace with provider keys and one virtual key, printed with
#   ready-to-paste curl and SDK snippets. Ctrl-C stops everything.
#
# Real providers: put OPENAI_API_KEY (and others) in the environment or in
# .dev.vars; providers without a key are served by the local mock.
#
# Usage: scripts/dev.sh            (PORT=8787 MOCK_PORT=9090 by default)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

PORT="${PORT:-8787}"
MOCK_PORT="${MOCK_PORT:-9090}"
STATE_DIR="$ROOT/.dev-state"
mkdir -p "$STATE_DIR"

"$ROOT/scripts/setup.sh"
export ALEPHANT_SKIP_SETUP=1
"$ROOT/scripts/build.sh"

# Secrets for local dev live in .dev.vars (git-ignored), generated once.
if [ ! -f .dev.vars ]; then
  step "creating .dev.vars with fresh local secrets"
  cat > .dev.vars <<EOF
# Local secrets for wrangler dev (git-ignored). Add real provider keys here,
# e.g. OPENAI_API_KEY=sk-..., to use real providers instead of the mock.
MASTER_KEY=mk-local-$(python3 -c 'import secrets; print(secrets.token_hex(16))')
PROVIDER_KEY_ENCRYPTION_KEY=$(python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')
EOF
fi
dev_var() { grep -E "^$1=" .dev.vars | tail -n 1 | cut -d= -f2- || true; }
MASTER_KEY="$(dev_var MASTER_KEY)"
[ -n "$MASTER_KEY" ] || die ".dev.vars has no MASTER_KEY"
OPENAI_KEY="${OPENAI_API_KEY:-$(dev_var OPENAI_API_KEY)}"

step "applying D1 migrations (local)"
CI=1 wrangler d1 migrations apply DB --local >/dev/null

pids=()
cleanup() {
  trap - INT TERM EXIT
  step "stopping"
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

MOCK_URL=""
if [ -z "$OPENAI_KEY" ]; then
  step "starting the mock provider on 127.0.0.1:$MOCK_PORT (no real provider keys given)"
  cargo build -q -p mock-provider --profile native
  setsid "$ROOT/target/native/mock-provider" --port "$MOCK_PORT" >"$STATE_DIR/mock.log" 2>&1 &
  pids+=($!)
  MOCK_URL="http://127.0.0.1:$MOCK_PORT"
  wait_http "$MOCK_URL/_mock/stats" 20 || die "mock provider did not start (see $STATE_DIR/mock.log)"
fi

step "starting wrangler dev on http://localhost:$PORT"
setsid wrangler dev --port "$PORT" --show-interactive-dev-session=false >"$STATE_DIR/wrangler.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$PORT/health" 180 || die "gateway did not start (see $STATE_DIR/wrangler.log)"

step "seeding the demo workspace"
DEMO_JSON="$(python3 "$ROOT/scripts/seed_demo.py" \
  --gateway "http://127.0.0.1:$PORT" --master-key "$MASTER_KEY" --state "$STATE_DIR/demo.json" \
  ${MOCK_URL:+--mock "$MOCK_URL"} ${OPENAI_KEY:+--openai-key "$OPENAI_KEY"})" || die "seeding failed"
VK="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["key"])' "$DEMO_JSON")"
WS="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["workspace_id"])' "$DEMO_JSON")"
OWNER="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["owner_token"])' "$DEMO_JSON")"

cat <<EOF

  Alephant AI Gateway is running on http://localhost:$PORT
  upstream: ${MOCK_URL:-real providers (keys from environment / .dev.vars)}${MOCK_URL:+ (local mock provider)}

  workspace   $WS
  virtual key $VK
  admin key   (MASTER_KEY in .dev.vars)

  console     http://localhost:$PORT/console/
  log in with $OWNER   (owner of the demo workspace)

  curl:
    curl http://localhost:$PORT/v1/chat/completions \\
      -H "Authorization: Bearer $VK" -H "Content-Type: application/json" \\
      -d '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}'
    # run it twice with  -H "alephant-cache-enabled: true"  and the second answer says alephant-cache: HIT;
    # semantic:  -H "alephant-cache-semantic-threshold: 0.9" -H "alephant-embeddings-model: openai/text-embedding-3-small"

  Python (pip install openai):
    from openai import OpenAI
    client = OpenAI(base_url="http://localhost:$PORT/v1", api_key="$VK")
    print(client.chat.completions.create(model="gpt-4o-mini",
          messages=[{"role": "user", "content": "Hello!"}]).choices[0].message.content)

  JavaScript (npm install openai):
    import OpenAI from "openai";
    const client = new OpenAI({ baseURL: "http://localhost:$PORT/v1", apiKey: "$VK" });
    const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello!" }] });

  Logs: $STATE_DIR/wrangler.log   Request log: GET /admin/workspaces/$WS/logs (admin key)
  Press Ctrl-C to stop.
EOF

wait "${pids[@]}"
