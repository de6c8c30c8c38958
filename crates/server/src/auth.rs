//! Who is calling: bearer tokens issued by Redress, and optionally JWTs from
//! an external identity provider.
//!
//! Redress tokens are 256 random bits, shown once and stored only as their
//! SHA-256: random secrets need no slow hash, and a leaked table yields no
//! usable token.

use crate::error::ApiError;
use crate::jwt::JwtVerifier;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kernel::{Clock, Principal};
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use store::{AccountStatus, Store, StoreError};

/// Every Redress token starts with this, so leaked tokens are easy to spot
/// by secret scanners and never mistaken for a JWT.
pub const TOKEN_PREFIX: &str = "rdt_";

/// A new secret token and the hash to store.
pub fn new_token() -> (String, [u8; 32]) {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

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
}

impl Authenticator {
    pub async fn authenticate(
        &self,
        store: &dyn Store,
        clock: &dyn Clock,
        bearer: &str,
    ) -> Result<Caller, ApiError> {
        if bearer.starts_with(TOKEN_PREFIX) {
            return Self::redress_token(store, clock, bearer).await;
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
        store: &dyn Store,
        clock: &dyn Clock,
        token: &str,
    ) -> Result<Caller, ApiError> {
        let (record, account) =
            store
                .token_by_hash(&hash_token(token))
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => {
                        ApiError::unauthenticated("The bearer token is not valid.")
                    }
                    other => other.into(),
                })?;
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
        if stale && let Err(e) = store.touch_token(record.id, now).await {
            tracing::warn!(token = %record.id, "could not record token use: {e}");
        }
        Ok(Caller {
            rate_key: format!("token:{}", record.id),
            principal: account.principal(),
        })
    }
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
