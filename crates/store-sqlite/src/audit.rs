use crate::{SqliteStore, map_err, time_text};
use async_trait::async_trait;
use kernel::{Page, PageRequest};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use store::{AuditEntry, AuditFilter, StoreError};

pub(crate) async fn append(
    tx: &mut Transaction<'static, Sqlite>,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, actor_role, on_behalf_of, action, target_type, \
         target_id, summary, reason, request_id, idempotency_key) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry.id.0)
    .bind(time_text::encode(entry.at))
    .bind(entry.actor.map(|a| a.0))
    .bind(&entry.actor_role)
    .bind(&entry.on_behalf_of)
    .bind(&entry.action)
    .bind(&entry.target_type)
    .bind(&entry.target_id)
    .bind(entry.summary.to_string())
    .bind(&entry.reason)
    .bind(&entry.request_id)
    .bind(&entry.idempotency_key)
    .execute(&mut **tx)
    .await
    .map(drop)
    .map_err(map_err)
}

fn entry_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<AuditEntry, sqlx::Error> {
    let summary: String = row.try_get("summary")?;
    Ok(AuditEntry {
        id: row.try_get::<uuid::Uuid, _>("id")?.into(),
        at: row.try_get("at")?,
        actor: row
            .try_get::<Option<uuid::Uuid>, _>("actor")?
            .map(Into::into),
        actor_role: row.try_get("actor_role")?,
        on_behalf_of: row.try_get("on_behalf_of")?,
        action: row.try_get("action")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        summary: serde_json::from_str(&summary).map_err(|e| sqlx::Error::Decode(e.into()))?,
        reason: row.try_get("reason")?,
        request_id: row.try_get("request_id")?,
        idempotency_key: row.try_get("idempotency_key")?,
    })
}

#[async_trait]
impl store::AuditStore for SqliteStore {
    async fn record_event(
        &self,
        ctx: &store::AuditContext,
        event: store::Change,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        self.audit(&mut tx, ctx, event).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn audit_entries(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM audit_log WHERE 1 = 1");
        if let Some(t) = &filter.target_type {
            q.push(" AND target_type = ").push_bind(t.clone());
        }
        if let Some(t) = &filter.target_id {
            q.push(" AND target_id = ").push_bind(t.clone());
        }
        if let Some(a) = filter.actor {
            q.push(" AND actor = ").push_bind(a.0);
        }
        if let Some(a) = &filter.action {
            q.push(" AND action = ").push_bind(a.clone());
        }
        if let Some(after) = page.after {
            q.push(" AND id > ").push_bind(after.0);
        }
        q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
        let rows = q.build().fetch_all(self.reader()).await.map_err(map_err)?;
        let entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(entries, page, |e| e.id.0))
    }
}
