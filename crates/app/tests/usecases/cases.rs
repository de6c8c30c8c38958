//! Casework: assignment, distribution, exchange rates and individual
//! assessment, and what staff without the clearance may not learn of.

use crate::support::World;
use app::ErrorClass;
use app::cases::{AssessCase, CaseCriteria, Distribute, RateText};
use commission::{CaseId, CaseStatus, ValuationRule};
use kernel::{Action, Currency, Money, Role};
use rust_decimal::Decimal;
use store::cases::{CaseFacts, SyntheticCase};
use store::{AuditContext, NewAccount};
use time::macros::date;

pub const A31_RULE: &str = r#"{"category":"A3.1","version":1,"kind":"per_unit","unit":"floor_area_m2",
    "rate":{"amount":"850","currency":"EUR"},"factors":[{"name":"depreciation","value":"0.8"}],
    "cap":{"amount":"150000","currency":"EUR"}}"#;

pub fn rule(json: &str) -> ValuationRule {
    serde_json::from_str(json).expect("a rule")
}

/// A fixed 2,500 EUR per claimant.
pub fn fixed_rule(category: &str) -> ValuationRule {
    rule(&format!(
        r#"{{"category":"{category}","version":1,"kind":"fixed","currency":"EUR",
        "per_claimant":{{"amount":"2500","currency":"EUR"}}}}"#
    ))
}

/// The class of a refusal, `None` when the use case did what was asked.
pub fn refusal<T>(outcome: Result<T, app::AppError>) -> Option<ErrorClass> {
    outcome.err().map(|e| e.class)
}

pub fn eur(cents: i64) -> Money {
    Money::new(Decimal::new(cents, 2), Currency::EUR)
}

/// Recorded claims with their cases, straight in the store: one per
/// claimant key, each claiming `claimed`, 112.5 m² damaged on 14 March 2022.
pub async fn file(
    w: &World,
    category: &str,
    claimed: &[Money],
    claimants: &[String],
) -> Vec<CaseId> {
    let filer = w
        .app
        .store
        .create_account(
            &AuditContext::system(),
            NewAccount {
                display_name: "Filer".into(),
                roles: vec![Role::Claimant],
                clearances: vec![],
                participant: None,
                external_subject: None,
            },
        )
        .await
        .expect("filer");
    let cases: Vec<SyntheticCase> = claimants
        .iter()
        .map(|claimant| SyntheticCase {
            category: category.into(),
            region: Some("UA-32".into()),
            claimant_key: Some(claimant.clone()),
            facts: CaseFacts {
                claimed: claimed.to_vec(),
                quantities: [("floor_area_m2".to_owned(), Decimal::new(1125, 1))].into(),
                region: Some("UA-32".into()),
                incident_date: Some(date!(2022 - 03 - 14)),
                submission_date: Some(date!(2025 - 06 - 02)),
            },
        })
        .collect();
    w.app
        .store
        .insert_synthetic_cases(filer.id, &cases)
        .await
        .expect("cases")
}

/// `n` cases of `category`, each of its own claimant, claiming 90,000 EUR.
pub async fn cases(w: &World, category: &str, n: usize) -> Vec<CaseId> {
    let claimants: Vec<String> = (0..n)
        .map(|_| format!("rnokpp:{}", uuid::Uuid::now_v7()))
        .collect();
    file(w, category, &[eur(9_000_000)], &claimants).await
}

both! {
    async fn assessing_a_case_recomputes_its_figure_at_the_version_seen(w: World) {
        let council = w.actor("Council", &[Role::Council], false, Action::PublishValuationRule).await;
        let assessor = w.actor("Assessor", &[Role::Assessor], false, Action::AssessCase).await;
        let me = assessor.principal.account;
        app::cases::publish_rule(&w.app, &council, rule(A31_RULE).into()).await.unwrap();
        let ids = cases(&w, "A3.1", 3).await;

        let case = app::cases::assign(&w.app, &assessor, ids[0], 1, me).await.unwrap();
        assert_eq!((case.status, case.assignee, case.version), (CaseStatus::Assigned, Some(me), 2));
        let stale = app::cases::assess(&w.app, &assessor, ids[0], 1, AssessCase::default()).await;
        assert_eq!(stale.err().map(|e| e.class), Some(ErrorClass::Stale));

        let assessed = app::cases::assess(&w.app, &assessor, ids[0], 2, AssessCase::default()).await.unwrap();
        // 850 × 112.5 m² × 0.8 = 76,500.00
        let figure = assessed.assessment.assessment.result;
        assert_eq!(figure, eur(7_650_000));
        assert_eq!(commission::recompute(&assessed.assessment.assessment), Ok(figure));
        assert_eq!((assessed.case.status, assessed.case.version), (CaseStatus::Assessed, 3));
        assert_eq!((assessed.assessment.assessor, assessed.assessment.batch_id), (me, None));
        let stored = app::cases::assessments(&w.app, &assessor, ids[0]).await.unwrap();
        assert_eq!(stored.iter().map(|a| (a.id, a.assessment.result)).collect::<Vec<_>>(),
            [(assessed.assessment.id, figure)]);
        // Assessed once: the case has moved on.
        let again = app::cases::assess(&w.app, &assessor, ids[0], 3, AssessCase::default()).await.unwrap_err();
        assert_eq!((again.class, again.facts["code"].as_str()), (ErrorClass::Conflict, Some("illegal_case_transition")));
        assert_eq!(w.app.store.assessments(ids[0]).await.unwrap().len(), 1);

        // A case in a batch is assessed with the batch, and not assigned by hand.
        let batch = app::batches::create(&w.app, &assessor, app::batches::CreateBatch {
            category: "A3.1".into(),
            ..app::batches::CreateBatch::default()
        }).await.unwrap();
        assert_eq!(batch.batch.case_count, 2);
        let in_batch = app::cases::known_case(&w.app, &assessor, ids[1]).await.unwrap();
        assert_eq!((in_batch.status, in_batch.batch_id), (CaseStatus::Assigned, Some(batch.batch.id)));
        let refused = app::cases::assess(&w.app, &assessor, ids[1], in_batch.version, AssessCase::default()).await.unwrap_err();
        assert_eq!(refused.class, ErrorClass::Conflict);
        assert!(refused.detail.contains("batch"), "{}", refused.detail);
        let refused = app::cases::assign(&w.app, &assessor, ids[1], in_batch.version, me).await.unwrap_err();
        assert_eq!(refused.class, ErrorClass::Conflict);
        assert!(w.app.store.assessments(ids[1]).await.unwrap().is_empty());
    }

    async fn a_sensitive_case_is_not_found_by_staff_without_the_clearance(w: World) {
        let council = w.actor("Council", &[Role::Council], true, Action::PublishValuationRule).await;
        let uncleared = w.actor("Assessor", &[Role::Assessor], false, Action::AssessCase).await;
        let cleared = w.actor("Cleared", &[Role::Assessor], true, Action::AssessCase).await;
        app::cases::publish_rule(&w.app, &council, fixed_rule("A2.4").into()).await.unwrap();
        let sensitive = cases(&w, "A2.4", 1).await[0];
        let open = cases(&w, "A2.1", 1).await[0];

        let me = uncleared.principal.account;
        assert_eq!(refusal(app::cases::known_case(&w.app, &uncleared, sensitive).await), Some(ErrorClass::NotFound));
        assert_eq!(refusal(app::cases::assign(&w.app, &uncleared, sensitive, 1, me).await), Some(ErrorClass::NotFound));
        assert_eq!(refusal(app::cases::assess(&w.app, &uncleared, sensitive, 1, AssessCase::default()).await), Some(ErrorClass::NotFound));
        assert_eq!(refusal(app::cases::assessments(&w.app, &uncleared, sensitive).await), Some(ErrorClass::NotFound));
        let page = kernel::PageRequest::new(None, None);
        let seen: Vec<CaseId> = app::cases::list_cases(&w.app, &uncleared, store::cases::CaseFilter::default(), page)
            .await.unwrap().items.into_iter().map(|c| c.id).collect();
        assert_eq!(seen, [open]);
        let seen = app::cases::list_cases(&w.app, &cleared, store::cases::CaseFilter::default(), page).await.unwrap();
        assert_eq!(seen.items.len(), 2);
        // A hand-out by someone without the clearance leaves the case alone.
        let handed = app::cases::distribute(&w.app, &uncleared, &Distribute {
            assessors: vec![me],
            ..Distribute::default()
        }).await.unwrap();
        assert_eq!(handed.assigned, [(open, me)]);
        assert_eq!(w.app.store.case(sensitive).await.unwrap().status, CaseStatus::AwaitingAssessment);

        // The clearance shows it, and it is assessed as any other.
        let mine = cleared.principal.account;
        let case = app::cases::assign(&w.app, &cleared, sensitive, 1, mine).await.unwrap();
        let assessed = app::cases::assess(&w.app, &cleared, sensitive, case.version, AssessCase::default()).await.unwrap();
        assert_eq!(assessed.assessment.assessment.result, eur(250_000));
        assert_eq!(refusal(app::cases::assessments(&w.app, &uncleared, sensitive).await), Some(ErrorClass::NotFound));
    }

    async fn a_missing_rate_is_named_and_a_rate_of_the_week_before_answers(w: World) {
        let council = w.actor("Council", &[Role::Council], false, Action::PublishValuationRule).await;
        let assessor = w.actor("Assessor", &[Role::Assessor], false, Action::AssessCase).await;
        let me = assessor.principal.account;
        app::cases::publish_rule(&w.app, &council, rule(r#"{"category":"A3.4","version":1,
            "kind":"claimed_with_cap","accepted_share":"0.5","cap":{"amount":"20000","currency":"EUR"}}"#).into()).await.unwrap();
        let uah = Money::new(Decimal::from(400_000), Currency::UAH);
        let id = file(&w, "A3.4", &[uah], &["rnokpp:1".into()]).await[0];
        let case = app::cases::assign(&w.app, &assessor, id, 1, me).await.unwrap();

        let missing = app::cases::assess(&w.app, &assessor, id, case.version, AssessCase::default()).await.unwrap_err();
        assert_eq!((missing.class, missing.kind), (ErrorClass::Invalid, "missing-exchange-rate"));
        assert_eq!((missing.facts["currency"].as_str(), missing.facts["to"].as_str(), missing.facts["date"].as_str()),
            (Some("UAH"), Some("EUR"), Some("2022-03-14")));

        // One bad line refuses the whole file.
        let bad = "from,to,date,rate,source\nUAH,EUR,2022-03-11,0.0306,NBU\nUAH,EUR,11 March,0.03,NBU\n";
        let refused = app::cases::import_rates(&w.app, &assessor, bad).await.unwrap_err();
        assert_eq!((refused.class, refused.errors[0].field.as_str()), (ErrorClass::Invalid, "line[3].date"));
        assert!(w.app.store.assessment_rates(Currency::EUR, date!(2022 - 01 - 01), date!(2022 - 12 - 31)).await.unwrap().is_empty());
        // A rate older than the week before does not answer; three days before does.
        let good = "UAH,EUR,2022-03-06,0.0290,NBU\nUAH,EUR,2022-03-11,0.0306,NBU\n";
        let imported = app::cases::import_rates(&w.app, &assessor, good).await.unwrap();
        assert_eq!((imported.recorded, imported.already_recorded.len()), (2, 0));
        let again = app::cases::import_rates(&w.app, &assessor, good).await.unwrap();
        assert_eq!((again.recorded, again.already_recorded), (0, vec![1, 2]));
        let text = |date: &str, to: &str| RateText { from: "UAH".into(), to: to.into(), date: date.into(), rate: "0.03".into(), source: "NBU".into() };
        let replaced = app::cases::record_rate(&w.app, &assessor, &text("2022-03-11", "EUR")).await.unwrap_err();
        assert_eq!(replaced.class, ErrorClass::Conflict);
        let same = app::cases::record_rate(&w.app, &assessor, &text("2022-03-12", "UAH")).await.unwrap_err();
        assert_eq!((same.errors[0].field.as_str(), same.errors[0].code.as_str()), ("to", "same_currency"));

        let assessed = app::cases::assess(&w.app, &assessor, id, case.version, AssessCase::default()).await.unwrap();
        // 400,000 × 0.0306 = 12,240; half accepted: 6,120.00
        let a = &assessed.assessment.assessment;
        assert_eq!(a.result, eur(612_000));
        assert_eq!((a.conversions[0].valuation_date, a.conversions[0].rate_date), (date!(2022 - 03 - 14), date!(2022 - 03 - 11)));
        assert_eq!(commission::recompute(a), Ok(a.result));
    }

    async fn distribution_takes_each_assessor_once_and_spreads_evenly(w: World) {
        let council = w.actor("Council", &[Role::Council], false, Action::AssignCases).await;
        let a = w.actor("A", &[Role::Assessor], false, Action::AssessCase).await.principal.account;
        let b = w.actor("B", &[Role::Assessor], false, Action::AssessCase).await.principal.account;
        let ids = cases(&w, "A2.1", 7).await;
        cases(&w, "A2.3", 2).await;

        let field = |e: app::AppError| (e.class, e.errors[0].field.clone(), e.errors[0].code.clone());
        let twice = Distribute { assessors: vec![a, a], ..Distribute::default() };
        assert_eq!(field(app::cases::distribute(&w.app, &council, &twice).await.unwrap_err()),
            (ErrorClass::Invalid, "assessors[1]".into(), "duplicate".into()));
        let not_one = Distribute { assessors: vec![a, council.principal.account], ..Distribute::default() };
        assert_eq!(field(app::cases::distribute(&w.app, &council, &not_one).await.unwrap_err()),
            (ErrorClass::Invalid, "assessors[1]".into(), "not_an_assessor".into()));
        let bad_filter = Distribute {
            assessors: vec![a, b],
            criteria: CaseCriteria { min_amount: Some("lots".into()), ..CaseCriteria::default() },
            ..Distribute::default()
        };
        assert_eq!(field(app::cases::distribute(&w.app, &council, &bad_filter).await.unwrap_err()),
            (ErrorClass::Invalid, "min_amount".into(), "invalid".into()));

        let only = Distribute {
            assessors: vec![a, b],
            criteria: CaseCriteria { category: Some("A2.1".into()), ..CaseCriteria::default() },
            limit: Some(5),
        };
        let first = app::cases::distribute(&w.app, &council, &only).await.unwrap();
        assert_eq!(first.assigned.iter().map(|(c, _)| *c).collect::<Vec<_>>(), ids[..5]);
        assert_eq!(first.per_assessor, [(a, 3), (b, 2)].into());
        let rest = app::cases::distribute(&w.app, &council, &only).await.unwrap();
        assert_eq!(rest.per_assessor, [(a, 1), (b, 1)].into());
        let none = app::cases::distribute(&w.app, &council, &only).await.unwrap();
        assert_eq!((none.assigned.len(), none.per_assessor), (0, [(a, 0), (b, 0)].into()));
        for id in &ids {
            assert_eq!(w.app.store.case(*id).await.unwrap().status, CaseStatus::Assigned);
        }

        // Bulk assignment: each case on its own.
        let many = app::cases::assign_many(&w.app, &council, b, &[ids[0], CaseId::new()]).await.unwrap();
        assert_eq!(many[0].1.as_ref().map(|c| c.assignee).ok(), Some(Some(b)));
        assert_eq!(many[1].1.as_ref().err().map(|e| e.class), Some(ErrorClass::NotFound));
        let empty = app::cases::assign_many(&w.app, &council, b, &[]).await.unwrap_err();
        assert_eq!(field(empty), (ErrorClass::Invalid, "cases".into(), "length".into()));
    }
}
