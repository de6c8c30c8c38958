//! Accounts, their roles and their API tokens.

use crate::{AuditContext, StoreError};
use kernel::access::Clearance;
use kernel::id::{AccountId, TokenId};
use kernel::{Page, PageRequest, Role};
use serde::{Deserialize, Serialize};
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

#[async_trait::async_trait]
pub trait AccountStore {
    async fn create_account(
        &self,
        ctx: &AuditContext,
        new: NewAccount,
    ) -> Result<Account, StoreError>;

    async fn account(&self, id: AccountId) -> Result<Account, StoreError>;

    async fn account_by_external_subject(&self, subject: &str) -> Result<Account, StoreError>;

    /// Accounts in creation order.
    async fn accounts(&self, page: PageRequest) -> Result<Page<Account>, StoreError>;

    /// Changes the status if the account is still at `expected_version`;
    /// `Conflict` otherwise (someone else changed it first).
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
    /// first revocation time stands.
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
