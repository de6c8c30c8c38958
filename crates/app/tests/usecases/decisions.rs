//! Panels, recommendations and the Council's decisions, without HTTP: the
//! go-live gate, decision numbers and awards, stale and repeated steps, and
//! the claimant kind an award is made to.

use crate::support::World;
use app::decisions::{CouncilStep, NewPanel, Proposal, ProposedOutcome};
use app::{Actor, ErrorClass};
use commission::{CaseId, ClaimantKind, PanelId, RecommendationId, VoteChoice};
use kernel::{Action, Currency, Money, Role};
use register::{
    ClaimDraft, ClaimStatus, Claimant, Contact, CountryCode, Edrpou, Incident, LegalEntity,
    Location, Loss, NaturalPerson, RegionCode, Rnokpp, StateBody,
};
use rust_decimal::Decimal;
use serde_json::json;
use store::AuditContext;
use store::claims::{ClaimChange, ClaimColumns, DraftContent, Submission};
use store::decisions::{DecisionRecord, Issued};
use time::macros::{date, datetime};

pub(crate) fn eur(units: i64) -> Money {
    Money::new(Decimal::from(units), Currency::EUR)
}

/// 25 ratifications (each by a signatory) whose contributions to the
/// Register of Damage's 2025 budget reach half of it, recorded through the
/// tracker's use cases: the convention enters into force on 1 September
/// 2026, where the clock is left. Once recorded, only the clock moves.
pub(crate) async fn put_in_force(w: &World) {
    use app::convention::{ActionInput, WeightInput};
    use ratification::ActionKind;
    let current = app::gate::current(&w.app).await.unwrap();
    if current.status.entry_into_force.is_some() {
        w.clock.set(datetime!(2026-09-01 09:00 UTC));
        return;
    }
    w.clock.set(datetime!(2026-06-30 12:00 UTC));
    let depositary = w
        .actor(
            "Depositary",
            &[Role::Depositary],
            false,
            Action::RecordTreatyAction,
        )
        .await;
    let record = w.app.store.convention_record().await.unwrap();
    let mut signatories: Vec<_> = record
        .treaty_actions()
        .into_iter()
        .filter(|a| a.kind == ActionKind::Signature)
        .map(|a| a.participant)
        .collect();
    signatories.dedup();
    assert!(signatories.len() >= 25, "the seed has 25 signatories");
    for (i, participant) in signatories.into_iter().take(25).enumerate() {
        let date = if i == 24 {
            date!(2026 - 05 - 12)
        } else {
            date!(2026 - 03 - 01) + time::Duration::days(i64::try_from(i).unwrap())
        };
        let ratified = ActionInput {
            participant: participant.to_string(),
            kind: "ratification".into(),
            date: date.to_string(),
            ..ActionInput::default()
        };
        app::convention::record_action(&w.app, &depositary, ratified)
            .await
            .unwrap();
        // 25 × 150,000 = 3,750,000 EUR, over half of the assumed
        // 7,384,300 EUR budget.
        let weight = WeightInput {
            participant: participant.to_string(),
            basis: ratification::RD4U_2025_BUDGET.into(),
            value: "150000.00".into(),
            unit: "EUR".into(),
            source: "Register of Damage, contributions to the 2025 budget".into(),
            date: "2025-12-31".into(),
            ..WeightInput::default()
        };
        app::convention::record_weight(&w.app, &depositary, weight)
            .await
            .unwrap();
    }
    w.clock.set(datetime!(2026-09-01 09:00 UTC));
    app::gate::commission_may_act(&w.app)
        .await
        .expect("in force");
}

/// The people of the Commission's path.
pub(crate) struct Commission {
    pub(crate) council: Actor,
    pub(crate) members: Vec<Actor>,
    pub(crate) assessor: Actor,
    pub(crate) claimant: Actor,
    /// A panel for A3.1, B1.1 and C1.1.
    pub(crate) panel: PanelId,
}

/// Fixed-sum rules: 20,000 EUR for a house (A3.1), 50,000 EUR for
/// infrastructure (B1.1, C1.1).
pub(crate) async fn commission(w: &World) -> Commission {
    let council = w
        .actor(
            "Council",
            &[Role::Council],
            false,
            Action::DecideRecommendation,
        )
        .await;
    let mut members = Vec::new();
    for i in 0..3 {
        members.push(
            w.actor(
                &format!("Commissioner {i}"),
                &[Role::Commissioner],
                false,
                Action::Recommend,
            )
            .await,
        );
    }
    let assessor = w
        .actor("Assessor", &[Role::Assessor], false, Action::AssessCase)
        .await;
    let claimant = w
        .actor("Claimant", &[Role::Claimant], false, Action::ReadClaim)
        .await;
    for (category, sum) in [("A3.1", 20_000), ("B1.1", 50_000), ("C1.1", 50_000)] {
        let rule = commission::ValuationRule {
            category: category.into(),
            version: 1,
            kind: commission::RuleKind::Fixed {
                per_claimant: eur(sum),
                family_cap: None,
            },
            valuation_date: commission::ValuationDate::default(),
            currency: Currency::EUR,
        };
        w.app
            .store
            .put_valuation_rule(&council.audit(None), &rule)
            .await
            .unwrap();
    }
    // The Council forms panels once the convention is in force.
    put_in_force(w).await;
    let panel = app::decisions::form_panel(
        &w.app,
        &council,
        NewPanel {
            name: " Panel 1 ".into(),
            members: members.iter().map(|m| m.principal.account).collect(),
            categories: vec!["A3.1".into(), "B1.1".into(), "C1.1".into()],
            batches: vec![],
        },
    )
    .await
    .unwrap();
    assert_eq!(panel.panel.name, "Panel 1");
    Commission {
        council,
        members,
        assessor,
        claimant,
        panel: panel.panel.id,
    }
}

fn contact(email: &str) -> Contact {
    Contact {
        email: Some(email.into()),
        phone: None,
        address: None,
    }
}

/// A natural person at "12 State Street" writing from
/// "State.Office@example.org": words a text search took for the State.
pub(crate) fn person_on_state_street() -> Claimant {
    Claimant::NaturalPerson(NaturalPerson {
        given_name: "Olena".into(),
        family_name: "Kovalenko".into(),
        patronymic: None,
        date_of_birth: Some(date!(1980 - 05 - 17)),
        tax_number: Some(Rnokpp::parse("3184710691").unwrap()),
        nationalities: vec![CountryCode::ukraine()],
        contact: Contact {
            address: Some("12 State Street, Irpin".into()),
            ..contact("State.Office@example.org")
        },
    })
}

pub(crate) fn state_body() -> Claimant {
    Claimant::State(StateBody {
        name: "Irpin City Council".into(),
        code: Edrpou::parse("20077720").unwrap(),
        contact: contact("rada@example.ua"),
    })
}

pub(crate) fn legal_entity() -> Claimant {
    Claimant::LegalEntity(LegalEntity {
        name: "Ukrposhta".into(),
        edrpou: Edrpou::parse("21560045").unwrap(),
        contact: contact("info@example.ua"),
    })
}

/// A claim by `claimant` in `category` filed, submitted and recorded in
/// the store (the Register's doors are not under test here): its case.
pub(crate) async fn recorded_case(
    w: &World,
    c: &Commission,
    category: &str,
    claimant: Claimant,
) -> CaseId {
    let draft = ClaimDraft {
        claimant: Some(claimant),
        representation: None,
        category: Some(register::CategoryCode::parse(category).unwrap()),
        incident: Some(Incident::On {
            date: date!(2022 - 03 - 14),
        }),
        location: Location {
            region: Some(RegionCode::parse("UA-32").unwrap()),
            ..Location::default()
        },
        narrative: "Shelled.".into(),
        losses: vec![Loss {
            description: "Damage".into(),
            amount: eur(85_000),
            valuation_basis: None,
        }],
        external_references: vec![],
        language: None,
        category_fields: std::collections::BTreeMap::new(),
    };
    let content = DraftContent {
        content: serde_json::to_value(&draft).unwrap(),
        sealed: None,
        columns: ClaimColumns {
            category: Some(category.into()),
            region: Some("UA-32".into()),
            totals: json!([{"amount": "85000.00", "currency": "EUR"}]),
            ..ClaimColumns::default()
        },
    };
    let store = &w.app.store;
    let ctx = c.claimant.audit(None);
    let claim = store
        .create_claim(&ctx, c.claimant.principal.account, content, None)
        .await
        .unwrap();
    let submission = Submission {
        keys: register::DuplicateKeys {
            claim: claim.id,
            claimant: None,
            category: None,
            incident: None,
            cadastral_number: None,
            external_references: vec![],
            evidence_hashes: vec![],
        },
        flags: vec![],
    };
    store
        .submit_claim(&ctx, &claim, submission, None)
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
            .change_claim(&AuditContext::system(), claim.id, None, change)
            .await
            .unwrap();
    }
    store.case_for_claim(claim.id).await.unwrap().id
}

/// The case assessed at its category's fixed sum by the world's assessor.
pub(crate) async fn assessed(w: &World, c: &Commission, case: CaseId) {
    let store = &w.app.store;
    let ctx = c.assessor.audit(None);
    let record = store
        .assign_case(&ctx, case, None, c.assessor.principal.account)
        .await
        .unwrap();
    let rule = store
        .valuation_rule(&record.category, None)
        .await
        .unwrap()
        .rule;
    let inputs = commission::AssessmentInputs {
        claimed: vec![eur(85_000)],
        quantities: std::collections::BTreeMap::new(),
        region: None,
        incident_date: date!(2022 - 03 - 14),
        submission_date: date!(2025 - 06 - 02),
        manual: None,
    };
    let assessment =
        commission::assess(&rule, &inputs, &commission::RecordedRates::default()).unwrap();
    store
        .record_assessment(&ctx, case, None, c.assessor.principal.account, &assessment)
        .await
        .unwrap();
}

/// An award at the assessed amount, proposed by the first member and
/// adopted by the first two: the decision before the Council.
pub(crate) async fn adopted(
    w: &World,
    c: &Commission,
    case: CaseId,
) -> (RecommendationId, DecisionRecord) {
    let proposal = Proposal {
        panel: c.panel,
        outcome: ProposedOutcome::Award {
            amount: None,
            variation_reasons: None,
        },
    };
    let rec = app::decisions::recommend(&w.app, &c.members[0], case, proposal)
        .await
        .unwrap();
    let id = rec.recommendation.id;
    let first = app::decisions::vote(&w.app, &c.members[0], id, VoteChoice::InFavour)
        .await
        .unwrap();
    assert!(first.decision.is_none(), "one vote of three is no majority");
    let second = app::decisions::vote(&w.app, &c.members[1], id, VoteChoice::InFavour)
        .await
        .unwrap();
    let tally = second.tally.expect("the count after the vote");
    assert_eq!((tally.in_favour, tally.majority), (2, 2));
    (id, second.decision.expect("a decision before the Council"))
}

/// Approved today by the Council, at the decision's current version.
pub(crate) async fn approve(w: &World, c: &Commission, rec: RecommendationId) -> Issued {
    let version = app::decisions::recommendation(&w.app, &c.council, rec)
        .await
        .unwrap()
        .decision
        .unwrap()
        .version;
    app::decisions::decide(
        &w.app,
        &c.council,
        rec,
        version,
        CouncilStep::Approve { decided_on: None },
        Some("C/2026/9".into()),
    )
    .await
    .unwrap()
}

/// A case of a natural person, recorded, assessed, adopted and approved.
pub(crate) async fn approved_house(w: &World, c: &Commission) -> Issued {
    let case = recorded_case(w, c, "A3.1", person_on_state_street()).await;
    assessed(w, c, case).await;
    let (rec, _) = adopted(w, c, case).await;
    approve(w, c, rec).await
}

both! {
    async fn the_commission_acts_only_once_the_convention_is_in_force(w: World) {
        let c = commission(&w).await;
        let case = recorded_case(&w, &c, "A3.1", person_on_state_street()).await;
        assessed(&w, &c, case).await;
        // The day before entry into force, no organ of the Commission acts:
        // the Council forms no panel, a panel recommends nothing.
        w.clock.set(datetime!(2026-08-31 17:00 UTC));
        let proposal = Proposal {
            panel: c.panel,
            outcome: ProposedOutcome::Award { amount: None, variation_reasons: None },
        };
        let refused = app::decisions::recommend(&w.app, &c.members[0], case, proposal).await.unwrap_err();
        assert_eq!((refused.class, refused.kind), (ErrorClass::Conflict, "commission-not-in-force"));
        assert_eq!(refused.facts["threshold"], 25);
        assert_eq!(refused.facts["projected_entry_into_force"], "2026-09-01");
        let panel = NewPanel {
            name: "Panel 2".into(),
            members: c.members.iter().map(|m| m.principal.account).collect(),
            categories: vec!["A3.1".into()],
            batches: vec![],
        };
        let refused = app::decisions::form_panel(&w.app, &c.council, panel).await.unwrap_err();
        assert_eq!(refused.kind, "commission-not-in-force");
        assert_eq!(app::decisions::all_panels(&w.app).await.unwrap().len(), 1);

        w.clock.set(datetime!(2026-09-01 09:00 UTC));
        let (rec, decision) = adopted(&w, &c, case).await;
        // The day before entry into force, the Council may not approve.
        w.clock.set(datetime!(2026-08-31 17:00 UTC));
        let refused = app::decisions::decide(&w.app, &c.council, rec, decision.version,
            CouncilStep::Approve { decided_on: None }, None).await.unwrap_err();
        assert_eq!((refused.class, refused.kind), (ErrorClass::Conflict, "commission-not-in-force"));
        let unchanged = w.app.store.decision(decision.decision.id).await.unwrap();
        assert_eq!((unchanged.version, unchanged.decision.number), (decision.version, None));
        assert!(w.app.store.awards().await.unwrap().is_empty());

        w.clock.set(datetime!(2026-09-01 09:00 UTC));
        let issued = app::decisions::decide(&w.app, &c.council, rec, decision.version,
            CouncilStep::Approve { decided_on: None }, Some("C/2026/9".into())).await.unwrap();
        let d = &issued.decision;
        assert_eq!(d.decision.number.map(|n| n.to_string()).as_deref(), Some("ICC-DEC-2026-000001"));
        assert_eq!(d.decision.decided_on, Some(date!(2026 - 09 - 01)));
        assert_eq!(d.meeting_reference.as_deref(), Some("C/2026/9"));
        let award = issued.award.expect("an award follows an award");
        assert_eq!(award.award.amount, eur(20_000));
        assert_eq!(award.award.decision, d.decision.id);
        assert_eq!(award.claimant_kind, ClaimantKind::Individual);
        assert_eq!(w.app.store.case(case).await.unwrap().status, commission::CaseStatus::Decided);
        assert_eq!(w.app.store.awards().await.unwrap().len(), 1);
        // The approval's audit entry keeps the standing the gate relied on.
        let filter = store::AuditFilter {
            target_id: Some(d.decision.id.to_string()),
            action: Some("decision.approved".into()),
            ..store::AuditFilter::default()
        };
        let entries = w.app.store.audit_entries(&filter, kernel::PageRequest::default()).await.unwrap();
        let standing = &entries.items.last().expect("an entry for the approval").summary["standing"];
        assert_eq!(standing["entry_into_force"], "2026-09-01", "{standing}");
        assert_eq!(standing["counted_consents"], 25);
        assert_eq!(standing["rule_is_assumed_reading"], true);
        assert!(standing["rule_version"].as_str().unwrap().starts_with("sha256:"));
        // The next approval takes the next number.
        let next = approved_house(&w, &c).await;
        assert_eq!(next.decision.decision.number.map(|n| n.to_string()).as_deref(), Some("ICC-DEC-2026-000002"));
    }

    async fn a_stale_or_repeated_council_step_is_refused(w: World) {
        let c = commission(&w).await;
        put_in_force(&w).await;
        let case = recorded_case(&w, &c, "A3.1", person_on_state_street()).await;
        assessed(&w, &c, case).await;
        let (rec, decision) = adopted(&w, &c, case).await;
        let approve_at = |version| app::decisions::decide(&w.app, &c.council, rec, version,
            CouncilStep::Approve { decided_on: None }, None);
        let stale = approve_at(decision.version + 1).await.unwrap_err();
        assert_eq!((stale.class, stale.kind), (ErrorClass::Stale, "precondition-failed"));
        // Returned without reasons: refused by the domain, with its code.
        let bare = app::decisions::decide(&w.app, &c.council, rec, decision.version,
            CouncilStep::ReturnToPanel { reasons: " ".into() }, None).await.unwrap_err();
        assert_eq!(bare.class, ErrorClass::Conflict);
        assert_eq!(bare.facts["code"], "reasons_required");
        let issued = approve_at(decision.version).await.unwrap();
        // A final decision is not decided again, at any version.
        let again = approve_at(issued.decision.version).await.unwrap_err();
        assert_eq!(again.class, ErrorClass::Conflict);
        assert_eq!(again.facts["code"], "decision_final");
        // A day outside the four-digit years of decision numbers is the
        // caller's mistake.
        let other = recorded_case(&w, &c, "A3.1", person_on_state_street()).await;
        assessed(&w, &c, other).await;
        let (rec, decision) = adopted(&w, &c, other).await;
        let far = app::decisions::decide(&w.app, &c.council, rec, decision.version,
            CouncilStep::Approve { decided_on: Some(date!(0999 - 01 - 01)) }, None).await.unwrap_err();
        assert_eq!((far.class, far.errors[0].field.as_str()), (ErrorClass::Invalid, "decided_on"));
        // Two meetings' lists: a stale item is refused in its place.
        let items = vec![
            app::decisions::BulkItem { recommendation: rec, expected_version: decision.version + 1,
                step: Ok(CouncilStep::Approve { decided_on: None }) },
            app::decisions::BulkItem { recommendation: rec, expected_version: decision.version,
                step: Ok(CouncilStep::Approve { decided_on: None }) },
        ];
        let out = app::decisions::decide_many(&w.app, &c.council, "C/2026/12".into(), items).await.unwrap();
        assert_eq!(out[0].result.as_ref().err().map(|e| e.class), Some(ErrorClass::Stale));
        let second = out[1].result.as_ref().unwrap();
        assert_eq!(second.decision.meeting_reference.as_deref(), Some("C/2026/12"));
        assert_eq!(second.decision.decision.number.map(|n| n.to_string()).as_deref(), Some("ICC-DEC-2026-000002"));
    }

    async fn the_claimant_kind_is_the_claimants_type_not_a_word_in_the_claim(w: World) {
        let c = commission(&w).await;
        put_in_force(&w).await;
        let mut awards = Vec::new();
        for (category, claimant, kind) in [
            ("A3.1", person_on_state_street(), ClaimantKind::Individual),
            ("B1.1", state_body(), ClaimantKind::State),
            ("C1.1", legal_entity(), ClaimantKind::LegalEntity),
        ] {
            let case = recorded_case(&w, &c, category, claimant).await;
            assessed(&w, &c, case).await;
            let (rec, _) = adopted(&w, &c, case).await;
            let award = approve(&w, &c, rec).await.award.unwrap();
            assert_eq!(award.claimant_kind, kind, "{category}");
            assert_eq!(w.app.store.award(award.award.id).await.unwrap().claimant_kind, kind);
            awards.push(award);
        }
        // The person is paid first, up to the priority amount.
        let round = app::awards::preview_round(&w.app, &c.council, eur(30_000), commission::RoundPolicy {
            priority_amount: Some(eur(10_000)),
            remainder: commission::RemainderRule::ProRata,
        }).await.unwrap();
        for award in &awards {
            let line = round.preview.lines.iter().find(|l| l.award == award.award.id).unwrap();
            assert_eq!(line.claimant_kind, award.claimant_kind);
            let priority = if award.claimant_kind == ClaimantKind::Individual { 10_000 } else { 0 };
            assert_eq!(line.priority, eur(priority), "{line:?}");
        }
    }
}
