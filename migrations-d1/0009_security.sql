-- Limits that hold against every key holder (docs/security.md).

-- The client's own x-request-id, kept apart from the gateway's id (which
-- alone keys the log row, the archive and the ledger holds).
ALTER TABLE request_logs ADD COLUMN client_request_id TEXT;
CREATE INDEX request_logs_by_client_request_id ON request_logs(workspace_id, client_request_id) WHERE client_request_id IS NOT NULL;

-- 1 when the usage (and so the cost) is the gateway's estimate: the stream
-- broke or the client left before the provider reported usage.
ALTER TABLE request_logs ADD COLUMN usage_estimated INTEGER NOT NULL DEFAULT 0;

-- What a budget does with models that have no price: 'refuse' (default)
-- or 'allow' (they are spent at zero).
ALTER TABLE budgets ADD COLUMN unpriced TEXT NOT NULL DEFAULT 'refuse';
