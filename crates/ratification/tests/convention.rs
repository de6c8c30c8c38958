//! The convention itself: the published signatories, 25 instruments and the
//! funding condition, through validation, the engine and the go-live gate.
//!
//! Under the assumed reading the funding condition is weighted: the
//! ratifying signatories' contributions to the Register of Damage's 2025
//! budget must make half of it. Under the earlier reading, kept for
//! comparison, it is the Council's determination.

mod common;

use common::{AA, ACCESSION, R, act, code, input, state};
use ratification::{
    ActionKind, BasisCode, ConventionEvent, EntryIntoForceRule, EvaluationInput,
    FundingDetermination, MissingCondition, Participant, RD4U_2025_BUDGET, TreatyAction, Weight,
    commission_may_act, evaluate, parse_signatures, seed_basis_totals, status_change,
    validate_action, validate_weight,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::macros::date;
use time::{Date, Duration};

const SIGNATURES: &str = include_str!("data/convention-signatures.csv");

fn seeded() -> (Vec<Participant>, Vec<TreatyAction>) {
    let seed = parse_signatures(SIGNATURES).unwrap();
    (seed.participants, seed.signatures)
}

/// The 24 states listed first each ratify a week apart from 2 March 2026
/// (the last on 10 August); the EU approves on 15 September, the 25th
/// instrument. Japan, not a signatory, accedes. Every entry goes through
/// validation on its own date.
fn record_with_25_instruments() -> (Vec<Participant>, Vec<TreatyAction>) {
    let (mut participants, mut record) = seeded();
    participants.push(state("JP"));
    let states: Vec<_> = participants
        .iter()
        .filter(|p| !p.code.is_european_union())
        .take(24)
        .map(|p| p.code)
        .collect();
    let mut new: Vec<TreatyAction> = states
        .iter()
        .zip(0..)
        .map(|(c, i)| TreatyAction::new(*c, R, date!(2026 - 03 - 02) + Duration::weeks(i)))
        .collect();
    new.push(act("EU", AA, date!(2026 - 09 - 15)));
    new.push(act("JP", ACCESSION, date!(2026 - 09 - 20)));
    for action in new {
        validate_action(
            &EntryIntoForceRule::convention_default(),
            &participants,
            &record,
            &action,
            action.date,
        )
        .unwrap();
        record.push(action);
    }
    (participants, record)
}

#[test]
fn the_seed_has_36_signatories_of_which_one_organisation() {
    let (participants, signatures) = seeded();
    assert_eq!(participants.len(), 36);
    assert_eq!(signatures.len(), 36);
    let eu = participants
        .iter()
        .find(|p| p.code.is_european_union())
        .unwrap();
    assert_eq!(eu.kind, ratification::ParticipantKind::Organisation);
    assert!(!eu.council_of_europe_member);
    let greece = signatures
        .iter()
        .find(|s| s.participant == code("GR"))
        .unwrap();
    assert_eq!(greece.date, date!(2025 - 12 - 19));
    // All signatories but the EU are Council of Europe members.
    assert_eq!(
        participants
            .iter()
            .filter(|p| p.council_of_europe_member)
            .count(),
        35
    );
}

#[test]
fn the_shared_data_file_matches_the_test_copy() {
    // The repository's own copy keeps the tests independent of the shared
    // folder; where that folder is present, the two must not drift.
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/convention-signatures.csv"
    );
    if let Ok(text) = std::fs::read_to_string(shared) {
        let ours = parse_signatures(SIGNATURES).unwrap().participants;
        assert_eq!(parse_signatures(&text).unwrap().participants, ours);
    }
}

/// A contribution to the 2025 budget, recorded on 15 January 2026. The
/// amounts in these tests are made up: the real contributions are not
/// published.
fn contribution(c: &str, euros: Decimal) -> Weight {
    Weight::new(
        code(c),
        BasisCode::parse(RD4U_2025_BUDGET).unwrap(),
        euros,
        "EUR",
        "Register of Damage, 2025 contributions (constructed for the test)",
        date!(2026 - 01 - 15),
    )
}

/// EUR 100,000 from each of the 24 first states, EUR 1,000,000 from the
/// EU, EUR 500,000 from Greece (which has not ratified) and EUR 2,000,000
/// from Japan (which accedes, so is not counted): EUR 3,400,000 counted
/// once all 25 have deposited, EUR 292,150 short of half the budget.
fn contributions(participants: &[Participant]) -> Vec<Weight> {
    let totals = seed_basis_totals();
    let rule = EntryIntoForceRule::convention_default();
    let mut weights: Vec<Weight> = Vec::new();
    let mut all: Vec<Weight> = participants
        .iter()
        .filter(|p| !p.code.is_european_union())
        .take(24)
        .map(|p| contribution(p.code.as_str(), dec!(100000.00)))
        .collect();
    all.push(contribution("EU", dec!(1000000.00)));
    all.push(contribution("GR", dec!(500000.00)));
    all.push(contribution("JP", dec!(2000000.00)));
    for weight in all {
        validate_weight(&rule, participants, &totals, &weights, &weight, weight.date).unwrap();
        weights.push(weight);
    }
    weights
}

#[test]
fn enters_into_force_once_25_signatories_carry_half_of_the_2025_budget() {
    let rule = EntryIntoForceRule::convention_default();
    let (participants, mut record) = record_with_25_instruments();
    let weights = contributions(&participants);
    let totals = seed_basis_totals();
    let on = |record: &[TreatyAction], day: Date| {
        evaluate(
            &rule,
            &EvaluationInput {
                participants: &participants,
                actions: record,
                weights: &weights,
                basis_totals: &totals,
                ..EvaluationInput::default()
            },
            day,
        )
    };

    // 25 instruments, but EUR 3,400,000 of the EUR 3,692,150 needed.
    let short = on(&record, date!(2026 - 10 - 01));
    assert_eq!(short.counted_consents, 25);
    assert_eq!(
        short.missing,
        vec![MissingCondition::Weighted {
            basis: BasisCode::parse(RD4U_2025_BUDGET).unwrap(),
            needed: dec!(292150.00)
        }]
    );
    let budget = &short.weighted[0];
    assert_eq!(budget.counted, dec!(3400000.00));
    assert_eq!(budget.total, Some(dec!(7384300.00)));
    assert!(budget.total_assumed);
    assert_eq!(budget.share_reached, Some(dec!(0.4604)));
    let refusal = commission_may_act(&short, date!(2026 - 10 - 01)).unwrap_err();
    assert_eq!(
        serde_json::to_value(&refusal).unwrap()["missing"],
        serde_json::json!([
            {"condition": "weighted", "basis": "rd4u-2025-budget", "needed": "292150.00"}
        ])
    );

    // Greece ratifies on 30 November: its EUR 500,000 now counts, and no
    // determination by the Council is waited for.
    let greece = act("GR", R, date!(2026 - 11 - 30));
    validate_action(&rule, &participants, &record, &greece, greece.date).unwrap();
    record.push(greece);
    let met = on(&record, date!(2026 - 12 - 01));
    assert_eq!(met.conditions_met_on, Some(date!(2026 - 11 - 30)));
    assert_eq!(met.entry_into_force, Some(date!(2027 - 03 - 01)));
    assert!(met.missing.is_empty());
    assert!(met.weighted[0].met);
    assert_eq!(met.weighted[0].counted, dec!(3900000.00));
    assert_eq!(met.funding_determined_on, None);

    let in_force = on(&record, date!(2027 - 03 - 01));
    assert!(in_force.in_force);
    assert!(commission_may_act(&in_force, date!(2027 - 03 - 01)).is_ok());
    // Japan's accession made it a party from the same date, though its
    // contribution never counted toward the share.
    let japan = in_force.participant(&code("JP")).unwrap();
    assert!(!japan.counted);
    assert_eq!(japan.entry_into_force, Some(date!(2027 - 03 - 01)));
}

#[test]
fn a_contribution_recorded_late_starts_the_period_late() {
    // Everyone's figure is known except the EU's, recorded only on
    // 5 October 2026, after the 25th instrument (15 September).
    let rule = EntryIntoForceRule::convention_default();
    let (participants, record) = record_with_25_instruments();
    let mut weights = contributions(&participants);
    let eu = weights
        .iter()
        .position(|w| w.participant.is_european_union())
        .unwrap();
    weights[eu].value = dec!(1300000.00);
    weights[eu].date = date!(2026 - 10 - 05);
    let totals = seed_basis_totals();
    let status = evaluate(
        &rule,
        &EvaluationInput {
            participants: &participants,
            actions: &record,
            weights: &weights,
            basis_totals: &totals,
            ..EvaluationInput::default()
        },
        date!(2026 - 12 - 01),
    );
    // 24 × 100,000 + 1,300,000 = 3,700,000, enough from 5 October.
    assert_eq!(status.conditions_met_on, Some(date!(2026 - 10 - 05)));
    assert_eq!(status.entry_into_force, Some(date!(2027 - 02 - 01)));
}

#[test]
fn without_the_budget_total_the_share_cannot_be_reached() {
    let rule = EntryIntoForceRule::convention_default();
    let (participants, record) = record_with_25_instruments();
    let weights = contributions(&participants);
    let status = evaluate(
        &rule,
        &EvaluationInput {
            participants: &participants,
            actions: &record,
            weights: &weights,
            ..EvaluationInput::default()
        },
        date!(2026 - 12 - 01),
    );
    assert_eq!(
        status.missing,
        vec![MissingCondition::BasisTotal {
            basis: BasisCode::parse(RD4U_2025_BUDGET).unwrap()
        }]
    );
}

#[test]
fn under_the_council_reading_25_instruments_wait_for_the_determination() {
    let rule = EntryIntoForceRule::council_determination_reading();
    let (participants, record) = record_with_25_instruments();
    let funding = [FundingDetermination::new(
        date!(2026 - 10 - 20),
        "Financial commitments sufficient for the Commission's initial work",
    )];

    // After the 25th instrument, before the determination.
    let waiting = evaluate(
        &rule,
        &input(&participants, &record, &funding),
        date!(2026 - 10 - 01),
    );
    assert_eq!(waiting.counted_consents, 25);
    assert_eq!(
        waiting.missing,
        vec![MissingCondition::FundingDetermination]
    );
    assert_eq!(waiting.entry_into_force, None);
    let refusal = commission_may_act(&waiting, date!(2026 - 10 - 01)).unwrap_err();
    assert_eq!(refusal.counted_consents, 25);
    assert_eq!(refusal.threshold, 25);
    assert_eq!(
        refusal.missing,
        vec![MissingCondition::FundingDetermination]
    );
    assert_eq!(refusal.code(), "commission_not_in_force");
    let problem = serde_json::to_value(&refusal).unwrap();
    assert_eq!(
        problem,
        serde_json::json!({
            "counted_consents": 25,
            "threshold": 25,
            "missing": [{"condition": "funding_determination"}],
            "projected_entry_into_force": null
        })
    );

    // The determination on 20 October meets the conditions: three months
    // end in January, so the convention enters into force on 1 February.
    let met = evaluate(
        &rule,
        &input(&participants, &record, &funding),
        date!(2026 - 12 - 01),
    );
    assert_eq!(met.conditions_met_on, Some(date!(2026 - 10 - 20)));
    assert_eq!(met.entry_into_force, Some(date!(2027 - 02 - 01)));
    assert!(!met.in_force);
    assert!(met.missing.is_empty());
    let refusal = commission_may_act(&met, date!(2027 - 01 - 31)).unwrap_err();
    assert_eq!(
        refusal.projected_entry_into_force,
        Some(date!(2027 - 02 - 01))
    );
    // A status cached in December opens the gate on the projected day.
    assert!(commission_may_act(&met, date!(2027 - 02 - 01)).is_ok());

    let in_force = evaluate(
        &rule,
        &input(&participants, &record, &funding),
        date!(2027 - 02 - 01),
    );
    assert!(in_force.in_force);
    assert!(commission_may_act(&in_force, date!(2027 - 02 - 01)).is_ok());
    assert_eq!(
        status_change(&met, &in_force),
        Some(ConventionEvent::EnteredIntoForce {
            on: date!(2027 - 02 - 01)
        })
    );
    assert_eq!(status_change(&in_force, &in_force), None);

    // Japan acceded before the conditions were met: not counted toward the
    // 25, but bound from the same date. Greece signed but has not ratified.
    let japan = in_force.participant(&code("JP")).unwrap();
    assert!(!japan.counted);
    assert_eq!(japan.entry_into_force, Some(date!(2027 - 02 - 01)));
    let greece = in_force.participant(&code("GR")).unwrap();
    assert_eq!(greece.signed_on, Some(date!(2025 - 12 - 19)));
    assert_eq!(greece.consent, None);
    assert_eq!(greece.entry_into_force, None);
}

#[test]
fn under_the_council_reading_an_early_determination_dates_from_the_25th_instrument() {
    let rule = EntryIntoForceRule::council_determination_reading();
    let (participants, record) = record_with_25_instruments();
    let funding = [FundingDetermination::new(
        date!(2026 - 06 - 01),
        "sufficient",
    )];
    let status = evaluate(
        &rule,
        &input(&participants, &record, &funding),
        date!(2027 - 06 - 01),
    );
    assert_eq!(status.conditions_met_on, Some(date!(2026 - 09 - 15)));
    assert_eq!(status.entry_into_force, Some(date!(2027 - 01 - 01)));
    assert!(status.in_force);
}

#[test]
fn if_the_eu_does_not_count_a_26th_instrument_is_needed() {
    let rule = EntryIntoForceRule {
        organisations_count: false,
        ..EntryIntoForceRule::council_determination_reading()
    };
    let (participants, mut record) = record_with_25_instruments();
    let funding = [FundingDetermination::new(
        date!(2026 - 10 - 20),
        "sufficient",
    )];
    let today = date!(2026 - 12 - 01);
    let status = evaluate(&rule, &input(&participants, &record, &funding), today);
    assert_eq!(status.counted_consents, 24);
    assert_eq!(
        status.missing,
        vec![MissingCondition::Consents { needed: 1 }]
    );
    assert!(!status.participant(&code("EU")).unwrap().counted);

    let greece = act("GR", R, date!(2026 - 11 - 30));
    validate_action(
        &EntryIntoForceRule::convention_default(),
        &participants,
        &record,
        &greece,
        today,
    )
    .unwrap();
    record.push(greece);
    let status = evaluate(&rule, &input(&participants, &record, &funding), today);
    assert_eq!(status.conditions_met_on, Some(date!(2026 - 11 - 30)));
    assert_eq!(status.entry_into_force, Some(date!(2027 - 03 - 01)));
}

#[test]
fn a_denunciation_before_entry_into_force_lets_the_pending_date_lapse() {
    let rule = EntryIntoForceRule::council_determination_reading();
    let (participants, mut record) = record_with_25_instruments();
    let funding = [FundingDetermination::new(
        date!(2026 - 10 - 20),
        "sufficient",
    )];
    let before = evaluate(
        &rule,
        &input(&participants, &record, &funding),
        date!(2026 - 12 - 01),
    );

    let withdrawal = act("AT", ActionKind::Denunciation, date!(2026 - 11 - 10));
    validate_action(
        &EntryIntoForceRule::convention_default(),
        &participants,
        &record,
        &withdrawal,
        date!(2026 - 12 - 01),
    )
    .unwrap();
    record.push(withdrawal);
    let after = evaluate(
        &rule,
        &input(&participants, &record, &funding),
        date!(2026 - 12 - 01),
    );
    assert_eq!(after.counted_consents, 24);
    assert_eq!(after.entry_into_force, None);
    assert_eq!(
        after.missing,
        vec![MissingCondition::Consents { needed: 1 }]
    );
    assert_eq!(
        after.participant(&code("AT")).unwrap().denounced_on,
        Some(date!(2026 - 11 - 10))
    );
    assert_eq!(
        status_change(&before, &after),
        Some(ConventionEvent::EntryIntoForceDateChanged {
            previous: Some(date!(2027 - 02 - 01)),
            current: None
        })
    );

    // Greece's ratification restores the count; the period starts again.
    let greece = act("GR", R, date!(2026 - 12 - 01));
    validate_action(
        &EntryIntoForceRule::convention_default(),
        &participants,
        &record,
        &greece,
        date!(2026 - 12 - 01),
    )
    .unwrap();
    record.push(greece);
    let again = evaluate(
        &rule,
        &input(&participants, &record, &funding),
        date!(2026 - 12 - 01),
    );
    assert_eq!(again.conditions_met_on, Some(date!(2026 - 12 - 01)));
    assert_eq!(again.entry_into_force, Some(date!(2027 - 04 - 01)));
    // Austria withdrew before being bound, so it never is.
    assert_eq!(
        again.participant(&code("AT")).unwrap().entry_into_force,
        None
    );
}

#[test]
fn a_corrected_funding_determination_moves_the_date() {
    let rule = EntryIntoForceRule::council_determination_reading();
    let (participants, record) = record_with_25_instruments();
    let first = FundingDetermination::new(date!(2026 - 10 - 20), "sufficient");
    let fixed = FundingDetermination::new(date!(2026 - 11 - 02), "sufficient (date corrected)")
        .superseding(first.id);
    let status = evaluate(
        &rule,
        &input(&participants, &record, &[first, fixed]),
        date!(2027 - 06 - 01),
    );
    assert_eq!(status.conditions_met_on, Some(date!(2026 - 11 - 02)));
    assert_eq!(status.entry_into_force, Some(date!(2027 - 03 - 01)));
}

#[test]
fn status_serializes_for_the_api() {
    let rule = EntryIntoForceRule::convention_default();
    let (participants, record) = seeded();
    let totals = seed_basis_totals();
    let status = evaluate(
        &rule,
        &EvaluationInput {
            basis_totals: &totals,
            ..input(&participants, &record, &[])
        },
        date!(2026 - 01 - 15),
    );
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["as_of"], "2026-01-15");
    assert_eq!(json["in_force"], false);
    assert_eq!(json["entry_into_force"], serde_json::Value::Null);
    assert_eq!(
        json["missing"],
        serde_json::json!([
            {"condition": "consents", "needed": 25},
            {"condition": "weighted", "basis": "rd4u-2025-budget", "needed": "3692150.00"}
        ])
    );
    assert_eq!(
        json["weighted"],
        serde_json::json!([{
            "basis": "rd4u-2025-budget",
            "share": "0.5",
            "total_kind": "recorded",
            "counted": "0",
            "total": "7384300.00",
            "unit": "EUR",
            "total_assumed": true,
            "share_reached": "0.0000",
            "needed": "3692150.00",
            "met": false
        }])
    );
    let andorra = &json["participants"][0];
    assert_eq!(andorra["code"], "AD");
    assert_eq!(andorra["signed_on"], "2025-12-16");
    assert_eq!(andorra["consent"], serde_json::Value::Null);
    let back: ratification::ConventionStatus = serde_json::from_value(json).unwrap();
    assert_eq!(back, status);
}

#[test]
fn tracker_flags_reflect_effective_entries() {
    let rule = EntryIntoForceRule::convention_default();
    let (participants, mut record) = seeded();
    let today: Date = date!(2026 - 06 - 01);
    let reservation = act("FR", ActionKind::Reservation, date!(2026 - 03 - 01));
    let steps = [
        act("FR", R, date!(2026 - 03 - 01)),
        reservation.clone(),
        act("FR", ActionKind::Declaration, date!(2026 - 03 - 01)),
        act("NL", R, date!(2026 - 03 - 01)),
        act(
            "NL",
            ActionKind::TerritorialApplication,
            date!(2026 - 03 - 01),
        ),
        act(
            "FR",
            ActionKind::ReservationWithdrawal,
            date!(2026 - 05 - 01),
        )
        .withdrawing(reservation.id),
    ];
    for step in steps {
        validate_action(
            &EntryIntoForceRule::convention_default(),
            &participants,
            &record,
            &step,
            today,
        )
        .unwrap();
        record.push(step);
    }
    let on = |day: Date, c: &str| {
        evaluate(&rule, &input(&participants, &record, &[]), day)
            .participant(&code(c))
            .cloned()
            .unwrap()
    };
    let france_in_april = on(date!(2026 - 04 - 01), "FR");
    assert!(france_in_april.reservations && france_in_april.declarations);
    let france_in_may = on(date!(2026 - 05 - 01), "FR");
    assert!(!france_in_may.reservations && france_in_may.declarations);
    assert!(on(today, "NL").territorial_application);
}
