//! Fresh databases for tests.
//!
//! Each test gets a database of its own, created from the server named by
//! `REDRESS_TEST_POSTGRES_URL` and dropped when the test ends, so tests run
//! in parallel without seeing each other's rows.

use crate::{PoolSettings, PostgresStore};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::sync::Arc;

/// The variable naming the PostgreSQL server tests may use.
pub const TEST_URL_VAR: &str = "REDRESS_TEST_POSTGRES_URL";

/// The test server's URL, if the environment names one.
pub fn server_url() -> Option<String> {
    std::env::var(TEST_URL_VAR).ok().filter(|u| !u.is_empty())
}

/// A database that exists for the life of this value.
#[derive(Debug)]
pub struct TestDatabase {
    server: String,
    name: String,
}

impl TestDatabase {
    /// Creates a fresh database on the server named by
    /// `REDRESS_TEST_POSTGRES_URL`. Panics when it is unset or unreachable:
    /// a test that asked for PostgreSQL must not pass without it.
    pub async fn create() -> Self {
        let server =
            server_url().unwrap_or_else(|| panic!("{TEST_URL_VAR} must name a PostgreSQL server"));
        let name = format!("redress_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = PgConnection::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {TEST_URL_VAR}: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        Self { server, name }
    }

    /// The URL of this database.
    pub fn url(&self) -> String {
        let mut url = url_without_path(&self.server);
        url.push('/');
        url.push_str(&self.name);
        url
    }

    pub async fn store(&self) -> PostgresStore {
        PostgresStore::connect(
            &self.url(),
            PoolSettings::default(),
            Arc::new(kernel::SystemClock),
        )
        .await
        .expect("connect to test database")
    }
}

fn url_without_path(server: &str) -> String {
    // postgres://user@host:port/db?params -> postgres://user@host:port
    let after_scheme = server.find("://").map_or(0, |i| i + 3);
    match server[after_scheme..].find('/') {
        Some(i) => server[..after_scheme + i].to_owned(),
        None => server.split('?').next().unwrap_or(server).to_owned(),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        // Drop runs outside any runtime we may block; a thread of its own
        // with a small runtime does the async cleanup.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for cleanup");
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&server).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

#[cfg(test)]
mod tests {
    use super::url_without_path;

    #[test]
    fn strips_database_from_url() {
        assert_eq!(
            url_without_path("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432"
        );
        assert_eq!(
            url_without_path("postgres://u:p@h/db?sslmode=disable"),
            "postgres://u:p@h"
        );
        assert_eq!(url_without_path("postgres://h:5432"), "postgres://h:5432");
    }
}
