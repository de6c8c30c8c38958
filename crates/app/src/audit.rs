//! Reading the audit log and checking its hash chain.

use crate::need_to_know::NeedToKnow;
use crate::{Actor, App, AppResult};
use kernel::{Page, PageRequest};
use store::audit::{ChainHead, ChainReport};
use store::{AuditEntry, AuditFilter};

/// Audit entries, oldest first, with filters, as the caller may read them:
/// entries that name a sensitive claim are redacted for a caller without
/// the clearance, and asking for such a record's entries by its id
/// answers an empty page, since redacting them would still confirm that
/// it exists.
pub async fn entries(
    app: &App,
    actor: &Actor,
    filter: &AuditFilter,
    page: PageRequest,
) -> AppResult<Page<AuditEntry>> {
    let need = NeedToKnow::of(app.store.as_ref(), &actor.principal).await?;
    if let Some(id) = filter.target_id.as_deref()
        && !need
            .may_read(app.store.as_ref(), &serde_json::json!(id))
            .await?
    {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let page = app.store.audit_entries(filter, page).await?;
    Ok(Page {
        items: need.redact_audit(app.store.as_ref(), page.items).await?,
        next_cursor: page.next_cursor,
    })
}

/// The newest entry of the hash chain, to publish.
pub async fn head(app: &App) -> AppResult<ChainHead> {
    Ok(app.store.chain_head().await?)
}

/// Recomputes the whole chain: intact, or the first broken link.
pub async fn verify(app: &App) -> AppResult<ChainReport> {
    Ok(app.store.verify_chain().await?)
}

/// The entry at position `seq` of the chain, if any: what the operator
/// checks a published hash against.
pub async fn entry_at(app: &App, seq: i64) -> AppResult<Option<AuditEntry>> {
    let filter = AuditFilter {
        seq: Some(seq),
        ..AuditFilter::default()
    };
    Ok(app
        .store
        .audit_entries(&filter, PageRequest::new(Some(1), None))
        .await?
        .items
        .into_iter()
        .next())
}
