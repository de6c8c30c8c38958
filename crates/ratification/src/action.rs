//! The record of treaty actions and the Council's funding determination.
//!
//! The record is append-only, like a depositary's register: an entry found to
//! be wrong is never edited but followed by a correction that `supersedes`
//! it. A correction may itself be corrected, so the entry that counts is the
//! last of its chain; [`effective_actions`] and
//! [`effective_funding_determinations`] give those.

use crate::participant::ParticipantCode;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use time::Date;

kernel::typed_id!(
    /// An entry in the record of treaty actions.
    ActionId
);

kernel::typed_id!(
    /// A funding determination by the Council (or its correction).
    FundingDeterminationId
);

/// How a participant expressed its consent to be bound.
///
/// Treaty trackers abbreviate these as R, A, AA and a; [`ConsentKind::symbol`]
/// gives those, the wire form is the word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    Ratification,
    Acceptance,
    Approval,
    /// Consent by a participant that did not sign; needs no signature.
    Accession,
}

impl ConsentKind {
    pub const ALL: [Self; 4] = [
        Self::Ratification,
        Self::Acceptance,
        Self::Approval,
        Self::Accession,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ratification => "ratification",
            Self::Acceptance => "acceptance",
            Self::Approval => "approval",
            Self::Accession => "accession",
        }
    }

    /// The tracker abbreviation: `R`, `A`, `AA` or `a`.
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Ratification => "R",
            Self::Acceptance => "A",
            Self::Approval => "AA",
            Self::Accession => "a",
        }
    }

    /// Ratification, acceptance and approval confirm a signature; accession
    /// stands alone.
    pub const fn requires_signature(self) -> bool {
        !matches!(self, Self::Accession)
    }
}

impl fmt::Display for ConsentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a treaty action does.
///
/// On the wire a single snake_case word: `signature`, `ratification`,
/// `acceptance`, `approval`, `accession`, `reservation`, `declaration`,
/// `territorial_application`, `reservation_withdrawal`, `denunciation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionKind {
    Signature,
    Consent(ConsentKind),
    Reservation,
    Declaration,
    TerritorialApplication,
    ReservationWithdrawal,
    Denunciation,
}

impl ActionKind {
    pub const ALL: [Self; 10] = [
        Self::Signature,
        Self::Consent(ConsentKind::Ratification),
        Self::Consent(ConsentKind::Acceptance),
        Self::Consent(ConsentKind::Approval),
        Self::Consent(ConsentKind::Accession),
        Self::Reservation,
        Self::Declaration,
        Self::TerritorialApplication,
        Self::ReservationWithdrawal,
        Self::Denunciation,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Consent(kind) => kind.as_str(),
            Self::Reservation => "reservation",
            Self::Declaration => "declaration",
            Self::TerritorialApplication => "territorial_application",
            Self::ReservationWithdrawal => "reservation_withdrawal",
            Self::Denunciation => "denunciation",
        }
    }

    pub const fn consent(self) -> Option<ConsentKind> {
        match self {
            Self::Consent(kind) => Some(kind),
            _ => None,
        }
    }

    /// Where an action falls among others of the same day: a signature
    /// comes before the instrument deposited with it, a reservation before
    /// its withdrawal, and a consent before its denunciation.
    pub(crate) const fn same_day_rank(self) -> u8 {
        match self {
            Self::Signature => 0,
            Self::Consent(_) => 1,
            Self::Reservation => 2,
            Self::Declaration => 3,
            Self::TerritorialApplication => 4,
            Self::ReservationWithdrawal => 5,
            Self::Denunciation => 6,
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an action kind was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown treaty action kind {0:?}")]
pub struct UnknownActionKind(pub String);

impl FromStr for ActionKind {
    type Err = UnknownActionKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownActionKind(s.to_owned()))
    }
}

impl Serialize for ActionKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ActionKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let kind = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        kind.parse().map_err(serde::de::Error::custom)
    }
}

/// One entry in the record: something a participant did, on the date the
/// depositary received it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreatyAction {
    pub id: ActionId,
    pub participant: ParticipantCode,
    pub kind: ActionKind,
    /// Date of signature, or of deposit of the instrument or notification.
    #[serde(with = "crate::date_format")]
    pub date: Date,
    /// Text of a reservation, declaration or territorial application, or a
    /// note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The earlier entry this one corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<ActionId>,
    /// For a reservation withdrawal: the reservation withdrawn. `None`
    /// withdraws every reservation the participant still maintains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdraws: Option<ActionId>,
}

impl TreatyAction {
    /// A new entry with a fresh id and no text, correction or withdrawal
    /// target.
    pub fn new(participant: ParticipantCode, kind: ActionKind, date: Date) -> Self {
        Self {
            id: ActionId::new(),
            participant,
            kind,
            date,
            text: None,
            supersedes: None,
            withdraws: None,
        }
    }

    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Makes this entry a correction of `earlier`.
    pub fn superseding(mut self, earlier: ActionId) -> Self {
        self.supersedes = Some(earlier);
        self
    }

    pub fn withdrawing(mut self, reservation: ActionId) -> Self {
        self.withdraws = Some(reservation);
        self
    }

    /// Ordering key that makes every computation independent of the order
    /// the record was handed over in.
    pub(crate) fn order_key(&self) -> (Date, u8, ActionId) {
        (self.date, self.kind.same_day_rank(), self.id)
    }
}

/// The Council's determination that the financial commitments are sufficient
/// for the Commission's initial work: a condition of entry into force that
/// belongs to no participant, where the rule asks for it
/// ([`EntryIntoForceRule::council_determination_reading`](crate::EntryIntoForceRule::council_determination_reading)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingDetermination {
    pub id: FundingDeterminationId,
    #[serde(with = "crate::date_format")]
    pub date: Date,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<FundingDeterminationId>,
}

impl FundingDetermination {
    pub fn new(date: Date, text: impl Into<String>) -> Self {
        Self {
            id: FundingDeterminationId::new(),
            date,
            text: text.into(),
            supersedes: None,
        }
    }

    pub fn superseding(mut self, earlier: FundingDeterminationId) -> Self {
        self.supersedes = Some(earlier);
        self
    }
}

/// The entries that count: every entry no other entry supersedes, in date
/// order. A chain of corrections A <- B <- C leaves only C.
pub fn effective_actions(actions: &[TreatyAction]) -> Vec<&TreatyAction> {
    let superseded: HashSet<ActionId> = actions.iter().filter_map(|a| a.supersedes).collect();
    let mut effective: Vec<&TreatyAction> = actions
        .iter()
        .filter(|a| !superseded.contains(&a.id))
        .collect();
    effective.sort_by_key(|a| a.order_key());
    effective
}

/// The determinations that count (none superseded), in date order.
pub fn effective_funding_determinations(
    determinations: &[FundingDetermination],
) -> Vec<&FundingDetermination> {
    let superseded: HashSet<FundingDeterminationId> =
        determinations.iter().filter_map(|d| d.supersedes).collect();
    let mut effective: Vec<&FundingDetermination> = determinations
        .iter()
        .filter(|d| !superseded.contains(&d.id))
        .collect();
    effective.sort_by_key(|d| (d.date, d.id));
    effective
}

/// Follows corrections forward: the id of the entry that currently stands in
/// for `id` (itself when never corrected).
pub(crate) fn current_version(actions: &[TreatyAction], id: ActionId) -> ActionId {
    let successor: HashMap<ActionId, ActionId> = actions
        .iter()
        .filter_map(|a| a.supersedes.map(|s| (s, a.id)))
        .collect();
    let mut current = id;
    // A record built through validation has no cycles; the bound keeps a
    // corrupted one from looping.
    for _ in 0..=actions.len() {
        match successor.get(&current) {
            Some(&next) => current = next,
            None => break,
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn ua() -> ParticipantCode {
        ParticipantCode::parse("UA").unwrap()
    }

    #[test]
    fn kinds_round_trip_as_snake_case_words() {
        for kind in ActionKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<ActionKind>(&json).unwrap(), kind);
        }
        assert_eq!(
            serde_json::to_string(&ActionKind::TerritorialApplication).unwrap(),
            r#""territorial_application""#
        );
        assert!(serde_json::from_str::<ActionKind>(r#""consent""#).is_err());
        assert_eq!(ConsentKind::Approval.symbol(), "AA");
        assert_eq!(ConsentKind::Accession.symbol(), "a");
    }

    #[test]
    fn action_json_shape() {
        let action = TreatyAction::new(
            ua(),
            ActionKind::Consent(ConsentKind::Ratification),
            date!(2026 - 03 - 01),
        );
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json["kind"], "ratification");
        assert_eq!(json["date"], "2026-03-01");
        assert_eq!(json["participant"], "UA");
        assert!(json.get("supersedes").is_none());
        let back: TreatyAction = serde_json::from_value(json).unwrap();
        assert_eq!(back, action);
    }

    #[test]
    fn correction_chains_leave_only_the_last_entry() {
        let a = TreatyAction::new(ua(), ActionKind::Signature, date!(2025 - 12 - 15));
        let b =
            TreatyAction::new(ua(), ActionKind::Signature, date!(2025 - 12 - 17)).superseding(a.id);
        let c =
            TreatyAction::new(ua(), ActionKind::Signature, date!(2025 - 12 - 16)).superseding(b.id);
        let other = TreatyAction::new(ua(), ActionKind::Declaration, date!(2025 - 12 - 16));
        let record = vec![c.clone(), a.clone(), other.clone(), b.clone()];
        let effective: Vec<ActionId> = effective_actions(&record).iter().map(|x| x.id).collect();
        assert_eq!(effective, vec![c.id, other.id]);
        assert_eq!(current_version(&record, a.id), c.id);
        assert_eq!(current_version(&record, other.id), other.id);
    }

    #[test]
    fn funding_determination_corrections() {
        let first = FundingDetermination::new(date!(2026 - 06 - 01), "sufficient");
        let fixed =
            FundingDetermination::new(date!(2026 - 06 - 02), "sufficient").superseding(first.id);
        let record = [first, fixed.clone()];
        let effective = effective_funding_determinations(&record);
        assert_eq!(effective, vec![&fixed]);
    }
}
