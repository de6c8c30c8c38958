//! What an operator watches: the backlogs of the Register and the
//! Commission, the background work, the outboxes, and whether the
//! Commission may act. Read on each metrics scrape, so every figure is
//! the database's, shared by all instances, not one process's memory.

use crate::error::AppResult;
use crate::{App, gate};
use store::reports::OperationalCounts;
use time::OffsetDateTime;

/// The go-live gate as an operator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateState {
    /// The convention is in force today: the Commission may act.
    pub in_force: bool,
    pub counted_consents: u32,
    pub threshold: u32,
}

/// Every figure of the operator's view, counted now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Claims by status, from the maintained aggregate.
    pub claims_by_status: std::collections::BTreeMap<String, i64>,
    pub counts: OperationalCounts,
    /// How long the oldest pending webhook delivery has waited, in whole
    /// seconds; 0 with nothing pending.
    pub webhook_outbox_lag_seconds: i64,
    pub gate: GateState,
}

/// The operator's view now. No actor: it carries no personal data, only
/// counts, and its door decides who may scrape it.
pub async fn snapshot(app: &App) -> AppResult<Snapshot> {
    let claims = app.store.claim_counts().await?;
    let counts = app.store.operational_counts().await?;
    let current = gate::current(app).await?;
    let now: OffsetDateTime = app.clock.now();
    let webhook_outbox_lag_seconds = counts
        .oldest_pending_webhook
        .map_or(0, |at| (now - at).whole_seconds().max(0));
    Ok(Snapshot {
        claims_by_status: claims.by_status,
        counts,
        webhook_outbox_lag_seconds,
        gate: GateState {
            in_force: current.status.in_force,
            counted_consents: current.status.counted_consents,
            threshold: current.status.threshold,
        },
    })
}
