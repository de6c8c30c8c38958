//! SQLite references, in process: the same per-claim SQL as the SQLite
//! store issues for `POST /v1/claims` and its submission, single-row
//! inserts of a claim-shaped row (the raw durable-write rate), and a batched
//! copy of imported rows, both with the store's durability settings (WAL,
//! `synchronous = FULL`, foreign keys on).

use crate::load::{Outcome, histogram, record};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Executor, Row, SqliteConnection};
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};
use uuid::Uuid;

async fn open(path: &Path) -> anyhow::Result<SqliteConnection> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    Ok(SqliteConnection::connect_with(&options).await?)
}

fn now_text() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

const COUNT_UPSERT: &str = "INSERT INTO claim_counts (status, category, region, month, count) VALUES (?, ?, ?, ?, ?) \
    ON CONFLICT (status, category, region, month) DO UPDATE SET count = claim_counts.count + excluded.count";

const AUDIT_INSERT: &str = "INSERT INTO audit_log (id, seq, at, actor, actor_role, on_behalf_of, action, \
    target_type, target_id, summary, reason, request_id, idempotency_key, prev_hash, hash) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// One claim's statements, in the store's order, on one connection (the
/// store's single writer); reads go through the same connection.
#[allow(clippy::too_many_arguments, reason = "one call site, plain inputs")]
async fn one_claim(
    conn: &mut SqliteConnection,
    account: Uuid,
    content: &str,
    body: &[u8],
    category: &str,
    region: &str,
    serial: u64,
) -> anyhow::Result<()> {
    let now = now_text();
    let later = now.clone();
    let (k1, k2) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
    let id = Uuid::now_v7();
    let tax = format!("{serial:010}");
    let fingerprint = [0xabu8; 32];

    async fn head(conn: &mut SqliteConnection) -> anyhow::Result<(i64, Vec<u8>)> {
        let row = conn
            .fetch_one("SELECT seq, hash FROM audit_chain_head WHERE id = 1")
            .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }
    async fn audit(
        conn: &mut SqliteConnection,
        id: Uuid,
        account: Uuid,
        action: &str,
        summary: &str,
        key: &str,
        now: &str,
    ) -> anyhow::Result<()> {
        use sha2::Digest;
        let (seq, prev) = head(&mut *conn).await?;
        let hash: [u8; 32] = sha2::Sha256::new()
            .chain_update(&prev)
            .chain_update(id.as_bytes())
            .chain_update(action.as_bytes())
            .finalize()
            .into();
        sqlx::query(AUDIT_INSERT)
            .bind(Uuid::now_v7())
            .bind(seq + 1)
            .bind(now)
            .bind(account)
            .bind("claimant")
            .bind(None::<String>)
            .bind(action)
            .bind("claim")
            .bind(id.to_string())
            .bind(summary)
            .bind(None::<String>)
            .bind("bench")
            .bind(key)
            .bind(&prev[..])
            .bind(&hash[..])
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE idempotency_keys SET effect_type = ?, effect_id = ? \
             WHERE account_id = ? AND idempotency_key = ? AND state = 'in_flight' \
             AND effect_type IS NULL",
        )
        .bind("claim")
        .bind(id.to_string())
        .bind(account)
        .bind(key)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE audit_chain_head SET seq = ?, hash = ? WHERE id = 1")
            .bind(seq + 1)
            .bind(&hash[..])
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
    // The key's record, completed with the answer, in the change's own
    // transaction (checked first, under the writer lock).
    async fn key_free(conn: &mut SqliteConnection, account: Uuid, key: &str) -> anyhow::Result<()> {
        sqlx::query("SELECT 1 FROM idempotency_keys WHERE account_id = ? AND idempotency_key = ?")
            .bind(account)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(())
    }
    #[allow(clippy::too_many_arguments, reason = "the key's columns")]
    async fn keep_answer(
        conn: &mut SqliteConnection,
        account: Uuid,
        key: &str,
        fingerprint: &[u8],
        status: i64,
        body: &[u8],
        now: &str,
        id: Uuid,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, state, \
             response_status, response_headers, response_body, created_at, locked_until, expires_at, \
             effect_type, effect_id) VALUES (?, ?, ?, 'completed', ?, ?, ?, ?, ?, ?, 'claim', ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(account)
        .bind(key)
        .bind(fingerprint)
        .bind(status)
        .bind("[[\"content-type\",\"application/json\"]]")
        .bind(body)
        .bind(now)
        .bind(now)
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
    let select_claim = "SELECT * FROM claims WHERE id = ?";

    // POST /v1/claims. The token and the catalogue come from memory.
    conn.execute("BEGIN IMMEDIATE").await?;
    key_free(conn, account, &k1).await?;
    sqlx::query("SELECT * FROM claims WHERE filed_by = ? AND idempotency_key = ?")
        .bind(account)
        .bind(&k1)
        .fetch_optional(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO claims (id, filed_by, status, category, sensitive, content, sealed, sealed_key_id, \
         claimant_name, claimant_search, claimant_key, region, incident_from, incident_to, totals, created_at, \
         updated_at, idempotency_key) VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(account)
    .bind(category)
    .bind(false)
    .bind(content)
    .bind(None::<Vec<u8>>)
    .bind(None::<String>)
    .bind("Коваленко Олена Петрівна")
    .bind("коваленко олена петрівна")
    .bind(format!("rnokpp:{tax}"))
    .bind(region)
    .bind("2022-03-14")
    .bind("2022-03-14")
    .bind("[{\"amount\":\"85000.00\",\"currency\":\"EUR\"}]")
    .bind(&now)
    .bind(&now)
    .bind(&k1)
    .execute(&mut *conn)
    .await?;
    audit(
        conn,
        id,
        account,
        "claim.created",
        "{\"category\":\"A3.1\",\"sensitive\":false}",
        &k1,
        &now,
    )
    .await?;
    sqlx::query(select_claim)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(COUNT_UPSERT)
        .bind("draft")
        .bind(category)
        .bind(region)
        .bind("")
        .bind(1)
        .execute(&mut *conn)
        .await?;
    keep_answer(conn, account, &k1, &fingerprint, 201, body, &now, id).await?;
    conn.execute("COMMIT").await?;

    // POST /v1/claims/{id}/submit: the claim with its evidence hashes, the
    // duplicate candidates, then one transaction.
    sqlx::query(
        "SELECT c.*, (SELECT json_group_array(sha256) FROM (SELECT DISTINCT e.sha256 \
         FROM evidence e WHERE e.claim_id = c.id ORDER BY 1)) AS evidence_hashes \
         FROM claims c WHERE c.id = ?",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let (ck, cad) = (format!("claimant:rnokpp:{tax}"), format!("cadastral:{tax}"));
    sqlx::query(
        "SELECT DISTINCT c.duplicate_keys FROM claim_keys k JOIN claims c ON c.id = k.claim_id \
         WHERE k.key IN (?, ?) LIMIT 1000",
    )
    .bind(&ck)
    .bind(&cad)
    .fetch_all(&mut *conn)
    .await?;
    conn.execute("BEGIN IMMEDIATE").await?;
    key_free(conn, account, &k2).await?;
    sqlx::query(select_claim)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let year = i64::from(time::OffsetDateTime::now_utc().year());
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO reference_counters (year, last) VALUES (?, 1) \
         ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
    )
    .bind(year)
    .fetch_one(&mut *conn)
    .await?;
    let reference = format!("RD-{year}-{seq:07}");
    sqlx::query(
        "UPDATE claims SET status = 'submitted', reference = ?, submitted_at = ?, updated_at = ?, \
         duplicate_keys = ?, duplicate_flagged = ?, version = version + 1 WHERE id = ?",
    )
    .bind(&reference)
    .bind(&later)
    .bind(&later)
    .bind(format!(
        "{{\"claim\":\"{id}\",\"claimant\":\"rnokpp:{tax}\",\"cadastral_number\":\"{tax}\"}}"
    ))
    .bind(false)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    for key in [&ck, &cad] {
        sqlx::query("INSERT INTO claim_keys (key, claim_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(key)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let summary = format!(
        "{{\"from\":\"draft\",\"to\":\"submitted\",\"reference\":\"{reference}\",\"duplicate_flags\":0}}"
    );
    audit(conn, id, account, "claim.submitted", &summary, &k2, &later).await?;
    let event = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO webhook_events (id, event_type, payload, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(event)
    .bind("claim.submitted")
    .bind(format!(
        "{{\"type\":\"claim.submitted\",\"timestamp\":\"{later}\",\"data\":{{\"claim_id\":\"{id}\",\"reference\":\"{reference}\",\"status\":\"submitted\",\"category\":\"{category}\",\"region\":\"{region}\"}}}}"
    ))
    .bind(&later)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at) \
         SELECT ?1, s.id, ?3, ?3 FROM webhook_subscription_events e \
         JOIN webhook_subscriptions s ON s.id = e.subscription_id \
         WHERE e.event_type = ?2 AND s.enabled",
    )
    .bind(event)
    .bind("claim.submitted")
    .bind(&later)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO notices (id, claim_id, recipient, language, kind, reference, created_at, \
         next_attempt_at) \
         SELECT ?, id, contact_email, language, 'submitted', reference, ?, ? FROM claims \
         WHERE id = ? AND email_notices AND contact_email IS NOT NULL",
    )
    .bind(Uuid::now_v7())
    .bind(&later)
    .bind(&later)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(select_claim)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let month = &later[..7];
    for (status, m, delta) in [("draft", "", -1), ("submitted", month, 1)] {
        sqlx::query(COUNT_UPSERT)
            .bind(status)
            .bind(category)
            .bind(region)
            .bind(m)
            .bind(delta)
            .execute(&mut *conn)
            .await?;
    }
    keep_answer(conn, account, &k2, &fingerprint, 200, body, &later, id).await?;
    conn.execute("COMMIT").await?;
    Ok(())
}

/// The raw durable-write reference on SQLite: single-row inserts of a
/// claim-shaped row (the columns of PostgreSQL's `bench_insert`, primary
/// key and two secondary indexes), one per transaction, in a loop on one
/// connection with the store's durability (WAL, `synchronous = FULL`),
/// into a table of its own in the run's database.
pub(crate) async fn single_row_loop(
    path: &Path,
    content: &str,
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let mut conn = open(path).await?;
    conn.execute(
        "DROP TABLE IF EXISTS bench_insert; \
         CREATE TABLE bench_insert (id BLOB PRIMARY KEY, filed_by BLOB NOT NULL, status TEXT NOT NULL, \
         category TEXT, region TEXT, claimant_name TEXT, content TEXT NOT NULL, totals TEXT NOT NULL, \
         created_at TEXT NOT NULL); \
         CREATE INDEX bench_insert_status ON bench_insert (status, id); \
         CREATE INDEX bench_insert_filed_by ON bench_insert (filed_by, id);",
    )
    .await?;
    let filer = Uuid::now_v7();
    let mut h = histogram();
    let mut ops = 0u64;
    let mut errors = 0u64;
    let mut first_error = None;
    let start = Instant::now();
    while start.elapsed() < duration {
        let t0 = Instant::now();
        let done = sqlx::query(
            "INSERT INTO bench_insert (id, filed_by, status, category, region, claimant_name, content, \
             totals, created_at) VALUES (?, ?, 'draft', 'A3.1', 'UA-32', 'Коваленко Олена Петрівна', ?, \
             '[{\"amount\":\"85000.00\",\"currency\":\"EUR\"}]', ?)",
        )
        .bind(Uuid::now_v7())
        .bind(filer)
        .bind(content)
        .bind(now_text())
        .execute(&mut conn)
        .await;
        match done {
            Ok(_) => {
                record(&mut h, t0.elapsed());
                ops += 1;
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| format!("{e:#}"));
                if errors > 100 {
                    break;
                }
            }
        }
    }
    let elapsed = start.elapsed();
    conn.execute("DROP TABLE IF EXISTS bench_insert").await?;
    conn.close().await?;
    Ok(Outcome {
        ops,
        errors,
        first_error,
        elapsed,
        latency: h,
    })
}

/// Runs the per-claim SQL in a loop for `duration` on the database at
/// `path` (the server stopped, so the loop has the file to itself).
pub(crate) async fn intake_loop(
    path: &Path,
    content: &str,
    body: &[u8],
    categories: &[String],
    regions: &[String],
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let mut conn = open(path).await?;
    let row = conn
        .fetch_one(
            "SELECT t.account_id FROM api_tokens t \
             JOIN account_roles r ON r.account_id = t.account_id WHERE r.role = 'claimant' LIMIT 1",
        )
        .await?;
    let account: Uuid = row.try_get(0)?;
    let mut h = histogram();
    let mut ops = 0u64;
    let mut errors = 0u64;
    let mut first_error = None;
    let start = Instant::now();
    let mut serial = 9_000_000_000u64;
    while start.elapsed() < duration {
        let t0 = Instant::now();
        serial += 1;
        let i = usize::try_from(serial).unwrap_or(0);
        let category = &categories[i % categories.len()];
        let region = &regions[i % regions.len()];
        match one_claim(&mut conn, account, content, body, category, region, serial).await {
            Ok(()) => {
                record(&mut h, t0.elapsed());
                ops += 1;
            }
            Err(e) => {
                errors += 1;
                let _ = conn.execute("ROLLBACK").await;
                first_error.get_or_insert_with(|| format!("{e:#}"));
                if errors > 100 {
                    break;
                }
            }
        }
    }
    let elapsed = start.elapsed();
    conn.close().await?;
    Ok(Outcome {
        ops,
        errors,
        first_error,
        elapsed,
        latency: h,
    })
}

/// Copies the rows an import wrote (claims and audit entries) from the
/// database at `source` into a fresh database with the same schema, in
/// transactions of 1,000 rows, as the import batches them. Returns rows
/// and seconds.
pub(crate) async fn batched_copy(source: &Path, work: &Path) -> anyhow::Result<(u64, f64)> {
    let target = work.join("sqlite-reference.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
    }
    let mut conn = open(&target).await?;
    conn.execute(format!("ATTACH DATABASE '{}' AS src", source.display()).as_str())
        .await?;
    // The tables and their indexes, as the migrations made them; no
    // triggers (the copy is not an update of the audit log).
    let ddl: Vec<String> = sqlx::query_scalar(
        "SELECT sql FROM src.sqlite_master WHERE type IN ('table', 'index') \
         AND tbl_name IN ('accounts', 'claims', 'audit_log') AND sql IS NOT NULL \
         ORDER BY type = 'index', name",
    )
    .fetch_all(&mut conn)
    .await?;
    for sql in &ddl {
        conn.execute(sql.as_str()).await?;
    }
    conn.execute("INSERT INTO main.accounts SELECT * FROM src.accounts")
        .await?;
    let start = Instant::now();
    let mut rows = 0u64;
    for table in ["claims", "audit_log"] {
        let (min, max): (Option<i64>, Option<i64>) =
            sqlx::query_as(&format!("SELECT min(rowid), max(rowid) FROM src.{table}"))
                .fetch_one(&mut conn)
                .await?;
        let (Some(min), Some(max)) = (min, max) else {
            continue;
        };
        let mut from = min;
        while from <= max {
            conn.execute("BEGIN IMMEDIATE").await?;
            let done = sqlx::query(&format!(
                "INSERT INTO main.{table} SELECT * FROM src.{table} WHERE rowid >= ? AND rowid < ?"
            ))
            .bind(from)
            .bind(from + 1000)
            .execute(&mut conn)
            .await?;
            conn.execute("COMMIT").await?;
            rows += done.rows_affected();
            from += 1000;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    conn.close().await?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
    }
    Ok((rows, seconds))
}
