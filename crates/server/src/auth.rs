//! Who is calling: bearer tokens issued by Redress, and optionally JWTs from
//! an external identity provider.
//!
//! Redress tokens are 256 random bits, shown once and stored only as their
//! SHA-256: random secrets need no slow hash, and a leaked table yields no
//! usable token.
//!
//! A token checked once is kept in memory for the credential epoch it was
//! read in (PostgreSQL: see `store::ChangeEpoch`), so that a request
//! costs no database round trip to authenticate. Revocations and account
//! changes, on any instance or by hand, end the epoch; while the store
//! cannot hear of them, nothing is kept.

use crate::error::ApiError;
use crate::jwt::JwtVerifier;
use kernel::{Clock, Principal};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use store::{Account, AccountStatus, Store, StoreError, TokenRecord};

/// Every Redress token starts with this, so leaked tokens are easy to spot
/// by secret scanners and never mistaken for a JWT.
pub use app::accounts::{TOKEN_PREFIX, hash_token, new_token};

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    /// The key rate limits are counted under.
    pub rate_key: String,
}

/// Turns credentials into a [`Caller`].
#[derive(Clone, Default)]
pub struct Authenticator {
    pub jwt: Option<JwtVerifier>,
    pub tokens: TokenCache,
}

/// Tokens checked earlier, by secret hash, each with the credential epoch
/// it was read in and when. Bounded in size (when full it starts again
/// empty) and in age: the age bounds how long a change could go unnoticed
/// if notifications were lost without the connection dropping (behind a
/// pooler in transaction mode, say).
#[derive(Clone, Default)]
pub struct TokenCache {
    entries: Arc<Mutex<HashMap<[u8; 32], Cached>>>,
    max_age: std::time::Duration,
}

struct Cached {
    epoch: u64,
    read_at: std::time::Instant,
    token: TokenRecord,
    account: Account,
}

impl TokenCache {
    const CAPACITY: usize = 100_000;

    /// A cache that keeps entries for at most `max_age`; zero keeps none.
    pub fn keeping_for(max_age: std::time::Duration) -> Self {
        Self {
            entries: Arc::default(),
            max_age,
        }
    }

    fn get(&self, hash: &[u8; 32], epoch: u64) -> Option<(TokenRecord, Account)> {
        let map = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(hash)
            .filter(|c| c.epoch == epoch && c.read_at.elapsed() < self.max_age)
            .map(|c| (c.token.clone(), c.account.clone()))
    }

    /// Records a use on the entry, if it is still of `epoch`, so that the
    /// use is not recorded again on every request.
    fn touched(&self, hash: &[u8; 32], epoch: u64, at: time::OffsetDateTime) {
        let mut map = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = map.get_mut(hash).filter(|c| c.epoch == epoch) {
            c.token.last_used_at = Some(at);
        }
    }

    fn put(&self, hash: [u8; 32], entry: Cached) {
        if self.max_age.is_zero() {
            return;
        }
        let mut map = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(hash, entry);
    }
}

impl Authenticator {
    pub async fn authenticate(
        &self,
        store: &dyn Store,
        clock: &dyn Clock,
        bearer: &str,
    ) -> Result<Caller, ApiError> {
        if bearer.starts_with(TOKEN_PREFIX) {
            return self.redress_token(store, clock, bearer).await;
        }
        match &self.jwt {
            Some(verifier) if bearer.matches('.').count() == 2 => {
                let subject = verifier.verify(bearer, clock.now())?;
                let account =
                    store
                        .account_by_external_subject(&subject)
                        .await
                        .map_err(|e| match e {
                            StoreError::NotFound => ApiError::unauthenticated(
                                "The identity provider's subject has no account here.",
                            ),
                            other => other.into(),
                        })?;
                if account.status == AccountStatus::Suspended {
                    return Err(ApiError::forbidden("This account is suspended."));
                }
                Ok(Caller {
                    rate_key: format!("jwt:{}", account.id),
                    principal: account.principal(),
                })
            }
            _ => Err(ApiError::unauthenticated("The bearer token is not valid.")),
        }
    }

    async fn redress_token(
        &self,
        store: &dyn Store,
        clock: &dyn Clock,
        token: &str,
    ) -> Result<Caller, ApiError> {
        let hash = hash_token(token);
        // The epoch before the read: a change committed while the read is
        // under way ends it, and the entry is never used.
        let epoch = store.credential_epoch().and_then(|e| e.current());
        let cached = epoch.and_then(|epoch| self.tokens.get(&hash, epoch));
        let (mut record, account) = if let Some(hit) = cached {
            hit
        } else {
            let read_at = std::time::Instant::now();
            let read = store.token_by_hash(&hash).await.map_err(|e| match e {
                StoreError::NotFound => ApiError::unauthenticated("The bearer token is not valid."),
                other => other.into(),
            })?;
            if let Some(epoch) = epoch {
                let entry = Cached {
                    epoch,
                    read_at,
                    token: read.0.clone(),
                    account: read.1.clone(),
                };
                self.tokens.put(hash, entry);
            }
            read
        };
        let now = clock.now();
        if record.revoked_at.is_some() {
            return Err(ApiError::unauthenticated(
                "The bearer token has been revoked.",
            ));
        }
        if !record.is_usable_at(now) {
            return Err(ApiError::unauthenticated("The bearer token has expired."));
        }
        if account.status == AccountStatus::Suspended {
            return Err(ApiError::forbidden("This account is suspended."));
        }
        // Bookkeeping at most once a minute per token, so reads stay reads.
        let stale = record
            .last_used_at
            .is_none_or(|t| now - t > time::Duration::minutes(1));
        if stale {
            match store.touch_token(record.id, now).await {
                Ok(()) => {
                    // Not a credential change: the entry keeps its epoch.
                    record.last_used_at = Some(now);
                    if let Some(epoch) = epoch {
                        self.tokens.touched(&hash, epoch, now);
                    }
                }
                Err(e) => tracing::warn!(token = %record.id, "could not record token use: {e}"),
            }
        }
        Ok(Caller {
            rate_key: format!("token:{}", record.id),
            principal: account.principal(),
        })
    }
}

/// Compares secrets without leaking where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hash_consistently() {
        let (a, ha) = new_token();
        let (b, hb) = new_token();
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43, "256 bits in base64url");
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert_eq!(hash_token(&a), ha);
    }
}
