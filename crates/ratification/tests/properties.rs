//! Properties of the entry-into-force engine over generated records.

mod common;

use common::{act, state};
use proptest::prelude::*;
use ratification::{
    ActionKind, ConsentKind, ConventionStatus, EntryIntoForceRule, FundingDetermination,
    Participant, PeriodRule, TreatyAction, evaluate,
};
use time::{Date, Duration};

const BASE: Date = time::macros::date!(2026 - 01 - 01);

/// Council of Europe members, non-members and the EU, so every counting
/// switch of the rule has something to act on.
const CODES: [&str; 12] = [
    "UA", "FR", "DE", "PL", "IT", "ES", "NL", "JP", "CA", "AU", "US", "EU",
];

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
        prop_oneof![
            (0_u32..7).prop_map(|months| PeriodRule::FirstDayOfMonthAfter { months }),
            (0_u32..120).prop_map(|days| PeriodRule::DaysAfter { days }),
        ],
    )
        .prop_map(
            |(threshold, counting_consents, organisations_count, coe, funding, period)| {
                EntryIntoForceRule {
                    threshold,
                    counting_consents,
                    organisations_count,
                    min_council_of_europe_members: coe,
                    requires_funding_determination: funding,
                    period,
                }
            },
        )
}

#[derive(Clone, Debug)]
struct Case {
    rule: EntryIntoForceRule,
    participants: Vec<Participant>,
    actions: Vec<TreatyAction>,
    funding: Vec<FundingDetermination>,
    today: Date,
}

impl Case {
    fn evaluate(&self) -> ConventionStatus {
        evaluate(
            &self.rule,
            &self.participants,
            &self.actions,
            &self.funding,
            self.today,
        )
    }

    fn consented(&self, code: &str) -> bool {
        self.actions
            .iter()
            .any(|a| a.participant.as_str() == code && a.kind.consent().is_some())
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        rule(),
        prop::collection::vec(history(), CODES.len()),
        prop::option::of(0_i64..1000),
        0_i64..1300,
    )
        .prop_map(|(rule, histories, funding, today)| {
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
            Case {
                rule,
                participants,
                actions,
                funding,
                today: day(today),
            }
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
        }
        prop_assert_eq!(with_future.evaluate(), case.evaluate());
    }
}
