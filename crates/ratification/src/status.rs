//! The entry-into-force engine.
//!
//! [`evaluate`] reads the record as of a day and says whether the convention
//! is in force, since or from when, what is still missing, and where each
//! participant stands. It is a pure function of the rule and the record
//! ([`EvaluationInput`]), so the tracker page, the go-live gate and the
//! tests all see the same answer.
//!
//! # How the date is found
//! Each counted consent counts from its deposit until the participant's
//! denunciation, if any. The engine walks the dates on which something
//! changed, in order: a deposit, a denunciation, a funding determination, a
//! weight or a total becoming known. The conditions are met on the first of
//! those dates on which every condition holds at once: the threshold, the
//! Council of Europe minimum, each weighted condition and, where the rule
//! asks for one, the funding determination. The convention enters into
//! force when the period runs from there. If a denunciation drops a
//! condition before that date, the pending entry into force lapses and the
//! walk looks for the next date the conditions hold again. Once in force,
//! the convention stays in force.
//!
//! # Weights
//! On a given date a weighted condition holds when the weights on its basis
//! of the participants counted on that date add up to at least `share` ×
//! the total known on that date. A weight counts from its own date: the
//! figure is taken as known from the day it was recorded (or published as
//! of), not back-dated to the participant's deposit, so evaluating an
//! earlier day reproduces what the tracker could show then, and a
//! contribution recorded late starts the period late. A corrected weight
//! (or total) is replaced from the start by its correction. A basis with no
//! total known yet, or a total of zero, does not hold.
//!
//! A denunciation is taken to act on its own date. Treaties usually give it
//! effect some months later, but here it matters only before entry into
//! force, where it amounts to withdrawing an instrument.
//!
//! Entries dated after the day evaluated are ignored, so evaluating an
//! earlier day reproduces what the tracker showed then. Entries for
//! participants not in the list are ignored too: validation keeps them out.

use crate::action::{
    ActionKind, ConsentKind, FundingDetermination, TreatyAction, effective_actions,
    effective_funding_determinations,
};
use crate::participant::{Participant, ParticipantCode, ParticipantKind};
use crate::rule::{EntryIntoForceRule, TotalKind, WeightedCondition};
use crate::validation::maintained_reservations;
use crate::weight::{BasisCode, BasisTotal, Weight, effective_basis_totals, effective_weights};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use time::Date;

/// A condition of entry into force not yet fulfilled.
///
/// On the wire an object tagged by `condition`:
/// `{"condition": "consents", "needed": 3}`,
/// `{"condition": "weighted", "basis": "rd4u-2025-budget", "needed": "1250000.00"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "condition", rename_all = "snake_case")]
pub enum MissingCondition {
    /// Counted consents still needed to reach the threshold.
    Consents { needed: u32 },
    /// Council of Europe member states still needed among the consents.
    CouncilOfEuropeMembers { needed: u32 },
    /// The weight the counted consents still lack on `basis`, in the unit
    /// of its figures (a decimal string on the wire).
    Weighted {
        basis: BasisCode,
        #[serde(with = "rust_decimal::serde::str")]
        needed: Decimal,
    },
    /// No total of `basis` is known yet, so its share cannot be reached.
    BasisTotal { basis: BasisCode },
    /// The Council has not yet determined that funding is sufficient.
    FundingDetermination,
}

impl MissingCondition {
    /// Stable snake_case name, as in the JSON `condition` field.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Consents { .. } => "consents",
            Self::CouncilOfEuropeMembers { .. } => "council_of_europe_members",
            Self::Weighted { .. } => "weighted",
            Self::BasisTotal { .. } => "basis_total",
            Self::FundingDetermination => "funding_determination",
        }
    }
}

impl fmt::Display for MissingCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Consents { needed } => write!(f, "{needed} more consent(s) to be bound"),
            Self::CouncilOfEuropeMembers { needed } => {
                write!(f, "{needed} more Council of Europe member state(s)")
            }
            Self::Weighted { basis, needed } => {
                write!(f, "{needed} more on {basis} among the consents counted")
            }
            Self::BasisTotal { basis } => write!(f, "a recorded total of {basis}"),
            Self::FundingDetermination => {
                f.write_str("the Council's determination that funding is sufficient")
            }
        }
    }
}

/// Where one weighted condition stands on the day evaluated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightedStatus {
    pub basis: BasisCode,
    /// The share of the total needed, as in the rule.
    #[serde(with = "rust_decimal::serde::str")]
    pub share: Decimal,
    pub total_kind: TotalKind,
    /// The weights of the consents counted, added up.
    #[serde(with = "rust_decimal::serde::str")]
    pub counted: Decimal,
    /// The total measured against; `None` while none is known.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub total: Option<Decimal>,
    /// The unit of the figures, from the total (or, for a total of all
    /// participants, from the weights).
    pub unit: Option<String>,
    /// The recorded total is an assumption rather than a published figure.
    pub total_assumed: bool,
    /// `counted / total`, **rounded toward zero to four decimal places, for
    /// display only**: 0.49999 shows as 0.4999, never as 0.5000, so a
    /// share shown at or above the one required has been reached. Whether
    /// the condition holds is decided on the exact figures.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub share_reached: Option<Decimal>,
    /// What the counted weights still lack: `share × total − counted`,
    /// rounded up to the decimal places of the figures so that adding it
    /// is enough; zero once reached, `None` while no total is known.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub needed: Option<Decimal>,
    /// Whether the condition holds on the day evaluated.
    pub met: bool,
}

/// Where one participant stands, as a treaty tracker shows it.
// A tracker row is a set of independent yes/no columns; an enum would only
// hide them from the API.
#[allow(clippy::struct_excessive_bools)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantStatus {
    pub code: ParticipantCode,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_uk: Option<String>,
    pub kind: ParticipantKind,
    pub council_of_europe_member: bool,
    #[serde(with = "crate::date_format::option")]
    pub signed_on: Option<Date>,
    pub consent: Option<ConsentKind>,
    #[serde(with = "crate::date_format::option")]
    pub consent_on: Option<Date>,
    /// Whether its consent counts toward the threshold on the day evaluated.
    pub counted: bool,
    /// Entry into force for this participant: the convention's date for
    /// those bound when the conditions were met, the same period run from
    /// its own deposit for later ones. Projected while still ahead; `None`
    /// while the convention's date is unknown or if it denounced first.
    #[serde(with = "crate::date_format::option")]
    pub entry_into_force: Option<Date>,
    /// Maintains at least one reservation (made and not withdrawn).
    pub reservations: bool,
    pub declarations: bool,
    pub territorial_application: bool,
    #[serde(with = "crate::date_format::option")]
    pub denounced_on: Option<Date>,
}

/// The convention's standing on a given day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConventionStatus {
    /// The day evaluated.
    #[serde(with = "crate::date_format")]
    pub as_of: Date,
    pub in_force: bool,
    /// The date of entry into force: past when in force, projected when the
    /// conditions are met and the period is running, `None` otherwise.
    #[serde(with = "crate::date_format::option")]
    pub entry_into_force: Option<Date>,
    /// The date the conditions were met (the start of the period).
    #[serde(with = "crate::date_format::option")]
    pub conditions_met_on: Option<Date>,
    /// Consents counted toward the threshold on the day evaluated.
    pub counted_consents: u32,
    pub threshold: u32,
    /// Council of Europe member states among the counted consents.
    pub council_of_europe_members: u32,
    /// Each weighted condition of the rule, in the rule's order.
    #[serde(default)]
    pub weighted: Vec<WeightedStatus>,
    #[serde(with = "crate::date_format::option")]
    pub funding_determined_on: Option<Date>,
    /// What still stands between the record and entry into force; empty
    /// once the conditions are met.
    pub missing: Vec<MissingCondition>,
    pub rule: EntryIntoForceRule,
    /// Ordered by name, then code.
    pub participants: Vec<ParticipantStatus>,
}

/// The record the engine reads, besides the rule: every entry, corrected
/// ones included. Only effective entries dated on or before the day
/// evaluated count.
///
/// Built with field names, leaving out what a caller does not have:
/// `EvaluationInput { participants: &p, actions: &a, ..Default::default() }`.
#[derive(Clone, Copy, Debug, Default)]
pub struct EvaluationInput<'a> {
    pub participants: &'a [Participant],
    pub actions: &'a [TreatyAction],
    pub funding_determinations: &'a [FundingDetermination],
    pub weights: &'a [Weight],
    pub basis_totals: &'a [BasisTotal],
}

/// One participant's effective entries up to the day evaluated.
struct Standing<'a> {
    participant: &'a Participant,
    entries: Vec<&'a TreatyAction>,
}

impl Standing<'_> {
    fn first(&self, kind: impl Fn(ActionKind) -> bool) -> Option<&TreatyAction> {
        self.entries.iter().copied().find(|a| kind(a.kind))
    }

    fn consent(&self) -> Option<(ConsentKind, Date)> {
        self.first(|k| k.consent().is_some())
            .and_then(|a| a.kind.consent().map(|k| (k, a.date)))
    }

    fn denounced_on(&self) -> Option<Date> {
        self.first(|k| k == ActionKind::Denunciation)
            .map(|a| a.date)
    }

    /// The span during which this participant counts toward the threshold:
    /// from its deposit until its denunciation.
    fn counted_span(&self, rule: &EntryIntoForceRule) -> Option<Span> {
        let (kind, from) = self.consent()?;
        let counts = rule.counts(kind)
            && (self.participant.kind == ParticipantKind::State || rule.organisations_count);
        let until = self.denounced_on();
        (counts && until.is_none_or(|until| until > from)).then_some(Span { from, until })
    }
}

/// When a consent counts: from `from` until `until`, exclusive.
#[derive(Clone, Copy)]
struct Span {
    from: Date,
    until: Option<Date>,
}

impl Span {
    fn covers(self, date: Date) -> bool {
        self.from <= date && self.until.is_none_or(|until| until > date)
    }
}

/// One weighted condition and the figures on its basis dated on or before
/// the day evaluated.
struct Basis<'a> {
    condition: &'a WeightedCondition,
    /// Effective weights of known participants, by date.
    weights: Vec<&'a Weight>,
    /// Effective recorded totals, by date then id.
    totals: Vec<&'a BasisTotal>,
}

/// A weighted condition's figures on one date.
struct Tally<'a> {
    counted: Decimal,
    total: Option<Decimal>,
    unit: Option<&'a str>,
    assumed: bool,
}

impl<'a> Basis<'a> {
    fn on(&self, date: Date, spans: &BTreeMap<&ParticipantCode, Span>) -> Tally<'a> {
        let known = || self.weights.iter().filter(move |w| w.date <= date);
        let counted = known()
            .filter(|w| spans.get(&w.participant).is_some_and(|s| s.covers(date)))
            .fold(Decimal::ZERO, |sum, w| sum.saturating_add(w.value));
        match self.condition.total {
            TotalKind::Recorded => {
                let recorded = self.totals.iter().rfind(|t| t.date <= date);
                Tally {
                    counted,
                    total: recorded.map(|t| t.value),
                    unit: recorded.map(|t| t.unit.as_str()),
                    assumed: recorded.is_some_and(|t| t.assumed),
                }
            }
            TotalKind::AllParticipants => {
                let first: Option<&'a Weight> = known().next().copied();
                Tally {
                    counted,
                    total: first
                        .map(|_| known().fold(Decimal::ZERO, |sum, w| sum.saturating_add(w.value))),
                    unit: first.map(|w| w.unit.as_str()),
                    assumed: false,
                }
            }
        }
    }
}

impl Tally<'_> {
    /// `share × total`, when a positive total is known.
    fn required(&self, share: Decimal) -> Option<Decimal> {
        self.total
            .filter(|t| *t > Decimal::ZERO)
            .and_then(|t| share.checked_mul(t))
    }

    fn holds(&self, share: Decimal) -> bool {
        self.required(share).is_some_and(|r| self.counted >= r)
    }
}

/// Everything the conditions depend on, as of the day evaluated.
struct Conditions<'a> {
    rule: &'a EntryIntoForceRule,
    spans: BTreeMap<&'a ParticipantCode, Span>,
    coe_members: BTreeSet<&'a ParticipantCode>,
    bases: Vec<Basis<'a>>,
    funding_determined_on: Option<Date>,
}

/// The conditions on one date.
struct Day<'a> {
    counted: u32,
    coe: u32,
    weighted: Vec<Tally<'a>>,
    funded: bool,
}

impl<'a> Conditions<'a> {
    fn on(&self, date: Date) -> Day<'a> {
        let (counted, coe) = self
            .spans
            .iter()
            .filter(|(_, span)| span.covers(date))
            .fold((0_u32, 0_u32), |(n, c), (code, _)| {
                (n + 1, c + u32::from(self.coe_members.contains(code)))
            });
        Day {
            counted,
            coe,
            weighted: self.bases.iter().map(|b| b.on(date, &self.spans)).collect(),
            funded: !self.rule.requires_funding_determination
                || self.funding_determined_on.is_some_and(|f| f <= date),
        }
    }

    /// Every date on which a condition may change.
    fn dates(&self) -> BTreeSet<Date> {
        let spans = self
            .spans
            .values()
            .flat_map(|span| [Some(span.from), span.until])
            .flatten();
        let figures = self.bases.iter().flat_map(|b| {
            b.weights
                .iter()
                .map(|w| w.date)
                .chain(b.totals.iter().map(|t| t.date))
        });
        spans
            .chain(figures)
            .chain(self.funding_determined_on)
            .collect()
    }
}

impl Day<'_> {
    fn holds(&self, rule: &EntryIntoForceRule) -> bool {
        self.counted >= rule.threshold
            && self.coe >= rule.min_council_of_europe_members.unwrap_or(0)
            && self.funded
            && rule
                .weighted
                .iter()
                .zip(&self.weighted)
                .all(|(condition, tally)| tally.holds(condition.share))
    }
}

/// Evaluates the convention under `rule` as of `today`.
///
/// `input` is the whole record, corrected entries included; only effective
/// entries dated on or before `today` count.
pub fn evaluate(
    rule: &EntryIntoForceRule,
    input: &EvaluationInput<'_>,
    today: Date,
) -> ConventionStatus {
    let mut standings: BTreeMap<&ParticipantCode, Standing<'_>> = BTreeMap::new();
    for participant in input.participants {
        standings
            .entry(&participant.code)
            .or_insert_with(|| Standing {
                participant,
                entries: Vec::new(),
            });
    }
    for action in effective_actions(input.actions)
        .into_iter()
        .filter(|a| a.date <= today)
    {
        if let Some(standing) = standings.get_mut(&action.participant) {
            standing.entries.push(action);
        }
    }
    let funding_determined_on = effective_funding_determinations(input.funding_determinations)
        .into_iter()
        .map(|d| d.date)
        .find(|&d| d <= today);
    let weights = effective_weights(input.weights);
    let totals = effective_basis_totals(input.basis_totals);
    let conditions = Conditions {
        rule,
        spans: standings
            .iter()
            .filter_map(|(&code, s)| s.counted_span(rule).map(|span| (code, span)))
            .collect(),
        coe_members: standings
            .iter()
            .filter(|(_, s)| s.participant.council_of_europe_member)
            .map(|(&code, _)| code)
            .collect(),
        bases: rule
            .weighted
            .iter()
            .map(|condition| Basis {
                condition,
                weights: weights
                    .iter()
                    .copied()
                    .filter(|w| {
                        w.basis == condition.basis
                            && w.date <= today
                            && standings.contains_key(&w.participant)
                    })
                    .collect(),
                totals: totals
                    .iter()
                    .copied()
                    .filter(|t| t.basis == condition.basis && t.date <= today)
                    .collect(),
            })
            .collect(),
        funding_determined_on,
    };

    let mut pending: Option<(Date, Date)> = None;
    let mut entered: Option<(Date, Date)> = None;
    for date in conditions.dates() {
        if let Some(reached) = pending.filter(|&(_, eif)| eif <= date) {
            entered = Some(reached);
            break;
        }
        match (conditions.on(date).holds(rule), pending) {
            (true, None) => pending = Some((date, rule.period.entry_into_force(date))),
            (false, Some(_)) => pending = None,
            _ => {}
        }
    }
    let (conditions_met_on, entry_into_force) = entered.or(pending).unzip();
    let in_force = entry_into_force.is_some_and(|eif| eif <= today);

    // The figures shown are those of the day evaluated, which after entry
    // into force can fall below what the rule asks without ending it.
    let now = conditions.on(today);
    let weighted: Vec<WeightedStatus> = rule
        .weighted
        .iter()
        .zip(&now.weighted)
        .map(|(condition, tally)| weighted_status(condition, tally))
        .collect();

    let mut missing = Vec::new();
    if conditions_met_on.is_none() {
        let needed = rule.threshold.saturating_sub(now.counted);
        if needed > 0 {
            missing.push(MissingCondition::Consents { needed });
        }
        let coe_needed = rule
            .min_council_of_europe_members
            .unwrap_or(0)
            .saturating_sub(now.coe);
        if coe_needed > 0 {
            missing.push(MissingCondition::CouncilOfEuropeMembers { needed: coe_needed });
        }
        for status in &weighted {
            match status.needed {
                None => missing.push(MissingCondition::BasisTotal {
                    basis: status.basis.clone(),
                }),
                Some(needed) if needed > Decimal::ZERO => {
                    missing.push(MissingCondition::Weighted {
                        basis: status.basis.clone(),
                        needed,
                    });
                }
                Some(_) => {}
            }
        }
        if !now.funded {
            missing.push(MissingCondition::FundingDetermination);
        }
    }

    let mut participant_statuses: Vec<ParticipantStatus> = standings
        .values()
        .map(|standing| {
            let consent = standing.consent();
            let denounced_on = standing.denounced_on();
            let own_entry_into_force = match (consent, conditions_met_on, entry_into_force) {
                (Some((_, deposited)), Some(met), Some(eif)) => {
                    let own = if deposited <= met {
                        eif
                    } else {
                        rule.period.entry_into_force(deposited)
                    };
                    // Withdrawing before being bound means never being bound.
                    denounced_on.is_none_or(|d| d >= own).then_some(own)
                }
                _ => None,
            };
            let counted = standing
                .counted_span(rule)
                .is_some_and(|span| span.covers(today));
            let has = |kind: ActionKind| standing.entries.iter().any(|a| a.kind == kind);
            ParticipantStatus {
                code: standing.participant.code,
                name: standing.participant.name.clone(),
                name_uk: standing.participant.name_uk.clone(),
                kind: standing.participant.kind,
                council_of_europe_member: standing.participant.council_of_europe_member,
                signed_on: standing
                    .first(|k| k == ActionKind::Signature)
                    .map(|a| a.date),
                consent: consent.map(|(kind, _)| kind),
                consent_on: consent.map(|(_, date)| date),
                counted,
                entry_into_force: own_entry_into_force,
                reservations: !maintained_reservations(input.actions, &standing.entries, today)
                    .is_empty(),
                declarations: has(ActionKind::Declaration),
                territorial_application: has(ActionKind::TerritorialApplication),
                denounced_on,
            }
        })
        .collect();
    participant_statuses.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.code.cmp(&b.code)));

    ConventionStatus {
        as_of: today,
        in_force,
        entry_into_force,
        conditions_met_on,
        counted_consents: now.counted,
        threshold: rule.threshold,
        council_of_europe_members: now.coe,
        weighted,
        funding_determined_on,
        missing,
        rule: rule.clone(),
        participants: participant_statuses,
    }
}

fn weighted_status(condition: &WeightedCondition, tally: &Tally<'_>) -> WeightedStatus {
    let required = tally.required(condition.share);
    let total = tally.total;
    let needed = required.map(|required| {
        let shortfall = required - tally.counted;
        if shortfall > Decimal::ZERO {
            let places = total.map_or(0, |t| t.scale()).max(tally.counted.scale());
            shortfall.round_dp_with_strategy(places, RoundingStrategy::AwayFromZero)
        } else {
            Decimal::ZERO
        }
    });
    let share_reached = total
        .filter(|t| *t > Decimal::ZERO)
        .and_then(|t| tally.counted.checked_div(t))
        .map(|share| {
            let mut shown = share.round_dp_with_strategy(4, RoundingStrategy::ToZero);
            shown.rescale(4);
            shown
        });
    WeightedStatus {
        basis: condition.basis.clone(),
        share: condition.share,
        total_kind: condition.total,
        counted: tally.counted,
        total,
        unit: tally.unit.map(str::to_owned),
        total_assumed: tally.assumed,
        share_reached,
        needed,
        met: tally.holds(condition.share),
    }
}

impl ConventionStatus {
    /// The status of one participant.
    pub fn participant(&self, code: &ParticipantCode) -> Option<&ParticipantStatus> {
        self.participants.iter().find(|p| &p.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::PeriodRule;
    use rust_decimal_macros::dec;
    use time::macros::date;

    fn code(c: &str) -> ParticipantCode {
        ParticipantCode::parse(c).unwrap()
    }

    fn tonnage() -> BasisCode {
        BasisCode::parse("world-gross-tonnage").unwrap()
    }

    const R: ActionKind = ActionKind::Consent(ConsentKind::Ratification);
    const ACCESSION: ActionKind = ActionKind::Consent(ConsentKind::Accession);

    /// Two consents and half of a recorded total; the period is 10 days.
    fn rule(total: TotalKind) -> EntryIntoForceRule {
        EntryIntoForceRule {
            threshold: 2,
            counting_consents: [ConsentKind::Ratification].into_iter().collect(),
            organisations_count: true,
            min_council_of_europe_members: None,
            requires_funding_determination: false,
            weighted: vec![WeightedCondition {
                basis: tonnage(),
                share: dec!(0.5),
                total,
            }],
            accession_open: true,
            period: PeriodRule::DaysAfter { days: 10 },
        }
    }

    fn participants() -> Vec<Participant> {
        ["PA", "LR", "MH", "JP"]
            .iter()
            .map(|c| Participant::from_code(code(c), *c))
            .collect()
    }

    fn act(c: &str, kind: ActionKind, date: Date) -> TreatyAction {
        TreatyAction::new(code(c), kind, date)
    }

    /// PA and LR sign on 1 January and ratify on 1 and 10 March.
    fn actions() -> Vec<TreatyAction> {
        vec![
            act("PA", ActionKind::Signature, date!(2026 - 01 - 01)),
            act("LR", ActionKind::Signature, date!(2026 - 01 - 01)),
            act("PA", R, date!(2026 - 03 - 01)),
            act("LR", R, date!(2026 - 03 - 10)),
        ]
    }

    fn weight(c: &str, value: Decimal, date: Date) -> Weight {
        Weight::new(code(c), tonnage(), value, "%", "test", date)
    }

    fn total(value: Decimal, date: Date) -> BasisTotal {
        BasisTotal::new(tonnage(), value, "%", "test", date)
    }

    fn run(
        rule: &EntryIntoForceRule,
        actions: &[TreatyAction],
        weights: &[Weight],
        totals: &[BasisTotal],
        today: Date,
    ) -> ConventionStatus {
        evaluate(
            rule,
            &EvaluationInput {
                participants: &participants(),
                actions,
                weights,
                basis_totals: totals,
                ..EvaluationInput::default()
            },
            today,
        )
    }

    #[test]
    fn a_weight_counts_from_its_own_date() {
        let rule = rule(TotalKind::Recorded);
        let totals = [total(dec!(100), date!(2025 - 01 - 01))];
        // PA's figure is recorded a month after both deposits.
        let weights = [
            weight("PA", dec!(30), date!(2026 - 04 - 10)),
            weight("LR", dec!(25), date!(2026 - 01 - 15)),
        ];
        let before = run(&rule, &actions(), &weights, &totals, date!(2026 - 04 - 09));
        assert_eq!(before.counted_consents, 2);
        assert_eq!(
            before.missing,
            vec![MissingCondition::Weighted {
                basis: tonnage(),
                needed: dec!(25)
            }]
        );
        let w = &before.weighted[0];
        assert_eq!(w.counted, dec!(25));
        assert_eq!(w.total, Some(dec!(100)));
        assert_eq!(w.share_reached.unwrap().to_string(), "0.2500");
        assert!(!w.met);

        let met = run(&rule, &actions(), &weights, &totals, date!(2026 - 04 - 10));
        assert_eq!(met.conditions_met_on, Some(date!(2026 - 04 - 10)));
        assert_eq!(met.entry_into_force, Some(date!(2026 - 04 - 20)));
        assert!(met.missing.is_empty());
        assert!(met.weighted[0].met);
        assert_eq!(met.weighted[0].needed, Some(Decimal::ZERO));
    }

    #[test]
    fn a_weight_recorded_first_counts_from_the_deposit() {
        let rule = rule(TotalKind::Recorded);
        let totals = [total(dec!(100), date!(2025 - 01 - 01))];
        let weights = [
            weight("PA", dec!(30), date!(2025 - 06 - 01)),
            weight("LR", dec!(25), date!(2025 - 06 - 01)),
        ];
        let status = run(&rule, &actions(), &weights, &totals, date!(2026 - 12 - 31));
        assert_eq!(status.conditions_met_on, Some(date!(2026 - 03 - 10)));
        assert!(status.in_force);
    }

    #[test]
    fn only_counted_consents_carry_weight() {
        let rule = rule(TotalKind::Recorded);
        let totals = [total(dec!(100), date!(2025 - 01 - 01))];
        let mut actions = actions();
        // Japan accedes (not counted under this rule); the Marshall Islands
        // signed but never ratified.
        actions.push(act("JP", ACCESSION, date!(2026 - 02 - 01)));
        actions.push(act("MH", ActionKind::Signature, date!(2026 - 01 - 01)));
        let weights = [
            weight("PA", dec!(10), date!(2025 - 06 - 01)),
            weight("LR", dec!(10), date!(2025 - 06 - 01)),
            weight("JP", dec!(40), date!(2025 - 06 - 01)),
            weight("MH", dec!(40), date!(2025 - 06 - 01)),
        ];
        let status = run(&rule, &actions, &weights, &totals, date!(2026 - 12 - 31));
        assert_eq!(status.weighted[0].counted, dec!(20));
        assert_eq!(status.entry_into_force, None);
        assert_eq!(
            status.missing,
            vec![MissingCondition::Weighted {
                basis: tonnage(),
                needed: dec!(30)
            }]
        );
    }

    #[test]
    fn a_denunciation_takes_its_weight_away() {
        let rule = EntryIntoForceRule {
            threshold: 1,
            ..rule(TotalKind::Recorded)
        };
        let totals = [total(dec!(100), date!(2025 - 01 - 01))];
        let weights = [
            weight("PA", dec!(60), date!(2026 - 03 - 05)),
            weight("LR", dec!(10), date!(2025 - 06 - 01)),
        ];
        let mut actions = actions();
        // PA withdraws the day after its weight made the share, before the
        // period ends.
        actions.push(act("PA", ActionKind::Denunciation, date!(2026 - 03 - 06)));
        let status = run(&rule, &actions, &weights, &totals, date!(2026 - 12 - 31));
        assert_eq!(status.entry_into_force, None);
        assert_eq!(status.weighted[0].counted, dec!(10));
        assert_eq!(
            status.missing,
            vec![MissingCondition::Weighted {
                basis: tonnage(),
                needed: dec!(40)
            }]
        );
    }

    #[test]
    fn without_a_total_the_condition_waits_for_one() {
        let rule = rule(TotalKind::Recorded);
        let weights = [
            weight("PA", dec!(30), date!(2025 - 06 - 01)),
            weight("LR", dec!(25), date!(2025 - 06 - 01)),
        ];
        let waiting = run(&rule, &actions(), &weights, &[], date!(2026 - 06 - 01));
        assert_eq!(
            waiting.missing,
            vec![MissingCondition::BasisTotal { basis: tonnage() }]
        );
        let w = &waiting.weighted[0];
        assert_eq!((w.total, w.share_reached, w.needed), (None, None, None));
        assert_eq!(w.unit, None);

        let totals = [total(dec!(100), date!(2026 - 06 - 01))];
        let met = run(&rule, &actions(), &weights, &totals, date!(2026 - 06 - 01));
        assert_eq!(met.conditions_met_on, Some(date!(2026 - 06 - 01)));
        assert_eq!(met.weighted[0].unit.as_deref(), Some("%"));
    }

    #[test]
    fn a_larger_total_lets_a_pending_date_lapse() {
        let rule = rule(TotalKind::Recorded);
        let weights = [
            weight("PA", dec!(30), date!(2025 - 06 - 01)),
            weight("LR", dec!(25), date!(2025 - 06 - 01)),
        ];
        // An amended figure recorded before the period ends: 55 of 120 is
        // short of half.
        let totals = [
            total(dec!(100), date!(2025 - 01 - 01)),
            total(dec!(120), date!(2026 - 03 - 15)),
        ];
        let status = run(&rule, &actions(), &weights, &totals, date!(2026 - 06 - 01));
        assert_eq!(status.entry_into_force, None);
        assert_eq!(
            status.missing,
            vec![MissingCondition::Weighted {
                basis: tonnage(),
                needed: dec!(5)
            }]
        );
        // Corrected from the start instead, the earlier figure never stood.
        let wrong = total(dec!(100), date!(2025 - 01 - 01));
        let fixed = total(dec!(120), date!(2025 - 01 - 01)).superseding(wrong.id);
        let status = run(
            &rule,
            &actions(),
            &weights,
            &[wrong, fixed],
            date!(2026 - 06 - 01),
        );
        assert_eq!(status.conditions_met_on, None);
    }

    #[test]
    fn a_corrected_weight_moves_the_date() {
        let rule = rule(TotalKind::Recorded);
        let totals = [total(dec!(100), date!(2025 - 01 - 01))];
        let wrong = weight("PA", dec!(3), date!(2025 - 06 - 01));
        let fixed = weight("PA", dec!(30), date!(2026 - 05 - 01)).superseding(wrong.id);
        let lr = weight("LR", dec!(25), date!(2025 - 06 - 01));
        let status = run(
            &rule,
            &actions(),
            &[wrong, fixed, lr],
            &totals,
            date!(2026 - 12 - 31),
        );
        assert_eq!(status.conditions_met_on, Some(date!(2026 - 05 - 01)));
    }

    #[test]
    fn a_total_of_all_participants_includes_those_not_bound() {
        let rule = rule(TotalKind::AllParticipants);
        let weights = [
            weight("PA", dec!(30), date!(2025 - 06 - 01)),
            weight("LR", dec!(20), date!(2025 - 06 - 01)),
            weight("MH", dec!(40), date!(2025 - 06 - 01)),
        ];
        let status = run(&rule, &actions(), &weights, &[], date!(2026 - 06 - 01));
        let w = &status.weighted[0];
        assert_eq!((w.counted, w.total), (dec!(50), Some(dec!(90))));
        assert!(w.met);
        assert_eq!(w.unit.as_deref(), Some("%"));
        assert_eq!(status.conditions_met_on, Some(date!(2026 - 03 - 10)));
        // Japan's figure, recorded later, raises the total past the point
        // where PA and LR make half; the convention was in force by then.
        let mut more = weights.to_vec();
        more.push(weight("JP", dec!(40), date!(2026 - 05 - 01)));
        let status = run(&rule, &actions(), &more, &[], date!(2026 - 06 - 01));
        assert!(status.in_force);
        assert!(!status.weighted[0].met);
        assert!(status.missing.is_empty());
        // No figure at all: no total.
        let status = run(&rule, &actions(), &[], &[], date!(2026 - 06 - 01));
        assert_eq!(
            status.missing,
            vec![MissingCondition::BasisTotal { basis: tonnage() }]
        );
    }

    #[test]
    fn the_share_shown_never_overstates_and_needed_is_enough() {
        let rule = rule(TotalKind::Recorded);
        let totals = [total(dec!(7384300.00), date!(2025 - 01 - 01))];
        let weights = [
            weight("PA", dec!(3692149.99), date!(2025 - 06 - 01)),
            weight("LR", dec!(0), date!(2025 - 06 - 01)),
        ];
        let status = run(&rule, &actions(), &weights, &totals, date!(2026 - 06 - 01));
        let w = &status.weighted[0];
        assert_eq!(w.share_reached.unwrap().to_string(), "0.4999");
        assert_eq!(w.needed.unwrap().to_string(), "0.01");
        assert!(!w.met);
        // Odd totals: half of 0.03 is 0.015; 0.01 is counted, so 0.005
        // is short, shown as 0.01, which is enough.
        let totals = [total(dec!(0.03), date!(2025 - 01 - 01))];
        let weights = [weight("PA", dec!(0.01), date!(2025 - 06 - 01))];
        let status = run(&rule, &actions(), &weights, &totals, date!(2026 - 06 - 01));
        assert_eq!(status.weighted[0].needed, Some(dec!(0.01)));
        assert_eq!(
            status.weighted[0].share_reached.unwrap().to_string(),
            "0.3333"
        );
    }

    #[test]
    fn weighted_missing_conditions_on_the_wire() {
        let missing = vec![
            MissingCondition::Weighted {
                basis: tonnage(),
                needed: dec!(3692150.00),
            },
            MissingCondition::BasisTotal { basis: tonnage() },
        ];
        let json = serde_json::to_value(&missing).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"condition": "weighted", "basis": "world-gross-tonnage", "needed": "3692150.00"},
                {"condition": "basis_total", "basis": "world-gross-tonnage"}
            ])
        );
        let back: Vec<MissingCondition> = serde_json::from_value(json).unwrap();
        assert_eq!(back, missing);
        assert_eq!(missing[0].code(), "weighted");
        assert_eq!(missing[1].code(), "basis_total");
        assert_eq!(
            missing[0].to_string(),
            "3692150.00 more on world-gross-tonnage among the consents counted"
        );
    }

    #[test]
    fn weighted_status_on_the_wire() {
        let rule = rule(TotalKind::Recorded);
        let totals = [total(dec!(100), date!(2025 - 01 - 01)).assumed()];
        let weights = [weight("PA", dec!(12.5), date!(2025 - 06 - 01))];
        let status = run(&rule, &actions(), &weights, &totals, date!(2026 - 06 - 01));
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(
            json["weighted"],
            serde_json::json!([{
                "basis": "world-gross-tonnage",
                "share": "0.5",
                "total_kind": "recorded",
                "counted": "12.5",
                "total": "100",
                "unit": "%",
                "total_assumed": true,
                "share_reached": "0.1250",
                "needed": "37.5",
                "met": false
            }])
        );
        let back: ConventionStatus = serde_json::from_value(json).unwrap();
        assert_eq!(back, status);
    }
}
