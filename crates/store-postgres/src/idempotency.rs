//! Idempotency keys on PostgreSQL.
//!
//! `begin_request` is one transaction: `INSERT ... ON CONFLICT DO NOTHING`
//! (which waits for a concurrent insert of the same key to commit or roll
//! back), then `SELECT ... FOR UPDATE` of the existing row, so that only one
//! of several instances racing for an expired lease takes it over.
//! Bookkeeping only: nothing here writes the audit log.
//!
//! `begin_request` and `complete` commit without waiting for their WAL flush
//! (`synchronous_commit = off`): two of every request's commits would
//! otherwise each wait for the disk. What a crash can lose is safe to lose.
//! A lost `begin_request` went with a change that never committed, because
//! the change's durable commit comes later in the WAL and carries the begin
//! with it. A lost `complete` leaves the key in flight with the change
//! recorded on it (by the change's own transaction), so the retry is
//! answered 303 to the result; it is never run twice.

use crate::{PostgresStore, map_err};
use async_trait::async_trait;
use kernel::id::AccountId;
use sqlx::Row;
use store::{Begin, IdempotencyStore, KEY_RETENTION, StoreError, StoredResponse};
use time::{Duration, OffsetDateTime};

/// How often `begin_request` retries when the row it found a conflict with
/// was deleted (abandoned) before it could be read.
const ATTEMPTS: usize = 3;

#[async_trait]
impl IdempotencyStore for PostgresStore {
    async fn begin_request(
        &self,
        account: AccountId,
        key: &str,
        fingerprint: &[u8; 32],
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Begin, StoreError> {
        for _ in 0..ATTEMPTS {
            if let Some(decision) = self
                .try_begin(account, key, fingerprint, now, lease)
                .await?
            {
                return Ok(decision);
            }
        }
        Err(StoreError::internal(std::io::Error::other(
            "idempotency key kept changing under begin_request",
        )))
    }

    async fn complete(
        &self,
        account: AccountId,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let headers = serde_json::to_value(&response.headers).map_err(StoreError::internal)?;
        let mut tx = self.begin().await?;
        asynchronous_commit(&mut tx).await?;
        sqlx::query(
            "UPDATE idempotency_keys SET state = 'completed', response_status = $1, \
             response_headers = $2, response_body = $3 \
             WHERE account_id = $4 AND idempotency_key = $5 AND state = 'in_flight'",
        )
        .bind(i16::try_from(response.status).map_err(StoreError::internal)?)
        .bind(headers)
        .bind(&response.body)
        .bind(account.0)
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn abandon(&self, account: AccountId, key: &str) -> Result<(), StoreError> {
        sqlx::query(
            "WITH done AS (UPDATE idempotency_keys SET locked_until = created_at \
             WHERE account_id = $1 AND idempotency_key = $2 AND state = 'in_flight' \
             AND effect_type IS NOT NULL) \
             DELETE FROM idempotency_keys \
             WHERE account_id = $1 AND idempotency_key = $2 AND state = 'in_flight' \
             AND effect_type IS NULL",
        )
        .bind(account.0)
        .bind(key)
        .execute(self.pool())
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await
            .map(|done| done.rows_affected())
            .map_err(map_err)
    }
}

/// Lets the transaction commit without waiting for its WAL flush (see the
/// module documentation for why that is safe here).
async fn asynchronous_commit(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
) -> Result<(), StoreError> {
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut **tx)
        .await
        .map(drop)
        .map_err(map_err)
}

impl PostgresStore {
    /// One attempt; `None` when the conflicting row vanished meanwhile.
    async fn try_begin(
        &self,
        account: AccountId,
        key: &str,
        fingerprint: &[u8; 32],
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<Begin>, StoreError> {
        let mut tx = self.begin().await?;
        asynchronous_commit(&mut tx).await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, state, \
             created_at, locked_until, expires_at) VALUES ($1, $2, $3, 'in_flight', $4, $5, $6) \
             ON CONFLICT DO NOTHING",
        )
        .bind(account.0)
        .bind(key)
        .bind(&fingerprint[..])
        .bind(now)
        .bind(now + lease)
        .bind(now + KEY_RETENTION)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if inserted.rows_affected() == 1 {
            tx.commit().await.map_err(map_err)?;
            return Ok(Some(Begin::Proceed));
        }
        let Some(row) = sqlx::query(
            "SELECT fingerprint, state, response_status, response_headers, response_body, \
             locked_until, expires_at, effect_type, effect_id FROM idempotency_keys \
             WHERE account_id = $1 AND idempotency_key = $2 FOR UPDATE",
        )
        .bind(account.0)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?
        else {
            return Ok(None);
        };
        let stored_fingerprint: Vec<u8> = row.try_get("fingerprint").map_err(map_err)?;
        let state: String = row.try_get("state").map_err(map_err)?;
        let row_lease: OffsetDateTime = row.try_get("locked_until").map_err(map_err)?;
        let row_expiry: OffsetDateTime = row.try_get("expires_at").map_err(map_err)?;
        let decision = if row_expiry <= now {
            // Forgotten, even if not purged yet: the key starts afresh.
            sqlx::query(
                "UPDATE idempotency_keys SET fingerprint = $1, state = 'in_flight', \
                 response_status = NULL, response_headers = NULL, response_body = NULL, \
                 effect_type = NULL, effect_id = NULL, \
                 created_at = $2, locked_until = $3, expires_at = $4 \
                 WHERE account_id = $5 AND idempotency_key = $6",
            )
            .bind(&fingerprint[..])
            .bind(now)
            .bind(now + lease)
            .bind(now + KEY_RETENTION)
            .bind(account.0)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            Begin::Proceed
        } else if stored_fingerprint != fingerprint[..] {
            Begin::Mismatch
        } else if state == "completed" {
            let status: i16 = row.try_get("response_status").map_err(map_err)?;
            let headers: Option<serde_json::Value> =
                row.try_get("response_headers").map_err(map_err)?;
            let body: Option<Vec<u8>> = row.try_get("response_body").map_err(map_err)?;
            Begin::Replay(StoredResponse {
                status: u16::try_from(status).map_err(StoreError::internal)?,
                headers: headers
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(StoreError::internal)?
                    .unwrap_or_default(),
                body: body.unwrap_or_default(),
            })
        } else if row_lease > now {
            Begin::InFlight
        } else {
            // The holder's lease ran out (its instance died): take over.
            sqlx::query(
                "UPDATE idempotency_keys SET locked_until = $1 \
                 WHERE account_id = $2 AND idempotency_key = $3 AND state = 'in_flight'",
            )
            .bind(now + lease)
            .bind(account.0)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            let effect_type: Option<String> = row.try_get("effect_type").map_err(map_err)?;
            let effect_id: Option<String> = row.try_get("effect_id").map_err(map_err)?;
            match (effect_type, effect_id) {
                (Some(target_type), Some(target_id)) => Begin::Committed {
                    target_type,
                    target_id,
                },
                _ => Begin::Proceed,
            }
        };
        tx.commit().await.map_err(map_err)?;
        Ok(Some(decision))
    }
}
