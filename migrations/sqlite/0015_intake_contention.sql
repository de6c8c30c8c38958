-- Idempotency keys learn what their request changed. The change's own
-- transaction records its first audited target here, so that a retry after a
-- crash between that commit and the stored answer finds the change made
-- instead of making it again.
ALTER TABLE idempotency_keys ADD COLUMN effect_type TEXT;
ALTER TABLE idempotency_keys ADD COLUMN effect_id TEXT;
