//! Reports: claim counts from the maintained `claim_counts` aggregate;
//! processing times by queries over the claims table's indexes.
//!
//! SQLite has no `percentile_cont`; the percentiles are still exact: a
//! window query ranks each category's durations and returns only the rows
//! at the two ranks around each percentile, which are interpolated here
//! exactly as PostgreSQL does (position `p * (n - 1)`).

use crate::{SqliteStore, map_err};
use async_trait::async_trait;
use sqlx::Row;
use sqlx::{Sqlite, Transaction};
use std::collections::BTreeMap;
use store::StoreError;
use store::reports::{
    BACKLOG_STATUSES, Backlog, CategoryTimes, ClaimCounts, CountDims, DurationStats,
    OperationalCounts, ProcessingReport, ReportStore,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

impl SqliteStore {
    async fn counts(&self, sql: &str) -> Result<BTreeMap<String, i64>, StoreError> {
        let rows = sqlx::query(sql)
            .fetch_all(self.reader())
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
    tx: &mut Transaction<'static, Sqlite>,
    dims: &CountDims,
    delta: i64,
) -> Result<(), StoreError> {
    if delta == 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO claim_counts (status, category, region, month, count) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (status, category, region, month) DO UPDATE SET count = claim_counts.count + excluded.count",
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

/// Moves a claim from one cell of `claim_counts` to another (`None`: the
/// claim did not exist before, or no longer exists), in the caller's
/// transaction. Cells are updated in key order, so concurrent writers lock
/// them in one order and cannot deadlock on each other.
pub(crate) async fn bump_counts(
    tx: &mut Transaction<'static, Sqlite>,
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

/// Durations (in seconds, to the millisecond) at the ranks each percentile
/// needs: `(n-1)/2` and `n/2` for the median, floor and ceiling of
/// `9(n-1)/10` for the 90th.
fn times_query(statuses: &str) -> String {
    format!(
        "WITH d AS ( \
           SELECT coalesce(category, 'none') AS category, \
                  round((julianday(decided_at) - julianday(submitted_at)) * 86400000.0) / 1000.0 AS secs \
           FROM claims WHERE decided_at IS NOT NULL AND submitted_at IS NOT NULL AND status IN ({statuses})), \
         r AS ( \
           SELECT category, secs, row_number() OVER (PARTITION BY category ORDER BY secs) - 1 AS i, \
                  count(*) OVER (PARTITION BY category) AS n FROM d) \
         SELECT category, n, i, secs FROM r \
         WHERE i IN ((n - 1) / 2, n / 2, (9 * (n - 1)) / 10, (9 * (n - 1) + 9) / 10) \
         ORDER BY category, i"
    )
}

/// The continuous percentile `tenths / 10` from the values at its ranks.
fn interpolate(n: i64, tenths: i64, at: &BTreeMap<i64, f64>) -> f64 {
    let scaled = tenths * (n - 1);
    let lo = scaled / 10;
    let hi = (scaled + 9) / 10;
    let (Some(a), Some(b)) = (at.get(&lo), at.get(&hi)) else {
        return f64::NAN;
    };
    #[allow(clippy::cast_precision_loss, reason = "a remainder below 10")]
    let frac = (scaled % 10) as f64 / 10.0;
    a + (b - a) * frac
}

/// Cases by status as the domain sees them: a batch's member whose row
/// still says `awaiting_assessment` is `assigned` (`store::cases::member_status`).
const CASES_BY_STATUS: &str = "WITH p AS (SELECT count(*) AS n FROM cases c \
     WHERE c.status = 'awaiting_assessment' AND c.id IN (SELECT m.case_id FROM batch_cases m)) \
     SELECT status, sum(n) FROM (SELECT status, count(*) AS n FROM cases GROUP BY status \
     UNION ALL SELECT 'awaiting_assessment', -n FROM p UNION ALL SELECT 'assigned', n FROM p) \
     GROUP BY status HAVING sum(n) <> 0";

#[async_trait]
impl ReportStore for SqliteStore {
    async fn operational_counts(&self) -> Result<OperationalCounts, StoreError> {
        let cases_by_status = self.counts(CASES_BY_STATUS).await?;
        let jobs_by_status = self
            .counts("SELECT status, count(*) FROM jobs WHERE status IN ('queued', 'running', 'failed') GROUP BY status")
            .await?;
        let webhook_deliveries_by_status = self
            .counts("SELECT status, count(*) FROM webhook_deliveries WHERE status IN ('pending', 'failed') GROUP BY status")
            .await?;
        let webhook_deliveries_retrying: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND attempts > 0",
        )
        .fetch_one(self.reader())
        .await
        .map_err(map_err)?;
        let oldest: Option<String> = sqlx::query_scalar(
            "SELECT min(created_at) FROM webhook_deliveries WHERE status = 'pending'",
        )
        .fetch_one(self.reader())
        .await
        .map_err(map_err)?;
        let oldest = oldest
            .map(|at| OffsetDateTime::parse(&at, &Rfc3339))
            .transpose()
            .map_err(StoreError::internal)?;
        let notices_by_status = self
            .counts("SELECT status, count(*) FROM notices WHERE status IN ('pending', 'failed') GROUP BY status")
            .await?;
        let notices_retrying: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notices WHERE status = 'pending' AND attempts > 0",
        )
        .fetch_one(self.reader())
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
            .counts("SELECT status, sum(count) FROM claim_counts GROUP BY status HAVING sum(count) <> 0")
            .await?;
        let by_category = self
            .counts("SELECT nullif(category, ''), sum(count) FROM claim_counts GROUP BY category HAVING sum(count) <> 0")
            .await?;
        let by_region = self
            .counts("SELECT nullif(region, ''), sum(count) FROM claim_counts GROUP BY region HAVING sum(count) <> 0")
            .await?;
        let by_submission_month = self
            .counts("SELECT month, sum(count) FROM claim_counts WHERE month <> '' GROUP BY month HAVING sum(count) <> 0")
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
        let by_status = self
            .counts("SELECT status, count(*) FROM claims GROUP BY status")
            .await?;
        let by_category = self
            .counts("SELECT category, count(*) FROM claims GROUP BY category")
            .await?;
        let by_region = self
            .counts("SELECT region, count(*) FROM claims GROUP BY region")
            .await?;
        // Timestamps are fixed-width UTC text: the month is the first 7 characters.
        let by_submission_month = self
            .counts(
                "SELECT substr(submitted_at, 1, 7), count(*) FROM claims \
                 WHERE submitted_at IS NOT NULL GROUP BY 1",
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
        for (statuses, recording) in [("'recorded'", true), ("'recorded', 'rejected'", false)] {
            let rows = sqlx::query(&times_query(statuses))
                .fetch_all(self.reader())
                .await
                .map_err(map_err)?;
            let mut ranks: BTreeMap<String, (i64, BTreeMap<i64, f64>)> = BTreeMap::new();
            for r in rows {
                let category: String = r.try_get("category").map_err(map_err)?;
                let n: i64 = r.try_get("n").map_err(map_err)?;
                let i: i64 = r.try_get("i").map_err(map_err)?;
                let secs: f64 = r.try_get("secs").map_err(map_err)?;
                ranks
                    .entry(category)
                    .or_insert((n, BTreeMap::new()))
                    .1
                    .insert(i, secs);
            }
            for (category, (n, at)) in ranks {
                let stats = DurationStats {
                    count: n,
                    median_seconds: interpolate(n, 5, &at),
                    p90_seconds: interpolate(n, 9, &at),
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
             WHERE status IN ('submitted', 'under_review', 'information_requested') GROUP BY status",
        )
        .fetch_all(self.reader())
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
            let oldest: Option<String> = r.try_get("oldest").map_err(map_err)?;
            backlog.insert(
                status,
                Backlog {
                    count: r.try_get("n").map_err(map_err)?,
                    oldest_submitted_at: oldest
                        .and_then(|t| OffsetDateTime::parse(&t, &Rfc3339).ok()),
                },
            );
        }
        Ok(ProcessingReport {
            by_category,
            backlog,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_matches_percentile_cont() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        let at: BTreeMap<i64, f64> = (0..10).zip(values.iter().copied()).collect();
        for (tenths, p) in [(5, 0.5), (9, 0.9)] {
            let expected = store::reports::percentile_cont(&values, p).unwrap();
            assert!((interpolate(10, tenths, &at) - expected).abs() < 1e-9);
        }
    }
}
