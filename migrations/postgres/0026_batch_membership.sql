-- A batch's cases live in a narrow table of their own, so that selecting
-- cases into a batch inserts one small row per case and leaves the case
-- rows alone: a case row is rewritten only when the case is assessed.
-- A member case whose row still says `awaiting_assessment` is `assigned`
-- (to its batch); the stores present it so.
--
-- Two indexes. The primary key: the batch's cases in case
-- order, which the batch job, the sample, the review and the batch's case
-- list walk. And one on the case: whether a case is in a batch already,
-- which selecting cases asks of every candidate; without it that question
-- scans the memberships once per candidate.
CREATE TABLE batch_cases (
    batch_id uuid NOT NULL,
    case_id  uuid NOT NULL,
    PRIMARY KEY (batch_id, case_id)
);

CREATE INDEX batch_cases_case ON batch_cases (case_id);

INSERT INTO batch_cases (batch_id, case_id)
SELECT batch_id, id FROM cases WHERE batch_id IS NOT NULL;

DROP INDEX cases_batch;
ALTER TABLE cases DROP COLUMN batch_id;
