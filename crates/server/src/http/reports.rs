//! Aggregate reports on the Register: claim counts and processing times.
//!
//! Marginal figures only (one dimension at a time). Counts are read from the
//! maintained `claim_counts` aggregate, processing times by indexed queries;
//! see `docs/reports.md`. Both read from the replica when one is configured
//! (`DATABASE_READ_URL`), so they may trail the primary by its replay lag.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use store::reports::{ClaimCounts, ProcessingReport};

/// Claims counted by status, category, region and month of submission.
#[utoipa::path(get, path = "/v1/reports/claims", tag = "reports", security(("bearer" = [])),
    responses((status = 200, body = crate::views::schema::ClaimCounts),
        (status = 403, body = crate::error::ProblemBody)))]
pub async fn claims(
    State(state): State<AppState>,
    _auth: Authorized,
) -> ApiResult<Json<ClaimCounts>> {
    Ok(Json(app::reports::claim_counts(&state.app).await?))
}

/// Median and 90th percentile time from submission to recording and to
/// decision, by category; and the backlog by status.
#[utoipa::path(get, path = "/v1/reports/processing", tag = "reports", security(("bearer" = [])),
    responses((status = 200, body = crate::views::schema::ProcessingReport),
        (status = 403, body = crate::error::ProblemBody)))]
pub async fn processing(
    State(state): State<AppState>,
    _auth: Authorized,
) -> ApiResult<Json<ProcessingReport>> {
    Ok(Json(app::reports::processing(&state.app).await?))
}
