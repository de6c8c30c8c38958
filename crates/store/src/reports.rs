//! Aggregate figures over the Register: counts and processing times.
//!
//! Claim counts come from `claim_counts`, an aggregate kept current in the
//! same transaction as every change of a claim's status, category, region or
//! submission (see `docs/reports.md`). Processing times are computed on
//! demand from an index over decided claims. Every figure is exact;
//! percentiles are continuous (linear interpolation between the two nearest
//! ranks, as PostgreSQL's `percentile_cont`).

use crate::StoreError;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Claims counted along each dimension separately (marginal counts; no
/// cross-tabulation, so small cells cannot single out a claimant).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClaimCounts {
    pub total: i64,
    pub by_status: BTreeMap<String, i64>,
    /// Claims without a category yet (drafts) are counted under `none`.
    pub by_category: BTreeMap<String, i64>,
    /// Claims without a region are counted under `none`.
    pub by_region: BTreeMap<String, i64>,
    /// Submitted claims by month of submission (`YYYY-MM`, UTC).
    pub by_submission_month: BTreeMap<String, i64>,
}

/// The key of a claim in the `claim_counts` aggregate: status, category,
/// region and month of submission (`YYYY-MM`, UTC), `''` when absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountDims {
    pub status: String,
    pub category: String,
    pub region: String,
    pub month: String,
}

impl CountDims {
    /// The key of a claim as stored.
    pub fn of(claim: &crate::claims::ClaimRecord) -> Self {
        Self {
            status: serde_json::to_value(claim.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            category: claim.category.clone().unwrap_or_default(),
            region: claim.region.clone().unwrap_or_default(),
            month: claim.submitted_at.map(month_of).unwrap_or_default(),
        }
    }
}

/// The month of submission, `YYYY-MM` in UTC.
pub fn month_of(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}", at.year(), u8::from(at.month()))
}

/// Median and 90th percentile of a duration, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DurationStats {
    pub count: i64,
    pub median_seconds: f64,
    pub p90_seconds: f64,
}

/// Processing times of one category.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CategoryTimes {
    /// From submission to the Board's decision to record.
    pub to_recording: Option<DurationStats>,
    /// From submission to any decision (recorded or rejected).
    pub to_decision: Option<DurationStats>,
}

/// Open work by status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Backlog {
    pub count: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub oldest_submitted_at: Option<OffsetDateTime>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProcessingReport {
    pub by_category: BTreeMap<String, CategoryTimes>,
    /// Submitted claims not decided yet, by status.
    pub backlog: BTreeMap<String, Backlog>,
}

/// Statuses a submitted, undecided claim can be in.
pub const BACKLOG_STATUSES: [&str; 3] = ["submitted", "under_review", "information_requested"];

/// The continuous percentile `p` (0..=1) of sorted values.
pub fn percentile_cont(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "ranks of a list that fits in memory"
    )]
    {
        let pos = p * (n - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = pos.ceil() as usize;
        Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
    }
}

/// The backlogs an operator watches and alerts on, counted now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperationalCounts {
    /// Commission cases by status (statuses with no case are absent).
    pub cases_by_status: BTreeMap<String, i64>,
    /// Jobs queued, running and failed (completed ones are history).
    pub jobs_by_status: BTreeMap<String, i64>,
    /// Webhook deliveries waiting (`pending`) and given up (`failed`).
    pub webhook_deliveries_by_status: BTreeMap<String, i64>,
    /// Pending deliveries that failed at least once and wait for a retry.
    pub webhook_deliveries_retrying: i64,
    /// When the oldest pending delivery's event was written: how far the
    /// outbox lags.
    pub oldest_pending_webhook: Option<OffsetDateTime>,
    /// Claimants' e-mail notices waiting (`pending`) and given up (`failed`).
    pub notices_by_status: BTreeMap<String, i64>,
    /// Pending notices that failed at least once and wait for a retry.
    pub notices_retrying: i64,
}

#[async_trait::async_trait]
pub trait ReportStore {
    /// The backlogs of cases, jobs, the webhook outbox and the e-mail
    /// notices; a few grouped
    /// counts over indexed columns, read on each metrics scrape.
    async fn operational_counts(&self) -> Result<OperationalCounts, StoreError>;

    /// Counts read from the maintained `claim_counts` aggregate.
    async fn claim_counts(&self) -> Result<ClaimCounts, StoreError>;

    /// The same counts by GROUP BY scans over the claims table: slow at
    /// scale; the reference the aggregate is checked against in tests.
    async fn claim_counts_by_scan(&self) -> Result<ClaimCounts, StoreError>;

    async fn processing_report(&self) -> Result<ProcessingReport, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_postgres() {
        assert_eq!(percentile_cont(&[], 0.5), None);
        assert_eq!(percentile_cont(&[3.0], 0.9), Some(3.0));
        assert_eq!(percentile_cont(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        let tenths: Vec<f64> = (1..=10).map(f64::from).collect();
        let p90 = percentile_cont(&tenths, 0.9).unwrap();
        assert!((p90 - 9.1).abs() < 1e-9, "{p90}");
    }
}
