//! What a use case answers when it does not do what was asked.
//!
//! An [`AppError`] says which kind of refusal it is ([`ErrorClass`]), the
//! stable problem code (`kind`, the last segment of the problem's `type`,
//! listed in `docs/problems.md`), a readable detail, the offending fields,
//! and the facts a client needs to recover (`facts`: the current status,
//! the current version, the figures of a closed gate). Each door presents
//! it in its own way: the HTTP API as RFC 9457 problem+json (the class is
//! its status), the pages as a message on the page, the command line as a
//! line and an exit code. Internal causes are kept for the log and never
//! shown.

use serde::Serialize;
use serde_json::{Map, Value};
use store::StoreError;

/// The kind of refusal, which decides how a door presents it (for HTTP,
/// the status code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// The input could not be read at all.
    Malformed,
    /// No credential, or one that is not valid.
    Unauthenticated,
    /// The caller's role does not allow it.
    Forbidden,
    /// No such record, or one the caller may not learn of.
    NotFound,
    /// The record's current state does not allow it.
    Conflict,
    /// The caller's version of the record is not the current one.
    Stale,
    /// A change that must name the version it expects did not.
    VersionRequired,
    /// More bytes than allowed.
    TooLarge,
    /// A file or body of a type that is not accepted.
    UnsupportedType,
    /// A byte range the file does not have.
    RangeNotSatisfiable,
    /// The input was read but breaks a rule; `errors` names the fields.
    Invalid,
    /// Too many requests; retry after `retry_after_secs`.
    Throttled,
    /// A dependency (the database, storage) is not answering; retry.
    Unavailable,
    /// A fault of ours.
    Internal,
}

/// One offending field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Where in the request, e.g. `losses[2].amount`.
    pub field: String,
    /// Stable code for the rule that failed, e.g. `required`.
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// A refusal of a use case. Boxed: errors travel through every `Result`,
/// and the happy path should not pay for their size.
#[derive(Debug)]
pub struct AppError(Box<Refusal>);

/// The content of an [`AppError`].
#[derive(Debug)]
pub struct Refusal {
    pub class: ErrorClass,
    /// The stable problem code, e.g. `not-found`, `conflict-of-interest`.
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// What the client needs to know to recover (current status, version,
    /// the gate's figures...), shown as members of the problem.
    pub facts: Map<String, Value>,
    pub retry_after_secs: Option<u64>,
    /// Logged, never shown.
    pub cause: Option<anyhow::Error>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(
        class: ErrorClass,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self(Box::new(Refusal {
            class,
            kind,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            facts: Map::new(),
            retry_after_secs: None,
            cause: None,
        }))
    }

    pub fn validation(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            ErrorClass::Invalid,
            "validation",
            "The request is not valid",
            detail,
        );
        e.errors = errors;
        e
    }

    pub fn invalid_field(field: &str, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::validation(message.clone(), vec![FieldError::new(field, code, message)])
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(
            ErrorClass::Malformed,
            "malformed-request",
            "The request could not be read",
            detail,
        )
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(
            ErrorClass::Unauthenticated,
            "unauthenticated",
            "Authentication required",
            detail,
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorClass::Forbidden, "forbidden", "Not allowed", detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            ErrorClass::NotFound,
            "not-found",
            "Not found",
            "No such resource, or it is not visible to you.",
        )
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(
            ErrorClass::Conflict,
            "conflict",
            "Conflict with the current state",
            detail,
        )
    }

    /// The idempotency key of a change that keeps its own answer was
    /// recorded already: nothing was changed. Not for clients: the door
    /// that asked for it takes the key the usual way and answers from it.
    pub fn key_taken() -> Self {
        Self::new(
            ErrorClass::Conflict,
            Self::KEY_TAKEN,
            "Idempotency key already recorded",
            "The idempotency key of this request was recorded already.",
        )
    }

    /// The problem code of [`AppError::key_taken`].
    pub const KEY_TAKEN: &'static str = "idempotency-key-taken";

    pub fn precondition_failed() -> Self {
        Self::new(
            ErrorClass::Stale,
            "precondition-failed",
            "The resource has changed",
            "If-Match does not match the current version; fetch it again and retry.",
        )
    }

    pub fn precondition_required() -> Self {
        Self::new(
            ErrorClass::VersionRequired,
            "precondition-required",
            "If-Match required",
            "Send the resource's current ETag in If-Match to change it.",
        )
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            ErrorClass::Throttled,
            "rate-limited",
            "Too many requests",
            format!("Rate limit reached; retry after {retry_after_secs} s."),
        );
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            ErrorClass::Unavailable,
            "unavailable",
            "Service unavailable",
            "The database is not answering; retry shortly.",
        );
        e.retry_after_secs = Some(2);
        e.cause = Some(cause.into());
        e
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            ErrorClass::Internal,
            "internal",
            "Internal error",
            "Something went wrong on our side. It has been logged under this request's id.",
        );
        e.cause = Some(cause.into());
        e
    }

    /// Adds a fact for the client.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        self.facts.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    /// The content, taken out of its box.
    pub fn into_refusal(self) -> Refusal {
        *self.0
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_ref()
            .map(|c| c.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl std::ops::Deref for AppError {
    type Target = Refusal;
    fn deref(&self) -> &Refusal {
        &self.0
    }
}

impl std::ops::DerefMut for AppError {
    fn deref_mut(&mut self) -> &mut Refusal {
        &mut self.0
    }
}

impl AppError {
    /// A store refusal of a change that named the version it expected: a
    /// conflict then means the record changed since (stale), anything else
    /// keeps its meaning. The one place a store conflict becomes "stale".
    pub fn stale_or(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => Self::precondition_failed(),
            other => other.into(),
        }
    }

    /// A store refusal of a change: stale when the caller named the version
    /// it expected, a conflict with the current state otherwise.
    pub fn from_change(e: StoreError, expected_version: Option<i64>) -> Self {
        match expected_version {
            Some(_) => Self::stale_or(e),
            None => e.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict(detail) => Self::conflict(detail),
            StoreError::Unavailable(cause) => Self::unavailable(anyhow::Error::from_boxed(cause)),
            StoreError::Internal(cause) => Self::internal(anyhow::Error::from_boxed(cause)),
            StoreError::KeyTaken => Self::key_taken(),
        }
    }
}

impl From<crate::need_to_know::Unknown> for AppError {
    fn from(_: crate::need_to_know::Unknown) -> Self {
        Self::not_found()
    }
}
