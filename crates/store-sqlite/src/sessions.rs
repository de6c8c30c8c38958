use crate::{SqliteStore, map_err, time_text};
use async_trait::async_trait;
use kernel::id::{AccountId, TokenId};
use serde_json::json;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use store::{
    AccountStore, AuditContext, Change, NewWebSession, SessionLookup, SessionStore, StoreError,
    TokenRecord, WebSession, WebSessionId,
};
use time::OffsetDateTime;

const COLUMNS: &str = "s.id, s.account_id, s.token_id, s.csrf_token, s.created_at, \
    s.last_seen_at, s.expires_at, t.label, t.created_at AS token_created_at, \
    t.expires_at AS token_expires_at, t.revoked_at, t.last_used_at";

fn session_from_row(row: &SqliteRow) -> Result<(WebSession, Option<TokenRecord>), sqlx::Error> {
    let account: AccountId = row.try_get::<uuid::Uuid, _>("account_id")?.into();
    let token_id: Option<TokenId> = row
        .try_get::<Option<uuid::Uuid>, _>("token_id")?
        .map(Into::into);
    let session = WebSession {
        id: WebSessionId(row.try_get("id")?),
        account,
        token: token_id,
        csrf_token: row.try_get("csrf_token")?,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
    };
    let token = match token_id {
        Some(id) => Some(TokenRecord {
            id,
            account,
            label: row.try_get("label")?,
            created_at: row.try_get("token_created_at")?,
            expires_at: row.try_get("token_expires_at")?,
            revoked_at: row.try_get("revoked_at")?,
            last_used_at: row.try_get("last_used_at")?,
        }),
        None => None,
    };
    Ok((session, token))
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_web_session(
        &self,
        ctx: &AuditContext,
        new: NewWebSession,
    ) -> Result<WebSession, StoreError> {
        let id = WebSessionId::new();
        let now = self.now();
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM web_sessions WHERE expires_at < ?")
            .bind(time_text::encode(now))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        // One session per account: signing in again ends the earlier ones,
        // so a cookie left behind on another machine stops working.
        let replaced = sqlx::query("DELETE FROM web_sessions WHERE account_id = ?")
            .bind(new.account.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected();
        sqlx::query(
            "INSERT INTO web_sessions (id, secret_hash, account_id, token_id, csrf_token, \
             created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.0)
        .bind(&new.secret_hash[..])
        .bind(new.account.0)
        .bind(new.token.map(|t| t.0))
        .bind(&new.csrf_token)
        .bind(time_text::encode(now))
        .bind(time_text::encode(now))
        .bind(time_text::encode(new.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = Change {
            action: "session.started",
            target_type: "account",
            target_id: new.account.to_string(),
            summary: json!({ "session": id, "token": new.token, "sessions_ended": replaced }),
        };
        self.audit(&mut tx, ctx, change).await?;
        tx.commit().await.map_err(map_err)?;
        // Read back: the database keeps times to the microsecond.
        self.web_session(&new.secret_hash)
            .await
            .map(|found| found.session)
    }

    async fn web_session(&self, secret_hash: &[u8; 32]) -> Result<SessionLookup, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM web_sessions s \
             LEFT JOIN api_tokens t ON t.id = s.token_id WHERE s.secret_hash = ?"
        ))
        .bind(&secret_hash[..])
        .fetch_one(self.reader())
        .await
        .map_err(map_err)?;
        let (session, token) = session_from_row(&row).map_err(map_err)?;
        let account = self.account(session.account).await?;
        Ok(SessionLookup {
            session,
            account,
            token,
        })
    }

    async fn touch_web_session(
        &self,
        id: WebSessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let cutoff = at - time::Duration::minutes(1);
        sqlx::query("UPDATE web_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?")
            .bind(time_text::encode(at))
            .bind(id.0)
            .bind(time_text::encode(cutoff))
            .execute(&self.write)
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn end_web_session(
        &self,
        ctx: &AuditContext,
        id: WebSessionId,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let account: Option<uuid::Uuid> =
            sqlx::query_scalar("DELETE FROM web_sessions WHERE id = ? RETURNING account_id")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
        if let Some(account) = account {
            let change = Change {
                action: "session.ended",
                target_type: "account",
                target_id: AccountId(account).to_string(),
                summary: json!({ "session": id }),
            };
            self.audit(&mut tx, ctx, change).await?;
        }
        tx.commit().await.map_err(map_err)
    }
}
