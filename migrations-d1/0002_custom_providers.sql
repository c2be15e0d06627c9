-- Providers a workspace registers itself: an OpenAI-compatible (or other
-- known wire format) backend with its own base URL, auth scheme, models and
-- prices. `spec` holds the same JSON shape as a providers/*.json catalog file.
CREATE TABLE custom_providers (
  workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  id            TEXT NOT NULL,
  spec          TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
