//! PostgreSQL references: `pgbench` scripts (a single-row insert of a
//! claim-shaped row, a replay of Redress's own per-claim SQL, point
//! selects), `COPY`, and `EXPLAIN`.

use crate::load::{Latency, histogram, record};
use anyhow::{Context, bail};
use serde::Serialize;
use sqlx::{Connection, Executor, PgConnection, Row};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::process::Command;

/// Runs one statement on its own connection.
pub(crate) async fn execute(url: &str, sql: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    conn.execute(sql).await.with_context(|| sql.to_owned())?;
    conn.close().await?;
    Ok(())
}

fn redact(url: &str) -> String {
    // The harness uses trust authentication; a password in a URL given
    // by the user is still kept out of messages.
    match url.split_once('@') {
        Some((head, tail)) if head.contains(':') && head.matches(':').count() > 1 => {
            format!("postgres://…@{tail}")
        }
        _ => url.to_owned(),
    }
}

/// What pgbench measured.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PgbenchResult {
    pub(crate) script: String,
    pub(crate) clients: usize,
    pub(crate) transactions: u64,
    pub(crate) tps: f64,
    pub(crate) latency: Latency,
    pub(crate) failed: u64,
}

/// Runs `pgbench` with one custom script, prepared statements (as sqlx
/// uses them), `clients` connections for `duration`, and per-transaction
/// logging from which the percentiles are computed.
pub(crate) async fn pgbench(
    pgbench: &Path,
    url: &str,
    name: &str,
    script: &str,
    clients: usize,
    duration: Duration,
    work: &Path,
) -> anyhow::Result<PgbenchResult> {
    let dir = work.join(format!("pgbench-{name}"));
    std::fs::create_dir_all(&dir)?;
    let script_path = dir.join(format!("{name}.sql"));
    std::fs::write(&script_path, script)?;
    let threads = clients.clamp(1, 2);
    let out = Command::new(pgbench)
        .current_dir(&dir)
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &clients.to_string(),
            "-j",
            &threads.to_string(),
            "-T",
            &duration.as_secs().max(1).to_string(),
            "-l",
            "--log-prefix",
            "txlog",
            "-f",
        ])
        .arg(&script_path)
        .arg("-d")
        .arg(url)
        .output()
        .await
        .context("running pgbench")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "pgbench {name} failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tps = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .with_context(|| format!("no tps in pgbench output: {stdout}"))?;
    let count = |label: &str| {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let transactions = count("number of transactions actually processed:");
    let failed = count("number of failed transactions:");
    // Per-transaction log lines: client, transaction, latency in µs, ...
    let mut h = histogram();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("txlog"))
        {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            if let Some(us) = line
                .split_whitespace()
                .nth(2)
                .and_then(|v| v.parse::<u64>().ok())
            {
                record(&mut h, Duration::from_micros(us));
            }
        }
        std::fs::remove_file(&path)?;
    }
    Ok(PgbenchResult {
        script: name.to_owned(),
        clients,
        transactions,
        tps,
        latency: Latency::of(&h),
        failed,
    })
}

/// The scratch table of the raw insert reference: the claim's columns that
/// matter for its size, a primary key and two secondary indexes.
pub(crate) const INSERT_TABLE: &str = "DROP TABLE IF EXISTS bench_insert; \
    CREATE TABLE bench_insert (id uuid PRIMARY KEY, filed_by uuid NOT NULL, status text NOT NULL, \
      category text, region text, claimant_name text, content jsonb NOT NULL, totals jsonb NOT NULL, \
      created_at timestamptz NOT NULL); \
    CREATE INDEX bench_insert_category ON bench_insert (category, id); \
    CREATE INDEX bench_insert_region ON bench_insert (region, id);";

/// A UUIDv7-shaped id made in SQL (time-ordered, as Redress's ids are, so
/// the primary key grows at its right edge in both).
const V7: &str = "(lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') \
    || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid";

/// The raw durable-write reference: one single-row insert per transaction.
pub(crate) fn insert_script(content_b64: &str) -> String {
    format!(
        "\\set cat random(1, 7)\n\\set reg random(10, 74)\n\
         INSERT INTO bench_insert (id, filed_by, status, category, region, claimant_name, content, totals, created_at) \
         VALUES ({V7}, '00000000-0000-7000-8000-000000000001', 'draft', 'A3.' || :cat::text, 'UA-' || :reg::text, \
         'Коваленко Олена Петрівна', convert_from(decode('{content_b64}', 'base64'), 'UTF8')::jsonb, \
         '[{{\"amount\": \"85000.00\", \"currency\": \"EUR\"}}]', now());\n"
    )
}

/// Point selects of claims by reference number (a unique index, as the
/// primary key is), over the `count` claims submitted so far.
pub(crate) fn select_script(prefix: &str, count: u64) -> String {
    format!(
        "\\set n random(1, {count})\n\
         SELECT * FROM claims WHERE reference = '{prefix}' || lpad(:n::text, 7, '0');\n"
    )
}

/// What the replay needs from the database and the generator.
pub(crate) struct ReplayInputs {
    /// The claimant account the claims are filed by.
    pub(crate) account_id: String,
    pub(crate) categories: Vec<String>,
    pub(crate) regions: Vec<String>,
    /// A typical claim's content JSON, base64.
    pub(crate) content_b64: String,
    /// A typical 201 answer body, base64 (kept with the idempotency key).
    pub(crate) body_b64: String,
}

fn sql_array(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("(ARRAY[{}])", quoted.join(", "))
}

/// Redress's per-claim SQL: `POST /v1/claims` then `POST
/// /v1/claims/{id}/submit`, both with `Idempotency-Key`, statement for
/// statement as the PostgreSQL store issues them (`CREATE_CLAIM` and
/// `SUBMIT_CLAIM` in `store-postgres/src/claims.rs`; checked against
/// `log_statement = 'all'`, see docs/performance.md). The only
/// differences: the first statement draws the run's random values
/// (`\gset`), the values the server computes (ids, the audit entry, the
/// kept answer: a fixed body of the usual size) are computed by the
/// database or fixed, and the reference number's draw, which the server
/// sends on a connection of its own with `synchronous_commit = off`, is
/// wrapped in two `SET synchronous_commit` here (one connection per client).
pub(crate) fn replay_script(i: &ReplayInputs) -> String {
    let cats = sql_array(&i.categories);
    let regs = sql_array(&i.regions);
    let ncat = i.categories.len();
    let nreg = i.regions.len();
    let account = &i.account_id;
    let content = &i.content_b64;
    let body = &i.body_b64;
    let fp = "'\\x".to_owned() + &"ab".repeat(32) + "'::bytea";
    let kept = |key: &str, status: u16, from: &str, gate: &str| {
        format!(
            "kept AS (INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, state, response_status, \
             response_headers, response_body, created_at, locked_until, expires_at, effect_type, effect_id) \
             SELECT :account_id::uuid, :{key}::text, {fp}, 'completed', {status}, \
             '[[\"content-type\", \"application/json\"]]'::jsonb, decode('{body}', 'base64'), now(), now(), \
             now() + interval '24 hours', 'claim', :cid::text {from} {gate} ON CONFLICT DO NOTHING RETURNING 1)"
        )
    };
    let audit = |action: &str, summary: &str, key: &str, from: &str| {
        format!(
            "audit AS (INSERT INTO audit_log (id, at, actor, actor_role, on_behalf_of, action, target_type, target_id, \
             summary, reason, request_id, idempotency_key) SELECT {V7}, now(), :account_id::uuid, 'claimant', NULL, \
             '{action}', 'claim', :cid::text, '{summary}'::jsonb, NULL, 'bench', :{key}::text FROM {from}), \
             effect AS (UPDATE idempotency_keys SET effect_type = 'claim', effect_id = :cid::text \
             WHERE account_id = :account_id::uuid AND idempotency_key = :{key}::text AND state = 'in_flight' \
             AND effect_type IS NULL AND EXISTS (SELECT 1 FROM {from}))"
        )
    };
    let mut s = String::new();
    // The token is checked from memory (docs/authorization.md, "Token
    // cache"), the catalogue and regions too (docs/performance.md), so no
    // statement reads them.
    let _ = writeln!(
        s,
        "SELECT '{account}'::uuid AS account_id, {V7}::text AS cid, {V7}::text AS eid, gen_random_uuid()::text AS k1, \
         gen_random_uuid()::text AS k2, \
         {cats}[1 + floor(random() * {ncat})::int] AS cat, {regs}[1 + floor(random() * {nreg})::int] AS reg, \
         md5(random()::text) AS tax, extract(year FROM now())::int AS year, to_char(now(), 'YYYY-MM') AS month \\gset"
    );
    // POST /v1/claims: one statement.
    let _ = writeln!(
        s,
        "WITH prior AS (SELECT id FROM claims WHERE filed_by = :account_id::uuid AND idempotency_key = :k1::text), \
         {kept}, \
         claim AS (INSERT INTO claims (id, filed_by, status, category, sensitive, content, sealed, sealed_key_id, \
         claimant_name, claimant_search, claimant_key, region, incident_from, incident_to, totals, created_at, \
         updated_at, idempotency_key, contact_email, language) SELECT :cid::uuid, :account_id::uuid, 'draft', :cat::text, false, \
         convert_from(decode('{content}', 'base64'), 'UTF8')::jsonb, NULL, NULL, 'Коваленко Олена Петрівна', \
         'коваленко олена петрівна', 'rnokpp-' || :tax::text, :reg::text, '2022-03-14'::date, '2022-03-14'::date, \
         '[{{\"amount\": \"85000.00\", \"currency\": \"EUR\"}}]'::jsonb, now(), now(), :k1::text, NULL, 'uk' \
         WHERE NOT EXISTS (SELECT 1 FROM prior) AND EXISTS (SELECT 1 FROM kept) RETURNING id), \
         {audit}, \
         counts AS (INSERT INTO claim_counts (status, category, region, month, count, shard) \
         SELECT 'draft', :cat::text, :reg::text, '', 1, pg_backend_pid() % 16 FROM claim \
         ON CONFLICT (status, category, region, month, shard) DO UPDATE SET count = claim_counts.count + excluded.count) \
         SELECT (SELECT count(*) FROM claim) AS created, (SELECT id FROM prior) AS prior;",
        kept = kept("k1", 201, "", "WHERE NOT EXISTS (SELECT 1 FROM prior)"),
        audit = audit(
            "claim.created",
            "{\"category\": \"A3.1\", \"sensitive\": false}",
            "k1",
            "claim"
        ),
    );
    // POST /v1/claims/{id}/submit: the claim with its evidence hashes, the
    // duplicate candidates, the reference number, then one statement.
    s += "SELECT c.*, ARRAY(SELECT DISTINCT e.sha256 FROM evidence e WHERE e.claim_id = c.id ORDER BY 1) \
          AS evidence_hashes FROM claims c WHERE c.id = :cid::uuid;\n";
    // The candidates' keys are read only when there are candidates: none here.
    s += "SELECT DISTINCT claim_id FROM claim_keys \
          WHERE key = ANY(ARRAY['claimant-rnokpp-' || :tax::text, 'cadastral-' || :tax::text]) LIMIT 1000;\n";
    s += "SET synchronous_commit = off;\n";
    s += "INSERT INTO reference_counters (year, last) VALUES (:year, 1) ON CONFLICT (year) DO UPDATE \
          SET last = reference_counters.last + 1 RETURNING last AS refseq \\gset\n";
    s += "SET synchronous_commit = on;\n";
    let _ = writeln!(
        s,
        "WITH upd AS (UPDATE claims SET status = 'submitted', \
         reference = 'RD-' || :year::text || '-' || lpad(:refseq::text, 7, '0'), submitted_at = now(), updated_at = now(), \
         duplicate_keys = json_build_object('claim', :cid::text, 'claimant', 'rnokpp-' || :tax::text, 'cadastral_number', :tax::text)::jsonb, \
         duplicate_flagged = false, version = version + 1 WHERE id = :cid::uuid AND status = 'draft' AND version = 1 \
         RETURNING id, email_notices, contact_email, language), \
         {kept}, \
         keys AS (INSERT INTO claim_keys (key, claim_id) SELECT k, :cid::uuid \
         FROM unnest(ARRAY['claimant-rnokpp-' || :tax::text, 'cadastral-' || :tax::text]) AS k \
         WHERE EXISTS (SELECT 1 FROM upd) ON CONFLICT DO NOTHING), \
         {audit}, \
         event AS (INSERT INTO webhook_events (id, event_type, payload, created_at) SELECT :eid::uuid, 'claim.submitted', \
         json_build_object('type', 'claim.submitted', 'timestamp', now(), 'data', \
         json_build_object('claim_id', :cid::text, 'status', 'submitted', 'category', :cat::text, 'region', :reg::text))::jsonb, \
         now() FROM upd RETURNING id), \
         deliveries AS (INSERT INTO webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at) \
         SELECT ev.id, s.id, now(), now() FROM event ev, webhook_subscription_events e \
         JOIN webhook_subscriptions s ON s.id = e.subscription_id \
         WHERE e.event_type = 'claim.submitted' AND s.enabled AND (NOT false OR s.include_sensitive)), \
         notice AS (INSERT INTO notices (id, claim_id, recipient, language, kind, reference, created_at, next_attempt_at) \
         SELECT {V7}, id, contact_email, language, 'submitted', 'RD', now(), now() FROM upd \
         WHERE email_notices AND contact_email IS NOT NULL), \
         counts AS (INSERT INTO claim_counts (status, category, region, month, count, shard) \
         SELECT st, c, r, m, n, pg_backend_pid() % 16 \
         FROM unnest(ARRAY['draft', 'submitted'], ARRAY[:cat::text, :cat::text], ARRAY[:reg::text, :reg::text], \
         ARRAY['', :month::text], ARRAY[-1, 1]::bigint[]) WITH ORDINALITY AS t(st, c, r, m, n, o) \
         WHERE EXISTS (SELECT 1 FROM upd) ORDER BY o \
         ON CONFLICT (status, category, region, month, shard) DO UPDATE SET count = claim_counts.count + excluded.count) \
         SELECT CASE WHEN (SELECT count(*) FROM upd) <> (SELECT count(*) FROM kept) \
         THEN redress_abort('the idempotency key was recorded before') \
         ELSE (SELECT count(*) FROM upd)::integer END AS submitted;",
        kept = kept("k2", 200, "FROM upd", ""),
        audit = audit(
            "claim.submitted",
            "{\"from\": \"draft\", \"to\": \"submitted\", \"reference\": \"RD-2026-0000001\", \"duplicate_flags\": 0}",
            "k2",
            "upd"
        ),
    );
    s
}

/// Statements, transactions and writing transactions that wait for their
/// WAL flush (not those with `synchronous_commit = off`) in a script, for
/// the report.
pub(crate) fn script_shape(script: &str) -> (usize, usize, usize) {
    let lines = script
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('\\') && !l.is_empty());
    let (mut statements, mut transactions, mut writes) = (0, 0, 0);
    let mut inside = false;
    let mut writing = false;
    let mut waits = true;
    let mut session_waits = true;
    for l in lines {
        statements += 1;
        let writes_here = ["INSERT", "UPDATE", "DELETE", "WITH"]
            .iter()
            .any(|w| l.starts_with(w));
        match l {
            "BEGIN;" => {
                inside = true;
                writing = false;
                waits = true;
            }
            "SET LOCAL synchronous_commit = off;" => waits = false,
            // A session setting: a round trip, not a transaction.
            "SET synchronous_commit = off;" => session_waits = false,
            "SET synchronous_commit = on;" => session_waits = true,
            "COMMIT;" => {
                inside = false;
                transactions += 1;
                writes += usize::from(writing && waits);
            }
            _ if inside => writing |= writes_here,
            _ => {
                transactions += 1;
                writes += usize::from(writes_here && session_waits);
            }
        }
    }
    (statements, transactions, writes)
}

/// Copies the rows of `tables` (as `SELECT` queries) out of the database
/// into files, then times `COPY ... FROM STDIN` of those files into empty
/// copies of the tables (`LIKE ... INCLUDING ALL`: the same indexes and
/// constraints), through `psql` as a client would send them. Returns rows
/// and seconds.
pub(crate) async fn copy_reference(
    url: &str,
    tables: &[(&str, &str)],
    work: &Path,
) -> anyhow::Result<(u64, f64)> {
    let mut conn = PgConnection::connect(url).await?;
    let mut files = Vec::new();
    for (table, _) in tables {
        let copy = format!("bench_copy_{table}");
        conn.execute(
            format!(
                "DROP TABLE IF EXISTS {copy}; CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)"
            )
            .as_str(),
        )
        .await?;
    }
    for (table, query) in tables {
        let file = work.join(format!("copy-{table}.txt"));
        let out = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c"])
            .arg(format!("\\copy ({query}) TO '{}'", file.display()))
            .output()
            .await?;
        if !out.status.success() {
            bail!("psql copy out: {}", String::from_utf8_lossy(&out.stderr));
        }
        files.push((format!("bench_copy_{table}"), file));
    }
    conn.close().await?;
    let start = Instant::now();
    let mut rows = 0u64;
    for (copy, file) in &files {
        let out = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c"])
            .arg(format!("\\copy {copy} FROM '{}'", file.display()))
            .output()
            .await?;
        if !out.status.success() {
            bail!("psql copy in: {}", String::from_utf8_lossy(&out.stderr));
        }
        #[allow(
            clippy::naive_bytecount,
            reason = "once per file, not worth a dependency"
        )]
        let lines = std::fs::read(file)?.iter().filter(|&&b| b == b'\n').count();
        rows += u64::try_from(lines)?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut conn = PgConnection::connect(url).await?;
    for (copy, file) in &files {
        conn.execute(format!("DROP TABLE IF EXISTS {copy}").as_str())
            .await?;
        let _ = std::fs::remove_file(file);
    }
    conn.close().await?;
    Ok((rows, seconds))
}

/// `EXPLAIN (ANALYZE, BUFFERS)` of a query, as text.
pub(crate) async fn explain(conn: &mut PgConnection, sql: &str) -> anyhow::Result<String> {
    let rows = conn
        .fetch_all(format!("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}").as_str())
        .await
        .with_context(|| sql.to_owned())?;
    let mut text = String::new();
    for r in rows {
        text += &r.try_get::<String, _>(0)?;
        text.push('\n');
    }
    Ok(text)
}

/// Settings the figures depend on, as the server reports them.
pub(crate) async fn settings(url: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut conn = PgConnection::connect(url).await?;
    let mut out = Vec::new();
    for name in [
        "server_version",
        "synchronous_commit",
        "fsync",
        "wal_sync_method",
        "shared_buffers",
        "max_connections",
    ] {
        let row = conn.fetch_one(format!("SHOW {name}").as_str()).await?;
        out.push((name.to_owned(), row.try_get::<String, _>(0)?));
    }
    conn.close().await?;
    Ok(out)
}

/// The secondary indexes of `table` (neither the primary key nor backing
/// a constraint), as names and definitions: dropped for a bulk load and
/// built again after it, as a restore does.
pub(crate) async fn secondary_indexes(
    conn: &mut PgConnection,
    table: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT c.relname::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = $1::regclass AND NOT i.indisprimary \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
    )
    .bind(table)
    .fetch_all(conn)
    .await?)
}
