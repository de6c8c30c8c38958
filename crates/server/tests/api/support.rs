//! `TestApp`: the real application on port 0 with a fresh database.
//!
//! Every test runs on SQLite, and again on PostgreSQL when
//! `REDRESS_TEST_POSTGRES_URL` names a server (each test then gets its own
//! database, dropped afterwards). Write tests with [`both!`].

use kernel::{FixedClock, Role};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use server::config::Settings;
use server::state::AppState;
use std::sync::Arc;
use store::{AuditContext, NewAccount};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

enum Guard {
    Sqlite(#[allow(dead_code, reason = "held to keep the directory")] tempfile::TempDir),
    Postgres(
        #[allow(dead_code, reason = "held to keep the database")]
        store_postgres::testing::TestDatabase,
    ),
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: FixedClock,
    pub state: AppState,
    pub db: Db,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _guard: Guard,
    // Holds the data directory (evidence files) for both backends.
    _dir: tempfile::TempDir,
}

/// Runs each test body on SQLite and, when configured, on PostgreSQL.
/// `configured(f);` first changes the settings of every app with `f`.
#[macro_export]
macro_rules! both {
    (configured($configure:expr); $(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: $crate::support::TestApp) $body

                #[tokio::test]
                async fn sqlite() {
                    run($crate::support::TestApp::spawn_with($crate::support::Db::Sqlite, $configure).await.unwrap()).await;
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(app) = $crate::support::TestApp::spawn_with($crate::support::Db::Postgres, $configure).await else {
                        eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
                        return;
                    };
                    run(app).await;
                }
            }
        )*
    };
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: $crate::support::TestApp) $body

                #[tokio::test]
                async fn sqlite() {
                    run($crate::support::TestApp::spawn($crate::support::Db::Sqlite).await.unwrap()).await;
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(app) = $crate::support::TestApp::spawn($crate::support::Db::Postgres).await else {
                        eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
                        return;
                    };
                    run(app).await;
                }
            }
        )*
    };
}

impl TestApp {
    /// `None` when the database is PostgreSQL and no test server is set.
    pub async fn spawn(db: Db) -> Option<Self> {
        Self::spawn_with(db, |_| {}).await
    }

    pub async fn spawn_with(db: Db, configure: impl FnOnce(&mut Settings)) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, guard) = match db {
            Db::Sqlite => {
                let sqlite_dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}",
                    sqlite_dir.path().join("redress.db").display()
                );
                (url, Guard::Sqlite(sqlite_dir))
            }
            Db::Postgres => {
                store_postgres::testing::server_url()?;
                let database = store_postgres::testing::TestDatabase::create().await;
                (database.url(), Guard::Postgres(database))
            }
        };
        let mut settings = Settings::for_database(&url, dir.path());
        // Tests fire many requests quickly; limits get their own test.
        settings.rate_limit_per_minute = 100_000;
        settings.anonymous_rate_limit_per_minute = 100_000;
        configure(&mut settings);
        // A fixed start, early in the convention's life (after its first
        // signatures, before the scenarios' dates), so that the record's
        // first entries precede everything a test records and no test
        // depends on the day it runs.
        let clock = FixedClock::at(time::macros::datetime!(2026-01-05 09:00 UTC));
        let store = server::open_store(&settings.database, Arc::new(clock.clone()))
            .await
            .expect("open store");
        let state = server::app_state(store, Arc::new(clock.clone()), settings)
            .await
            .expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            let _ = server::run(listener, serving, async {
                let _ = rx.await;
            })
            .await;
        });
        Some(Self {
            base,
            client: reqwest::Client::new(),
            clock,
            state,
            db,
            shutdown: Some(tx),
            _guard: guard,
            _dir: dir,
        })
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// Creates an account with these roles straight in the store and
    /// returns its id and a token.
    pub async fn account(&self, name: &str, roles: &[Role]) -> (kernel::id::AccountId, String) {
        self.account_with(NewAccount {
            display_name: name.into(),
            roles: roles.to_vec(),
            clearances: vec![],
            participant: None,
            external_subject: None,
        })
        .await
    }

    /// An account with the sensitive clearance: it may see and work on
    /// sensitive claims and their cases.
    pub async fn cleared_account(
        &self,
        name: &str,
        roles: &[Role],
    ) -> (kernel::id::AccountId, String) {
        self.account_with(NewAccount {
            display_name: name.into(),
            roles: roles.to_vec(),
            clearances: vec![kernel::access::Clearance::Sensitive],
            participant: None,
            external_subject: None,
        })
        .await
    }

    pub async fn account_with(&self, new: NewAccount) -> (kernel::id::AccountId, String) {
        let ctx = AuditContext::system();
        let account = self
            .state
            .store
            .create_account(&ctx, new)
            .await
            .expect("account");
        let issued = app::accounts::issue_token(&self.state.app, &ctx, account.id, "test", None)
            .await
            .expect("token");
        (account.id, issued.token)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Status and JSON body of a response.
pub async fn json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Asserts a problem+json answer with this status and type, returning it.
pub async fn problem(response: Response, status: u16, kind: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (got, body) = json(response).await;
    assert_eq!(got, status, "status; body: {body}");
    assert_eq!(
        content_type, "application/problem+json",
        "content type; body: {body}"
    );
    assert_eq!(
        body["type"],
        format!("/problems/{kind}"),
        "type; body: {body}"
    );
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    assert_eq!(
        body["instance"].as_str(),
        request_id.as_deref(),
        "instance is the request id"
    );
    body
}
