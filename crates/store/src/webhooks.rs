//! Webhook subscriptions, the outbox and deliveries.
//!
//! State-changing store methods that announce something (a claim submitted,
//! recorded, rejected or asked for information; a final decision; a
//! payment on an award; a change in the convention's standing) append an event to the outbox *in their own
//! transaction*, with one delivery row per enabled subscription to that
//! event type. So an event exists if and only if its change committed.
//! Workers lease due deliveries (several instances never hold the same
//! one), post them, and record each attempt; a failed attempt is retried
//! later, so every event reaches every subscriber at least once. An event
//! about a sensitive claim is delivered only to subscriptions that include
//! sensitive events.

use crate::{AuditContext, StoreError};
use kernel::id::AccountId;
use kernel::{Page, PageRequest};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

kernel::typed_id!(
    /// A webhook subscription.
    SubscriptionId
);

/// Event types the service emits.
pub const EVENT_TYPES: [&str; 11] = [
    "claim.submitted",
    "claim.recorded",
    "claim.rejected",
    "claim.information_requested",
    "convention.entry_into_force_date_changed",
    "convention.entered_into_force",
    "convention.no_longer_in_force",
    "convention.standing_revised",
    "convention.participant_added",
    "decision.issued",
    "award.payment_recorded",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubscription {
    pub url: String,
    /// `whsec_` + base64 of the signing key.
    pub secret: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    /// Whether events about sensitive claims are delivered to it.
    pub include_sensitive: bool,
}

/// A subscription as the API shows it (never with its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    /// Events about sensitive claims are delivered to it (it was created
    /// by someone with the sensitive clearance to receive them).
    pub include_sensitive: bool,
    pub enabled: bool,
    pub created_by: Option<AccountId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub disabled_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// An event in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutboxEvent {
    /// The Standard Webhooks message id, the same on every retry.
    pub id: Uuid,
    pub event_type: String,
    pub payload: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A delivery leased to a worker, with what it needs to post it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueDelivery {
    pub event: OutboxEvent,
    pub subscription: SubscriptionId,
    pub url: String,
    pub secret: String,
    /// Attempts made before this one.
    pub attempts: i32,
}

/// What one attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptResult {
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub delivered: bool,
    /// When to try again after a failure; `None` gives up (status `failed`).
    pub retry_at: Option<OffsetDateTime>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttemptRecord {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A line of the delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    pub event_id: Uuid,
    pub event_type: String,
    /// `pending`, `delivered` or `failed` (gave up).
    pub status: String,
    pub attempts: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<AttemptRecord>,
}

#[async_trait::async_trait]
pub trait WebhookStore {
    async fn create_subscription(
        &self,
        ctx: &AuditContext,
        new: NewSubscription,
    ) -> Result<Subscription, StoreError>;

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;

    async fn subscription(&self, id: SubscriptionId) -> Result<Subscription, StoreError>;

    /// Disables a subscription: it gets no new events and its pending
    /// deliveries are not attempted. Idempotent.
    async fn disable_subscription(
        &self,
        ctx: &AuditContext,
        id: SubscriptionId,
    ) -> Result<Subscription, StoreError>;

    /// Outbox events, oldest first (for operators and tests).
    async fn outbox_events(&self, page: PageRequest) -> Result<Page<OutboxEvent>, StoreError>;

    /// Leases up to `limit` due deliveries of enabled subscriptions to
    /// `worker` until now + `lease`. Deliveries leased by another worker
    /// whose lease has not expired are skipped.
    async fn lease_deliveries(
        &self,
        worker: &str,
        lease: time::Duration,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError>;

    /// Records an attempt of a delivery this worker holds and releases it.
    /// `Conflict` when the lease was lost.
    async fn finish_delivery(
        &self,
        worker: &str,
        event: Uuid,
        subscription: SubscriptionId,
        result: AttemptResult,
    ) -> Result<(), StoreError>;

    /// The delivery log of a subscription, newest event first.
    async fn deliveries(
        &self,
        subscription: SubscriptionId,
        page: PageRequest,
    ) -> Result<Page<DeliveryRecord>, StoreError>;
}

/// The event announcing that a claim moved to `status` by a change (not
/// a submission: `submit_claim` announces `claim.submitted` itself).
pub const fn claim_event(status: register::ClaimStatus) -> Option<&'static str> {
    use register::ClaimStatus as S;
    match status {
        S::Recorded => Some("claim.recorded"),
        S::Rejected => Some("claim.rejected"),
        S::InformationRequested => Some("claim.information_requested"),
        _ => None,
    }
}
