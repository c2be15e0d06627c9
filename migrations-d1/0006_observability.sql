-- Observability: the error class and prompt template of each request, a
-- downstream log sink per workspace, and usage events tied to the request
-- (and idempotent on a client-chosen id).
ALTER TABLE request_logs ADD COLUMN error_type TEXT;
ALTER TABLE request_logs ADD COLUMN prompt_id TEXT;
ALTER TABLE request_logs ADD COLUMN prompt_version INTEGER;

-- Every log record of the workspace is also posted (JSON lines) to `url`.
-- Header values (e.g. an authorization token) are AES-256-GCM encrypted
-- like provider keys.
CREATE TABLE log_sinks (
  workspace_id       TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  url                TEXT NOT NULL,
  encrypted_headers  TEXT,
  enabled            INTEGER NOT NULL DEFAULT 1,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);

ALTER TABLE usage_events ADD COLUMN request_id TEXT;
ALTER TABLE usage_events ADD COLUMN department TEXT;
