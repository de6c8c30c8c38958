//! The production backend: PostgreSQL through sqlx.
//!
//! Native types throughout (uuid, timestamptz, numeric, jsonb, text with
//! CHECK constraints). Races are settled in SQL: unique constraints and
//! conditional updates, and `FOR UPDATE SKIP LOCKED` for job queues.
//! The pool has a short acquire timeout so that, when the database is down,
//! requests fail fast with 503 instead of piling up.
//!
//! Only this crate and `store-sqlite` know SQL.

mod accounts;
mod audit;
mod cases;
mod claims;
mod decisions;
mod evidence;
mod idempotency;
mod imports;
mod ratification;
mod reports;
mod sessions;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod webhooks;

use async_trait::async_trait;
use kernel::Clock;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use store::{AuditContext, Backend, Change, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Pool settings for [`PostgresStore::connect`].
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a request may wait for a connection before it is told the
    /// database is unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

/// The PostgreSQL implementation of [`store::Store`].
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
}

impl PostgresStore {
    /// Connects to `url` and brings the schema up to date.
    pub async fn connect(
        url: &str,
        settings: PoolSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let options =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::Unavailable(e.into()))?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(map_err)?;
        let store = Self { pool, clock };
        store.migrate().await?;
        Ok(store)
    }

    /// A store for read-only queries on a replica: no migrations (a hot
    /// standby refuses writes; its schema is the primary's), every
    /// transaction read-only, and connections opened on first use, so
    /// that a replica that is down fails the reads sent to it (503), not
    /// the start of the service.
    pub fn connect_read_only(
        url: &str,
        settings: PoolSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(e.into()))?
            .options([("default_transaction_read_only", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options);
        Ok(Self { pool, clock })
    }

    /// Applies pending migrations. Safe to run from several instances at
    /// once: sqlx takes an advisory lock.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(StoreError::internal)?;
        // Entries written before the audit chain existed, or by an instance
        // that stopped before its chainer ran, get their place.
        audit::chain_pending(&self.pool, audit::HeadBusy::Wait)
            .await
            .map(drop)
    }

    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(map_err)
    }

    pub(crate) const fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Appends the audit entry of a change inside the change's transaction.
    pub(crate) async fn audit(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        ctx: &AuditContext,
        change: Change,
    ) -> Result<(), StoreError> {
        audit::append(tx, ctx, change, || self.now()).await
    }

    /// Appends the audit entries of many changes, in order, inside the
    /// changes' transaction.
    pub(crate) async fn audit_many(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        ctx: &AuditContext,
        changes: Vec<Change>,
    ) -> Result<(), StoreError> {
        audit::append_many(tx, ctx, changes, || self.now()).await
    }
}

#[async_trait]
impl store::Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn claim_once(&self, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO once_markers (name, at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(self.now())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}

/// Maps driver errors to what the service can act on.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() || db.is_foreign_key_violation() => {
            StoreError::Conflict(db.message().to_owned())
        }
        // Class 08 (connection exception), 57P0x (shutdown), 53 (resources).
        sqlx::Error::Database(db)
            if db.code().is_some_and(|c| {
                c.starts_with("08") || c.starts_with("57P") || c.starts_with("53")
            }) =>
        {
            StoreError::Unavailable(db.into())
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => StoreError::Unavailable(e.into()),
        other => StoreError::internal(other),
    }
}

#[cfg(test)]
mod tests {
    async fn fresh() -> Option<(crate::PostgresStore, crate::testing::TestDatabase)> {
        crate::testing::server_url()?;
        let db = crate::testing::TestDatabase::create().await;
        let store = db.store().await;
        Some((store, db))
    }

    store::behaviour_suite!(fresh);
}
