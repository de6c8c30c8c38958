//! The entry-into-force engine.
//!
//! [`evaluate`] reads the record as of a day and says whether the convention
//! is in force, since or from when, what is still missing, and where each
//! participant stands. It is a pure function of the rule, the participants,
//! the record and the funding determinations, so the tracker page, the
//! go-live gate and the tests all see the same answer.
//!
//! # How the date is found
//! Each counted consent counts from its deposit until the participant's
//! denunciation, if any. The engine walks the dates on which something
//! changed, in order: the conditions are met on the first date on which the
//! threshold, the Council of Europe minimum and the funding determination all
//! hold, and the convention enters into force when the period runs from
//! there. If a denunciation drops a condition before that date, the pending
//! entry into force lapses and the walk looks for the next date the
//! conditions hold again. Once in force, the convention stays in force.
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
use crate::rule::EntryIntoForceRule;
use crate::validation::maintained_reservations;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use time::Date;

/// A condition of entry into force not yet fulfilled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "condition", rename_all = "snake_case")]
pub enum MissingCondition {
    /// Counted consents still needed to reach the threshold.
    Consents { needed: u32 },
    /// Council of Europe member states still needed among the consents.
    CouncilOfEuropeMembers { needed: u32 },
    /// The Council has not yet determined that funding is sufficient.
    FundingDetermination,
}

impl MissingCondition {
    /// Stable snake_case name, as in the JSON `condition` field.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Consents { .. } => "consents",
            Self::CouncilOfEuropeMembers { .. } => "council_of_europe_members",
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
            Self::FundingDetermination => {
                f.write_str("the Council's determination that funding is sufficient")
            }
        }
    }
}

/// Where one participant stands, as a treaty tracker shows it.
// A tracker row is a set of independent yes/no columns; an enum would only
// hide them from the API.
#[allow(clippy::struct_excessive_bools)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantStatus {
    pub code: ParticipantCode,
    pub name: String,
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
    #[serde(with = "crate::date_format::option")]
    pub funding_determined_on: Option<Date>,
    /// What still stands between the record and entry into force; empty
    /// once the conditions are met.
    pub missing: Vec<MissingCondition>,
    pub rule: EntryIntoForceRule,
    /// Ordered by name, then code.
    pub participants: Vec<ParticipantStatus>,
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
    fn counted_span(&self, rule: &EntryIntoForceRule) -> Option<(Date, Option<Date>)> {
        let (kind, from) = self.consent()?;
        let counts = rule.counts(kind)
            && (self.participant.kind == ParticipantKind::State || rule.organisations_count);
        let until = self.denounced_on();
        (counts && until.is_none_or(|until| until > from)).then_some((from, until))
    }
}

/// Evaluates the convention as of `today`.
///
/// `actions` and `funding_determinations` are the whole record, corrected
/// entries included; only effective entries dated on or before `today`
/// count.
pub fn evaluate(
    rule: &EntryIntoForceRule,
    participants: &[Participant],
    actions: &[TreatyAction],
    funding_determinations: &[FundingDetermination],
    today: Date,
) -> ConventionStatus {
    let mut standings: BTreeMap<&ParticipantCode, Standing<'_>> = BTreeMap::new();
    for participant in participants {
        standings
            .entry(&participant.code)
            .or_insert_with(|| Standing {
                participant,
                entries: Vec::new(),
            });
    }
    for action in effective_actions(actions)
        .into_iter()
        .filter(|a| a.date <= today)
    {
        if let Some(standing) = standings.get_mut(&action.participant) {
            standing.entries.push(action);
        }
    }
    let funding_determined_on = effective_funding_determinations(funding_determinations)
        .into_iter()
        .map(|d| d.date)
        .find(|&d| d <= today);

    // Changes to (counted consents, Council of Europe members) by date.
    let mut changes: BTreeMap<Date, (i64, i64)> = BTreeMap::new();
    for standing in standings.values() {
        if let Some((from, until)) = standing.counted_span(rule) {
            let coe = i64::from(standing.participant.council_of_europe_member);
            let start = changes.entry(from).or_default();
            start.0 += 1;
            start.1 += coe;
            if let Some(until) = until {
                let end = changes.entry(until).or_default();
                end.0 -= 1;
                end.1 -= coe;
            }
        }
    }
    if let Some(date) = funding_determined_on {
        changes.entry(date).or_default();
    }

    let threshold = i64::from(rule.threshold);
    let coe_minimum = i64::from(rule.min_council_of_europe_members.unwrap_or(0));
    let funded_by = |date: Date| {
        !rule.requires_funding_determination || funding_determined_on.is_some_and(|f| f <= date)
    };
    let (mut counted, mut coe) = (0_i64, 0_i64);
    let mut pending: Option<(Date, Date)> = None;
    let mut entered: Option<(Date, Date)> = None;
    for (&date, &(delta, coe_delta)) in &changes {
        if let Some(reached) = pending.filter(|&(_, eif)| eif <= date) {
            entered = Some(reached);
            break;
        }
        counted += delta;
        coe += coe_delta;
        let holds = counted >= threshold && coe >= coe_minimum && funded_by(date);
        match (holds, pending) {
            (true, None) => pending = Some((date, rule.period.entry_into_force(date))),
            (false, Some(_)) => pending = None,
            _ => {}
        }
    }
    let (conditions_met_on, entry_into_force) = entered.or(pending).unzip();
    let in_force = entry_into_force.is_some_and(|eif| eif <= today);

    // The count shown is the count on the day evaluated, which after entry
    // into force can fall below the threshold without ending it.
    let counted_today = standings
        .values()
        .filter_map(|s| s.counted_span(rule).map(|span| (s, span)))
        .filter(|(_, (from, until))| *from <= today && until.is_none_or(|u| u > today))
        .map(|(s, _)| s.participant.council_of_europe_member)
        .fold((0_u32, 0_u32), |(n, c), member| {
            (n + 1, c + u32::from(member))
        });

    let mut missing = Vec::new();
    if conditions_met_on.is_none() {
        let needed = rule.threshold.saturating_sub(counted_today.0);
        if needed > 0 {
            missing.push(MissingCondition::Consents { needed });
        }
        let coe_needed = rule
            .min_council_of_europe_members
            .unwrap_or(0)
            .saturating_sub(counted_today.1);
        if coe_needed > 0 {
            missing.push(MissingCondition::CouncilOfEuropeMembers { needed: coe_needed });
        }
        if !funded_by(today) {
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
                .is_some_and(|(from, until)| from <= today && until.is_none_or(|u| u > today));
            let has = |kind: ActionKind| standing.entries.iter().any(|a| a.kind == kind);
            ParticipantStatus {
                code: standing.participant.code.clone(),
                name: standing.participant.name.clone(),
                kind: standing.participant.kind,
                council_of_europe_member: standing.participant.council_of_europe_member,
                signed_on: standing
                    .first(|k| k == ActionKind::Signature)
                    .map(|a| a.date),
                consent: consent.map(|(kind, _)| kind),
                consent_on: consent.map(|(_, date)| date),
                counted,
                entry_into_force: own_entry_into_force,
                reservations: !maintained_reservations(actions, &standing.entries, today)
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
        counted_consents: counted_today.0,
        threshold: rule.threshold,
        council_of_europe_members: counted_today.1,
        funding_determined_on,
        missing,
        rule: rule.clone(),
        participants: participant_statuses,
    }
}

impl ConventionStatus {
    /// The status of one participant.
    pub fn participant(&self, code: &ParticipantCode) -> Option<&ParticipantStatus> {
        self.participants.iter().find(|p| &p.code == code)
    }
}
