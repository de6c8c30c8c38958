//! The batch scenario: mass assessment as staff run it. Recorded claims
//! and their cases are generated in the database (as the list scenario
//! generates claims: the batch does not care how they arrived); a Council
//! account publishes a per-unit valuation rule, an assessor selects the
//! cases into batches of at most 100,000 (the API's limit) and starts each
//! batch's assessment job, and the harness polls the jobs until every
//! batch has its sample drawn. The reference is `COPY` of the rows the
//! batches wrote: their memberships (`batch_cases`), the case rows their
//! assessment rewrote (once each), the assessments, audit entries, jobs
//! and batches. A second, smaller batch is then interrupted: the server
//! is killed mid-job and started again, and the job must finish without
//! assessing any case twice.

use crate::report::{Row, Target};
use crate::scenarios::{Ctx, client, expect};
use crate::server::{Account, Backend, Database, Server, create_account};
use anyhow::{Context, bail};
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};
use std::time::{Duration, Instant};

/// The category of the generated cases and of the rule.
const CATEGORY: &str = "A3.1";
/// The API's upper bound on `max_cases`.
const MAX_PER_BATCH: u64 = 100_000;

/// Recorded claims of one category with a floor area among their category
/// fields, and their cases awaiting assessment, for the series
/// `$1..=$2`; creation times spread over 500 days as if there were `$3`.
/// Ids are UUIDv7-shaped in creation order, as the server makes them;
/// claimants are all distinct (no cross-category duplicate flags).
const PG_CASES: &str = "WITH s AS (\
  SELECT g, md5(g::text) AS h, md5('case' || g::text) AS h2, \
    timestamptz '2024-06-01 00:00:00+00' + (g::float8 / $3) * interval '500 days' AS created \
  FROM generate_series($1::bigint, $2::bigint) g), \
v AS (SELECT g, created, \
    (lpad(to_hex((extract(epoch FROM created) * 1000)::bigint), 12, '0') || '7' || substr(h, 1, 3) || '8' \
      || substr(h, 4, 15))::uuid AS claim_id, \
    (lpad(to_hex((extract(epoch FROM created + interval '1 day') * 1000)::bigint), 12, '0') || '7' \
      || substr(h2, 1, 3) || '8' || substr(h2, 4, 15))::uuid AS case_id, \
    ($4::text[])[1 + ('x0' || substr(h, 20, 7))::bit(32)::int % cardinality($4::text[])] AS reg, \
    ($5::text[])[1 + ('x0' || substr(h2, 20, 7))::bit(32)::int % cardinality($5::text[])] AS fam, \
    lpad(g::text, 10, '0') AS tax, \
    ((('x0' || substr(h2, 9, 7))::bit(32)::int % 30000000) / 100.0 + 3000)::numeric(12, 2) AS amount, \
    (30 + (('x0' || substr(h, 24, 7))::bit(32)::int % 1700) / 10.0)::numeric(6, 1) AS area, \
    date '2022-03-01' + ('x0' || substr(h2, 24, 7))::bit(32)::int % 1000 AS incident \
  FROM s), \
c AS (INSERT INTO claims (id, filed_by, status, category, reference, content, claimant_name, \
    claimant_search, claimant_key, region, incident_from, incident_to, totals, submitted_at, decided_at, \
    created_at, updated_at) \
  SELECT claim_id, $6::uuid, 'recorded', 'A3.1', \
    'RD-' || extract(year FROM created)::int || '-' || lpad(g::text, 7, '0'), \
    jsonb_build_object('claimant', jsonb_build_object('claimant_type', 'natural_person', \
        'given_name', 'Олена', 'family_name', fam, 'patronymic', 'Петрівна', 'tax_number', tax, \
        'nationalities', jsonb_build_array('UA')), \
      'category', 'A3.1', 'incident', jsonb_build_object('kind', 'on', 'date', incident), \
      'location', jsonb_build_object('region', reg, 'settlement', 'Ірпінь', 'occupied_territory', false), \
      'narrative', 'Будинок було зруйновано внаслідок артилерійського обстрілу.', \
      'losses', jsonb_build_array(jsonb_build_object('description', 'Житловий будинок', \
        'amount', jsonb_build_object('amount', amount::text, 'currency', 'EUR'))), \
      'external_references', '[]'::jsonb, \
      'category_fields', jsonb_build_object('floor_area_m2', area::text)), \
    fam || ' Олена Петрівна', lower(fam || ' Олена Петрівна'), 'rnokpp:' || tax, reg, incident, incident, \
    jsonb_build_array(jsonb_build_object('amount', amount::text, 'currency', 'EUR')), \
    created, created + interval '1 day', created, created + interval '1 day' \
  FROM v) \
INSERT INTO cases (id, claim_id, category, region, claimant_key, claimed_amount, claimed_currency, facts, \
  status, created_at, updated_at) \
SELECT case_id, claim_id, 'A3.1', reg, 'rnokpp:' || tax, amount, 'EUR', \
  jsonb_build_object('claimed', jsonb_build_array(jsonb_build_object('amount', amount::text, 'currency', 'EUR')), \
    'quantities', jsonb_build_object('floor_area_m2', area::text), 'region', reg, \
    'incident_date', incident::text, 'submission_date', created::date::text), \
  'awaiting_assessment', created + interval '1 day', created + interval '1 day' \
FROM v";

/// A per-unit rule: a rate per square metre of floor, higher in two
/// regions, depreciated, capped.
fn rule() -> serde_json::Value {
    json!({
        "category": CATEGORY,
        "kind": "per_unit",
        "unit": "floor_area_m2",
        "rate": {"amount": "850", "currency": "EUR"},
        "regional_rates": {
            "UA-30": {"amount": "1200", "currency": "EUR"},
            "UA-32": {"amount": "950", "currency": "EUR"},
        },
        "factors": [{"name": "depreciation", "value": "0.8"}],
        "cap": {"amount": "150000", "currency": "EUR"},
        "valuation_date": "incident_date",
        "currency": "EUR",
    })
}

pub(crate) async fn run(ctx: &mut Ctx, backend: Backend) -> anyhow::Result<()> {
    if backend == Backend::Sqlite {
        ctx.report.notes.push(
            "batch on sqlite: not measured (the target is written against PostgreSQL's COPY)."
                .to_owned(),
        );
        return Ok(());
    }
    let db = Database::create(&ctx.setup, backend).await?;
    let result = run_on(ctx, &db).await;
    db.drop_now().await;
    result
}

/// Generates cases `first..=last`. With `bulk`, the secondary indexes of
/// both tables are dropped for the load and built again after it.
async fn generate(
    ctx: &Ctx,
    url: &str,
    first: u64,
    last: u64,
    spread: u64,
    filed_by: &str,
    bulk: bool,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut conn = PgConnection::connect(url).await?;
    // Generation only: the measured work runs with the server's own
    // durable settings.
    conn.execute(
        "SET synchronous_commit = off; SET maintenance_work_mem = '512MB'; SET TIME ZONE 'UTC'",
    )
    .await?;
    let mut dropped = Vec::new();
    if bulk {
        for table in ["claims", "cases"] {
            for (name, def) in crate::pg::secondary_indexes(&mut conn, table).await? {
                conn.execute(format!("DROP INDEX {name}").as_str()).await?;
                dropped.push((name, def));
            }
        }
    }
    let regions: Vec<String> = ctx
        .catalogue
        .regions
        .iter()
        .flat_map(|(r, w)| std::iter::repeat_n(r.clone(), *w as usize))
        .collect();
    let families: Vec<String> = crate::data::FAMILY
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let filed_by: uuid::Uuid = filed_by.parse()?;
    let chunk = 250_000u64;
    let mut from = first;
    while from <= last {
        let to = (from + chunk - 1).min(last);
        sqlx::query(PG_CASES)
            .bind(i64::try_from(from)?)
            .bind(i64::try_from(to)?)
            .bind(i64::try_from(spread.max(1))?)
            .bind(&regions)
            .bind(&families)
            .bind(filed_by)
            .execute(&mut conn)
            .await
            .context("generating claims and cases")?;
        eprintln!(
            "bench: batch: {} of {} cases generated ({:.0} s)",
            to - first + 1,
            last - first + 1,
            start.elapsed().as_secs_f64()
        );
        from = to + 1;
    }
    for (name, def) in &dropped {
        eprintln!("bench: batch: building index {name}");
        conn.execute(def.as_str()).await?;
    }
    conn.execute("VACUUM ANALYZE claims").await?;
    conn.execute("VACUUM ANALYZE cases").await?;
    conn.close().await?;
    Ok(start.elapsed())
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    async fn post(
        &self,
        token: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        want: u16,
    ) -> anyhow::Result<serde_json::Value> {
        let mut r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {token}"));
        if let Some(b) = body {
            r = r.json(b);
        }
        expect(r.send().await?, want)
            .await
            .with_context(|| format!("POST {path}"))
    }

    async fn get(&self, token: &str, path: &str) -> anyhow::Result<serde_json::Value> {
        expect(
            self.client
                .get(format!("{}{path}", self.base))
                .header("authorization", format!("Bearer {token}"))
                .send()
                .await?,
            200,
        )
        .await
        .with_context(|| format!("GET {path}"))
    }

    /// Selects up to `cases` cases into one batch and starts its job;
    /// returns the batch and job ids and the cases selected.
    async fn batch(&self, assessor: &Account, cases: u64) -> anyhow::Result<(String, String, u64)> {
        let batch = self
            .post(
                &assessor.token,
                "/v1/batches",
                Some(&json!({
                    "category": CATEGORY,
                    "max_cases": cases,
                    "sample_share": "0.05",
                    "sample_minimum": 10,
                    "error_threshold": "0.05",
                })),
                201,
            )
            .await?;
        let id = batch["id"].as_str().context("no batch id")?.to_owned();
        let selected = batch["case_count"].as_u64().unwrap_or(0);
        let job = self
            .post(
                &assessor.token,
                &format!("/v1/batches/{id}/assess"),
                None,
                202,
            )
            .await?;
        let job = job["id"].as_str().context("no job id")?.to_owned();
        Ok((id, job, selected))
    }
}

/// A job as `GET /v1/jobs/{id}` shows it.
#[derive(Debug, Default, Clone)]
struct Job {
    status: String,
    total: u64,
    processed: u64,
    assessed: u64,
    individual: u64,
    failed: u64,
    error: Option<String>,
}

impl Job {
    fn of(v: &serde_json::Value) -> Self {
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        Self {
            status: v["status"].as_str().unwrap_or_default().to_owned(),
            total: n("total"),
            processed: n("processed"),
            assessed: n("assessed"),
            individual: n("routed_individual"),
            failed: n("failed"),
            error: v["error"].as_str().map(str::to_owned),
        }
    }

    fn finished(&self) -> bool {
        matches!(self.status.as_str(), "completed" | "failed")
    }
}

async fn job(api: &Api, token: &str, id: &str) -> anyhow::Result<Job> {
    Ok(Job::of(&api.get(token, &format!("/v1/jobs/{id}")).await?))
}

async fn count(conn: &mut PgConnection, sql: &str) -> anyhow::Result<u64> {
    let n: i64 = sqlx::query_scalar(sql).fetch_one(conn).await?;
    Ok(u64::try_from(n)?)
}

async fn run_on(ctx: &mut Ctx, db: &Database) -> anyhow::Result<()> {
    let b = db.backend.as_str();
    let n = ctx.o.batch_cases.max(1);
    let claimant = create_account(&ctx.setup, db, "Заявниця", "claimant").await?;
    let council = create_account(&ctx.setup, db, "Рада", "council").await?;
    let assessor = create_account(&ctx.setup, db, "Оцінювач", "assessor").await?;
    eprintln!("bench: {b}: batch: generating {n} recorded claims and their cases");
    let generated = generate(ctx, &db.url, 1, n, n, &claimant.id, true).await?;
    let mut server = Server::start(&ctx.setup, db).await?;
    let api = Api {
        client: client(2)?,
        base: server.base.clone(),
    };
    let outcome = assess_all(&api, &council, &assessor, n).await;
    let rss = server.memory.mib();
    server.stop().await;
    let (elapsed, jobs) = match outcome {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{}", crate::server::tail(&server.log, 3000));
            return Err(e);
        }
    };
    let assessed: u64 = jobs.iter().map(|j| j.assessed).sum();
    let individual: u64 = jobs.iter().map(|j| j.individual).sum();
    let failed: u64 = jobs.iter().map(|j| j.failed).sum();
    let mut conn = PgConnection::connect(&db.url).await?;
    let written = [
        (
            "assessments",
            count(&mut conn, "SELECT count(*) FROM assessments").await?,
        ),
        (
            "batch memberships",
            count(&mut conn, "SELECT count(*) FROM batch_cases").await?,
        ),
        (
            "cases",
            count(
                &mut conn,
                "SELECT count(*) FROM cases c JOIN batch_cases m ON m.case_id = c.id",
            )
            .await?,
        ),
        (
            "audit entries",
            count(
                &mut conn,
                "SELECT count(*) FROM audit_log WHERE action LIKE 'batch.%'",
            )
            .await?,
        ),
        ("jobs", count(&mut conn, "SELECT count(*) FROM jobs").await?),
        (
            "batches",
            count(&mut conn, "SELECT count(*) FROM batches").await?,
        ),
    ];
    let sampled = count(
        &mut conn,
        "SELECT coalesce(sum(jsonb_array_length(sample)), 0)::bigint FROM batches",
    )
    .await?;
    conn.close().await?;
    eprintln!("bench: {b}: batch: COPY reference");
    let (copied, copy_seconds) = crate::pg::copy_reference(
        &db.url,
        &[
            ("assessments", "SELECT * FROM assessments"),
            ("batch_cases", "SELECT * FROM batch_cases"),
            (
                "cases",
                "SELECT c.* FROM cases c JOIN batch_cases m ON m.case_id = c.id",
            ),
            (
                "audit_log",
                "SELECT * FROM audit_log WHERE action LIKE 'batch.%'",
            ),
            ("jobs", "SELECT * FROM jobs"),
            ("batches", "SELECT * FROM batches"),
        ],
        db.dir.path(),
    )
    .await?;
    let seconds = elapsed.as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "case counts fit an f64")]
    let (rate, reference) = (
        assessed as f64 / seconds.max(1e-9),
        assessed as f64 / copy_seconds.max(1e-9),
    );
    let written_text: Vec<String> = written
        .iter()
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
    let mut row = Row::new(
        "batch",
        b,
        &format!(
            "batch assessment of {n} cases (per-unit rule, {} batches, create + assess + sample)",
            jobs.len()
        ),
        rate,
        "cases/s",
    )
    .rss(rss)
    .errors(failed)
    .against("COPY of the rows the batches wrote", reference)
    .target(Target::RatioAtLeast(0.7))
    .note(format!(
        "{assessed} assessed, {individual} routed to individual assessment, {failed} failed, \
         {sampled} sampled, in {seconds:.1} s; rows written: {}; reference wrote {copied} rows \
         in {copy_seconds:.1} s, shown as cases/s",
        written_text.join(", ")
    ));
    if assessed == 0 {
        row.value = 0.0;
    }
    ctx.report.rows.push(row);
    ctx.report.notes.push(format!(
        "batch on {b}: {n} recorded claims and cases generated in the database in {:.0} s.",
        generated.as_secs_f64()
    ));
    if ctx.o.batch_resume_cases > 0 {
        let m = ctx.o.batch_resume_cases.min(MAX_PER_BATCH);
        eprintln!("bench: {b}: batch: resumption after a kill, {m} cases");
        generate(ctx, &db.url, n + 1, n + m, n, &claimant.id, false).await?;
        let row = resume(ctx, db, &assessor, m).await?;
        ctx.report.rows.push(row);
    }
    Ok(())
}

/// Publishes the rule, then selects and starts batches until `n` cases
/// are selected, and waits for every job. Returns the time from the
/// first selection to the last sample, and the finished jobs.
async fn assess_all(
    api: &Api,
    council: &Account,
    assessor: &Account,
    n: u64,
) -> anyhow::Result<(Duration, Vec<Job>)> {
    api.post(&council.token, "/v1/valuation-rules", Some(&rule()), 201)
        .await?;
    let start = Instant::now();
    let mut pending = Vec::new();
    let mut selected = 0u64;
    while selected < n {
        let (batch, job, got) = api
            .batch(assessor, (n - selected).min(MAX_PER_BATCH))
            .await?;
        eprintln!(
            "bench: batch: batch {batch} with {got} cases, job {job} ({:.1} s)",
            start.elapsed().as_secs_f64()
        );
        anyhow::ensure!(got > 0, "a batch selected no case");
        selected += got;
        pending.push((batch, job));
    }
    let mut done = Vec::new();
    let mut last_report = Instant::now();
    for (batch, id) in &pending {
        loop {
            let j = job(api, &assessor.token, id).await?;
            if j.finished() {
                if j.status != "completed" {
                    bail!("job {id} {}: {}", j.status, j.error.unwrap_or_default());
                }
                let view = api
                    .get(&assessor.token, &format!("/v1/batches/{batch}"))
                    .await?;
                anyhow::ensure!(
                    view["status"] == "in_review",
                    "batch {batch} is {} after its job",
                    view["status"]
                );
                done.push(j);
                break;
            }
            if last_report.elapsed() > Duration::from_secs(10) {
                eprintln!(
                    "bench: batch: job {id}: {} of {} ({:.0} s)",
                    j.processed,
                    j.total,
                    start.elapsed().as_secs_f64()
                );
                last_report = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok((start.elapsed(), done))
}

/// Starts a batch of `m` cases, kills the server once about a third is
/// done, starts it again and waits for the job: every case must be
/// assessed exactly once.
async fn resume(ctx: &Ctx, db: &Database, assessor: &Account, m: u64) -> anyhow::Result<Row> {
    let b = db.backend.as_str();
    let mut server = Server::start(&ctx.setup, db).await?;
    let api = Api {
        client: client(2)?,
        base: server.base.clone(),
    };
    let (batch, id, selected) = api.batch(assessor, m).await?;
    let before = loop {
        let j = job(&api, &assessor.token, &id).await?;
        if j.finished() || j.processed * 3 >= selected.max(1) {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    server.stop().await;
    let mut conn = PgConnection::connect(&db.url).await?;
    let at_kill: (i64, i64) =
        sqlx::query_as("SELECT processed, chunks FROM jobs WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&mut conn)
            .await?;
    // The lease of the killed worker would expire after 60 s; moving it
    // back only saves the wait, the takeover is the server's own.
    sqlx::query("UPDATE jobs SET leased_until = now() - interval '1 second' WHERE id = $1::uuid")
        .bind(&id)
        .execute(&mut conn)
        .await?;
    let restarted = Instant::now();
    let mut server = Server::start(&ctx.setup, db).await?;
    let api = Api {
        client: client(2)?,
        base: server.base.clone(),
    };
    let after = loop {
        let j = job(&api, &assessor.token, &id).await?;
        if j.finished() {
            break j;
        }
        if restarted.elapsed() > Duration::from_mins(10) {
            bail!("the resumed job did not finish within ten minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let resumed_in = restarted.elapsed().as_secs_f64();
    server.stop().await;
    let (assessments, distinct): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT case_id) FROM assessments WHERE batch_id = $1::uuid",
    )
    .bind(&batch)
    .fetch_one(&mut conn)
    .await?;
    let cases_assessed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM batch_cases m JOIN cases c ON c.id = m.case_id \
         WHERE m.batch_id = $1::uuid AND c.status = 'assessed'",
    )
    .bind(&batch)
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    let twice = u64::try_from(assessments - distinct)?;
    let accounted = after.assessed + after.individual + after.failed;
    let missing = selected.saturating_sub(accounted) + u64::from(after.status != "completed");
    let interrupted = before.finished();
    #[allow(clippy::cast_precision_loss, reason = "case counts fit an f64")]
    let mut row = Row::new(
        "batch",
        b,
        &format!("resumption: server killed mid-job, {selected} cases, each assessed once"),
        u64::try_from(distinct)? as f64,
        "cases",
    )
    .errors(twice + missing + u64::from(interrupted))
    .note(format!(
        "SIGKILL at {} of {selected} processed ({} chunks committed); lease expiry moved \
         forward; restarted, the job {} {resumed_in:.1} s later with {} assessed, {} routed \
         to individual assessment, {} failed; {assessments} assessment rows for {distinct} \
         cases, {cases_assessed} cases assessed, {twice} assessed twice",
        at_kill.0, at_kill.1, after.status, after.assessed, after.individual, after.failed
    ));
    if interrupted {
        row = row.note(format!(
            "the job finished before the kill; raise --batch-resume-cases (it was {m})"
        ));
    }
    Ok(row)
}
