//! Accounts, their roles and their API tokens.

use crate::{AuditContext, StoreError};
use kernel::access::Clearance;
use kernel::id::{AccountId, TokenId};
use kernel::{Page, PageRequest, Role};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Suspended,
}

impl AccountStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub display_name: String,
    pub status: AccountStatus,
    pub roles: Vec<Role>,
    pub clearances: Vec<Clearance>,
    /// For `state` accounts: the participant code they speak for.
    pub participant: Option<String>,
    /// The subject an external identity provider knows this account by.
    pub external_subject: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Bumped on every change; the ETag of the account.
    pub version: i64,
}

impl Account {
    pub fn principal(&self) -> kernel::Principal {
        kernel::Principal {
            account: self.id,
            display_name: self.display_name.clone(),
            roles: self.roles.clone(),
            clearances: self.clearances.clone(),
            participant: self.participant.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    pub display_name: String,
    pub roles: Vec<Role>,
    pub clearances: Vec<Clearance>,
    pub participant: Option<String>,
    pub external_subject: Option<String>,
}

/// A token to store. Only the hash of the secret ever reaches the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    pub account: AccountId,
    pub label: String,
    pub secret_hash: [u8; 32],
    pub expires_at: Option<OffsetDateTime>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: TokenId,
    pub account: AccountId,
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

impl TokenRecord {
    pub fn is_usable_at(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

/// When something read earlier may no longer hold: it advances whenever
/// what it watches changes (credentials: a token revoked or an account
/// changed; the catalogue: a category or region written), on this instance
/// or on any other that shares the database, and while the store cannot
/// hear about such changes it is not live. Whoever caches keeps an entry
/// only for the epoch it was read in, and caches nothing while the epoch is
/// not live.
#[derive(Clone, Debug, Default)]
pub struct ChangeEpoch(Arc<EpochState>);

#[derive(Debug, Default)]
struct EpochState {
    value: AtomicU64,
    live: AtomicBool,
}

impl ChangeEpoch {
    /// The current epoch, or `None` while changes could go unheard.
    pub fn current(&self) -> Option<u64> {
        // The value first: `set_live` advances it on both sides of every
        // switch, so nothing read before a switch matches after it.
        let value = self.0.value.load(Ordering::SeqCst);
        self.0.live.load(Ordering::SeqCst).then_some(value)
    }

    /// Something changed: everything read before is stale.
    pub fn advance(&self) {
        self.0.value.fetch_add(1, Ordering::SeqCst);
    }

    /// Changes can (or can no longer) be heard. Either way what was read
    /// before is stale: changes may have gone unheard in between.
    pub fn set_live(&self, live: bool) {
        self.advance();
        self.0.live.store(live, Ordering::SeqCst);
        self.advance();
    }
}

#[async_trait::async_trait]
pub trait AccountStore {
    /// The epoch of credentials, if this store can tell when they change
    /// (PostgreSQL, through `LISTEN`); `None` means nothing may be cached.
    fn credential_epoch(&self) -> Option<ChangeEpoch> {
        None
    }

    async fn create_account(
        &self,
        ctx: &AuditContext,
        new: NewAccount,
    ) -> Result<Account, StoreError>;

    async fn account(&self, id: AccountId) -> Result<Account, StoreError>;

    async fn account_by_external_subject(&self, subject: &str) -> Result<Account, StoreError>;

    /// Accounts in creation order.
    async fn accounts(&self, page: PageRequest) -> Result<Page<Account>, StoreError>;

    /// Active accounts holding `role`, by display name, at most `limit`:
    /// for choosing a person on a page (an assessor to assign). Read through
    /// the role's index, never a scan of every account.
    async fn accounts_with_role(&self, role: Role, limit: u32) -> Result<Vec<Account>, StoreError>;

    /// Changes the status if the account is still at `expected_version`;
    /// `Conflict` otherwise (someone else changed it first). Advances the
    /// credential epoch before it returns.
    async fn set_account_status(
        &self,
        ctx: &AuditContext,
        id: AccountId,
        status: AccountStatus,
        expected_version: Option<i64>,
    ) -> Result<Account, StoreError>;

    async fn issue_token(
        &self,
        ctx: &AuditContext,
        token: NewToken,
    ) -> Result<TokenRecord, StoreError>;

    async fn tokens(&self, account: AccountId) -> Result<Vec<TokenRecord>, StoreError>;

    /// Revokes a token of `account`. Revoking twice is not an error: the
    /// first revocation time stands. Advances the credential epoch before
    /// it returns.
    async fn revoke_token(
        &self,
        ctx: &AuditContext,
        account: AccountId,
        token: TokenId,
    ) -> Result<TokenRecord, StoreError>;

    /// The token with this secret hash and its account, whatever their state:
    /// the caller decides what an expired token or a suspended account means.
    async fn token_by_hash(
        &self,
        secret_hash: &[u8; 32],
    ) -> Result<(TokenRecord, Account), StoreError>;

    /// Notes that a token was used. Not audited: it is bookkeeping, and
    /// writing it at most once a minute keeps reads from becoming writes.
    async fn touch_token(&self, token: TokenId, at: OffsetDateTime) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::ChangeEpoch;

    #[test]
    fn an_epoch_is_only_usable_while_live_and_never_repeats_across_a_switch() {
        let epoch = ChangeEpoch::default();
        assert_eq!(epoch.current(), None, "not live until the store listens");
        epoch.set_live(true);
        let first = epoch.current().expect("live");
        assert_eq!(epoch.current(), Some(first), "stable while nothing changes");
        epoch.advance();
        let second = epoch.current().expect("live");
        assert_ne!(second, first, "a change ends the epoch");
        // Changes may go unheard while the connection is down: nothing
        // read before the outage may be used after it.
        epoch.set_live(false);
        assert_eq!(epoch.current(), None);
        epoch.set_live(true);
        let third = epoch.current().expect("live again");
        assert!(third != first && third != second);
        // Clones share the epoch.
        let clone = epoch.clone();
        clone.advance();
        assert_ne!(epoch.current(), Some(third));
    }
}
