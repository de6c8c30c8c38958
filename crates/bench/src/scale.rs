//! The scale scenario: the same short loads at growing table sizes.
//!
//! One database grows step by step with the list scenario's generator
//! (each step adds its own series of rows, with the secondary indexes
//! dropped and rebuilt as a restore would). At each size the server is
//! started afresh and measured for `--scale-duration` seconds each:
//! intake over HTTP, `GET /v1/claims/{id}` of claims drawn from the whole
//! table, and list walks with the common filters.

use crate::list::Filter;
use crate::load::Latency;
use crate::report::Row;
use crate::scenarios::{Ctx, accounts, client, intake_http, reads_of};
use crate::server::{Backend, Database, Server};
use serde::Serialize;
use sqlx::{Connection, PgConnection, SqliteConnection};
use std::sync::Arc;
use std::time::Duration;

/// One size of one backend.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Point {
    pub(crate) backend: Backend,
    pub(crate) claims: u64,
    pub(crate) intake_per_second: f64,
    pub(crate) intake: Latency,
    pub(crate) reads: Latency,
    pub(crate) list: Latency,
}

/// Filters whose pages the database answers from an index at any size;
/// the date filters are the list scenario's concern.
const FILTERS: [Filter; 4] = [
    Filter::None,
    Filter::Status,
    Filter::Category,
    Filter::Region,
];

/// Claims ids drawn from the whole table.
async fn sample_ids(db: &Database, size: u64, most: u64) -> anyhow::Result<Vec<String>> {
    let ids: Vec<uuid::Uuid> = match db.backend {
        Backend::Postgres => {
            let mut conn = PgConnection::connect(&db.url).await?;
            #[allow(clippy::cast_precision_loss, reason = "a sampling percentage")]
            let percent = (most as f64 * 300.0 / size.max(1) as f64).min(100.0);
            let ids = sqlx::query_scalar(&format!(
                "SELECT id FROM claims TABLESAMPLE SYSTEM ({percent}) WHERE NOT sensitive LIMIT {most}"
            ))
            .fetch_all(&mut conn)
            .await?;
            conn.close().await?;
            ids
        }
        Backend::Sqlite => {
            let mut conn = SqliteConnection::connect(&db.url).await?;
            let ids = sqlx::query_scalar(&format!(
                "SELECT id FROM claims WHERE sensitive = 0 ORDER BY random() LIMIT {most}"
            ))
            .fetch_all(&mut conn)
            .await?;
            conn.close().await?;
            ids
        }
    };
    Ok(ids.into_iter().map(|u| u.to_string()).collect())
}

/// Moves this year's reference counter past every generated number, so
/// that submissions during intake never take a number the generator used.
async fn counter_past(db: &Database, last: u64) -> anyhow::Result<()> {
    let year = time::OffsetDateTime::now_utc().year();
    let last = i64::try_from(last)?;
    let sql = "INSERT INTO reference_counters (year, last) VALUES ($1, $2) \
        ON CONFLICT (year) DO UPDATE SET last = max(reference_counters.last, excluded.last)";
    match db.backend {
        Backend::Postgres => {
            let mut conn = PgConnection::connect(&db.url).await?;
            sqlx::query(&sql.replace("max(", "GREATEST("))
                .bind(year)
                .bind(last)
                .execute(&mut conn)
                .await?;
            conn.close().await?;
        }
        Backend::Sqlite => {
            let mut conn = SqliteConnection::connect(&db.url).await?;
            sqlx::query(&sql.replace('$', "?"))
                .bind(year)
                .bind(last)
                .execute(&mut conn)
                .await?;
            conn.close().await?;
        }
    }
    Ok(())
}

pub(crate) async fn run(ctx: &mut Ctx, backend: Backend) -> anyhow::Result<()> {
    let db = Database::create(&ctx.setup, backend).await?;
    let result = run_on(ctx, &db).await;
    db.drop_now().await;
    result
}

async fn run_on(ctx: &mut Ctx, db: &Database) -> anyhow::Result<()> {
    let backend = db.backend;
    let b = backend.as_str();
    let mut sizes = match backend {
        Backend::Postgres => ctx.o.scale_sizes.clone(),
        Backend::Sqlite => ctx.o.scale_sizes_sqlite.clone(),
    };
    sizes.retain(|&s| s > 0);
    sizes.sort_unstable();
    sizes.dedup();
    let Some(&largest) = sizes.last() else {
        return Ok(());
    };
    let (claimants, staff) = accounts(ctx, db, 8).await?;
    let ids: Vec<String> = claimants.iter().map(|a| a.id.clone()).collect();
    let duration = Duration::from_secs(ctx.o.scale_duration.max(1));
    let warmup = ctx.warmup().min(Duration::from_secs(2));
    let connections = ctx.o.connections;
    let list_connections = ctx.o.list_connections;
    let catalogue = Arc::new((*ctx.catalogue).clone());
    let mut have = 0u64;
    let mut fills = Vec::new();
    for (step, &size) in sizes.iter().enumerate() {
        eprintln!("bench: {b}: scale: growing the table to {size} claims");
        let took =
            crate::list::fill_range(backend, &db.url, have + 1, size, size, &ctx.catalogue, &ids)
                .await?;
        fills.push(format!("{size} in {:.0} s", took.as_secs_f64()));
        have = size;
        counter_past(db, largest + 1).await?;
        let mut server = Server::start(&ctx.setup, db).await?;
        let measured = async {
            eprintln!("bench: {b}: scale: {size} claims: intake");
            let serial_base = (step as u64 + 1) * 100_000_000;
            let intake =
                intake_http(ctx, &server.base, &claimants, warmup, duration, serial_base).await?;
            eprintln!("bench: {b}: scale: {size} claims: reads");
            let sample = sample_ids(db, size, 20_000).await?;
            let reads = reads_of(ctx, &server.base, &staff, sample, warmup, duration).await?;
            eprintln!("bench: {b}: scale: {size} claims: lists");
            let list = crate::list::walk(
                &client(list_connections)?,
                &server.base,
                &staff.token,
                &catalogue,
                size,
                &FILTERS,
                list_connections,
                warmup,
                duration,
                ctx.o.seed + step as u64,
            )
            .await;
            anyhow::Ok((intake, reads, list))
        }
        .await;
        let rss = server.memory.mib();
        server.stop().await;
        let (intake, reads, list) = match measured {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{}", crate::server::tail(&server.log, 3000));
                return Err(e);
            }
        };
        let point = Point {
            backend,
            claims: size,
            intake_per_second: intake.per_second(),
            intake: Latency::of(&intake.latency),
            reads: Latency::of(&reads.latency),
            list: Latency::of(&list.latency),
        };
        let first_error =
            |o: &crate::load::Outcome| o.first_error.as_ref().map(|e| format!("first error: {e}"));
        let mut rows = vec![
            Row::new(
                "scale",
                b,
                &format!("{size} claims: intake (create + submit), {connections} connections"),
                point.intake_per_second,
                "claims/s",
            )
            .latency(point.intake.clone())
            .errors(intake.errors),
            Row::new(
                "scale",
                b,
                &format!("{size} claims: GET /v1/claims/{{id}}, {connections} connections"),
                reads.per_second(),
                "req/s",
            )
            .latency(point.reads.clone())
            .errors(reads.errors),
            Row::new(
                "scale",
                b,
                &format!(
                    "{size} claims: GET /v1/claims (none, status, category, region; up to 5 pages), {list_connections} connections"
                ),
                list.per_second(),
                "req/s",
            )
            .latency(point.list.clone())
            .rss(rss)
            .errors(list.errors),
        ];
        for (row, outcome) in rows.iter_mut().zip([&intake, &reads, &list]) {
            if let Some(e) = first_error(outcome) {
                *row = row.clone().note(e);
            }
        }
        ctx.report.rows.extend(rows);
        ctx.report.scale.push(point);
    }
    ctx.report.notes.push(format!(
        "scale on {b}: table grown to {} (generation and index builds); {} s measured per load \
         after {} s of warm-up; reads drawn from 20,000 claims sampled over the whole table.",
        fills.join(", "),
        duration.as_secs(),
        warmup.as_secs()
    ));
    Ok(())
}
