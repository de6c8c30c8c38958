//! `World`: the application on a fresh database, without any door.

use app::{Actor, App, Config};
use kernel::access::Clearance;
use kernel::{FixedClock, Permission, Role};
use std::sync::Arc;
use store::{AuditContext, NewAccount, Store};

enum Guard {
    Sqlite(#[allow(dead_code, reason = "held to keep the directory")] tempfile::TempDir),
    Postgres(
        #[allow(dead_code, reason = "held to keep the database")]
        store_postgres::testing::TestDatabase,
    ),
}

pub struct World {
    pub app: App,
    /// The application's clock, to move time.
    pub clock: FixedClock,
    _guard: Guard,
    _dir: tempfile::TempDir,
}

/// Runs each test body on SQLite and, when configured, on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($(async fn $name:ident($w:ident: World) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($w: $crate::support::World) $body

                #[tokio::test]
                async fn sqlite() {
                    run($crate::support::World::sqlite().await).await;
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(w) = $crate::support::World::postgres().await else {
                        eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
                        return;
                    };
                    run(w).await;
                }
            }
        )*
    };
}

/// A 32-byte key, for sealing sensitive claims in tests.
const TEST_KEY: &str = "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

impl World {
    pub async fn sqlite() -> Self {
        let clock = FixedClock::at(time::OffsetDateTime::now_utc());
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("redress.db").display());
        let store = store_sqlite::SqliteStore::connect(&url, Arc::new(clock.clone()))
            .await
            .expect("sqlite");
        Self::on(Arc::new(store), clock, Guard::Sqlite(dir)).await
    }

    pub async fn postgres() -> Option<Self> {
        store_postgres::testing::server_url()?;
        let clock = FixedClock::at(time::OffsetDateTime::now_utc());
        let database = store_postgres::testing::TestDatabase::create().await;
        let store = store_postgres::PostgresStore::connect(
            &database.url(),
            store_postgres::PoolSettings::default(),
            Arc::new(clock.clone()),
        )
        .await
        .expect("postgres");
        Some(Self::on(Arc::new(store), clock, Guard::Postgres(database)).await)
    }

    async fn on(store: Arc<dyn Store>, clock: FixedClock, guard: Guard) -> Self {
        app::catalogue::seed(store.as_ref())
            .await
            .expect("catalogue");
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config {
            eligibility_start: time::macros::date!(2022 - 02 - 24),
            convention_rule: ratification::EntryIntoForceRule::convention_default(),
            funding_target: kernel::Money::new(
                rust_decimal::Decimal::from(50_000_000),
                kernel::Currency::EUR,
            ),
            award_currency: kernel::Currency::EUR,
            evidence_max_bytes: 25 * 1024 * 1024,
            import_max_bytes: 1024 * 1024 * 1024,
            data_dir: dir.path().to_owned(),
            payment_debtor: None,
        };
        let evidence = app::evidence_storage::EvidenceStorage::local(&dir.path().join("evidence"))
            .expect("evidence");
        let sealer = app::crypto::Sealer::from_config(TEST_KEY).expect("key");
        let app = App::new(
            store.clone(),
            store,
            Arc::new(clock.clone()),
            config,
            sealer,
            evidence,
        );
        app::gate::seed_convention(&app).await.expect("convention");
        Self {
            app,
            clock,
            _guard: guard,
            _dir: dir,
        }
    }

    /// An account with these roles (and the sensitive clearance when
    /// `cleared`), acting with what the policy grants it for `action`.
    pub async fn actor(
        &self,
        name: &str,
        roles: &[Role],
        cleared: bool,
        action: kernel::Action,
    ) -> Actor {
        let account = self
            .app
            .store
            .create_account(
                &AuditContext::system(),
                NewAccount {
                    display_name: name.into(),
                    roles: roles.to_vec(),
                    clearances: if cleared {
                        vec![Clearance::Sensitive]
                    } else {
                        vec![]
                    },
                    participant: None,
                    external_subject: None,
                },
            )
            .await
            .expect("account");
        let principal = account.principal();
        let permission = principal.permission(action);
        assert_ne!(permission, Permission::Deny, "{name} may not {action:?}");
        Actor {
            role: roles
                .iter()
                .copied()
                .find(|r| kernel::permission(*r, action) == permission),
            principal,
            permission,
            request_id: None,
            idempotency_key: None,
            standing: None,
        }
    }
}

/// The same account acting with what the policy grants it for another
/// action.
pub fn acting(actor: &Actor, action: kernel::Action) -> Actor {
    let permission = actor.principal.permission(action);
    Actor {
        role: actor
            .principal
            .roles
            .iter()
            .copied()
            .find(|r| kernel::permission(*r, action) == permission),
        permission,
        ..actor.clone()
    }
}
