//! `redress-bench`: measures Redress against the raw database on the same
//! machine (see docs/performance.md).
//!
//! Every scenario drives a `redress` server over HTTP and then measures, in
//! the same run and on the same database, the references its targets are
//! written against: pgbench scripts, `COPY`, or an in-process SQLite loop.
//! Results are a markdown table on stdout and, with `--json`, a JSON file.

mod batch;
mod chart;
mod data;
mod list;
mod load;
mod pg;
mod report;
mod scale;
mod scenarios;
mod server;
mod sqlite_ref;
mod verify;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Benchmarks of Redress against the raw database, on 127.0.0.1 only.
#[derive(Debug, Parser)]
#[command(name = "redress-bench", version, about)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) opts: Options,
    #[command(subcommand)]
    pub(crate) command: Scenario,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Subcommand)]
pub(crate) enum Scenario {
    /// Create and submit claims with Idempotency-Key; vs pgbench inserts and
    /// a pgbench replay of Redress's own per-claim SQL (SQLite: an
    /// in-process loop of the same SQL).
    Intake,
    /// GET /v1/claims/{id}; vs pgbench point selects at the same concurrency.
    Reads,
    /// Keyset-paginated filtered lists over a large table, every documented
    /// filter, with EXPLAIN.
    List,
    /// `redress import claims` of a JSON Lines file; vs COPY (SQLite: a
    /// batched in-process insert) of the rows it writes.
    Import,
    /// Batch assessment of generated cases with a per-unit rule through
    /// the API (batches, jobs, the sample), then resumption after a kill
    /// mid-job; vs COPY of the rows it wrote (PostgreSQL).
    Batch,
    /// `redress audit verify` over a generated, valid hash chain; vs
    /// reading the log in chain order (psql \copy; SQLite: an in-process
    /// read).
    Verify,
    /// Intake throughput and read and list latency as the claims table
    /// grows; an SVG chart with --chart.
    Scale,
    /// Every scenario, in this order.
    All,
    /// Every scenario for a few seconds on small data: checks that the
    /// harness works (CI), measures nothing worth quoting.
    Smoke,
}

#[derive(Clone, Debug, clap::Args)]
pub(crate) struct Options {
    /// Database(s) to run on.
    #[arg(long, value_enum, default_value = "both", global = true)]
    pub(crate) backend: BackendChoice,
    /// The `redress` binary (default: next to this one).
    #[arg(long, global = true)]
    pub(crate) redress: Option<PathBuf>,
    /// PostgreSQL server, without a database name; databases are created
    /// and dropped on it for each run.
    #[arg(
        long,
        default_value = "postgres://postgres@127.0.0.1:5432",
        global = true
    )]
    pub(crate) postgres: String,
    /// The pgbench binary.
    #[arg(long, default_value = "/usr/bin/pgbench", global = true)]
    pub(crate) pgbench: PathBuf,
    /// Measured seconds of each load (and of each pgbench reference).
    #[arg(long, default_value_t = 60, global = true)]
    pub(crate) duration: u64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 5, global = true)]
    pub(crate) warmup: u64,
    /// Concurrent keep-alive connections (and pgbench clients).
    #[arg(long, default_value_t = 64, global = true)]
    pub(crate) connections: usize,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 1, global = true)]
    pub(crate) seed: u64,
    /// Claims in the table for the list scenario on PostgreSQL.
    #[arg(long, default_value_t = 10_000_000, global = true)]
    pub(crate) list_rows: u64,
    /// Claims in the table for the list scenario on SQLite.
    #[arg(long, default_value_t = 1_000_000, global = true)]
    pub(crate) list_rows_sqlite: u64,
    /// Measured seconds per filter in the list scenario.
    #[arg(long, default_value_t = 10, global = true)]
    pub(crate) list_duration: u64,
    /// Concurrent connections in the list scenario.
    #[arg(long, default_value_t = 8, global = true)]
    pub(crate) list_connections: usize,
    /// Share of intake claims that also get one evidence file (a JPEG of a
    /// size drawn from the generator) between filing and submission. The
    /// targets are for claims without files: 0 unless asked.
    #[arg(long, default_value_t = 0.0, global = true)]
    pub(crate) evidence_share: f64,
    /// Rows of the JSON Lines file in the import scenario.
    #[arg(long, default_value_t = 1_000_000, global = true)]
    pub(crate) import_rows: u64,
    /// Cases assessed in the batch scenario (in batches of at most
    /// 100,000, the API's limit).
    #[arg(long, default_value_t = 1_000_000, global = true)]
    pub(crate) batch_cases: u64,
    /// Cases of the batch whose server is killed mid-job to check that the
    /// job resumes without assessing a case twice (0: no check).
    #[arg(long, default_value_t = 20_000, global = true)]
    pub(crate) batch_resume_cases: u64,
    /// Audit entries generated for the verify scenario on PostgreSQL.
    #[arg(long, default_value_t = 10_000_000, global = true)]
    pub(crate) audit_entries: u64,
    /// Audit entries generated for the verify scenario on SQLite.
    #[arg(long, default_value_t = 1_000_000, global = true)]
    pub(crate) audit_entries_sqlite: u64,
    /// Claims in the table at each step of the scale scenario on
    /// PostgreSQL, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "100000,1000000,10000000",
        global = true
    )]
    pub(crate) scale_sizes: Vec<u64>,
    /// The same on SQLite.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "100000,1000000",
        global = true
    )]
    pub(crate) scale_sizes_sqlite: Vec<u64>,
    /// Measured seconds of each load at each step of the scale scenario.
    #[arg(long, default_value_t = 15, global = true)]
    pub(crate) scale_duration: u64,
    /// Write the scale curve as an SVG chart to this file.
    #[arg(long, global = true)]
    pub(crate) chart: Option<PathBuf>,
    /// Server's PostgreSQL pool size (REDRESS_DB_MAX_CONNECTIONS; unset:
    /// the server's default).
    #[arg(long, global = true)]
    pub(crate) pool: Option<u32>,
    /// Drive a server that is already running at this URL (127.0.0.1 only)
    /// instead of starting one: intake and reads over HTTP only, without
    /// references or memory figures (those need a database and a process
    /// the harness owns).
    #[arg(long, global = true, requires_all = ["claimant_token", "staff_token"])]
    pub(crate) url: Option<String>,
    /// With --url: a claimant's token.
    #[arg(long, global = true)]
    pub(crate) claimant_token: Option<String>,
    /// With --url: a registrar's token.
    #[arg(long, global = true)]
    pub(crate) staff_token: Option<String>,
    /// Where temporary data directories and files go.
    #[arg(long, default_value = "/var/tmp", global = true)]
    pub(crate) work_dir: PathBuf,
    /// Also write the results as JSON to this file.
    #[arg(long, global = true)]
    pub(crate) json: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum BackendChoice {
    Sqlite,
    Postgres,
    Both,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if cli.command == Scenario::Smoke {
        let o = &mut cli.opts;
        o.duration = 2;
        o.warmup = 1;
        o.connections = o.connections.min(4);
        o.list_rows = 3_000;
        o.list_rows_sqlite = 3_000;
        o.list_duration = 1;
        o.list_connections = 2;
        o.import_rows = 300;
        o.batch_cases = 600;
        // A kill mid-job needs a job that lasts longer than a smoke run.
        o.batch_resume_cases = 0;
        o.audit_entries = 2_000;
        o.audit_entries_sqlite = 2_000;
        o.scale_sizes = vec![1_000, 3_000];
        o.scale_sizes_sqlite = vec![1_000, 3_000];
        o.scale_duration = 1;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("redress-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(scenarios::run(cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("redress-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
