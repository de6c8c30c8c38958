//! The behaviour every storage backend must show, written once.
//!
//! Each backend crate runs the whole suite on a fresh database of its own
//! with [`behaviour_suite!`](crate::behaviour_suite):
//!
//! ```text
//! store::behaviour_suite!(fresh_store);
//! ```
//!
//! where `fresh_store()` returns `Some((impl Store, guard))`, or `None` when
//! the backend's test server is not configured; the guard drops the
//! database when the test ends.

use crate::{AccountStatus, AuditContext, AuditFilter, NewAccount, NewToken, Store, StoreError};
use kernel::access::Clearance;
use kernel::id::AccountId;
use kernel::{PageRequest, Role};

/// Generates one `#[tokio::test]` per suite function.
#[macro_export]
macro_rules! behaviour_suite {
    ($fresh:path) => {
        $crate::behaviour_suite!(@tests $fresh;
            account_round_trip,
            account_pages_follow_creation_order,
            status_change_checks_version,
            token_lifecycle,
            tokens_cannot_be_revoked_through_another_account,
            every_change_is_audited,
            claim_once_is_once,
            external_subject_is_unique
        );
    };
    (@tests $fresh:path; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((store, _guard)) = $fresh().await else {
                    eprintln!("skipped: this backend's test database is not configured");
                    return;
                };
                $crate::suite::$name(&store).await;
            }
        )*
    };
}

fn ctx() -> AuditContext {
    AuditContext {
        actor: None,
        actor_role: Some("admin".into()),
        request_id: Some("req-1".into()),
        reason: Some("testing".into()),
        ..AuditContext::default()
    }
}

fn new_account(name: &str, roles: &[Role]) -> NewAccount {
    NewAccount {
        display_name: name.into(),
        roles: roles.to_vec(),
        clearances: vec![],
        participant: None,
        external_subject: None,
    }
}

pub async fn account_round_trip(store: &dyn Store) {
    let mut new = new_account("Olena Kovalenko", &[Role::Registrar, Role::Board]);
    new.clearances = vec![Clearance::Sensitive];
    let created = store.create_account(&ctx(), new).await.unwrap();
    assert_eq!(created.display_name, "Olena Kovalenko");
    assert_eq!(created.status, AccountStatus::Active);
    assert_eq!(created.roles, vec![Role::Registrar, Role::Board]);
    assert_eq!(created.clearances, vec![Clearance::Sensitive]);
    assert_eq!(created.version, 1);
    let loaded = store.account(created.id).await.unwrap();
    assert_eq!(loaded, created);
    assert!(matches!(
        store.account(AccountId::new()).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn account_pages_follow_creation_order(store: &dyn Store) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let a = store
            .create_account(&ctx(), new_account(&format!("A{i}"), &[Role::Claimant]))
            .await
            .unwrap();
        ids.push(a.id);
    }
    let first = store
        .accounts(PageRequest::new(Some(3), None))
        .await
        .unwrap();
    assert_eq!(
        first.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        ids[..3]
    );
    let cursor = kernel::Cursor::decode(first.next_cursor.as_deref().unwrap()).unwrap();
    let second = store
        .accounts(PageRequest::new(Some(3), Some(cursor)))
        .await
        .unwrap();
    assert_eq!(
        second.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        ids[3..]
    );
    assert_eq!(second.next_cursor, None);
}

pub async fn status_change_checks_version(store: &dyn Store) {
    let a = store
        .create_account(&ctx(), new_account("B", &[Role::Assessor]))
        .await
        .unwrap();
    let suspended = store
        .set_account_status(&ctx(), a.id, AccountStatus::Suspended, Some(1))
        .await
        .unwrap();
    assert_eq!(suspended.status, AccountStatus::Suspended);
    assert_eq!(suspended.version, 2);
    // A second change based on the old version loses.
    let stale = store
        .set_account_status(&ctx(), a.id, AccountStatus::Active, Some(1))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(
        store.account(a.id).await.unwrap().status,
        AccountStatus::Suspended
    );
    let missing = store
        .set_account_status(&ctx(), AccountId::new(), AccountStatus::Active, None)
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
}

pub async fn token_lifecycle(store: &dyn Store) {
    let a = store
        .create_account(&ctx(), new_account("C", &[Role::Claimant]))
        .await
        .unwrap();
    let hash = [7u8; 32];
    let issued = store
        .issue_token(
            &ctx(),
            NewToken {
                account: a.id,
                label: "laptop".into(),
                secret_hash: hash,
                expires_at: None,
            },
        )
        .await
        .unwrap();
    let (found, owner) = store.token_by_hash(&hash).await.unwrap();
    assert_eq!(found.id, issued.id);
    assert_eq!(owner.id, a.id);
    assert!(found.revoked_at.is_none());
    assert!(matches!(
        store.token_by_hash(&[8u8; 32]).await,
        Err(StoreError::NotFound)
    ));

    let now = time::OffsetDateTime::now_utc();
    store.touch_token(issued.id, now).await.unwrap();
    let (touched, _) = store.token_by_hash(&hash).await.unwrap();
    assert!(touched.last_used_at.is_some());

    let revoked = store.revoke_token(&ctx(), a.id, issued.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    let again = store.revoke_token(&ctx(), a.id, issued.id).await.unwrap();
    assert_eq!(again.revoked_at, revoked.revoked_at);
    assert_eq!(store.tokens(a.id).await.unwrap().len(), 1);

    // A secret hash is unique: the same secret cannot be stored twice.
    let dup = store
        .issue_token(
            &ctx(),
            NewToken {
                account: a.id,
                label: "copy".into(),
                secret_hash: hash,
                expires_at: None,
            },
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
}

pub async fn tokens_cannot_be_revoked_through_another_account(store: &dyn Store) {
    let a = store
        .create_account(&ctx(), new_account("D", &[Role::Claimant]))
        .await
        .unwrap();
    let b = store
        .create_account(&ctx(), new_account("E", &[Role::Claimant]))
        .await
        .unwrap();
    let t = store
        .issue_token(
            &ctx(),
            NewToken {
                account: a.id,
                label: "a".into(),
                secret_hash: [9u8; 32],
                expires_at: None,
            },
        )
        .await
        .unwrap();
    let wrong = store.revoke_token(&ctx(), b.id, t.id).await;
    assert!(matches!(wrong, Err(StoreError::NotFound)), "{wrong:?}");
    let (still, _) = store.token_by_hash(&[9u8; 32]).await.unwrap();
    assert!(still.revoked_at.is_none());
}

pub async fn every_change_is_audited(store: &dyn Store) {
    let a = store
        .create_account(&ctx(), new_account("F", &[Role::Auditor]))
        .await
        .unwrap();
    store
        .set_account_status(&ctx(), a.id, AccountStatus::Suspended, None)
        .await
        .unwrap();
    let t = store
        .issue_token(
            &ctx(),
            NewToken {
                account: a.id,
                label: "x".into(),
                secret_hash: [3u8; 32],
                expires_at: None,
            },
        )
        .await
        .unwrap();
    store.revoke_token(&ctx(), a.id, t.id).await.unwrap();

    let filter = AuditFilter {
        target_type: Some("account".into()),
        target_id: Some(a.id.to_string()),
        ..AuditFilter::default()
    };
    let log = store
        .audit_entries(&filter, PageRequest::default())
        .await
        .unwrap();
    let actions: Vec<&str> = log.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "account.created",
            "account.status_changed",
            "token.issued",
            "token.revoked"
        ]
    );
    let first = &log.items[0];
    assert_eq!(first.request_id.as_deref(), Some("req-1"));
    assert_eq!(first.reason.as_deref(), Some("testing"));
    assert_eq!(first.actor_role.as_deref(), Some("admin"));
    assert_eq!(first.summary["display_name"], "F");
    // The secret's hash never reaches the log.
    assert!(!log.items[2].summary.to_string().contains("secret"));
}

pub async fn claim_once_is_once(store: &dyn Store) {
    assert!(store.claim_once("bootstrap-admin").await.unwrap());
    assert!(!store.claim_once("bootstrap-admin").await.unwrap());
    assert!(store.claim_once("something-else").await.unwrap());
}

pub async fn external_subject_is_unique(store: &dyn Store) {
    let mut first = new_account("G", &[Role::Registrar]);
    first.external_subject = Some("sso|123".into());
    let a = store.create_account(&ctx(), first.clone()).await.unwrap();
    assert_eq!(
        store
            .account_by_external_subject("sso|123")
            .await
            .unwrap()
            .id,
        a.id
    );
    let dup = store.create_account(&ctx(), first).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    // The failed creation left nothing behind, not even an audit entry.
    let log = store
        .audit_entries(&AuditFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(log.items.len(), 1);
}
