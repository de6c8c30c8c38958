//! The engine against treaties whose dates are public.
//!
//! Deposit dates are those of the depositaries' records (Council of Europe
//! Treaty Office, UN Treaty Collection). Signature dates are not under test
//! (the engine counts deposits), so every signature is put on the day the
//! treaty opened for signature, which is the real date for some signatories
//! only.

mod common;

use common::{R, act, code, signed_and_ratified, state};
use ratification::{
    ActionKind, ConsentKind, ConventionEvent, EntryIntoForceRule, MissingCondition, PeriodRule,
    commission_may_act, evaluate, status_change,
};
use time::macros::date;

/// CETS No. 210, Article 75: "the first day of the month following the
/// expiration of a period of three months after the date on which 10
/// signatories, including at least eight member States of the Council of
/// Europe, have expressed their consent to be bound".
fn istanbul_rule() -> EntryIntoForceRule {
    EntryIntoForceRule {
        threshold: 10,
        counting_consents: [
            ConsentKind::Ratification,
            ConsentKind::Acceptance,
            ConsentKind::Approval,
        ]
        .into_iter()
        .collect(),
        organisations_count: true,
        min_council_of_europe_members: Some(8),
        requires_funding_determination: false,
        period: PeriodRule::FirstDayOfMonthAfter { months: 3 },
    }
}

/// The first ten ratifications of the Istanbul Convention, and Denmark's,
/// the day after the tenth.
const ISTANBUL_DEPOSITS: [(&str, time::Date); 11] = [
    ("TR", date!(2012 - 03 - 14)),
    ("AL", date!(2013 - 02 - 04)),
    ("PT", date!(2013 - 02 - 05)),
    ("ME", date!(2013 - 04 - 22)),
    ("IT", date!(2013 - 09 - 10)),
    ("BA", date!(2013 - 11 - 07)),
    ("AT", date!(2013 - 11 - 14)),
    ("RS", date!(2013 - 11 - 21)),
    ("ES", date!(2014 - 04 - 10)),
    ("AD", date!(2014 - 04 - 22)),
    ("DK", date!(2014 - 04 - 23)),
];

const ISTANBUL_OPENED: time::Date = date!(2011 - 05 - 11);

#[test]
fn istanbul_convention_entered_into_force_on_1_august_2014() {
    let rule = istanbul_rule();
    let participants: Vec<_> = ISTANBUL_DEPOSITS.iter().map(|(c, _)| state(c)).collect();
    let actions = signed_and_ratified(ISTANBUL_OPENED, &ISTANBUL_DEPOSITS);

    // The day before Andorra's deposit: nine, one short.
    let before = evaluate(&rule, &participants, &actions, &[], date!(2014 - 04 - 21));
    assert!(!before.in_force);
    assert_eq!(before.counted_consents, 9);
    assert_eq!(before.entry_into_force, None);
    assert_eq!(
        before.missing,
        vec![MissingCondition::Consents { needed: 1 }]
    );

    // Andorra's deposit meets the conditions; the period starts.
    let met = evaluate(&rule, &participants, &actions, &[], date!(2014 - 04 - 22));
    assert!(!met.in_force);
    assert_eq!(met.counted_consents, 10);
    assert_eq!(met.conditions_met_on, Some(date!(2014 - 04 - 22)));
    assert_eq!(met.entry_into_force, Some(date!(2014 - 08 - 01)));
    assert!(met.missing.is_empty());
    let refusal = commission_may_act(&met, date!(2014 - 07 - 31)).unwrap_err();
    assert_eq!(
        refusal.projected_entry_into_force,
        Some(date!(2014 - 08 - 01))
    );
    assert_eq!(
        status_change(&before, &met),
        Some(ConventionEvent::EntryIntoForceDateChanged {
            previous: None,
            current: Some(date!(2014 - 08 - 01))
        })
    );

    let in_force = evaluate(&rule, &participants, &actions, &[], date!(2014 - 08 - 01));
    assert!(in_force.in_force);
    assert_eq!(in_force.entry_into_force, Some(date!(2014 - 08 - 01)));
    assert_eq!(in_force.counted_consents, 11);
    assert!(commission_may_act(&in_force, date!(2014 - 08 - 01)).is_ok());
    assert_eq!(
        status_change(&met, &in_force),
        Some(ConventionEvent::EnteredIntoForce {
            on: date!(2014 - 08 - 01)
        })
    );
    // Turkey, the first to ratify, is bound from the convention's date;
    // Denmark, after the conditions were met, by its own period, which
    // happens to end the same day.
    for c in ["TR", "AD", "DK"] {
        let party = in_force.participant(&code(c)).unwrap();
        assert_eq!(party.entry_into_force, Some(date!(2014 - 08 - 01)), "{c}");
        assert_eq!(party.consent, Some(ConsentKind::Ratification));
    }
}

#[test]
fn istanbul_needs_eight_council_of_europe_members() {
    // Ten ratifications of which only seven are by member states: the
    // threshold alone does not suffice.
    let rule = istanbul_rule();
    let mut participants: Vec<_> = ISTANBUL_DEPOSITS[..7]
        .iter()
        .map(|(c, _)| state(c))
        .collect();
    participants.extend(["JP", "CA", "MX"].map(state));
    let deposits: Vec<_> = ISTANBUL_DEPOSITS[..7]
        .iter()
        .copied()
        .chain([
            ("JP", date!(2014 - 01 - 10)),
            ("CA", date!(2014 - 01 - 11)),
            ("MX", date!(2014 - 01 - 12)),
        ])
        .collect();
    let actions = signed_and_ratified(ISTANBUL_OPENED, &deposits);
    let status = evaluate(&rule, &participants, &actions, &[], date!(2015 - 01 - 01));
    assert_eq!(status.counted_consents, 10);
    assert_eq!(status.council_of_europe_members, 7);
    assert_eq!(
        status.missing,
        vec![MissingCondition::CouncilOfEuropeMembers { needed: 1 }]
    );
    assert_eq!(status.entry_into_force, None);
}

#[test]
fn a_later_party_is_bound_after_its_own_period() {
    // Constructed: a party depositing on 1 July 2014, after the conditions
    // were met, is bound from 1 November 2014 (July plus three months ends
    // in October; the first of the following month), and one depositing on
    // 31 October 2014 from 1 February 2015.
    let rule = istanbul_rule();
    let mut deposits = ISTANBUL_DEPOSITS.to_vec();
    deposits.push(("SE", date!(2014 - 07 - 01)));
    deposits.push(("MT", date!(2014 - 10 - 31)));
    let participants: Vec<_> = deposits.iter().map(|(c, _)| state(c)).collect();
    let actions = signed_and_ratified(ISTANBUL_OPENED, &deposits);
    let status = evaluate(&rule, &participants, &actions, &[], date!(2014 - 11 - 15));
    assert_eq!(status.entry_into_force, Some(date!(2014 - 08 - 01)));
    let own = |c: &str| status.participant(&code(c)).unwrap().entry_into_force;
    assert_eq!(own("SE"), Some(date!(2014 - 11 - 01)));
    assert_eq!(own("MT"), Some(date!(2015 - 02 - 01)));
}

/// The Convention on the Rights of Persons with Disabilities, Article 45:
/// "on the thirtieth day after the deposit of the twentieth instrument of
/// ratification or accession".
fn crpd_rule() -> EntryIntoForceRule {
    EntryIntoForceRule {
        threshold: 20,
        counting_consents: ConsentKind::ALL.into_iter().collect(),
        organisations_count: true,
        min_council_of_europe_members: None,
        requires_funding_determination: false,
        period: PeriodRule::DaysAfter { days: 30 },
    }
}

/// The first twenty deposits; Ecuador's, the twentieth, on 3 April 2008.
const CRPD_DEPOSITS: [(&str, time::Date); 20] = [
    ("JM", date!(2007 - 03 - 30)),
    ("HU", date!(2007 - 07 - 20)),
    ("PA", date!(2007 - 08 - 07)),
    ("HR", date!(2007 - 08 - 15)),
    ("CU", date!(2007 - 09 - 06)),
    ("GA", date!(2007 - 10 - 01)),
    ("IN", date!(2007 - 10 - 01)),
    ("BD", date!(2007 - 11 - 30)),
    ("ZA", date!(2007 - 11 - 30)),
    ("ES", date!(2007 - 12 - 03)),
    ("NA", date!(2007 - 12 - 04)),
    ("NI", date!(2007 - 12 - 07)),
    ("SV", date!(2007 - 12 - 14)),
    ("MX", date!(2007 - 12 - 17)),
    ("PE", date!(2008 - 01 - 30)),
    ("GN", date!(2008 - 02 - 08)),
    ("SM", date!(2008 - 02 - 22)),
    ("JO", date!(2008 - 03 - 31)),
    ("TN", date!(2008 - 04 - 02)),
    ("EC", date!(2008 - 04 - 03)),
];

#[test]
fn disability_convention_entered_into_force_on_3_may_2008() {
    let rule = crpd_rule();
    let opened = date!(2007 - 03 - 30);
    let mut participants: Vec<_> = CRPD_DEPOSITS.iter().map(|(c, _)| state(c)).collect();
    let mut actions = signed_and_ratified(opened, &CRPD_DEPOSITS[..19]);
    // Counted whether ratification or accession: record the twentieth as
    // an accession to prove accessions count under this rule.
    actions.push(act(
        "EC",
        ActionKind::Consent(ConsentKind::Accession),
        date!(2008 - 04 - 03),
    ));
    // A constructed later party, depositing on 14 April 2008.
    participants.push(state("EG"));
    actions.extend([
        act("EG", ActionKind::Signature, opened),
        act("EG", R, date!(2008 - 04 - 14)),
    ]);

    let before = evaluate(&rule, &participants, &actions, &[], date!(2008 - 04 - 02));
    assert_eq!(before.counted_consents, 19);
    assert_eq!(
        before.missing,
        vec![MissingCondition::Consents { needed: 1 }]
    );

    let met = evaluate(&rule, &participants, &actions, &[], date!(2008 - 04 - 03));
    assert_eq!(met.conditions_met_on, Some(date!(2008 - 04 - 03)));
    assert_eq!(met.entry_into_force, Some(date!(2008 - 05 - 03)));
    assert!(!met.in_force);

    let in_force = evaluate(&rule, &participants, &actions, &[], date!(2008 - 05 - 03));
    assert!(in_force.in_force);
    assert_eq!(in_force.counted_consents, 21);
    let own = |c: &str| in_force.participant(&code(c)).unwrap().entry_into_force;
    assert_eq!(own("JM"), Some(date!(2008 - 05 - 03)));
    assert_eq!(own("EC"), Some(date!(2008 - 05 - 03)));
    assert_eq!(own("EG"), Some(date!(2008 - 05 - 14)));
    assert!(
        in_force
            .participant(&code("EG"))
            .unwrap()
            .denounced_on
            .is_none()
    );
}

#[test]
fn under_the_istanbul_rule_accessions_do_not_count() {
    let rule = istanbul_rule();
    let participants: Vec<_> = ISTANBUL_DEPOSITS.iter().map(|(c, _)| state(c)).collect();
    let mut actions = signed_and_ratified(ISTANBUL_OPENED, &ISTANBUL_DEPOSITS[..9]);
    actions.push(act(
        "AD",
        ActionKind::Consent(ConsentKind::Accession),
        date!(2014 - 04 - 22),
    ));
    let status = evaluate(&rule, &participants, &actions, &[], date!(2015 - 01 - 01));
    assert_eq!(status.counted_consents, 9);
    assert_eq!(status.entry_into_force, None);
    assert!(!status.participant(&code("AD")).unwrap().counted);
}
