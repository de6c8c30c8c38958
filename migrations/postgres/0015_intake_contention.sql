-- Intake without a global queue (docs/performance.md, docs/audit.md).
--
-- 1. Idempotency keys learn what their request changed. The change's own
--    transaction records its first audited target here, so that a retry
--    after a crash between that commit and the stored answer finds the
--    change made instead of making it again.
ALTER TABLE idempotency_keys
    ADD COLUMN effect_type text,
    ADD COLUMN effect_id   text;

-- 2. Audit entries are written unchained by the change's transaction and
--    given their place by the chainer shortly after (one short transaction
--    for many entries), so no write waits for another's commit to reach the
--    disk. This index finds the waiting entries.
CREATE INDEX audit_log_unchained ON audit_log (id) WHERE seq IS NULL;

-- 3. Each cell of claim_counts is split over 16 shards, one per connection
--    (backend pid modulo 16): two transactions counting a claim in the same
--    cell no longer wait for each other's commit. Readers already sum.
ALTER TABLE claim_counts ADD COLUMN shard smallint NOT NULL DEFAULT 0
    CHECK (shard BETWEEN 0 AND 15);
ALTER TABLE claim_counts DROP CONSTRAINT claim_counts_pkey;
ALTER TABLE claim_counts ADD PRIMARY KEY (status, category, region, month, shard);
