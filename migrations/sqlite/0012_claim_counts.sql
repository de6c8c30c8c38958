-- Claim counts by status, category, region and month of submission, kept
-- current in the same transaction as every change of those columns (see
-- docs/reports.md). '' stands for an absent category, region or month so
-- that the primary key covers every claim on both databases.
CREATE TABLE claim_counts (
    status   TEXT NOT NULL,
    category TEXT NOT NULL,
    region   TEXT NOT NULL,
    month    TEXT NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (status, category, region, month)
) STRICT, WITHOUT ROWID;

-- Timestamps are fixed-width UTC text: the month is the first 7 characters.
INSERT INTO claim_counts (status, category, region, month, count)
SELECT status, coalesce(category, ''), coalesce(region, ''),
       coalesce(substr(submitted_at, 1, 7), ''), count(*)
FROM claims
GROUP BY 1, 2, 3, 4;
