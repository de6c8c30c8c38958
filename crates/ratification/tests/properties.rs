//! Properties of the entry-into-force engine over generated records.

mod common;

use common::{act, state};
use proptest::prelude::*;
use ratification::{
    ActionKind, BasisCode, BasisTotal, ConsentKind, ConventionStatus, EntryIntoForceRule,
    EvaluationInput, FundingDetermination, Participant, PeriodRule, TotalKind, TreatyAction,
    Weight, WeightedCondition, evaluate,
};
use rust_decimal::Decimal;
use time::{Date, Duration};

const BASE: Date = time::macros::date!(2026 - 01 - 01);

/// Council of Europe members, non-members and the EU, so every counting
/// switch of the rule has something to act on.
const CODES: [&str; 12] = [
    "UA", "FR", "DE", "PL", "IT", "ES", "NL", "JP", "CA", "AU", "US", "EU",
];

/// The bases weighted conditions may be on.
const BASES: [&str; 2] = ["tonnage", "budget"];

fn basis(i: usize) -> BasisCode {
    BasisCode::parse(BASES[i]).unwrap()
}

fn day(offset: i64) -> Date {
    BASE + Duration::days(offset)
}

/// One participant's history: signature offset, then an optional consent
/// (kind, days after the signature) and an optional denunciation (days
/// after the consent).
type History = (i64, Option<(ConsentKind, i64, Option<i64>)>);

fn consent_kind() -> impl Strategy<Value = ConsentKind> {
    prop::sample::select(ConsentKind::ALL.to_vec())
}

fn history() -> impl Strategy<Value = History> {
    (
        0_i64..400,
        prop::option::weighted(
            0.8,
            (
                consent_kind(),
                0_i64..400,
                prop::option::weighted(0.2, 1_i64..400),
            ),
        ),
    )
}

fn rule() -> impl Strategy<Value = EntryIntoForceRule> {
    (
        1_u32..9,
        prop::collection::btree_set(consent_kind(), 1..=4),
        any::<bool>(),
        prop::option::of(0_u32..5),
        any::<bool>(),
        period(),
        weighted_conditions(),
    )
        .prop_map(
            |(
                threshold,
                counting_consents,
                organisations_count,
                coe,
                funding,
                period,
                weighted,
            )| {
                EntryIntoForceRule {
                    threshold,
                    counting_consents,
                    organisations_count,
                    min_council_of_europe_members: coe,
                    requires_funding_determination: funding,
                    weighted,
                    accession_open: true,
                    period,
                }
            },
        )
}

fn period() -> impl Strategy<Value = PeriodRule> {
    prop_oneof![
        (0_u32..7).prop_map(|months| PeriodRule::FirstDayOfMonthAfter { months }),
        (0_u32..120).prop_map(|days| PeriodRule::DaysAfter { days }),
        (1_u32..25).prop_map(|months| PeriodRule::MonthsAfter { months }),
        (1_u32..120).prop_map(|days| PeriodRule::FirstDayOfMonthAfterDays { days }),
    ]
}

/// None, one or two weighted conditions, each with a share in whole per
/// cent and either kind of total.
fn weighted_conditions() -> impl Strategy<Value = Vec<WeightedCondition>> {
    prop::collection::vec((1_i64..=60, any::<bool>()), 0..=BASES.len()).prop_map(|conditions| {
        conditions
            .into_iter()
            .enumerate()
            .map(|(i, (percent, of_all))| WeightedCondition {
                basis: basis(i),
                share: Decimal::new(percent, 2),
                total: if of_all {
                    TotalKind::AllParticipants
                } else {
                    TotalKind::Recorded
                },
            })
            .collect()
    })
}

fn weight(code: &str, basis_index: usize, value: i64, date: Date) -> Weight {
    Weight::new(
        common::code(code),
        basis(basis_index),
        Decimal::new(value, 1),
        "u",
        "generated",
        date,
    )
}

fn total(basis_index: usize, value: i64, date: Date) -> BasisTotal {
    BasisTotal::new(
        basis(basis_index),
        Decimal::new(value, 1),
        "u",
        "generated",
        date,
    )
}

#[derive(Clone, Debug)]
struct Case {
    rule: EntryIntoForceRule,
    participants: Vec<Participant>,
    actions: Vec<TreatyAction>,
    funding: Vec<FundingDetermination>,
    weights: Vec<Weight>,
    totals: Vec<BasisTotal>,
    today: Date,
}

impl Case {
    fn evaluate(&self) -> ConventionStatus {
        evaluate(
            &self.rule,
            &EvaluationInput {
                participants: &self.participants,
                actions: &self.actions,
                funding_determinations: &self.funding,
                weights: &self.weights,
                basis_totals: &self.totals,
            },
            self.today,
        )
    }

    fn evaluate_on(&self, today: Date) -> ConventionStatus {
        Self {
            today,
            ..self.clone()
        }
        .evaluate()
    }

    /// Whether `code`'s consent counts from its deposit and is never
    /// withdrawn, with its deposit date.
    fn counted_for_good(&self, code: &str) -> Option<Date> {
        let status = self.evaluate();
        let party = status.participant(&common::code(code))?;
        (party.counted && party.denounced_on.is_none())
            .then_some(party.consent_on)
            .flatten()
    }

    fn consented(&self, code: &str) -> bool {
        self.actions
            .iter()
            .any(|a| a.participant.as_str() == code && a.kind.consent().is_some())
    }
}

/// Per participant and basis, maybe a weight (tenths, days from the base
/// date); per basis, up to two recorded totals.
type Figures = (Vec<Option<(i64, i64)>>, Vec<Vec<(i64, i64)>>);

fn figures() -> impl Strategy<Value = Figures> {
    (
        prop::collection::vec(
            prop::option::weighted(0.8, (0_i64..500, 0_i64..800)),
            CODES.len() * BASES.len(),
        ),
        prop::collection::vec(
            prop::collection::vec((50_i64..1500, 0_i64..800), 0..=2),
            BASES.len(),
        ),
    )
}

fn case() -> impl Strategy<Value = Case> {
    (
        rule(),
        prop::collection::vec(history(), CODES.len()),
        prop::option::of(0_i64..1000),
        0_i64..1300,
        figures(),
    )
        .prop_map(|(rule, histories, funding, today, (weights, totals))| {
            let participants = CODES.iter().map(|c| state(c)).collect();
            let mut actions = Vec::new();
            for (code, (signed, consent)) in CODES.iter().zip(histories) {
                actions.push(act(code, ActionKind::Signature, day(signed)));
                if let Some((kind, after, denounced)) = consent {
                    let deposit = signed + after;
                    actions.push(act(code, ActionKind::Consent(kind), day(deposit)));
                    if let Some(later) = denounced {
                        actions.push(act(code, ActionKind::Denunciation, day(deposit + later)));
                    }
                }
            }
            let funding = funding
                .map(|offset| FundingDetermination::new(day(offset), "sufficient"))
                .into_iter()
                .collect();
            let weights = weights
                .into_iter()
                .enumerate()
                .filter_map(|(i, w)| {
                    w.map(|(value, at)| {
                        weight(CODES[i / BASES.len()], i % BASES.len(), value, day(at))
                    })
                })
                .collect();
            let totals = totals
                .into_iter()
                .enumerate()
                .flat_map(|(b, figures)| {
                    figures
                        .into_iter()
                        .map(move |(value, at)| total(b, value, day(at)))
                })
                .collect();
            Case {
                rule,
                participants,
                actions,
                funding,
                weights,
                totals,
                today: day(today),
            }
        })
}

/// A case whose rule has a weighted condition and asks little else, so that
/// the weighted conditions decide the date more often than not.
fn weighted_case() -> impl Strategy<Value = Case> {
    (
        case(),
        weighted_conditions().prop_filter("a weighted condition", |w| !w.is_empty()),
    )
        .prop_map(|(mut case, weighted)| {
            case.rule.weighted = weighted;
            case.rule.threshold = case.rule.threshold.min(3);
            case.rule.requires_funding_determination = false;
            case.rule.min_council_of_europe_members = None;
            case
        })
}

/// `None` (not yet determined) is later than any date.
fn not_later(new: Option<Date>, old: Option<Date>) -> bool {
    match (new, old) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(new), Some(old)) => new <= old,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        max_global_rejects: 20_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn order_of_the_record_does_not_matter(
        case in case(),
        permutation in any::<u64>(),
    ) {
        let mut shuffled = case.clone();
        // A deterministic shuffle from the generated seed.
        let n = shuffled.actions.len();
        let mut state = permutation | 1;
        for i in (1..n).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let j = usize::try_from(state % (u64::try_from(i).unwrap() + 1)).unwrap();
            shuffled.actions.swap(i, j);
        }
        shuffled.participants.reverse();
        shuffled.weights.reverse();
        shuffled.totals.reverse();
        prop_assert_eq!(shuffled.evaluate(), case.evaluate());
    }

    #[test]
    fn adding_a_consent_never_delays_entry_into_force(
        case in case(),
        pick in 0..CODES.len(),
        kind in consent_kind(),
        offset in 0_i64..1300,
    ) {
        let code = CODES[pick];
        prop_assume!(!case.consented(code));
        let before = case.evaluate();
        let mut more = case.clone();
        more.actions.push(act(code, ActionKind::Consent(kind), day(offset)));
        let after = more.evaluate();
        prop_assert!(not_later(after.entry_into_force, before.entry_into_force),
            "{:?} then {:?}", before.entry_into_force, after.entry_into_force);
        prop_assert!(after.counted_consents >= before.counted_consents);
        prop_assert!(after.in_force || !before.in_force);
    }

    #[test]
    fn a_denunciation_lowers_the_count_by_at_most_its_own_consent(
        case in case(),
        pick in 0..CODES.len(),
        offset in 0_i64..1300,
    ) {
        let code = CODES[pick];
        let already = case.actions.iter().any(|a| {
            a.participant.as_str() == code && a.kind == ActionKind::Denunciation
        });
        prop_assume!(case.consented(code) && !already);
        let before = case.evaluate();
        let denounced_on = day(offset);
        let deposit = case.actions.iter()
            .find(|a| a.participant.as_str() == code && a.kind.consent().is_some())
            .map(|a| a.date);
        prop_assume!(deposit.is_some_and(|d| d < denounced_on));
        // Before entry into force, as the property concerns.
        prop_assume!(before.entry_into_force.is_none_or(|eif| denounced_on < eif));

        let mut less = case.clone();
        less.actions.push(act(code, ActionKind::Denunciation, denounced_on));
        let after = less.evaluate();
        let was_counted = before.participants.iter()
            .find(|p| p.code.as_str() == code)
            .is_some_and(|p| p.counted);
        let expected = if was_counted && denounced_on <= case.today {
            before.counted_consents - 1
        } else {
            before.counted_consents
        };
        prop_assert_eq!(after.counted_consents, expected);
        prop_assert!(not_later(before.entry_into_force, after.entry_into_force));
    }

    #[test]
    fn no_party_is_bound_before_the_convention(case in case()) {
        let status = case.evaluate();
        for party in &status.participants {
            if let Some(own) = party.entry_into_force {
                let convention = status.entry_into_force;
                prop_assert!(convention.is_some_and(|c| c <= own), "{} {own} before {convention:?}", party.code);
                prop_assert!(party.consent_on.is_some_and(|d| d <= own));
            }
        }
    }

    #[test]
    fn the_summary_is_consistent(case in case()) {
        let status = case.evaluate();
        prop_assert_eq!(status.in_force, status.entry_into_force.is_some_and(|d| d <= case.today));
        prop_assert_eq!(status.conditions_met_on.is_some(), status.entry_into_force.is_some());
        prop_assert_eq!(status.missing.is_empty(), status.conditions_met_on.is_some());
        if let (Some(met), Some(eif)) = (status.conditions_met_on, status.entry_into_force) {
            prop_assert!(met <= case.today);
            prop_assert_eq!(case.rule.period.entry_into_force(met), eif);
        }
        let counted = u32::try_from(status.participants.iter().filter(|p| p.counted).count()).unwrap();
        prop_assert_eq!(counted, status.counted_consents);
    }

    #[test]
    fn entries_after_today_are_not_seen(case in case(), later in 1_i64..500) {
        let mut with_future = case.clone();
        for code in CODES {
            if !case.consented(code) {
                with_future.actions.push(act(
                    code,
                    ActionKind::Consent(ConsentKind::Accession),
                    case.today + Duration::days(later),
                ));
            }
            for b in 0..BASES.len() {
                with_future.weights.push(weight(code, b, 1000, case.today + Duration::days(later)));
            }
        }
        for b in 0..BASES.len() {
            with_future.totals.push(total(b, 1, case.today + Duration::days(later)));
        }
        prop_assert_eq!(with_future.evaluate(), case.evaluate());
    }

    #[test]
    fn adding_a_weight_never_delays_entry_into_force(
        case in prop_oneof![case(), weighted_case()],
        pick in 0..CODES.len(),
        b in 0..BASES.len(),
        value in 0_i64..400,
        offset in 0_i64..1300,
    ) {
        let code = CODES[pick];
        let of_all = case.rule.weighted.get(b).is_some_and(|c| c.total == TotalKind::AllParticipants);
        // Against a recorded total any weight only helps. Where the total
        // is the sum of everyone's, a weight also raises the total, so it
        // only helps while its participant is counted: from a deposit never
        // withdrawn, on or before the weight's date.
        let on = day(offset);
        if of_all {
            prop_assume!(case.counted_for_good(code).is_some_and(|deposit| deposit <= on));
        }
        let before = case.evaluate();
        let mut more = case.clone();
        more.weights.push(weight(code, b, value, on));
        let after = more.evaluate();
        prop_assert!(not_later(after.entry_into_force, before.entry_into_force),
            "{:?} then {:?}", before.entry_into_force, after.entry_into_force);
        prop_assert!(after.in_force || !before.in_force);
        for (old, new) in before.weighted.iter().zip(&after.weighted) {
            prop_assert!(new.counted >= old.counted);
        }
    }

    #[test]
    fn entry_into_force_follows_the_first_day_every_condition_holds(
        case in prop_oneof![case(), weighted_case()],
    ) {
        let status = case.evaluate();
        if let (Some(met), Some(eif)) = (status.conditions_met_on, status.entry_into_force) {
            prop_assert!(eif >= met);
            // On that day everything holds...
            let then = case.evaluate_on(met);
            prop_assert_eq!(then.conditions_met_on, Some(met));
            prop_assert!(then.missing.is_empty());
            prop_assert!(then.counted_consents >= case.rule.threshold);
            prop_assert!(then.council_of_europe_members >= case.rule.min_council_of_europe_members.unwrap_or(0));
            prop_assert!(then.weighted.iter().all(|w| w.met), "{:?}", then.weighted);
            prop_assert!(!case.rule.requires_funding_determination
                || then.funding_determined_on.is_some_and(|d| d <= met));
            // ...and the day before, it did not.
            if let Some(eve) = met.previous_day() {
                let eve = case.evaluate_on(eve);
                prop_assert_eq!(eve.conditions_met_on, None);
                prop_assert!(!eve.missing.is_empty());
            }
        }
    }

    #[test]
    fn weighted_figures_are_consistent(case in weighted_case()) {
        let status = case.evaluate();
        prop_assert_eq!(status.weighted.len(), case.rule.weighted.len());
        for w in &status.weighted {
            match (w.total, w.needed, w.share_reached) {
                (Some(total), Some(needed), Some(shown)) if total > Decimal::ZERO => {
                    let required = w.share * total;
                    prop_assert_eq!(w.met, w.counted >= required);
                    prop_assert_eq!(needed.is_zero(), w.met);
                    // What is said to be needed is enough, and not a unit
                    // of the last place more.
                    prop_assert!(w.counted + needed >= required);
                    prop_assert!(shown <= w.counted / total);
                    prop_assert!(w.counted / total - shown < Decimal::new(1, 4));
                    prop_assert_eq!(shown.scale(), 4);
                }
                (total, needed, shown) => {
                    prop_assert!(total.is_none_or(|t| t <= Decimal::ZERO));
                    prop_assert!(needed.is_none() && shown.is_none() && !w.met);
                }
            }
        }
    }

    #[test]
    fn periods_never_go_backwards_and_keep_order(
        rule in period(),
        a in -40_000_i64..40_000,
        gap in 0_i64..2_000,
    ) {
        let first = day(a);
        let second = day(a + gap);
        let (from_first, from_second) = (rule.entry_into_force(first), rule.entry_into_force(second));
        prop_assert!(from_first >= first);
        prop_assert!(from_first <= from_second, "{rule:?}: {first} -> {from_first}, {second} -> {from_second}");
        if !matches!(rule, PeriodRule::DaysAfter { .. }) && rule.length() > 0 {
            prop_assert!(from_first > first);
        }
    }

    #[test]
    fn month_forms_land_where_the_calendar_says(
        a in -40_000_i64..40_000,
        months in 0_u32..60,
        days in 0_u32..400,
    ) {
        let start = day(a);
        let month_index = |d: Date| i64::from(d.year()) * 12 + i64::from(u8::from(d.month()));

        // N months to the day, or the last day of a shorter month.
        let to_the_day = PeriodRule::MonthsAfter { months }.entry_into_force(start);
        prop_assert_eq!(month_index(to_the_day), month_index(start) + i64::from(months));
        prop_assert_eq!(
            to_the_day.day(),
            start.day().min(to_the_day.month().length(to_the_day.year()))
        );

        // The first of the month after N whole months.
        let council = PeriodRule::FirstDayOfMonthAfter { months }.entry_into_force(start);
        prop_assert_eq!(council.day(), 1);
        prop_assert_eq!(month_index(council), month_index(start) + i64::from(months) + 1);

        // The first of the month after the Nth day.
        let nth = start + Duration::days(i64::from(days));
        let rome = PeriodRule::FirstDayOfMonthAfterDays { days }.entry_into_force(start);
        prop_assert_eq!(rome.day(), 1);
        prop_assert!(rome > nth);
        prop_assert_eq!(month_index(rome), month_index(nth) + 1);
    }
}
