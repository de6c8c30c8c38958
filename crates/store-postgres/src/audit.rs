use crate::{PostgresStore, map_err};
use async_trait::async_trait;
use kernel::{Page, PageRequest};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row, Transaction};
use store::audit::{ChainHash, ChainHead, ChainReport, ChainVerifier, VERIFY_PAGE};
use store::{AuditContext, AuditEntry, AuditFilter, Change, StoreError};
use time::OffsetDateTime;

/// Locks the chain head for the rest of the writing transaction. Every
/// append takes this lock, so audit writes are serialised across
/// connections and server instances and the chain cannot fork; the lock is
/// held only from the audit write to the commit (store methods audit last).
async fn lock_head(tx: &mut Transaction<'static, Postgres>) -> Result<ChainHead, StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE")
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
    tx: &mut Transaction<'static, Postgres>,
    head: &ChainHead,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(head.seq)
        .bind(&head.hash[..])
        .execute(&mut **tx)
        .await
        .map(drop)
        .map_err(map_err)
}

/// Writes the entry of a change, inside the change's transaction, without
/// its place in the chain: [`chain_pending`] gives it `seq`, `prev_hash`
/// and `hash` shortly after. Taking the chain head here would hold one row
/// lock across every writer's commit, so that no two commits could share a
/// WAL flush (about 200 claims a second on a 5 ms fdatasync, whatever the
/// hardware); unchained, writers only contend where their data does.
///
/// A request with an `Idempotency-Key` also records, in the same statement,
/// what it changed on its key (see `IdempotencyStore::begin_request`).
pub(crate) async fn append(
    tx: &mut Transaction<'static, Postgres>,
    ctx: &AuditContext,
    change: Change,
    now: impl FnOnce() -> OffsetDateTime + Send,
) -> Result<(), StoreError> {
    let entry = AuditEntry::new(ctx, change, now());
    sqlx::query(
        "WITH effect AS (UPDATE idempotency_keys SET effect_type = $7, effect_id = $8 \
         WHERE account_id = $3 AND idempotency_key = $12 AND state = 'in_flight' \
         AND effect_type IS NULL) \
         INSERT INTO audit_log (id, at, actor, actor_role, on_behalf_of, action, \
         target_type, target_id, summary, reason, request_id, idempotency_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(entry.id.0)
    .bind(entry.at)
    .bind(entry.actor.map(|a| a.0))
    .bind(&entry.actor_role)
    .bind(&entry.on_behalf_of)
    .bind(&entry.action)
    .bind(&entry.target_type)
    .bind(&entry.target_id)
    .bind(&entry.summary)
    .bind(&entry.reason)
    .bind(&entry.request_id)
    .bind(&entry.idempotency_key)
    .execute(&mut **tx)
    .await
    .map(drop)
    .map_err(map_err)
}

/// Appends the entries of many changes (a bulk import's chunk) in one
/// pass: the head is locked, read and written once and the rows go in
/// multi-row inserts. Called last in its transaction, so the head lock is
/// held only for these inserts and the commit.
pub(crate) async fn append_many(
    tx: &mut Transaction<'static, Postgres>,
    ctx: &AuditContext,
    changes: Vec<Change>,
    now: impl FnOnce() -> OffsetDateTime + Send,
) -> Result<(), StoreError> {
    // 15 columns: 1,000 rows stay under PostgreSQL's 65,535 bound parameters.
    const ROWS_PER_INSERT: usize = 1000;
    if changes.is_empty() {
        return Ok(());
    }
    let mut head = lock_head(tx).await?;
    let now = now();
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
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO audit_log (id, seq, at, actor, actor_role, on_behalf_of, action, \
             target_type, target_id, summary, reason, request_id, idempotency_key, prev_hash, hash) ",
        );
        q.push_values(part, |mut b, e| {
            b.push_bind(e.id.0)
                .push_bind(e.seq)
                .push_bind(e.at)
                .push_bind(e.actor.map(|a| a.0))
                .push_bind(e.actor_role.clone())
                .push_bind(e.on_behalf_of.clone())
                .push_bind(e.action.clone())
                .push_bind(e.target_type.clone())
                .push_bind(e.target_id.clone())
                .push_bind(e.summary.clone())
                .push_bind(e.reason.clone())
                .push_bind(e.request_id.clone())
                .push_bind(e.idempotency_key.clone())
                .push_bind(e.prev_hash.to_vec())
                .push_bind(e.hash.to_vec());
        });
        q.build().execute(&mut **tx).await.map_err(map_err)?;
    }
    set_head(tx, &head).await
}

/// How [`chain_pending`] treats a chain head held by someone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeadBusy {
    /// Wait for it: the caller must see every committed entry chained
    /// (reading the head, verifying, listing).
    Wait,
    /// Give up: another instance is chaining already (the background
    /// chainer).
    Skip,
}

/// Gives the entries written since the last call (seq null) their place,
/// in id order, a page at a time, each page one transaction holding the
/// head lock, so that several instances chain each entry once. Also
/// chains entries written before the chain existed. Returns how many were
/// chained.
pub(crate) async fn chain_pending(pool: &PgPool, busy: HeadBusy) -> Result<u64, StoreError> {
    let mut chained = 0;
    loop {
        let pending: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM audit_log WHERE seq IS NULL LIMIT 1")
                .fetch_optional(pool)
                .await
                .map_err(map_err)?;
        if pending.is_none() {
            return Ok(chained);
        }
        let mut tx = pool.begin().await.map_err(map_err)?;
        let Some(mut head) = lock_head_or_skip(&mut tx, busy).await? else {
            return Ok(chained);
        };
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1")
            .bind(VERIFY_PAGE)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut seqs = Vec::with_capacity(rows.len());
        let mut prevs = Vec::with_capacity(rows.len());
        let mut hashes = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut entry = entry_from_row(row).map_err(map_err)?;
            entry.link(&head);
            ids.push(entry.id.0);
            seqs.push(entry.seq);
            prevs.push(entry.prev_hash.to_vec());
            hashes.push(entry.hash.to_vec());
            head = ChainHead {
                seq: entry.seq,
                hash: entry.hash,
                at: Some(entry.at),
            };
        }
        // One statement for the page: the chain costs a few round trips per
        // page, not one per entry.
        sqlx::query(
            "UPDATE audit_log a SET seq = u.seq, prev_hash = u.prev_hash, hash = u.hash \
             FROM unnest($1::uuid[], $2::bigint[], $3::bytea[], $4::bytea[]) \
             AS u(id, seq, prev_hash, hash) WHERE a.id = u.id AND a.seq IS NULL",
        )
        .bind(&ids)
        .bind(&seqs)
        .bind(&prevs)
        .bind(&hashes)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        set_head(&mut tx, &head).await?;
        tx.commit().await.map_err(map_err)?;
        chained += rows.len() as u64;
    }
}

/// The chain head, locked, or `None` when `busy` is `Skip` and another
/// transaction holds it.
async fn lock_head_or_skip(
    tx: &mut Transaction<'static, Postgres>,
    busy: HeadBusy,
) -> Result<Option<ChainHead>, StoreError> {
    if busy == HeadBusy::Wait {
        return lock_head(tx).await.map(Some);
    }
    let row =
        sqlx::query("SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE SKIP LOCKED")
            .fetch_optional(&mut **tx)
            .await
            .map_err(map_err)?;
    row.map(|row| {
        Ok(ChainHead {
            seq: row.try_get("seq").map_err(map_err)?,
            hash: to_hash(&row.try_get::<Vec<u8>, _>("hash").map_err(map_err)?).map_err(map_err)?,
            at: None,
        })
    })
    .transpose()
}

fn to_hash(bytes: &[u8]) -> Result<ChainHash, sqlx::Error> {
    ChainHash::try_from(bytes).map_err(|_| {
        sqlx::Error::Decode(format!("hash of {} bytes, expected 32", bytes.len()).into())
    })
}

/// One page of the chain in `(seq, id)` order after `after`. Keyset over
/// (seq, id) so that even duplicate seqs (possible only if the unique index
/// was dropped) are all seen.
async fn verify_page(
    pool: PgPool,
    after: Option<(i64, uuid::Uuid)>,
) -> Result<Vec<PgRow>, StoreError> {
    match after {
        None => {
            sqlx::query("SELECT * FROM audit_log WHERE seq IS NOT NULL ORDER BY seq, id LIMIT $1")
                .bind(VERIFY_PAGE)
        }
        Some((seq, id)) => sqlx::query(
            "SELECT * FROM audit_log WHERE seq IS NOT NULL AND (seq, id) > ($2, $3) \
             ORDER BY seq, id LIMIT $1",
        )
        .bind(VERIFY_PAGE)
        .bind(seq)
        .bind(id),
    }
    .fetch_all(&pool)
    .await
    .map_err(map_err)
}

fn page_key(row: &PgRow) -> Result<(i64, uuid::Uuid), sqlx::Error> {
    Ok((row.try_get("seq")?, row.try_get("id")?))
}

fn entry_from_row(row: &PgRow) -> Result<AuditEntry, sqlx::Error> {
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
        summary: row.try_get("summary")?,
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
impl store::AuditStore for PostgresStore {
    async fn chain_pending(&self) -> Result<u64, StoreError> {
        chain_pending(self.pool(), HeadBusy::Skip).await
    }

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
        // Entries are listed with their place in the chain.
        chain_pending(self.pool(), HeadBusy::Wait).await?;
        let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM audit_log WHERE 1 = 1");
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
            q.push(" AND at >= ").push_bind(from);
        }
        if let Some(to) = filter.to {
            q.push(" AND at < ").push_bind(to);
        }
        if let Some(after) = page.after {
            q.push(" AND id > ").push_bind(after.0);
        }
        q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
        let rows = q.build().fetch_all(self.pool()).await.map_err(map_err)?;
        let entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        Ok(Page::from_rows(entries, page, |e| e.id.0))
    }

    async fn chain_head(&self) -> Result<ChainHead, StoreError> {
        chain_pending(self.pool(), HeadBusy::Wait).await?;
        let row = sqlx::query(
            "SELECT h.seq AS seq, h.hash AS hash, a.at AS at FROM audit_chain_head h \
             LEFT JOIN audit_log a ON a.seq = h.seq WHERE h.id = 1",
        )
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        Ok(ChainHead {
            seq: row.try_get("seq").map_err(map_err)?,
            hash: to_hash(&row.try_get::<Vec<u8>, _>("hash").map_err(map_err)?).map_err(map_err)?,
            at: row.try_get("at").map_err(map_err)?,
        })
    }

    async fn verify_chain(&self) -> Result<ChainReport, StoreError> {
        // What was committed before the check began is checked; entries
        // still waiting for their place get it first. Unlike SQLite, an
        // entry found without a place at the end is not a break: on
        // PostgreSQL that is the normal state of an entry between its commit
        // and the chainer's next run.
        chain_pending(self.pool(), HeadBusy::Wait).await?;
        let mut verifier = ChainVerifier::new();
        // The head as read before the latest page query, once the end of
        // the log has been reached.
        let mut head_before: Option<ChainHead> = None;
        // The next page is fetched while this one is checked: the keyset
        // needs only the page's last row, and the database and the hashing
        // then run on different cores.
        let mut next = Some(tokio::spawn(verify_page(self.pool().clone(), None)));
        let mut after: Option<(i64, uuid::Uuid)> = None;
        loop {
            let rows = match next.take() {
                Some(fetch) => fetch.await.map_err(StoreError::internal)??,
                None => verify_page(self.pool().clone(), after).await?,
            };
            let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == VERIFY_PAGE;
            if full {
                let last = rows.last().map(page_key).transpose().map_err(map_err)?;
                next = Some(tokio::spawn(verify_page(self.pool().clone(), last)));
            }
            for row in &rows {
                let (seq, id) = page_key(row).map_err(map_err)?;
                let checked = match entry_from_row(row) {
                    Ok(entry) => verifier.check(&entry),
                    Err(e) => Err(verifier.unreadable(seq, Some(id.into()), e.to_string())),
                };
                if let Err(broken) = checked {
                    if let Some(fetch) = next.take() {
                        fetch.abort();
                    }
                    return Ok(ChainReport::Broken { broken });
                }
                after = Some((seq, id));
            }
            if full {
                head_before = None;
                continue;
            }
            if let Some(head) = head_before.take().filter(|_| rows.is_empty()) {
                return Ok(verifier.finish((head.seq, head.hash)));
            }
            // The end of the log as of that read. A head further on means
            // entries were appended since (or deleted): read once more.
            let head = self.chain_head().await?;
            if head.seq <= verifier.last().seq {
                return Ok(verifier.finish((head.seq, head.hash)));
            }
            head_before = Some(head);
        }
    }
}

#[cfg(any(test, feature = "testing"))]
#[async_trait]
impl store::audit::TamperForTests for PostgresStore {
    async fn tamper_for_tests(&self, sql: &str) {
        sqlx::raw_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
            .execute(self.pool())
            .await
            .expect("disable the audit triggers");
        sqlx::raw_sql(sql)
            .execute(self.pool())
            .await
            .expect("tamper with the audit log");
    }
}
