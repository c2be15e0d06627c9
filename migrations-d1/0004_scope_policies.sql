-- Policies of the workspace, its agents and its departments (virtual keys
-- carry their own in their row). `policy` is JSON: rate_limit,
-- max_concurrency, allowed/denied models and providers, max_tokens,
-- allow_forced_routing, denied_headers.
CREATE TABLE scope_policies (
  workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  scope_type    TEXT NOT NULL CHECK (scope_type IN ('workspace', 'agent', 'department')),
  scope_id      TEXT NOT NULL,
  policy        TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, scope_type, scope_id)
);
CREATE INDEX budgets_by_scope ON budgets(workspace_id, scope_type, scope_id);
