//! Aggregate figures on claims: counts by one dimension at a time and
//! processing times. They read from the replica when one is configured, so
//! they may trail the primary by its replay lag.

use crate::{App, AppResult};
use store::reports::{ClaimCounts, ProcessingReport};

/// Claims counted by status, category, region and month of submission.
pub async fn claim_counts(app: &App) -> AppResult<ClaimCounts> {
    Ok(app.reads.claim_counts().await?)
}

/// Median and 90th percentile time from submission to recording and to
/// decision, by category; and the backlog by status.
pub async fn processing(app: &App) -> AppResult<ProcessingReport> {
    Ok(app.reads.processing_report().await?)
}
