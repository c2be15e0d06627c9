-- Observability, read side: indexes for the admin API's log and audit
-- search, analytics, sessions and runs (docs/observability.md).
--
-- Pages are ordered by (created_at, id) descending, so the time indexes end
-- in id: a page is read straight from the index, ties included, without
-- sorting the workspace's rows.
DROP INDEX IF EXISTS request_logs_by_time;
CREATE INDEX request_logs_by_time ON request_logs(workspace_id, created_at, id);
DROP INDEX IF EXISTS audit_events_by_time;
CREATE INDEX audit_events_by_time ON audit_events(workspace_id, created_at, id);

-- Filters and groupings not covered by 0001 (key, agent, model, session)
-- or 0005 (cache_status).
CREATE INDEX request_logs_by_provider ON request_logs(workspace_id, provider, created_at);
CREATE INDEX request_logs_by_status ON request_logs(workspace_id, status, created_at);
CREATE INDEX request_logs_by_department ON request_logs(workspace_id, department, created_at) WHERE department IS NOT NULL;
CREATE INDEX request_logs_by_user ON request_logs(workspace_id, user_id, created_at) WHERE user_id IS NOT NULL;
CREATE INDEX request_logs_by_error_code ON request_logs(workspace_id, error_code, created_at) WHERE error_code IS NOT NULL;

-- Sessions and runs active in a time range, usage-only sessions included.
CREATE INDEX usage_events_by_time ON usage_events(workspace_id, created_at);

-- Audit search by target and by request.
CREATE INDEX audit_events_by_target ON audit_events(workspace_id, target_type, target_id, created_at);
CREATE INDEX audit_events_by_request ON audit_events(workspace_id, request_id) WHERE request_id IS NOT NULL;
