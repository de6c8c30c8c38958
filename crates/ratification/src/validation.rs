//! Whether a new entry may join the record.
//!
//! The depositary's register must stay internally consistent for the count
//! toward entry into force to mean anything: no ratification without a
//! signature, no second instrument, no denunciation by a non-party. Each
//! refusal is its own [`ActionError`] variant with a stable [`ActionError::code`]
//! the HTTP layer puts in its problem documents.
//!
//! A correction is checked as if the entry it supersedes were gone, and then
//! the participant's whole corrected record is checked again, because moving
//! a signature date can make an already recorded ratification premature.

use crate::action::{
    ActionId, ActionKind, ConsentKind, FundingDetermination, FundingDeterminationId, TreatyAction,
    current_version, effective_actions,
};
use crate::participant::{Participant, ParticipantCode};
use crate::rule::EntryIntoForceRule;
use std::collections::HashSet;
use time::Date;

/// Why a new entry was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("the action is dated {date}, after today ({today})")]
    FutureDate { date: Date, today: Date },
    #[error("{0} is not a participant of the convention")]
    UnknownParticipant(ParticipantCode),
    #[error("an entry with id {0} is already recorded")]
    DuplicateId(ActionId),
    #[error("the entry to correct ({0}) is not in the record")]
    UnknownSupersededAction(ActionId),
    #[error("entry {superseded} has already been corrected by {by}; correct the latest entry")]
    AlreadySuperseded { superseded: ActionId, by: ActionId },
    #[error("entry {superseded} belongs to {owner}, not to {participant}")]
    SupersedesOtherParticipant {
        superseded: ActionId,
        owner: ParticipantCode,
        participant: ParticipantCode,
    },
    #[error("{participant} has not signed; {kind} requires a signature (accession does not)")]
    ConsentWithoutSignature {
        participant: ParticipantCode,
        kind: ActionKind,
    },
    #[error("{participant}'s {kind} on {date} is before its signature on {signed_on}")]
    ConsentBeforeSignature {
        participant: ParticipantCode,
        kind: ActionKind,
        date: Date,
        signed_on: Date,
    },
    #[error("{participant} already expressed its consent to be bound ({kind} on {date})")]
    SecondConsent {
        participant: ParticipantCode,
        kind: ActionKind,
        date: Date,
    },
    #[error("{participant} already signed on {signed_on}")]
    SecondSignature {
        participant: ParticipantCode,
        signed_on: Date,
    },
    #[error(
        "{participant} cannot sign: it already expressed its consent to be bound ({kind} on {date})"
    )]
    SignatureAfterConsent {
        participant: ParticipantCode,
        kind: ActionKind,
        date: Date,
    },
    #[error("{participant} maintains no reservation that this withdrawal could withdraw")]
    NoEffectiveReservation { participant: ParticipantCode },
    #[error("only a reservation withdrawal names a reservation to withdraw, not a {0}")]
    WithdrawalTargetNotAllowed(ActionKind),
    #[error(
        "{participant} cannot denounce: it has not expressed its consent to be bound by {date}"
    )]
    DenunciationWithoutConsent {
        participant: ParticipantCode,
        date: Date,
    },
    #[error("{participant} already denounced the convention on {date}")]
    AlreadyDenounced {
        participant: ParticipantCode,
        date: Date,
    },
    #[error("{participant} cannot accede: the rule admits no accession")]
    AccessionClosed { participant: ParticipantCode },
}

impl ActionError {
    /// Stable snake_case code for problem documents and client logic.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::FutureDate { .. } => "future_date",
            Self::UnknownParticipant(_) => "unknown_participant",
            Self::DuplicateId(_) => "duplicate_id",
            Self::UnknownSupersededAction(_) => "unknown_superseded_action",
            Self::AlreadySuperseded { .. } => "already_superseded",
            Self::SupersedesOtherParticipant { .. } => "supersedes_other_participant",
            Self::ConsentWithoutSignature { .. } => "consent_without_signature",
            Self::ConsentBeforeSignature { .. } => "consent_before_signature",
            Self::SecondConsent { .. } => "second_consent",
            Self::SecondSignature { .. } => "second_signature",
            Self::SignatureAfterConsent { .. } => "signature_after_consent",
            Self::NoEffectiveReservation { .. } => "no_effective_reservation",
            Self::WithdrawalTargetNotAllowed(_) => "withdrawal_target_not_allowed",
            Self::DenunciationWithoutConsent { .. } => "denunciation_without_consent",
            Self::AlreadyDenounced { .. } => "already_denounced",
            Self::AccessionClosed { .. } => "accession_closed",
        }
    }

    /// Whether the entry is refused because of what is already recorded
    /// (HTTP 409) rather than because it is malformed on its own (HTTP 422).
    pub const fn is_conflict(&self) -> bool {
        matches!(
            self,
            Self::DuplicateId(_)
                | Self::AlreadySuperseded { .. }
                | Self::SecondConsent { .. }
                | Self::SecondSignature { .. }
                | Self::SignatureAfterConsent { .. }
                | Self::AlreadyDenounced { .. }
        )
    }
}

/// Checks `new` against the rule, the existing record (all entries,
/// corrected ones included) and the known participants.
///
/// The rule matters only for accessions: where it neither counts them nor
/// leaves them open ([`EntryIntoForceRule::admits_accession`]), an accession
/// is refused. Accessions already recorded are not checked again, so that a
/// rule changed later does not block corrections of other entries.
pub fn validate_action(
    rule: &EntryIntoForceRule,
    participants: &[Participant],
    record: &[TreatyAction],
    new: &TreatyAction,
    today: Date,
) -> Result<(), ActionError> {
    if new.date > today {
        return Err(ActionError::FutureDate {
            date: new.date,
            today,
        });
    }
    if !participants.iter().any(|p| p.code == new.participant) {
        return Err(ActionError::UnknownParticipant(new.participant));
    }
    if record.iter().any(|a| a.id == new.id) {
        return Err(ActionError::DuplicateId(new.id));
    }
    if new.kind == ActionKind::Consent(ConsentKind::Accession) && !rule.admits_accession() {
        return Err(ActionError::AccessionClosed {
            participant: new.participant,
        });
    }
    if let Some(earlier) = new.supersedes {
        let Some(target) = record.iter().find(|a| a.id == earlier) else {
            return Err(ActionError::UnknownSupersededAction(earlier));
        };
        if let Some(by) = record.iter().find(|a| a.supersedes == Some(earlier)) {
            return Err(ActionError::AlreadySuperseded {
                superseded: earlier,
                by: by.id,
            });
        }
        if target.participant != new.participant {
            return Err(ActionError::SupersedesOtherParticipant {
                superseded: earlier,
                owner: target.participant,
                participant: new.participant,
            });
        }
    }

    let mut corrected: Vec<TreatyAction> = record.to_vec();
    corrected.push(new.clone());
    let own = |a: &&TreatyAction| a.participant == new.participant && a.id != new.id;
    let before: Vec<&TreatyAction> = effective_actions(&corrected)
        .into_iter()
        .filter(own)
        .collect();
    check_against(&corrected, &before, new)?;

    if new.supersedes.is_some() {
        // Replay the corrected record of this participant in date order so
        // that entries depending on the corrected one are checked again.
        let replay: Vec<&TreatyAction> = effective_actions(&corrected)
            .into_iter()
            .filter(|a| a.participant == new.participant)
            .collect();
        for (i, action) in replay.iter().enumerate() {
            check_against(&corrected, &replay[..i], action)?;
        }
    }
    Ok(())
}

/// Checks one entry against the participant's effective entries that precede
/// it. `record` is the whole record, for resolving withdrawal targets.
fn check_against(
    record: &[TreatyAction],
    prior: &[&TreatyAction],
    new: &TreatyAction,
) -> Result<(), ActionError> {
    let participant = || new.participant;
    let signature = prior.iter().find(|a| a.kind == ActionKind::Signature);
    let consent = prior.iter().find(|a| a.kind.consent().is_some());

    if new.withdraws.is_some() && new.kind != ActionKind::ReservationWithdrawal {
        return Err(ActionError::WithdrawalTargetNotAllowed(new.kind));
    }
    match new.kind {
        ActionKind::Signature => {
            if let Some(signed) = signature {
                return Err(ActionError::SecondSignature {
                    participant: participant(),
                    signed_on: signed.date,
                });
            }
            if let Some(consent) = consent {
                return Err(ActionError::SignatureAfterConsent {
                    participant: participant(),
                    kind: consent.kind,
                    date: consent.date,
                });
            }
        }
        ActionKind::Consent(kind) => {
            if let Some(consent) = consent {
                return Err(ActionError::SecondConsent {
                    participant: participant(),
                    kind: consent.kind,
                    date: consent.date,
                });
            }
            if kind.requires_signature() {
                match signature {
                    None => {
                        return Err(ActionError::ConsentWithoutSignature {
                            participant: participant(),
                            kind: new.kind,
                        });
                    }
                    Some(signed) if signed.date > new.date => {
                        return Err(ActionError::ConsentBeforeSignature {
                            participant: participant(),
                            kind: new.kind,
                            date: new.date,
                            signed_on: signed.date,
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        ActionKind::ReservationWithdrawal => {
            let maintained = maintained_reservations(record, prior, new.date);
            let ok = match new.withdraws {
                Some(target) => maintained.contains(&current_version(record, target)),
                None => !maintained.is_empty(),
            };
            if !ok {
                return Err(ActionError::NoEffectiveReservation {
                    participant: participant(),
                });
            }
        }
        ActionKind::Denunciation => {
            if let Some(denounced) = prior.iter().find(|a| a.kind == ActionKind::Denunciation) {
                return Err(ActionError::AlreadyDenounced {
                    participant: participant(),
                    date: denounced.date,
                });
            }
            if consent.is_none_or(|c| c.date > new.date) {
                return Err(ActionError::DenunciationWithoutConsent {
                    participant: participant(),
                    date: new.date,
                });
            }
        }
        ActionKind::Reservation | ActionKind::Declaration | ActionKind::TerritorialApplication => {}
    }
    Ok(())
}

/// The reservations among `effective` (one participant's effective entries)
/// made on or before `date` and not withdrawn by then.
pub(crate) fn maintained_reservations(
    record: &[TreatyAction],
    effective: &[&TreatyAction],
    date: Date,
) -> HashSet<ActionId> {
    let mut maintained = HashSet::new();
    let mut entries: Vec<&&TreatyAction> = effective.iter().filter(|a| a.date <= date).collect();
    entries.sort_by_key(|a| a.order_key());
    for entry in entries {
        match entry.kind {
            ActionKind::Reservation => {
                maintained.insert(entry.id);
            }
            ActionKind::ReservationWithdrawal => match entry.withdraws {
                Some(target) => {
                    maintained.remove(&current_version(record, target));
                }
                None => maintained.clear(),
            },
            _ => {}
        }
    }
    maintained
}

/// Why a funding determination was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FundingDeterminationError {
    #[error("the determination is dated {date}, after today ({today})")]
    FutureDate { date: Date, today: Date },
    #[error("a determination with id {0} is already recorded")]
    DuplicateId(FundingDeterminationId),
    #[error("the determination to correct ({0}) is not in the record")]
    UnknownSupersededDetermination(FundingDeterminationId),
    #[error(
        "determination {superseded} has already been corrected by {by}; correct the latest one"
    )]
    AlreadySuperseded {
        superseded: FundingDeterminationId,
        by: FundingDeterminationId,
    },
}

impl FundingDeterminationError {
    /// Stable snake_case code for problem documents.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::FutureDate { .. } => "future_date",
            Self::DuplicateId(_) => "duplicate_id",
            Self::UnknownSupersededDetermination(_) => "unknown_superseded_determination",
            Self::AlreadySuperseded { .. } => "already_superseded",
        }
    }
}

/// Checks a new funding determination (or a correction of one).
pub fn validate_funding_determination(
    record: &[FundingDetermination],
    new: &FundingDetermination,
    today: Date,
) -> Result<(), FundingDeterminationError> {
    if new.date > today {
        return Err(FundingDeterminationError::FutureDate {
            date: new.date,
            today,
        });
    }
    if record.iter().any(|d| d.id == new.id) {
        return Err(FundingDeterminationError::DuplicateId(new.id));
    }
    if let Some(earlier) = new.supersedes {
        if !record.iter().any(|d| d.id == earlier) {
            return Err(FundingDeterminationError::UnknownSupersededDetermination(
                earlier,
            ));
        }
        if let Some(by) = record.iter().find(|d| d.supersedes == Some(earlier)) {
            return Err(FundingDeterminationError::AlreadySuperseded {
                superseded: earlier,
                by: by.id,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 06 - 30);
    const SIGNED: Date = date!(2025 - 12 - 16);

    fn code(c: &str) -> ParticipantCode {
        ParticipantCode::parse(c).unwrap()
    }

    fn participants() -> Vec<Participant> {
        ["UA", "FR", "EU", "JP"]
            .iter()
            .map(|c| Participant::from_code(code(c), *c))
            .collect()
    }

    fn act(c: &str, kind: ActionKind, date: Date) -> TreatyAction {
        TreatyAction::new(code(c), kind, date)
    }

    const R: ActionKind = ActionKind::Consent(ConsentKind::Ratification);
    const ACCESSION: ActionKind = ActionKind::Consent(ConsentKind::Accession);

    fn check(record: &[TreatyAction], new: &TreatyAction) -> Result<(), ActionError> {
        validate_action(
            &EntryIntoForceRule::convention_default(),
            &participants(),
            record,
            new,
            TODAY,
        )
    }

    fn code_of(record: &[TreatyAction], new: &TreatyAction) -> &'static str {
        check(record, new).unwrap_err().code()
    }

    fn signed_and_ratified() -> Vec<TreatyAction> {
        vec![
            act("UA", ActionKind::Signature, SIGNED),
            act("UA", R, date!(2026 - 02 - 01)),
        ]
    }

    #[test]
    fn a_well_formed_history_is_accepted() {
        let mut record = Vec::new();
        let reservation = act("UA", ActionKind::Reservation, date!(2026 - 02 - 01));
        for action in [
            act("UA", ActionKind::Signature, SIGNED),
            act("UA", R, date!(2026 - 02 - 01)),
            reservation.clone(),
            act("UA", ActionKind::Declaration, date!(2026 - 02 - 01)),
            act(
                "UA",
                ActionKind::TerritorialApplication,
                date!(2026 - 02 - 01),
            ),
            act(
                "UA",
                ActionKind::ReservationWithdrawal,
                date!(2026 - 04 - 01),
            )
            .withdrawing(reservation.id),
            act("UA", ActionKind::Denunciation, date!(2026 - 05 - 01)),
            act("JP", ACCESSION, date!(2026 - 03 - 01)),
        ] {
            check(&record, &action).unwrap();
            record.push(action);
        }
    }

    #[test]
    fn future_date() {
        let err = check(
            &[],
            &act("UA", ActionKind::Signature, date!(2026 - 07 - 01)),
        );
        assert_eq!(
            err,
            Err(ActionError::FutureDate {
                date: date!(2026 - 07 - 01),
                today: TODAY
            })
        );
        assert_eq!(err.unwrap_err().code(), "future_date");
        assert!(check(&[], &act("UA", ActionKind::Signature, TODAY)).is_ok());
    }

    #[test]
    fn unknown_participant() {
        let err = check(&[], &act("DE", ActionKind::Signature, SIGNED)).unwrap_err();
        assert_eq!(err.code(), "unknown_participant");
        assert_eq!(err.to_string(), "DE is not a participant of the convention");
    }

    #[test]
    fn duplicate_id() {
        let record = signed_and_ratified();
        let mut again = act("UA", ActionKind::Declaration, SIGNED);
        again.id = record[0].id;
        assert_eq!(code_of(&record, &again), "duplicate_id");
        assert!(check(&record, &again).unwrap_err().is_conflict());
    }

    #[test]
    fn consent_without_signature() {
        for kind in [
            ConsentKind::Ratification,
            ConsentKind::Acceptance,
            ConsentKind::Approval,
        ] {
            let new = act("FR", ActionKind::Consent(kind), date!(2026 - 01 - 10));
            assert_eq!(code_of(&[], &new), "consent_without_signature");
        }
        assert!(check(&[], &act("FR", ACCESSION, date!(2026 - 01 - 10))).is_ok());
    }

    #[test]
    fn consent_before_signature() {
        let record = vec![act("FR", ActionKind::Signature, date!(2026 - 01 - 10))];
        let new = act("FR", R, date!(2026 - 01 - 09));
        assert_eq!(code_of(&record, &new), "consent_before_signature");
        assert!(check(&record, &act("FR", R, date!(2026 - 01 - 10))).is_ok());
    }

    #[test]
    fn second_consent() {
        let record = signed_and_ratified();
        let new = act(
            "UA",
            ActionKind::Consent(ConsentKind::Approval),
            date!(2026 - 03 - 01),
        );
        assert_eq!(code_of(&record, &new), "second_consent");
        let acc = vec![act("JP", ACCESSION, date!(2026 - 01 - 01))];
        assert_eq!(
            code_of(&acc, &act("JP", ACCESSION, date!(2026 - 02 - 01))),
            "second_consent"
        );
    }

    #[test]
    fn second_signature_and_signature_after_consent() {
        let record = signed_and_ratified();
        assert_eq!(
            code_of(&record[..1], &act("UA", ActionKind::Signature, SIGNED)),
            "second_signature"
        );
        let acc = vec![act("JP", ACCESSION, date!(2026 - 01 - 01))];
        assert_eq!(
            code_of(
                &acc,
                &act("JP", ActionKind::Signature, date!(2026 - 02 - 01))
            ),
            "signature_after_consent"
        );
    }

    #[test]
    fn reservation_withdrawal_needs_a_maintained_reservation() {
        let mut record = signed_and_ratified();
        let withdrawal = act(
            "UA",
            ActionKind::ReservationWithdrawal,
            date!(2026 - 03 - 01),
        );
        assert_eq!(code_of(&record, &withdrawal), "no_effective_reservation");

        let reservation = act("UA", ActionKind::Reservation, date!(2026 - 02 - 01));
        record.push(reservation.clone());
        assert!(check(&record, &withdrawal).is_ok());
        // A reservation of another participant cannot be withdrawn by UA.
        let foreign = act("FR", ActionKind::Reservation, date!(2026 - 02 - 01));
        record.push(foreign.clone());
        let wrong = withdrawal.clone().withdrawing(foreign.id);
        assert_eq!(code_of(&record, &wrong), "no_effective_reservation");
        // Once withdrawn, it cannot be withdrawn again.
        record.push(withdrawal.clone().withdrawing(reservation.id));
        let again = act(
            "UA",
            ActionKind::ReservationWithdrawal,
            date!(2026 - 04 - 01),
        )
        .withdrawing(reservation.id);
        assert_eq!(code_of(&record, &again), "no_effective_reservation");
    }

    #[test]
    fn withdrawing_a_corrected_reservation_targets_its_correction() {
        let mut record = signed_and_ratified();
        let reservation = act("UA", ActionKind::Reservation, date!(2026 - 02 - 01));
        let fixed = act("UA", ActionKind::Reservation, date!(2026 - 02 - 01))
            .with_text("corrected wording")
            .superseding(reservation.id);
        record.extend([reservation.clone(), fixed]);
        let withdrawal = act(
            "UA",
            ActionKind::ReservationWithdrawal,
            date!(2026 - 03 - 01),
        )
        .withdrawing(reservation.id);
        assert!(check(&record, &withdrawal).is_ok());
    }

    #[test]
    fn withdrawal_target_only_on_withdrawals() {
        let record = signed_and_ratified();
        let new =
            act("UA", ActionKind::Declaration, date!(2026 - 03 - 01)).withdrawing(record[0].id);
        assert_eq!(code_of(&record, &new), "withdrawal_target_not_allowed");
    }

    #[test]
    fn denunciation_without_consent() {
        let record = vec![act("FR", ActionKind::Signature, SIGNED)];
        let new = act("FR", ActionKind::Denunciation, date!(2026 - 03 - 01));
        assert_eq!(code_of(&record, &new), "denunciation_without_consent");
        // Nor before the consent it would end.
        let record = signed_and_ratified();
        let early = act("UA", ActionKind::Denunciation, date!(2026 - 01 - 31));
        assert_eq!(code_of(&record, &early), "denunciation_without_consent");
    }

    #[test]
    fn already_denounced() {
        let mut record = signed_and_ratified();
        record.push(act("UA", ActionKind::Denunciation, date!(2026 - 03 - 01)));
        let new = act("UA", ActionKind::Denunciation, date!(2026 - 04 - 01));
        assert_eq!(code_of(&record, &new), "already_denounced");
    }

    #[test]
    fn unknown_superseded_action() {
        let record = signed_and_ratified();
        let new = act("UA", R, date!(2026 - 02 - 02)).superseding(ActionId::new());
        assert_eq!(code_of(&record, &new), "unknown_superseded_action");
    }

    #[test]
    fn already_superseded() {
        let mut record = signed_and_ratified();
        let first_fix = act("UA", R, date!(2026 - 02 - 02)).superseding(record[1].id);
        check(&record, &first_fix).unwrap();
        record.push(first_fix.clone());
        let second_fix = act("UA", R, date!(2026 - 02 - 03)).superseding(record[1].id);
        assert_eq!(code_of(&record, &second_fix), "already_superseded");
        // Correcting the correction is the way.
        let chained = act("UA", R, date!(2026 - 02 - 03)).superseding(first_fix.id);
        assert!(check(&record, &chained).is_ok());
    }

    #[test]
    fn supersedes_other_participant() {
        let mut record = signed_and_ratified();
        record.push(act("FR", ActionKind::Signature, SIGNED));
        let new = act("UA", ActionKind::Signature, SIGNED).superseding(record[2].id);
        assert_eq!(code_of(&record, &new), "supersedes_other_participant");
    }

    #[test]
    fn a_correction_may_replace_the_entry_it_corrects() {
        let record = signed_and_ratified();
        // Correcting the ratification into an acceptance is not a second consent.
        let fix = act(
            "UA",
            ActionKind::Consent(ConsentKind::Acceptance),
            date!(2026 - 02 - 01),
        )
        .superseding(record[1].id);
        assert!(check(&record, &fix).is_ok());
    }

    #[test]
    fn a_correction_that_breaks_later_entries_is_refused() {
        let record = signed_and_ratified();
        // Moving the signature after the ratification would leave the
        // ratification before its signature.
        let fix = act("UA", ActionKind::Signature, date!(2026 - 03 - 01)).superseding(record[0].id);
        assert_eq!(code_of(&record, &fix), "signature_after_consent");

        // Moving the ratification after the denunciation leaves a
        // denunciation by a non-party.
        let mut record = signed_and_ratified();
        record.push(act("UA", ActionKind::Denunciation, date!(2026 - 05 - 01)));
        let fix = act("UA", R, date!(2026 - 06 - 01)).superseding(record[1].id);
        assert_eq!(code_of(&record, &fix), "denunciation_without_consent");

        // Turning a withdrawn reservation into a declaration leaves the
        // withdrawal with nothing to withdraw.
        let mut record = signed_and_ratified();
        let reservation = act("UA", ActionKind::Reservation, date!(2026 - 02 - 01));
        record.push(reservation.clone());
        record.push(
            act(
                "UA",
                ActionKind::ReservationWithdrawal,
                date!(2026 - 03 - 01),
            )
            .withdrawing(reservation.id),
        );
        let fix =
            act("UA", ActionKind::Declaration, date!(2026 - 02 - 01)).superseding(reservation.id);
        assert_eq!(code_of(&record, &fix), "no_effective_reservation");
    }

    #[test]
    fn accession_closed() {
        let closed = EntryIntoForceRule {
            accession_open: false,
            ..EntryIntoForceRule::convention_default()
        };
        let accession = act("JP", ACCESSION, date!(2026 - 03 - 01));
        let err = validate_action(&closed, &participants(), &[], &accession, TODAY).unwrap_err();
        assert_eq!(err.code(), "accession_closed");
        assert!(!err.is_conflict());
        assert_eq!(
            err.to_string(),
            "JP cannot accede: the rule admits no accession"
        );
        // Ratifications are not affected.
        let record = vec![act("UA", ActionKind::Signature, SIGNED)];
        validate_action(
            &closed,
            &participants(),
            &record,
            &act("UA", R, TODAY),
            TODAY,
        )
        .unwrap();
        // A rule that counts accessions admits them whatever the flag says.
        let counting = EntryIntoForceRule {
            counting_consents: ConsentKind::ALL.into_iter().collect(),
            ..closed
        };
        validate_action(&counting, &participants(), &[], &accession, TODAY).unwrap();
    }

    #[test]
    fn funding_determination_checks() {
        let first = FundingDetermination::new(date!(2026 - 05 - 01), "sufficient");
        assert!(validate_funding_determination(&[], &first, TODAY).is_ok());
        let future = FundingDetermination::new(date!(2026 - 07 - 01), "sufficient");
        assert_eq!(
            validate_funding_determination(&[], &future, TODAY)
                .unwrap_err()
                .code(),
            "future_date"
        );
        let record = vec![first.clone()];
        assert_eq!(
            validate_funding_determination(&record, &first, TODAY)
                .unwrap_err()
                .code(),
            "duplicate_id"
        );
        let orphan =
            FundingDetermination::new(TODAY, "x").superseding(FundingDeterminationId::new());
        assert_eq!(
            validate_funding_determination(&record, &orphan, TODAY)
                .unwrap_err()
                .code(),
            "unknown_superseded_determination"
        );
        let fix = FundingDetermination::new(TODAY, "x").superseding(first.id);
        assert!(validate_funding_determination(&record, &fix, TODAY).is_ok());
        let record = vec![first.clone(), fix];
        let again = FundingDetermination::new(TODAY, "y").superseding(first.id);
        assert_eq!(
            validate_funding_determination(&record, &again, TODAY)
                .unwrap_err()
                .code(),
            "already_superseded"
        );
    }

    #[test]
    fn codes_are_distinct() {
        let p = code("UA");
        let d = TODAY;
        let all = [
            ActionError::FutureDate { date: d, today: d },
            ActionError::UnknownParticipant(p),
            ActionError::DuplicateId(ActionId::new()),
            ActionError::UnknownSupersededAction(ActionId::new()),
            ActionError::AlreadySuperseded {
                superseded: ActionId::new(),
                by: ActionId::new(),
            },
            ActionError::SupersedesOtherParticipant {
                superseded: ActionId::new(),
                owner: p,
                participant: p,
            },
            ActionError::ConsentWithoutSignature {
                participant: p,
                kind: R,
            },
            ActionError::ConsentBeforeSignature {
                participant: p,
                kind: R,
                date: d,
                signed_on: d,
            },
            ActionError::SecondConsent {
                participant: p,
                kind: R,
                date: d,
            },
            ActionError::SecondSignature {
                participant: p,
                signed_on: d,
            },
            ActionError::SignatureAfterConsent {
                participant: p,
                kind: R,
                date: d,
            },
            ActionError::NoEffectiveReservation { participant: p },
            ActionError::WithdrawalTargetNotAllowed(R),
            ActionError::DenunciationWithoutConsent {
                participant: p,
                date: d,
            },
            ActionError::AlreadyDenounced {
                participant: p,
                date: d,
            },
            ActionError::AccessionClosed { participant: p },
        ];
        let codes: HashSet<&str> = all.iter().map(ActionError::code).collect();
        assert_eq!(codes.len(), all.len());
    }
}
