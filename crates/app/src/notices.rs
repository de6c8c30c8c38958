//! E-mail notices to claimants: their switch, and the bookkeeping of the
//! sender.
//!
//! Notices are written by the store with the change they tell of
//! (`store::notifications`); here the claimant switches them off or on for
//! a claim they filed, and the sender leases due notices and records each
//! attempt, with a back-off after a refusal.

use crate::error::AppResult;
use crate::{Actor, App};
use register::ClaimId;
use store::StoreError;
use store::notifications::{Notice, NoticeSettings, SendOutcome};

/// How long a sender holds a notice: far longer than one SMTP exchange
/// may take, so a notice is never leased again while its first sender
/// could still be talking to the server.
pub const LEASE: time::Duration = time::Duration::minutes(5);
/// Notices leased at once.
pub const BATCH: u32 = 20;
/// Attempts before a notice is given up.
pub const MAX_ATTEMPTS: i32 = 12;

/// The wait before attempt `attempts + 1`: 30 s doubled after every
/// failure, at most 6 hours (about two days over all attempts).
pub fn backoff(attempts: i32) -> time::Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let seconds = 30_i64.saturating_mul(1_i64 << exp);
    time::Duration::seconds(seconds.min(6 * 3600))
}

/// Whether the claimant gets e-mail notices about a claim they filed. A
/// claim filed by someone else is "not found".
pub async fn settings(app: &App, actor: &Actor, claim: ClaimId) -> AppResult<NoticeSettings> {
    crate::claims::filed_by(app, actor.principal.account, claim).await?;
    Ok(app.store.notice_settings(claim).await?)
}

/// Switches e-mail notices about a claim the actor filed off or on
/// (audited when it changes anything). A claim filed by someone else is
/// "not found". Notices already written are still sent.
pub async fn switch(
    app: &App,
    actor: &Actor,
    claim: ClaimId,
    settings: NoticeSettings,
) -> AppResult<NoticeSettings> {
    crate::claims::filed_by(app, actor.principal.account, claim).await?;
    Ok(app
        .store
        .set_notice_settings(&actor.audit(None), claim, settings)
        .await?)
}

/// Leases due notices for `worker`.
pub async fn lease(app: &App, worker: &str) -> Result<Vec<Notice>, StoreError> {
    app.store.lease_notices(worker, LEASE, BATCH).await
}

/// Why a notice was not sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub error: String,
    /// Trying again cannot help (an address no mail can go to).
    pub permanent: bool,
}

impl Failure {
    /// A failure that may pass: a refusal, an outage, a timeout.
    pub fn transient(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            permanent: false,
        }
    }

    pub fn permanent(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            permanent: true,
        }
    }
}

/// Records how sending a leased notice went: sent once the mail server
/// accepted it; otherwise due again after the back-off, or given up after
/// [`MAX_ATTEMPTS`] or a permanent failure. A lease lost meanwhile is not
/// an error: the notice is another worker's now.
pub async fn record_attempt(
    app: &App,
    worker: &str,
    notice: &Notice,
    result: Result<(), Failure>,
) -> Result<(), StoreError> {
    let outcome = match result {
        Ok(()) => SendOutcome::Sent,
        Err(failure) => {
            let attempts = notice.attempts + 1;
            SendOutcome::Failed {
                retry_at: (!failure.permanent && attempts < MAX_ATTEMPTS)
                    .then(|| app.clock.now() + backoff(attempts)),
                error: failure.error,
            }
        }
    };
    match app.store.finish_notice(worker, notice.id, outcome).await {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), time::Duration::seconds(30));
        assert_eq!(backoff(2), time::Duration::seconds(60));
        assert_eq!(backoff(12), time::Duration::hours(6));
    }
}
