-- Claim counts by status, category, region and month of submission, kept
-- current in the same transaction as every change of those columns (see
-- docs/reports.md). '' stands for an absent category, region or month so
-- that the primary key covers every claim on both databases.
CREATE TABLE claim_counts (
    status   text NOT NULL,
    category text NOT NULL,
    region   text NOT NULL,
    month    text NOT NULL,
    count    bigint NOT NULL,
    PRIMARY KEY (status, category, region, month)
);

INSERT INTO claim_counts (status, category, region, month, count)
SELECT status, coalesce(category, ''), coalesce(region, ''),
       coalesce(to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM'), ''), count(*)
FROM claims
GROUP BY 1, 2, 3, 4;
