//! The Register's claims: filing, the pre-screen at submission, review, the Board's decisions, duplicates, history.

use crate::{Actor, App, AppError, AppResult};
use kernel::Permission;
use kernel::access::Clearance;
use register::ClaimId;
use store::Change;
use store::claims::ClaimRecord;

/// The one rule on who sees a claim: the filer, or staff the policy allows,
/// and for a sensitive claim only staff with the sensitive clearance, whose
/// every read is on record with `read_detail` as its summary.
pub async fn visible_claim_noting(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    read_detail: serde_json::Value,
) -> AppResult<ClaimRecord> {
    let record = app.store.claim(id).await?;
    let own = record.filed_by == actor.principal.account;
    let allowed = match actor.permission {
        Permission::Own => own,
        Permission::Allow => {
            !record.sensitive || own || actor.principal.has_clearance(Clearance::Sensitive)
        }
        Permission::Deny => false,
    };
    if !allowed {
        // Answered as if it did not exist; logged, since it is what guessing
        // ids looks like.
        tracing::warn!(
            account = %actor.principal.account,
            claim = %id,
            "claim not visible to the caller; answered 404"
        );
        return Err(AppError::not_found());
    }
    if record.sensitive && !own {
        app.store
            .record_event(
                &actor.audit(None),
                Change {
                    action: "claim.read",
                    target_type: "claim",
                    target_id: id.to_string(),
                    summary: read_detail,
                },
            )
            .await?;
    }
    Ok(record)
}
