use crate::{SqliteStore, map_err, time_text};
use async_trait::async_trait;
use kernel::{Page, PageRequest};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};
use store::audit::{ChainHash, ChainHead, ChainReport, ChainVerifier, VERIFY_PAGE};
use store::{AuditContext, AuditEntry, AuditFilter, Change, StoreError};
use time::OffsetDateTime;

/// Reads the chain head inside the writing transaction. The single write
/// connection and `BEGIN IMMEDIATE` already serialise writers, so the head
/// cannot move until this transaction ends.
async fn head(tx: &mut Transaction<'static, Sqlite>) -> Result<ChainHead, StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_chain_head WHERE id = 1")
        .fetch_one(&mut **tx)
        .await
        .map_err(map_err)?;
    Ok(ChainHead {
        seq: row.try_get("seq").map_err(map_err)?,
        hash: to_hash(&row.try_get::<Vec<u8>, _>("hash").map_err(map_err)?).map_err(map_err)?,
        at: None,
    })
}

async fn set_head(
    tx: &mut Transaction<'static, Sqlite>,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE audit_chain_head SET seq = ?, hash = ? WHERE id = 1")
        .bind(entry.seq)
        .bind(&entry.hash[..])
        .execute(&mut **tx)
        .await
        .map(drop)
        .map_err(map_err)
}

/// Appends the entry of a change at the head of the chain, inside the
/// change's transaction. The time is read once the head is held, so `seq`
/// order is also time order.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Sqlite>,
    ctx: &AuditContext,
    change: Change,
    now: impl FnOnce() -> OffsetDateTime + Send,
) -> Result<(), StoreError> {
    let head = head(tx).await?;
    let mut entry = AuditEntry::new(ctx, change, now());
    entry.link(&head);
    sqlx::query(
        "INSERT INTO audit_log (id, seq, at, actor, actor_role, on_behalf_of, action, \
         target_type, target_id, summary, reason, request_id, idempotency_key, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry.id.0)
    .bind(entry.seq)
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
    .bind(&entry.prev_hash[..])
    .bind(&entry.hash[..])
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    mark_effect(tx, &entry).await?;
    set_head(tx, &entry).await
}

/// Records on the request's idempotency key what it changed, in the
/// change's transaction (see `IdempotencyStore::begin_request`).
async fn mark_effect(
    tx: &mut Transaction<'static, Sqlite>,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    let (Some(actor), Some(key)) = (entry.actor, entry.idempotency_key.as_deref()) else {
        return Ok(());
    };
    sqlx::query(
        "UPDATE idempotency_keys SET effect_type = ?, effect_id = ? \
         WHERE account_id = ? AND idempotency_key = ? AND state = 'in_flight' \
         AND effect_type IS NULL",
    )
    .bind(&entry.target_type)
    .bind(&entry.target_id)
    .bind(actor.0)
    .bind(key)
    .execute(&mut **tx)
    .await
    .map(drop)
    .map_err(map_err)
}

/// Appends the entries of many changes (a bulk import's chunk) in one
/// pass: the head is read and written once and the rows go in multi-row
/// inserts, so the chain costs the chunk a few statements, not three per
/// entry.
pub(crate) async fn append_many(
    tx: &mut Transaction<'static, Sqlite>,
    ctx: &AuditContext,
    changes: Vec<Change>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    // 15 columns: 500 rows stay well under SQLite's 32,766 bound parameters.
    const ROWS_PER_INSERT: usize = 500;
    if changes.is_empty() {
        return Ok(());
    }
    let mut head = head(tx).await?;
    let mut entries = Vec::with_capacity(changes.len());
    for change in changes {
        let mut entry = AuditEntry::new(ctx, change, now);
        entry.link(&head);
        head = ChainHead {
            seq: entry.seq,
            hash: entry.hash,
            at: None,
        };
        entries.push(entry);
    }
    for part in entries.chunks(ROWS_PER_INSERT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO audit_log (id, seq, at, actor, actor_role, on_behalf_of, action, \
             target_type, target_id, summary, reason, request_id, idempotency_key, prev_hash, hash) ",
        );
        q.push_values(part, |mut b, e| {
            b.push_bind(e.id.0)
                .push_bind(e.seq)
                .push_bind(time_text::encode(e.at))
                .push_bind(e.actor.map(|a| a.0))
                .push_bind(e.actor_role.clone())
                .push_bind(e.on_behalf_of.clone())
                .push_bind(e.action.clone())
                .push_bind(e.target_type.clone())
                .push_bind(e.target_id.clone())
                .push_bind(e.summary.to_string())
                .push_bind(e.reason.clone())
                .push_bind(e.request_id.clone())
                .push_bind(e.idempotency_key.clone())
                .push_bind(e.prev_hash.to_vec())
                .push_bind(e.hash.to_vec());
        });
        q.build().execute(&mut **tx).await.map_err(map_err)?;
    }
    match entries.last() {
        Some(last) => set_head(tx, last).await,
        None => Ok(()),
    }
}

/// Gives entries written before the chain existed (seq null) their place,
/// in id order, in one transaction. Returns how many were chained.
pub(crate) async fn chain_unchained(write: &SqlitePool) -> Result<u64, StoreError> {
    let pending: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM audit_log WHERE seq IS NULL LIMIT 1")
            .fetch_optional(write)
            .await
            .map_err(map_err)?;
    if pending.is_none() {
        return Ok(0);
    }
    let mut tx = write.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
    let mut head = head(&mut tx).await?;
    let mut chained = 0;
    loop {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT ?")
            .bind(VERIFY_PAGE)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let mut entry = entry_from_row(row).map_err(map_err)?;
            entry.link(&head);
            sqlx::query("UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?")
                .bind(entry.seq)
                .bind(&entry.prev_hash[..])
                .bind(&entry.hash[..])
                .bind(entry.id.0)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            head = ChainHead {
                seq: entry.seq,
                hash: entry.hash,
                at: Some(entry.at),
            };
            chained += 1;
        }
    }
    sqlx::query("UPDATE audit_chain_head SET seq = ?, hash = ? WHERE id = 1")
        .bind(head.seq)
        .bind(&head.hash[..])
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    tx.commit().await.map_err(map_err)?;
    tracing::info!(
        entries = chained,
        "audit entries written before the chain were chained"
    );
    Ok(chained)
}

fn to_hash(bytes: &[u8]) -> Result<ChainHash, sqlx::Error> {
    ChainHash::try_from(bytes).map_err(|_| {
        sqlx::Error::Decode(format!("hash of {} bytes, expected 32", bytes.len()).into())
    })
}

fn entry_from_row(row: &SqliteRow) -> Result<AuditEntry, sqlx::Error> {
    let summary: String = row.try_get("summary")?;
    Ok(AuditEntry {
        id: row.try_get::<uuid::Uuid, _>("id")?.into(),
        seq: row.try_get::<Option<i64>, _>("seq")?.unwrap_or(0),
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
        prev_hash: row
            .try_get::<Option<Vec<u8>>, _>("prev_hash")?
            .as_deref()
            .map_or(Ok(store::audit::GENESIS), to_hash)?,
        hash: row
            .try_get::<Option<Vec<u8>>, _>("hash")?
            .as_deref()
            .map_or(Ok(store::audit::GENESIS), to_hash)?,
    })
}

#[async_trait]
impl store::AuditStore for SqliteStore {
    async fn record_event(&self, ctx: &AuditContext, event: Change) -> Result<(), StoreError> {
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
        if let Some(seq) = filter.seq {
            q.push(" AND seq = ").push_bind(seq);
        }
        if let Some(from) = filter.from {
            q.push(" AND at >= ").push_bind(time_text::encode(from));
        }
        if let Some(to) = filter.to {
            q.push(" AND at < ").push_bind(time_text::encode(to));
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

    async fn chain_head(&self) -> Result<ChainHead, StoreError> {
        let row = sqlx::query(
            "SELECT h.seq AS seq, h.hash AS hash, a.at AS at FROM audit_chain_head h \
             LEFT JOIN audit_log a ON a.seq = h.seq WHERE h.id = 1",
        )
        .fetch_one(self.reader())
        .await
        .map_err(map_err)?;
        Ok(ChainHead {
            seq: row.try_get("seq").map_err(map_err)?,
            hash: to_hash(&row.try_get::<Vec<u8>, _>("hash").map_err(map_err)?).map_err(map_err)?,
            at: row.try_get("at").map_err(map_err)?,
        })
    }

    async fn verify_chain(&self) -> Result<ChainReport, StoreError> {
        let mut verifier = ChainVerifier::new();
        // Keyset over (seq, id) so that even duplicate seqs (possible only
        // if the unique index was dropped) are all seen.
        let mut after: Option<(i64, uuid::Uuid)> = None;
        // The head as read before the latest page query, once the end of
        // the log has been reached.
        let mut head_before: Option<ChainHead> = None;
        loop {
            let rows = match after {
                None => sqlx::query(
                    "SELECT * FROM audit_log WHERE seq IS NOT NULL ORDER BY seq, id LIMIT ?",
                )
                .bind(VERIFY_PAGE),
                Some((seq, id)) => sqlx::query(
                    "SELECT * FROM audit_log WHERE seq IS NOT NULL AND (seq, id) > (?, ?) \
                     ORDER BY seq, id LIMIT ?",
                )
                .bind(seq)
                .bind(id)
                .bind(VERIFY_PAGE),
            }
            .fetch_all(self.reader())
            .await
            .map_err(map_err)?;
            for row in &rows {
                let seq: i64 = row.try_get("seq").map_err(map_err)?;
                let id: uuid::Uuid = row.try_get("id").map_err(map_err)?;
                let checked = match entry_from_row(row) {
                    Ok(entry) => verifier.check(&entry),
                    Err(e) => Err(verifier.unreadable(seq, Some(id.into()), e.to_string())),
                };
                if let Err(broken) = checked {
                    return Ok(ChainReport::Broken { broken });
                }
                after = Some((seq, id));
            }
            if i64::try_from(rows.len()).unwrap_or(i64::MAX) == VERIFY_PAGE {
                head_before = None;
                continue;
            }
            if let Some(head) = head_before.take().filter(|_| rows.is_empty()) {
                return self.finish_verify(verifier, &head).await;
            }
            // The end of the log as of that read. A head further on means
            // entries were appended since (or deleted): read once more.
            let head = self.chain_head().await?;
            if head.seq <= verifier.last().seq {
                return self.finish_verify(verifier, &head).await;
            }
            head_before = Some(head);
        }
    }
}

impl SqliteStore {
    async fn finish_verify(
        &self,
        verifier: ChainVerifier,
        head: &ChainHead,
    ) -> Result<ChainReport, StoreError> {
        let unchained: Option<uuid::Uuid> =
            sqlx::query_scalar("SELECT id FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT 1")
                .fetch_optional(self.reader())
                .await
                .map_err(map_err)?;
        if let Some(id) = unchained {
            return Ok(ChainReport::Broken {
                broken: store::audit::BrokenLink {
                    seq: verifier.last().seq + 1,
                    entry: Some(id.into()),
                    problem: store::audit::ChainProblem::Unchained,
                },
            });
        }
        Ok(verifier.finish((head.seq, head.hash)))
    }
}

#[cfg(any(test, feature = "testing"))]
#[async_trait]
impl store::audit::TamperForTests for SqliteStore {
    async fn tamper_for_tests(&self, sql: &str) {
        sqlx::raw_sql(
            "DROP TRIGGER IF EXISTS audit_log_no_update; \
             DROP TRIGGER IF EXISTS audit_log_no_delete;",
        )
        .execute(&self.write)
        .await
        .expect("drop the audit triggers");
        sqlx::raw_sql(sql)
            .execute(&self.write)
            .await
            .expect("tamper with the audit log");
    }
}
