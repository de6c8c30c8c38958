//! Storage ports: what the service needs from a database, and nothing of how.
//!
//! Each area of the domain has a trait here (accounts, audit, ...) and
//! [`Store`] bundles them. The adapters `store-sqlite` and `store-postgres`
//! implement them; the server holds an `Arc<dyn Store>` picked at start from
//! `DATABASE_URL`.
//!
//! Rules every implementation keeps:
//! - every state-changing method is one transaction that also appends its
//!   [`audit`] entry, so a change and its record commit or fail together;
//! - conflicts are decided by the database (unique constraints, conditional
//!   updates), and surface as [`StoreError::Conflict`];
//! - no sqlx (or any driver) type appears in a signature here.
//!
//! With the `testing` feature this crate also carries the behaviour
//! [`suite`] that both backends run, so they cannot drift apart.

pub mod accounts;
pub mod audit;
pub mod cases;
pub mod claims;
pub mod decisions;
mod error;
pub mod evidence;
pub mod idempotency;
pub mod imports;
pub mod notifications;
pub mod ratification;
pub mod reports;
pub mod sessions;
#[cfg(feature = "testing")]
pub mod suite;
pub mod webhooks;

pub use self::ratification::{
    ConventionEventId, ConventionRecord, ConventionStore, Decide, NewConventionEvent, Recorded,
    Refused, StoredConventionEvent,
};
pub use accounts::{
    Account, AccountStatus, AccountStore, ChangeEpoch, NewAccount, NewToken, TokenRecord,
};
pub use audit::{AuditContext, AuditEntry, AuditFilter, AuditStore, Change};
pub use cases::CaseStore;
pub use claims::ClaimStore;
pub use decisions::DecisionStore;
pub use error::StoreError;
pub use evidence::{EvidenceId, EvidenceRecord, EvidenceStore, NewEvidence};
pub use idempotency::{Begin, IdempotencyStore, KEY_RETENTION, KeptAnswer, StoredResponse};
pub use imports::ImportStore;
pub use notifications::NotificationStore;
pub use reports::ReportStore;
pub use sessions::{NewWebSession, SessionLookup, SessionStore, WebSession, WebSessionId};
pub use webhooks::WebhookStore;

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Everything the service stores, behind one object.
#[async_trait::async_trait]
pub trait Store:
    AccountStore
    + AuditStore
    + CaseStore
    + ClaimStore
    + ConventionStore
    + DecisionStore
    + EvidenceStore
    + IdempotencyStore
    + ReportStore
    + WebhookStore
    + NotificationStore
    + ImportStore
    + SessionStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// Answers when the database does: the readiness probe.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Records a one-time event under `name`; `true` only for the first
    /// caller ever, across restarts and instances. Used for the bootstrap
    /// admin token, which must be printed once and never again.
    async fn claim_once(&self, name: &str) -> Result<bool, StoreError>;
}
