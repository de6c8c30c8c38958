//! Settings: command line, then `REDRESS_*` environment variables (and
//! `DATABASE_URL`), then an optional TOML file, then defaults.
//!
//! Every setting can come from any of those places; the first that names it
//! wins. Secrets are wrapped so that `Debug` output and logs never show them.

use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Settings that every command shares: where the data is.
#[derive(Clone, Debug, Default, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite:PATH` or `postgres://...`. Unset: a SQLite
    /// file under the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<SecretString>,

    /// Optional PostgreSQL read replica for reports and exports
    /// (`postgres://...`). Unset: they read from `DATABASE_URL`.
    #[arg(long, env = "DATABASE_READ_URL", hide_env_values = true, global = true)]
    pub database_read_url: Option<SecretString>,

    /// Directory for the default SQLite database and stored files.
    #[arg(long, env = "REDRESS_DATA_DIR", hide_env_values = true, global = true)]
    pub data_dir: Option<PathBuf>,

    /// Most database connections this process opens (PostgreSQL).
    #[arg(
        long,
        env = "REDRESS_DB_MAX_CONNECTIONS",
        hide_env_values = true,
        global = true
    )]
    pub db_max_connections: Option<u32>,

    /// Seconds a request waits for a database connection before 503.
    #[arg(
        long,
        env = "REDRESS_DB_ACQUIRE_TIMEOUT_SECS",
        hide_env_values = true,
        global = true
    )]
    pub db_acquire_timeout_secs: Option<u64>,

    /// An optional TOML file with any of these settings (names in
    /// snake_case, e.g. `listen = "0.0.0.0:8080"`).
    #[arg(
        long = "config",
        env = "REDRESS_CONFIG",
        hide_env_values = true,
        global = true
    )]
    pub config_file: Option<PathBuf>,

    /// Log format.
    #[arg(
        long,
        env = "REDRESS_LOG_FORMAT",
        hide_env_values = true,
        value_enum,
        global = true
    )]
    pub log_format: Option<LogFormat>,

    /// Log filter, e.g. `info` or `info,redress=debug`.
    #[arg(long, env = "REDRESS_LOG", hide_env_values = true, global = true)]
    pub log: Option<String>,
}

/// Settings of the HTTP service.
#[derive(Clone, Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "REDRESS_LISTEN", hide_env_values = true)]
    pub listen: Option<SocketAddr>,

    /// Seconds a request may take before it is answered with 503.
    #[arg(long, env = "REDRESS_REQUEST_TIMEOUT_SECS", hide_env_values = true)]
    pub request_timeout_secs: Option<u64>,

    /// Largest JSON request body accepted, in bytes.
    #[arg(long, env = "REDRESS_BODY_LIMIT_BYTES", hide_env_values = true)]
    pub body_limit_bytes: Option<usize>,

    /// Seconds a client has to send a request's headers, counted from the
    /// connection's opening or the end of the previous response; a
    /// connection idle that long is closed.
    #[arg(long, env = "REDRESS_HEADER_READ_TIMEOUT_SECS", hide_env_values = true)]
    pub header_read_timeout_secs: Option<u64>,

    /// Connections served at once; one more is answered 503 and closed.
    /// Keep it well below the process's open-file limit.
    #[arg(long, env = "REDRESS_MAX_CONNECTIONS", hide_env_values = true)]
    pub max_connections: Option<u32>,

    /// Longest a checked token is kept in memory, in seconds (PostgreSQL
    /// only; revocations end it at once); 0 keeps none.
    #[arg(long, env = "REDRESS_TOKEN_CACHE_SECS", hide_env_values = true)]
    pub token_cache_secs: Option<u64>,

    /// Requests a minute allowed per token.
    #[arg(long, env = "REDRESS_RATE_LIMIT_PER_MINUTE", hide_env_values = true)]
    pub rate_limit_per_minute: Option<u32>,

    /// Requests a minute allowed per client address without a token.
    #[arg(
        long,
        env = "REDRESS_ANONYMOUS_RATE_LIMIT_PER_MINUTE",
        hide_env_values = true
    )]
    pub anonymous_rate_limit_per_minute: Option<u32>,

    /// Issuer (`iss`) of JWTs accepted from an external identity provider.
    /// Unset: only Redress's own tokens are accepted.
    #[arg(long, env = "REDRESS_JWT_ISSUER", hide_env_values = true)]
    pub jwt_issuer: Option<String>,

    /// Audience (`aud`) those JWTs must carry.
    #[arg(long, env = "REDRESS_JWT_AUDIENCE", hide_env_values = true)]
    pub jwt_audience: Option<String>,

    /// The identity provider's keys: a JWKS file path or an http(s) URL
    /// (fetched at start and every ten minutes).
    #[arg(long, env = "REDRESS_JWT_JWKS", hide_env_values = true)]
    pub jwt_jwks: Option<PathBuf>,

    /// The JWT claim that names the account (matched against the account's
    /// external subject).
    #[arg(long, env = "REDRESS_JWT_ACCOUNT_CLAIM", hide_env_values = true)]
    pub jwt_account_claim: Option<String>,

    /// Earliest date of damage the Register accepts (YYYY-MM-DD). The
    /// mandate may be extended back to 2014-02-20.
    #[arg(long, env = "REDRESS_ELIGIBILITY_START", hide_env_values = true, value_parser = parse_date)]
    pub eligibility_start: Option<time::Date>,

    /// Keys for sensitive claims at rest: `id:base64key[,id:base64key...]`
    /// (32-byte AES-256-GCM keys); the first encrypts, all decrypt. Unset:
    /// a key is generated once into the data directory.
    #[arg(long, env = "REDRESS_ENCRYPTION_KEYS", hide_env_values = true)]
    pub encryption_keys: Option<SecretString>,

    /// The convention's entry-into-force rule, as JSON (see
    /// docs/ratification.md). Unset: the assumed reading (25 consents by
    /// ratification, acceptance or approval, the EU counting, funding
    /// determination, first day of the month after three months).
    #[arg(long, env = "REDRESS_CONVENTION_RULE", hide_env_values = true)]
    pub convention_rule: Option<String>,

    /// The funding target confirmed contributions are shown against, in
    /// the reference currency, e.g. `50000000 EUR`.
    #[arg(long, env = "REDRESS_FUNDING_TARGET", hide_env_values = true)]
    pub funding_target: Option<String>,

    /// The ISO 4217 currency awards are assessed and decided in (default
    /// EUR). Set it once, before the first assessment.
    #[arg(long, env = "REDRESS_AWARD_CURRENCY", hide_env_values = true)]
    pub award_currency: Option<String>,

    /// Non-public addresses webhooks may still be posted to (internal
    /// receivers), comma-separated: addresses or CIDR networks, each with
    /// an optional port (`10.1.0.0/16`, `127.0.0.1:9000`, `fd00::/8`,
    /// `[fd00::1]:8443`). Unset: webhooks go to public addresses only.
    #[arg(
        long,
        env = "REDRESS_WEBHOOK_ALLOW_PRIVATE", hide_env_values = true,
        value_delimiter = ',',
        num_args = 0..
    )]
    pub webhook_allow_private: Option<Vec<String>>,

    /// Where evidence files are kept (boxed: keeps `Command` small).
    #[command(flatten)]
    pub evidence: Box<EvidenceArgs>,

    /// How notices are e-mailed to claimants.
    #[command(flatten)]
    pub mail: Box<MailArgs>,

    /// Who the service trusts and how it limits abuse.
    #[command(flatten)]
    pub guard: Box<GuardArgs>,

    /// The account payment files are drawn on.
    #[command(flatten)]
    pub debtor: Box<DebtorArgs>,
}

/// The Commission's account that payment files (pain.001) are drawn on:
/// name, IBAN and BIC go together. Unset: no payment file is issued.
#[derive(Clone, Debug, Default, Args)]
pub struct DebtorArgs {
    /// The account holder's name as the bank knows it.
    #[arg(long, env = "REDRESS_DEBTOR_NAME", hide_env_values = true)]
    pub debtor_name: Option<String>,

    /// The account's IBAN.
    #[arg(long, env = "REDRESS_DEBTOR_IBAN", hide_env_values = true)]
    pub debtor_iban: Option<String>,

    /// The BIC of the bank keeping the account (its country is the IBAN's).
    #[arg(long, env = "REDRESS_DEBTOR_BIC", hide_env_values = true)]
    pub debtor_bic: Option<String>,
}

/// How claimants are sent their notices by e-mail.
#[derive(Clone, Debug, Default, Args)]
pub struct MailArgs {
    /// The address the service is reached at by claimants, e.g.
    /// `https://redress.example.org`: notices link to its `/my` page.
    #[arg(long, env = "REDRESS_PUBLIC_URL", hide_env_values = true)]
    pub public_url: Option<String>,

    /// The SMTP server notices are sent through. Unset: notices are
    /// written and wait; none is sent.
    #[arg(long, env = "REDRESS_SMTP_HOST", hide_env_values = true)]
    pub smtp_host: Option<String>,

    /// Its port (default 587 with `starttls`, 465 with `tls`, 25 with
    /// `none`).
    #[arg(long, env = "REDRESS_SMTP_PORT", hide_env_values = true)]
    pub smtp_port: Option<u16>,

    /// `starttls` (default: upgrade the connection, refuse if the server
    /// cannot), `tls` (TLS from the first byte) or `none` (plain, only for
    /// a relay on the same host or network).
    #[arg(long, env = "REDRESS_SMTP_TLS", hide_env_values = true, value_enum)]
    pub smtp_tls: Option<SmtpTls>,

    /// User name for SMTP authentication. Unset: no authentication.
    #[arg(long, env = "REDRESS_SMTP_USERNAME", hide_env_values = true)]
    pub smtp_username: Option<String>,

    /// Password for SMTP authentication.
    #[arg(long, env = "REDRESS_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<SecretString>,

    /// The sender of notices, e.g. `Register of Damage <noreply@example.org>`.
    #[arg(long, env = "REDRESS_SMTP_FROM", hide_env_values = true)]
    pub smtp_from: Option<String>,
}

/// How the connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS; refused if the server
    /// does not offer it.
    #[default]
    Starttls,
    /// TLS from the start (SMTPS).
    Tls,
    /// No encryption: only for a relay on the same host or network.
    None,
}

impl SmtpTls {
    const fn default_port(self) -> u16 {
        match self {
            Self::Starttls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }
}

/// Settings of the service's defences.
#[derive(Clone, Debug, Default, Args)]
pub struct GuardArgs {
    /// Reverse proxies whose `X-Forwarded-For` is believed, as addresses or
    /// CIDR ranges separated by commas (e.g. `10.0.0.5,10.1.0.0/16`).
    /// Unset: the client address is the peer of the connection.
    #[arg(
        long,
        env = "REDRESS_TRUSTED_PROXIES",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<ipnet::IpNet>>,

    /// Failed authentications a minute allowed per client address before
    /// it is answered 429.
    #[arg(
        long,
        env = "REDRESS_AUTH_FAILURE_LIMIT_PER_MINUTE",
        hide_env_values = true
    )]
    pub auth_failure_limit_per_minute: Option<u32>,

    /// A bearer token `/metrics` then requires. Unset: `/metrics` is open
    /// (restrict it at the proxy, docs/operations.md).
    #[arg(long, env = "REDRESS_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<SecretString>,
}

/// Settings of evidence storage.
#[derive(Clone, Debug, Default, Args)]
pub struct EvidenceArgs {
    /// Directory for evidence files when no S3 bucket is set. Unset:
    /// `evidence` under the data directory.
    #[arg(long, env = "REDRESS_EVIDENCE_DIR", hide_env_values = true)]
    pub evidence_dir: Option<PathBuf>,

    /// Largest evidence file accepted, in bytes (default 25 MiB).
    #[arg(long, env = "REDRESS_EVIDENCE_MAX_BYTES", hide_env_values = true)]
    pub evidence_max_bytes: Option<u64>,

    /// Largest import file accepted through `POST /v1/imports`, in bytes
    /// (default 4 GiB; the upload is spooled to the data directory).
    #[arg(long, env = "REDRESS_IMPORT_MAX_BYTES", hide_env_values = true)]
    pub import_max_bytes: Option<u64>,

    /// S3 bucket for evidence files (S3-compatible storage).
    #[arg(long, env = "REDRESS_EVIDENCE_S3_BUCKET", hide_env_values = true)]
    pub evidence_s3_bucket: Option<String>,

    /// Endpoint of an S3-compatible service (e.g. MinIO); unset: AWS.
    #[arg(long, env = "REDRESS_EVIDENCE_S3_ENDPOINT", hide_env_values = true)]
    pub evidence_s3_endpoint: Option<String>,

    /// Region of the S3 bucket.
    #[arg(long, env = "REDRESS_EVIDENCE_S3_REGION", hide_env_values = true)]
    pub evidence_s3_region: Option<String>,

    /// Access key id for the S3 bucket.
    #[arg(
        long,
        env = "REDRESS_EVIDENCE_S3_ACCESS_KEY_ID",
        hide_env_values = true
    )]
    pub evidence_s3_access_key_id: Option<String>,

    /// Secret access key for the S3 bucket.
    #[arg(
        long,
        env = "REDRESS_EVIDENCE_S3_SECRET_ACCESS_KEY",
        hide_env_values = true,
        hide_env_values = true
    )]
    pub evidence_s3_secret_access_key: Option<SecretString>,
}

/// The optional TOML file: the same settings, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<SecretString>,
    database_read_url: Option<SecretString>,
    data_dir: Option<PathBuf>,
    db_max_connections: Option<u32>,
    db_acquire_timeout_secs: Option<u64>,
    log_format: Option<LogFormat>,
    log: Option<String>,
    listen: Option<SocketAddr>,
    request_timeout_secs: Option<u64>,
    body_limit_bytes: Option<usize>,
    header_read_timeout_secs: Option<u64>,
    max_connections: Option<u32>,
    token_cache_secs: Option<u64>,
    rate_limit_per_minute: Option<u32>,
    anonymous_rate_limit_per_minute: Option<u32>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
    jwt_jwks: Option<PathBuf>,
    jwt_account_claim: Option<String>,
    eligibility_start: Option<String>,
    encryption_keys: Option<SecretString>,
    convention_rule: Option<String>,
    funding_target: Option<String>,
    award_currency: Option<String>,
    webhook_allow_private: Option<Vec<String>>,
    evidence_dir: Option<PathBuf>,
    evidence_max_bytes: Option<u64>,
    import_max_bytes: Option<u64>,
    evidence_s3_bucket: Option<String>,
    evidence_s3_endpoint: Option<String>,
    evidence_s3_region: Option<String>,
    evidence_s3_access_key_id: Option<String>,
    evidence_s3_secret_access_key: Option<SecretString>,
    trusted_proxies: Option<Vec<ipnet::IpNet>>,
    auth_failure_limit_per_minute: Option<u32>,
    metrics_token: Option<SecretString>,
    debtor_name: Option<String>,
    debtor_iban: Option<String>,
    debtor_bic: Option<String>,
    public_url: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_tls: Option<SmtpTls>,
    smtp_username: Option<String>,
    smtp_password: Option<SecretString>,
    smtp_from: Option<String>,
}

/// S3-compatible storage for evidence files.
#[derive(Clone, Debug)]
pub struct EvidenceS3Settings {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
}

/// The SMTP server claimants' notices are sent through.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The sender, as a mailbox (`Name <address>` or a bare address).
    pub from: String,
    /// The service's public address, without a trailing slash.
    pub public_url: String,
}

/// Where the data lives.
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    pub url: SecretString,
    /// A read replica for reports and exports, when set.
    pub read_url: Option<SecretString>,
    pub data_dir: PathBuf,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

/// An external identity provider whose JWTs are accepted.
#[derive(Clone, Debug)]
pub struct JwtSettings {
    pub issuer: String,
    pub audience: String,
    pub jwks: PathBuf,
    pub account_claim: String,
}

/// Everything, resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub log_format: LogFormat,
    pub log: String,
    pub listen: SocketAddr,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// Time to send a request's headers; also the longest a connection
    /// stays open with no request in progress (`crate::serve`).
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: u32,
    /// How long a checked token may be kept in memory (see `auth`).
    pub token_cache: Duration,
    pub rate_limit_per_minute: u32,
    pub anonymous_rate_limit_per_minute: u32,
    pub jwt: Option<JwtSettings>,
    pub eligibility_start: time::Date,
    pub encryption_keys: Option<SecretString>,
    pub convention_rule: ratification::EntryIntoForceRule,
    pub funding_target: kernel::Money,
    pub award_currency: kernel::Currency,
    /// Non-public addresses webhooks may be posted to (`webhooks::target`).
    pub webhook_allow_private: crate::webhooks::target::AllowList,
    /// Where evidence files are kept when `evidence_s3` is unset.
    pub evidence_dir: PathBuf,
    /// Largest evidence file accepted, in bytes.
    pub evidence_max_bytes: u64,
    /// Largest import upload accepted, in bytes.
    pub import_max_bytes: u64,
    pub evidence_s3: Option<EvidenceS3Settings>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub auth_failure_limit_per_minute: u32,
    /// The bearer token `/metrics` requires, if any.
    pub metrics_token: Option<SecretString>,
    /// The account payment files are drawn on, if configured.
    pub payment_debtor: Option<app::awards::Debtor>,
    /// Where claimants' notices are sent through; `None`: they wait.
    pub smtp: Option<SmtpSettings>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(
        "incomplete JWT settings: REDRESS_JWT_ISSUER, REDRESS_JWT_AUDIENCE and REDRESS_JWT_JWKS go together"
    )]
    IncompleteJwt,
}

impl Settings {
    pub const DEFAULT_LISTEN: &'static str = "127.0.0.1:8080";

    pub fn resolve(db: &DatabaseArgs, serve: &ServeArgs) -> Result<Self, ConfigError> {
        let mut file = match &db.config_file {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let smtp = smtp_settings(&serve.mail, &mut file)?;
        let data_dir = db
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let url = db
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| {
                SecretString::from(format!(
                    "sqlite://{}",
                    data_dir.join("redress.db").display()
                ))
            });
        let jwt = match (
            serve.jwt_issuer.clone().or(file.jwt_issuer),
            serve.jwt_audience.clone().or(file.jwt_audience),
            serve.jwt_jwks.clone().or(file.jwt_jwks),
        ) {
            (Some(issuer), Some(audience), Some(jwks)) => Some(JwtSettings {
                issuer,
                audience,
                jwks,
                account_claim: serve
                    .jwt_account_claim
                    .clone()
                    .or(file.jwt_account_claim)
                    .unwrap_or_else(|| "sub".into()),
            }),
            (None, None, None) => None,
            _ => return Err(ConfigError::IncompleteJwt),
        };
        let default_evidence_dir = data_dir.join("evidence");
        Ok(Self {
            database: DatabaseSettings {
                url,
                read_url: db.database_read_url.clone().or(file.database_read_url),
                data_dir,
                max_connections: db
                    .db_max_connections
                    .or(file.db_max_connections)
                    .unwrap_or(16),
                acquire_timeout: Duration::from_secs(
                    db.db_acquire_timeout_secs
                        .or(file.db_acquire_timeout_secs)
                        .unwrap_or(3),
                ),
            },
            log_format: db
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Pretty),
            log: db
                .log
                .clone()
                .or(file.log)
                .unwrap_or_else(|| "info,sqlx=warn".into()),
            listen: serve.listen.or(file.listen).unwrap_or_else(|| {
                Self::DEFAULT_LISTEN
                    .parse()
                    .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)))
            }),
            request_timeout: Duration::from_secs(
                serve
                    .request_timeout_secs
                    .or(file.request_timeout_secs)
                    .unwrap_or(30),
            ),
            body_limit_bytes: serve
                .body_limit_bytes
                .or(file.body_limit_bytes)
                .unwrap_or(1024 * 1024),
            // Ten seconds is ample for a client on a slow link to send a
            // request's headers (a few hundred bytes) and to reuse its
            // connection between the requests of a page, and makes a
            // socket that sends nothing cheap to an attacker only briefly.
            // It also bounds idle keep-alive connections: a proxy keeping
            // upstream connections should let them go sooner (nginx
            // `keepalive_timeout` in the upstream block).
            header_read_timeout: Duration::from_secs(at_least_one(
                "header_read_timeout_secs",
                serve
                    .header_read_timeout_secs
                    .or(file.header_read_timeout_secs)
                    .unwrap_or(10),
            )?),
            // 512 leaves half of the common default limit of 1,024 open
            // files for what requests open besides their connection
            // (database pools, evidence files, import spools) and for the
            // short-lived refusals past the cap, so that a flood meets this
            // cap and its clean 503 rather than the kernel's "too many open
            // files". Raise it with the descriptor limit (the systemd unit
            // sets 65,536); behind a proxy that keeps upstream connections
            // alive, far fewer are needed.
            max_connections: at_least_one(
                "max_connections",
                serve
                    .max_connections
                    .or(file.max_connections)
                    .unwrap_or(512),
            )?,
            token_cache: Duration::from_secs(
                serve
                    .token_cache_secs
                    .or(file.token_cache_secs)
                    .unwrap_or(30),
            ),
            rate_limit_per_minute: serve
                .rate_limit_per_minute
                .or(file.rate_limit_per_minute)
                .unwrap_or(1200),
            anonymous_rate_limit_per_minute: serve
                .anonymous_rate_limit_per_minute
                .or(file.anonymous_rate_limit_per_minute)
                .unwrap_or(300),
            jwt,
            eligibility_start: match (serve.eligibility_start, file.eligibility_start) {
                (Some(d), _) => d,
                (None, Some(text)) => parse_date(&text).map_err(ConfigError::Invalid)?,
                (None, None) => time::macros::date!(2022 - 02 - 24),
            },
            encryption_keys: serve.encryption_keys.clone().or(file.encryption_keys),
            convention_rule: match serve.convention_rule.clone().or(file.convention_rule) {
                Some(json) => parse_rule(&json)?,
                None => ratification::EntryIntoForceRule::convention_default(),
            },
            award_currency: match serve.award_currency.clone().or(file.award_currency) {
                Some(code) => kernel::Currency::from_code(code.trim())
                    .map_err(|e| ConfigError::Invalid(format!("REDRESS_AWARD_CURRENCY: {e}")))?,
                None => kernel::Currency::EUR,
            },
            funding_target: match serve.funding_target.clone().or(file.funding_target) {
                Some(text) => parse_money(&text).map_err(ConfigError::Invalid)?,
                None => kernel::Money::new(
                    rust_decimal::Decimal::from(50_000_000),
                    kernel::Currency::EUR,
                ),
            },
            webhook_allow_private: crate::webhooks::target::AllowList::parse(
                serve
                    .webhook_allow_private
                    .clone()
                    .or(file.webhook_allow_private)
                    .unwrap_or_default(),
            )
            .map_err(|e| ConfigError::Invalid(format!("webhook_allow_private: {e}")))?,
            evidence_dir: serve
                .evidence
                .evidence_dir
                .clone()
                .or(file.evidence_dir)
                .unwrap_or(default_evidence_dir),
            evidence_max_bytes: serve
                .evidence
                .evidence_max_bytes
                .or(file.evidence_max_bytes)
                .unwrap_or(25 * 1024 * 1024),
            import_max_bytes: serve
                .evidence
                .import_max_bytes
                .or(file.import_max_bytes)
                .unwrap_or(4 * 1024 * 1024 * 1024),
            evidence_s3: serve
                .evidence
                .evidence_s3_bucket
                .clone()
                .or(file.evidence_s3_bucket)
                .map(|bucket| EvidenceS3Settings {
                    bucket,
                    endpoint: serve
                        .evidence
                        .evidence_s3_endpoint
                        .clone()
                        .or(file.evidence_s3_endpoint),
                    region: serve
                        .evidence
                        .evidence_s3_region
                        .clone()
                        .or(file.evidence_s3_region),
                    access_key_id: serve
                        .evidence
                        .evidence_s3_access_key_id
                        .clone()
                        .or(file.evidence_s3_access_key_id),
                    secret_access_key: serve
                        .evidence
                        .evidence_s3_secret_access_key
                        .clone()
                        .or(file.evidence_s3_secret_access_key),
                }),
            trusted_proxies: serve
                .guard
                .trusted_proxies
                .clone()
                .or(file.trusted_proxies)
                .unwrap_or_default(),
            auth_failure_limit_per_minute: serve
                .guard
                .auth_failure_limit_per_minute
                .or(file.auth_failure_limit_per_minute)
                .unwrap_or(30),
            metrics_token: serve
                .guard
                .metrics_token
                .clone()
                .or(file.metrics_token)
                .filter(|t| !t.expose_secret().is_empty()),
            payment_debtor: debtor(
                serve.debtor.debtor_name.clone().or(file.debtor_name),
                serve.debtor.debtor_iban.clone().or(file.debtor_iban),
                serve.debtor.debtor_bic.clone().or(file.debtor_bic),
            )?,
            smtp,
        })
    }

    /// What the use cases read.
    pub fn app_config(&self) -> app::Config {
        app::Config {
            eligibility_start: self.eligibility_start,
            convention_rule: self.convention_rule.clone(),
            funding_target: self.funding_target,
            award_currency: self.award_currency,
            evidence_max_bytes: self.evidence_max_bytes,
            import_max_bytes: self.import_max_bytes,
            data_dir: self.database.data_dir.clone(),
            payment_debtor: self.payment_debtor.clone(),
        }
    }

    /// Defaults for a data directory and database URL, for tests and tools.
    pub fn for_database(url: &str, data_dir: &Path) -> Self {
        let db = DatabaseArgs {
            database_url: Some(SecretString::from(url.to_owned())),
            data_dir: Some(data_dir.to_owned()),
            ..DatabaseArgs::default()
        };
        Self::resolve(&db, &ServeArgs::default()).unwrap_or_else(|_| unreachable!())
    }
}

/// The debtor account: all three settings or none, the IBAN and BIC
/// checked as a payee's are.
fn debtor(
    name: Option<String>,
    iban: Option<String>,
    bic: Option<String>,
) -> Result<Option<app::awards::Debtor>, ConfigError> {
    let set = |s: Option<String>| s.filter(|t| !t.trim().is_empty());
    match (set(name), set(iban), set(bic)) {
        (None, None, None) => Ok(None),
        (Some(name), Some(iban), Some(bic)) => {
            let account = commission::BankAccount::new(&iban, &bic)
                .map_err(|e| ConfigError::Invalid(format!("REDRESS_DEBTOR_IBAN/BIC: {e}")))?;
            Ok(Some(app::awards::Debtor {
                name: name.trim().to_owned(),
                account,
            }))
        }
        _ => Err(ConfigError::Invalid(
            "incomplete debtor account: REDRESS_DEBTOR_NAME, REDRESS_DEBTOR_IBAN and \
             REDRESS_DEBTOR_BIC go together"
                .into(),
        )),
    }
}

/// The SMTP settings, if a host is named: the sender and the public
/// address then become required, so that no notice goes out without a
/// sender or with a link nobody can follow.
fn smtp_settings(
    mail: &MailArgs,
    file: &mut FileSettings,
) -> Result<Option<SmtpSettings>, ConfigError> {
    let public_url = mail.public_url.clone().or(file.public_url.take());
    let Some(host) = mail
        .smtp_host
        .clone()
        .or(file.smtp_host.take())
        .filter(|h| !h.trim().is_empty())
    else {
        return Ok(None);
    };
    let tls = mail.smtp_tls.or(file.smtp_tls).unwrap_or_default();
    let from = mail
        .smtp_from
        .clone()
        .or(file.smtp_from.take())
        .filter(|f| !f.trim().is_empty())
        .ok_or_else(|| {
            ConfigError::Invalid("REDRESS_SMTP_FROM must name the sender of notices".into())
        })?;
    if from.trim().parse::<lettre::message::Mailbox>().is_err() {
        return Err(ConfigError::Invalid(format!(
            "REDRESS_SMTP_FROM {from:?} is not a mailbox, e.g. `Register <noreply@example.org>`"
        )));
    }
    let public_url = public_url
        .map(|u| u.trim().trim_end_matches('/').to_owned())
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .ok_or_else(|| {
            ConfigError::Invalid(
                "REDRESS_PUBLIC_URL must be the service's http(s) address when REDRESS_SMTP_HOST is set"
                    .into(),
            )
        })?;
    Ok(Some(SmtpSettings {
        host: host.trim().to_owned(),
        port: mail
            .smtp_port
            .or(file.smtp_port)
            .unwrap_or_else(|| tls.default_port()),
        tls,
        username: mail.smtp_username.clone().or(file.smtp_username.take()),
        password: mail.smtp_password.clone().or(file.smtp_password.take()),
        from: from.trim().to_owned(),
        public_url,
    }))
}

/// Settings where 0 would stop the service from serving anyone.
fn at_least_one<T: PartialEq + Default>(name: &str, value: T) -> Result<T, ConfigError> {
    if value == T::default() {
        return Err(ConfigError::Invalid(format!("{name} must be at least 1")));
    }
    Ok(value)
}

/// `50000000 EUR`: an amount and an ISO 4217 code.
fn parse_money(text: &str) -> Result<kernel::Money, String> {
    let bad = || format!("{text:?} is not an amount with a currency, e.g. `50000000 EUR`");
    let (amount, code) = text.trim().split_once(' ').ok_or_else(bad)?;
    let amount: rust_decimal::Decimal = amount.parse().map_err(|_| bad())?;
    let currency = kernel::Currency::from_code(code.trim()).map_err(|_| bad())?;
    if amount <= rust_decimal::Decimal::ZERO {
        return Err(bad());
    }
    kernel::Money::exact(amount, currency).map_err(|e| e.to_string())
}

fn parse_date(text: &str) -> Result<time::Date, String> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)"))
}

fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

impl DatabaseSettings {
    pub fn url(&self) -> &str {
        self.url.expose_secret()
    }

    pub fn read_url(&self) -> Option<&str> {
        self.read_url.as_ref().map(ExposeSecret::expose_secret)
    }
}

/// A configured entry-into-force rule: well-formed JSON, and a rule the
/// engine can apply (every error named by its field and stable code).
fn parse_rule(json: &str) -> Result<ratification::EntryIntoForceRule, ConfigError> {
    let rule: ratification::EntryIntoForceRule = serde_json::from_str(json).map_err(|e| {
        ConfigError::Invalid(format!("REDRESS_CONVENTION_RULE is not a valid rule: {e}"))
    })?;
    ratification::validate_rule(&rule).map_err(|errors| {
        let each: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {} ({e})", e.field(), e.code()))
            .collect();
        ConfigError::Invalid(format!(
            "REDRESS_CONVENTION_RULE cannot be applied: {}",
            each.join("; ")
        ))
    })?;
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_sqlite_under_data_dir() {
        let s = Settings::resolve(&DatabaseArgs::default(), &ServeArgs::default()).unwrap();
        assert_eq!(s.database.url(), "sqlite://./data/redress.db");
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.log_format, LogFormat::Pretty);
        assert!(s.jwt.is_none());
        assert_eq!(s.token_cache, Duration::from_secs(30));
        assert_eq!(s.header_read_timeout, Duration::from_secs(10));
        assert_eq!(s.max_connections, 512);
    }

    #[test]
    fn connection_limits_are_settings_and_never_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redress.toml");
        std::fs::write(
            &path,
            "header_read_timeout_secs = 3\nmax_connections = 64\n",
        )
        .unwrap();
        let db = DatabaseArgs {
            config_file: Some(path),
            ..DatabaseArgs::default()
        };
        let s = Settings::resolve(&db, &ServeArgs::default()).unwrap();
        assert_eq!(s.header_read_timeout, Duration::from_secs(3));
        assert_eq!(s.max_connections, 64);
        let serve = ServeArgs {
            max_connections: Some(4),
            ..ServeArgs::default()
        };
        assert_eq!(Settings::resolve(&db, &serve).unwrap().max_connections, 4);
        for serve in [
            ServeArgs {
                max_connections: Some(0),
                ..ServeArgs::default()
            },
            ServeArgs {
                header_read_timeout_secs: Some(0),
                ..ServeArgs::default()
            },
        ] {
            assert!(matches!(
                Settings::resolve(&DatabaseArgs::default(), &serve),
                Err(ConfigError::Invalid(_))
            ));
        }
    }

    #[test]
    fn notices_wait_without_an_smtp_server_and_need_a_sender_and_an_address_with_one() {
        let s = Settings::resolve(&DatabaseArgs::default(), &ServeArgs::default()).unwrap();
        assert!(s.smtp.is_none());
        let with = |mail: MailArgs| ServeArgs {
            mail: Box::new(mail),
            ..ServeArgs::default()
        };
        let complete = MailArgs {
            public_url: Some("https://redress.example.org/".into()),
            smtp_host: Some("smtp.example.org".into()),
            smtp_from: Some("Register of Damage <noreply@example.org>".into()),
            smtp_username: Some("redress".into()),
            smtp_password: Some(SecretString::from("hunter2")),
            ..MailArgs::default()
        };
        let s = Settings::resolve(&DatabaseArgs::default(), &with(complete.clone())).unwrap();
        let smtp = s.smtp.as_ref().unwrap();
        assert_eq!(smtp.tls, SmtpTls::Starttls);
        assert_eq!(smtp.port, 587);
        assert_eq!(smtp.public_url, "https://redress.example.org");
        assert!(!format!("{s:?}").contains("hunter2"));
        let plain = MailArgs {
            smtp_tls: Some(SmtpTls::None),
            ..complete.clone()
        };
        let s = Settings::resolve(&DatabaseArgs::default(), &with(plain)).unwrap();
        assert_eq!(s.smtp.unwrap().port, 25);
        for broken in [
            MailArgs {
                smtp_from: None,
                ..complete.clone()
            },
            MailArgs {
                smtp_from: Some("not a mailbox".into()),
                ..complete.clone()
            },
            MailArgs {
                public_url: None,
                ..complete.clone()
            },
            MailArgs {
                public_url: Some("redress.example.org".into()),
                ..complete
            },
        ] {
            assert!(matches!(
                Settings::resolve(&DatabaseArgs::default(), &with(broken)),
                Err(ConfigError::Invalid(_))
            ));
        }
    }

    #[test]
    fn debug_output_hides_the_database_url() {
        let s = Settings::for_database("postgres://redress:hunter2@db/redress", Path::new("/tmp"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn command_line_beats_file_which_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redress.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\nrequest_timeout_secs = 5\nlog_format = \"json\"\ntoken_cache_secs = 0\n",
        )
        .unwrap();
        let db = DatabaseArgs {
            config_file: Some(path.clone()),
            ..DatabaseArgs::default()
        };
        let serve = ServeArgs {
            request_timeout_secs: Some(7),
            ..ServeArgs::default()
        };
        let s = Settings::resolve(&db, &serve).unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.request_timeout, Duration::from_secs(7));
        assert_eq!(s.log_format, LogFormat::Json);
        assert!(s.token_cache.is_zero(), "0 from the file keeps no token");

        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        assert!(matches!(
            Settings::resolve(&db, &ServeArgs::default()),
            Err(ConfigError::Parse { .. })
        ));
    }

    #[test]
    fn the_convention_rule_and_funding_target_are_settings() {
        let s = Settings::resolve(&DatabaseArgs::default(), &ServeArgs::default()).unwrap();
        assert_eq!(
            s.convention_rule,
            ratification::EntryIntoForceRule::convention_default()
        );
        assert_eq!(s.funding_target.to_string(), "50000000.00 EUR");
        let serve = ServeArgs {
            convention_rule: Some(
                r#"{"threshold": 20, "counting_consents": ["ratification", "accession"], "organisations_count": false, "requires_funding_determination": false, "period": {"type": "days_after", "days": 30}}"#.into(),
            ),
            funding_target: Some("1250000.50 USD".into()),
            ..ServeArgs::default()
        };
        let s = Settings::resolve(&DatabaseArgs::default(), &serve).unwrap();
        assert_eq!(s.convention_rule.threshold, 20);
        assert_eq!(
            s.convention_rule.period,
            ratification::PeriodRule::DaysAfter { days: 30 }
        );
        assert_eq!(s.funding_target.to_string(), "1250000.50 USD");
        for bad in ["50000000", "-5 EUR", "5 EURO", "1.001 EUR"] {
            let serve = ServeArgs {
                funding_target: Some(bad.into()),
                ..ServeArgs::default()
            };
            assert!(
                Settings::resolve(&DatabaseArgs::default(), &serve).is_err(),
                "{bad}"
            );
        }
        let serve = ServeArgs {
            convention_rule: Some("{}".into()),
            ..ServeArgs::default()
        };
        assert!(Settings::resolve(&DatabaseArgs::default(), &serve).is_err());
        // Well-formed but not applicable: each error by field and code.
        for (rule, field, code) in [
            (
                r#"{"threshold": 25, "counting_consents": ["ratification"], "organisations_count": true, "requires_funding_determination": false, "weighted": [{"basis": "rd4u-2025-budget", "share": "1.5"}], "period": {"type": "first_day_of_month_after", "months": 3}}"#,
                "weighted[0].share",
                "share_out_of_range",
            ),
            (
                r#"{"threshold": 25, "counting_consents": ["ratification"], "organisations_count": true, "requires_funding_determination": false, "weighted": [{"basis": "rd4u-2025-budget", "share": "0"}], "period": {"type": "first_day_of_month_after", "months": 3}}"#,
                "weighted[0].share",
                "share_out_of_range",
            ),
            (
                r#"{"threshold": 25, "counting_consents": ["ratification"], "organisations_count": true, "requires_funding_determination": false, "period": {"type": "months_after", "months": 0}}"#,
                "period",
                "zero_period",
            ),
        ] {
            let serve = ServeArgs {
                convention_rule: Some(rule.into()),
                ..ServeArgs::default()
            };
            let Err(ConfigError::Invalid(message)) =
                Settings::resolve(&DatabaseArgs::default(), &serve)
            else {
                panic!("{rule} was accepted");
            };
            assert!(message.contains(&format!("{field}: {code}")), "{message}");
        }
    }

    #[test]
    fn the_read_replica_is_optional_and_hidden_from_debug_output() {
        let s = Settings::resolve(&DatabaseArgs::default(), &ServeArgs::default()).unwrap();
        assert!(s.database.read_url().is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redress.toml");
        std::fs::write(
            &path,
            "database_read_url = \"postgres://reader:s3cret@replica/redress\"\n",
        )
        .unwrap();
        let db = DatabaseArgs {
            config_file: Some(path),
            ..DatabaseArgs::default()
        };
        let s = Settings::resolve(&db, &ServeArgs::default()).unwrap();
        assert_eq!(
            s.database.read_url(),
            Some("postgres://reader:s3cret@replica/redress")
        );
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redress.toml");
        std::fs::write(
            &path,
            "trusted_proxies = [\"10.0.0.5/32\", \"fd00::/8\"]\nauth_failure_limit_per_minute = 5\n",
        )
        .unwrap();
        let db = DatabaseArgs {
            config_file: Some(path.clone()),
            ..DatabaseArgs::default()
        };
        let s = Settings::resolve(&db, &ServeArgs::default()).unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        assert_eq!(s.auth_failure_limit_per_minute, 5);
        let s = Settings::resolve(&DatabaseArgs::default(), &ServeArgs::default()).unwrap();
        assert!(s.trusted_proxies.is_empty());
        assert!(s.metrics_token.is_none());
        std::fs::write(&path, "trusted_proxies = [\"nginx\"]\n").unwrap();
        assert!(Settings::resolve(&db, &ServeArgs::default()).is_err());
    }

    #[test]
    fn the_webhook_allow_list_is_empty_unless_set() {
        let s = Settings::resolve(&DatabaseArgs::default(), &ServeArgs::default()).unwrap();
        assert!(s.webhook_allow_private.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redress.toml");
        std::fs::write(
            &path,
            "webhook_allow_private = [\"10.1.0.0/16\", \"127.0.0.1:9000\"]\n",
        )
        .unwrap();
        let db = DatabaseArgs {
            config_file: Some(path),
            ..DatabaseArgs::default()
        };
        let s = Settings::resolve(&db, &ServeArgs::default()).unwrap();
        assert_eq!(
            s.webhook_allow_private,
            crate::webhooks::target::AllowList::parse(["10.1.0.0/16", "127.0.0.1:9000"]).unwrap()
        );
        let serve = ServeArgs {
            webhook_allow_private: Some(vec!["intranet".into()]),
            ..ServeArgs::default()
        };
        assert!(matches!(
            Settings::resolve(&db, &serve),
            Err(ConfigError::Invalid(e)) if e.contains("intranet")
        ));
    }

    #[test]
    fn the_debtor_account_is_all_three_settings_or_none_and_checked() {
        let with = |name: &str, iban: &str, bic: &str| {
            let serve = ServeArgs {
                debtor: Box::new(DebtorArgs {
                    debtor_name: Some(name.into()),
                    debtor_iban: Some(iban.into()),
                    debtor_bic: Some(bic.into()),
                }),
                ..ServeArgs::default()
            };
            Settings::resolve(&DatabaseArgs::default(), &serve)
        };
        let s = with("Claims Commission", "NL91 ABNA 0417 1643 00", "ABNANL2A").unwrap();
        let debtor = s.payment_debtor.clone().expect("configured");
        assert_eq!(debtor.account.iban(), "NL91ABNA0417164300");
        assert_eq!(s.app_config().payment_debtor, Some(debtor));
        assert!(matches!(
            with("Claims Commission", "NL91 ABNA 0417 1643 01", "ABNANL2A"),
            Err(ConfigError::Invalid(e)) if e.contains("IBAN")
        ));
        assert!(matches!(
            with("Claims Commission", "NL91 ABNA 0417 1643 00", ""),
            Err(ConfigError::Invalid(e)) if e.contains("go together")
        ));
        let unset = Settings::resolve(&DatabaseArgs::default(), &ServeArgs::default()).unwrap();
        assert_eq!(unset.payment_debtor, None);
    }

    #[test]
    fn jwt_settings_go_together() {
        let serve = ServeArgs {
            jwt_issuer: Some("https://sso".into()),
            ..ServeArgs::default()
        };
        assert!(matches!(
            Settings::resolve(&DatabaseArgs::default(), &serve),
            Err(ConfigError::IncompleteJwt)
        ));
    }
}
