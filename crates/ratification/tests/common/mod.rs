//! Helpers shared by the integration tests.

#![allow(dead_code, unreachable_pub)]

use ratification::{
    ActionKind, ConsentKind, EvaluationInput, FundingDetermination, Participant, ParticipantCode,
    TreatyAction,
};
use time::Date;

pub const R: ActionKind = ActionKind::Consent(ConsentKind::Ratification);
pub const AA: ActionKind = ActionKind::Consent(ConsentKind::Approval);
pub const ACCESSION: ActionKind = ActionKind::Consent(ConsentKind::Accession);

pub fn code(c: &str) -> ParticipantCode {
    ParticipantCode::parse(c).unwrap()
}

pub fn state(c: &str) -> Participant {
    Participant::from_code(code(c), c)
}

pub fn act(c: &str, kind: ActionKind, date: Date) -> TreatyAction {
    TreatyAction::new(code(c), kind, date)
}

/// A signature and a ratification for each `(code, deposit)`.
pub fn signed_and_ratified(signed_on: Date, deposits: &[(&str, Date)]) -> Vec<TreatyAction> {
    deposits
        .iter()
        .flat_map(|&(c, deposit)| [act(c, ActionKind::Signature, signed_on), act(c, R, deposit)])
        .collect()
}

/// The record as the engine reads it, without weights or totals.
pub fn input<'a>(
    participants: &'a [Participant],
    actions: &'a [TreatyAction],
    funding_determinations: &'a [FundingDetermination],
) -> EvaluationInput<'a> {
    EvaluationInput {
        participants,
        actions,
        funding_determinations,
        ..EvaluationInput::default()
    }
}
