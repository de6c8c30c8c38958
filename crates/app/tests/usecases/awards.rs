//! Awards and payment rounds, without HTTP: what a payment may be, the
//! version it is recorded on, and rounds confirmed only over awards as
//! they were previewed.

use crate::decisions::{approved_house, commission, eur, put_in_force};
use app::ErrorClass;
use app::awards::NewPayment;
use commission::{AwardStatus, Payees, RemainderRule, RoundPolicy};
use store::decisions::RoundStatus;
use time::macros::date;

fn pro_rata() -> RoundPolicy {
    RoundPolicy {
        priority_amount: None,
        remainder: RemainderRule::ProRata,
    }
}

fn payment(units: i64, reference: &str) -> NewPayment {
    NewPayment {
        amount: eur(units),
        paid_on: date!(2026 - 09 - 01),
        reference: format!(" {reference} "),
    }
}

both! {
    async fn a_payment_is_recorded_on_the_version_seen_and_never_above_the_balance(w: World) {
        let c = commission(&w).await;
        put_in_force(&w).await;
        let award = approved_house(&w, &c).await.award.unwrap();
        let id = award.award.id;
        // Not payable before a round makes it so.
        let early = app::awards::record_payment(&w.app, &c.council, id, award.version, payment(100, "T-1"))
            .await.unwrap_err();
        assert_eq!((early.class, &early.facts["code"]), (ErrorClass::Conflict, &serde_json::json!("not_payable")));
        let round = app::awards::preview_round(&w.app, &c.council, eur(5_000), pro_rata()).await.unwrap();
        assert_eq!(round.preview.lines.len(), 1);
        let confirmed = app::awards::confirm_round(&w.app, &c.council, round.id).await.unwrap();
        assert_eq!(confirmed.status, RoundStatus::Confirmed);
        let award = app::awards::award(&w.app, &c.council, id).await.unwrap();
        assert_eq!(award.award.status(), AwardStatus::Payable);

        // Above the outstanding balance: refused, with its code and field.
        let over = app::awards::record_payment(&w.app, &c.council, id, award.version, payment(20_001, "R1-0001"))
            .await.unwrap_err();
        assert_eq!(over.class, ErrorClass::Invalid);
        assert_eq!(over.facts["code"], "overpayment");
        assert_eq!(over.errors[0].field, "amount");
        // On a version of the award that is not the current one: stale.
        let stale = app::awards::record_payment(&w.app, &c.council, id, award.version - 1, payment(5_000, "R1-0001"))
            .await.unwrap_err();
        assert_eq!((stale.class, stale.kind), (ErrorClass::Stale, "precondition-failed"));
        assert!(w.app.store.award(id).await.unwrap().award.payments.is_empty(), "nothing was recorded");

        let paid = app::awards::record_payment(&w.app, &c.council, id, award.version, payment(5_000, "R1-0001"))
            .await.unwrap();
        assert_eq!(paid.version, award.version + 1);
        assert_eq!(paid.award.status(), AwardStatus::PartiallyPaid);
        assert_eq!(paid.award.payments[0].reference, "R1-0001");
        assert_eq!(paid.award.outstanding().unwrap(), eur(15_000));
        // The same version again: someone else's payment came first.
        let late = app::awards::record_payment(&w.app, &c.council, id, award.version, payment(1_000, "R1-0002"))
            .await.unwrap_err();
        assert_eq!(late.class, ErrorClass::Stale);
        // Beyond what the confirmed round allotted (5,000): refused.
        let beyond = app::awards::record_payment(&w.app, &c.council, id, paid.version, payment(15_000, "R1-0002"))
            .await.unwrap_err();
        assert_eq!((beyond.class, &beyond.facts["code"]), (ErrorClass::Invalid, &serde_json::json!("exceeds_allotment")));
        assert_eq!(beyond.errors[0].field, "amount");
        // Dated after today: refused.
        let mut future = payment(1_000, "R1-0002");
        future.paid_on = w.app.clock.today() + time::Duration::days(1);
        let later = app::awards::record_payment(&w.app, &c.council, id, paid.version, future).await.unwrap_err();
        assert_eq!((later.class, later.errors[0].field.as_str(), later.errors[0].code.as_str()),
            (ErrorClass::Invalid, "paid_on", "future_date"));
        let round = app::awards::preview_round(&w.app, &c.council, eur(15_000), pro_rata()).await.unwrap();
        app::awards::confirm_round(&w.app, &c.council, round.id).await.unwrap();
        let paid = app::awards::award(&w.app, &c.council, id).await.unwrap();
        assert_eq!(paid.award.allotted, Some(eur(20_000)));
        let rest = app::awards::record_payment(&w.app, &c.council, id, paid.version, payment(15_000, "R1-0002"))
            .await.unwrap();
        assert_eq!(rest.award.status(), AwardStatus::Paid);
        let stored = w.app.store.award(id).await.unwrap();
        assert_eq!(stored.award.payments.len(), 2);
        assert_eq!(stored.award.outstanding().unwrap(), eur(0));
        let report = app::awards::report(&w.app).await.unwrap();
        let totals = &report.by_status["paid"]["EUR"];
        assert_eq!((totals.count, totals.paid), (1, eur(20_000).amount()));
    }

    async fn a_claimant_reads_the_award_on_their_claim_with_its_payments(w: World) {
        let c = commission(&w).await;
        put_in_force(&w).await;
        let award = approved_house(&w, &c).await.award.unwrap();
        let claim = award.claim_id;
        let round = app::awards::preview_round(&w.app, &c.council, eur(50_000), pro_rata()).await.unwrap();
        app::awards::confirm_round(&w.app, &c.council, round.id).await.unwrap();
        let current = app::awards::award(&w.app, &c.council, award.award.id).await.unwrap();
        app::awards::record_payment(&w.app, &c.council, award.award.id, current.version, payment(5_000, "R1-0001"))
            .await.unwrap();
        let claimant = crate::support::acting(&c.claimant, kernel::Action::ReadClaim);
        let progress = app::progress::claim_progress(&w.app, &claimant, claim).await.unwrap();
        assert_eq!(progress.stage, app::progress::Stage::PartiallyPaid);
        assert!(progress.decision.is_some_and(|d| d.decision.is_final()));
        let seen = progress.award.expect("the award");
        assert_eq!(seen.award.id, award.award.id);
        assert_eq!(seen.award.payments.len(), 1);
        assert_eq!(seen.award.status(), AwardStatus::PartiallyPaid);
        // Another claimant does not learn that the claim exists.
        let other = w.actor("Other", &[kernel::Role::Claimant], false, kernel::Action::ReadClaim).await;
        let refused = app::progress::claim_progress(&w.app, &other, claim).await.unwrap_err();
        assert_eq!(refused.class, ErrorClass::NotFound);
    }

    async fn a_round_is_confirmed_only_over_the_balances_it_previewed(w: World) {
        let c = commission(&w).await;
        put_in_force(&w).await;
        let award = approved_house(&w, &c).await.award.unwrap();
        let id = award.award.id;
        let first = app::awards::preview_round(&w.app, &c.council, eur(5_000), pro_rata()).await.unwrap();
        app::awards::confirm_round(&w.app, &c.council, first.id).await.unwrap();
        let again = app::awards::confirm_round(&w.app, &c.council, first.id).await.unwrap_err();
        assert_eq!((again.class, &again.facts["code"]), (ErrorClass::Conflict, &serde_json::json!("confirmed")));
        // Previewed, then a payment changes the balance: the preview is stale.
        let second = app::awards::preview_round(&w.app, &c.council, eur(5_000), pro_rata()).await.unwrap();
        let award = app::awards::award(&w.app, &c.council, id).await.unwrap();
        app::awards::record_payment(&w.app, &c.council, id, award.version, payment(1_000, "R1-0001")).await.unwrap();
        let stale = app::awards::confirm_round(&w.app, &c.council, second.id).await.unwrap_err();
        assert_eq!((stale.class, &stale.facts["code"]), (ErrorClass::Conflict, &serde_json::json!("stale_round")));
        assert_eq!(w.app.store.payment_round(second.id).await.unwrap().status, RoundStatus::Preview);
    }

    async fn an_unreachable_payee_holds_payments_and_rounds(w: World) {
        let c = commission(&w).await;
        put_in_force(&w).await;
        let award = approved_house(&w, &c).await.award.unwrap();
        let id = award.award.id;
        let marked = app::awards::mark_payee_unreachable(&w.app, &c.council, id, award.version).await.unwrap();
        assert_eq!(marked.award.status(), AwardStatus::PayeeUnreachable);
        let round = app::awards::preview_round(&w.app, &c.council, eur(5_000), pro_rata()).await.unwrap();
        assert!(round.preview.lines.is_empty(), "an unreachable payee is left out of a round");
        let twice = app::awards::mark_payee_unreachable(&w.app, &c.council, id, marked.version).await.unwrap_err();
        assert_eq!(twice.class, ErrorClass::Conflict);
        // Heirs' shares must sum to one; new payee details reach the payee.
        let heirs: Payees = serde_json::from_value(serde_json::json!({"payee": "heirs", "heirs": [
            {"name": "Olena K.", "share": "0.5"}, {"name": "Petro K.", "share": "0.3"}]})).unwrap();
        let new = |payees: Payees| app::awards::NewPayees { payees, bank_details: vec![] };
        let short = app::awards::set_payees(&w.app, &c.council, id, marked.version, new(heirs)).await.unwrap_err();
        assert_eq!((short.class, &short.facts["code"]), (ErrorClass::Invalid, &serde_json::json!("shares_do_not_sum_to_one")));
        let reached = app::awards::set_payees(&w.app, &c.council, id, marked.version,
            new(Payees::Representative { name: "Advokat M.".into(), account: None, bank: None })).await.unwrap();
        assert_eq!(reached.award.status(), AwardStatus::Awarded);
        let reachable = app::awards::mark_payee_reachable(&w.app, &c.council, id, reached.version).await.unwrap_err();
        assert_eq!(reachable.facts["code"], "payee_reachable");
    }
}
