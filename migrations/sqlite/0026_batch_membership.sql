-- A batch's cases live in a narrow table of their own, so that selecting
-- cases into a batch inserts one small row per case and leaves the case
-- rows alone: a case row is rewritten only when the case is assessed.
-- A member case whose row still says `awaiting_assessment` is `assigned`
-- (to its batch); the stores present it so.
--
-- One index, the primary key (the table is clustered on it): the batch's
-- cases in case order, which the batch job, the sample, the review and the
-- batch's case list walk. A case's own batch is found by probing that key
-- once per batch of the case's category.
CREATE TABLE batch_cases (
    batch_id BLOB NOT NULL,
    case_id  BLOB NOT NULL,
    PRIMARY KEY (batch_id, case_id)
) STRICT, WITHOUT ROWID;

INSERT INTO batch_cases (batch_id, case_id)
SELECT batch_id, id FROM cases WHERE batch_id IS NOT NULL;

DROP INDEX cases_batch;
ALTER TABLE cases DROP COLUMN batch_id;
