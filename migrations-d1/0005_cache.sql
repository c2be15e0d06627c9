-- Caching: a workspace's cache generation is part of every cache key, so a
-- purge is one increment (old entries are never read again and expire on
-- their own). Request logs say which entry a request used and why the
-- cache did what it did (e.g. a KV read that failed open).
ALTER TABLE workspaces ADD COLUMN cache_generation INTEGER NOT NULL DEFAULT 0;

ALTER TABLE request_logs ADD COLUMN cache_key TEXT;
ALTER TABLE request_logs ADD COLUMN cache_detail TEXT;
CREATE INDEX request_logs_by_cache_status ON request_logs(workspace_id, cache_status, created_at)
  WHERE cache_status IS NOT NULL;
