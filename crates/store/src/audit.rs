//! The audit log: an append-only record of every change.
//!
//! Entries are written by the store methods that make the change, in the same
//! transaction; nothing else writes them and nothing updates or deletes them.

use kernel::id::{AccountId, AuditId};
use kernel::{Page, PageRequest};
use serde::Serialize;
use time::OffsetDateTime;

/// Who is acting and why: carried from the request into every change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditContext {
    /// `None` for changes made by the system itself (migrations, bootstrap).
    pub actor: Option<AccountId>,
    /// The role the actor acted in, when one applies.
    pub actor_role: Option<String>,
    /// The party a representative acts for.
    pub on_behalf_of: Option<String>,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// The reason the actor gave, where the action takes one.
    pub reason: Option<String>,
}

impl AuditContext {
    /// Changes made by the service itself or its command line.
    pub fn system() -> Self {
        Self {
            actor_role: Some("system".into()),
            ..Self::default()
        }
    }
}

/// What one change did, described by the store method making it.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Dotted verb, e.g. `account.created`, `token.revoked`.
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: String,
    /// What changed, as JSON. Never contains secrets.
    pub summary: serde_json::Value,
}

/// One stored audit entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: AuditId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Option<AccountId>,
    pub actor_role: Option<String>,
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub summary: serde_json::Value,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
}

impl AuditEntry {
    /// The entry a change will be stored as.
    pub fn new(ctx: &AuditContext, change: Change, at: OffsetDateTime) -> Self {
        Self {
            id: AuditId::new(),
            at,
            actor: ctx.actor,
            actor_role: ctx.actor_role.clone(),
            on_behalf_of: ctx.on_behalf_of.clone(),
            action: change.action.to_owned(),
            target_type: change.target_type.to_owned(),
            target_id: change.target_id,
            summary: change.summary,
            reason: ctx.reason.clone(),
            request_id: ctx.request_id.clone(),
            idempotency_key: ctx.idempotency_key.clone(),
        }
    }
}

/// Filters for reading the log. Every field narrows the result.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub actor: Option<AccountId>,
    pub action: Option<String>,
}

#[async_trait::async_trait]
pub trait AuditStore {
    /// Records an event that changes nothing but must be on record, such as
    /// staff reading a claimant's personal data.
    async fn record_event(
        &self,
        ctx: &AuditContext,
        event: Change,
    ) -> Result<(), crate::StoreError>;

    /// Entries in the order they were written, oldest first.
    async fn audit_entries(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, crate::StoreError>;
}
