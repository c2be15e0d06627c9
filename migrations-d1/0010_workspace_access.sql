-- Workspaces run themselves (docs/console.md): admin tokens with roles,
-- members for single sign-on, console sessions.

-- Workspace admin tokens: 'wt-' + 192 random bits, only the SHA-256 kept.
CREATE TABLE workspace_tokens (
  id            TEXT PRIMARY KEY,
  workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  token_hash    TEXT NOT NULL UNIQUE,
  token_prefix  TEXT NOT NULL,
  name          TEXT NOT NULL DEFAULT '',
  -- 'owner', 'admin', 'developer' or 'viewer'.
  role          TEXT NOT NULL,
  -- 1: may read archived request/response bodies whatever the role.
  read_bodies   INTEGER NOT NULL DEFAULT 0,
  expires_at    INTEGER,
  revoked_at    INTEGER,
  created_at    INTEGER NOT NULL,
  -- The actor that made it: 'master' or 'token:<id>'.
  created_by    TEXT NOT NULL,
  last_used_at  INTEGER
);
CREATE INDEX workspace_tokens_by_workspace ON workspace_tokens(workspace_id, created_at);

-- People who sign in through Cloudflare Access: their e-mail (lower case)
-- and their role in one workspace.
CREATE TABLE workspace_members (
  workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email         TEXT NOT NULL,
  role          TEXT NOT NULL,
  read_bodies   INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  created_by    TEXT NOT NULL,
  PRIMARY KEY (workspace_id, email)
);
CREATE INDEX workspace_members_by_email ON workspace_members(email, created_at);

-- Console sessions. The cookie holds the session token; only its hash is
-- kept. `subject` is what the session stands for, re-checked on every call:
-- 'master:<fingerprint of the key>' (rotating the key ends them),
-- 'token:<id>' (revoking the token ends its sessions) or 'member:<email>'.
CREATE TABLE console_sessions (
  id_hash       TEXT PRIMARY KEY,
  subject       TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  revoked_at    INTEGER
);
CREATE INDEX console_sessions_by_expiry ON console_sessions(expires_at);

-- Who made a virtual key: a developer token sees and revokes only its own.
ALTER TABLE virtual_keys ADD COLUMN created_by TEXT;
