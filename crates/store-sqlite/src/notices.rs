//! E-mail notices to claimants on SQLite: the outbox written with each
//! change, the claimant's switch, and leasing for the senders.
//!
//! Leases are taken in a write transaction (SQLite's single writer), so
//! two workers never lease the same notice.

use crate::{SqliteStore, map_err, time_text};
use async_trait::async_trait;
use register::ClaimId;
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use store::notifications::{Notice, NoticeKind, NoticeSettings, NotificationStore, SendOutcome};
use store::{AuditContext, Change, StoreError};
use time::OffsetDateTime;
use uuid::Uuid;

/// Writes the notice of a change to `claim` inside the change's
/// transaction, if the claim gives an e-mail address and its claimant did
/// not switch notices off.
pub(crate) async fn write(
    tx: &mut Transaction<'static, Sqlite>,
    claim: ClaimId,
    kind: NoticeKind,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let at = time_text::encode(now);
    sqlx::query(
        "INSERT INTO notices (id, claim_id, recipient, language, kind, reference, created_at, \
         next_attempt_at) \
         SELECT ?1, id, contact_email, language, ?2, reference, ?3, ?3 FROM claims \
         WHERE id = ?4 AND email_notices AND contact_email IS NOT NULL",
    )
    .bind(Uuid::now_v7())
    .bind(kind.as_str())
    .bind(&at)
    .bind(claim.0)
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// [`write`] for the claim of a Commission case.
pub(crate) async fn write_for_case(
    tx: &mut Transaction<'static, Sqlite>,
    case: commission::CaseId,
    kind: NoticeKind,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let claim: Option<Uuid> = sqlx::query_scalar("SELECT claim_id FROM cases WHERE id = ?")
        .bind(case.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(map_err)?;
    match claim {
        Some(claim) => write(tx, ClaimId(claim), kind, now).await,
        None => Ok(()),
    }
}

fn notice_from_row(row: &SqliteRow) -> Result<Notice, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(Notice {
        id: row.try_get("id")?,
        claim: ClaimId(row.try_get("claim_id")?),
        recipient: row.try_get("recipient")?,
        language: row.try_get("language")?,
        kind: NoticeKind::from_text(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown notice kind {kind:?}").into()))?,
        reference: row.try_get("reference")?,
        created_at: row.try_get("created_at")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        sent_at: row.try_get("sent_at")?,
        last_error: row.try_get("last_error")?,
    })
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn notice_settings(&self, claim: ClaimId) -> Result<NoticeSettings, StoreError> {
        let email: bool = sqlx::query_scalar("SELECT email_notices FROM claims WHERE id = ?")
            .bind(claim.0)
            .fetch_optional(self.reader())
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        Ok(NoticeSettings { email })
    }

    async fn set_notice_settings(
        &self,
        ctx: &AuditContext,
        claim: ClaimId,
        settings: NoticeSettings,
    ) -> Result<NoticeSettings, StoreError> {
        let mut tx = self.begin().await?;
        let current: bool = sqlx::query_scalar("SELECT email_notices FROM claims WHERE id = ?")
            .bind(claim.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        if current != settings.email {
            sqlx::query("UPDATE claims SET email_notices = ? WHERE id = ?")
                .bind(settings.email)
                .bind(claim.0)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            let change = Change {
                action: "claim.notices_changed",
                target_type: "claim",
                target_id: claim.to_string(),
                summary: json!({ "email": settings.email }),
            };
            self.audit(&mut tx, ctx, change).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(settings)
    }

    async fn claim_notices(&self, claim: ClaimId) -> Result<Vec<Notice>, StoreError> {
        let rows = sqlx::query("SELECT * FROM notices WHERE claim_id = ? ORDER BY id")
            .bind(claim.0)
            .fetch_all(self.reader())
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(notice_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn lease_notices(
        &self,
        worker: &str,
        lease: time::Duration,
        limit: u32,
    ) -> Result<Vec<Notice>, StoreError> {
        let now = time_text::encode(self.now());
        let until = time_text::encode(self.now() + lease);
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "UPDATE notices SET leased_by = ?1, leased_until = ?2 \
             WHERE id IN ( \
               SELECT id FROM notices \
               WHERE status = 'pending' AND next_attempt_at <= ?3 \
                 AND (leased_until IS NULL OR leased_until < ?3) \
               ORDER BY next_attempt_at LIMIT ?4) \
             RETURNING *",
        )
        .bind(worker)
        .bind(&until)
        .bind(&now)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        let mut notices = rows
            .iter()
            .map(notice_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        notices.sort_by_key(|n| n.id);
        Ok(notices)
    }

    async fn finish_notice(
        &self,
        worker: &str,
        id: Uuid,
        outcome: SendOutcome,
    ) -> Result<(), StoreError> {
        let now = time_text::encode(self.now());
        let (status, retry_at, error) = match &outcome {
            SendOutcome::Sent => ("sent", None, None),
            SendOutcome::Failed {
                error,
                retry_at: Some(at),
            } => ("pending", Some(*at), Some(error.as_str())),
            SendOutcome::Failed {
                error,
                retry_at: None,
            } => ("failed", None, Some(error.as_str())),
        };
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE notices SET status = ?1, attempts = attempts + 1, \
             next_attempt_at = coalesce(?2, next_attempt_at), leased_by = NULL, leased_until = NULL, \
             last_error = coalesce(?3, last_error), \
             sent_at = CASE WHEN ?1 = 'sent' THEN ?4 ELSE sent_at END \
             WHERE id = ?5 AND leased_by = ?6 AND status = 'pending'",
        )
        .bind(status)
        .bind(time_text::encode_opt(retry_at))
        .bind(error)
        .bind(&now)
        .bind(id)
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the notice's lease was lost".into()));
        }
        tx.commit().await.map_err(map_err)
    }
}
