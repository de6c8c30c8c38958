//! Idempotency keys: the stored answers of state-changing requests.
//!
//! A client that sends `Idempotency-Key` on a POST may send the same request
//! again (after a timeout, a dropped connection) without doing the change
//! twice: the first answer is kept and replayed. The decision whether a
//! request runs, is replayed, is refused as still in flight or as a reuse of
//! the key for another request is taken atomically by the database, so
//! several instances of the service behave as one.
//!
//! These records are bookkeeping, not changes of the register: none of the
//! methods here writes an audit entry. The change a request makes is audited
//! by the store method that makes it, with the key in its
//! [`AuditContext`](crate::AuditContext).

use crate::StoreError;
use kernel::id::AccountId;
use time::{Duration, OffsetDateTime};

/// How long a key is kept after its first use: 24 hours. Within this time a
/// retry with the same key is answered from the record; afterwards the key
/// is forgotten (purged) and may be used again. A constant rather than a
/// setting: clients are told the retention in the API guide, and it is the
/// floor the convention promises ("kept at least 24 hours").
pub const KEY_RETENTION: Duration = Duration::hours(24);

/// The answer kept for replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status code.
    pub status: u16,
    /// The headers worth replaying (name in lower case, value), in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The answer of a change kept in the change's own transaction: the key is
/// recorded completed, with the answer rendered from the changed record,
/// in the same commit as the change. One commit instead of three (the key
/// taken, the change, the answer kept), and nothing for a crash to split:
/// either the change and its answer are both there, or neither is.
///
/// The store inserts the key only if it is absent; if it is there already
/// (a retry, a concurrent duplicate, an expired record not yet purged) the
/// change is not made and the store answers [`StoreError::KeyTaken`]: the
/// caller then takes the key the usual way ([`IdempotencyStore::begin_request`]).
/// `R` is the record the answer is rendered from.
pub struct KeptAnswer<'a, R> {
    pub account: AccountId,
    pub key: &'a str,
    pub fingerprint: &'a [u8; 32],
    pub now: OffsetDateTime,
    /// Renders the answer from the record as it will be committed.
    pub render: &'a (dyn Fn(&R) -> Result<StoredResponse, StoreError> + Send + Sync),
}

impl<R> std::fmt::Debug for KeptAnswer<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptAnswer")
            .field("account", &self.account)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl<R> KeptAnswer<'_, R> {
    /// When the record expires: [`KEY_RETENTION`] after first use.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.now + KEY_RETENTION
    }

    /// The answer's headers as kept (a JSON array of name/value pairs).
    pub fn headers_json(response: &StoredResponse) -> serde_json::Value {
        serde_json::to_value(&response.headers).unwrap_or_else(|_| serde_json::json!([]))
    }
}

/// What to do with a request that carries a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Begin {
    /// The key is new (or its earlier holder died, or it expired): the
    /// caller holds the lease now and runs the request, then calls
    /// [`IdempotencyStore::complete`] or [`IdempotencyStore::abandon`].
    Proceed,
    /// The same request was answered before: send this again.
    Replay(StoredResponse),
    /// The same request is running right now, elsewhere.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
    /// The request ran and its change was committed, but its answer was
    /// never kept: its instance died, or the client went away, between the
    /// commit and [`IdempotencyStore::complete`]. The caller holds the lease
    /// now and must not run the request again; it answers by pointing at
    /// what was changed (the first audited target of the change) and keeps
    /// that answer with `complete`.
    Committed {
        target_type: String,
        target_id: String,
    },
}

#[async_trait::async_trait]
pub trait IdempotencyStore {
    /// Claims `key` of `account` for a request with this `fingerprint`
    /// (a SHA-256 of the request), decided atomically:
    /// - no live record: one is inserted, in flight with a lease until
    ///   `now + lease`, expiring at `now + KEY_RETENTION`: `Proceed`;
    /// - a record with another fingerprint: `Mismatch`;
    /// - a completed record: `Replay`;
    /// - an in-flight record whose lease runs: `InFlight`;
    /// - an in-flight record whose lease has run out (the instance that held
    ///   it died): the lease is renewed for this caller: `Committed` if the
    ///   change was made (store methods record it on the key in the change's
    ///   transaction, from the audit context), else `Proceed`.
    ///
    /// A record past its expiry counts as absent even before it is purged.
    async fn begin_request(
        &self,
        account: AccountId,
        key: &str,
        fingerprint: &[u8; 32],
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Begin, StoreError>;

    /// Stores the answer of an in-flight request; later calls with the key
    /// replay it. Does nothing if the record is no longer in flight.
    async fn complete(
        &self,
        account: AccountId,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError>;

    /// Forgets an in-flight request (it failed on the server side), so that
    /// the client may retry with the same key. Completed records stay, and
    /// so does a record whose change was committed: its lease is ended
    /// instead, so that the retry learns of the change at once
    /// ([`Begin::Committed`]).
    async fn abandon(&self, account: AccountId, key: &str) -> Result<(), StoreError>;

    /// Deletes the records that expired at `now`; returns how many.
    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}
