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
mod notices;
mod ratification;
mod reports;
mod sessions;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod webhooks;

use async_trait::async_trait;
use kernel::Clock;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use store::{AuditContext, Backend, Change, ChangeEpoch, StoreError};

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
    /// Advanced by this store's own credential changes and by the
    /// notifications of everyone's (migration 0016); live only while the
    /// listener holds its connection. `None` on a read-only store.
    credentials: Option<(ChangeEpoch, Arc<Listener>)>,
    /// Advanced by every change of the catalogue or regions (migration
    /// 0027), heard by the same listener. `None` on a read-only store.
    catalogue: Option<ChangeEpoch>,
    /// Connections for bookkeeping that may commit without waiting for its
    /// WAL flush (`synchronous_commit = off` for the session): drawing
    /// reference numbers. See `claims::next_reference`.
    unflushed: PgPool,
}

/// The task that listens for credential changes; it stops with the last
/// clone of the store.
#[derive(Debug)]
struct Listener(tokio::task::JoinHandle<()>);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

const CREDENTIALS_CHANNEL: &str = "redress_credentials";
const CATALOGUE_CHANNEL: &str = "redress_catalogue";

/// Listens on a connection of its own (not one of the pool's, which would
/// shrink it), and turns every notification into a new epoch of what it is
/// about. While the connection is down neither epoch is live, so nothing is
/// cached that a missed notification could have made stale.
async fn listen_for_changes(
    options: PgConnectOptions,
    credentials: ChangeEpoch,
    catalogue: ChangeEpoch,
) {
    let own = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options);
    let mut warned = false;
    loop {
        let listening = async {
            let mut listener = PgListener::connect_with(&own).await?;
            listener
                .listen_all([CREDENTIALS_CHANNEL, CATALOGUE_CHANNEL])
                .await?;
            Ok::<_, sqlx::Error>(listener)
        }
        .await;
        match listening {
            Ok(mut listener) => {
                credentials.set_live(true);
                catalogue.set_live(true);
                if warned {
                    tracing::info!("listening for credential and catalogue changes again");
                    warned = false;
                }
                // `try_recv` answers `None` when the connection is lost.
                while let Ok(Some(notification)) = listener.try_recv().await {
                    if notification.channel() == CATALOGUE_CHANNEL {
                        catalogue.advance();
                    } else {
                        credentials.advance();
                    }
                }
                credentials.set_live(false);
                catalogue.set_live(false);
            }
            Err(e) if !warned => {
                tracing::warn!(
                    "cannot listen for credential and catalogue changes: {e}; \
                     tokens and the catalogue are not cached"
                );
                warned = true;
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
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
            .connect_with(options.clone())
            .await
            .map_err(map_err)?;
        let unflushed = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options.clone().options([("synchronous_commit", "off")]));
        let mut store = Self {
            pool,
            clock,
            credentials: None,
            catalogue: None,
            unflushed,
        };
        store.migrate().await?;
        let credentials = ChangeEpoch::default();
        let catalogue = ChangeEpoch::default();
        let task = tokio::spawn(listen_for_changes(
            options,
            credentials.clone(),
            catalogue.clone(),
        ));
        store.credentials = Some((credentials, Arc::new(Listener(task))));
        store.catalogue = Some(catalogue);
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
        Ok(Self {
            unflushed: pool.clone(),
            pool,
            clock,
            credentials: None,
            catalogue: None,
        })
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

    /// After a commit that changed credentials: this instance forgets at
    /// once, without waiting for its own notification.
    pub(crate) fn credentials_changed(&self) {
        if let Some((epoch, _)) = &self.credentials {
            epoch.advance();
        }
    }

    /// After a commit that changed the catalogue: this instance forgets at
    /// once, without waiting for its own notification.
    pub(crate) fn catalogue_changed(&self) {
        if let Some(epoch) = &self.catalogue {
            epoch.advance();
        }
    }

    pub(crate) fn catalogue_epoch(&self) -> Option<ChangeEpoch> {
        self.catalogue.clone()
    }

    pub(crate) const fn unflushed(&self) -> &PgPool {
        &self.unflushed
    }

    /// The time, to the microsecond: what `timestamptz` keeps, so that a
    /// record built in memory equals the one read back.
    pub(crate) fn now(&self) -> time::OffsetDateTime {
        let now = self.clock.now();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now)
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
        // `redress_abort` (migration 0027): the statement's idempotency key
        // was recorded before.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("RDK01") => StoreError::KeyTaken,
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

    use kernel::Role;
    use std::time::Duration;
    use store::{AccountStatus, AccountStore, AuditContext, ChangeEpoch, NewAccount, NewToken};

    /// Waits until the epoch is live and differs from `from` (a
    /// notification crossed instances), or panics after 20 s.
    async fn moved(epoch: &ChangeEpoch, from: Option<u64>, what: &str) -> u64 {
        for _ in 0..400 {
            if let Some(now) = epoch.current()
                && Some(now) != from
            {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the credential epoch did not move after {what}");
    }

    #[tokio::test]
    async fn credential_changes_reach_every_instance_and_changes_by_hand_too() {
        let Some((one, db)) = fresh().await else {
            return;
        };
        let other = db.store().await;
        let epoch = other
            .credential_epoch()
            .expect("a read-write store has an epoch");
        let start = moved(&epoch, None, "connecting").await;
        let ctx = AuditContext::system();
        let account = one
            .create_account(
                &ctx,
                NewAccount {
                    display_name: "Ірина Мельник".into(),
                    roles: vec![Role::Registrar],
                    clearances: vec![],
                    participant: None,
                    external_subject: None,
                },
            )
            .await
            .expect("account");
        let token = one
            .issue_token(
                &ctx,
                NewToken {
                    account: account.id,
                    label: "desk".into(),
                    secret_hash: [7; 32],
                    expires_at: None,
                },
            )
            .await
            .expect("token");

        // The instance that revokes forgets before it answers.
        let mine = one.credential_epoch().expect("epoch").current();
        one.revoke_token(&ctx, account.id, token.id)
            .await
            .expect("revoke");
        assert_ne!(one.credential_epoch().expect("epoch").current(), mine);
        // The other hears of it.
        let after_revoke = moved(&epoch, Some(start), "a revocation").await;

        // Suspending an account.
        one.set_account_status(&ctx, account.id, AccountStatus::Suspended, None)
            .await
            .expect("suspend");
        let after_suspend = moved(&epoch, Some(after_revoke), "a suspension").await;

        // And a change made by hand, outside Redress.
        sqlx::query("UPDATE api_tokens SET expires_at = now()")
            .execute(one.pool())
            .await
            .expect("by hand");
        let after_hand = moved(&epoch, Some(after_suspend), "an update by hand").await;

        // The listeners' connections are cut: the epoch moves on (what was
        // read before may have missed a change), and changes are heard again.
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .execute(one.pool())
        .await
        .expect("cut the listeners");
        let after_cut = moved(&epoch, Some(after_hand), "the connection was cut").await;
        one.set_account_status(&ctx, account.id, AccountStatus::Active, None)
            .await
            .expect("reactivate");
        moved(&epoch, Some(after_cut), "a change after the reconnection").await;
    }

    #[tokio::test]
    async fn catalogue_changes_reach_every_instance_and_changes_by_hand_too() {
        use store::ClaimStore;
        let Some((one, db)) = fresh().await else {
            return;
        };
        let other = db.store().await;
        let epoch = ClaimStore::catalogue_epoch(&other).expect("a read-write store has an epoch");
        let start = moved(&epoch, None, "connecting").await;
        let ctx = AuditContext::system();
        let mut category = register::seed::categories().expect("seed")[0].clone();
        category.code = register::CategoryCode::parse("C9.99").expect("code");
        // The instance that writes forgets before it answers.
        let mine = ClaimStore::catalogue_epoch(&one).expect("epoch").current();
        one.put_category(&ctx, &category, None).await.expect("put");
        assert_ne!(
            ClaimStore::catalogue_epoch(&one).expect("epoch").current(),
            mine
        );
        // The other hears of it.
        let after_put = moved(&epoch, Some(start), "a new category").await;
        // A region renamed by hand, outside Redress.
        sqlx::query("UPDATE regions SET name_en = name_en || '' WHERE code = 'UA-32'")
            .execute(one.pool())
            .await
            .expect("by hand");
        let after_hand = moved(&epoch, Some(after_put), "an update by hand").await;
        // Nothing else moves it.
        let credentials = other.credential_epoch().expect("epoch");
        assert!(credentials.current().is_some());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(epoch.current(), Some(after_hand));
    }
}
