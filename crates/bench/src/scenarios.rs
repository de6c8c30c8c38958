//! The scenarios and their references, in the order `all` runs them.

use crate::data::{Catalogue, Stream};
use crate::load::{Latency, Outcome};
use crate::report::{Machine, Report, Row, Target};
use crate::server::{Account, Backend, Database, Server, Setup, create_account};
use crate::{BackendChoice, Cli, Options, Scenario};
use anyhow::{Context, bail};
use rand::Rng;
use sqlx::Connection as _;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) struct Ctx {
    pub(crate) o: Options,
    pub(crate) setup: Setup,
    pub(crate) catalogue: Arc<Catalogue>,
    pub(crate) report: Report,
}

impl Ctx {
    fn duration(&self) -> Duration {
        Duration::from_secs(self.o.duration)
    }
    pub(crate) fn warmup(&self) -> Duration {
        Duration::from_secs(self.o.warmup)
    }
}

pub(crate) async fn run(cli: Cli) -> anyhow::Result<bool> {
    let o = cli.opts;
    let redress = match &o.redress {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .map(|d| d.join("redress"))
            .context("no directory of the harness binary")?,
    };
    if !redress.exists() {
        bail!(
            "no redress binary at {} (build it: cargo build --release -p server, or pass --redress)",
            redress.display()
        );
    }
    let setup = Setup {
        redress,
        postgres: o.postgres.clone(),
        work_dir: o.work_dir.clone(),
        pool: o.pool,
    };
    let today = time::OffsetDateTime::now_utc().date();
    let mut backends: Vec<Backend> = match o.backend {
        BackendChoice::Sqlite => vec![Backend::Sqlite],
        BackendChoice::Postgres => vec![Backend::Postgres],
        BackendChoice::Both => vec![Backend::Sqlite, Backend::Postgres],
    };
    let all = matches!(cli.command, Scenario::All | Scenario::Smoke);
    let wants = |s: Scenario| all || cli.command == s;
    let mut ctx = Ctx {
        catalogue: Arc::new(Catalogue::from_seed(today)?),
        report: Report {
            date: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
            machine: machine(&o, backends.contains(&Backend::Postgres)).await,
            ..Report::default()
        },
        o,
        setup,
    };
    if let Some(url) = ctx.o.url.clone() {
        external(
            &mut ctx,
            &url,
            wants(Scenario::Intake),
            wants(Scenario::Reads),
        )
        .await?;
        backends.clear();
    }
    // A scenario that fails is reported and the run goes on: a long `all`
    // run keeps what it measured. The JSON is rewritten after each scenario
    // so that a run cut short still leaves its figures.
    let mut failed = Vec::new();
    for &backend in &backends {
        let b = backend.as_str();
        if wants(Scenario::Intake) || wants(Scenario::Reads) {
            let (intake, reads) = (wants(Scenario::Intake), wants(Scenario::Reads));
            let r = http_scenarios(&mut ctx, backend, intake, reads).await;
            settle(&mut ctx, &mut failed, &format!("intake/reads on {b}"), r);
        }
        if wants(Scenario::List) {
            let r = list(&mut ctx, backend).await;
            settle(&mut ctx, &mut failed, &format!("list on {b}"), r);
        }
        if wants(Scenario::Import) {
            let r = import(&mut ctx, backend).await;
            settle(&mut ctx, &mut failed, &format!("import on {b}"), r);
        }
        if wants(Scenario::Batch) {
            let r = crate::batch::run(&mut ctx, backend).await;
            settle(&mut ctx, &mut failed, &format!("batch on {b}"), r);
        }
        if wants(Scenario::Verify) {
            let r = crate::verify::run(&mut ctx, backend).await;
            settle(&mut ctx, &mut failed, &format!("verify on {b}"), r);
        }
        if wants(Scenario::Scale) {
            let r = crate::scale::run(&mut ctx, backend).await;
            settle(&mut ctx, &mut failed, &format!("scale on {b}"), r);
        }
    }
    if let Some(path) = &ctx.o.chart
        && !ctx.report.scale.is_empty()
    {
        std::fs::write(path, crate::chart::scale_svg(&ctx.report.scale))
            .with_context(|| format!("writing {}", path.display()))?;
        ctx.report
            .notes
            .push(format!("scale chart written to {}", path.display()));
    }
    ctx.report.machine.load_after = loadavg();
    let markdown = ctx.report.markdown();
    println!("{markdown}");
    if let Some(path) = &ctx.o.json {
        std::fs::write(path, serde_json::to_vec_pretty(&ctx.report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    // A run that could not do its work is a failed run (the smoke in CI
    // relies on this); slow figures are not failures.
    let broken: Vec<&Row> = ctx
        .report
        .rows
        .iter()
        .filter(|r| r.errors > 0 || r.value.is_nan() || r.value <= 0.0)
        .collect();
    for r in &broken {
        eprintln!(
            "redress-bench: {} / {} / {}: {} errors, value {}{}",
            r.scenario,
            r.backend,
            r.measure,
            r.errors,
            r.value,
            r.note
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        );
    }
    for f in &failed {
        eprintln!("redress-bench: {f}");
    }
    Ok(broken.is_empty() && failed.is_empty())
}

/// Records a scenario's failure as a note (and in `failed`) instead of
/// ending the run, then writes the JSON so far.
fn settle(ctx: &mut Ctx, failed: &mut Vec<String>, what: &str, r: anyhow::Result<()>) {
    if let Err(e) = r {
        let line = format!("{what} failed: {e:#}");
        eprintln!("redress-bench: {line}");
        ctx.report.notes.push(line.clone());
        failed.push(line);
    }
    if let Some(path) = &ctx.o.json
        && let Err(e) = serde_json::to_vec_pretty(&ctx.report)
            .map_err(anyhow::Error::from)
            .and_then(|json| std::fs::write(path, json).map_err(anyhow::Error::from))
    {
        eprintln!("redress-bench: writing {}: {e:#}", path.display());
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

async fn machine(o: &Options, postgres: bool) -> Machine {
    let ram_kib: f64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    let pg = if postgres {
        crate::pg::settings(&format!("{}/postgres", o.postgres.trim_end_matches('/')))
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let sqlite = async {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .ok()?;
        sqlx::query_scalar::<_, String>("SELECT sqlite_version()")
            .fetch_one(&mut conn)
            .await
            .ok()
    }
    .await
    .map_or_else(String::new, |v| format!("{v} (WAL, synchronous=FULL)"));
    Machine {
        nproc: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        ram_gib: ram_kib / 1024.0 / 1024.0,
        load_before: loadavg(),
        load_after: String::new(),
        postgres: pg,
        sqlite,
    }
}

pub(crate) fn client(connections: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true)
        .timeout(Duration::from_mins(1))
        .build()?)
}

pub(crate) async fn expect(r: reqwest::Response, want: u16) -> anyhow::Result<serde_json::Value> {
    let status = r.status();
    let body = r.bytes().await?;
    if status.as_u16() != want {
        bail!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(400)])
        );
    }
    Ok(serde_json::from_slice(&body)?)
}

struct IntakeWorker {
    client: reqwest::Client,
    base: Arc<str>,
    auth: String,
    stream: Stream,
    catalogue: Arc<Catalogue>,
    evidence_share: f64,
}

/// A file that sniffs as a JPEG, of a generated size.
fn evidence_file(w: &mut IntakeWorker) -> Vec<u8> {
    let size = usize::try_from(crate::data::evidence_size(&mut w.stream.rng)).unwrap_or(1024);
    let mut bytes = vec![0u8; size.max(16)];
    w.stream.rng.fill(&mut bytes[..]);
    bytes[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    bytes
}

/// One claim: `POST /v1/claims` then `POST /v1/claims/{id}/submit`, each
/// with its own Idempotency-Key.
async fn intake_once(w: &mut IntakeWorker) -> anyhow::Result<()> {
    let serial = w.stream.serial();
    let claim = w.catalogue.claim(&mut w.stream.rng, serial);
    // The serial in the high half keeps keys unique across loads on one
    // database (the scale scenario's steps), whatever their seeds.
    let key = (u128::from(serial) << 64) | u128::from(w.stream.rng.random::<u64>() >> 1);
    let created = expect(
        w.client
            .post(format!("{}/v1/claims", w.base))
            .header("authorization", &w.auth)
            .header("idempotency-key", format!("{key:032x}"))
            .json(&claim)
            .send()
            .await?,
        201,
    )
    .await
    .context("POST /v1/claims")?;
    let id = created["id"].as_str().context("no id in the answer")?;
    if w.evidence_share > 0.0 && w.stream.rng.random_bool(w.evidence_share.min(1.0)) {
        let part = reqwest::multipart::Part::bytes(evidence_file(w))
            .file_name("photo.jpg")
            .mime_str("image/jpeg")?;
        expect(
            w.client
                .post(format!("{}/v1/claims/{id}/evidence", w.base))
                .header("authorization", &w.auth)
                .multipart(reqwest::multipart::Form::new().part("file", part))
                .send()
                .await?,
            201,
        )
        .await
        .context("POST /v1/claims/{id}/evidence")?;
    }
    let key = (u128::from(serial) << 64) | u128::from(w.stream.rng.random::<u64>() | (1 << 63));
    expect(
        w.client
            .post(format!("{}/v1/claims/{id}/submit", w.base))
            .header("authorization", &w.auth)
            .header("idempotency-key", format!("{key:032x}"))
            .send()
            .await?,
        200,
    )
    .await
    .context("POST /v1/claims/{id}/submit")?;
    Ok(())
}

/// Intake over HTTP; `serial_base` keeps the taxpayer numbers of several
/// loads on one database apart.
pub(crate) async fn intake_http(
    ctx: &Ctx,
    base: &str,
    claimants: &[Account],
    warmup: Duration,
    duration: Duration,
    serial_base: u64,
) -> anyhow::Result<Outcome> {
    let connections = ctx.o.connections;
    let client = client(connections)?;
    let base: Arc<str> = Arc::from(base);
    // Idempotency keys come from the stream too: another base, other keys.
    let seed = ctx.o.seed ^ serial_base;
    let catalogue = ctx.catalogue.clone();
    Ok(crate::load::run(
        connections,
        warmup,
        duration,
        |w| IntakeWorker {
            client: client.clone(),
            base: base.clone(),
            auth: format!("Bearer {}", claimants[w % claimants.len()].token),
            stream: Stream::from_serial(seed, w as u64, connections as u64, serial_base),
            catalogue: catalogue.clone(),
            evidence_share: ctx.o.evidence_share,
        },
        |mut w: IntakeWorker| async move {
            let r = intake_once(&mut w).await;
            (w, r)
        },
    )
    .await)
}

/// Ids of claims to read, through the list API.
async fn claim_ids(base: &str, token: &str, most: usize) -> anyhow::Result<Vec<String>> {
    let client = client(1)?;
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    while ids.len() < most {
        let mut q = vec![("limit", "500".to_owned())];
        if let Some(c) = &cursor {
            q.push(("cursor", c.clone()));
        }
        let page = expect(
            client
                .get(format!("{base}/v1/claims"))
                .header("authorization", format!("Bearer {token}"))
                .query(&q)
                .send()
                .await?,
            200,
        )
        .await?;
        for item in page["items"].as_array().into_iter().flatten() {
            if let Some(id) = item["id"].as_str() {
                ids.push(id.to_owned());
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    Ok(ids)
}

struct ReadWorker {
    client: reqwest::Client,
    base: Arc<str>,
    auth: Arc<str>,
    ids: Arc<Vec<String>>,
    rng: rand::rngs::StdRng,
}

async fn reads_http(ctx: &Ctx, base: &str, staff: &Account) -> anyhow::Result<Outcome> {
    let ids = claim_ids(base, &staff.token, 50_000).await?;
    reads_of(ctx, base, staff, ids, ctx.warmup(), ctx.duration()).await
}

/// `GET /v1/claims/{id}` over `ids`, drawn at random.
pub(crate) async fn reads_of(
    ctx: &Ctx,
    base: &str,
    staff: &Account,
    ids: Vec<String>,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let ids = Arc::new(ids);
    anyhow::ensure!(!ids.is_empty(), "no claims to read");
    let connections = ctx.o.connections;
    let client = client(connections)?;
    let base: Arc<str> = Arc::from(base);
    let auth: Arc<str> = Arc::from(format!("Bearer {}", staff.token));
    let seed = ctx.o.seed;
    Ok(crate::load::run(
        connections,
        warmup,
        duration,
        |w| ReadWorker {
            client: client.clone(),
            base: base.clone(),
            auth: auth.clone(),
            ids: ids.clone(),
            rng: rand::SeedableRng::seed_from_u64(seed ^ (w as u64 + 17)),
        },
        |mut w: ReadWorker| async move {
            let id = &w.ids[w.rng.random_range(0..w.ids.len())];
            let r = async {
                let r = w
                    .client
                    .get(format!("{}/v1/claims/{id}", w.base))
                    .header("authorization", &*w.auth)
                    .send()
                    .await?;
                expect(r, 200).await.map(drop)
            }
            .await;
            (w, r)
        },
    )
    .await)
}

pub(crate) async fn accounts(
    ctx: &Ctx,
    db: &Database,
    claimants: usize,
) -> anyhow::Result<(Vec<Account>, Account)> {
    let mut list = Vec::new();
    for i in 0..claimants {
        list.push(create_account(&ctx.setup, db, &format!("Заявник {i}"), "claimant").await?);
    }
    let staff = create_account(&ctx.setup, db, "Реєстратор", "registrar").await?;
    Ok((list, staff))
}

/// Intake and reads against a server the harness did not start.
async fn external(ctx: &mut Ctx, url: &str, intake: bool, reads: bool) -> anyhow::Result<()> {
    let server = Server::external(url)?;
    let token = |t: &Option<String>| Account {
        id: String::new(),
        token: t.clone().unwrap_or_default(),
    };
    let claimant = token(&ctx.o.claimant_token);
    let staff = token(&ctx.o.staff_token);
    let connections = ctx.o.connections;
    if intake {
        let out = intake_http(
            ctx,
            &server.base,
            &[claimant],
            ctx.warmup(),
            ctx.duration(),
            0,
        )
        .await?;
        ctx.report.rows.push(
            Row::new(
                "intake",
                url,
                &format!("claims/s (create + submit, Idempotency-Key), {connections} connections"),
                out.per_second(),
                "claims/s",
            )
            .latency(Latency::of(&out.latency))
            .errors(out.errors),
        );
    }
    if reads {
        let out = reads_http(ctx, &server.base, &staff).await?;
        ctx.report.rows.push(
            Row::new(
                "reads",
                url,
                &format!("GET /v1/claims/{{id}}, {connections} connections"),
                out.per_second(),
                "req/s",
            )
            .latency(Latency::of(&out.latency))
            .errors(out.errors),
        );
    }
    Ok(())
}

/// Intake and reads over HTTP on one fresh database, then their references
/// on the same database with the server stopped.
async fn http_scenarios(
    ctx: &mut Ctx,
    backend: Backend,
    intake: bool,
    reads: bool,
) -> anyhow::Result<()> {
    let db = Database::create(&ctx.setup, backend).await?;
    let result = http_scenarios_on(ctx, &db, intake, reads).await;
    db.drop_now().await;
    result
}

async fn http_scenarios_on(
    ctx: &mut Ctx,
    db: &Database,
    intake: bool,
    reads: bool,
) -> anyhow::Result<()> {
    let backend = db.backend;
    let b = backend.as_str();
    let (claimants, staff) = accounts(ctx, db, 8).await?;
    let mut server = Server::start(&ctx.setup, db).await?;
    eprintln!(
        "bench: {b}: server at {} (pid {:?})",
        server.base, server.pid
    );
    // Reads need claims to read: without the intake scenario, a short fill.
    let fill = if intake {
        ctx.duration()
    } else {
        ctx.duration().min(Duration::from_secs(15))
    };
    eprintln!("bench: {b}: intake over HTTP for {} s", fill.as_secs());
    let intake_out = intake_http(ctx, &server.base, &claimants, ctx.warmup(), fill, 0).await;
    let intake_out = match intake_out {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{}", crate::server::tail(&server.log, 3000));
            return Err(e);
        }
    };
    let intake_rss = server.memory.mib();
    let reads_out = if reads {
        eprintln!("bench: {b}: reads over HTTP");
        Some(reads_http(ctx, &server.base, &staff).await?)
    } else {
        None
    };
    let reads_rss = server.memory.mib();
    server.stop().await;
    if intake_out.errors > 0 || reads_out.as_ref().is_some_and(|o| o.errors > 0) {
        eprintln!(
            "bench: {b}: server log tail:\n{}",
            crate::server::tail(&server.log, 3000)
        );
    }
    let connections = ctx.o.connections;
    let intake_latency = Latency::of(&intake_out.latency);
    let mut rows = Vec::new();
    match backend {
        Backend::Postgres => {
            let work = db.dir.path();
            let pgbench = ctx.o.pgbench.clone();
            if let Some(out) = &reads_out {
                let (year, last): (i32, i64) = {
                    let mut conn = sqlx::PgConnection::connect(&db.url).await?;
                    let v = sqlx::query_as(
                        "SELECT year, last FROM reference_counters ORDER BY year DESC LIMIT 1",
                    )
                    .fetch_one(&mut conn)
                    .await?;
                    conn.close().await?;
                    v
                };
                eprintln!("bench: {b}: pgbench point selects");
                let sel = crate::pg::pgbench(
                    &pgbench,
                    &db.url,
                    "select",
                    &crate::pg::select_script(&format!("RD-{year}-"), u64::try_from(last)?),
                    connections,
                    ctx.duration(),
                    work,
                )
                .await?;
                rows.push(
                    Row::new(
                        "reads",
                        b,
                        &format!("GET /v1/claims/{{id}}, {connections} connections"),
                        out.per_second(),
                        "req/s",
                    )
                    .latency(Latency::of(&out.latency))
                    .rss(reads_rss)
                    .errors(out.errors)
                    .against("pgbench point select", sel.tps)
                    .target(Target::RatioAtLeast(0.5)),
                );
                rows.push(
                    Row::new(
                        "reads",
                        b,
                        &format!("pgbench point select by reference, {connections} clients"),
                        sel.tps,
                        "tps",
                    )
                    .latency(sel.latency.clone()),
                );
            }
            if intake {
                eprintln!("bench: {b}: pgbench single-row inserts");
                crate::pg::execute(&db.url, crate::pg::INSERT_TABLE).await?;
                let sample = sample_content(&db.url).await?;
                let insert = crate::pg::pgbench(
                    &pgbench,
                    &db.url,
                    "insert",
                    &crate::pg::insert_script(&sample.content_b64),
                    connections,
                    ctx.duration(),
                    work,
                )
                .await?;
                eprintln!("bench: {b}: pgbench replay of the per-claim SQL");
                let categories = ctx.catalogue.category_codes();
                let regions: Vec<String> = ctx
                    .catalogue
                    .regions
                    .iter()
                    .map(|(r, _)| r.clone())
                    .collect();
                let script = crate::pg::replay_script(&crate::pg::ReplayInputs {
                    account_id: claimants[0].id.clone(),
                    categories,
                    regions,
                    content_b64: sample.content_b64,
                    body_b64: sample.body_b64,
                });
                let (statements, transactions, writes) = crate::pg::script_shape(&script);
                let replay = crate::pg::pgbench(
                    &pgbench,
                    &db.url,
                    "replay",
                    &script,
                    connections,
                    ctx.duration(),
                    work,
                )
                .await?;
                let mut intake_row = Row::new(
                    "intake",
                    b,
                    &format!(
                        "claims/s (create + submit, Idempotency-Key), {connections} connections"
                    ),
                    intake_out.per_second(),
                    "claims/s",
                )
                .latency(intake_latency.clone())
                .rss(intake_rss)
                .errors(intake_out.errors)
                .against("pgbench replay of Redress's per-claim SQL", replay.tps)
                .target(Target::RatioAtLeast(0.6));
                if let Some(e) = &intake_out.first_error {
                    intake_row = intake_row.note(format!("first error: {e}"));
                }
                rows.push(intake_row);
                rows.push(
                    Row::new(
                        "intake",
                        b,
                        "claim latency (create + submit) and server memory",
                        intake_latency.p99_ms,
                        "ms p99",
                    )
                    .latency(intake_latency)
                    .rss(intake_rss)
                    .target(Target::P99Below(50.0))
                    .target(Target::RssBelow(150.0)),
                );
                rows.push(
                    Row::new(
                        "intake",
                        b,
                        &format!(
                            "pgbench replay: {statements} statements, {transactions} transactions ({writes} that wait for the WAL flush) per claim"
                        ),
                        replay.tps,
                        "claims/s",
                    )
                    .latency(replay.latency.clone())
                    .errors(replay.failed)
                    .against("pgbench single-row insert", insert.tps)
                    .target(Target::RatioAtLeast(0.3)),
                );
                rows.push(
                    Row::new(
                        "intake",
                        b,
                        "end to end: Redress claims/s against the raw durable-write rate",
                        intake_out.per_second(),
                        "claims/s",
                    )
                    .against("pgbench single-row insert", insert.tps),
                );
                rows.push(
                    Row::new(
                        "intake",
                        b,
                        &format!("pgbench single-row insert, claim-shaped row, 2 secondary indexes, {connections} clients"),
                        insert.tps,
                        "tps",
                    )
                    .latency(insert.latency)
                    .errors(insert.failed),
                );
            }
        }
        Backend::Sqlite => {
            if let Some(out) = &reads_out {
                rows.push(
                    Row::new(
                        "reads",
                        b,
                        &format!("GET /v1/claims/{{id}}, {connections} connections"),
                        out.per_second(),
                        "req/s",
                    )
                    .latency(Latency::of(&out.latency))
                    .rss(reads_rss)
                    .errors(out.errors)
                    .note("no reference: the targets name pgbench point selects (PostgreSQL)"),
                );
            }
            if intake {
                eprintln!("bench: {b}: in-process loop of the per-claim SQL");
                let sample = sample_content_sqlite(&db.sqlite_path()).await?;
                let categories = ctx.catalogue.category_codes();
                let regions: Vec<String> = ctx
                    .catalogue
                    .regions
                    .iter()
                    .map(|(r, _)| r.clone())
                    .collect();
                let reference = crate::sqlite_ref::intake_loop(
                    &db.sqlite_path(),
                    &sample.0,
                    &sample.1,
                    &categories,
                    &regions,
                    ctx.duration(),
                )
                .await?;
                eprintln!("bench: {b}: in-process loop of single-row inserts");
                let raw = crate::sqlite_ref::single_row_loop(
                    &db.sqlite_path(),
                    &sample.0,
                    ctx.duration(),
                )
                .await?;
                let mut row = Row::new(
                    "intake",
                    b,
                    &format!(
                        "claims/s (create + submit, Idempotency-Key), {connections} connections"
                    ),
                    intake_out.per_second(),
                    "claims/s",
                )
                .latency(intake_latency.clone())
                .rss(intake_rss)
                .errors(intake_out.errors)
                .against("in-process loop of the same SQL", reference.per_second())
                .target(Target::RatioAtLeast(0.5));
                if let Some(e) = &intake_out.first_error {
                    row = row.note(format!("first error: {e}"));
                }
                rows.push(row);
                let mut row = Row::new(
                    "intake",
                    b,
                    "in-process loop of the per-claim SQL (one writer, WAL, synchronous=FULL)",
                    reference.per_second(),
                    "claims/s",
                )
                .latency(Latency::of(&reference.latency))
                .errors(reference.errors);
                if let Some(e) = reference.first_error {
                    row = row.note(format!("first error: {e}"));
                }
                rows.push(row);
                rows.push(
                    Row::new(
                        "intake",
                        b,
                        "end to end: Redress claims/s against the raw durable-write rate",
                        intake_out.per_second(),
                        "claims/s",
                    )
                    .latency(intake_latency)
                    .against("in-process single-row insert loop", raw.per_second())
                    .target(Target::RatioAtLeast(0.3)),
                );
                let mut row = Row::new(
                    "intake",
                    b,
                    "in-process loop of single-row inserts, claim-shaped row, 2 secondary indexes (WAL, synchronous=FULL)",
                    raw.per_second(),
                    "rows/s",
                )
                .latency(Latency::of(&raw.latency))
                .errors(raw.errors);
                if let Some(e) = raw.first_error {
                    row = row.note(format!("first error: {e}"));
                }
                rows.push(row);
            }
        }
    }
    ctx.report.rows.extend(rows);
    Ok(())
}

struct Sample {
    content_b64: String,
    body_b64: String,
}

/// A claim's stored content and a kept answer, to give the reference
/// scripts rows of the same size as the server's.
async fn sample_content(url: &str) -> anyhow::Result<Sample> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let (content_b64, body_b64): (String, String) = sqlx::query_as(
        "SELECT translate(encode(convert_to(c.content::text, 'UTF8'), 'base64'), E'\\n', ''), \
         translate(encode(k.response_body, 'base64'), E'\\n', '') \
         FROM claims c, idempotency_keys k WHERE k.response_status = 201 LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(Sample {
        content_b64,
        body_b64,
    })
}

async fn sample_content_sqlite(path: &std::path::Path) -> anyhow::Result<(String, Vec<u8>)> {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await?;
    let v: (String, Vec<u8>) = sqlx::query_as(
        "SELECT c.content, k.response_body FROM claims c, idempotency_keys k \
         WHERE k.response_status = 201 LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(v)
}

async fn list(ctx: &mut Ctx, backend: Backend) -> anyhow::Result<()> {
    let db = Database::create(&ctx.setup, backend).await?;
    let result = list_on(ctx, &db).await;
    db.drop_now().await;
    result
}

async fn list_on(ctx: &mut Ctx, db: &Database) -> anyhow::Result<()> {
    let backend = db.backend;
    let rows = match backend {
        Backend::Postgres => ctx.o.list_rows,
        Backend::Sqlite => ctx.o.list_rows_sqlite,
    };
    let (claimants, staff) = accounts(ctx, db, 4).await?;
    let ids: Vec<String> = claimants.iter().map(|a| a.id.clone()).collect();
    eprintln!(
        "bench: {}: list: generating {rows} claims",
        backend.as_str()
    );
    let took = crate::list::fill(backend, &db.url, rows, &ctx.catalogue, &ids).await?;
    let mut server = Server::start(&ctx.setup, db).await?;
    let memory = server.memory.clone();
    let result = crate::list::measure(
        backend,
        &db.url,
        &server.base,
        &staff.token,
        &ctx.catalogue,
        rows,
        ctx.o.list_connections,
        Duration::from_secs(1),
        Duration::from_secs(ctx.o.list_duration),
        ctx.o.seed,
        move || memory.mib(),
    )
    .await;
    server.stop().await;
    let (list_rows, explains) = result?;
    ctx.report.notes.push(format!(
        "list on {}: {rows} claims generated in the database in {:.0} s; {} connections, {} s per filter, up to five pages per walk (limit 50).",
        backend.as_str(),
        took.as_secs_f64(),
        ctx.o.list_connections,
        ctx.o.list_duration
    ));
    ctx.report.rows.extend(list_rows);
    ctx.report.explains.extend(explains);
    Ok(())
}

async fn import(ctx: &mut Ctx, backend: Backend) -> anyhow::Result<()> {
    let db = Database::create(&ctx.setup, backend).await?;
    let result = import_on(ctx, &db).await;
    db.drop_now().await;
    result
}

async fn import_on(ctx: &mut Ctx, db: &Database) -> anyhow::Result<()> {
    let backend = db.backend;
    let b = backend.as_str();
    let (claimants, _) = accounts(ctx, db, 1).await?;
    let rows = ctx.o.import_rows;
    let file = db.dir.path().join("claims.jsonl");
    eprintln!(
        "bench: {b}: import: writing {rows} rows to {}",
        file.display()
    );
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
        let mut stream = Stream::new(ctx.o.seed, 0, 1);
        for i in 0..rows {
            let serial = stream.serial();
            let claim = ctx.catalogue.claim(&mut stream.rng, serial);
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({
                    "external_id": format!("bench-{}-{i}", ctx.o.seed),
                    "claim": claim,
                    "submit": true,
                }),
            )?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    let bytes = std::fs::metadata(&file)?.len();
    eprintln!("bench: {b}: import: redress import claims");
    let start = Instant::now();
    let child = crate::server::redress(&ctx.setup, db)
        .args(["import", "claims"])
        .arg(&file)
        .args(["--filed-by", &claimants[0].id])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let (memory, stop) = match child.id() {
        Some(pid) => {
            let (m, s) = crate::server::PeakMemory::watch(pid);
            (m, Some(s))
        }
        None => (crate::server::PeakMemory::default(), None),
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
        bail!("redress import failed: {text}");
    }
    let summary = text
        .lines()
        .rev()
        .find(|l| l.contains("imported"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let imported = summary
        .split(", ")
        .find_map(|p| p.strip_prefix("imported "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let rejected = summary
        .split(", ")
        .find_map(|p| p.strip_prefix("rejected "))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    #[allow(clippy::cast_precision_loss, reason = "row counts fit an f64")]
    let rate = imported as f64 / seconds.max(1e-9);
    eprintln!("bench: {b}: import: reference");
    let (reference_name, copied_rows, copy_seconds) = match backend {
        Backend::Postgres => {
            let (n, s) = crate::pg::copy_reference(
                &db.url,
                &[
                    ("claims", "SELECT * FROM claims"),
                    ("audit_log", "SELECT * FROM audit_log"),
                ],
                db.dir.path(),
            )
            .await?;
            ("COPY of the claims and audit entries it wrote", n, s)
        }
        Backend::Sqlite => {
            let (n, s) = crate::sqlite_ref::batched_copy(&db.sqlite_path(), db.dir.path()).await?;
            (
                "in-process insert of the claims and audit entries it wrote, 1,000 rows a transaction",
                n,
                s,
            )
        }
    };
    #[allow(clippy::cast_precision_loss, reason = "row counts fit an f64")]
    let reference_rate = imported as f64 / copy_seconds.max(1e-9);
    let mut row = Row::new(
        "import",
        b,
        &format!(
            "redress import claims, {rows} JSON Lines rows ({:.0} MiB), submit: true",
            f64::from(u32::try_from(bytes / 1024).unwrap_or(u32::MAX)) / 1024.0
        ),
        rate,
        "claims/s",
    )
    .rss(memory.mib())
    .errors(rejected)
    .against(reference_name, reference_rate)
    .target(Target::RatioAtLeast(0.5))
    .target(Target::RssBelow(256.0))
    .note(format!(
        "{summary}; reference wrote {copied_rows} rows in {copy_seconds:.1} s, shown as claims/s"
    ));
    if imported == 0 {
        row.value = 0.0;
    }
    ctx.report.rows.push(row);
    let _ = std::fs::remove_file(&file);
    Ok(())
}
