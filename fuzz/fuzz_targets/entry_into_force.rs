//! The entry-into-force engine on arbitrary records and rules: treaty
//! actions of any kind and date (corrections and withdrawals included),
//! weights and basis totals, rules with any threshold, weighted condition
//! and period form, evaluated on any day. Nothing may panic, and what it
//! reports must hold together.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use ratification::{
    ActionId, ActionKind, BasisCode, BasisTotal, ConsentKind, EntryIntoForceRule,
    EvaluationInput, FundingDetermination, FundingDeterminationId, Participant, ParticipantCode,
    PeriodRule, TotalKind, TreatyAction, Weight, WeightedCondition, evaluate, validate_action,
};
use rust_decimal::Decimal;
use time::Date;

const CODES: [&str; 10] = ["FR", "DE", "NL", "UA", "PL", "EU", "GB", "US", "IT", "MT"];

fn date(u: &mut Unstructured<'_>) -> Result<Date> {
    // Mostly around the convention's years, sometimes anywhere the
    // calendar reaches.
    let day = if u.ratio(1, 8)? {
        u.int_in_range(Date::MIN.to_julian_day()..=Date::MAX.to_julian_day())?
    } else {
        let base = time::macros::date!(2025 - 01 - 01).to_julian_day();
        base + u.int_in_range(-400..=3000)?
    };
    Ok(Date::from_julian_day(day).unwrap_or(Date::MIN))
}

fn code(u: &mut Unstructured<'_>) -> Result<ParticipantCode> {
    Ok(ParticipantCode::parse(u.choose(&CODES)?).expect("known codes"))
}

fn rule(u: &mut Unstructured<'_>) -> Result<EntryIntoForceRule> {
    let mut counting = std::collections::BTreeSet::new();
    for kind in ConsentKind::ALL {
        if u.arbitrary()? {
            counting.insert(kind);
        }
    }
    Ok(EntryIntoForceRule {
        threshold: u.int_in_range(0..=12)?,
        counting_consents: counting,
        organisations_count: u.arbitrary()?,
        min_council_of_europe_members: if u.arbitrary()? {
            Some(u.int_in_range(0..=12)?)
        } else {
            None
        },
        requires_funding_determination: u.arbitrary()?,
        weighted: if u.arbitrary()? {
            vec![WeightedCondition {
                basis: basis(),
                share: Decimal::new(u.int_in_range(1..=100)?, 2),
                total: if u.arbitrary()? {
                    TotalKind::Recorded
                } else {
                    TotalKind::AllParticipants
                },
            }]
        } else {
            Vec::new()
        },
        accession_open: u.arbitrary()?,
        period: match u.int_in_range(0..=3)? {
            0 => PeriodRule::FirstDayOfMonthAfter {
                months: u.arbitrary()?,
            },
            1 => PeriodRule::DaysAfter {
                days: u.arbitrary()?,
            },
            2 => PeriodRule::MonthsAfter {
                months: u.arbitrary()?,
            },
            _ => PeriodRule::FirstDayOfMonthAfterDays {
                days: u.arbitrary()?,
            },
        },
    })
}

fn basis() -> BasisCode {
    BasisCode::parse("rd4u-2025-budget").expect("a valid basis code")
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let rule = rule(u)?;
    let participants: Vec<Participant> = CODES[..u.int_in_range(0..=CODES.len() - 1)?]
        .iter()
        .map(|c| Participant::from_code(ParticipantCode::parse(c).expect("known"), *c))
        .collect();
    let validated = u.arbitrary::<bool>()?;
    let mut actions: Vec<TreatyAction> = Vec::new();
    for n in 0..u.int_in_range(0..=40u128)? {
        let mut action = TreatyAction::new(code(u)?, *u.choose(&ActionKind::ALL)?, date(u)?);
        action.id = ActionId::from_uuid(uuid_of(n));
        if !actions.is_empty() && u.ratio(1, 6)? {
            action.supersedes = Some(u.choose(&actions)?.id);
        }
        if !actions.is_empty() && u.ratio(1, 6)? {
            action.withdraws = Some(u.choose(&actions)?.id);
        }
        if !validated
            || validate_action(&rule, &participants, &actions, &action, action.date).is_ok()
        {
            actions.push(action);
        }
    }
    let mut determinations: Vec<FundingDetermination> = Vec::new();
    for n in 0..u.int_in_range(0..=3u128)? {
        let mut d = FundingDetermination::new(date(u)?, "sufficient");
        d.id = FundingDeterminationId::from_uuid(uuid_of(1_000 + n));
        if let Some(earlier) = determinations.last()
            && u.arbitrary()?
        {
            d = d.superseding(earlier.id);
        }
        determinations.push(d);
    }
    let mut weights: Vec<Weight> = Vec::new();
    for _ in 0..u.int_in_range(0..=12)? {
        let value = Decimal::new(u.int_in_range(-10..=1_000_000)?, u.int_in_range(0..=2)?);
        weights.push(Weight::new(code(u)?, basis(), value, "EUR", "fuzz", date(u)?));
    }
    let mut basis_totals: Vec<BasisTotal> = Vec::new();
    for _ in 0..u.int_in_range(0..=2)? {
        let value = Decimal::new(u.int_in_range(-10..=10_000_000)?, 2);
        basis_totals.push(BasisTotal::new(basis(), value, "EUR", "fuzz", date(u)?));
    }
    let input = EvaluationInput {
        participants: &participants,
        actions: &actions,
        funding_determinations: &determinations,
        weights: &weights,
        basis_totals: &basis_totals,
    };
    for _ in 0..u.int_in_range(1..=4)? {
        let today = date(u)?;
        let status = evaluate(&rule, &input, today);
        let again = evaluate(&rule, &input, today);
        assert_eq!(status, again, "the engine is a function of its inputs");
        assert_eq!(status.as_of, today);
        assert!(status.counted_consents as usize <= participants.len());
        assert!(status.council_of_europe_members <= status.counted_consents);
        if status.in_force {
            assert!(
                status.missing.is_empty(),
                "in force with conditions missing"
            );
            let eif = status.entry_into_force.expect("in force on a date");
            assert!(eif <= today, "in force before its date");
            let met = status.conditions_met_on.expect("conditions met");
            assert!(met <= eif, "in force before the conditions were met");
        }
        if let (Some(met), Some(eif)) = (status.conditions_met_on, status.entry_into_force) {
            assert!(met <= eif, "{met} after {eif}");
        }
    }
    Ok(())
}

fn uuid_of(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
