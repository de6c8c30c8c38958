-- The case page lists every recommendation made on a case; the partial
-- unique index finds only the active one.

CREATE INDEX recommendations_case ON recommendations (case_id, created_at);
