//! The Register's use cases: filing, submission, review, the Board's
//! decision, who may see a claim, and the audit trail of each step.

use crate::support::{World, acting};
use app::claims::{self, BoardOutcome, ListParams};
use app::{Actor, ErrorClass};
use kernel::{Action, Currency, Money, PageRequest, Role};
use register::{
    ClaimDraft, ClaimStatus, Claimant, Contact, CountryCode, Incident, Location, Loss,
    NaturalPerson, RegionCode, Rnokpp,
};
use rust_decimal::Decimal;
use serde_json::json;
use store::AuditFilter;
use time::macros::date;

/// A complete, eligible claim for a destroyed house (A3.1).
fn house() -> ClaimDraft {
    ClaimDraft {
        claimant: Some(Claimant::NaturalPerson(NaturalPerson {
            given_name: "Олена".into(),
            family_name: "Коваленко".into(),
            patronymic: Some("Петрівна".into()),
            date_of_birth: Some(date!(1980 - 05 - 17)),
            tax_number: Some(Rnokpp::parse("3184710691").unwrap()),
            nationalities: vec![CountryCode::ukraine()],
            contact: Contact {
                email: Some("olena@example.ua".into()),
                phone: None,
                address: None,
            },
        })),
        representation: None,
        category: Some(register::CategoryCode::parse("A3.1").unwrap()),
        incident: Some(Incident::On {
            date: date!(2022 - 03 - 14),
        }),
        location: Location {
            region: Some(RegionCode::parse("UA-32").unwrap()),
            settlement: Some("Ірпінь".into()),
            address: Some("вул. Університетська 1".into()),
            cadastral_number: Some("3210900000:01:001:0001".parse().unwrap()),
            occupied_territory: true,
            country: None,
        },
        narrative: "The house was hit by artillery and burned down.".into(),
        losses: vec![Loss {
            description: "House".into(),
            amount: Money::new(Decimal::new(8_500_000, 2), Currency::EUR),
            valuation_basis: Some("valuation report".into()),
        }],
        external_references: vec![],
        language: None,
        category_fields: [
            ("property_type", json!("house")),
            ("floor_area_m2", json!("112.5")),
            (
                "ownership_document",
                json!("Certificate of ownership 45/2010"),
            ),
            ("damage_extent", json!("destroyed")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    }
}

/// A claim of a sensitive category (A2.4): need-to-know applies.
fn sensitive() -> ClaimDraft {
    let mut draft = house();
    draft.category = Some(register::CategoryCode::parse("A2.4").unwrap());
    draft.category_fields.clear();
    draft
}

async fn claimant(w: &World, name: &str) -> Actor {
    w.actor(name, &[Role::Claimant], false, Action::CreateClaim)
        .await
}

/// Files and submits a claim as `who`.
async fn submitted(w: &World, who: &Actor, draft: ClaimDraft) -> store::claims::ClaimRecord {
    let filed = claims::file(&w.app, who, draft, None).await.unwrap();
    claims::submit(
        &w.app,
        &acting(who, Action::FileClaim),
        filed.id,
        None,
        None,
    )
    .await
    .unwrap()
}

async fn audit_actions(w: &World, id: register::ClaimId) -> Vec<store::AuditEntry> {
    let auditor = w
        .actor("Auditor", &[Role::Auditor], true, Action::ReadAuditLog)
        .await;
    let filter = AuditFilter {
        target_id: Some(id.to_string()),
        ..AuditFilter::default()
    };
    app::audit::entries(&w.app, &auditor, &filter, PageRequest::new(Some(500), None))
        .await
        .unwrap()
        .items
}

both! {
    async fn a_claim_goes_from_draft_to_recorded_and_every_step_is_on_record(w: World) {
        let olena = claimant(&w, "Olena").await;
        let filed = claims::file(&w.app, &olena, house(), None).await.unwrap();
        assert_eq!((filed.status, filed.reference.as_deref()), (ClaimStatus::Draft, None));

        let filer = acting(&olena, Action::FileClaim);
        let stale = claims::submit(&w.app, &filer, filed.id, Some(filed.version + 1), None).await;
        assert_eq!(stale.err().map(|e| e.class), Some(ErrorClass::Stale));
        let submitted = claims::submit(&w.app, &filer, filed.id, Some(filed.version), None).await.unwrap();
        assert_eq!(submitted.status, ClaimStatus::Submitted);
        assert!(submitted.reference.is_some());

        let registrar = w.actor("Registrar", &[Role::Registrar], false, Action::ReviewClaim).await;
        claims::start_review(&w.app, &registrar, filed.id).await.unwrap();
        let recommended = claims::recommend(
            &w.app, &registrar, filed.id, BoardOutcome::Recorded, "Eligible and complete.",
        ).await.unwrap();
        assert!(recommended.recommendation.is_some());

        let board = w.actor("Board", &[Role::Board], false, Action::DecideClaim).await;
        let blank = claims::decide(&w.app, &board, filed.id, None, BoardOutcome::Recorded, "  ").await;
        assert_eq!(blank.err().map(|e| (e.class, e.errors[0].field.clone())),
            Some((ErrorClass::Invalid, "reasons".to_owned())));
        let recorded = claims::decide(
            &w.app, &board, filed.id, Some(recommended.version), BoardOutcome::Recorded,
            "Recorded as recommended.",
        ).await.unwrap();
        assert_eq!(recorded.status, ClaimStatus::Recorded);
        assert!(recorded.decided_at.is_some());

        // Who, what and why of every change, in order.
        let entries = audit_actions(&w, filed.id).await;
        let by = |action: &str| entries.iter().find(|e| e.action == action)
            .unwrap_or_else(|| panic!("no {action} in {:?}", entries.iter().map(|e| &e.action).collect::<Vec<_>>()));
        assert_eq!(by("claim.submitted").actor, Some(olena.principal.account));
        assert_eq!(by("claim.review_started").actor, Some(registrar.principal.account));
        assert_eq!(by("claim.recommended").actor, Some(registrar.principal.account));
        let decided = entries.last().unwrap();
        assert_eq!(decided.actor, Some(board.principal.account));
        assert_eq!(decided.actor_role.as_deref(), Some("board"));
        assert_eq!(decided.reason.as_deref(), Some("Recorded as recommended."));

        // The claimant's history leaves out the secretariat's advice to the
        // Board and who on the staff did what.
        let reader = acting(&olena, Action::ReadClaim);
        let theirs = claims::history(&w.app, &reader, filed.id).await.unwrap();
        let staff = claims::history(&w.app, &acting(&registrar, Action::ReadClaim), filed.id).await.unwrap();
        assert!(staff.iter().any(|s| s.action == "claim.recommended"));
        assert!(!theirs.iter().any(|s| s.action == "claim.recommended"));
        assert!(theirs.iter().all(|s| s.actor.is_none() || s.actor == Some(olena.principal.account)));
        assert_eq!(theirs.last().unwrap().to.as_deref(), Some("recorded"));
    }

    async fn a_claimant_learns_nothing_of_another_claimants_claim(w: World) {
        let olena = claimant(&w, "Olena").await;
        let petro = claimant(&w, "Petro").await;
        let hers = submitted(&w, &olena, house()).await;

        for action in [Action::ReadClaim, Action::FileClaim] {
            let petro = acting(&petro, action);
            let seen = claims::visible(&w.app, &petro, hers.id).await;
            assert_eq!(seen.err().map(|e| e.class), Some(ErrorClass::NotFound));
        }
        let filer = acting(&petro, Action::FileClaim);
        let withdrawn = claims::withdraw(&w.app, &filer, hers.id, Some("mine now".into())).await;
        assert_eq!(withdrawn.err().map(|e| e.class), Some(ErrorClass::NotFound));
        let answered = claims::respond(&w.app, &filer, hers.id, "Here it is.").await;
        assert_eq!(answered.err().map(|e| e.class), Some(ErrorClass::NotFound));

        let everything = claims::filter(&ListParams::default()).unwrap();
        let page = PageRequest::new(None, None);
        let his = claims::list(&w.app, &acting(&petro, Action::ListClaims), &everything, page).await.unwrap();
        assert!(his.items.is_empty());
        let her_list = claims::list(&w.app, &acting(&olena, Action::ListClaims), &everything, page).await.unwrap();
        assert_eq!(her_list.items.len(), 1);
        // Nothing of Petro's attempts changed her claim.
        let now = claims::visible(&w.app, &acting(&olena, Action::ReadClaim), hers.id).await.unwrap();
        assert_eq!((now.status, now.version), (ClaimStatus::Submitted, hers.version));
    }

    async fn a_sensitive_claim_is_hidden_from_staff_without_the_clearance_and_each_read_is_on_record(w: World) {
        let olena = claimant(&w, "Olena").await;
        let claim = submitted(&w, &olena, sensitive()).await;
        assert!(claim.sensitive);

        let uncleared = w.actor("Registrar", &[Role::Registrar], false, Action::ReadClaim).await;
        let refused = claims::visible(&w.app, &uncleared, claim.id).await;
        assert_eq!(refused.err().map(|e| e.class), Some(ErrorClass::NotFound));
        let everything = claims::filter(&ListParams::default()).unwrap();
        let listed = claims::list(&w.app, &acting(&uncleared, Action::ListClaims), &everything, PageRequest::new(None, None)).await.unwrap();
        assert!(listed.items.iter().all(|c| c.id != claim.id));
        let review = claims::start_review(&w.app, &acting(&uncleared, Action::ReviewClaim), claim.id).await;
        assert_eq!(review.err().map(|e| e.class), Some(ErrorClass::NotFound));

        let cleared = w.actor("Cleared registrar", &[Role::Registrar], true, Action::ReadClaim).await;
        claims::visible(&w.app, &cleared, claim.id).await.unwrap();
        let listed = claims::list(&w.app, &acting(&cleared, Action::ListClaims), &everything, PageRequest::new(None, None)).await.unwrap();
        assert!(listed.items.iter().any(|c| c.id == claim.id));

        let reads: Vec<_> = audit_actions(&w, claim.id).await.into_iter()
            .filter(|e| e.action == "claim.read").collect();
        assert_eq!(reads.len(), 1, "{reads:?}");
        assert_eq!(reads[0].actor, Some(cleared.principal.account));
        // Her own reads of her own claim are not.
        claims::visible(&w.app, &acting(&olena, Action::ReadClaim), claim.id).await.unwrap();
        let reads = audit_actions(&w, claim.id).await.into_iter().filter(|e| e.action == "claim.read").count();
        assert_eq!(reads, 1);
    }

    async fn a_withdrawn_claim_is_not_decided(w: World) {
        let olena = claimant(&w, "Olena").await;
        let claim = submitted(&w, &olena, house()).await;
        let withdrawn = claims::withdraw(&w.app, &acting(&olena, Action::FileClaim), claim.id, Some("Settled privately.".into())).await.unwrap();
        assert_eq!(withdrawn.status, ClaimStatus::Withdrawn);
        let board = w.actor("Board", &[Role::Board], false, Action::DecideClaim).await;
        let refused = claims::decide(&w.app, &board, claim.id, None, BoardOutcome::Recorded, "Recorded.").await.unwrap_err();
        assert_eq!(refused.class, ErrorClass::Conflict);
        assert_eq!(refused.facts.get("current_status"), Some(&json!("withdrawn")));
        let after = claims::visible(&w.app, &acting(&olena, Action::ReadClaim), claim.id).await.unwrap();
        assert_eq!((after.status, after.version), (ClaimStatus::Withdrawn, withdrawn.version));
    }
}
