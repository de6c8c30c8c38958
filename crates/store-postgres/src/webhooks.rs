//! Webhook subscriptions, the outbox and deliveries on PostgreSQL.
//!
//! Due deliveries are leased with `FOR UPDATE SKIP LOCKED`, so several
//! instances never post the same delivery at once; a lease that expires
//! (a worker died mid-post) makes the delivery due again: at least once.

use crate::{PostgresStore, map_err};
use async_trait::async_trait;
use kernel::{Page, PageRequest};
use serde_json::{Value, json};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};
use store::webhooks::{
    AttemptRecord, AttemptResult, DeliveryRecord, DueDelivery, NewSubscription, OutboxEvent,
    Subscription, SubscriptionId, WebhookStore,
};
use store::{AuditContext, Change, StoreError};
use time::OffsetDateTime;
use uuid::Uuid;

/// Appends an event to the outbox inside the caller's transaction, with a
/// delivery for every enabled subscription to its type.
/// The payload of a webhook event as delivered.
pub(crate) fn event_payload(event_type: &str, data: &Value, now: OffsetDateTime) -> Value {
    json!({
        "type": event_type,
        "timestamp": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "data": data,
    })
}

pub(crate) async fn outbox(
    tx: &mut Transaction<'static, Postgres>,
    event_type: &str,
    data: Value,
    now: OffsetDateTime,
    sensitive: bool,
) -> Result<(), StoreError> {
    let id = Uuid::now_v7();
    let payload = event_payload(event_type, &data, now);
    sqlx::query(
        "INSERT INTO webhook_events (id, event_type, payload, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(event_type)
    .bind(payload)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    sqlx::query(
        "INSERT INTO webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at) \
         SELECT $1, s.id, $3, $3 FROM webhook_subscription_events e \
         JOIN webhook_subscriptions s ON s.id = e.subscription_id \
         WHERE e.event_type = $2 AND s.enabled AND (NOT $4 OR s.include_sensitive)",
    )
    .bind(id)
    .bind(event_type)
    .bind(now)
    .bind(sensitive)
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    Ok(())
}

const SUBSCRIPTION: &str = "SELECT s.*, coalesce((SELECT array_agg(e.event_type ORDER BY e.event_type) \
     FROM webhook_subscription_events e WHERE e.subscription_id = s.id), '{}') AS event_types \
     FROM webhook_subscriptions s";

fn subscription_from_row(row: &PgRow) -> Result<Subscription, sqlx::Error> {
    Ok(Subscription {
        id: SubscriptionId(row.try_get("id")?),
        url: row.try_get("url")?,
        event_types: row.try_get("event_types")?,
        description: row.try_get("description")?,
        include_sensitive: row.try_get("include_sensitive")?,
        enabled: row.try_get("enabled")?,
        created_by: row
            .try_get::<Option<Uuid>, _>("created_by")?
            .map(Into::into),
        created_at: row.try_get("created_at")?,
        disabled_at: row.try_get("disabled_at")?,
        version: row.try_get("version")?,
    })
}

fn event_from_row(row: &PgRow) -> Result<OutboxEvent, sqlx::Error> {
    Ok(OutboxEvent {
        id: row.try_get("id")?,
        event_type: row.try_get("event_type")?,
        payload: row.try_get("payload")?,
        created_at: row.try_get("created_at")?,
    })
}

impl PostgresStore {
    async fn load_subscription<'e, E>(
        executor: E,
        id: SubscriptionId,
    ) -> Result<Subscription, StoreError>
    where
        E: sqlx::Executor<'e, Database = Postgres>,
    {
        let row = sqlx::query(&format!("{SUBSCRIPTION} WHERE s.id = $1"))
            .bind(id.0)
            .fetch_optional(executor)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        subscription_from_row(&row).map_err(map_err)
    }
}

#[async_trait]
impl WebhookStore for PostgresStore {
    async fn create_subscription(
        &self,
        ctx: &AuditContext,
        new: NewSubscription,
    ) -> Result<Subscription, StoreError> {
        let id = SubscriptionId::new();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_subscriptions (id, url, secret, description, created_by, created_at, \
             include_sensitive) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.0)
        .bind(&new.url)
        .bind(&new.secret)
        .bind(&new.description)
        .bind(ctx.actor.map(|a| a.0))
        .bind(self.now())
        .bind(new.include_sensitive)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        for event_type in &new.event_types {
            sqlx::query(
                "INSERT INTO webhook_subscription_events (subscription_id, event_type) \
                 VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id.0)
            .bind(event_type)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        let change = Change {
            action: "webhook.subscription_created",
            target_type: "webhook_subscription",
            target_id: id.to_string(),
            summary: json!({ "url": new.url, "event_types": new.event_types }),
        };
        self.audit(&mut tx, ctx, change).await?;
        let subscription = Self::load_subscription(&mut *tx, id).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(subscription)
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(&format!("{SUBSCRIPTION} ORDER BY s.id"))
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(subscription_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn subscription(&self, id: SubscriptionId) -> Result<Subscription, StoreError> {
        Self::load_subscription(self.pool(), id).await
    }

    async fn disable_subscription(
        &self,
        ctx: &AuditContext,
        id: SubscriptionId,
    ) -> Result<Subscription, StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_subscriptions SET enabled = false, disabled_at = $1, version = version + 1 \
             WHERE id = $2 AND enabled",
        )
        .bind(self.now())
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 1 {
            let change = Change {
                action: "webhook.subscription_disabled",
                target_type: "webhook_subscription",
                target_id: id.to_string(),
                summary: json!({}),
            };
            self.audit(&mut tx, ctx, change).await?;
        }
        let subscription = Self::load_subscription(&mut *tx, id).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(subscription)
    }

    async fn outbox_events(&self, page: PageRequest) -> Result<Page<OutboxEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM webhook_events WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
        )
        .bind(page.after.map(|c| c.0))
        .bind(page.fetch_limit())
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        let events = rows
            .iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(events, page, |e| e.id))
    }

    async fn lease_deliveries(
        &self,
        worker: &str,
        lease: time::Duration,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let now = self.now();
        let rows = sqlx::query(
            "WITH due AS ( \
               SELECT d.event_id, d.subscription_id FROM webhook_deliveries d \
               JOIN webhook_subscriptions s ON s.id = d.subscription_id \
               WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND s.enabled \
                 AND (d.leased_until IS NULL OR d.leased_until < $1) \
               ORDER BY d.next_attempt_at LIMIT $2 \
               FOR UPDATE OF d SKIP LOCKED), \
             leased AS ( \
               UPDATE webhook_deliveries d SET leased_by = $3, leased_until = $4 FROM due \
               WHERE d.event_id = due.event_id AND d.subscription_id = due.subscription_id \
               RETURNING d.event_id, d.subscription_id, d.attempts) \
             SELECT e.id, e.event_type, e.payload, e.created_at, l.subscription_id, l.attempts, \
                    s.url, s.secret \
             FROM leased l JOIN webhook_events e ON e.id = l.event_id \
             JOIN webhook_subscriptions s ON s.id = l.subscription_id ORDER BY e.id",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(worker)
        .bind(now + lease)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(DueDelivery {
                    event: event_from_row(r)?,
                    subscription: SubscriptionId(r.try_get("subscription_id")?),
                    url: r.try_get("url")?,
                    secret: r.try_get("secret")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    async fn finish_delivery(
        &self,
        worker: &str,
        event: Uuid,
        subscription: SubscriptionId,
        result: AttemptResult,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let status = if result.delivered {
            "delivered"
        } else if result.retry_at.is_some() {
            "pending"
        } else {
            "failed"
        };
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, \
             next_attempt_at = coalesce($2, next_attempt_at), leased_by = NULL, leased_until = NULL, \
             last_status_code = $3, last_error = $4, \
             delivered_at = CASE WHEN $5 THEN $6 ELSE delivered_at END \
             WHERE event_id = $7 AND subscription_id = $8 AND leased_by = $9 AND status = 'pending'",
        )
        .bind(status)
        .bind(result.retry_at)
        .bind(result.status_code.map(i32::from))
        .bind(&result.error)
        .bind(result.delivered)
        .bind(now)
        .bind(event)
        .bind(subscription.0)
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the delivery's lease was lost".into()));
        }
        sqlx::query(
            "INSERT INTO webhook_attempts (id, event_id, subscription_id, at, status_code, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(event)
        .bind(subscription.0)
        .bind(now)
        .bind(result.status_code.map(i32::from))
        .bind(&result.error)
        .bind(result.duration_ms)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn deliveries(
        &self,
        subscription: SubscriptionId,
        page: PageRequest,
    ) -> Result<Page<DeliveryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.*, e.event_type FROM webhook_deliveries d \
             JOIN webhook_events e ON e.id = d.event_id \
             WHERE d.subscription_id = $1 AND ($2::uuid IS NULL OR d.event_id < $2) \
             ORDER BY d.event_id DESC LIMIT $3",
        )
        .bind(subscription.0)
        .bind(page.after.map(|c| c.0))
        .bind(page.fetch_limit())
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        let mut records = Vec::with_capacity(rows.len());
        for r in &rows {
            let event_id: Uuid = r.try_get("event_id").map_err(map_err)?;
            let attempts = sqlx::query(
                "SELECT at, status_code, error, duration_ms FROM webhook_attempts \
                 WHERE event_id = $1 AND subscription_id = $2 ORDER BY id",
            )
            .bind(event_id)
            .bind(subscription.0)
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
            let attempt_log = attempts
                .iter()
                .map(|a| {
                    Ok(AttemptRecord {
                        at: a.try_get("at")?,
                        status_code: a.try_get("status_code")?,
                        error: a.try_get("error")?,
                        duration_ms: a.try_get("duration_ms")?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()
                .map_err(map_err)?;
            records.push(
                (|| {
                    Ok::<_, sqlx::Error>(DeliveryRecord {
                        event_id,
                        event_type: r.try_get("event_type")?,
                        status: r.try_get("status")?,
                        attempts: r.try_get("attempts")?,
                        next_attempt_at: r.try_get("next_attempt_at")?,
                        last_status_code: r.try_get("last_status_code")?,
                        last_error: r.try_get("last_error")?,
                        delivered_at: r.try_get("delivered_at")?,
                        created_at: r.try_get("created_at")?,
                        attempt_log,
                    })
                })()
                .map_err(map_err)?,
            );
        }
        Ok(Page::from_rows(records, page, |d| d.event_id))
    }
}
