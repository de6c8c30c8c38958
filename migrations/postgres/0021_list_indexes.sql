-- Every collection is paged by keyset on its id; these indexes serve the
-- filters of the lists added with them (jobs by kind and status, batches
-- and payment rounds by status, recommendations by panel and status, the
-- awards ledger and decisions by status alone).

CREATE INDEX jobs_kind ON jobs (kind, id);
CREATE INDEX jobs_status ON jobs (status, id);
CREATE INDEX batches_status ON batches (status, id);
CREATE INDEX batches_category ON batches (category, id);
CREATE INDEX payment_rounds_status ON payment_rounds (status, id);
CREATE INDEX recommendations_panel ON recommendations (panel_id, id);
CREATE INDEX recommendations_status ON recommendations (status, id);
CREATE INDEX awards_by_status ON awards (status, id);
