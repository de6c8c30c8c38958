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

use crate::{
    Account, AccountStatus, AuditContext, AuditFilter, NewAccount, NewToken, Store, StoreError,
};
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
            staff_of_a_role_are_found_by_name,
            status_change_checks_version,
            token_lifecycle,
            tokens_cannot_be_revoked_through_another_account,
            every_change_is_audited,
            claim_once_is_once,
            external_subject_is_unique,
            convention_seed_is_idempotent,
            treaty_actions_are_checked_inside_the_transaction,
            funding_records_round_trip,
            convention_events_are_deduplicated,
            idempotency_keys_decide_each_outcome,
            idempotency_expired_lease_is_taken_over,
            idempotency_keys_expire_after_retention,
            idempotency_keys_know_a_committed_change,
            an_intake_answer_is_kept_in_the_changes_own_commit,
            evidence_round_trip,
            evidence_only_while_the_claim_accepts_it,
            audit_chain_links_every_entry,
            audit_chain_holds_under_concurrent_writes,
            audit_chain_detects_a_changed_row,
            audit_chain_detects_a_change_on_any_page,
            audit_chain_detects_a_deleted_row,
            audit_chain_detects_an_inserted_row,
            audit_chain_detects_a_removed_tail,
            web_sessions_round_trip,
            web_sessions_end_with_their_credentials,
            web_sessions_end_once_and_expired_ones_are_forgotten,
            date_filtered_claims_page_in_submission_order,
            case_assignment_respects_version_and_status,
            distribution_spreads_cases_evenly_oldest_first,
            a_batch_chunk_assesses_each_case_once_across_retries_and_takeovers,
            a_batch_holds_its_cases_without_rewriting_them_until_assessed,
            a_reviewed_batch_is_returned_or_released_once_at_its_version,
            two_approvals_of_one_decision_one_wins,
            decision_numbers_have_no_gaps_when_an_approval_rolls_back,
            a_correction_supersedes_once,
            a_decision_keeps_the_first_of_two_letters_issued_at_once,
            a_round_is_not_confirmed_over_an_award_changed_since_its_preview,
            payees_bank_details_are_kept_sealed_beside_the_award,
            an_award_never_goes_below_zero_outstanding,
            decision_lists_page_by_id_with_their_filters,
            an_import_stores_each_external_id_once,
            an_import_job_keeps_its_rejects_and_counts_under_its_lease,
            notices_are_written_with_their_changes_unless_switched_off,
            a_notice_is_leased_to_one_worker_at_a_time
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

pub async fn staff_of_a_role_are_found_by_name(store: &dyn Store) {
    for (name, roles) in [
        ("Zoryana", &[Role::Assessor][..]),
        ("Andriy", &[Role::Assessor, Role::Commissioner][..]),
        ("Claimant", &[Role::Claimant][..]),
        ("Suspended", &[Role::Assessor][..]),
    ] {
        let a = store
            .create_account(&ctx(), new_account(name, roles))
            .await
            .unwrap();
        if name == "Suspended" {
            store
                .set_account_status(&ctx(), a.id, AccountStatus::Suspended, Some(1))
                .await
                .unwrap();
        }
    }
    let names = |accounts: Vec<Account>| {
        accounts
            .into_iter()
            .map(|a| a.display_name)
            .collect::<Vec<_>>()
    };
    let assessors = store.accounts_with_role(Role::Assessor, 10).await.unwrap();
    assert_eq!(
        names(assessors),
        ["Andriy", "Zoryana"],
        "active ones, by name"
    );
    let first = store.accounts_with_role(Role::Assessor, 1).await.unwrap();
    assert_eq!(names(first), ["Andriy"]);
    assert!(
        store
            .accounts_with_role(Role::Auditor, 10)
            .await
            .unwrap()
            .is_empty()
    );
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

// ---------------------------------------------------------------------------
// The ratification tracker's record.

fn seed() -> ::ratification::Seed {
    ::ratification::parse_signatures(::ratification::CONVENTION_SIGNATURES_CSV).unwrap()
}

fn code(c: &str) -> ::ratification::ParticipantCode {
    ::ratification::ParticipantCode::parse(c).unwrap()
}

fn day(y: i32, m: u8, d: u8) -> time::Date {
    time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap()
}

const RATIFICATION: ::ratification::ActionKind =
    ::ratification::ActionKind::Consent(::ratification::ConsentKind::Ratification);

pub async fn convention_seed_is_idempotent(store: &dyn Store) {
    assert_eq!(
        store.convention_record().await.unwrap(),
        crate::ConventionRecord::default()
    );
    let seed = seed();
    assert_eq!(
        store
            .seed_convention(&AuditContext::system(), &seed)
            .await
            .unwrap(),
        36
    );
    // Several instances start at once: the others find it done.
    let again = futures_join(store, &seed).await;
    assert_eq!(again, (0, 0));
    let record = store.convention_record().await.unwrap();
    assert_eq!(record.participants.len(), 36);
    assert_eq!(record.actions.len(), 36);
    let eu = record
        .participant(&::ratification::ParticipantCode::european_union())
        .unwrap();
    assert_eq!(eu.kind, ::ratification::ParticipantKind::Organisation);
    let gr = record.participant(&code("GR")).unwrap();
    assert!(gr.council_of_europe_member);
    let greek = record
        .actions
        .iter()
        .find(|a| a.item.participant == code("GR"))
        .unwrap();
    assert_eq!(greek.item.date, day(2025, 12, 19));
    assert_eq!(greek.item.kind, ::ratification::ActionKind::Signature);
    assert_eq!(greek.recorded_by, None);
    let log = store
        .audit_entries(
            &AuditFilter {
                action: Some("convention.seeded".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(log.items.len(), 1);
    assert_eq!(log.items[0].actor_role.as_deref(), Some("system"));
}

async fn futures_join(store: &dyn Store, seed: &::ratification::Seed) -> (usize, usize) {
    let ctx = AuditContext::system();
    let (a, b) = tokio_join(
        store.seed_convention(&ctx, seed),
        store.seed_convention(&ctx, seed),
    )
    .await;
    (a.unwrap(), b.unwrap())
}

/// Polls two futures to completion together (no runtime dependency here).
async fn tokio_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none()
            && let std::task::Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let std::task::Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        if ra.is_some() && rb.is_some() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    (ra.unwrap(), rb.unwrap())
}

pub async fn treaty_actions_are_checked_inside_the_transaction(store: &dyn Store) {
    use ::ratification::{ActionError, ConventionEvent, TreatyAction};
    store
        .seed_convention(&AuditContext::system(), &seed())
        .await
        .unwrap();
    let ua = code("UA");
    let ratified = TreatyAction::new(ua, RATIFICATION, day(2026, 2, 1));
    let event = crate::NewConventionEvent {
        event: ConventionEvent::EntryIntoForceDateChanged {
            previous: None,
            current: Some(day(2026, 6, 1)),
        },
        dedupe_key: None,
    };
    let seen = std::sync::Mutex::new(0usize);
    let accept = |record: &crate::ConventionRecord| {
        *seen.lock().unwrap() = record.actions.len();
        Ok(Some(event.clone()))
    };
    let stored = store
        .record_treaty_action(&ctx(), None, ratified.clone(), &accept)
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), 36, "decide saw the record");
    assert_eq!(stored.item, ratified);
    let record = store.convention_record().await.unwrap();
    assert_eq!(record.actions.len(), 37);
    assert_eq!(record.actions.last().unwrap().item, ratified);
    assert_eq!(record.events.len(), 1, "the event came with the action");
    assert_eq!(record.events[0].kind, "entry_into_force_date_changed");
    assert_eq!(record.events[0].event, event.event);

    // A refusal writes nothing, not even an audit entry.
    let refuse = |_: &crate::ConventionRecord| {
        Err(crate::Refused::Rule(ActionError::UnknownParticipant(code(
            "UA",
        ))))
    };
    let second = TreatyAction::new(ua, RATIFICATION, day(2026, 3, 1));
    let refused = store
        .record_treaty_action(&ctx(), None, second, &refuse)
        .await;
    assert!(
        matches!(
            refused,
            Err(crate::Refused::Rule(ActionError::UnknownParticipant(_)))
        ),
        "{refused:?}"
    );
    assert_eq!(store.convention_record().await.unwrap().actions.len(), 37);

    // An entry is corrected once; a second correction of it conflicts in
    // the database even if a check let it through.
    let none = |_: &crate::ConventionRecord| Ok(None);
    let fix = TreatyAction::new(ua, RATIFICATION, day(2026, 2, 2)).superseding(ratified.id);
    store
        .record_treaty_action(&ctx(), None, fix.clone(), &none)
        .await
        .unwrap();
    let fix_again = TreatyAction::new(ua, RATIFICATION, day(2026, 2, 3)).superseding(ratified.id);
    let dup = store
        .record_treaty_action(&ctx(), None, fix_again, &none)
        .await;
    assert!(
        matches!(dup, Err(crate::Refused::Store(StoreError::Conflict(_)))),
        "{dup:?}"
    );
    let record = store.convention_record().await.unwrap();
    let effective = ::ratification::effective_actions(&record.treaty_actions())
        .into_iter()
        .filter(|a| a.participant == ua)
        .map(|a| a.id)
        .collect::<Vec<_>>();
    assert!(effective.contains(&fix.id) && !effective.contains(&ratified.id));

    let log = store
        .audit_entries(
            &AuditFilter {
                action: Some("treaty_action.recorded".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(log.items.len(), 2);
    assert_eq!(log.items[0].target_id, "UA");
    assert_eq!(log.items[0].summary["action"]["kind"], "ratification");
    assert_eq!(
        log.items[0].summary["event"]["event"],
        "entry_into_force_date_changed"
    );
}

pub async fn funding_records_round_trip(store: &dyn Store) {
    use ::ratification::{
        ContributionConfirmation, ContributionId, ExchangeRate, FundingDetermination, Pledge,
        PledgeId,
    };
    use kernel::{Currency, Money};
    store
        .seed_convention(&AuditContext::system(), &seed())
        .await
        .unwrap();
    let amount = |text: &str, currency: Currency| Money::new(text.parse().unwrap(), currency);
    let pledge = Pledge {
        id: PledgeId::new(),
        participant: code("FR"),
        amount: amount("1234567.89", Currency::EUR),
        date: day(2026, 1, 15),
        note: Some("initial pledge".into()),
    };
    store.record_pledge(&ctx(), pledge.clone()).await.unwrap();
    let unknown = Pledge {
        id: PledgeId::new(),
        participant: code("BR"),
        ..pledge.clone()
    };
    assert!(matches!(
        store.record_pledge(&ctx(), unknown).await,
        Err(StoreError::Conflict(_))
    ));
    let contribution = ContributionConfirmation {
        id: ContributionId::new(),
        participant: code("GB"),
        amount: amount("1000000", Currency::from_code("GBP").unwrap()),
        date: day(2026, 2, 1),
        note: None,
    };
    store
        .record_contribution(&ctx(), contribution.clone())
        .await
        .unwrap();
    let rate = ExchangeRate {
        from: Currency::from_code("GBP").unwrap(),
        to: Currency::EUR,
        rate: "1.1725".parse().unwrap(),
        date: day(2026, 1, 30),
        source: "ECB".into(),
    };
    store
        .record_exchange_rate(&ctx(), rate.clone())
        .await
        .unwrap();
    let dup = store.record_exchange_rate(&ctx(), rate.clone()).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let determination = FundingDetermination::new(day(2026, 3, 1), "sufficient");
    let none = |_: &crate::ConventionRecord| Ok(None);
    store
        .record_funding_determination(&ctx(), determination.clone(), &none)
        .await
        .unwrap();

    let record = store.convention_record().await.unwrap();
    assert_eq!(record.pledge_items(), vec![pledge]);
    assert_eq!(
        record.pledges[0].item.amount.amount().to_string(),
        "1234567.89"
    );
    assert_eq!(record.contribution_items(), vec![contribution]);
    assert_eq!(record.rate_items(), vec![rate]);
    assert_eq!(record.rate_items()[0].rate.to_string(), "1.1725");
    assert_eq!(record.determinations(), vec![determination]);
    let actions: Vec<String> = store
        .audit_entries(&AuditFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "convention.seeded",
            "pledge.recorded",
            "contribution.confirmed",
            "exchange_rate.recorded",
            "funding_determination.recorded"
        ]
    );
}

pub async fn convention_events_are_deduplicated(store: &dyn Store) {
    use ::ratification::ConventionEvent;
    let event = crate::NewConventionEvent {
        event: ConventionEvent::EnteredIntoForce {
            on: day(2026, 9, 1),
        },
        dedupe_key: Some("entered_into_force:2026-09-01".into()),
    };
    let first = store
        .append_convention_event(&AuditContext::system(), event.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.kind, "entered_into_force");
    assert!(
        store
            .append_convention_event(&AuditContext::system(), event.clone())
            .await
            .unwrap()
            .is_none()
    );
    let undeduplicated = crate::NewConventionEvent {
        dedupe_key: None,
        ..event
    };
    store
        .append_convention_event(&AuditContext::system(), undeduplicated.clone())
        .await
        .unwrap()
        .unwrap();
    store
        .append_convention_event(&AuditContext::system(), undeduplicated)
        .await
        .unwrap()
        .unwrap();
    let events = store.convention_events().await.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0], first);
}

// ---------------------------------------------------------------------------
// Idempotency keys.

/// `begin_request` with the fingerprint `[fp; 32]`.
async fn begin_idem(
    store: &dyn Store,
    account: AccountId,
    key: &str,
    fp: u8,
    at: time::OffsetDateTime,
    lease_secs: i64,
) -> crate::Begin {
    store
        .begin_request(
            account,
            key,
            &[fp; 32],
            at,
            time::Duration::seconds(lease_secs),
        )
        .await
        .unwrap()
}

fn idempotent_response() -> crate::StoredResponse {
    crate::StoredResponse {
        status: 201,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("etag".into(), "\"v1\"".into()),
        ],
        // Not UTF-8 on purpose: bodies are bytes.
        body: vec![b'{', 0xff, 0x00, b'}'],
    }
}

pub async fn idempotency_keys_decide_each_outcome(store: &dyn Store) {
    use crate::Begin;
    let a = store
        .create_account(&ctx(), new_account("Idem A", &[Role::Admin]))
        .await
        .unwrap();
    let b = store
        .create_account(&ctx(), new_account("Idem B", &[Role::Admin]))
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let (same, other) = (1, 2);
    let begin = |account, fp, at| begin_idem(store, account, "key-1", fp, at, 60);

    assert_eq!(begin(a.id, same, now).await, Begin::Proceed);
    assert_eq!(begin(a.id, same, now).await, Begin::InFlight);
    assert_eq!(begin(a.id, other, now).await, Begin::Mismatch);
    // Keys are per account: the same key of another account is its own.
    assert_eq!(begin(b.id, other, now).await, Begin::Proceed);

    let response = idempotent_response();
    store.complete(a.id, "key-1", &response).await.unwrap();
    let later = now + time::Duration::hours(1);
    assert_eq!(
        begin(a.id, same, later).await,
        Begin::Replay(response.clone())
    );
    assert_eq!(begin(a.id, other, later).await, Begin::Mismatch);
    // Abandoning a completed request changes nothing; completing it again
    // neither.
    store.abandon(a.id, "key-1").await.unwrap();
    let mut changed = response.clone();
    changed.status = 500;
    store.complete(a.id, "key-1", &changed).await.unwrap();
    assert_eq!(begin(a.id, same, later).await, Begin::Replay(response));
    // B's request is still running, unaffected by A's.
    assert_eq!(begin(b.id, other, now).await, Begin::InFlight);

    // A request that failed on the server side is forgotten: retry runs.
    store.abandon(b.id, "key-1").await.unwrap();
    assert_eq!(begin(b.id, same, now).await, Begin::Proceed);

    // None of this is an audited change.
    let log = store
        .audit_entries(&AuditFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(log.items.len(), 2, "only the two account creations");
}

pub async fn idempotency_expired_lease_is_taken_over(store: &dyn Store) {
    use crate::Begin;
    let a = store
        .create_account(&ctx(), new_account("Idem C", &[Role::Admin]))
        .await
        .unwrap();
    let t = time::OffsetDateTime::now_utc();
    let begin = |at| begin_idem(store, a.id, "lease", 3, at, 30);
    let s = time::Duration::seconds;

    assert_eq!(begin(t).await, Begin::Proceed);
    assert_eq!(begin(t + s(29)).await, Begin::InFlight);
    // The first holder died: its lease ran out and the next caller runs.
    assert_eq!(begin(t + s(30)).await, Begin::Proceed);
    // ... with a lease of its own.
    assert_eq!(begin(t + s(31)).await, Begin::InFlight);
    assert_eq!(begin(t + s(59)).await, Begin::InFlight);
    // A different request is refused even when the lease has run out.
    let other = begin_idem(store, a.id, "lease", 4, t + s(120), 30).await;
    assert_eq!(other, Begin::Mismatch);
    assert_eq!(begin(t + s(120)).await, Begin::Proceed);
    store
        .complete(a.id, "lease", &idempotent_response())
        .await
        .unwrap();
    assert_eq!(
        begin(t + s(600)).await,
        Begin::Replay(idempotent_response())
    );
}

/// A change made under a key is recorded on the key in the change's own
/// transaction, so that a retry after a crash between the change's commit
/// and its kept answer learns of the change instead of making it again.
/// Filing and submitting with a [`crate::KeptAnswer`]: the key is recorded
/// with the answer in the change's commit, the record returned is the one
/// stored, and a key recorded before stops the change whole.
pub async fn an_intake_answer_is_kept_in_the_changes_own_commit(store: &dyn Store) {
    use crate::{Begin, KeptAnswer, StoredResponse};
    let a = store
        .create_account(&ctx(), new_account("Kept A", &[Role::Claimant]))
        .await
        .unwrap();
    let t = time::OffsetDateTime::now_utc();
    let render = |record: &crate::claims::ClaimRecord| {
        Ok(StoredResponse {
            status: 201,
            headers: vec![("etag".into(), format!("\"{}\"", record.version))],
            body: format!("{}/{:?}", record.id, record.reference).into_bytes(),
        })
    };
    let kept = |key: &'static str, fp: u8| {
        let fingerprint: &'static [u8; 32] = Box::leak(Box::new([fp; 32]));
        KeptAnswer {
            account: a.id,
            key,
            fingerprint,
            now: t,
            render: &render,
        }
    };
    let under = |key: &str| AuditContext {
        actor: Some(a.id),
        idempotency_key: Some(key.into()),
        ..ctx()
    };
    let draft = || crate::claims::DraftContent {
        content: serde_json::json!({"narrative": "Будинок зруйновано", "amount": "1000.50"}),
        columns: crate::claims::ClaimColumns {
            category: Some("A3.1".into()),
            region: Some("UA-32".into()),
            totals: serde_json::json!([{"currency": "UAH", "amount": "1000.50"}]),
            ..crate::claims::ClaimColumns::default()
        },
        ..empty_draft()
    };

    // Filed: what is returned is what is stored, and the key replays it.
    let filed = store
        .create_claim(&under("file-1"), a.id, draft(), Some(&kept("file-1", 1)))
        .await
        .unwrap();
    assert_eq!(store.claim(filed.id).await.unwrap(), filed);
    let Begin::Replay(first) = begin_idem(store, a.id, "file-1", 1, t, 30).await else {
        panic!("the filing's key should replay its answer");
    };
    assert_eq!(first, render(&filed).unwrap());
    // The same key again changes nothing.
    let again = store
        .create_claim(&under("file-1"), a.id, draft(), Some(&kept("file-1", 1)))
        .await;
    assert!(matches!(again, Err(StoreError::KeyTaken)), "{again:?}");
    let mine = crate::claims::ClaimFilter::default();
    let filed_by_a = store
        .claims(
            crate::claims::Visibility::FiledBy(a.id),
            &mine,
            PageRequest {
                limit: 100,
                after: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(filed_by_a.items.len(), 1);

    // Submitted: the same, with the reference in the kept answer.
    let submitted = store
        .submit_claim(
            &under("submit-1"),
            &filed,
            no_duplicates(filed.id),
            Some(&kept("submit-1", 2)),
        )
        .await
        .unwrap();
    assert_eq!(store.claim(filed.id).await.unwrap(), submitted);
    assert!(submitted.reference.is_some());
    let Begin::Replay(answer) = begin_idem(store, a.id, "submit-1", 2, t, 30).await else {
        panic!("the submission's key should replay its answer");
    };
    assert_eq!(answer, render(&submitted).unwrap());
    // Submitting the stale draft again: nothing changes, and with a key the
    // key decides; without, it is a conflict.
    let stale = store
        .submit_claim(
            &under("submit-2"),
            &filed,
            no_duplicates(filed.id),
            Some(&kept("submit-2", 3)),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::KeyTaken)), "{stale:?}");
    let stale = store
        .submit_claim(&ctx(), &filed, no_duplicates(filed.id), None)
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");

    // A key recorded before stops a submission whole: the draft stays as it
    // was, with no audit entry of a submission.
    let other = store
        .create_claim(&under("file-2"), a.id, draft(), Some(&kept("file-2", 4)))
        .await
        .unwrap();
    let reused = store
        .submit_claim(
            &under("submit-1"),
            &other,
            no_duplicates(other.id),
            Some(&kept("submit-1", 5)),
        )
        .await;
    assert!(matches!(reused, Err(StoreError::KeyTaken)), "{reused:?}");
    assert_eq!(store.claim(other.id).await.unwrap(), other);
    let trail = store
        .audit_entries(
            &AuditFilter {
                target_type: Some("claim".into()),
                target_id: Some(other.id.to_string()),
                ..AuditFilter::default()
            },
            PageRequest {
                limit: 100,
                after: None,
            },
        )
        .await
        .unwrap();
    let actions: Vec<_> = trail.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["claim.created"]);
}

pub async fn idempotency_keys_know_a_committed_change(store: &dyn Store) {
    use crate::Begin;
    let a = store
        .create_account(&ctx(), new_account("Idem E", &[Role::Admin]))
        .await
        .unwrap();
    let b = store
        .create_account(&ctx(), new_account("Idem F", &[Role::Admin]))
        .await
        .unwrap();
    let t = time::OffsetDateTime::now_utc();
    let s = time::Duration::seconds;
    let under = |account: AccountId, key: &str| AuditContext {
        actor: Some(account),
        idempotency_key: Some(key.into()),
        ..ctx()
    };
    assert_eq!(
        begin_idem(store, a.id, "crash", 5, t, 30).await,
        Begin::Proceed
    );
    // Another account's change under a key of the same text is not A's.
    let unrelated = store
        .create_account(
            &under(b.id, "crash"),
            new_account("By B", &[Role::Registrar]),
        )
        .await
        .unwrap();
    // A's request makes its change and dies before keeping its answer.
    let made = store
        .create_account(
            &under(a.id, "crash"),
            new_account("By A", &[Role::Registrar]),
        )
        .await
        .unwrap();
    assert_ne!(unrelated.id, made.id);
    let committed = Begin::Committed {
        target_type: "account".into(),
        target_id: made.id.to_string(),
    };
    assert_eq!(
        begin_idem(store, a.id, "crash", 5, t + s(29), 30).await,
        Begin::InFlight
    );
    assert_eq!(
        begin_idem(store, a.id, "crash", 5, t + s(30), 30).await,
        committed
    );
    // The taker-over holds the lease now.
    assert_eq!(
        begin_idem(store, a.id, "crash", 5, t + s(31), 30).await,
        Begin::InFlight
    );
    // A different request under the key is still refused.
    assert_eq!(
        begin_idem(store, a.id, "crash", 6, t + s(90), 30).await,
        Begin::Mismatch
    );
    store
        .complete(a.id, "crash", &idempotent_response())
        .await
        .unwrap();
    assert_eq!(
        begin_idem(store, a.id, "crash", 5, t + s(90), 30).await,
        Begin::Replay(idempotent_response())
    );

    // A request abandoned after its change (the client went away) keeps its
    // key, with the lease ended, so that the retry hears of the change at once.
    assert_eq!(
        begin_idem(store, a.id, "gone", 7, t, 600).await,
        Begin::Proceed
    );
    let made = store
        .create_account(
            &under(a.id, "gone"),
            new_account("By A 2", &[Role::Registrar]),
        )
        .await
        .unwrap();
    store.abandon(a.id, "gone").await.unwrap();
    assert_eq!(
        begin_idem(store, a.id, "gone", 7, t + s(1), 600).await,
        Begin::Committed {
            target_type: "account".into(),
            target_id: made.id.to_string(),
        }
    );
    // One without a change is forgotten as before.
    assert_eq!(
        begin_idem(store, a.id, "none", 8, t, 600).await,
        Begin::Proceed
    );
    store.abandon(a.id, "none").await.unwrap();
    assert_eq!(
        begin_idem(store, a.id, "none", 8, t + s(1), 600).await,
        Begin::Proceed
    );
}

pub async fn idempotency_keys_expire_after_retention(store: &dyn Store) {
    use crate::{Begin, KEY_RETENTION};
    let a = store
        .create_account(&ctx(), new_account("Idem D", &[Role::Admin]))
        .await
        .unwrap();
    let t = time::OffsetDateTime::now_utc();
    let lease = time::Duration::seconds(60);
    let h = time::Duration::hours;
    let (one, two) = ([5u8; 32], [6u8; 32]);
    assert_eq!(KEY_RETENTION, h(24));

    // Key "old" at t, completed; key "young" at t + 1 h, still in flight.
    assert_eq!(
        store
            .begin_request(a.id, "old", &one, t, lease)
            .await
            .unwrap(),
        Begin::Proceed
    );
    store
        .complete(a.id, "old", &idempotent_response())
        .await
        .unwrap();
    assert_eq!(
        store
            .begin_request(a.id, "young", &one, t + h(1), lease)
            .await
            .unwrap(),
        Begin::Proceed
    );
    // Kept for the whole retention period.
    assert_eq!(store.purge_expired(t + h(23)).await.unwrap(), 0);
    assert_eq!(
        store
            .begin_request(
                a.id,
                "old",
                &one,
                t + h(24) - time::Duration::seconds(1),
                lease
            )
            .await
            .unwrap(),
        Begin::Replay(idempotent_response())
    );
    // Past it, a key counts as unused even before the purge removes it.
    assert_eq!(
        store
            .begin_request(a.id, "old", &two, t + h(24), lease)
            .await
            .unwrap(),
        Begin::Proceed
    );
    assert_eq!(
        store
            .begin_request(a.id, "old", &two, t + h(24), lease)
            .await
            .unwrap(),
        Begin::InFlight,
        "the fresh record holds a lease of its own"
    );
    // The purge removes what expired, and only that.
    assert_eq!(store.purge_expired(t + h(25)).await.unwrap(), 1, "young");
    assert_eq!(store.purge_expired(t + h(25)).await.unwrap(), 0);
    assert_eq!(
        store
            .begin_request(a.id, "young", &two, t + h(25), lease)
            .await
            .unwrap(),
        Begin::Proceed
    );
    assert_eq!(store.purge_expired(t + h(50)).await.unwrap(), 2);
}

fn new_evidence(
    claim: register::ClaimId,
    by: AccountId,
    sha: char,
    sealed: Option<&str>,
) -> crate::NewEvidence {
    let id = crate::EvidenceId::new();
    crate::NewEvidence {
        id,
        claim,
        file_name: "deed.pdf".into(),
        content_type: "application/pdf".into(),
        size: 1234,
        sha256: sha.to_string().repeat(64),
        storage_key: format!("claims/{claim}/{id}"),
        sealed_key_id: sealed.map(str::to_owned),
        uploaded_by: by,
    }
}

async fn evidence_draft(store: &dyn Store) -> (AccountId, register::ClaimId) {
    use crate::claims::{ClaimColumns, DraftContent};
    let a = store
        .create_account(&ctx(), new_account("Claimant", &[Role::Claimant]))
        .await
        .unwrap();
    let draft = DraftContent {
        content: serde_json::json!({}),
        sealed: None,
        columns: ClaimColumns {
            totals: serde_json::json!([]),
            ..ClaimColumns::default()
        },
    };
    let claim = store.create_claim(&ctx(), a.id, draft, None).await.unwrap();
    (a.id, claim.id)
}

pub async fn evidence_round_trip(store: &dyn Store) {
    let (by, claim) = evidence_draft(store).await;
    let (_, other) = evidence_draft(store).await;
    let first = store
        .record_evidence(&ctx(), new_evidence(claim, by, 'b', None))
        .await
        .unwrap();
    assert_eq!(first.claim, claim);
    assert_eq!(first.size, 1234);
    assert_eq!(first.sha256, "b".repeat(64));
    assert_eq!(first.uploaded_by, by);
    let second = store
        .record_evidence(&ctx(), new_evidence(claim, by, 'a', Some("k1")))
        .await
        .unwrap();
    assert_eq!(second.sealed_key_id.as_deref(), Some("k1"));
    store
        .record_evidence(&ctx(), new_evidence(claim, by, 'a', None))
        .await
        .unwrap();
    store
        .record_evidence(&ctx(), new_evidence(other, by, 'c', None))
        .await
        .unwrap();

    let listed = store.claim_evidence(claim).await.unwrap();
    assert_eq!(listed.len(), 3, "only this claim's files");
    assert_eq!(listed[0], first, "oldest first");
    assert_eq!(listed[1], second);
    assert_eq!(store.evidence(second.id).await.unwrap(), second);
    assert!(matches!(
        store.evidence(crate::EvidenceId::new()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.evidence_hashes(claim).await.unwrap(),
        ["a".repeat(64), "b".repeat(64)],
        "distinct and sorted"
    );
    assert!(
        store
            .evidence_hashes(register::ClaimId::new())
            .await
            .unwrap()
            .is_empty()
    );

    let filter = AuditFilter {
        action: Some("evidence.received".into()),
        target_id: Some(claim.to_string()),
        ..AuditFilter::default()
    };
    let log = store
        .audit_entries(&filter, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(log.items.len(), 3, "every file is on record");
    assert_eq!(log.items[0].summary["sha256"], "b".repeat(64));
}

pub async fn evidence_only_while_the_claim_accepts_it(store: &dyn Store) {
    use crate::claims::ClaimChange;
    use register::ClaimStatus;
    let (by, claim) = evidence_draft(store).await;
    assert!(matches!(
        store
            .record_evidence(
                &ctx(),
                new_evidence(register::ClaimId::new(), by, 'a', None)
            )
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .change_claim(
            &ctx(),
            claim,
            None,
            ClaimChange {
                from: ClaimStatus::Draft,
                to: ClaimStatus::Withdrawn,
                action: "claim.withdrawn",
                recommendation: None,
                decision: None,
                message: None,
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_evidence(&ctx(), new_evidence(claim, by, 'a', None))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.claim_evidence(claim).await.unwrap().is_empty());
    assert!(store.evidence_hashes(claim).await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// The audit chain.

fn event(i: usize) -> crate::Change {
    crate::Change {
        action: "claim.read",
        target_type: "claim",
        target_id: format!("c-{i}"),
        summary: serde_json::json!({"fields": ["name", "address"], "n": i, "b": {"z": 1, "a": 2.5}}),
    }
}

async fn intact(store: &dyn Store) -> (u64, crate::audit::ChainHead) {
    match store.verify_chain().await.unwrap() {
        crate::audit::ChainReport::Intact { entries, head } => (entries, head),
        crate::audit::ChainReport::Broken { broken } => panic!("chain broken: {broken}"),
    }
}

async fn broken(store: &dyn Store) -> crate::audit::BrokenLink {
    match store.verify_chain().await.unwrap() {
        crate::audit::ChainReport::Intact { entries, .. } => {
            panic!("tampering not detected ({entries} entries intact)")
        }
        crate::audit::ChainReport::Broken { broken } => broken,
    }
}

/// Writes `n` audited changes through several store methods; returns the
/// entries in chain order.
async fn write_some(store: &dyn Store, n: usize) -> Vec<crate::AuditEntry> {
    for i in 0..n {
        if i % 2 == 0 {
            store
                .create_account(&ctx(), new_account(&format!("W{i}"), &[Role::Claimant]))
                .await
                .unwrap();
        } else {
            store.record_event(&ctx(), event(i)).await.unwrap();
        }
    }
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .audit_entries(&AuditFilter::default(), PageRequest::new(Some(500), after))
            .await
            .unwrap();
        all.extend(page.items);
        match page.next_cursor {
            Some(c) => after = kernel::Cursor::decode(&c),
            None => break,
        }
    }
    all.sort_by_key(|e| e.seq);
    all
}

pub async fn audit_chain_links_every_entry(store: &dyn Store) {
    let (entries, head) = intact(store).await;
    assert_eq!(store.chain_head().await.unwrap(), head);
    let log = write_some(store, 6).await;
    assert_eq!(log.len(), usize::try_from(entries).unwrap() + 6);
    let mut prev = crate::audit::GENESIS;
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.seq, i64::try_from(i).unwrap() + 1);
        assert_eq!(e.prev_hash, prev);
        assert_eq!(
            e.hash,
            e.chain_hash(&prev),
            "a re-read entry hashes the same"
        );
        prev = e.hash;
    }
    let (entries, head) = intact(store).await;
    assert_eq!(entries, log.len() as u64);
    let last = log.last().unwrap();
    assert_eq!(
        (head.seq, head.hash, head.at),
        (last.seq, last.hash, Some(last.at))
    );
    assert_eq!(store.chain_head().await.unwrap(), head);

    // Time filters.
    let all = AuditFilter::default();
    let count = |filter: AuditFilter| async move {
        store
            .audit_entries(&filter, PageRequest::new(Some(500), None))
            .await
            .unwrap()
            .items
            .len()
    };
    assert_eq!(count(all.clone()).await, log.len());
    let at = log[2].at;
    assert_eq!(
        count(AuditFilter {
            from: Some(at),
            ..all.clone()
        })
        .await,
        log.iter().filter(|e| e.at >= at).count()
    );
    assert_eq!(
        count(AuditFilter {
            to: Some(at),
            ..all.clone()
        })
        .await,
        log.iter().filter(|e| e.at < at).count()
    );
}

pub async fn audit_chain_holds_under_concurrent_writes(store: &dyn Store) {
    let writers = (0..32).map(|i| async move {
        store
            .create_account(&ctx(), new_account(&format!("P{i}"), &[Role::Claimant]))
            .await
            .unwrap();
        store.record_event(&ctx(), event(i)).await.unwrap();
    });
    futures_util::future::join_all(writers).await;
    let (entries, head) = intact(store).await;
    assert!(entries >= 64, "{entries}");
    assert_eq!(head.seq, i64::try_from(entries).unwrap());
    // Enough entries to need several pages when verifying.
    // (Eight at a time: the pool's acquire timeout is short.)
    let more: Vec<usize> = (0..usize::try_from(crate::audit::VERIFY_PAGE).unwrap() + 50).collect();
    for chunk in more.chunks(8) {
        let writes = chunk
            .iter()
            .map(|&i| async move { store.record_event(&ctx(), event(i)).await });
        for done in futures_util::future::join_all(writes).await {
            done.unwrap();
        }
    }
    let (after, head) = intact(store).await;
    assert_eq!(
        after,
        entries + u64::try_from(crate::audit::VERIFY_PAGE).unwrap() + 50
    );
    assert_eq!(head, store.chain_head().await.unwrap());
}

fn insert_copy_sql(store: &dyn Store, of_seq: i64, at_seq: i64, id: uuid::Uuid) -> String {
    let id = match store.backend() {
        crate::Backend::Sqlite => format!("X'{}'", id.simple()),
        crate::Backend::Postgres => format!("'{id}'::uuid"),
    };
    format!(
        "INSERT INTO audit_log (id, seq, at, actor, actor_role, on_behalf_of, action, \
         target_type, target_id, summary, reason, request_id, idempotency_key, prev_hash, hash) \
         SELECT {id}, {at_seq}, at, actor, actor_role, on_behalf_of, action, target_type, \
         target_id, summary, reason, request_id, idempotency_key, prev_hash, hash \
         FROM audit_log WHERE seq = {of_seq}"
    )
}

pub async fn audit_chain_detects_a_changed_row<S: Store + crate::audit::TamperForTests>(store: &S) {
    let log = write_some(store, 8).await;
    let b = rewrite_and_verify(
        store,
        &log[4],
        "summary = '{\"display_name\":\"Someone else\"}'",
    )
    .await;
    assert!(b.to_string().contains(&log[4].id.to_string()));
}

/// Rewrites one column of `victim` behind the store's back; verification
/// must name that entry as the first whose hash does not match.
async fn rewrite_and_verify<S: Store + crate::audit::TamperForTests>(
    store: &S,
    victim: &crate::AuditEntry,
    set: &str,
) -> crate::audit::BrokenLink {
    store
        .tamper_for_tests(&format!(
            "UPDATE audit_log SET {set} WHERE seq = {}",
            victim.seq
        ))
        .await;
    let b = broken(store).await;
    assert_eq!((b.seq, b.entry), (victim.seq, Some(victim.id)), "{b}");
    assert!(
        matches!(b.problem, crate::audit::ChainProblem::HashMismatch { .. }),
        "{b}"
    );
    b
}

/// Verification reads the log a page at a time, the next page while this
/// one is checked: a break is found on a later page, and on the first page
/// while the second is being read.
pub async fn audit_chain_detects_a_change_on_any_page<S: Store + crate::audit::TamperForTests>(
    store: &S,
) {
    let page = usize::try_from(crate::audit::VERIFY_PAGE).unwrap();
    let log = write_some(store, page + 20).await;
    assert!(log.len() > page + 10);
    for victim in [&log[page + 10], &log[5]] {
        rewrite_and_verify(store, victim, "reason = 'rewritten'").await;
    }
}

pub async fn audit_chain_detects_a_deleted_row<S: Store + crate::audit::TamperForTests>(store: &S) {
    let log = write_some(store, 8).await;
    let victim = &log[3];
    store
        .tamper_for_tests(&format!("DELETE FROM audit_log WHERE seq = {}", victim.seq))
        .await;
    let b = broken(store).await;
    assert_eq!((b.seq, b.entry), (victim.seq, Some(log[4].id)), "{b}");
    assert_eq!(
        b.problem,
        crate::audit::ChainProblem::SeqGap {
            expected: victim.seq,
            found: victim.seq + 1
        }
    );
}

pub async fn audit_chain_detects_an_inserted_row<S: Store + crate::audit::TamperForTests>(
    store: &S,
) {
    let log = write_some(store, 8).await;
    let last = log.last().unwrap().seq;
    let forged = uuid::Uuid::now_v7();
    store
        .tamper_for_tests(&insert_copy_sql(store, 2, last + 1, forged))
        .await;
    let b = broken(store).await;
    assert_eq!((b.seq, b.entry), (last + 1, Some(forged.into())), "{b}");
    assert!(
        matches!(
            b.problem,
            crate::audit::ChainProblem::PrevHashMismatch { .. }
        ),
        "{b}"
    );
}

pub async fn audit_chain_detects_a_removed_tail<S: Store + crate::audit::TamperForTests>(
    store: &S,
) {
    let log = write_some(store, 5).await;
    let last = log.last().unwrap();
    store
        .tamper_for_tests(&format!("DELETE FROM audit_log WHERE seq = {}", last.seq))
        .await;
    let b = broken(store).await;
    assert_eq!(b.seq, last.seq, "{b}");
    assert!(
        matches!(
            b.problem,
            crate::audit::ChainProblem::HeadMismatch { head_seq, last_seq, .. }
                if head_seq == last.seq && last_seq == last.seq - 1
        ),
        "{b}"
    );
}

fn new_session(
    account: AccountId,
    token: Option<kernel::id::TokenId>,
    fill: u8,
) -> crate::NewWebSession {
    crate::NewWebSession {
        secret_hash: [fill; 32],
        account,
        token,
        csrf_token: "c".repeat(43),
        expires_at: time::OffsetDateTime::now_utc() + time::Duration::hours(8),
    }
}

pub async fn web_sessions_round_trip(store: &dyn Store) {
    let account = store
        .create_account(&ctx(), new_account("Olena", &[Role::Registrar]))
        .await
        .unwrap();
    let token = store
        .issue_token(
            &ctx(),
            NewToken {
                account: account.id,
                label: "desk".into(),
                secret_hash: [9; 32],
                expires_at: None,
            },
        )
        .await
        .unwrap();
    let started = store
        .create_web_session(&ctx(), new_session(account.id, Some(token.id), 1))
        .await
        .unwrap();
    let found = store.web_session(&[1; 32]).await.unwrap();
    assert_eq!(found.session, started);
    assert_eq!(found.account, account);
    assert_eq!(found.token.as_ref().map(|t| t.id), Some(token.id));
    assert!(found.token.unwrap().revoked_at.is_none());
    assert!(matches!(
        store.web_session(&[2; 32]).await,
        Err(StoreError::NotFound)
    ));
    // Activity is noted at most once a minute.
    let later = started.last_seen_at + time::Duration::seconds(30);
    store.touch_web_session(started.id, later).await.unwrap();
    let seen = store
        .web_session(&[1; 32])
        .await
        .unwrap()
        .session
        .last_seen_at;
    assert_eq!(seen, started.last_seen_at);
    let later = started.last_seen_at + time::Duration::minutes(5);
    store.touch_web_session(started.id, later).await.unwrap();
    let seen = store
        .web_session(&[1; 32])
        .await
        .unwrap()
        .session
        .last_seen_at;
    assert_eq!(seen.unix_timestamp(), later.unix_timestamp());
    // A session without a token (signed in with a JWT).
    store
        .create_web_session(&ctx(), new_session(account.id, None, 3))
        .await
        .unwrap();
    assert!(store.web_session(&[3; 32]).await.unwrap().token.is_none());
}

/// Suspending the account, revoking the token a session was opened with, or
/// signing in again ends sessions for good: undoing the suspension brings
/// none back.
pub async fn web_sessions_end_with_their_credentials(store: &dyn Store) {
    let account = store
        .create_account(&ctx(), new_account("Olena", &[Role::Registrar]))
        .await
        .unwrap();
    let other = store
        .create_account(&ctx(), new_account("Taras", &[Role::Registrar]))
        .await
        .unwrap();
    let token = store
        .issue_token(
            &ctx(),
            NewToken {
                account: account.id,
                label: "desk".into(),
                secret_hash: [9; 32],
                expires_at: None,
            },
        )
        .await
        .unwrap();
    let gone = |r: Result<crate::SessionLookup, StoreError>| matches!(r, Err(StoreError::NotFound));
    store
        .create_web_session(&ctx(), new_session(account.id, Some(token.id), 1))
        .await
        .unwrap();
    store
        .create_web_session(&ctx(), new_session(other.id, None, 7))
        .await
        .unwrap();
    // Signing in again ends the earlier session of the same account only.
    store
        .create_web_session(&ctx(), new_session(account.id, Some(token.id), 2))
        .await
        .unwrap();
    assert!(
        gone(store.web_session(&[1; 32]).await),
        "replaced by the new sign-in"
    );
    assert!(store.web_session(&[2; 32]).await.is_ok());
    assert!(
        store.web_session(&[7; 32]).await.is_ok(),
        "another account's session stays"
    );
    // Revoking the token ends the sessions opened with it.
    store
        .revoke_token(&ctx(), account.id, token.id)
        .await
        .unwrap();
    assert!(
        gone(store.web_session(&[2; 32]).await),
        "ended with its token"
    );
    // Suspension ends every session of the account, and reactivation
    // brings none back.
    store
        .create_web_session(&ctx(), new_session(account.id, None, 3))
        .await
        .unwrap();
    store
        .set_account_status(&ctx(), account.id, AccountStatus::Suspended, None)
        .await
        .unwrap();
    assert!(
        gone(store.web_session(&[3; 32]).await),
        "ended by the suspension"
    );
    store
        .set_account_status(&ctx(), account.id, AccountStatus::Active, None)
        .await
        .unwrap();
    assert!(
        gone(store.web_session(&[3; 32]).await),
        "still ended after reactivation"
    );
    assert!(store.web_session(&[7; 32]).await.is_ok());
}

pub async fn web_sessions_end_once_and_expired_ones_are_forgotten(store: &dyn Store) {
    let account = store
        .create_account(&ctx(), new_account("Olena", &[Role::Claimant]))
        .await
        .unwrap();
    let session = store
        .create_web_session(&ctx(), new_session(account.id, None, 1))
        .await
        .unwrap();
    store.end_web_session(&ctx(), session.id).await.unwrap();
    store.end_web_session(&ctx(), session.id).await.unwrap();
    assert!(matches!(
        store.web_session(&[1; 32]).await,
        Err(StoreError::NotFound)
    ));
    let filter = AuditFilter {
        target_type: Some("account".into()),
        target_id: Some(account.id.to_string()),
        ..AuditFilter::default()
    };
    let actions: Vec<String> = store
        .audit_entries(&filter, PageRequest::new(Some(100), None))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["account.created", "session.started", "session.ended"],
        "started and ended once each, never the secret"
    );
    // A session past its expiry is forgotten when the next one starts.
    let mut old = new_session(account.id, None, 4);
    old.expires_at = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    store.create_web_session(&ctx(), old).await.unwrap();
    assert!(store.web_session(&[4; 32]).await.is_ok());
    // Another account's sign-in, so that only the expiry can end it.
    let someone = store
        .create_account(&ctx(), new_account("Taras", &[Role::Claimant]))
        .await
        .unwrap();
    store
        .create_web_session(&ctx(), new_session(someone.id, None, 5))
        .await
        .unwrap();
    assert!(matches!(
        store.web_session(&[4; 32]).await,
        Err(StoreError::NotFound)
    ));
}

// ---------------------------------------------------------------------------
// The claims list.

fn no_duplicates(claim: register::ClaimId) -> crate::claims::Submission {
    crate::claims::Submission {
        keys: register::DuplicateKeys {
            claim,
            claimant: None,
            category: None,
            incident: None,
            cadastral_number: None,
            external_references: vec![],
            evidence_hashes: vec![],
        },
        flags: vec![],
    }
}

fn empty_draft() -> crate::claims::DraftContent {
    crate::claims::DraftContent {
        content: serde_json::json!({}),
        sealed: None,
        columns: crate::claims::ClaimColumns {
            totals: serde_json::json!([]),
            ..crate::claims::ClaimColumns::default()
        },
    }
}

/// Every page of a list, `limit` claims a page, as ids. Checks that the
/// full records and the summaries page alike.
async fn walk_claims(
    store: &dyn Store,
    visibility: crate::claims::Visibility,
    filter: &crate::claims::ClaimFilter,
    limit: u32,
) -> Vec<register::ClaimId> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = PageRequest::new(Some(limit), after);
        let summaries = store
            .claim_summaries(visibility, filter, page)
            .await
            .unwrap();
        let full = store.claims(visibility, filter, page).await.unwrap();
        let full_ids: Vec<_> = full.items.iter().map(|c| c.id).collect();
        let summary_ids: Vec<_> = summaries.items.iter().map(|c| c.id).collect();
        assert_eq!(full_ids, summary_ids, "same rows, same order");
        assert_eq!(full.next_cursor, summaries.next_cursor);
        assert!(summaries.items.len() <= limit as usize);
        ids.extend(summary_ids);
        match summaries.next_cursor {
            Some(c) => after = Some(kernel::Cursor::decode(&c).expect("a cursor")),
            None => return ids,
        }
    }
}

pub async fn date_filtered_claims_page_in_submission_order(store: &dyn Store) {
    use crate::claims::{ClaimFilter, Visibility};
    use crate::imports::ImportRow;
    let start = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let a = store
        .create_account(&ctx(), new_account("Claimant", &[Role::Claimant]))
        .await
        .unwrap();
    let mut drafts = Vec::new();
    for _ in 0..6 {
        drafts.push(
            store
                .create_claim(&ctx(), a.id, empty_draft(), None)
                .await
                .unwrap(),
        );
    }
    // Submitted newest first, so submission order is the reverse of id
    // order; the last one stays a draft, with no submission time.
    for d in drafts[..5].iter().rev() {
        store
            .submit_claim(&ctx(), d, no_duplicates(d.id), None)
            .await
            .unwrap();
    }
    // One import chunk submits its claims in the same instant: id order
    // breaks the tie, whatever order the rows came in.
    let mut imported: Vec<register::ClaimId> = (0..3).map(|_| register::ClaimId::new()).collect();
    let rows = imported
        .iter()
        .rev()
        .enumerate()
        .map(|(i, id)| ImportRow {
            external_id: format!("ext-{i}"),
            id: *id,
            filed_by: a.id,
            draft: empty_draft(),
            submission: Some(no_duplicates(*id)),
        })
        .collect();
    store
        .import_claims(&ctx(), None, rows, vec![], 0)
        .await
        .unwrap();
    imported.sort_by_key(|id| id.0);
    let last = store
        .create_claim(&ctx(), a.id, empty_draft(), None)
        .await
        .unwrap();
    store
        .submit_claim(&ctx(), &last, no_duplicates(last.id), None)
        .await
        .unwrap();

    let mut in_submission_order: Vec<_> = drafts[..5].iter().rev().map(|d| d.id).collect();
    in_submission_order.extend(&imported);
    in_submission_order.push(last.id);
    let mut times = Vec::new();
    for id in &in_submission_order {
        times.push(store.claim(*id).await.unwrap().submitted_at.unwrap());
    }
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(times[5], times[7], "imported in one instant");

    let from = ClaimFilter {
        submitted_from: Some(start),
        ..ClaimFilter::default()
    };
    for limit in [1, 2, 3, 4, 50] {
        assert_eq!(
            walk_claims(store, Visibility::All, &from, limit).await,
            in_submission_order,
            "limit {limit}"
        );
    }
    assert_eq!(
        walk_claims(store, Visibility::FiledBy(a.id), &from, 2).await,
        in_submission_order
    );
    let to = ClaimFilter {
        submitted_to: Some(times[8]),
        ..ClaimFilter::default()
    };
    assert_eq!(
        walk_claims(store, Visibility::NonSensitive, &to, 3).await,
        in_submission_order[..8],
        "before the last submission"
    );
    let window = ClaimFilter {
        submitted_from: Some(times[1]),
        submitted_to: Some(times[7]),
        ..ClaimFilter::default()
    };
    assert_eq!(
        walk_claims(store, Visibility::All, &window, 2).await,
        in_submission_order[1..5],
        "the tied claims lie past the end together"
    );
    let window = ClaimFilter {
        submitted_from: Some(times[6]),
        ..window
    };
    assert!(
        walk_claims(store, Visibility::All, &window, 2)
            .await
            .is_empty()
    );

    // Without a date, id order, drafts included.
    let mut by_id = in_submission_order.clone();
    by_id.sort_by_key(|id| id.0);
    assert_ne!(by_id, in_submission_order, "the orders differ");
    by_id.push(drafts[5].id);
    by_id.sort_by_key(|id| id.0);
    assert_eq!(
        walk_claims(store, Visibility::All, &ClaimFilter::default(), 4).await,
        by_id
    );

    // A cursor naming a claim the caller may not see leads nowhere.
    let b = store
        .create_account(&ctx(), new_account("Other", &[Role::Claimant]))
        .await
        .unwrap();
    let other = store
        .create_claim(&ctx(), b.id, empty_draft(), None)
        .await
        .unwrap();
    store
        .submit_claim(&ctx(), &other, no_duplicates(other.id), None)
        .await
        .unwrap();
    let theirs = Visibility::FiledBy(b.id);
    assert_eq!(walk_claims(store, theirs, &from, 2).await, [other.id]);
    let probe = PageRequest::new(Some(2), Some(kernel::Cursor(in_submission_order[0].0)));
    let page = store.claim_summaries(theirs, &from, probe).await.unwrap();
    assert!(page.items.is_empty());
}

// ---------------------------------------------------------------------------
// Casework: cases, distribution, batches and their jobs.

/// An audit context acting as `account`, as a request of staff would.
fn ctx_as(account: AccountId) -> AuditContext {
    AuditContext {
        actor: Some(account),
        ..ctx()
    }
}

/// `n` recorded claims of `category` with their cases, filed by a new
/// claimant; their case ids in creation (and so id) order.
async fn cases_of(store: &dyn Store, category: &str, n: usize) -> Vec<commission::CaseId> {
    let filer = store
        .create_account(&ctx(), new_account("Filer", &[Role::Claimant]))
        .await
        .unwrap();
    let cases: Vec<crate::cases::SyntheticCase> = (0..n)
        .map(|i| crate::cases::SyntheticCase {
            category: category.into(),
            region: Some("UA-32".into()),
            claimant_key: Some(format!("{category}-{i}")),
            facts: crate::cases::CaseFacts {
                region: Some("UA-32".into()),
                incident_date: Some(day(2022, 3, 14)),
                submission_date: Some(day(2025, 6, 2)),
                ..crate::cases::CaseFacts::default()
            },
        })
        .collect();
    store
        .insert_synthetic_cases(filer.id, &cases)
        .await
        .unwrap()
}

/// A fixed award of 2,500 EUR per claimant: a rule every case meets.
fn fixed_rule(category: &str) -> commission::ValuationRule {
    serde_json::from_value(serde_json::json!({
        "category": category, "version": 1, "kind": "fixed", "currency": "EUR",
        "per_claimant": {"amount": "2500", "currency": "EUR"},
    }))
    .unwrap()
}

fn fixed_assessment(category: &str, case: &crate::cases::CaseRecord) -> commission::Assessment {
    let submitted = case.facts.submission_date.unwrap_or(day(2025, 6, 2));
    let inputs = commission::AssessmentInputs {
        claimed: case.facts.claimed.clone(),
        quantities: case.facts.quantities.clone(),
        region: None,
        incident_date: case.facts.incident_date.unwrap_or(submitted),
        submission_date: submitted,
        manual: None,
    };
    commission::assess(
        &fixed_rule(category),
        &inputs,
        &commission::RecordedRates::new(),
    )
    .unwrap()
}

async fn assessor(store: &dyn Store, name: &str) -> AccountId {
    store
        .create_account(&ctx(), new_account(name, &[Role::Assessor]))
        .await
        .unwrap()
        .id
}

/// A batch of every case of `category` awaiting assessment, by the
/// category's published rule, started: its job queued.
async fn started_batch(
    store: &dyn Store,
    staff: AccountId,
    category: &str,
) -> (crate::cases::BatchRecord, crate::cases::JobRecord) {
    let batch = store
        .create_batch(
            &ctx_as(staff),
            &crate::cases::NewBatch {
                category: category.into(),
                rule_version: 1,
                filter: crate::cases::CaseFilter::default(),
                max_cases: 1000,
                plan: crate::cases::BatchPlan {
                    sample_share: rust_decimal::Decimal::new(5, 1),
                    sample_minimum: 1,
                    error_threshold: rust_decimal::Decimal::new(5, 2),
                    seed: 7,
                },
            },
        )
        .await
        .unwrap();
    store
        .start_batch_assessment(&ctx_as(staff), batch.id)
        .await
        .unwrap()
}

/// Runs a batch job to its end as `worker`.
async fn run_job(store: &dyn Store, job: crate::cases::JobId, worker: &str, category: &str) {
    let category = category.to_owned();
    let assess = move |c: &crate::cases::CaseRecord| {
        crate::cases::ChunkItem::Assessed(Box::new(fixed_assessment(&category, c)))
    };
    while store
        .assess_chunk(job, worker, time::Duration::minutes(1), 100, None, &assess)
        .await
        .unwrap()
        .processed
        > 0
    {}
    let all = |ids: &[uuid::Uuid]| ids.to_vec();
    store.finish_batch_job(job, worker, &all).await.unwrap();
}

pub async fn case_assignment_respects_version_and_status(store: &dyn Store) {
    use commission::CaseStatus;
    let (a, b) = (assessor(store, "A").await, assessor(store, "B").await);
    let ids = cases_of(store, "A2.1", 3).await;
    let case = ids[0];
    assert_eq!(store.case(case).await.unwrap().version, 1);

    // A version the caller never saw changes nothing.
    assert!(matches!(
        store.assign_case(&ctx_as(a), case, Some(2), a).await,
        Err(StoreError::Conflict(_))
    ));
    let untouched = store.case(case).await.unwrap();
    assert_eq!(
        (untouched.status, untouched.assignee, untouched.version),
        (CaseStatus::AwaitingAssessment, None, 1)
    );
    let assigned = store
        .assign_case(&ctx_as(a), case, Some(1), a)
        .await
        .unwrap();
    assert_eq!(
        (assigned.status, assigned.assignee, assigned.version),
        (CaseStatus::Assigned, Some(a), 2)
    );
    // Of two people who saw version 1, the second loses.
    assert!(matches!(
        store.assign_case(&ctx_as(b), case, Some(1), b).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.case(case).await.unwrap().assignee, Some(a));
    // Without a version, an assigned case is handed on.
    let handed_on = store.assign_case(&ctx_as(b), case, None, b).await.unwrap();
    assert_eq!((handed_on.assignee, handed_on.version), (Some(b), 3));

    // An assessed case is not assigned again, nor assessed again.
    let assessment = fixed_assessment("A2.1", &handed_on);
    store
        .put_valuation_rule(&ctx_as(a), &fixed_rule("A2.1"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_assessment(&ctx_as(b), case, Some(2), b, &assessment)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let (assessed, record) = store
        .record_assessment(&ctx_as(b), case, Some(3), b, &assessment)
        .await
        .unwrap();
    assert_eq!(
        (assessed.status, assessed.version),
        (CaseStatus::Assessed, 4)
    );
    assert_eq!(
        (record.case_id, record.assessor, record.batch_id),
        (case, b, None)
    );
    assert!(matches!(
        store.assign_case(&ctx_as(a), case, None, a).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .record_assessment(&ctx_as(b), case, None, b, &assessment)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.assessments(case).await.unwrap().len(), 1);
    // A case awaiting assessment is not assessed before it is assigned.
    assert!(matches!(
        store
            .record_assessment(&ctx_as(b), ids[1], None, b, &assessment)
            .await,
        Err(StoreError::Conflict(_))
    ));

    // A case in a batch is assessed with the batch, not assigned by hand.
    let (batch, _) = started_batch(store, a, "A2.1").await;
    let in_batch = store.case(ids[2]).await.unwrap();
    assert_eq!(
        (in_batch.status, in_batch.batch_id),
        (CaseStatus::Assigned, Some(batch.id))
    );
    assert!(matches!(
        store
            .assign_case(&ctx_as(a), ids[2], Some(in_batch.version), a)
            .await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn distribution_spreads_cases_evenly_oldest_first(store: &dyn Store) {
    use crate::cases::CaseFilter;
    let assessors = [
        assessor(store, "A").await,
        assessor(store, "B").await,
        assessor(store, "C").await,
    ];
    let ids = cases_of(store, "A2.1", 7).await;
    let hidden = cases_of(store, "A2.4", 2).await;
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, ids, "created in id order");

    let only = CaseFilter {
        category: Some("A2.1".into()),
        ..CaseFilter::default()
    };
    let done = store
        .distribute_cases(&ctx_as(assessors[0]), &only, &assessors, 100)
        .await
        .unwrap();
    assert_eq!(
        done.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        ids,
        "oldest first"
    );
    for (i, (case, to)) in done.iter().enumerate() {
        assert_eq!(*to, assessors[i % 3], "in turn");
        let c = store.case(*case).await.unwrap();
        assert_eq!(
            (c.status, c.assignee, c.version),
            (commission::CaseStatus::Assigned, Some(*to), 2)
        );
    }
    let per: Vec<usize> = assessors
        .iter()
        .map(|a| done.iter().filter(|(_, to)| to == a).count())
        .collect();
    assert_eq!(per, [3, 2, 2]);
    // Nothing is handed out twice.
    assert!(
        store
            .distribute_cases(&ctx_as(assessors[0]), &only, &assessors, 100)
            .await
            .unwrap()
            .is_empty()
    );
    // Left-out categories stay where they are; the limit holds.
    let without = CaseFilter {
        exclude_categories: vec!["A2.4".into()],
        ..CaseFilter::default()
    };
    assert!(
        store
            .distribute_cases(&ctx_as(assessors[0]), &without, &assessors, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let one = store
        .distribute_cases(
            &ctx_as(assessors[0]),
            &CaseFilter::default(),
            &assessors[1..],
            1,
        )
        .await
        .unwrap();
    assert_eq!(one, [(hidden[0], assessors[1])]);
    assert_eq!(store.case(hidden[1]).await.unwrap().assignee, None);
    // No assessors, nothing handed out.
    assert!(
        store
            .distribute_cases(&ctx_as(assessors[0]), &CaseFilter::default(), &[], 100)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Selecting cases into a batch writes the membership, not the case rows:
/// the cases show as `assigned` in the batch everywhere (the case, its
/// filters, the operator's counts) at their old version, and each row is
/// rewritten once, by its assessment. A chunk starts above `after`.
pub async fn a_batch_holds_its_cases_without_rewriting_them_until_assessed(store: &dyn Store) {
    use crate::cases::{CaseFilter, ChunkItem};
    use commission::CaseStatus;
    let staff = assessor(store, "Staff").await;
    let mut ids = cases_of(store, "A2.1", 4).await;
    ids.sort();
    let outside = cases_of(store, "A2.4", 1).await[0];
    store
        .put_valuation_rule(&ctx_as(staff), &fixed_rule("A2.1"))
        .await
        .unwrap();
    let mut before = Vec::new();
    for id in &ids {
        before.push(store.case(*id).await.unwrap());
    }
    let (batch, job) = started_batch(store, staff, "A2.1").await;
    assert_eq!((batch.case_count, job.total), (4, 4));
    for old in &before {
        let c = store.case(old.id).await.unwrap();
        assert_eq!(
            (c.status, c.batch_id, c.version, c.updated_at),
            (
                CaseStatus::Assigned,
                Some(batch.id),
                old.version,
                old.updated_at
            )
        );
    }
    let listed = |status: Option<CaseStatus>, batch_of: Option<commission::BatchId>| {
        let filter = CaseFilter {
            status,
            batch: batch_of,
            ..CaseFilter::default()
        };
        async move {
            store
                .cases(&filter, PageRequest::new(Some(50), None))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(Some(CaseStatus::Assigned), None).await, ids);
    assert_eq!(listed(None, Some(batch.id)).await, ids);
    assert_eq!(
        listed(Some(CaseStatus::AwaitingAssessment), None).await,
        vec![outside]
    );
    let counts = store.operational_counts().await.unwrap().cases_by_status;
    assert_eq!(
        (
            counts.get("assigned").copied(),
            counts.get("awaiting_assessment").copied()
        ),
        (Some(4), Some(1))
    );
    // A member is neither assigned by hand nor selected again.
    assert!(matches!(
        store.assign_case(&ctx_as(staff), ids[0], None, staff).await,
        Err(StoreError::Conflict(_))
    ));

    store
        .claim_job("worker-a", time::Duration::minutes(1))
        .await
        .unwrap()
        .unwrap();
    let assess =
        |c: &crate::cases::CaseRecord| ChunkItem::Assessed(Box::new(fixed_assessment("A2.1", c)));
    let minute = time::Duration::minutes(1);
    let above = store
        .assess_chunk(job.id, "worker-a", minute, 10, Some(ids[1]), &assess)
        .await
        .unwrap();
    assert_eq!((above.processed, above.last), (2, Some(ids[3])));
    // Nothing above the last case, but the job's counts say two are left:
    // the chunk takes them from the start.
    let below = store
        .assess_chunk(job.id, "worker-a", minute, 10, Some(ids[3]), &assess)
        .await
        .unwrap();
    assert_eq!((below.processed, below.last), (2, Some(ids[1])));
    let done = store
        .assess_chunk(job.id, "worker-a", minute, 10, Some(ids[3]), &assess)
        .await
        .unwrap();
    assert_eq!((done.processed, done.last), (0, None));
    for old in &before {
        let c = store.case(old.id).await.unwrap();
        assert_eq!(
            (c.status, c.batch_id, c.version),
            (CaseStatus::Assessed, Some(batch.id), old.version + 1)
        );
        assert_eq!(store.assessments(old.id).await.unwrap().len(), 1);
    }
}

pub async fn a_batch_chunk_assesses_each_case_once_across_retries_and_takeovers(store: &dyn Store) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let staff = assessor(store, "Staff").await;
    let ids = cases_of(store, "A2.1", 5).await;
    store
        .put_valuation_rule(&ctx_as(staff), &fixed_rule("A2.1"))
        .await
        .unwrap();
    let (batch, job) = started_batch(store, staff, "A2.1").await;
    assert_eq!(batch.case_count, 5);
    assert_eq!(job.status, crate::cases::JobStatus::Queued);

    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let assess = move |c: &crate::cases::CaseRecord| {
        counted.fetch_add(1, Ordering::SeqCst);
        crate::cases::ChunkItem::Assessed(Box::new(fixed_assessment("A2.1", c)))
    };
    let minute = time::Duration::minutes(1);

    // Worker A's lease is already over when it takes the job (as if it
    // stalled): its first chunk still counts, being its own.
    let claimed = store
        .claim_job("worker-a", time::Duration::seconds(-1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (claimed.id, claimed.status),
        (job.id, crate::cases::JobStatus::Running)
    );
    let first = store
        .assess_chunk(
            job.id,
            "worker-a",
            time::Duration::seconds(-1),
            2,
            None,
            &assess,
        )
        .await
        .unwrap();
    assert_eq!(first.processed, 2);
    // Worker B takes the job over.
    let taken = store.claim_job("worker-b", minute).await.unwrap().unwrap();
    assert_eq!((taken.id, taken.processed), (job.id, 2));
    assert!(store.claim_job("worker-c", minute).await.unwrap().is_none());
    // A's retry is refused before it assesses anything.
    let before = calls.load(Ordering::SeqCst);
    assert!(matches!(
        store
            .assess_chunk(job.id, "worker-a", minute, 10, None, &assess)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(calls.load(Ordering::SeqCst), before);
    // B assesses what is left, and a retried chunk finds nothing more.
    let rest = store
        .assess_chunk(job.id, "worker-b", minute, 10, None, &assess)
        .await
        .unwrap();
    assert_eq!(rest.processed, 3);
    for _ in 0..2 {
        let again = store
            .assess_chunk(job.id, "worker-b", minute, 10, None, &assess)
            .await
            .unwrap();
        assert_eq!(again.processed, 0);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 5, "each case assessed once");
    for id in &ids {
        let assessments = store.assessments(*id).await.unwrap();
        assert_eq!(assessments.len(), 1, "case {id}");
        assert_eq!(assessments[0].batch_id, Some(batch.id));
        assert_eq!(assessments[0].assessor, staff, "the job's creator");
        assert_eq!(
            store.case(*id).await.unwrap().status,
            commission::CaseStatus::Assessed
        );
    }
    let progress = store.job(job.id).await.unwrap();
    assert_eq!(
        (
            progress.processed,
            progress.assessed,
            progress.chunks,
            progress.total
        ),
        (5, 5, 2, 5)
    );

    // Only the lease holder finishes the job; the sample is drawn from the
    // assessed cases.
    let all = |ids: &[uuid::Uuid]| ids.to_vec();
    assert!(matches!(
        store.finish_batch_job(job.id, "worker-a", &all).await,
        Err(StoreError::Conflict(_))
    ));
    let reviewed = store
        .finish_batch_job(job.id, "worker-b", &all)
        .await
        .unwrap();
    assert_eq!(reviewed.status, commission::BatchStatus::InReview);
    assert_eq!(reviewed.sample, Some(ids.clone()));
    let done = store.job(job.id).await.unwrap();
    assert_eq!(
        (done.status, done.leased_by.as_deref()),
        (crate::cases::JobStatus::Completed, None)
    );
    assert!(done.finished_at.is_some());
    assert!(store.claim_job("worker-c", minute).await.unwrap().is_none());
    assert!(matches!(
        store.finish_batch_job(job.id, "worker-b", &all).await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn a_reviewed_batch_is_returned_or_released_once_at_its_version(store: &dyn Store) {
    use commission::{BatchStatus, CaseStatus, ReleaseDecision};
    let staff = assessor(store, "Staff").await;
    let ids = cases_of(store, "A2.1", 4).await;
    store
        .put_valuation_rule(&ctx_as(staff), &fixed_rule("A2.1"))
        .await
        .unwrap();
    let (batch, job) = started_batch(store, staff, "A2.1").await;
    // Not in review yet: nothing to decide.
    assert!(matches!(
        store
            .decide_batch(
                &ctx_as(staff),
                batch.id,
                batch.version + 1,
                ReleaseDecision::Release,
                serde_json::json!({})
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .claim_job("worker", time::Duration::minutes(1))
        .await
        .unwrap();
    run_job(store, job.id, "worker", "A2.1").await;
    let reviewed = store.batch(batch.id).await.unwrap();
    assert_eq!(
        (reviewed.status, reviewed.round),
        (BatchStatus::InReview, 1)
    );

    // A stale version decides nothing.
    assert!(matches!(
        store
            .decide_batch(
                &ctx_as(staff),
                batch.id,
                reviewed.version - 1,
                ReleaseDecision::Release,
                serde_json::json!({})
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.batch(batch.id).await.unwrap(), reviewed);

    // Returned: its cases go back to be assessed again, in the batch.
    let returned = store
        .decide_batch(
            &ctx_as(staff),
            batch.id,
            reviewed.version,
            ReleaseDecision::ReturnForReassessment,
            serde_json::json!({"sample_error_rate": "0.5"}),
        )
        .await
        .unwrap();
    assert_eq!(
        (returned.status, returned.version),
        (BatchStatus::Returned, reviewed.version + 1)
    );
    for id in &ids {
        let c = store.case(*id).await.unwrap();
        assert_eq!(
            (c.status, c.batch_id),
            (CaseStatus::Assigned, Some(batch.id))
        );
    }
    assert!(matches!(
        store
            .decide_batch(
                &ctx_as(staff),
                batch.id,
                returned.version,
                ReleaseDecision::Release,
                serde_json::json!({})
            )
            .await,
        Err(StoreError::Conflict(_))
    ));

    // Reassessed in a new round, then released to the panel.
    let (again, job) = store
        .start_batch_assessment(&ctx_as(staff), batch.id)
        .await
        .unwrap();
    assert_eq!((again.status, again.round), (BatchStatus::Assessing, 2));
    store
        .claim_job("worker", time::Duration::minutes(1))
        .await
        .unwrap();
    run_job(store, job.id, "worker", "A2.1").await;
    let reviewed = store.batch(batch.id).await.unwrap();
    assert_eq!(
        (reviewed.status, reviewed.round),
        (BatchStatus::InReview, 2)
    );
    let released = store
        .decide_batch(
            &ctx_as(staff),
            batch.id,
            reviewed.version,
            ReleaseDecision::Release,
            serde_json::json!({}),
        )
        .await
        .unwrap();
    assert_eq!(released.status, BatchStatus::Released);
    for id in &ids {
        assert_eq!(
            store.case(*id).await.unwrap().status,
            CaseStatus::ReadyForPanel
        );
        assert_eq!(
            store.assessments(*id).await.unwrap().len(),
            2,
            "one per round"
        );
    }
    // Decided once.
    for decision in [
        ReleaseDecision::Release,
        ReleaseDecision::ReturnForReassessment,
    ] {
        assert!(matches!(
            store
                .decide_batch(
                    &ctx_as(staff),
                    batch.id,
                    released.version,
                    decision,
                    serde_json::json!({})
                )
                .await,
            Err(StoreError::Conflict(_))
        ));
    }
    assert!(matches!(
        store.start_batch_assessment(&ctx_as(staff), batch.id).await,
        Err(StoreError::Conflict(_))
    ));
}

// ---------------------------------------------------------------------------
// The Commission's decisions.

fn eur(cents: i64) -> kernel::Money {
    kernel::Money::new(rust_decimal::Decimal::new(cents, 2), kernel::Currency::EUR)
}

fn day_of_decision() -> time::Date {
    time::macros::date!(2026 - 09 - 01)
}

/// Recorded claims of category A3.1 with their cases, each assessed at a
/// fixed 1,000 EUR and recommended as an award adopted by two of a panel
/// of three: the decisions awaiting the Council, one per case.
async fn awaiting_council(store: &dyn Store, n: usize) -> Vec<crate::decisions::DecisionRecord> {
    use crate::claims::ClaimChange;
    use commission::{
        CaseForPanel, Decision, DecisionId, Outcome, Panel, PanelId, Recommendation,
        RecommendationId, RuleKind, ValuationRule, Vote, VoteChoice,
    };
    use register::ClaimStatus;
    let system = ctx();
    let account = |name: String, role: Role| {
        let new = new_account(&name, &[role]);
        let system = &system;
        async move { store.create_account(system, new).await.unwrap().id }
    };
    let claimant = account("Claimant".into(), Role::Claimant).await;
    let assessor = account("Assessor".into(), Role::Assessor).await;
    let mut members = Vec::new();
    for i in 0..3 {
        members.push(account(format!("Commissioner {i}"), Role::Commissioner).await);
    }
    let rule = ValuationRule {
        category: "A3.1".into(),
        version: 1,
        kind: RuleKind::Fixed {
            per_claimant: eur(100_000),
            family_cap: None,
        },
        valuation_date: commission::ValuationDate::default(),
        currency: kernel::Currency::EUR,
    };
    store.put_valuation_rule(&ctx(), &rule).await.unwrap();
    let panel = Panel {
        id: PanelId::new(),
        name: "Panel 1".into(),
        members: members.clone(),
        categories: vec!["A3.1".into()],
    };
    store.create_panel(&ctx(), &panel, &[]).await.unwrap();
    let mut decisions = Vec::new();
    for i in 0..n {
        let mut draft = empty_draft();
        draft.columns.category = Some("A3.1".into());
        draft.columns.contact_email = Some(format!("claimant-{i}@example.org"));
        draft.columns.language = register::Language::En;
        draft.columns.totals = serde_json::json!([{"amount": "1500.00", "currency": "EUR"}]);
        let claim = store
            .create_claim(&ctx(), claimant, draft, None)
            .await
            .unwrap();
        store
            .submit_claim(&ctx(), &claim, no_duplicates(claim.id), None)
            .await
            .unwrap();
        for (from, to, action) in [
            (
                ClaimStatus::Submitted,
                ClaimStatus::UnderReview,
                "claim.review_started",
            ),
            (
                ClaimStatus::UnderReview,
                ClaimStatus::Recorded,
                "claim.recorded",
            ),
        ] {
            let change = ClaimChange {
                from,
                to,
                action,
                recommendation: None,
                decision: None,
                message: None,
            };
            store
                .change_claim(&ctx(), claim.id, None, change)
                .await
                .unwrap();
        }
        let case = store.case_for_claim(claim.id).await.unwrap();
        store
            .assign_case(&ctx(), case.id, None, assessor)
            .await
            .unwrap();
        let inputs = commission::AssessmentInputs {
            claimed: vec![eur(150_000)],
            quantities: std::collections::BTreeMap::new(),
            region: None,
            incident_date: time::macros::date!(2022 - 03 - 14),
            submission_date: time::macros::date!(2025 - 06 - 02),
            manual: None,
        };
        let assessment =
            commission::assess(&rule, &inputs, &commission::RecordedRates::default()).unwrap();
        store
            .record_assessment(&ctx(), case.id, None, assessor, &assessment)
            .await
            .unwrap();
        let involvement = store.case_involvement(case.id).await.unwrap();
        let mut recommendation = Recommendation::propose(
            RecommendationId::new(),
            &panel,
            members[0],
            &CaseForPanel {
                case: case.id,
                category: "A3.1",
                assessed_amount: Some(assessment.result),
                involvement: &involvement,
            },
            Outcome::Award {
                amount: assessment.result,
                variation_reasons: None,
            },
        )
        .unwrap();
        let stored = store
            .create_recommendations(&ctx(), std::slice::from_ref(&recommendation), None)
            .await
            .unwrap()
            .remove(0);
        for member in &members[..2] {
            recommendation
                .cast_vote(
                    &panel,
                    &involvement,
                    Vote {
                        member: *member,
                        choice: VoteChoice::InFavour,
                    },
                )
                .unwrap();
        }
        let open = Decision::open(DecisionId::new(), &recommendation).unwrap();
        store
            .record_vote(&ctx(), &recommendation, stored.version, Some(&open))
            .await
            .unwrap();
        decisions.push(
            store
                .decision_for_recommendation(recommendation.id)
                .await
                .unwrap(),
        );
    }
    decisions
}

fn approval(d: &crate::decisions::DecisionRecord) -> crate::decisions::Approval {
    crate::decisions::Approval {
        decision: d.decision.id,
        expected_version: d.version,
        decided_on: day_of_decision(),
        meeting_reference: Some("C/2026/9".into()),
        award: Some((
            commission::AwardId::new(),
            commission::ClaimantKind::Individual,
        )),
    }
}

fn number_of(issued: &crate::decisions::Issued) -> String {
    issued
        .decision
        .decision
        .number
        .map(|n| n.to_string())
        .unwrap_or_default()
}

pub async fn two_approvals_of_one_decision_one_wins(store: &dyn Store) {
    let decisions = awaiting_council(store, 2).await;
    let (one, two) = tokio_join(
        store.approve(&ctx(), &approval(&decisions[0])),
        store.approve(&ctx(), &approval(&decisions[0])),
    )
    .await;
    let (won, lost) = match (one, two) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        other => panic!("exactly one approval wins: {other:?}"),
    };
    assert!(matches!(lost, StoreError::Conflict(_)), "{lost:?}");
    assert_eq!(number_of(&won), "ICC-DEC-2026-000001");
    assert_eq!(store.awards().await.unwrap().len(), 1, "one award");
    // The loser's number was not used up.
    let next = store
        .approve(&ctx(), &approval(&decisions[1]))
        .await
        .unwrap();
    assert_eq!(number_of(&next), "ICC-DEC-2026-000002");
}

/// Every item of a list, read page by page of `limit`.
async fn every_page<T, F, Fut>(limit: u32, mut read: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = kernel::Page<T>>,
{
    let mut all = Vec::new();
    let mut request = PageRequest::new(Some(limit), None);
    loop {
        let page = read(request).await;
        assert!(page.items.len() <= limit as usize);
        all.extend(page.items);
        match page.next_cursor.as_deref() {
            Some(c) => request = PageRequest::new(Some(limit), kernel::Cursor::decode(c)),
            None => return all,
        }
    }
}

pub async fn decision_lists_page_by_id_with_their_filters(store: &dyn Store) {
    use crate::decisions::{AwardFilter, DecisionFilter, RecommendationFilter};
    let decisions = awaiting_council(store, 3).await;
    store
        .approve(&ctx(), &approval(&decisions[0]))
        .await
        .unwrap();
    store
        .approve(&ctx(), &approval(&decisions[1]))
        .await
        .unwrap();

    let all = every_page(2, |p| async move {
        store
            .decisions(&DecisionFilter::default(), p)
            .await
            .unwrap()
    })
    .await;
    let mut expected: Vec<_> = decisions.iter().map(|d| d.decision.id).collect();
    expected.sort_by_key(|id| id.0);
    assert_eq!(
        all.iter().map(|d| d.decision.id).collect::<Vec<_>>(),
        expected,
        "id order, each once"
    );
    let finals = DecisionFilter {
        status: Some(commission::DecisionStatus::Final),
        ..DecisionFilter::default()
    };
    let page = store
        .decisions(&finals, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    let on_case = DecisionFilter {
        case: Some(decisions[2].decision.case),
        ..DecisionFilter::default()
    };
    let page = store
        .decisions(&on_case, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].decision.id, decisions[2].decision.id);
    let hidden = DecisionFilter {
        exclude_categories: vec!["A3.1".into()],
        ..DecisionFilter::default()
    };
    assert!(
        store
            .decisions(&hidden, PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let recommendations = every_page(1, |p| async move {
        store
            .recommendations(&RecommendationFilter::default(), p)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(recommendations.len(), 3);
    let adopted = RecommendationFilter {
        status: Some(commission::RecommendationStatus::Adopted),
        case: Some(decisions[0].decision.case),
        ..RecommendationFilter::default()
    };
    let page = store
        .recommendations(&adopted, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);

    let awards = every_page(1, |p| async move {
        store.award_page(&AwardFilter::default(), p).await.unwrap()
    })
    .await;
    assert_eq!(awards.len(), 2);
    let paid = AwardFilter {
        status: Some(commission::AwardStatus::Paid),
        ..AwardFilter::default()
    };
    assert!(
        store
            .award_page(&paid, PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let in_eur = AwardFilter {
        currency: Some(kernel::Currency::EUR),
        category: Some("A3.1".into()),
        ..AwardFilter::default()
    };
    assert_eq!(
        store
            .award_page(&in_eur, PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );

    let panels = every_page(1, |p| async move { store.panels(p).await.unwrap() }).await;
    assert_eq!(panels.len(), 1);
    assert!(
        store
            .payment_rounds(None, PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

pub async fn decision_numbers_have_no_gaps_when_an_approval_rolls_back(store: &dyn Store) {
    let decisions = awaiting_council(store, 2).await;
    let first = approval(&decisions[0]);
    let issued = store.approve(&ctx(), &first).await.unwrap();
    assert_eq!(number_of(&issued), "ICC-DEC-2026-000001");
    // The second approval takes number 2, then fails on its award (the id
    // is taken): the whole approval rolls back, the number with it.
    let mut clashing = approval(&decisions[1]);
    clashing.award = first.award;
    assert!(store.approve(&ctx(), &clashing).await.is_err());
    let untouched = store.decision(decisions[1].decision.id).await.unwrap();
    assert_eq!(untouched.version, decisions[1].version);
    assert_eq!(untouched.decision.number, None);
    let issued = store
        .approve(&ctx(), &approval(&decisions[1]))
        .await
        .unwrap();
    assert_eq!(number_of(&issued), "ICC-DEC-2026-000002");
}

pub async fn a_decision_keeps_the_first_of_two_letters_issued_at_once(store: &dyn Store) {
    use crate::decisions::NewLetter;
    let decisions = awaiting_council(store, 1).await;
    let issued = store
        .approve(&ctx(), &approval(&decisions[0]))
        .await
        .unwrap();
    let id = issued.decision.decision.id;
    assert!(matches!(store.letter(id).await, Err(StoreError::NotFound)));
    let letter = |code: &str| NewLetter {
        decision: id,
        code: code.into(),
        content: format!("{{\"code\":\"{code}\"}}"),
        content_hash: "0".repeat(64),
    };
    let read = || crate::Change {
        action: "claim.read",
        target_type: "claim",
        target_id: issued.decision.claim_id.to_string(),
        summary: serde_json::json!({"read": "decision_letter"}),
    };
    let (one, two) = (
        letter("A".repeat(26).as_str()),
        letter("B".repeat(26).as_str()),
    );
    let (a, b) = tokio_join(
        store.issue_letter(&ctx(), &one, read()),
        store.issue_letter(&ctx(), &two, read()),
    )
    .await;
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b, "both answer the letter kept");
    assert!(a.code == one.code || a.code == two.code);
    assert_eq!(a.content, format!("{{\"code\":\"{}\"}}", a.code));
    assert_eq!(store.letter(id).await.unwrap(), a);
    assert_eq!(store.letter_by_code(&a.code).await.unwrap(), a);
    let other = if a.code == one.code {
        &two.code
    } else {
        &one.code
    };
    assert!(matches!(
        store.letter_by_code(other).await,
        Err(StoreError::NotFound)
    ));
    let count = |action: &str| {
        let filter = AuditFilter {
            action: Some(action.into()),
            ..AuditFilter::default()
        };
        async move {
            store
                .audit_entries(&filter, PageRequest::new(Some(50), None))
                .await
                .unwrap()
                .items
                .len()
        }
    };
    assert_eq!(count("decision.letter_issued").await, 1, "issued once");
    assert_eq!(count("claim.read").await, 2, "both reads on record");
}

pub async fn a_correction_supersedes_once(store: &dyn Store) {
    let decisions = awaiting_council(store, 2).await;
    let issued = store
        .approve(&ctx(), &approval(&decisions[0]))
        .await
        .unwrap();
    let previous = issued.decision.decision.id;
    let correction = |amount| crate::decisions::Correction {
        id: commission::DecisionId::new(),
        previous,
        decided_on: day_of_decision(),
        reason: commission::CorrectionReason::ComputationalError,
        explanation: "The fixed sum is 900 EUR.".into(),
        outcome: commission::Outcome::Award {
            amount: eur(amount),
            variation_reasons: Some("The fixed sum is 900 EUR.".into()),
        },
        meeting_reference: None,
    };
    let (one, two) = tokio_join(
        store.correct(&ctx(), &correction(90_000)),
        store.correct(&ctx(), &correction(80_000)),
    )
    .await;
    let (won, lost) = match (one, two) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        other => panic!("exactly one correction supersedes: {other:?}"),
    };
    assert!(matches!(lost, StoreError::Conflict(_)), "{lost:?}");
    assert_eq!(number_of(&won), "ICC-DEC-2026-000002");
    let award = won
        .award
        .as_ref()
        .expect("the award follows the correction");
    assert_eq!(award.award.decision, won.decision.decision.id);
    assert_eq!(
        Some(award.award.amount),
        won.decision.decision.outcome.amount()
    );
    // Superseded once and for all: a later correction of it is refused.
    assert!(matches!(
        store.correct(&ctx(), &correction(70_000)).await,
        Err(StoreError::Conflict(_))
    ));
    let history = store
        .case_decisions(issued.decision.decision.case)
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].superseded_by, Some(won.decision.decision.id));
    assert_eq!(history[1].superseded_by, None);
    // Neither refused correction used up a number.
    let next = store
        .approve(&ctx(), &approval(&decisions[1]))
        .await
        .unwrap();
    assert_eq!(number_of(&next), "ICC-DEC-2026-000003");
}

/// A round that pays each award in `awards` what it owes, previewed.
async fn previewed_round(
    store: &dyn Store,
    awards: &[crate::decisions::AwardRecord],
) -> crate::decisions::PaymentRoundRecord {
    let outstanding: Vec<commission::OutstandingAward> = awards
        .iter()
        .map(|a| commission::OutstandingAward {
            award: a.award.id,
            claimant_kind: a.claimant_kind,
            outstanding: a.award.outstanding().unwrap(),
            paid_to_date: None,
        })
        .collect();
    let policy = commission::RoundPolicy {
        priority_amount: None,
        remainder: commission::RemainderRule::ProRata,
    };
    let preview = commission::compute_round(eur(100_000_000), &outstanding, &policy).unwrap();
    store
        .create_payment_round(&ctx(), commission::PaymentRoundId::new(), &preview)
        .await
        .unwrap()
}

pub async fn a_round_is_not_confirmed_over_an_award_changed_since_its_preview(store: &dyn Store) {
    use crate::decisions::RoundStatus;
    let decisions = awaiting_council(store, 1).await;
    let issued = store
        .approve(&ctx(), &approval(&decisions[0]))
        .await
        .unwrap();
    let award = issued.award.unwrap();
    let round = previewed_round(store, std::slice::from_ref(&award)).await;
    // The payees change after the preview: the award is at a new version.
    let mut changed = award.award.clone();
    changed
        .change_payees(commission::Payees::Representative {
            name: "Advokat M.".into(),
            account: None,
            bank: None,
        })
        .unwrap();
    let changed = store
        .save_award(
            &ctx(),
            &changed,
            award.version,
            "award.payees_changed",
            serde_json::json!({}),
        )
        .await
        .unwrap();
    let mut payable = award.award.clone();
    payable.payable = true;
    assert!(matches!(
        store
            .confirm_payment_round(&ctx(), round.id, &[(payable.clone(), award.version)])
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Nothing of the refused confirmation stayed.
    assert_eq!(
        store.payment_round(round.id).await.unwrap().status,
        RoundStatus::Preview
    );
    let now = store.award(award.award.id).await.unwrap();
    assert_eq!(now.version, changed.version);
    assert!(!now.award.payable);
    // On the award as it stands, it is confirmed, once.
    let mut payable = now.award.clone();
    payable.payable = true;
    let confirmed = store
        .confirm_payment_round(&ctx(), round.id, &[(payable.clone(), now.version)])
        .await
        .unwrap();
    assert_eq!(confirmed.status, RoundStatus::Confirmed);
    assert!(store.award(award.award.id).await.unwrap().award.payable);
    assert!(matches!(
        store
            .confirm_payment_round(&ctx(), round.id, &[(payable, now.version + 1)])
            .await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn payees_bank_details_are_kept_sealed_beside_the_award(store: &dyn Store) {
    let decisions = awaiting_council(store, 1).await;
    let issued = store
        .approve(&ctx(), &approval(&decisions[0]))
        .await
        .unwrap();
    let award = issued.award.unwrap();
    assert_eq!(award.bank_details, None);
    let sealed = crate::claims::Sealed {
        key_id: "k1".into(),
        bytes: vec![0, 1, 2, 255, 254],
    };
    let mut changed = award.award.clone();
    changed
        .change_payees(commission::Payees::claimant())
        .unwrap();
    let saved = store
        .save_award_payees(
            &ctx(),
            &changed,
            Some(&sealed),
            award.version,
            serde_json::json!({}),
        )
        .await
        .unwrap();
    assert_eq!(saved.bank_details.as_ref(), Some(&sealed));
    assert_eq!(saved.version, award.version + 1);
    // At a stale version nothing is written.
    assert!(matches!(
        store
            .save_award_payees(&ctx(), &changed, None, award.version, serde_json::json!({}))
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Other changes of the award leave the sealed details as they are.
    let mut unreachable = saved.award.clone();
    unreachable.payee_unreachable = true;
    let marked = store
        .save_award(
            &ctx(),
            &unreachable,
            saved.version,
            "award.payee_unreachable",
            serde_json::json!({}),
        )
        .await
        .unwrap();
    assert_eq!(marked.bank_details.as_ref(), Some(&sealed));
    assert_eq!(
        store.awards().await.unwrap()[0].bank_details.as_ref(),
        Some(&sealed)
    );
    // New payees without details take them off file.
    let cleared = store
        .save_award_payees(
            &ctx(),
            &marked.award,
            None,
            marked.version,
            serde_json::json!({}),
        )
        .await
        .unwrap();
    assert_eq!(cleared.bank_details, None);
}

pub async fn an_award_never_goes_below_zero_outstanding(store: &dyn Store) {
    let decisions = awaiting_council(store, 1).await;
    let award = store
        .approve(&ctx(), &approval(&decisions[0]))
        .await
        .unwrap()
        .award
        .unwrap();
    let mut payable = award.award.clone();
    payable.payable = true;
    let award = store
        .save_award(
            &ctx(),
            &payable,
            award.version,
            "award.payable",
            serde_json::json!({}),
        )
        .await
        .unwrap();
    // Two payments of 600 EUR on the 1,000 EUR award, each within the
    // balance its clerk saw: of the two saves, one wins.
    let paid = |reference: &str| {
        let mut a = award.award.clone();
        a.record_payment(commission::Payment {
            id: commission::PaymentId::new(),
            amount: eur(60_000),
            paid_on: day_of_decision(),
            reference: reference.into(),
        })
        .unwrap();
        a
    };
    let (first, second) = (paid("R-1"), paid("R-2"));
    let (one, two) = tokio_join(
        store.save_award(
            &ctx(),
            &first,
            award.version,
            "award.payment_recorded",
            serde_json::json!({}),
        ),
        store.save_award(
            &ctx(),
            &second,
            award.version,
            "award.payment_recorded",
            serde_json::json!({}),
        ),
    )
    .await;
    let (won, lost) = match (one, two) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        other => panic!("exactly one payment is saved: {other:?}"),
    };
    assert!(matches!(lost, StoreError::Conflict(_)), "{lost:?}");
    let stored = store.award(award.award.id).await.unwrap();
    assert_eq!(stored, won);
    assert_eq!(stored.award.payments.len(), 1);
    assert_eq!(stored.award.outstanding().unwrap(), eur(40_000));
    // The second clerk pays from the award as it now stands: the domain
    // refuses 600 EUR more.
    let mut again = stored.award.clone();
    assert!(matches!(
        again.record_payment(commission::Payment {
            id: commission::PaymentId::new(),
            amount: eur(60_000),
            paid_on: day_of_decision(),
            reference: "R-3".into(),
        }),
        Err(commission::AwardError::Overpayment { .. })
    ));
}

// ---------------------------------------------------------------------------
// Imports.

fn import_row(
    external_id: &str,
    filed_by: AccountId,
    submitted: bool,
) -> crate::imports::ImportRow {
    let id = register::ClaimId::new();
    crate::imports::ImportRow {
        external_id: external_id.into(),
        id,
        filed_by,
        draft: empty_draft(),
        submission: submitted.then(|| no_duplicates(id)),
    }
}

pub async fn an_import_stores_each_external_id_once(store: &dyn Store) {
    use crate::imports::ImportOutcome;
    let a = store
        .create_account(&ctx(), new_account("Partner", &[Role::Claimant]))
        .await
        .unwrap();
    let rows = vec![
        import_row("P-1", a.id, true),
        import_row("P-2", a.id, false),
        import_row("P-3", a.id, true),
    ];
    let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
    let outcomes = store
        .import_claims(&ctx(), None, rows, vec![], 0)
        .await
        .unwrap();
    let references: Vec<Option<String>> = outcomes
        .iter()
        .map(|o| match o {
            ImportOutcome::Imported { reference, .. } => reference.clone(),
            ImportOutcome::AlreadyImported { .. } => panic!("new rows: {outcomes:?}"),
        })
        .collect();
    assert!(references[0].is_some() && references[1].is_none() && references[2].is_some());
    let numbers: Vec<u64> = [&references[0], &references[2]]
        .iter()
        .map(|r| {
            r.as_deref()
                .unwrap()
                .parse::<register::ReferenceNumber>()
                .unwrap()
                .sequence()
        })
        .collect();
    assert_eq!(numbers[1], numbers[0] + 1, "consecutive references");
    assert_eq!(
        store.claim(ids[0]).await.unwrap().status,
        register::ClaimStatus::Submitted
    );
    assert_eq!(
        store.claim(ids[1]).await.unwrap().status,
        register::ClaimStatus::Draft
    );
    for id in &ids {
        let entries = store
            .audit_entries(
                &AuditFilter {
                    target_id: Some(id.to_string()),
                    ..AuditFilter::default()
                },
                PageRequest::new(Some(10), None),
            )
            .await
            .unwrap()
            .items;
        assert_eq!(
            entries
                .iter()
                .map(|e| e.action.as_str())
                .collect::<Vec<_>>(),
            ["claim.imported"]
        );
    }

    // Again, with one new row among them: the known ones are named, not
    // stored twice, and no reference number is spent on them.
    let again = vec![
        import_row("P-1", a.id, true),
        import_row("P-4", a.id, true),
        import_row("P-3", a.id, true),
    ];
    let fresh = again[1].id;
    let outcomes = store
        .import_claims(&ctx(), None, again, vec![], 0)
        .await
        .unwrap();
    assert_eq!(outcomes[0], ImportOutcome::AlreadyImported { id: ids[0] });
    assert_eq!(outcomes[2], ImportOutcome::AlreadyImported { id: ids[2] });
    let ImportOutcome::Imported {
        id,
        reference: Some(reference),
    } = &outcomes[1]
    else {
        panic!("P-4 is new: {outcomes:?}");
    };
    assert_eq!(*id, fresh);
    assert_eq!(
        reference
            .parse::<register::ReferenceNumber>()
            .unwrap()
            .sequence(),
        numbers[1] + 1
    );
    let known = store
        .already_imported(&["P-1".into(), "P-2".into(), "P-5".into()])
        .await
        .unwrap();
    assert_eq!(
        known,
        ["P-1".to_owned(), "P-2".to_owned()].into_iter().collect()
    );
}

pub async fn an_import_job_keeps_its_rejects_and_counts_under_its_lease(store: &dyn Store) {
    use crate::cases::JobStatus;
    use crate::imports::{ImportJob, ImportReject};
    let a = store
        .create_account(&ctx(), new_account("Partner", &[Role::Claimant]))
        .await
        .unwrap();
    let lease = time::Duration::seconds(60);
    let record = store
        .create_import_job(&ctx(), "worker-a", lease)
        .await
        .unwrap();
    assert_eq!(record.status, JobStatus::Running);
    let job = ImportJob {
        id: record.id,
        worker: "worker-a".into(),
        lease,
    };
    let reject = |line: u64| ImportReject {
        line,
        external_id: Some(format!("R-{line}")),
        field: Some("category".into()),
        code: "unknown_category".into(),
        message: "There is no category X9.9.".into(),
    };
    store
        .import_claims(
            &ctx(),
            Some(&job),
            vec![import_row("J-1", a.id, true), import_row("J-2", a.id, true)],
            vec![reject(3), reject(5)],
            1,
        )
        .await
        .unwrap();
    // Another worker may not write under this job while the lease holds.
    let thief = ImportJob {
        worker: "worker-b".into(),
        ..job.clone()
    };
    let stolen = store
        .import_claims(
            &ctx(),
            Some(&thief),
            vec![import_row("J-3", a.id, true)],
            vec![],
            0,
        )
        .await;
    assert!(matches!(stolen, Err(StoreError::Conflict(_))), "{stolen:?}");
    assert!(
        store
            .already_imported(&["J-3".into()])
            .await
            .unwrap()
            .is_empty()
    );
    store
        .import_claims(
            &ctx(),
            Some(&job),
            vec![import_row("J-1", a.id, true)],
            vec![reject(9)],
            0,
        )
        .await
        .unwrap();

    let counted = store.job(job.id).await.unwrap();
    // Read: 2 + 2 rejects + 1 skipped before, then 1 + 1.
    assert_eq!((counted.processed, counted.total), (7, 7));
    assert_eq!(counted.assessed, 2, "imported");
    assert_eq!(counted.routed_individual, 2, "skipped as known");
    assert_eq!(counted.failed, 3, "rejected");
    assert_eq!(counted.chunks, 2);

    let first = store.import_rejects(job.id, None, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|(_, r)| r.line).collect::<Vec<_>>(),
        [3, 5]
    );
    let rest = store
        .import_rejects(job.id, Some(first[1].0), 10)
        .await
        .unwrap();
    // Kept by line: the line, the field, the code and the message.
    assert_eq!(
        rest.iter()
            .map(|(_, r)| (r.line, r.field.clone(), r.code.clone(), r.message.clone()))
            .collect::<Vec<_>>(),
        [(9, reject(9).field, reject(9).code, reject(9).message)]
    );

    let finished = store.finish_import_job(&job).await.unwrap();
    assert_eq!(finished.status, JobStatus::Completed);
    assert!(finished.finished_at.is_some());
}

/// A claim giving `email` (if any), submitted.
async fn submitted_claim(store: &dyn Store, email: Option<&str>) -> crate::claims::ClaimRecord {
    let claimant = store
        .create_account(&ctx(), new_account("Claimant", &[Role::Claimant]))
        .await
        .unwrap();
    let mut draft = empty_draft();
    draft.columns.contact_email = email.map(str::to_owned);
    let claim = store
        .create_claim(&ctx(), claimant.id, draft, None)
        .await
        .unwrap();
    store
        .submit_claim(&ctx(), &claim, no_duplicates(claim.id), None)
        .await
        .unwrap()
}

async fn move_claim(
    store: &dyn Store,
    claim: register::ClaimId,
    from: register::ClaimStatus,
    to: register::ClaimStatus,
) {
    let change = crate::claims::ClaimChange {
        from,
        to,
        action: "claim.moved",
        recommendation: None,
        decision: None,
        message: None,
    };
    store
        .change_claim(&ctx(), claim, None, change)
        .await
        .unwrap();
}

fn kinds(notices: &[crate::notifications::Notice]) -> Vec<&'static str> {
    notices.iter().map(|n| n.kind.as_str()).collect()
}

pub async fn notices_are_written_with_their_changes_unless_switched_off(store: &dyn Store) {
    use crate::notifications::NoticeSettings;
    use register::ClaimStatus as S;
    // The Register's moments: submission, a request, the Board's decision.
    let claim = submitted_claim(store, Some("olena@example.ua")).await;
    for (from, to) in [
        (S::Submitted, S::UnderReview),
        (S::UnderReview, S::InformationRequested),
        (S::InformationRequested, S::UnderReview),
        (S::UnderReview, S::Rejected),
    ] {
        move_claim(store, claim.id, from, to).await;
    }
    let notices = store.claim_notices(claim.id).await.unwrap();
    assert_eq!(
        kinds(&notices),
        ["submitted", "information_requested", "rejected"]
    );
    for n in &notices {
        assert_eq!(n.recipient, "olena@example.ua");
        assert_eq!(n.language, "uk");
        assert_eq!(n.reference, claim.reference);
        assert_eq!(n.status, "pending");
        assert_eq!(n.attempts, 0);
    }
    // No address, no notice.
    let silent = submitted_claim(store, None).await;
    assert!(store.claim_notices(silent.id).await.unwrap().is_empty());

    // The Commission's: a final decision, its correction, a payment.
    let decisions = awaiting_council(store, 2).await;
    let claim = decisions[0].claim_id;
    let issued = store
        .approve(&ctx(), &approval(&decisions[0]))
        .await
        .unwrap();
    let correction = crate::decisions::Correction {
        id: commission::DecisionId::new(),
        previous: issued.decision.decision.id,
        decided_on: day_of_decision(),
        reason: commission::CorrectionReason::ComputationalError,
        explanation: "The fixed sum is 900 EUR.".into(),
        outcome: commission::Outcome::Award {
            amount: eur(90_000),
            variation_reasons: Some("The fixed sum is 900 EUR.".into()),
        },
        meeting_reference: None,
    };
    let award = store
        .correct(&ctx(), &correction)
        .await
        .unwrap()
        .award
        .unwrap();
    let mut payable = award.award.clone();
    payable.payable = true;
    let award = store
        .save_award(
            &ctx(),
            &payable,
            award.version,
            "award.payable",
            serde_json::json!({}),
        )
        .await
        .unwrap();
    let mut paid = award.award.clone();
    paid.record_payment(commission::Payment {
        id: commission::PaymentId::new(),
        amount: eur(40_000),
        paid_on: day_of_decision(),
        reference: "R-1".into(),
    })
    .unwrap();
    store
        .save_award(
            &ctx(),
            &paid,
            award.version,
            crate::decisions::PAYMENT_RECORDED,
            serde_json::json!({}),
        )
        .await
        .unwrap();
    let notices = store.claim_notices(claim).await.unwrap();
    assert_eq!(
        kinds(&notices),
        [
            "submitted",
            "recorded",
            "decision_issued",
            "decision_corrected",
            "payment_recorded"
        ]
    );
    assert!(
        notices
            .iter()
            .all(|n| n.recipient == "claimant-0@example.org" && n.language == "en")
    );
    // The payment is announced to webhook subscribers too.
    let events = store
        .outbox_events(PageRequest::new(Some(500), None))
        .await
        .unwrap();
    assert!(
        events
            .items
            .iter()
            .any(|e| e.event_type == crate::decisions::PAYMENT_RECORDED
                && e.payload["data"]["award_id"] == serde_json::json!(paid.id))
    );

    // Switched off: the next change writes no notice; on again: it does.
    let other = decisions[1].claim_id;
    let before = store.claim_notices(other).await.unwrap().len();
    assert_eq!(
        store.notice_settings(other).await.unwrap(),
        NoticeSettings { email: true }
    );
    store
        .set_notice_settings(&ctx(), other, NoticeSettings { email: false })
        .await
        .unwrap();
    assert_eq!(
        store.notice_settings(other).await.unwrap(),
        NoticeSettings { email: false }
    );
    store
        .approve(&ctx(), &approval(&decisions[1]))
        .await
        .unwrap();
    assert_eq!(store.claim_notices(other).await.unwrap().len(), before);
    let switched = store
        .audit_entries(
            &AuditFilter {
                target_id: Some(other.to_string()),
                ..AuditFilter::default()
            },
            PageRequest::new(Some(500), None),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.action == "claim.notices_changed")
        .count();
    assert_eq!(switched, 1, "the switch is on record");
    // The same setting again changes nothing and records nothing.
    store
        .set_notice_settings(&ctx(), other, NoticeSettings { email: false })
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_notice_settings(
                &ctx(),
                register::ClaimId::new(),
                NoticeSettings { email: false }
            )
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn a_notice_is_leased_to_one_worker_at_a_time(store: &dyn Store) {
    use crate::notifications::SendOutcome;
    let minute = time::Duration::minutes(1);
    for i in 0..5 {
        submitted_claim(store, Some(&format!("c{i}@example.org"))).await;
    }
    // Two workers at once share the due notices without overlap.
    let (a, b) = tokio_join(
        store.lease_notices("a", minute, 3),
        store.lease_notices("b", minute, 3),
    )
    .await;
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 5);
    let mut ids: Vec<_> = a.iter().chain(&b).map(|n| n.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "no notice is leased twice");
    assert!(
        store
            .lease_notices("c", minute, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Only the holder records an attempt.
    let held = a[0].clone();
    assert!(matches!(
        store.finish_notice("b", held.id, SendOutcome::Sent).await,
        Err(StoreError::Conflict(_))
    ));
    // A refusal makes it due again when the back-off says.
    store
        .finish_notice(
            "a",
            held.id,
            SendOutcome::Failed {
                error: "451 try later".into(),
                retry_at: Some(time::OffsetDateTime::now_utc() - time::Duration::seconds(1)),
            },
        )
        .await
        .unwrap();
    let again = store.lease_notices("c", minute, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, held.id);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_error.as_deref(), Some("451 try later"));
    // Sent once, never leased again.
    store
        .finish_notice("c", held.id, SendOutcome::Sent)
        .await
        .unwrap();
    assert!(matches!(
        store.finish_notice("c", held.id, SendOutcome::Sent).await,
        Err(StoreError::Conflict(_))
    ));
    let sent = store.claim_notices(again[0].claim).await.unwrap();
    assert_eq!(sent[0].status, "sent");
    assert_eq!(sent[0].attempts, 2);
    assert!(sent[0].sent_at.is_some());
    // An expired lease (a sender that died) is taken over, and the first
    // holder can no longer record anything.
    let dead = b[0].clone();
    store
        .finish_notice(
            "b",
            dead.id,
            SendOutcome::Failed {
                error: "timeout".into(),
                retry_at: Some(time::OffsetDateTime::now_utc() - time::Duration::seconds(1)),
            },
        )
        .await
        .unwrap();
    let taken = store
        .lease_notices("d", -time::Duration::seconds(1), 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    let over = store.lease_notices("e", minute, 10).await.unwrap();
    assert_eq!(over.len(), 1, "the expired lease is taken over");
    assert!(matches!(
        store.finish_notice("d", dead.id, SendOutcome::Sent).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .finish_notice("e", dead.id, SendOutcome::Sent)
        .await
        .unwrap();
    // Given up: failed for good, never leased again.
    let last = a.get(1).or(b.get(1)).unwrap().clone();
    let holder = if a.iter().any(|n| n.id == last.id) {
        "a"
    } else {
        "b"
    };
    store
        .finish_notice(
            holder,
            last.id,
            SendOutcome::Failed {
                error: "550 no such mailbox".into(),
                retry_at: None,
            },
        )
        .await
        .unwrap();
    let failed = store.claim_notices(last.claim).await.unwrap();
    assert_eq!(failed[0].status, "failed");
}
