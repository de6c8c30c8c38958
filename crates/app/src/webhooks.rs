//! Webhook subscriptions and the delivery of the outbox.
//!
//! Events are written to the outbox by the store, in the transaction of the
//! change they announce. A worker leases due deliveries (several instances
//! never hold the same one), posts each (the door's transport signs and
//! sends it, with the checks of where it may go) and records the attempt
//! here. A failure is retried with exponential backoff; after
//! [`MAX_ATTEMPTS`] the delivery is marked `failed`. A worker that dies
//! mid-post leaves its lease to expire and the delivery is posted again:
//! at least once, so receivers deduplicate on `webhook-id`.

use crate::error::{AppError, AppResult};
use crate::{Actor, App};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use kernel::access::Clearance;
use kernel::{Page, PageRequest};
use rand::RngCore as _;
use sha2::Sha256;
use store::StoreError;
use store::webhooks::{
    AttemptResult, DeliveryRecord, DueDelivery, EVENT_TYPES, NewSubscription, Subscription,
    SubscriptionId,
};

/// How long a worker holds a delivery; longer than a post can take.
pub const LEASE: time::Duration = time::Duration::seconds(60);
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 12;
/// Deliveries leased per round.
const BATCH: u32 = 50;

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0_u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// The `webhook-signature` header value for a message (Standard Webhooks):
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

fn cleared(actor: &Actor) -> bool {
    actor.principal.has_clearance(Clearance::Sensitive)
}

/// A subscription as asked for; its URL already checked by the door
/// (scheme, host, and that it points at an address webhooks may reach).
#[derive(Clone, Debug)]
pub struct SubscriptionInput {
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    /// Events about sensitive claims too: only for someone with the
    /// clearance.
    pub include_sensitive: bool,
}

/// A subscription just made, with its signing secret, shown this once.
pub struct Subscribed {
    pub subscription: Subscription,
    pub secret: String,
}

/// Subscribes a URL to event types; the secret is in the outcome only.
pub async fn subscribe(
    app: &App,
    actor: &Actor,
    input: SubscriptionInput,
) -> AppResult<Subscribed> {
    if input.include_sensitive && !cleared(actor) {
        return Err(AppError::forbidden(
            "Only someone with the sensitive clearance may subscribe to events about sensitive claims.",
        ));
    }
    if input.event_types.is_empty() {
        return Err(AppError::invalid_field(
            "event_types",
            "required",
            "Name at least one event type.",
        ));
    }
    for (i, t) in input.event_types.iter().enumerate() {
        if !EVENT_TYPES.contains(&t.as_str()) {
            return Err(AppError::invalid_field(
                &format!("event_types[{i}]"),
                "unknown",
                format!("Unknown event type; known: {}.", EVENT_TYPES.join(", ")),
            ));
        }
    }
    let mut event_types = input.event_types;
    event_types.sort();
    event_types.dedup();
    let secret = new_secret();
    let subscription = app
        .store
        .create_subscription(
            &actor.audit(None),
            NewSubscription {
                url: input.url,
                secret: secret.clone(),
                event_types,
                description: input.description.filter(|d| !d.trim().is_empty()),
                include_sensitive: input.include_sensitive,
            },
        )
        .await?;
    Ok(Subscribed {
        subscription,
        secret,
    })
}

/// Subscriptions, oldest first, as the caller may know them: one that
/// receives events about sensitive claims only with the clearance.
pub async fn subscriptions(app: &App, actor: &Actor) -> AppResult<Vec<Subscription>> {
    let cleared = cleared(actor);
    Ok(app
        .store
        .subscriptions()
        .await?
        .into_iter()
        .filter(|s| cleared || !s.include_sensitive)
        .collect())
}

/// The subscriptions the caller may know of, oldest first, paged by id.
pub async fn subscription_page(
    app: &App,
    actor: &Actor,
    page: PageRequest,
) -> AppResult<Page<Subscription>> {
    let all = subscriptions(app, actor).await?;
    Ok(Page::from_all(all, page, |s| s.id.0))
}

/// A subscription the caller may learn of: one that receives events about
/// sensitive claims is "not found" to admins without the clearance.
pub async fn subscription(app: &App, actor: &Actor, id: SubscriptionId) -> AppResult<Subscription> {
    let subscription = app.store.subscription(id).await?;
    if subscription.include_sensitive && !cleared(actor) {
        return Err(AppError::not_found());
    }
    Ok(subscription)
}

/// Disables a subscription: no new events, pending deliveries are not
/// attempted; kept for its delivery log.
pub async fn disable(app: &App, actor: &Actor, id: SubscriptionId) -> AppResult<Subscription> {
    subscription(app, actor, id).await?;
    Ok(app
        .store
        .disable_subscription(&actor.audit(None), id)
        .await?)
}

/// A subscription's delivery log, newest event first.
pub async fn deliveries(
    app: &App,
    actor: &Actor,
    id: SubscriptionId,
    page: PageRequest,
) -> AppResult<Page<DeliveryRecord>> {
    subscription(app, actor, id).await?;
    Ok(app.store.deliveries(id, page).await?)
}

/// Leases due deliveries for `worker`.
pub async fn lease(app: &App, worker: &str) -> Result<Vec<DueDelivery>, StoreError> {
    app.store.lease_deliveries(worker, LEASE, BATCH).await
}

/// How one post went.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub delivered: bool,
}

/// Records an attempt on a leased delivery and, for a failure, when to try
/// again (or that it is given up). A lease lost meanwhile to another
/// worker is not an error: that worker records its own attempt.
pub async fn record_attempt(
    app: &App,
    worker: &str,
    delivery: &DueDelivery,
    attempt: Attempt,
) -> Result<(), StoreError> {
    let attempts = delivery.attempts + 1;
    let retry_at = (!attempt.delivered && attempts < MAX_ATTEMPTS)
        .then(|| app.clock.now() + backoff(attempts));
    let result = AttemptResult {
        status_code: attempt.status_code,
        error: attempt.error,
        duration_ms: attempt.duration_ms,
        delivered: attempt.delivered,
        retry_at,
    };
    match app
        .store
        .finish_delivery(worker, delivery.event.id, delivery.subscription, result)
        .await
    {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
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
