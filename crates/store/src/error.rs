use std::error::Error as StdError;

type Cause = Box<dyn StdError + Send + Sync>;

/// Why a storage operation failed, in terms the service can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule or an expected version did not hold. The text names
    /// what conflicted, in words safe to show a client.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or has no free connection: retryable.
    #[error("database unavailable")]
    Unavailable(#[source] Cause),
    #[error("storage failure")]
    Internal(#[source] Cause),
    /// A change asked to keep its answer under an idempotency key
    /// ([`crate::KeptAnswer`]) found the key already recorded: nothing was
    /// changed, and the key's record decides the answer (a replay, a
    /// request still in flight, a key reused for another request).
    #[error("idempotency key already recorded")]
    KeyTaken,
}

impl StoreError {
    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::Internal(cause.into())
    }
}
