//! The command line: `redress serve`, `redress migrate`, `redress accounts`.

use crate::config::{DatabaseArgs, LogFormat, ServeArgs, Settings};
use clap::{Parser, Subcommand};
use kernel::access::Clearance;
use kernel::{Role, SystemClock};
use std::process::ExitCode;
use std::sync::Arc;
use store::{AccountStatus, AuditContext};

/// Redress: register of damage, claims commission and ratification tracker.
///
/// Every option can also be set through its environment variable or in the
/// TOML file named by --config / REDRESS_CONFIG.
#[derive(Debug, Parser)]
#[command(name = "redress", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once at start; the size of the serve options does not matter"
)]
pub enum Command {
    /// Run the HTTP service (migrates the database first).
    Serve(ServeArgs),
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Fill a fresh database with a demonstration: the convention in force,
    /// staff of every role (tokens printed once), a few hundred made-up
    /// claims at every stage from draft to paid award. Refuses a database
    /// that already holds claims.
    Demo(crate::demo::DemoArgs),
    /// Manage accounts and their tokens.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Check and publish the hash chain of the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Bulk import (claims from JSON Lines or CSV).
    #[command(subcommand)]
    Import(crate::import::ImportCommand),
    /// Exit 0 if the service on this machine answers `/health` (for
    /// container health checks: the image has no curl).
    HealthCheck {
        /// The service's address (as for `serve`); 0.0.0.0 is asked on
        /// 127.0.0.1.
        #[arg(long, env = "REDRESS_LISTEN", hide_env_values = true, default_value = Settings::DEFAULT_LISTEN)]
        listen: std::net::SocketAddr,
    },
    /// Copy the database while the service runs (SQLite: VACUUM INTO;
    /// PostgreSQL: pg_dump). See docs/reliability.md.
    Backup(crate::backup::BackupArgs),
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every hash of the audit chain. Exits 0 with a one-line
    /// summary when it is intact, 1 naming the first broken link.
    Verify {
        /// A head published earlier, as SEQ:HASH (from `redress audit head`);
        /// repeat for several. Each must still be in the chain.
        #[arg(long = "published", value_name = "SEQ:HASH")]
        published: Vec<String>,
    },
    /// Print the current head of the chain (seq, hash, time) to publish.
    Head,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create an account and print a token for it (shown once).
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Role; repeat for several (claimant, registrar, board, assessor,
        /// commissioner, council, depositary, state, auditor, admin).
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// Participant code for a state account (e.g. NL, EU).
        #[arg(long)]
        participant: Option<String>,
        /// Grant the clearance to see sensitive claims.
        #[arg(long)]
        sensitive: bool,
        /// Days until the token expires (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List accounts.
    List,
    /// Suspend an account: its tokens stop working.
    Suspend {
        account: uuid::Uuid,
        #[arg(long)]
        reason: String,
    },
    /// List an account's tokens: id, label, created, expires, revoked and
    /// last used (never the secrets). The ids are what `revoke-token` takes.
    Tokens { account: uuid::Uuid },
    /// Revoke one token of an account (its id from `accounts tokens`).
    RevokeToken {
        account: uuid::Uuid,
        token: uuid::Uuid,
    },
}

/// Exit code for configuration and database errors at start.
const EXIT_CONFIG: u8 = 2;

/// Whether log lines may carry colour: only when they go to a terminal
/// (stderr) and `NO_COLOR` is unset, so a log file or a collector gets plain
/// text.
fn colour_logs() -> bool {
    use std::io::IsTerminal as _;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn init_logging(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour_logs())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Pretty => builder.init(),
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("redress: {message}");
    ExitCode::from(EXIT_CONFIG)
}

pub async fn main(cli: Cli) -> ExitCode {
    if let Command::HealthCheck { listen } = cli.command {
        // Touches neither the database nor the settings file: it only asks
        // the running process.
        return health_check(listen).await;
    }
    let serve_args = match &cli.command {
        Command::Serve(args) => args.clone(),
        _ => ServeArgs::default(),
    };
    let settings = match Settings::resolve(&cli.database, &serve_args) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    init_logging(settings.log_format, &settings.log);
    let clock: Arc<dyn kernel::Clock> = Arc::new(SystemClock);
    let store = match crate::open_store(&settings.database, clock.clone()).await {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    match cli.command {
        Command::Migrate => {
            eprintln!(
                "redress: database is up to date ({})",
                store.backend().as_str()
            );
            ExitCode::SUCCESS
        }
        Command::Serve(_) => serve(store, clock, settings).await,
        Command::HealthCheck { listen } => health_check(listen).await,
        Command::Audit(cmd) => match crate::app_of(store, clock, &settings).await {
            Ok(app) => audit(&app, cmd).await,
            Err(e) => fail(e),
        },
        Command::Backup(args) => crate::backup::run(&settings, args).await,
        Command::Demo(args) => match crate::app_of(store, clock, &settings).await {
            Ok(app) => match crate::demo::run(&app, &args).await {
                Ok(summary) => {
                    print!("{}", crate::demo::report(&summary));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("redress: demo: {e:#}");
                    ExitCode::FAILURE
                }
            },
            Err(e) => fail(e),
        },
        Command::Import(cmd) => match crate::app_state(store, clock, settings).await {
            Ok(state) => crate::import::run_cli(state, cmd).await,
            Err(e) => fail(e),
        },
        Command::Accounts(cmd) => match crate::app_of(store, clock, &settings).await {
            Ok(app) => match accounts(app, cmd).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("redress: {e:#}");
                    ExitCode::FAILURE
                }
            },
            Err(e) => fail(e),
        },
    }
}

async fn serve(
    store: Arc<dyn store::Store>,
    clock: Arc<dyn kernel::Clock>,
    settings: Settings,
) -> ExitCode {
    let listen = settings.listen;
    let state = match crate::app_state(store, clock, settings).await {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    match crate::bootstrap_admin(&state).await {
        Ok(Some(token)) => eprintln!(
            "\nFirst start: an administrator account was created. Its token, shown only this once:\n\n    {token}\n\nUse it as `Authorization: Bearer {token}`.\n"
        ),
        Ok(None) => {}
        Err(e) => return fail(format!("bootstrap failed: {e}")),
    }
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => return fail(format!("cannot listen on {listen}: {e}")),
    };
    let local = listener
        .local_addr()
        .map_or_else(|_| listen.to_string(), |a| a.to_string());
    tracing::info!(address = %local, "listening");
    match crate::run(listener, state, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("shut down cleanly");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn health_check(mut address: std::net::SocketAddr) -> ExitCode {
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()
        .unwrap_or_default();
    match client.get(format!("http://{address}/health")).send().await {
        Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
        Ok(r) => {
            eprintln!("redress: /health answered {}", r.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("redress: /health did not answer: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

async fn accounts(app: app::App, cmd: AccountsCommand) -> anyhow::Result<()> {
    let ctx = AuditContext {
        actor_role: Some("operator".into()),
        ..AuditContext::default()
    };
    match cmd {
        AccountsCommand::Create {
            name,
            roles,
            participant,
            sensitive,
            expires_in_days,
        } => {
            let input = app::accounts::AccountInput {
                display_name: name,
                roles,
                clearances: if sensitive {
                    vec![Clearance::Sensitive]
                } else {
                    vec![]
                },
                participant,
                external_subject: None,
            };
            let (account, issued) =
                app::accounts::create_as_operator(&app, &ctx, input, expires_in_days)
                    .await
                    .map_err(|e| {
                        let fields: Vec<String> = e
                            .errors
                            .iter()
                            .map(|f| format!("{}: {}", f.field, f.message))
                            .collect();
                        anyhow::anyhow!("{} {}", e.detail, fields.join("; "))
                    })?;
            // Scripts read the `token` line by its first word: the token's
            // id comes after it, under a word of its own.
            println!("account   {}", account.id);
            println!("token     {}", issued.token);
            println!("token-id  {}", issued.record.id);
            eprintln!("(the token is shown only this once)");
        }
        AccountsCommand::List => {
            let mut page = kernel::PageRequest::new(Some(kernel::PageRequest::MAX_LIMIT), None);
            loop {
                let accounts = app::accounts::list(&app, page).await?;
                for a in &accounts.items {
                    let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
                    println!(
                        "{}\t{}\t{}\t{}",
                        a.id,
                        a.status.as_str(),
                        roles.join(","),
                        a.display_name
                    );
                }
                match accounts
                    .next_cursor
                    .as_deref()
                    .and_then(kernel::Cursor::decode)
                {
                    Some(c) => {
                        page =
                            kernel::PageRequest::new(Some(kernel::PageRequest::MAX_LIMIT), Some(c));
                    }
                    None => break,
                }
            }
        }
        AccountsCommand::Suspend { account, reason } => {
            let ctx = AuditContext {
                reason: Some(reason),
                ..ctx
            };
            let a = app::accounts::set_status_as_operator(
                &app,
                &ctx,
                account.into(),
                AccountStatus::Suspended,
            )
            .await?;
            println!("{} suspended", a.id);
        }
        AccountsCommand::Tokens { account } => {
            let tokens = app::accounts::tokens(&app, account.into())
                .await
                .map_err(|e| match e.class {
                    app::ErrorClass::NotFound => anyhow::anyhow!("no account {account}"),
                    _ => e.into(),
                })?;
            println!("id\tlabel\tcreated\texpires\trevoked\tlast used");
            let at = |t: Option<time::OffsetDateTime>, none: &str| {
                t.map_or_else(|| none.to_owned(), to_the_second)
            };
            for t in &tokens {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.label,
                    to_the_second(t.created_at),
                    at(t.expires_at, "never"),
                    at(t.revoked_at, "-"),
                    at(t.last_used_at, "-"),
                );
            }
        }
        AccountsCommand::RevokeToken { account, token } => {
            let t = app::accounts::revoke_token(&app, &ctx, account.into(), token.into()).await?;
            println!("token {} revoked", t.id);
        }
    }
    Ok(())
}

/// A time in UTC to the second, e.g. `2026-12-06T10:35:14Z`.
fn to_the_second(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// `redress audit verify` and `redress audit head`.
async fn audit(app: &app::App, cmd: AuditCommand) -> ExitCode {
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("redress: {e}");
        ExitCode::from(2)
    };
    match cmd {
        AuditCommand::Head => match app::audit::head(app).await {
            Ok(head) => {
                let at = head
                    .at
                    .map_or_else(|| "-".to_owned(), store::audit::canonical_time);
                println!("{}:{}\t{at}", head.seq, store::audit::hex(&head.hash));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        AuditCommand::Verify { published } => {
            let mut checkpoints = Vec::new();
            for p in &published {
                let parsed = p.split_once(':').and_then(|(seq, hash)| {
                    Some((seq.parse::<i64>().ok()?, store::audit::parse_hex(hash)?))
                });
                match parsed {
                    Some(c) => checkpoints.push(c),
                    None => {
                        return fail(&format!("--published {p}: expected SEQ:64-hex-digit-hash"));
                    }
                }
            }
            let started = std::time::Instant::now();
            let report = match app::audit::verify(app).await {
                Ok(r) => r,
                Err(e) => return fail(&e),
            };
            let elapsed = started.elapsed().as_secs_f64();
            let (entries, head) = match report {
                store::audit::ChainReport::Intact { entries, head } => (entries, head),
                store::audit::ChainReport::Broken { broken } => {
                    println!("audit chain BROKEN at {broken}");
                    return ExitCode::FAILURE;
                }
            };
            for (seq, hash) in checkpoints {
                let found = match app::audit::entry_at(app, seq).await {
                    Ok(found) => found,
                    Err(e) => return fail(&e),
                };
                if found.as_ref().map(|e| e.hash) != Some(hash) {
                    println!(
                        "audit chain BROKEN at seq {seq}: the published hash {} is no longer in the chain (found {})",
                        store::audit::hex(&hash),
                        found.map_or_else(|| "no entry".to_owned(), |e| store::audit::hex(&e.hash))
                    );
                    return ExitCode::FAILURE;
                }
            }
            #[allow(clippy::cast_precision_loss)]
            let rate = entries as f64 / elapsed.max(1e-9);
            println!(
                "audit chain intact: {entries} entries, head {}:{} ({elapsed:.2}s, {rate:.0} entries/s)",
                head.seq,
                store::audit::hex(&head.hash)
            );
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--help` shows which variable sets an option, never its value: an
    /// empty or secret value has no place in help text.
    #[test]
    fn help_shows_no_environment_values() {
        fn check(command: &clap::Command, path: &str) {
            for arg in command.get_arguments() {
                if let Some(var) = arg.get_env() {
                    assert!(
                        arg.is_hide_env_values_set(),
                        "{path} --{}: the value of {var:?} would show in --help",
                        arg.get_id()
                    );
                }
            }
            for sub in command.get_subcommands() {
                check(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        check(&<Cli as clap::CommandFactory>::command(), "redress");
    }

    #[test]
    fn the_webhook_allow_list_is_comma_separated_outside_the_file() {
        use clap::Parser as _;
        let cli = Cli::try_parse_from([
            "redress",
            "serve",
            "--webhook-allow-private",
            "10.1.0.0/16,[fd00::1]:8443",
        ])
        .unwrap();
        let Command::Serve(serve) = cli.command else {
            panic!("not serve");
        };
        let s = crate::config::Settings::resolve(&cli.database, &serve).unwrap();
        assert_eq!(
            s.webhook_allow_private,
            crate::webhooks::target::AllowList::parse(["10.1.0.0/16", "[fd00::1]:8443"]).unwrap()
        );
    }
}
