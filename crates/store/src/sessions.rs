//! Sessions of the web pages: a signed-in browser, known by a random
//! secret in a cookie. Kept in the database so that every instance behind
//! a load balancer knows every session, and a sign-out anywhere holds
//! everywhere. Only the SHA-256 of the secret is stored, as for tokens.

use crate::{Account, AuditContext, StoreError, TokenRecord};
use kernel::id::{AccountId, TokenId};
use time::OffsetDateTime;

kernel::typed_id!(
    /// One web session; named in the audit log (never the secret).
    WebSessionId
);

/// A session to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWebSession {
    /// SHA-256 of the cookie's secret.
    pub secret_hash: [u8; 32],
    pub account: AccountId,
    /// The token the browser signed in with; `None` for an identity
    /// provider's JWT. The session lasts no longer than the token.
    pub token: Option<TokenId>,
    /// The synchronizer token every form of the session carries.
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSession {
    pub id: WebSessionId,
    pub account: AccountId,
    pub token: Option<TokenId>,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A session found by its secret, with what decides whether it still holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionLookup {
    pub session: WebSession,
    pub account: Account,
    /// The token it was opened with, whatever its state (revoked, expired).
    pub token: Option<TokenRecord>,
}

#[async_trait::async_trait]
pub trait SessionStore {
    /// Starts a session and writes `session.started`; sessions that expired
    /// before now are forgotten in passing.
    async fn create_web_session(
        &self,
        ctx: &AuditContext,
        new: NewWebSession,
    ) -> Result<WebSession, StoreError>;

    /// The session with this secret hash; `NotFound` once it has ended or
    /// been forgotten. The caller decides what expiry means.
    async fn web_session(&self, secret_hash: &[u8; 32]) -> Result<SessionLookup, StoreError>;

    /// Notes activity. Not audited: bookkeeping, written at most once a
    /// minute per session so reads stay reads.
    async fn touch_web_session(
        &self,
        id: WebSessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Ends a session (sign-out) and writes `session.ended`. Ending one that
    /// is already gone is not an error.
    async fn end_web_session(&self, ctx: &AuditContext, id: WebSessionId)
    -> Result<(), StoreError>;
}
