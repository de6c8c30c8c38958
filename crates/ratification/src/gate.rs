//! The go-live gate and the events that announce a change of standing.
//!
//! The Commission has no power to act before the convention is in force, so
//! every Commission operation asks [`commission_may_act`] first. The refusal
//! carries what a caller needs to understand it (the count, the missing
//! conditions, the projected date) and is rendered by the HTTP layer as a
//! 409 problem of type [`NotInForce::PROBLEM_TYPE`].

use crate::action::{FundingDetermination, TreatyAction};
use crate::participant::ParticipantCode;
use crate::rule::EntryIntoForceRule;
use crate::status::EvaluationInput;
use crate::status::{ConventionStatus, MissingCondition, evaluate};
use crate::weight::{BasisTotal, Weight};
use serde::{Deserialize, Serialize};
use time::Date;

/// The convention is not (yet) in force: the Commission may not act.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error(
    "the convention is not in force: {counted_consents} of {threshold} consents counted{}",
    projected_entry_into_force.map(|d| format!(", entry into force projected for {d}")).unwrap_or_default()
)]
pub struct NotInForce {
    pub counted_consents: u32,
    pub threshold: u32,
    pub missing: Vec<MissingCondition>,
    #[serde(with = "crate::date_format::option")]
    pub projected_entry_into_force: Option<Date>,
}

impl NotInForce {
    /// Problem type (RFC 9457) for the HTTP layer.
    pub const PROBLEM_TYPE: &'static str = "commission-not-in-force";

    /// Stable snake_case code.
    pub const fn code(&self) -> &'static str {
        "commission_not_in_force"
    }
}

/// Whether the Commission may act on `today`.
///
/// `status` must come from [`evaluate`](crate::evaluate) over the current
/// record. Passing `today` lets a status cached before a projected date
/// open the gate on that date without being recomputed: the record can only
/// change by new entries, and each new entry means a new evaluation.
pub fn commission_may_act(status: &ConventionStatus, today: Date) -> Result<(), NotInForce> {
    // Whether `status` was evaluated before or after `today`, a known date
    // on or before today means in force: evaluated later, the date it gives
    // was reached; evaluated earlier, only new entries could move it, and
    // they bring a new evaluation.
    let in_force = status.entry_into_force.is_some_and(|d| d <= today);
    if in_force {
        Ok(())
    } else {
        Err(NotInForce {
            counted_consents: status.counted_consents,
            threshold: status.threshold,
            missing: status.missing.clone(),
            projected_entry_into_force: status.entry_into_force,
        })
    }
}

/// Optional dates inside [`ConventionEvent`]. The event is an internally
/// tagged enum, whose fields serde buffers before reading; the buffered
/// `null` reaches the reader as a unit, which the date format's own
/// `option` reader refuses. Reading an `Option<String>` first accepts it.
mod event_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    #[allow(
        clippy::ref_option,
        clippy::trivially_copy_pass_by_ref,
        reason = "the signature serde's `with` expects"
    )]
    pub(super) fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        crate::date_format::option::serialize(date, s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        Option::<String>::deserialize(d)?
            .map(|text| Date::parse(&text, format).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A change in the convention's standing worth notifying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ConventionEvent {
    /// The convention is now in force.
    EnteredIntoForce {
        #[serde(with = "crate::date_format")]
        on: Date,
    },
    /// A correction of the record shows the convention was not in force
    /// after all.
    NoLongerInForce {
        #[serde(with = "event_date")]
        previous_date: Option<Date>,
    },
    /// The (projected) date of entry into force appeared, moved or lapsed.
    EntryIntoForceDateChanged {
        #[serde(with = "event_date")]
        previous: Option<Date>,
        #[serde(with = "event_date")]
        current: Option<Date>,
    },
    /// A correction dated before an entry into force already reached moved
    /// or undid it. What the Commission decided meanwhile stays final.
    StandingRevised {
        #[serde(with = "event_date")]
        previous: Option<Date>,
        #[serde(with = "event_date")]
        current: Option<Date>,
        /// Whether the convention is in force on the revised record.
        in_force: bool,
    },
    /// A state or organisation joined the record with its signature or
    /// accession.
    ParticipantAdded { participant: ParticipantCode },
}

/// The event between two evaluations, if any.
pub fn status_change(
    previous: &ConventionStatus,
    current: &ConventionStatus,
) -> Option<ConventionEvent> {
    match (previous.in_force, current.in_force) {
        (false, true) => current
            .entry_into_force
            .map(|on| ConventionEvent::EnteredIntoForce { on }),
        (true, false) => Some(ConventionEvent::NoLongerInForce {
            previous_date: previous.entry_into_force,
        }),
        _ if previous.entry_into_force != current.entry_into_force => {
            Some(ConventionEvent::EntryIntoForceDateChanged {
                previous: previous.entry_into_force,
                current: current.entry_into_force,
            })
        }
        _ => None,
    }
}

/// An entry about to join the record.
#[derive(Clone, Copy, Debug)]
pub enum NewEntry<'a> {
    Action(&'a TreatyAction),
    Determination(&'a FundingDetermination),
    Weight(&'a Weight),
    BasisTotal(&'a BasisTotal),
}

/// A new entry would move or undo an entry into force already reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the convention entered into force on {entry_into_force}; this entry would {}",
    match (in_force_after, would_be) {
        (true, Some(on)) => format!("move that date to {on}"),
        _ => "take it out of force".to_owned(),
    }
)]
pub struct RevisionRefused {
    /// The date of entry into force already reached.
    pub entry_into_force: Date,
    /// The date on the record with the entry, if any.
    pub would_be: Option<Date>,
    /// Whether the convention would still be in force today.
    pub in_force_after: bool,
}

impl RevisionRefused {
    /// Stable code, as in the problem's `code` member.
    pub const CODE: &'static str = "revises_entry_into_force";
}

/// The record evaluated with `entry` added.
fn evaluate_with(
    rule: &EntryIntoForceRule,
    record: &EvaluationInput<'_>,
    entry: NewEntry<'_>,
    today: Date,
) -> ConventionStatus {
    match entry {
        NewEntry::Action(action) => {
            let mut with = record.actions.to_vec();
            with.push(action.clone());
            evaluate(
                rule,
                &EvaluationInput {
                    actions: &with,
                    ..*record
                },
                today,
            )
        }
        NewEntry::Determination(determination) => {
            let mut with = record.funding_determinations.to_vec();
            with.push(determination.clone());
            evaluate(
                rule,
                &EvaluationInput {
                    funding_determinations: &with,
                    ..*record
                },
                today,
            )
        }
        NewEntry::Weight(weight) => {
            let mut with = record.weights.to_vec();
            with.push(weight.clone());
            evaluate(
                rule,
                &EvaluationInput {
                    weights: &with,
                    ..*record
                },
                today,
            )
        }
        NewEntry::BasisTotal(total) => {
            let mut with = record.basis_totals.to_vec();
            with.push(total.clone());
            evaluate(
                rule,
                &EvaluationInput {
                    basis_totals: &with,
                    ..*record
                },
                today,
            )
        }
    }
}

/// The change of the convention's standing that recording `entry` makes,
/// judged today: the record evaluated without it and with it. The one
/// place that decides whether an entry announces an event.
///
/// Once the convention has entered into force, the Commission may have
/// acted, and what it decided is final. An entry that would move or undo
/// that entry into force (a late-recorded denunciation, a corrected
/// instrument) is refused, unless the depositary records it as a
/// `correction`: then it is announced as [`ConventionEvent::StandingRevised`].
pub fn standing_change(
    rule: &EntryIntoForceRule,
    record: &EvaluationInput<'_>,
    entry: NewEntry<'_>,
    today: Date,
    correction: bool,
) -> Result<Option<ConventionEvent>, RevisionRefused> {
    let before = evaluate(rule, record, today);
    let after = evaluate_with(rule, record, entry, today);
    if let (true, Some(reached)) = (before.in_force, before.entry_into_force) {
        let moved = !after.in_force || after.entry_into_force != before.entry_into_force;
        if moved {
            if !correction {
                return Err(RevisionRefused {
                    entry_into_force: reached,
                    would_be: after.entry_into_force,
                    in_force_after: after.in_force,
                });
            }
            return Ok(Some(ConventionEvent::StandingRevised {
                previous: Some(reached),
                current: after.entry_into_force,
                in_force: after.in_force,
            }));
        }
    }
    Ok(status_change(&before, &after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn status(in_force: bool, entry_into_force: Option<Date>) -> ConventionStatus {
        ConventionStatus {
            as_of: date!(2027 - 01 - 01),
            in_force,
            entry_into_force,
            conditions_met_on: None,
            counted_consents: 24,
            threshold: 25,
            council_of_europe_members: 0,
            weighted: Vec::new(),
            funding_determined_on: None,
            missing: vec![MissingCondition::Consents { needed: 1 }],
            rule: EntryIntoForceRule::convention_default(),
            participants: Vec::new(),
        }
    }

    #[test]
    fn refusal_carries_the_figures_and_reads_well() {
        let err = commission_may_act(&status(false, None), date!(2027 - 01 - 01)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the convention is not in force: 24 of 25 consents counted"
        );
        assert_eq!(NotInForce::PROBLEM_TYPE, "commission-not-in-force");
        let projected = Some(date!(2027 - 04 - 01));
        let err = commission_may_act(&status(false, projected), date!(2027 - 03 - 31)).unwrap_err();
        assert!(err.to_string().ends_with("projected for 2027-04-01"));
        assert!(commission_may_act(&status(false, projected), date!(2027 - 04 - 01)).is_ok());
    }

    #[test]
    fn events() {
        let d = Some(date!(2027 - 02 - 01));
        assert_eq!(
            status_change(&status(false, None), &status(false, None)),
            None
        );
        assert_eq!(
            status_change(&status(true, d), &status(false, None)),
            Some(ConventionEvent::NoLongerInForce { previous_date: d })
        );
        let json = serde_json::to_value(ConventionEvent::EnteredIntoForce {
            on: date!(2027 - 02 - 01),
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"event": "entered_into_force", "on": "2027-02-01"})
        );
        for event in [
            ConventionEvent::NoLongerInForce {
                previous_date: None,
            },
            ConventionEvent::EntryIntoForceDateChanged {
                previous: None,
                current: d,
            },
        ] {
            let text = serde_json::to_string(&event).unwrap();
            assert_eq!(
                serde_json::from_str::<ConventionEvent>(&text).unwrap(),
                event
            );
        }
    }
}

#[cfg(test)]
mod standing_tests {
    use super::*;
    use crate::{ActionKind, Participant, ParticipantCode};
    use time::macros::date;

    #[test]
    fn the_entry_that_completes_the_conditions_announces_the_date() {
        let rule = EntryIntoForceRule {
            threshold: 2,
            requires_funding_determination: false,
            weighted: Vec::new(),
            ..EntryIntoForceRule::convention_default()
        };
        let code = |c: &str| ParticipantCode::parse(c).unwrap();
        let participants: Vec<Participant> = ["FR", "NL"]
            .into_iter()
            .map(|c| Participant::from_code(code(c), c))
            .collect();
        let mut actions = Vec::new();
        for c in ["FR", "NL"] {
            actions.push(TreatyAction::new(
                code(c),
                ActionKind::Signature,
                date!(2026 - 01 - 01),
            ));
        }
        actions.push(TreatyAction::new(
            code("FR"),
            ActionKind::Consent(crate::ConsentKind::Ratification),
            date!(2026 - 02 - 01),
        ));
        let second = TreatyAction::new(
            code("NL"),
            ActionKind::Consent(crate::ConsentKind::Ratification),
            date!(2026 - 03 - 10),
        );
        let today = date!(2026 - 03 - 20);
        assert_eq!(
            standing_change(
                &rule,
                &EvaluationInput {
                    participants: &participants,
                    actions: &actions,
                    ..EvaluationInput::default()
                },
                NewEntry::Action(&second),
                today,
                false
            ),
            Ok(Some(ConventionEvent::EntryIntoForceDateChanged {
                previous: None,
                current: Some(date!(2026 - 07 - 01)),
            }))
        );
        let signature =
            TreatyAction::new(code("FR"), ActionKind::Declaration, date!(2026 - 03 - 11));
        assert_eq!(
            standing_change(
                &rule,
                &EvaluationInput {
                    participants: &participants,
                    actions: &actions,
                    ..EvaluationInput::default()
                },
                NewEntry::Action(&signature),
                today,
                false
            ),
            Ok(None)
        );
    }
}
