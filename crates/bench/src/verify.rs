//! The verify scenario: `redress audit verify` over a long, valid chain.
//!
//! Entries are generated in this process, linked with the store's own
//! canonical content and hash (`store::audit`), so the chain is exactly
//! what the server would have written, and loaded in bulk: PostgreSQL
//! through `COPY ... FROM STDIN`, SQLite through multi-row inserts. The
//! chain head is set to the last entry. The reference is reading the whole
//! log in chain order: `psql \copy (SELECT * ... ORDER BY seq) TO
//! '/dev/null'` on PostgreSQL, an in-process paged read on SQLite.

use crate::report::{Row, Target};
use crate::scenarios::Ctx;
use crate::server::{Backend, Database, PeakMemory};
use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection, QueryBuilder, Row as _, Sqlite, SqliteConnection};
use std::fmt::Write as _;
use std::process::Stdio;
use std::time::{Duration, Instant};
use store::audit::{AuditEntry, ChainHead, canonical_time};
use store::{AuditContext, Change};
use uuid::Uuid;

pub(crate) async fn run(ctx: &mut Ctx, backend: Backend) -> anyhow::Result<()> {
    let db = Database::create(&ctx.setup, backend).await?;
    let result = run_on(ctx, &db).await;
    db.drop_now().await;
    result
}

/// Entries like the service writes: claims created and submitted by
/// claimants with idempotency keys, staff reads of sensitive claims, and
/// batch chunks, one every few milliseconds from 2024-06-01 on.
struct Generator {
    rng: StdRng,
    actors: Vec<Uuid>,
    head: ChainHead,
    n: u64,
}

const START_MS: u64 = 1_717_200_000_000;

impl Generator {
    fn new(seed: u64, head: ChainHead) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ 0xA0D1_7000);
        let actors = (0..2000)
            .map(|_| uuid::Builder::from_random_bytes(rng.random()).into_uuid())
            .collect();
        Self {
            rng,
            actors,
            head,
            n: 0,
        }
    }

    fn next(&mut self) -> AuditEntry {
        self.n += 1;
        let ms = START_MS + self.n * 3 + self.rng.random_range(0..3);
        let micros = ms * 1000 + self.rng.random_range(0..1000);
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let actor = self.actors[self.rng.random_range(0..self.actors.len())];
        let target = uuid::Builder::from_unix_timestamp_millis(ms, &self.rng.random()).into_uuid();
        let key = uuid::Builder::from_random_bytes(self.rng.random()).into_uuid();
        let request: u128 = self.rng.random();
        let kind = self.n % 20;
        let (role, change, idempotent, reason) = match kind {
            0..=8 => (
                "claimant",
                Change {
                    action: "claim.created",
                    target_type: "claim",
                    target_id: target.to_string(),
                    summary: json!({"category": "A3.1", "sensitive": false}),
                },
                true,
                None,
            ),
            9..=17 => (
                "claimant",
                Change {
                    action: "claim.submitted",
                    target_type: "claim",
                    target_id: target.to_string(),
                    summary: json!({
                        "from": "draft",
                        "to": "submitted",
                        "reference": format!("RD-2026-{:07}", self.n % 10_000_000),
                        "duplicate_flags": 0,
                    }),
                },
                true,
                None,
            ),
            18 => (
                "registrar",
                Change {
                    action: "claim.read",
                    target_type: "claim",
                    target_id: target.to_string(),
                    summary: json!({"fields": ["claimant", "contact", "narrative"]}),
                },
                false,
                None,
            ),
            _ => (
                "job",
                Change {
                    action: "batch.chunk_assessed",
                    target_type: "batch",
                    target_id: target.to_string(),
                    summary: json!({
                        "job": key.to_string(),
                        "assessed": 250,
                        "routed_individual": 0,
                        "failed": 0,
                        "first_case": target.to_string(),
                        "last_case": key.to_string(),
                    }),
                },
                false,
                Some(format!("job {key}")),
            ),
        };
        let audit = AuditContext {
            actor: Some(actor.into()),
            actor_role: Some(role.to_owned()),
            on_behalf_of: None,
            request_id: Some(format!("{request:032x}")),
            idempotency_key: idempotent.then(|| key.to_string()),
            reason,
            standing: None,
        };
        let mut entry = AuditEntry::new(&audit, change, at);
        entry.id = uuid::Builder::from_unix_timestamp_millis(ms, &self.rng.random())
            .into_uuid()
            .into();
        entry.link(&self.head);
        self.head = ChainHead {
            seq: entry.seq,
            hash: entry.hash,
            at: Some(entry.at),
        };
        entry
    }
}

/// One field of a COPY text row.
fn copy_text(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.extend_from_slice(b"\\N"),
        Some(v) => {
            for b in v.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    _ => out.push(b),
                }
            }
        }
    }
}

fn copy_bytea(out: &mut Vec<u8>, hash: &[u8; 32]) {
    out.extend_from_slice(b"\\\\x");
    out.extend_from_slice(store::audit::hex(hash).as_bytes());
}

const COLUMNS: &str = "id, seq, at, actor, actor_role, on_behalf_of, action, target_type, target_id, \
    summary, reason, request_id, idempotency_key, prev_hash, hash";

fn copy_row(out: &mut Vec<u8>, e: &AuditEntry) {
    let fields: [Option<String>; 13] = [
        Some(e.id.0.hyphenated().to_string()),
        Some(e.seq.to_string()),
        Some(canonical_time(e.at)),
        e.actor.map(|a| a.0.hyphenated().to_string()),
        e.actor_role.clone(),
        e.on_behalf_of.clone(),
        Some(e.action.clone()),
        Some(e.target_type.clone()),
        Some(e.target_id.clone()),
        Some(e.summary.to_string()),
        e.reason.clone(),
        e.request_id.clone(),
        e.idempotency_key.clone(),
    ];
    for f in &fields {
        copy_text(out, f.as_deref());
        out.push(b'\t');
    }
    copy_bytea(out, &e.prev_hash);
    out.push(b'\t');
    copy_bytea(out, &e.hash);
    out.push(b'\n');
}

/// The chain head as stored; the log must have no entry waiting for its
/// place.
async fn pg_head(conn: &mut PgConnection) -> anyhow::Result<ChainHead> {
    let unchained: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE seq IS NULL")
        .fetch_one(&mut *conn)
        .await?;
    anyhow::ensure!(unchained == 0, "{unchained} audit entries are unchained");
    let (seq, hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
    Ok(ChainHead {
        seq,
        hash: hash.as_slice().try_into().context("head hash")?,
        at: None,
    })
}

async fn load_pg(url: &str, n: u64, seed: u64) -> anyhow::Result<(ChainHead, Duration)> {
    let start = Instant::now();
    let mut conn = PgConnection::connect(url).await?;
    conn.execute("SET synchronous_commit = off; SET maintenance_work_mem = '512MB'")
        .await?;
    let head = pg_head(&mut conn).await?;
    let indexes = crate::pg::secondary_indexes(&mut conn, "audit_log").await?;
    for (name, _) in &indexes {
        conn.execute(format!("DROP INDEX {name}").as_str()).await?;
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
    let producer = tokio::task::spawn_blocking(move || {
        let mut generator = Generator::new(seed, head);
        let mut buffer = Vec::with_capacity(4 << 20);
        let mut last_report = Instant::now();
        for i in 1..=n {
            copy_row(&mut buffer, &generator.next());
            if buffer.len() >= 4 << 20 || i == n {
                if tx.blocking_send(std::mem::take(&mut buffer)).is_err() {
                    break;
                }
                buffer.reserve(4 << 20);
            }
            if last_report.elapsed() > Duration::from_secs(15) {
                eprintln!(
                    "bench: verify: {i} of {n} entries generated ({:.0} s)",
                    start.elapsed().as_secs_f64()
                );
                last_report = Instant::now();
            }
        }
        generator.head
    });
    let mut copy = conn
        .copy_in_raw(&format!("COPY audit_log ({COLUMNS}) FROM STDIN"))
        .await?;
    while let Some(chunk) = rx.recv().await {
        copy.send(chunk).await?;
    }
    let copied = copy.finish().await?;
    let last = producer.await?;
    anyhow::ensure!(copied == n, "COPY wrote {copied} of {n} entries");
    for (name, def) in &indexes {
        eprintln!("bench: verify: building index {name}");
        conn.execute(def.as_str()).await?;
    }
    sqlx::query("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(last.seq)
        .bind(&last.hash[..])
        .execute(&mut conn)
        .await?;
    conn.execute("VACUUM ANALYZE audit_log").await?;
    conn.close().await?;
    Ok((last, start.elapsed()))
}

async fn load_sqlite(url: &str, n: u64, seed: u64) -> anyhow::Result<(ChainHead, Duration)> {
    let start = Instant::now();
    let mut conn = SqliteConnection::connect(url).await?;
    // Generation only: the verification reads a database at rest.
    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF")
        .await?;
    let unchained: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE seq IS NULL")
        .fetch_one(&mut conn)
        .await?;
    anyhow::ensure!(unchained == 0, "{unchained} audit entries are unchained");
    let (seq, hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_head WHERE id = 1")
            .fetch_one(&mut conn)
            .await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' \
         AND sql IS NOT NULL",
    )
    .fetch_all(&mut conn)
    .await?;
    for (name, _) in &indexes {
        conn.execute(format!("DROP INDEX {name}").as_str()).await?;
    }
    let mut generator = Generator::new(
        seed,
        ChainHead {
            seq,
            hash: hash.as_slice().try_into().context("head hash")?,
            at: None,
        },
    );
    // 15 columns: 500 rows stay under SQLite's bound-parameter limit.
    const ROWS: u64 = 500;
    let mut done = 0u64;
    let mut last_report = Instant::now();
    while done < n {
        conn.execute("BEGIN").await?;
        let until = (done + 100_000).min(n);
        while done < until {
            let k = (until - done).min(ROWS);
            let entries: Vec<AuditEntry> = (0..k).map(|_| generator.next()).collect();
            let mut q = QueryBuilder::<Sqlite>::new(format!("INSERT INTO audit_log ({COLUMNS}) "));
            q.push_values(&entries, |mut b, e| {
                b.push_bind(e.id.0)
                    .push_bind(e.seq)
                    .push_bind(canonical_time(e.at))
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
            q.build().execute(&mut conn).await?;
            done += k;
        }
        conn.execute("COMMIT").await?;
        if last_report.elapsed() > Duration::from_secs(15) {
            eprintln!(
                "bench: verify: {done} of {n} entries written ({:.0} s)",
                start.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
    }
    for (name, def) in &indexes {
        eprintln!("bench: verify: building index {name}");
        conn.execute(def.as_str()).await?;
    }
    let last = generator.head;
    sqlx::query("UPDATE audit_chain_head SET seq = ?, hash = ? WHERE id = 1")
        .bind(last.seq)
        .bind(&last.hash[..])
        .execute(&mut conn)
        .await?;
    conn.execute("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)")
        .await?;
    conn.close().await?;
    Ok((last, start.elapsed()))
}

/// Runs a `redress` command to the end; its output, seconds and peak RSS.
async fn timed(ctx: &Ctx, db: &Database, args: &[&str]) -> anyhow::Result<(String, f64, f64)> {
    let start = Instant::now();
    let child = crate::server::redress(&ctx.setup, db)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (memory, stop) = match child.id() {
        Some(pid) => {
            let (m, s) = PeakMemory::watch(pid);
            (m, Some(s))
        }
        None => (PeakMemory::default(), None),
    };
    let out = child.wait_with_output().await?;
    let seconds = start.elapsed().as_secs_f64();
    if let Some(s) = stop {
        s.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("redress {} failed: {text}", args.join(" "));
    }
    Ok((text, seconds, memory.mib()))
}

/// Reads every entry in chain order, as a client that only reads would:
/// returns entries and seconds.
async fn reference(db: &Database) -> anyhow::Result<(u64, f64)> {
    let start = Instant::now();
    match db.backend {
        Backend::Postgres => {
            let out = tokio::process::Command::new("psql")
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url, "-c"])
                .arg("\\copy (SELECT * FROM audit_log ORDER BY seq) TO '/dev/null'")
                .output()
                .await?;
            if !out.status.success() {
                bail!("psql: {}", String::from_utf8_lossy(&out.stderr));
            }
            let seconds = start.elapsed().as_secs_f64();
            let mut conn = PgConnection::connect(&db.url).await?;
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
                .fetch_one(&mut conn)
                .await?;
            conn.close().await?;
            Ok((u64::try_from(n)?, seconds))
        }
        Backend::Sqlite => {
            let mut conn = SqliteConnection::connect(&db.url).await?;
            let mut after = -1i64;
            let mut n = 0u64;
            loop {
                let rows =
                    sqlx::query("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 10000")
                        .bind(after)
                        .fetch_all(&mut conn)
                        .await?;
                let Some(last) = rows.last() else { break };
                after = last.try_get("seq")?;
                n += rows.len() as u64;
            }
            conn.close().await?;
            Ok((n, start.elapsed().as_secs_f64()))
        }
    }
}

async fn run_on(ctx: &mut Ctx, db: &Database) -> anyhow::Result<()> {
    let backend = db.backend;
    let b = backend.as_str();
    let n = match backend {
        Backend::Postgres => ctx.o.audit_entries,
        Backend::Sqlite => ctx.o.audit_entries_sqlite,
    }
    .max(1);
    timed(ctx, db, &["migrate"]).await?;
    // Gives anything the migration wrote its place before the load.
    timed(ctx, db, &["audit", "head"]).await?;
    eprintln!("bench: {b}: verify: generating {n} audit entries");
    let (head, took) = match backend {
        Backend::Postgres => load_pg(&db.url, n, ctx.o.seed).await?,
        Backend::Sqlite => load_sqlite(&db.url, n, ctx.o.seed).await?,
    };
    eprintln!("bench: {b}: verify: redress audit verify");
    let (text, seconds, rss) = timed(ctx, db, &["audit", "verify"]).await?;
    let summary = text
        .lines()
        .find(|l| l.contains("audit chain"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let entries = summary
        .strip_prefix("audit chain intact: ")
        .and_then(|s| s.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let expected_head = format!("head {}:{}", head.seq, store::audit::hex(&head.hash));
    eprintln!("bench: {b}: verify: reference");
    let (read, reference_seconds) = reference(db).await?;
    #[allow(clippy::cast_precision_loss, reason = "entry counts fit an f64")]
    let (rate, reference_rate) = (
        entries as f64 / seconds.max(1e-9),
        read as f64 / reference_seconds.max(1e-9),
    );
    let reference_name = match backend {
        Backend::Postgres => "psql \\copy (SELECT * FROM audit_log ORDER BY seq) TO /dev/null",
        Backend::Sqlite => "in-process read of every entry in seq order (sqlx, pages of 10,000)",
    };
    let mut note = String::new();
    let _ = write!(
        note,
        "{summary}; process time {seconds:.1} s; reference read {read} entries in \
         {reference_seconds:.1} s"
    );
    let intact = summary.contains(&expected_head);
    if !intact {
        let _ = write!(note, "; expected {expected_head}");
    }
    let mut row = Row::new(
        "verify",
        b,
        &format!("redress audit verify, {n} entries"),
        rate,
        "entries/s",
    )
    .rss(rss)
    .errors(u64::from(!intact))
    .against(reference_name, reference_rate)
    .target(Target::RatioAtLeast(0.5))
    .note(note);
    if entries == 0 {
        row.value = 0.0;
    }
    ctx.report.rows.push(row);
    ctx.report.notes.push(format!(
        "verify on {b}: {n} chained entries generated and loaded in {:.0} s.",
        took.as_secs_f64()
    ));
    Ok(())
}
