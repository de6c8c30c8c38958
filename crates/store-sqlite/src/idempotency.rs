//! Idempotency keys on SQLite.
//!
//! `begin_request` runs in one `BEGIN IMMEDIATE` transaction: the writer
//! lock makes the insert-if-absent, the read of an existing row and its
//! takeover one atomic step, across every process using the file.
//! Bookkeeping only: nothing here writes the audit log.

use crate::{SqliteStore, map_err, time_text};
use async_trait::async_trait;
use kernel::id::AccountId;
use sqlx::Row;
use store::{Begin, IdempotencyStore, KEY_RETENTION, StoreError, StoredResponse};
use time::{Duration, OffsetDateTime};

fn headers_to_json(headers: &[(String, String)]) -> String {
    serde_json::to_string(headers).unwrap_or_else(|_| "[]".to_owned())
}

fn headers_from_json(text: Option<&str>) -> Result<Vec<(String, String)>, StoreError> {
    text.map_or_else(
        || Ok(Vec::new()),
        |t| serde_json::from_str(t).map_err(StoreError::internal),
    )
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn begin_request(
        &self,
        account: AccountId,
        key: &str,
        fingerprint: &[u8; 32],
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Begin, StoreError> {
        let now_text = time_text::encode(now);
        let locked_until = time_text::encode(now + lease);
        let expires_at = time_text::encode(now + KEY_RETENTION);
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, state, \
             created_at, locked_until, expires_at) VALUES (?, ?, ?, 'in_flight', ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(account.0)
        .bind(key)
        .bind(&fingerprint[..])
        .bind(&now_text)
        .bind(&locked_until)
        .bind(&expires_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if inserted.rows_affected() == 1 {
            tx.commit().await.map_err(map_err)?;
            return Ok(Begin::Proceed);
        }
        let row = sqlx::query(
            "SELECT fingerprint, state, response_status, response_headers, response_body, \
             locked_until, expires_at, effect_type, effect_id FROM idempotency_keys \
             WHERE account_id = ? AND idempotency_key = ?",
        )
        .bind(account.0)
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let stored_fingerprint: Vec<u8> = row.try_get("fingerprint").map_err(map_err)?;
        let state: String = row.try_get("state").map_err(map_err)?;
        let row_lease: String = row.try_get("locked_until").map_err(map_err)?;
        let row_expiry: String = row.try_get("expires_at").map_err(map_err)?;
        // Fixed-width text compares like the times it encodes.
        let expired = row_expiry <= now_text;
        let decision = if expired {
            // Forgotten, even if not purged yet: the key starts afresh.
            sqlx::query(
                "UPDATE idempotency_keys SET fingerprint = ?, state = 'in_flight', \
                 response_status = NULL, response_headers = NULL, response_body = NULL, \
                 effect_type = NULL, effect_id = NULL, \
                 created_at = ?, locked_until = ?, expires_at = ? \
                 WHERE account_id = ? AND idempotency_key = ?",
            )
            .bind(&fingerprint[..])
            .bind(&now_text)
            .bind(&locked_until)
            .bind(&expires_at)
            .bind(account.0)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            Begin::Proceed
        } else if stored_fingerprint != fingerprint[..] {
            Begin::Mismatch
        } else if state == "completed" {
            let status: i64 = row.try_get("response_status").map_err(map_err)?;
            let headers: Option<String> = row.try_get("response_headers").map_err(map_err)?;
            let body: Option<Vec<u8>> = row.try_get("response_body").map_err(map_err)?;
            Begin::Replay(StoredResponse {
                status: u16::try_from(status).map_err(StoreError::internal)?,
                headers: headers_from_json(headers.as_deref())?,
                body: body.unwrap_or_default(),
            })
        } else if row_lease > now_text {
            Begin::InFlight
        } else {
            // The holder's lease ran out (its instance died): take over.
            sqlx::query(
                "UPDATE idempotency_keys SET locked_until = ? \
                 WHERE account_id = ? AND idempotency_key = ? AND state = 'in_flight'",
            )
            .bind(&locked_until)
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
        Ok(decision)
    }

    async fn complete(
        &self,
        account: AccountId,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE idempotency_keys SET state = 'completed', response_status = ?, \
             response_headers = ?, response_body = ? \
             WHERE account_id = ? AND idempotency_key = ? AND state = 'in_flight'",
        )
        .bind(i64::from(response.status))
        .bind(headers_to_json(&response.headers))
        .bind(&response.body)
        .bind(account.0)
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn abandon(&self, account: AccountId, key: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "DELETE FROM idempotency_keys \
             WHERE account_id = ? AND idempotency_key = ? AND state = 'in_flight' \
             AND effect_type IS NULL",
        )
        .bind(account.0)
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        // The change was made: end the lease so that a retry hears of it.
        sqlx::query(
            "UPDATE idempotency_keys SET locked_until = created_at \
             WHERE account_id = ? AND idempotency_key = ? AND state = 'in_flight'",
        )
        .bind(account.0)
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= ?")
            .bind(time_text::encode(now))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(done.rows_affected())
    }
}
