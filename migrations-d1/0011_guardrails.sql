-- Guardrails (docs/guardrails.md): what each request's checks found, as a
-- JSON array of {detector, direction, action, count} — never a value.
ALTER TABLE request_logs ADD COLUMN guardrails TEXT;
