//! The system under test: a `redress` server the harness starts on a fresh
//! database (a temporary data directory, or a PostgreSQL database created
//! for the run and dropped after it), or one it is pointed at.

use anyhow::{Context, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Which database a run is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// How to reach and start things.
#[derive(Clone, Debug)]
pub(crate) struct Setup {
    /// The `redress` binary.
    pub(crate) redress: PathBuf,
    /// PostgreSQL server URL without a database name.
    pub(crate) postgres: String,
    /// Where temporary data directories go.
    pub(crate) work_dir: PathBuf,
    /// `REDRESS_DB_MAX_CONNECTIONS` for the server (PostgreSQL pool).
    pub(crate) pool: Option<u32>,
}

/// A fresh database: its URL, and for PostgreSQL its name (dropped on
/// [`Database::drop_now`]).
pub(crate) struct Database {
    pub(crate) backend: Backend,
    pub(crate) url: String,
    pub(crate) pg_name: Option<String>,
    pub(crate) admin_url: String,
    pub(crate) dir: tempfile::TempDir,
}

impl Database {
    pub(crate) async fn create(setup: &Setup, backend: Backend) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&setup.work_dir)?;
        let dir = tempfile::Builder::new()
            .prefix("redress-bench-")
            .tempdir_in(&setup.work_dir)?;
        let admin_url = format!("{}/postgres", setup.postgres.trim_end_matches('/'));
        match backend {
            Backend::Sqlite => Ok(Self {
                backend,
                url: format!("sqlite://{}", dir.path().join("redress.db").display()),
                pg_name: None,
                admin_url,
                dir,
            }),
            Backend::Postgres => {
                let name = format!(
                    "redress_bench_{}_{}",
                    std::process::id(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() % 1_000_000_000)
                );
                crate::pg::execute(&admin_url, &format!("CREATE DATABASE {name}")).await?;
                Ok(Self {
                    backend,
                    url: format!("{}/{name}", setup.postgres.trim_end_matches('/')),
                    pg_name: Some(name),
                    admin_url,
                    dir,
                })
            }
        }
    }

    pub(crate) fn sqlite_path(&self) -> PathBuf {
        self.dir.path().join("redress.db")
    }

    pub(crate) async fn drop_now(&self) {
        if let Some(name) = &self.pg_name {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            if let Err(e) = crate::pg::execute(&self.admin_url, &sql).await {
                eprintln!("bench: could not drop database {name}: {e:#}");
            }
        }
    }
}

/// A `redress` command on the run's database.
pub(crate) fn redress(setup: &Setup, db: &Database) -> Command {
    let mut cmd = Command::new(&setup.redress);
    cmd.env("DATABASE_URL", &db.url)
        .env("REDRESS_DATA_DIR", db.dir.path())
        .env("REDRESS_LOG", "warn")
        .env_remove("REDRESS_CONFIG")
        .kill_on_drop(true);
    if let Some(pool) = setup.pool {
        cmd.env("REDRESS_DB_MAX_CONNECTIONS", pool.to_string());
    }
    cmd
}

/// An account made with `redress accounts create`.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub(crate) id: String,
    pub(crate) token: String,
}

pub(crate) async fn create_account(
    setup: &Setup,
    db: &Database,
    name: &str,
    role: &str,
) -> anyhow::Result<Account> {
    let out = redress(setup, db)
        .args(["accounts", "create", "--name", name, "--role", role])
        .stdin(Stdio::null())
        .output()
        .await
        .context("running redress accounts create")?;
    if !out.status.success() {
        bail!(
            "redress accounts create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(label).map(|v| v.trim().to_owned()))
    };
    match (field("account"), field("token")) {
        (Some(id), Some(token)) => Ok(Account { id, token }),
        _ => bail!("unexpected output of redress accounts create: {text}"),
    }
}

/// Peak resident memory of a process, polled from `/proc/PID/status`
/// (`VmHWM`, the kernel's own high-water mark) until it exits.
#[derive(Clone, Debug, Default)]
pub(crate) struct PeakMemory(Arc<AtomicU64>);

impl PeakMemory {
    pub(crate) fn watch(pid: u32) -> (Self, Arc<AtomicBool>) {
        let peak = Self::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.0.clone(), stop.clone());
        tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                match vm_hwm_kib(pid) {
                    Some(kib) => {
                        p.fetch_max(kib, Ordering::Relaxed);
                    }
                    None => break,
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        (peak, stop)
    }

    #[allow(clippy::cast_precision_loss, reason = "KiB counts fit an f64")]
    pub(crate) fn mib(&self) -> f64 {
        self.0.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A running server.
pub(crate) struct Server {
    pub(crate) base: String,
    child: Option<Child>,
    pub(crate) pid: Option<u32>,
    stop_watch: Option<Arc<AtomicBool>>,
    pub(crate) memory: PeakMemory,
    pub(crate) log: PathBuf,
}

impl Server {
    /// Starts `redress serve` on a free loopback port and waits until it
    /// answers `/health`.
    pub(crate) async fn start(setup: &Setup, db: &Database) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log = db.dir.path().join("server.log");
        let log_file = std::fs::File::create(&log)?;
        let mut cmd = redress(setup, db);
        cmd.args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            // Load from a handful of tokens; the limit is not under test.
            "--rate-limit-per-minute",
            "1000000000",
            "--anonymous-rate-limit-per-minute",
            "1000000000",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file);
        let child = cmd.spawn().context("starting redress serve")?;
        let pid = child.id();
        let (memory, stop) = match pid {
            Some(pid) => {
                let (m, s) = PeakMemory::watch(pid);
                (m, Some(s))
            }
            None => (PeakMemory::default(), None),
        };
        let mut server = Self {
            base: format!("http://127.0.0.1:{port}"),
            child: Some(child),
            pid,
            stop_watch: stop,
            memory,
            log,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    /// A server started elsewhere; its memory is not watched.
    pub(crate) fn external(base: &str) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(base)?;
        match url.host_str() {
            Some("127.0.0.1" | "localhost" | "[::1]") => {}
            _ => bail!("the harness only targets 127.0.0.1, not {base}"),
        }
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            child: None,
            pid: None,
            stop_watch: None,
            memory: PeakMemory::default(),
            log: PathBuf::new(),
        })
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let start = Instant::now();
        while start.elapsed() < Duration::from_mins(2) {
            if let Some(child) = &mut self.child
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "redress serve exited with {status}: {}",
                    tail(&self.log, 2000)
                );
            }
            if let Ok(r) = client.get(format!("{}/health", self.base)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("redress serve did not answer /health within two minutes")
    }

    pub(crate) async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGKILL is enough: the database holds every answered write.
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        if let Some(s) = &self.stop_watch {
            s.store(true, Ordering::Relaxed);
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

pub(crate) fn tail(path: &Path, bytes: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(bytes);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].to_owned()
}
