//! Reports: claim counts from the maintained `claim_counts` aggregate;
//! processing times by queries over the claims table's indexes.

use crate::{PostgresStore, map_err};
use async_trait::async_trait;
use sqlx::Row;
use sqlx::{Postgres, Transaction};
use std::collections::BTreeMap;
use store::StoreError;
use store::reports::{
    BACKLOG_STATUSES, Backlog, CategoryTimes, ClaimCounts, CountDims, DurationStats,
    OperationalCounts, ProcessingReport, ReportStore,
};

impl PostgresStore {
    /// `SELECT key, count` rows into a map.
    async fn counts(&self, sql: &str) -> Result<BTreeMap<String, i64>, StoreError> {
        let rows = sqlx::query(sql)
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<Option<String>, _>(0)?
                        .unwrap_or_else(|| "none".into()),
                    r.try_get::<i64, _>(1)?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }
}

/// Adds `delta` claims to one cell of the `claim_counts` aggregate.
pub(crate) async fn add_count(
    tx: &mut Transaction<'static, Postgres>,
    dims: &CountDims,
    delta: i64,
) -> Result<(), StoreError> {
    if delta == 0 {
        return Ok(());
    }
    sqlx::query(
        // The connection's own shard of the cell (migration 0015): writers on
        // other connections never wait for this row.
        "INSERT INTO claim_counts (status, category, region, month, count, shard) \
         VALUES ($1, $2, $3, $4, $5, pg_backend_pid() % 16) \
         ON CONFLICT (status, category, region, month, shard) DO UPDATE SET count = claim_counts.count + excluded.count",
    )
    .bind(&dims.status)
    .bind(&dims.category)
    .bind(&dims.region)
    .bind(&dims.month)
    .bind(delta)
    .execute(&mut **tx)
    .await
    .map_err(map_err)
    .map(drop)
}

/// Adds to many cells of `claim_counts` in one statement (an import
/// chunk touches hundreds; one round trip each cost more than the chunk's
/// claims). The map's order is the lock order, as for single cells.
pub(crate) async fn add_counts(
    tx: &mut Transaction<'static, Postgres>,
    cells: &std::collections::BTreeMap<CountDims, i64>,
) -> Result<(), StoreError> {
    let cells: Vec<_> = cells.iter().filter(|(_, n)| **n != 0).collect();
    if cells.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&CountDims) -> &String| -> Vec<&str> {
        cells.iter().map(|(d, _)| f(d).as_str()).collect()
    };
    sqlx::query(
        "INSERT INTO claim_counts (status, category, region, month, count, shard) \
         SELECT s, c, r, m, n, pg_backend_pid() % 16 \
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) \
           WITH ORDINALITY AS t(s, c, r, m, n, o) ORDER BY o \
         ON CONFLICT (status, category, region, month, shard) DO UPDATE SET count = claim_counts.count + excluded.count",
    )
    .bind(column(|d| &d.status))
    .bind(column(|d| &d.category))
    .bind(column(|d| &d.region))
    .bind(column(|d| &d.month))
    .bind(cells.iter().map(|(_, n)| **n).collect::<Vec<i64>>())
    .execute(&mut **tx)
    .await
    .map_err(map_err)
    .map(drop)
}

/// Moves a claim from one cell of `claim_counts` to another (`None`: the
/// claim did not exist before, or no longer exists), in the caller's
/// transaction. Cells are updated in key order, so concurrent writers lock
/// them in one order and cannot deadlock on each other.
pub(crate) async fn bump_counts(
    tx: &mut Transaction<'static, Postgres>,
    old: Option<&CountDims>,
    new: Option<&CountDims>,
) -> Result<(), StoreError> {
    if old == new {
        return Ok(());
    }
    let mut deltas: Vec<(&CountDims, i64)> = old
        .map(|d| (d, -1))
        .into_iter()
        .chain(new.map(|d| (d, 1)))
        .collect();
    deltas.sort();
    for (dims, delta) in deltas {
        add_count(tx, dims, delta).await?;
    }
    Ok(())
}

/// Cases by status as the domain sees them: a batch's member whose row
/// still says `awaiting_assessment` is `assigned` (`store::cases::member_status`).
const CASES_BY_STATUS: &str = "WITH p AS (SELECT count(*) AS n FROM cases c \
     WHERE c.status = 'awaiting_assessment' AND c.id IN (SELECT m.case_id FROM batch_cases m)) \
     SELECT status, sum(n)::bigint FROM (SELECT status, count(*) AS n FROM cases GROUP BY status \
     UNION ALL SELECT 'awaiting_assessment', -n FROM p UNION ALL SELECT 'assigned', n FROM p) t \
     GROUP BY status HAVING sum(n) <> 0";

/// Percentiles of decided claims by category, from `percentile_cont`.
const TIMES: &str = "SELECT coalesce(category, 'none') AS category, count(*) AS n, \
     percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - submitted_at))::float8 AS p50, \
     percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - submitted_at))::float8 AS p90 \
     FROM claims WHERE decided_at IS NOT NULL AND submitted_at IS NOT NULL AND status = ANY($1) \
     GROUP BY category";

#[async_trait]
impl ReportStore for PostgresStore {
    async fn operational_counts(&self) -> Result<OperationalCounts, StoreError> {
        let cases_by_status = self.counts(CASES_BY_STATUS).await?;
        let jobs_by_status = self
            .counts("SELECT status, count(*)::bigint FROM jobs WHERE status IN ('queued', 'running', 'failed') GROUP BY status")
            .await?;
        let webhook_deliveries_by_status = self
            .counts("SELECT status, count(*)::bigint FROM webhook_deliveries WHERE status IN ('pending', 'failed') GROUP BY status")
            .await?;
        let webhook_deliveries_retrying: i64 = sqlx::query_scalar(
            "SELECT count(*)::bigint FROM webhook_deliveries WHERE status = 'pending' AND attempts > 0",
        )
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        let oldest: Option<time::OffsetDateTime> = sqlx::query_scalar(
            "SELECT min(created_at) FROM webhook_deliveries WHERE status = 'pending'",
        )
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        let notices_by_status = self
            .counts("SELECT status, count(*)::bigint FROM notices WHERE status IN ('pending', 'failed') GROUP BY status")
            .await?;
        let notices_retrying: i64 = sqlx::query_scalar(
            "SELECT count(*)::bigint FROM notices WHERE status = 'pending' AND attempts > 0",
        )
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        Ok(OperationalCounts {
            notices_by_status,
            notices_retrying,
            cases_by_status,
            jobs_by_status,
            webhook_deliveries_by_status,
            webhook_deliveries_retrying,
            oldest_pending_webhook: oldest,
        })
    }

    async fn claim_counts(&self) -> Result<ClaimCounts, StoreError> {
        // Sums over the aggregate's cells (a few thousand rows at most); no
        // scan of claims. Empty cells (count 0) are left out.
        let by_status = self
            .counts("SELECT status, sum(count)::bigint FROM claim_counts GROUP BY status HAVING sum(count) <> 0")
            .await?;
        let by_category = self
            .counts("SELECT nullif(category, ''), sum(count)::bigint FROM claim_counts GROUP BY category HAVING sum(count) <> 0")
            .await?;
        let by_region = self
            .counts("SELECT nullif(region, ''), sum(count)::bigint FROM claim_counts GROUP BY region HAVING sum(count) <> 0")
            .await?;
        let by_submission_month = self
            .counts("SELECT month, sum(count)::bigint FROM claim_counts WHERE month <> '' GROUP BY month HAVING sum(count) <> 0")
            .await?;
        Ok(ClaimCounts {
            total: by_status.values().sum(),
            by_status,
            by_category,
            by_region,
            by_submission_month,
        })
    }

    async fn claim_counts_by_scan(&self) -> Result<ClaimCounts, StoreError> {
        // One GROUP BY per dimension: each is served by that column's index
        // (an index-only scan when the visibility map is current).
        let by_status = self
            .counts("SELECT status, count(*) FROM claims GROUP BY status")
            .await?;
        let by_category = self
            .counts("SELECT category, count(*) FROM claims GROUP BY category")
            .await?;
        let by_region = self
            .counts("SELECT region, count(*) FROM claims GROUP BY region")
            .await?;
        let by_submission_month = self
            .counts(
                "SELECT to_char(date_trunc('month', submitted_at AT TIME ZONE 'UTC'), 'YYYY-MM'), count(*) \
                 FROM claims WHERE submitted_at IS NOT NULL GROUP BY 1",
            )
            .await?;
        Ok(ClaimCounts {
            total: by_status.values().sum(),
            by_status,
            by_category,
            by_region,
            by_submission_month,
        })
    }

    async fn processing_report(&self) -> Result<ProcessingReport, StoreError> {
        let mut by_category: BTreeMap<String, CategoryTimes> = BTreeMap::new();
        for (statuses, recording) in [
            (&["recorded"][..], true),
            (&["recorded", "rejected"], false),
        ] {
            let rows = sqlx::query(TIMES)
                .bind(statuses)
                .fetch_all(self.pool())
                .await
                .map_err(map_err)?;
            for r in rows {
                let category: String = r.try_get("category").map_err(map_err)?;
                let stats = DurationStats {
                    count: r.try_get("n").map_err(map_err)?,
                    median_seconds: r.try_get("p50").map_err(map_err)?,
                    p90_seconds: r.try_get("p90").map_err(map_err)?,
                };
                let entry = by_category.entry(category).or_default();
                if recording {
                    entry.to_recording = Some(stats);
                } else {
                    entry.to_decision = Some(stats);
                }
            }
        }
        let rows = sqlx::query(
            "SELECT status, count(*) AS n, min(submitted_at) AS oldest FROM claims \
             WHERE status = ANY($1) GROUP BY status",
        )
        .bind(&BACKLOG_STATUSES[..])
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        let mut backlog: BTreeMap<String, Backlog> = BACKLOG_STATUSES
            .iter()
            .map(|s| {
                (
                    (*s).to_owned(),
                    Backlog {
                        count: 0,
                        oldest_submitted_at: None,
                    },
                )
            })
            .collect();
        for r in rows {
            let status: String = r.try_get("status").map_err(map_err)?;
            backlog.insert(
                status,
                Backlog {
                    count: r.try_get("n").map_err(map_err)?,
                    oldest_submitted_at: r.try_get("oldest").map_err(map_err)?,
                },
            );
        }
        Ok(ProcessingReport {
            by_category,
            backlog,
        })
    }
}
