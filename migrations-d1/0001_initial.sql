-- Alephant AI Gateway: the data model.
--
-- Conventions: ids are prefixed text (ws_, vk_, pk_, ag_, …); times are
-- INTEGER milliseconds since the Unix epoch (UTC); money is INTEGER
-- nano-dollars (1e-9 USD) so sums are exact; JSON lives in TEXT columns.
-- Secrets are never stored in clear: virtual keys as SHA-256 hashes,
-- provider keys AES-256-GCM encrypted by the worker.

CREATE TABLE workspaces (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  -- Workspace-wide defaults and policy (cache, limits, allowlists), JSON.
  settings    TEXT NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- Requests to a custom hostname belong to that hostname's workspace.
CREATE TABLE custom_domains (
  hostname      TEXT PRIMARY KEY COLLATE NOCASE,
  workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL
);
CREATE INDEX custom_domains_by_workspace ON custom_domains(workspace_id);

CREATE TABLE provider_keys (
  id             TEXT PRIMARY KEY,
  workspace_id   TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  provider       TEXT NOT NULL,
  name           TEXT NOT NULL DEFAULT '',
  -- 'v1.<base64(nonce | ciphertext | tag)>'; NULL for keyless self-hosted servers.
  encrypted_key  TEXT,
  -- Last characters of the key, for people to tell keys apart.
  key_hint       TEXT,
  -- Overrides the catalog's base URL (self-hosted, proxies, Azure resources).
  base_url       TEXT,
  -- Provider-specific settings, JSON (e.g. Azure api_version, AWS region).
  config         TEXT NOT NULL DEFAULT '{}',
  enabled        INTEGER NOT NULL DEFAULT 1,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE INDEX provider_keys_by_workspace ON provider_keys(workspace_id, provider, enabled);

CREATE TABLE agents (
  id            TEXT PRIMARY KEY,
  workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  department    TEXT,
  description   TEXT NOT NULL DEFAULT '',
  metadata      TEXT NOT NULL DEFAULT '{}',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (workspace_id, name)
);

CREATE TABLE virtual_keys (
  id                 TEXT PRIMARY KEY,
  workspace_id       TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  -- SHA-256 of the whole token, hex. The token itself is never stored.
  key_hash           TEXT NOT NULL UNIQUE,
  -- First characters of the token ('vk-AbCdEfG'), for listings.
  key_prefix         TEXT NOT NULL,
  name               TEXT NOT NULL DEFAULT '',
  agent_id           TEXT REFERENCES agents(id) ON DELETE SET NULL,
  department         TEXT,
  -- JSON arrays of glob patterns; NULL means no restriction.
  allowed_models     TEXT,
  allowed_providers  TEXT,
  -- Rate-limit policy string, e.g. '100;w=60,10000;w=86400;u=tokens'.
  rate_limit         TEXT,
  -- Further per-key policy (denied models, max_tokens cap, cache defaults…), JSON.
  policy             TEXT NOT NULL DEFAULT '{}',
  expires_at         INTEGER,
  revoked_at         INTEGER,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX virtual_keys_by_workspace ON virtual_keys(workspace_id, created_at);
CREATE INDEX virtual_keys_by_agent ON virtual_keys(agent_id) WHERE agent_id IS NOT NULL;

-- Named routing configurations; every update is a new version.
CREATE TABLE routers (
  id              TEXT PRIMARY KEY,
  workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  current_version INTEGER NOT NULL DEFAULT 1,
  config          TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE TABLE router_versions (
  router_id   TEXT NOT NULL REFERENCES routers(id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  config      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (router_id, version)
);

-- Versioned prompt templates, addressed by (workspace, prompt id, version).
CREATE TABLE prompts (
  workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  id            TEXT NOT NULL,
  version       INTEGER NOT NULL,
  -- JSON: the messages with {{variables}}, default model and params.
  template      TEXT NOT NULL,
  -- JSON array of variable names the template needs.
  variables     TEXT NOT NULL DEFAULT '[]',
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, id, version)
);

-- Spend limits. The live ledger (reservations, spend this period) is kept
-- exact in a Durable Object; this table is the configuration.
CREATE TABLE budgets (
  id              TEXT PRIMARY KEY,
  workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  scope_type      TEXT NOT NULL CHECK (scope_type IN ('key', 'agent', 'department', 'workspace')),
  scope_id        TEXT NOT NULL,
  period          TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'total')),
  limit_nanos     INTEGER NOT NULL CHECK (limit_nanos >= 0),
  -- Fraction of the limit (0–1) that records an audit event once per period.
  soft_threshold  REAL,
  webhook_url     TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (workspace_id, scope_type, scope_id, period)
);

-- One row per request, written by the LOGS queue consumer (INSERT OR IGNORE
-- on the id, so a redelivered message never duplicates a row).
CREATE TABLE request_logs (
  id                     TEXT PRIMARY KEY,
  workspace_id           TEXT NOT NULL,
  created_at             INTEGER NOT NULL,
  virtual_key_id         TEXT,
  agent_id               TEXT,
  department             TEXT,
  session_id             TEXT,
  session_path           TEXT,
  session_name           TEXT,
  properties             TEXT,
  user_id                TEXT,
  country                TEXT,
  referer                TEXT,
  client_ip              TEXT,
  endpoint               TEXT NOT NULL,
  requested_model        TEXT,
  provider               TEXT,
  model                  TEXT,
  provider_request_id    TEXT,
  stream                 INTEGER NOT NULL DEFAULT 0,
  status                 INTEGER NOT NULL,
  error_code             TEXT,
  error_message          TEXT,
  latency_ms             INTEGER,
  upstream_latency_ms    INTEGER,
  ttft_ms                INTEGER,
  prompt_tokens          INTEGER,
  completion_tokens      INTEGER,
  cached_tokens          INTEGER,
  cache_creation_tokens  INTEGER,
  reasoning_tokens       INTEGER,
  cost_nanos             INTEGER,
  cache_status           TEXT,
  cost_saved_nanos       INTEGER,
  router_id              TEXT,
  target                 TEXT,
  -- JSON array: every attempt with provider, model, status, latency.
  attempts               TEXT,
  -- JSON array of policy decisions taken for this request.
  policy                 TEXT,
  request_body_key       TEXT,
  response_body_key      TEXT
);
CREATE INDEX request_logs_by_time ON request_logs(workspace_id, created_at);
CREATE INDEX request_logs_by_key ON request_logs(workspace_id, virtual_key_id, created_at);
CREATE INDEX request_logs_by_agent ON request_logs(workspace_id, agent_id, created_at) WHERE agent_id IS NOT NULL;
CREATE INDEX request_logs_by_model ON request_logs(workspace_id, model, created_at);
CREATE INDEX request_logs_by_session ON request_logs(workspace_id, session_id, created_at) WHERE session_id IS NOT NULL;

-- Non-LLM events of an agent run: tool calls, paid endpoints, revenue.
CREATE TABLE usage_events (
  id              TEXT PRIMARY KEY,
  workspace_id    TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  virtual_key_id  TEXT,
  agent_id        TEXT,
  session_id      TEXT,
  kind            TEXT NOT NULL CHECK (kind IN ('tool_call', 'paid_endpoint', 'revenue', 'custom')),
  name            TEXT NOT NULL DEFAULT '',
  quantity        REAL NOT NULL DEFAULT 1,
  cost_nanos      INTEGER NOT NULL DEFAULT 0,
  revenue_nanos   INTEGER NOT NULL DEFAULT 0,
  metadata        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX usage_events_by_session ON usage_events(workspace_id, session_id, created_at);
CREATE INDEX usage_events_by_agent ON usage_events(workspace_id, agent_id, created_at);

-- Every admin change and every policy decision (denied, throttled, refused).
CREATE TABLE audit_events (
  id            TEXT PRIMARY KEY,
  workspace_id  TEXT,
  created_at    INTEGER NOT NULL,
  -- 'master', 'key:<virtual key id>' or 'system'.
  actor         TEXT NOT NULL,
  action        TEXT NOT NULL,
  target_type   TEXT,
  target_id     TEXT,
  details       TEXT NOT NULL DEFAULT '{}',
  request_id    TEXT
);
CREATE INDEX audit_events_by_time ON audit_events(workspace_id, created_at);
CREATE INDEX audit_events_by_action ON audit_events(workspace_id, action, created_at);
