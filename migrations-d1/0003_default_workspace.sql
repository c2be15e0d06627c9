-- The built-in workspace of zero-config mode: requests made with the
-- master key (and keys issued in it) use the provider keys set as secrets.
INSERT OR IGNORE INTO workspaces (id, name, settings, created_at, updated_at)
VALUES ('default', 'default', '{}', 0, 0);
