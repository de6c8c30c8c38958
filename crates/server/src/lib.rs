//! The `redress` service: HTTP API, configuration, command line.
//!
//! This crate is the only one that knows HTTP. It wires a store (chosen
//! from `DATABASE_URL`), the clock and the domain crates into an axum
//! application. [`run`] serves it on a listener until a shutdown signal,
//! which is the seam the tests use to run it on port 0.

pub mod auth;
pub mod authz;
pub mod backup;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod http;
pub mod import;
pub mod jobs;
pub mod jwt;
pub mod notices;
pub mod pain001;
pub mod rate_limit;
pub mod serve;
pub mod state;
pub mod telemetry;
pub mod transfer;
pub mod views;
pub mod web;
pub mod webhooks;

use crate::config::{DatabaseSettings, Settings};
use kernel::Clock;
use std::future::Future;
use std::sync::Arc;
use store::{Store, StoreError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "DATABASE_URL has an unsupported scheme {0:?}; use sqlite:PATH or postgres://USER@HOST:PORT/DB"
    )]
    UnknownScheme(String),
    #[error("cannot open the database at {url}: {cause}")]
    Database { url: String, cause: String },
    #[error("{0}")]
    Config(String),
}

/// The URL with any password replaced, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Opens the database the settings name and brings its schema up to date.
pub async fn open_store(
    db: &DatabaseSettings,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn Store>, StartError> {
    let url = db.url();
    let failed = |e: StoreError| StartError::Database {
        url: redacted(url),
        cause: match &e {
            StoreError::Unavailable(c) | StoreError::Internal(c) => c.to_string(),
            other => other.to_string(),
        },
    };
    if url.starts_with("sqlite:") {
        if let Some(dir) = sqlite_parent_dir(url) {
            std::fs::create_dir_all(&dir).map_err(|e| StartError::Database {
                url: redacted(url),
                cause: format!("cannot create {}: {e}", dir.display()),
            })?;
        }
        let store = store_sqlite::SqliteStore::connect(url, clock)
            .await
            .map_err(failed)?;
        app::catalogue::seed(&store).await.map_err(failed)?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let settings = store_postgres::PoolSettings {
            max_connections: db.max_connections,
            acquire_timeout: db.acquire_timeout,
        };
        let store = store_postgres::PostgresStore::connect(url, settings, clock)
            .await
            .map_err(failed)?;
        app::catalogue::seed(&store).await.map_err(failed)?;
        Ok(Arc::new(store))
    } else {
        let scheme = url.split(':').next().unwrap_or_default().to_owned();
        Err(StartError::UnknownScheme(scheme))
    }
}

fn sqlite_parent_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(ToOwned::to_owned)
}

/// On the first start of a deployment, creates an administrator and returns
/// its token, to be shown once. Never again afterwards, on any instance.
pub async fn bootstrap_admin(state: &state::AppState) -> Result<Option<String>, app::AppError> {
    app::accounts::bootstrap_admin(&state.app).await
}

/// The store reports and exports read from: the replica named by
/// `DATABASE_READ_URL`, or the primary.
pub async fn open_read_store(
    db: &DatabaseSettings,
    clock: Arc<dyn Clock>,
    primary: &Arc<dyn Store>,
) -> Result<Arc<dyn Store>, StartError> {
    let Some(url) = db.read_url() else {
        return Ok(primary.clone());
    };
    if primary.backend() != store::Backend::Postgres
        || !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        return Err(StartError::Config(
            "DATABASE_READ_URL names a PostgreSQL replica, and needs DATABASE_URL on PostgreSQL too"
                .into(),
        ));
    }
    let settings = store_postgres::PoolSettings {
        max_connections: db.max_connections,
        acquire_timeout: db.acquire_timeout,
    };
    let reads =
        store_postgres::PostgresStore::connect_read_only(url, settings, clock).map_err(|e| {
            StartError::Database {
                url: redacted(url),
                cause: e.to_string(),
            }
        })?;
    // A replica that is down only fails reports and exports: say so now
    // rather than at the first report.
    if let Err(e) = store::Store::ping(&reads).await {
        tracing::warn!(url = %redacted(url), "the read replica does not answer yet: {e}");
    }
    Ok(Arc::new(reads))
}

/// The use cases' context for a command that does not serve: the store,
/// the read store, the clock, the configuration, the sealer and evidence
/// storage.
pub async fn app_of(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: &config::Settings,
) -> Result<app::App, StartError> {
    let sealer = app::crypto::Sealer::load(
        settings.encryption_keys.as_ref(),
        &settings.database.data_dir,
    )
    .map_err(|e| StartError::Config(format!("encryption keys: {e:#}")))?;
    let evidence = evidence_storage(settings)
        .map_err(|e| StartError::Config(format!("evidence storage: {e:#}")))?;
    let reads = open_read_store(&settings.database, clock.clone(), &store).await?;
    Ok(app::App::new(
        store,
        reads,
        clock,
        settings.app_config(),
        sealer,
        evidence,
    ))
}

/// Builds the shared state from settings and an open store.
pub async fn app_state(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: Settings,
) -> Result<state::AppState, StartError> {
    let jwt = match &settings.jwt {
        Some(jwt) => Some(
            jwt::JwtVerifier::load(jwt)
                .await
                .map_err(|e| StartError::Config(format!("{e:#}")))?,
        ),
        None => None,
    };
    let app = app_of(store, clock, &settings).await?;
    let tokens = auth::TokenCache::keeping_for(settings.token_cache);
    Ok(state::AppState::new(
        app,
        settings,
        auth::Authenticator { jwt, tokens },
    ))
}

/// The evidence storage the settings name: an S3 bucket, or a directory.
pub fn evidence_storage(
    settings: &config::Settings,
) -> anyhow::Result<app::evidence_storage::EvidenceStorage> {
    use app::evidence_storage::EvidenceStorage;
    match &settings.evidence_s3 {
        Some(s3) => s3_bucket(s3).map(|bucket| EvidenceStorage::new(Arc::new(bucket))),
        None => EvidenceStorage::local(&settings.evidence_dir),
    }
}

/// An S3-compatible bucket. Credentials not given here come from the usual
/// AWS environment (`AWS_ACCESS_KEY_ID`, instance roles, ...).
fn s3_bucket(s3: &config::EvidenceS3Settings) -> anyhow::Result<object_store::aws::AmazonS3> {
    use anyhow::Context as _;
    use secrecy::ExposeSecret as _;
    let mut builder = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(&s3.bucket)
        .with_region(s3.region.as_deref().unwrap_or("us-east-1"));
    if let Some(endpoint) = &s3.endpoint {
        // A self-hosted store (MinIO, Ceph, ...) is addressed by path, and
        // may be plain HTTP inside a private network.
        builder = builder
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(id) = &s3.access_key_id {
        builder = builder.with_access_key_id(id);
    }
    if let Some(secret) = &s3.secret_access_key {
        builder = builder.with_secret_access_key(secret.expose_secret());
    }
    builder
        .build()
        .with_context(|| format!("S3 bucket {:?}", s3.bucket))
}

/// Serves the application on `listener` until `shutdown` completes, then
/// lets in-flight requests finish.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: state::AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Before accepting connections: the tracker starts from the published
    // signatures (a no-op once seeded; retried on first use if it fails).
    if let Err(e) = app::gate::seed_convention(&state.app).await {
        tracing::error!("cannot seed the convention's signatories yet: {e}");
    }
    let jwks_refresher = state
        .auth
        .jwt
        .clone()
        .filter(jwt::JwtVerifier::refreshes)
        .map(|jwt| {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(jwt::REFRESH_EVERY);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if let Err(e) = jwt.refresh().await {
                        tracing::warn!("JWKS refresh failed; keeping the known keys: {e:#}");
                    }
                }
            })
        });
    let pruner = {
        let limits = state.rate_limits.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_mins(1));
            loop {
                tick.tick().await;
                limits.prune();
            }
        })
    };
    // Expired idempotency keys, every few minutes.
    let purger = http::idempotency::spawn_purger(state.clone());
    // Audit entries written outside the chain get their place (PostgreSQL).
    let chainer = spawn_chainer(state.clone());
    // Batch assessment jobs: takes over jobs whose lease expired.
    let worker = jobs::spawn_worker(state.app.clone(), Arc::clone(&state.jobs));
    // Webhook deliveries from the outbox (leased, safe with several instances).
    let deliverer = webhooks::spawn_worker(state.app.clone(), Arc::clone(&state.webhooks));
    // Claimants' notices by e-mail, when an SMTP server is configured.
    let mailer = match &state.settings.smtp {
        None => {
            tracing::info!("no SMTP server configured: claimants' notices are kept until one is");
            None
        }
        Some(smtp) => match notices::Sender::new(smtp) {
            Ok(sender) => Some(notices::spawn_worker(state.app.clone(), sender)),
            Err(e) => {
                tracing::error!("claimants' notices are not sent: {e}");
                None
            }
        },
    };
    let app = http::router(&state);
    let limits = serve::Limits {
        header_read_timeout: state.settings.header_read_timeout,
        max_connections: state.settings.max_connections,
    };
    let result = serve::serve(listener, app, limits, shutdown).await;
    pruner.abort();
    purger.abort();
    chainer.abort();
    // A clean stop leaves no entry waiting for its place.
    if let Err(e) = state.store.chain_pending().await {
        tracing::warn!("chaining the last audit entries failed: {e:#}");
    }
    worker.abort();
    deliverer.abort();
    if let Some(task) = mailer {
        task.abort();
    }
    if let Some(task) = jwks_refresher {
        task.abort();
    }
    result
}

/// Runs [`store::AuditStore::chain_pending`] every
/// [`store::audit::CHAIN_INTERVAL`]. Several instances may run it; one
/// chains while the others skip.
fn spawn_chainer(state: state::AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(store::audit::CHAIN_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = state.store.chain_pending().await {
                tracing::warn!("chaining audit entries failed; retrying: {e:#}");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redacted("postgres://redress:hunter2@db:5432/redress"),
            "postgres://redress:***@db:5432/redress"
        );
        assert_eq!(redacted("postgres://db/redress"), "postgres://db/redress");
        assert_eq!(
            redacted("sqlite://./data/redress.db"),
            "sqlite://./data/redress.db"
        );
    }

    #[test]
    fn sqlite_parent_dir_is_found() {
        assert_eq!(
            sqlite_parent_dir("sqlite://./data/redress.db"),
            Some("./data".into())
        );
        assert_eq!(sqlite_parent_dir("sqlite:redress.db"), None);
        assert_eq!(sqlite_parent_dir("sqlite::memory:"), None);
    }
}
