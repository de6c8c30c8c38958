//! E-mail notices to claimants on PostgreSQL: the outbox written with each
//! change, the claimant's switch, and leasing for the senders.
//!
//! Due notices are leased with `FOR UPDATE SKIP LOCKED`, so several
//! instances never send the same notice at once.

use crate::{PostgresStore, map_err};
use async_trait::async_trait;
use register::ClaimId;
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};
use store::notifications::{Notice, NoticeKind, NoticeSettings, NotificationStore, SendOutcome};
use store::{AuditContext, Change, StoreError};
use time::OffsetDateTime;
use uuid::Uuid;

/// Writes the notice of a change to `claim` inside the change's
/// transaction, if the claim gives an e-mail address and its claimant did
/// not switch notices off.
pub(crate) async fn write(
    tx: &mut Transaction<'static, Postgres>,
    claim: ClaimId,
    kind: NoticeKind,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO notices (id, claim_id, recipient, language, kind, reference, created_at, \
         next_attempt_at) \
         SELECT $1, id, contact_email, language, $2, reference, $3, $3 FROM claims \
         WHERE id = $4 AND email_notices AND contact_email IS NOT NULL",
    )
    .bind(Uuid::now_v7())
    .bind(kind.as_str())
    .bind(now)
    .bind(claim.0)
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// [`write`] for the claim of a Commission case.
pub(crate) async fn write_for_case(
    tx: &mut Transaction<'static, Postgres>,
    case: commission::CaseId,
    kind: NoticeKind,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let claim: Option<Uuid> = sqlx::query_scalar("SELECT claim_id FROM cases WHERE id = $1")
        .bind(case.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(map_err)?;
    match claim {
        Some(claim) => write(tx, ClaimId(claim), kind, now).await,
        None => Ok(()),
    }
}

fn notice_from_row(row: &PgRow) -> Result<Notice, sqlx::Error> {
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
impl NotificationStore for PostgresStore {
    async fn notice_settings(&self, claim: ClaimId) -> Result<NoticeSettings, StoreError> {
        let email: bool = sqlx::query_scalar("SELECT email_notices FROM claims WHERE id = $1")
            .bind(claim.0)
            .fetch_optional(self.pool())
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
        let done = sqlx::query(
            "UPDATE claims SET email_notices = $1 WHERE id = $2 AND email_notices <> $1",
        )
        .bind(settings.email)
        .bind(claim.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            // Unchanged, or no such claim.
            let exists: Option<bool> =
                sqlx::query_scalar("SELECT email_notices FROM claims WHERE id = $1")
                    .bind(claim.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
            exists.ok_or(StoreError::NotFound)?;
        } else {
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
        let rows = sqlx::query("SELECT * FROM notices WHERE claim_id = $1 ORDER BY id")
            .bind(claim.0)
            .fetch_all(self.pool())
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
        let now = self.now();
        let rows = sqlx::query(
            "WITH due AS ( \
               SELECT id FROM notices \
               WHERE status = 'pending' AND next_attempt_at <= $1 \
                 AND (leased_until IS NULL OR leased_until < $1) \
               ORDER BY next_attempt_at LIMIT $2 \
               FOR UPDATE SKIP LOCKED) \
             UPDATE notices n SET leased_by = $3, leased_until = $4 FROM due \
             WHERE n.id = due.id RETURNING n.*",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(worker)
        .bind(now + lease)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        let mut notices = rows
            .iter()
            .map(notice_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        notices.sort_by_key(|n| n.id);
        Ok(notices)
    }

    async fn finish_notice(
        &self,
        worker: &str,
        id: Uuid,
        outcome: SendOutcome,
    ) -> Result<(), StoreError> {
        let now = self.now();
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
        let done = sqlx::query(
            "UPDATE notices SET status = $1, attempts = attempts + 1, \
             next_attempt_at = coalesce($2, next_attempt_at), leased_by = NULL, leased_until = NULL, \
             last_error = coalesce($3, last_error), \
             sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END \
             WHERE id = $5 AND leased_by = $6 AND status = 'pending'",
        )
        .bind(status)
        .bind(retry_at)
        .bind(error)
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the notice's lease was lost".into()));
        }
        Ok(())
    }
}
