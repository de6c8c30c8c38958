//! The use cases of Redress.
//!
//! One function per thing a person or a job does (file a claim, submit it,
//! record it, assess a case, approve a recommendation, pay an award, record
//! a treaty action...): a typed command and the acting [`Actor`] in, a
//! typed outcome or an [`AppError`] out. A use case loads through the
//! store, asks the domain crates (`register`, `commission`,
//! `ratification`), and saves through one store call, which is one
//! transaction with its audit entry.
//!
//! The doors (the HTTP API, the web pages, the command line, the
//! background jobs and the import pipeline) parse their input, call a use
//! case here, and present its outcome. Nothing here knows HTTP: the crate
//! depends on no web framework, so the compiler keeps it that way.

pub mod accounts;
pub mod audit;
pub mod awards;
pub mod batches;
pub mod cases;
pub mod catalogue;
pub mod claims;
pub mod convention;
pub mod crypto;
pub mod decisions;
pub mod error;
pub mod evidence;
pub mod evidence_storage;
pub mod exports;
pub mod gate;
pub mod imports;
pub mod letters;
pub mod need_to_know;
pub mod notices;
pub mod operations;
pub mod progress;
pub mod reports;
pub mod webhooks;

pub use error::{AppError, AppResult, ErrorClass, FieldError};

use kernel::{Clock, Permission, Principal, Role};
use std::sync::Arc;
use store::{AuditContext, Store};

/// The settings use cases read; the doors resolve them from the command
/// line, the environment and the configuration file.
#[derive(Clone, Debug)]
pub struct Config {
    /// Earliest date of damage the Register accepts.
    pub eligibility_start: time::Date,
    /// The convention's entry-into-force rule.
    pub convention_rule: ratification::EntryIntoForceRule,
    /// What the tracker shows confirmed contributions against.
    pub funding_target: kernel::Money,
    /// The currency awards are assessed and decided in; valuation rules
    /// must be in it. Changing it mid-programme makes earlier and later
    /// awards incomparable: it is set once.
    pub award_currency: kernel::Currency,
    /// Largest evidence file accepted, in bytes.
    pub evidence_max_bytes: u64,
    /// Largest import upload accepted, in bytes.
    pub import_max_bytes: u64,
    /// Where the service keeps its files (import spools).
    pub data_dir: std::path::PathBuf,
    /// The Commission's account payment files are drawn on; without it no
    /// payment file is issued.
    pub payment_debtor: Option<awards::Debtor>,
}

/// What every use case works with, built once at start.
#[derive(Clone)]
pub struct App(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    /// Where reports and exports read: a replica when one is configured
    /// (perhaps a little behind), otherwise `store` itself. Nothing that
    /// decides a change reads here.
    pub reads: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    pub sealer: crypto::Sealer,
    pub evidence: evidence_storage::EvidenceStorage,
    /// The catalogue and regions kept in memory (see [`catalogue::Cache`]).
    pub catalogue: catalogue::Cache,
}

impl App {
    pub fn new(
        store: Arc<dyn Store>,
        reads: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: Config,
        sealer: crypto::Sealer,
        evidence: evidence_storage::EvidenceStorage,
    ) -> Self {
        Self(Arc::new(Inner {
            store,
            reads,
            clock,
            config,
            sealer,
            evidence,
            catalogue: catalogue::Cache::default(),
        }))
    }
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Who acts, as the door authenticated and authorized them.
#[derive(Clone, Debug)]
pub struct Actor {
    pub principal: Principal,
    /// What the policy granted for the action at hand (`own` limits it to
    /// the caller's own claims).
    pub permission: Permission,
    /// The role that granted it, recorded in the audit log.
    pub role: Option<Role>,
    /// The door's request id, recorded with every change.
    pub request_id: Option<String>,
    /// The client's idempotency key, recorded with the change it made.
    pub idempotency_key: Option<String>,
    /// Set by the go-live gate when it lets an act of the Commission
    /// through: the standing it relied on, recorded with the act.
    pub standing: Option<serde_json::Value>,
}

impl Actor {
    /// The audit context of a change made by this actor.
    pub fn audit(&self, reason: Option<String>) -> AuditContext {
        AuditContext {
            actor: Some(self.principal.account),
            actor_role: self.role.map(|r| r.as_str().to_owned()),
            on_behalf_of: None,
            request_id: self.request_id.clone(),
            idempotency_key: self.idempotency_key.clone(),
            reason,
            standing: self.standing.clone(),
        }
    }
}

/// A page of a list as the caller asked for it: `limit` items (1 to 500,
/// default 50) after the `cursor` of the previous page.
pub fn page(limit: Option<u32>, cursor: Option<&str>) -> AppResult<kernel::PageRequest> {
    let after = match cursor {
        None => None,
        Some(text) => Some(kernel::Cursor::decode(text).ok_or_else(|| {
            AppError::invalid_field("cursor", "invalid", "Not a cursor this service issued.")
        })?),
    };
    Ok(kernel::PageRequest::new(limit, after))
}

/// A page of a list ordered by a text key (a code; a category and version;
/// a currency pair and date), as [`page`] reads one ordered by id.
pub fn key_page(limit: Option<u32>, cursor: Option<&str>) -> AppResult<kernel::KeyPageRequest> {
    let after = match cursor {
        None => None,
        Some(text) => Some(kernel::KeyCursor::decode(text).ok_or_else(|| {
            AppError::invalid_field("cursor", "invalid", "Not a cursor this service issued.")
        })?),
    };
    Ok(kernel::KeyPageRequest::new(limit, after))
}

/// A list filter naming one value of an enumeration (a status), refused
/// with the field's name when it names none.
pub(crate) fn enum_filter<T: serde::de::DeserializeOwned>(
    field: &str,
    text: Option<&str>,
) -> AppResult<Option<T>> {
    text.map(|t| {
        serde_json::from_value(serde_json::Value::String(t.to_owned()))
            .map_err(|_| AppError::invalid_field(field, "invalid", format!("Unknown {field}.")))
    })
    .transpose()
}

/// A list filter naming an id.
pub(crate) fn id_filter(field: &str, text: Option<&str>) -> AppResult<Option<uuid::Uuid>> {
    text.map(|t| {
        t.parse()
            .map_err(|_| AppError::invalid_field(field, "invalid", "Not an id."))
    })
    .transpose()
}

/// A list filter naming a currency (ISO 4217).
pub(crate) fn currency_filter(
    field: &str,
    text: Option<&str>,
) -> AppResult<Option<kernel::Currency>> {
    text.map(|t| {
        kernel::Currency::from_code(t)
            .map_err(|e| AppError::invalid_field(field, "invalid", e.to_string()))
    })
    .transpose()
}
