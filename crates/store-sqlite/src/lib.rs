//! The embedded backend: SQLite through sqlx.
//!
//! One file under the data directory, WAL journal, `synchronous = FULL`
//! (a 2xx means the claim is on disk), foreign keys on, and a busy timeout.
//! SQLite admits one writer at a time, so writes go through a pool of one
//! connection and open with `BEGIN IMMEDIATE`: writers queue in the pool
//! instead of failing with `SQLITE_BUSY` half-way through a transaction.
//! Reads use their own pool and run beside the writer thanks to WAL.
//!
//! Only this crate and `store-postgres` know SQL.

mod accounts;
mod audit;
mod cases;
mod claims;
mod decisions;
mod evidence;
mod idempotency;
mod imports;
mod notices;
mod ratification;
mod reports;
mod sessions;
mod time_text;
mod webhooks;

use async_trait::async_trait;
use kernel::Clock;
use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use store::{AuditContext, Backend, Change, StoreError};

pub use sqlx::migrate::MigrateError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// The SQLite implementation of [`store::Store`].
#[derive(Clone, Debug)]
pub struct SqliteStore {
    write: SqlitePool,
    read: SqlitePool,
    clock: Arc<dyn Clock>,
    /// Advanced by this store's own changes of the catalogue and regions;
    /// always live. Another process writing the same file is not heard of:
    /// the cache's time bound (`app::catalogue::CACHE_BOUND`) covers it.
    catalogue: store::ChangeEpoch,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite:path` or
    /// `sqlite://path`) and brings its schema up to date.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(e.into()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // Page caches (negative: KiB). SQLite's default 2 MiB makes every
        // write into a large claims table re-read index pages from the OS;
        // the one writer gets 32 MiB, each reader 8 MiB, a bound the
        // service's memory budget can carry.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone().pragma("cache_size", "-32768"))
            .await
            .map_err(map_err)?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.read_only(true).pragma("cache_size", "-8192"))
            .await
            .map_err(map_err)?;
        let catalogue = store::ChangeEpoch::default();
        catalogue.set_live(true);
        let store = Self {
            write,
            read,
            clock,
            catalogue,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations. Idempotent.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.write)
            .await
            .map_err(StoreError::internal)?;
        // Entries written before the audit chain existed get their place.
        audit::chain_unchained(&self.write).await.map(drop)
    }

    /// Writes a consistent copy of the whole database to `path`, which must
    /// not exist yet, while the service goes on. `VACUUM INTO` copies one
    /// read snapshot through a reader connection, so writers never wait for
    /// it; the copy is checked with `PRAGMA quick_check` before it counts.
    pub async fn backup_into(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let target = path.to_str().ok_or_else(|| {
            StoreError::internal(std::io::Error::other("the backup path is not valid UTF-8"))
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&self.read)
            .await
            .map_err(map_err)?;
        let copy = SqliteConnectOptions::new().filename(path).read_only(true);
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&copy)
            .await
            .map_err(map_err)?;
        let check: String = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_one(&mut conn)
            .await
            .map_err(map_err)?;
        if check != "ok" {
            return Err(StoreError::internal(std::io::Error::other(format!(
                "the copy fails its integrity check: {check}"
            ))));
        }
        Ok(())
    }

    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// After a commit that changed the catalogue or regions.
    pub(crate) fn catalogue_changed(&self) {
        self.catalogue.advance();
    }

    pub(crate) fn catalogue_epoch(&self) -> store::ChangeEpoch {
        self.catalogue.clone()
    }

    /// `KeyTaken` if the key of `answer` is recorded already: checked
    /// first, under the writer lock, so that a retry does no work.
    pub(crate) async fn key_free(
        tx: &mut Transaction<'static, Sqlite>,
        answer: Option<&store::KeptAnswer<'_, store::claims::ClaimRecord>>,
    ) -> Result<(), StoreError> {
        let Some(answer) = answer else {
            return Ok(());
        };
        let recorded: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM idempotency_keys WHERE account_id = ? AND idempotency_key = ?",
        )
        .bind(answer.account.0)
        .bind(answer.key)
        .fetch_optional(&mut **tx)
        .await
        .map_err(map_err)?;
        match recorded {
            Some(_) => Err(StoreError::KeyTaken),
            None => Ok(()),
        }
    }

    /// Records `answer` under its key, completed, in the change's
    /// transaction: the writer lock makes the check and the insert one
    /// step. `KeyTaken` (and the transaction, dropped, rolls back) if the
    /// key is recorded already.
    pub(crate) async fn keep_answer(
        tx: &mut Transaction<'static, Sqlite>,
        answer: Option<&store::KeptAnswer<'_, store::claims::ClaimRecord>>,
        record: &store::claims::ClaimRecord,
        effect: (&str, String),
    ) -> Result<(), StoreError> {
        let Some(answer) = answer else {
            return Ok(());
        };
        let response = (answer.render)(record)?;
        let now = time_text::encode(answer.now);
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, state, \
             response_status, response_headers, response_body, created_at, locked_until, expires_at, \
             effect_type, effect_id) VALUES (?, ?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(answer.account.0)
        .bind(answer.key)
        .bind(&answer.fingerprint[..])
        .bind(i64::from(response.status))
        .bind(store::KeptAnswer::<store::claims::ClaimRecord>::headers_json(&response).to_string())
        .bind(&response.body)
        .bind(&now)
        .bind(&now)
        .bind(time_text::encode(answer.expires_at()))
        .bind(effect.0)
        .bind(effect.1)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        if inserted.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::KeyTaken)
        }
    }

    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.write
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_err)
    }

    pub(crate) const fn reader(&self) -> &SqlitePool {
        &self.read
    }

    /// Appends the audit entry of a change inside the change's transaction.
    pub(crate) async fn audit(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        ctx: &AuditContext,
        change: Change,
    ) -> Result<(), StoreError> {
        audit::append(tx, ctx, change, || self.now()).await
    }

    /// Appends the audit entries of many changes, in order, inside the
    /// changes' transaction.
    pub(crate) async fn audit_many(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        ctx: &AuditContext,
        changes: Vec<Change>,
    ) -> Result<(), StoreError> {
        audit::append_many(tx, ctx, changes, self.now()).await
    }
}

#[async_trait]
impl store::Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn claim_once(&self, name: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("INSERT INTO once_markers (name, at) VALUES (?, ?) ON CONFLICT DO NOTHING")
                .bind(name)
                .bind(time_text::encode(self.now()))
                .execute(&self.write)
                .await
                .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}

/// Maps driver errors to what the service can act on.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_owned())
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::Conflict(db.message().to_owned())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.into())
        }
        other => StoreError::internal(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::SystemClock;

    async fn fresh() -> Option<(SqliteStore, tempfile::TempDir)> {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = SqliteStore::connect(&url, Arc::new(SystemClock))
            .await
            .unwrap();
        Some((store, dir))
    }

    store::behaviour_suite!(fresh);
}
