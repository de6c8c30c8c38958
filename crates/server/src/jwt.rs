//! JWTs from an external identity provider (single sign-on).
//!
//! Only RS256 and EdDSA signatures with keys from the configured JWKS are
//! accepted; `alg: none`, HMAC algorithms and unknown keys are refused. The
//! issuer and audience must match, and expiry is checked against the
//! service's injected clock. The configured claim (default `sub`) names the
//! account through its external subject.
//!
//! The JWKS comes from a file or from the provider's URL. A URL is fetched
//! at start (the service does not start without keys) and again every
//! [`REFRESH_EVERY`], so rotated keys are picked up without a restart; a
//! failed refresh keeps the keys already known.

use crate::config::JwtSettings;
use crate::error::ApiError;
use anyhow::Context as _;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::sync::{Arc, PoisonError, RwLock};
use time::OffsetDateTime;

/// How often a JWKS URL is fetched again.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_mins(10);

struct Key {
    kid: Option<String>,
    algorithm: Algorithm,
    decoding: DecodingKey,
}

#[derive(Clone)]
pub struct JwtVerifier(Arc<Inner>);

struct Inner {
    keys: RwLock<Arc<Vec<Key>>>,
    /// Where the keys come from, when that is a URL.
    url: Option<String>,
    issuer: String,
    audience: String,
    account_claim: String,
}

fn jwks_url(settings: &JwtSettings) -> Option<String> {
    let text = settings.jwks.to_str()?;
    (text.starts_with("https://") || text.starts_with("http://")).then(|| text.to_owned())
}

async fn fetch(url: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .context("HTTP client")?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("cannot fetch JWKS from {url}"))?
        .error_for_status()
        .with_context(|| format!("JWKS at {url}"))?;
    response.text().await.context("JWKS body")
}

fn parse_keys(jwks: &str) -> anyhow::Result<Vec<Key>> {
    let set: JwkSet = serde_json::from_str(jwks).context("JWKS is not valid")?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        let algorithm = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
            // Shared-secret and EC keys are not accepted from a provider.
            _ => continue,
        };
        keys.push(Key {
            kid: jwk.common.key_id.clone(),
            algorithm,
            decoding: DecodingKey::from_jwk(jwk).context("unusable key in JWKS")?,
        });
    }
    anyhow::ensure!(!keys.is_empty(), "JWKS holds no RS256 or EdDSA key");
    Ok(keys)
}

impl JwtVerifier {
    /// Loads the keys from the configured file or URL.
    pub async fn load(settings: &JwtSettings) -> anyhow::Result<Self> {
        let url = jwks_url(settings);
        let text = match &url {
            Some(url) => fetch(url).await?,
            None => std::fs::read_to_string(&settings.jwks)
                .with_context(|| format!("cannot read JWKS file {}", settings.jwks.display()))?,
        };
        Ok(Self::build(parse_keys(&text)?, url, settings))
    }

    /// Fetches the keys again when they come from a URL.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let Some(url) = &self.0.url else {
            return Ok(());
        };
        let keys = parse_keys(&fetch(url).await?)?;
        *self.0.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
        Ok(())
    }

    /// Whether the keys come from a URL, and so are refreshed.
    pub fn refreshes(&self) -> bool {
        self.0.url.is_some()
    }

    pub fn from_jwks(jwks: &str, settings: &JwtSettings) -> anyhow::Result<Self> {
        Ok(Self::build(parse_keys(jwks)?, None, settings))
    }

    fn build(keys: Vec<Key>, url: Option<String>, settings: &JwtSettings) -> Self {
        Self(Arc::new(Inner {
            keys: RwLock::new(Arc::new(keys)),
            url,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            account_claim: settings.account_claim.clone(),
        }))
    }

    /// Checks the token and returns the value of the account claim.
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<String, ApiError> {
        let invalid =
            |why: &str| ApiError::unauthenticated(format!("The JWT is not valid: {why}."));
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed"))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::EdDSA) {
            return Err(invalid("algorithm not accepted"));
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.0.issuer]);
        validation.set_audience(&[&self.0.audience]);
        // Expiry is checked below against the service clock.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let keys = self
            .0
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let candidates = keys
            .iter()
            .filter(|k| k.algorithm == header.alg && (header.kid.is_none() || k.kid == header.kid));
        let mut claims: Option<Map<String, Value>> = None;
        for key in candidates {
            if let Ok(data) =
                jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, &validation)
            {
                claims = Some(data.claims);
                break;
            }
        }
        let claims =
            claims.ok_or_else(|| invalid("signature, issuer or audience does not match"))?;
        let now = now.unix_timestamp();
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or_else(|| invalid("no expiry"))?;
        if now >= exp {
            return Err(invalid("expired"));
        }
        if claims
            .get("nbf")
            .and_then(Value::as_i64)
            .is_some_and(|nbf| now < nbf)
        {
            return Err(invalid("not yet valid"));
        }
        claims
            .get(&self.0.account_claim)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| invalid("no account claim"))
    }
}
