//! Webhook delivery: signing (Standard Webhooks) and the delivery worker.
//!
//! Events are written to the outbox by the store, in the transaction of the
//! change they announce. The worker leases due deliveries (several
//! instances never hold the same one), POSTs each to its subscriber with
//! `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, and
//! records the attempt. A failure (network error, timeout, non-2xx) is
//! retried with exponential backoff; after [`MAX_ATTEMPTS`] the delivery is
//! marked `failed`. A worker that dies mid-post leaves its lease to expire
//! and the delivery is posted again: at least once, so receivers
//! deduplicate on `webhook-id`.
//!
//! Before each post the subscriber's host is resolved and every address
//! checked ([`target`]): a refused address is recorded as a failed attempt
//! without connecting, and the post connects only to the checked
//! addresses.

pub mod target;

use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};
use store::StoreError;
use store::webhooks::{AttemptResult, DueDelivery};
use tokio::sync::Notify;

/// How long a worker holds a delivery; longer than a post can take.
pub const LEASE: time::Duration = time::Duration::seconds(60);
/// Timeout of one post.
pub const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// Timeout of connecting, within [`POST_TIMEOUT`].
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 12;
/// Deliveries leased per round.
const BATCH: u32 = 50;
/// How often an idle worker looks for due deliveries.
const POLL: Duration = Duration::from_millis(500);

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0_u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// The `webhook-signature` header value for a message:
/// `v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with
/// the secret's decoded bytes.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|e| format!("the secret is not base64: {e}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Wait before attempt `attempts + 1` after `attempts` failures:
/// 30 s doubling, at most 6 hours.
pub fn backoff(attempts: i32) -> time::Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let secs = 30_i64.saturating_mul(1_i64 << exp.min(20));
    time::Duration::seconds(secs.min(6 * 3600))
}

/// Wakes the delivery worker (events were written), and resolves
/// subscribers' host names.
pub struct WebhookControl {
    wake: Notify,
    /// This process's worker name.
    pub worker: String,
    resolver: RwLock<Arc<dyn target::Resolver>>,
}

impl std::fmt::Debug for WebhookControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookControl")
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

impl WebhookControl {
    pub fn new() -> Self {
        Self {
            wake: Notify::new(),
            worker: format!("webhooks-{}", uuid::Uuid::now_v7()),
            resolver: RwLock::new(Arc::new(target::SystemResolver)),
        }
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// How subscribers' host names are resolved.
    pub fn resolver(&self) -> Arc<dyn target::Resolver> {
        Arc::clone(&self.resolver.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the system resolver (tests use it to make a name change its
    /// answer between a subscription and a delivery).
    pub fn set_resolver(&self, resolver: Arc<dyn target::Resolver>) {
        *self
            .resolver
            .write()
            .unwrap_or_else(PoisonError::into_inner) = resolver;
    }
}

impl Default for WebhookControl {
    fn default() -> Self {
        Self::new()
    }
}

/// A client for one post to `url`: it connects only to the addresses of
/// the host that were resolved and checked here, follows no redirect and
/// uses no proxy (a proxy would resolve the name itself). One per post, as
/// the addresses are checked on every delivery.
async fn client_for(state: &AppState, url: &str) -> Result<reqwest::Client, String> {
    let url = reqwest::Url::parse(url).map_err(|e| format!("the URL is not valid: {e}"))?;
    let resolver = state.webhooks.resolver();
    let target = target::resolve(
        &url,
        &state.settings.webhook_allow_private,
        resolver.as_ref(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut client = reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if let Some(name) = &target.name {
        client = client.resolve_to_addrs(name, &target.addresses);
    }
    client
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

/// Starts this process's delivery worker.
pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let worker = state.webhooks.worker.clone();
        loop {
            loop {
                match run_once(&state, &worker).await {
                    Ok(n) if n > 0 => {}
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!("webhook worker: {e}");
                        break;
                    }
                }
            }
            tokio::select! {
                () = state.webhooks.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

/// Leases due deliveries and posts them; returns how many were attempted.
pub async fn run_once(state: &AppState, worker: &str) -> Result<usize, StoreError> {
    let due = state.store.lease_deliveries(worker, LEASE, BATCH).await?;
    let n = due.len();
    let posts = due.into_iter().map(|d| async move {
        let result = post(state, &d).await;
        match state
            .store
            .finish_delivery(worker, d.event.id, d.subscription, result)
            .await
        {
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    });
    for r in futures_util::future::join_all(posts).await {
        r?;
    }
    Ok(n)
}

async fn post(state: &AppState, d: &DueDelivery) -> AttemptResult {
    let started = Instant::now();
    let failed = |error: String, status_code: Option<u16>| {
        let attempts = d.attempts + 1;
        AttemptResult {
            status_code,
            error: Some(error),
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            delivered: false,
            retry_at: (attempts < MAX_ATTEMPTS).then(|| state.clock.now() + backoff(attempts)),
        }
    };
    // A refused address fails here, before any connection: what is
    // recorded cannot tell an open port from a closed one.
    let client = match client_for(state, &d.url).await {
        Ok(client) => client,
        Err(e) => return failed(e, None),
    };
    // Signed after the name was resolved, so the timestamp is the post's.
    let id = format!("msg_{}", d.event.id.simple());
    let timestamp = state.clock.now().unix_timestamp();
    let body = d.event.payload.to_string();
    let signature = match sign(&d.secret, &id, timestamp, body.as_bytes()) {
        Ok(s) => s,
        Err(e) => return failed(e, None),
    };
    let response = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match response {
        Ok(r) if r.status().is_success() => AttemptResult {
            status_code: Some(r.status().as_u16()),
            error: None,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            delivered: true,
            retry_at: None,
        },
        Ok(r) => failed(
            format!("the receiver answered {}", r.status()),
            Some(r.status().as_u16()),
        ),
        Err(e) => failed(format!("{e}"), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), time::Duration::seconds(30));
        assert_eq!(backoff(2), time::Duration::seconds(60));
        assert_eq!(backoff(3), time::Duration::seconds(120));
        assert_eq!(backoff(30), time::Duration::hours(6));
    }

    #[test]
    fn secrets_decode_to_32_bytes() {
        let s = new_secret();
        let key = STANDARD.decode(s.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(key.len(), 32);
    }
}
