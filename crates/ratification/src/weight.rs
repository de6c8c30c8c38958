//! Weights that consents carry toward a weighted condition of entry into
//! force, and the totals they are measured against.
//!
//! Some treaties count not only how many parties consent but what they bring:
//! the Kyoto Protocol needed Annex I parties with 55 % of those parties' 1990
//! carbon dioxide emissions, the ILO and IMO maritime conventions a share of
//! world tonnage, and the convention (as its summaries read) ratifying
//! signatories whose contributions to the Register of Damage's 2025 budget
//! make half of that budget. Each of these is a *basis* (a short
//! [`BasisCode`]), a [`Weight`] per participant on it, and a [`BasisTotal`].
//!
//! Both records are append-only, like the record of treaty actions: a wrong
//! figure is never edited but superseded by a correction, which takes its
//! place entirely (as if the wrong figure had never been recorded), and a
//! correction may itself be corrected. [`effective_weights`] and
//! [`effective_basis_totals`] give the entries that stand.
//!
//! What a figure means over time:
//! - a participant's weight on a basis is the **sum** of its effective
//!   weights there, each counting from its own date (a contribution paid in
//!   two instalments is two weights);
//! - a basis's recorded total is the latest effective one dated on or
//!   before the day in question: a later figure (an amended budget) replaces
//!   an earlier one from its own date on, while a correction replaces it
//!   from the start.

use crate::participant::{Participant, ParticipantCode};
use crate::rule::{EntryIntoForceRule, TotalKind};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use time::Date;

kernel::typed_id!(
    /// A recorded weight (or its correction).
    WeightId
);

kernel::typed_id!(
    /// A recorded total of a basis (or its correction).
    BasisTotalId
);

/// Why a basis code was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a basis code: 1 to 64 lower-case letters, digits and inner hyphens, such as \"rd4u-2025-budget\""
)]
pub struct InvalidBasisCode(pub String);

/// The name of what weights measure: `rd4u-2025-budget`,
/// `annex-i-co2-1990`, `world-gross-tonnage`.
///
/// Lower-case ASCII letters, digits and hyphens (not first or last), at most
/// 64 characters, so that it reads the same in a URL, a file name and a log
/// line. On the wire a plain string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BasisCode(String);

impl BasisCode {
    pub const MAX_LEN: usize = 64;

    pub fn parse(code: &str) -> Result<Self, InvalidBasisCode> {
        let bytes = code.as_bytes();
        let allowed = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
        let ok = !bytes.is_empty()
            && bytes.len() <= Self::MAX_LEN
            && bytes.iter().all(allowed)
            && bytes.first() != Some(&b'-')
            && bytes.last() != Some(&b'-');
        if ok {
            Ok(Self(code.to_owned()))
        } else {
            Err(InvalidBasisCode(code.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The basis of the convention's weighted condition,
    /// [`RD4U_2025_BUDGET`](crate::RD4U_2025_BUDGET).
    pub fn rd4u_2025_budget() -> Self {
        Self(crate::rule::RD4U_2025_BUDGET.to_owned())
    }
}

impl fmt::Display for BasisCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BasisCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BasisCode {
    type Err = InvalidBasisCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for BasisCode {
    type Error = InvalidBasisCode;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl Serialize for BasisCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BasisCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// What one participant carries on a basis: its contribution to a budget,
/// its share of emissions, the tonnage under its flag.
///
/// The figure counts toward a weighted condition from `date` on, and only
/// while the participant's consent counts toward the threshold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weight {
    pub id: WeightId,
    pub participant: ParticipantCode,
    pub basis: BasisCode,
    /// Zero or more, in `unit`.
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
    /// What `value` is counted in: `EUR`, `%`, `Gg CO2`, `GT`. Every figure
    /// on one basis shares a unit, since they are added up.
    pub unit: String,
    /// Where the figure comes from, as a reader would look it up.
    pub source: String,
    /// The day from which the figure is known (recorded, or published as
    /// of). Evaluating an earlier day does not see it.
    #[serde(with = "crate::date_format")]
    pub date: Date,
    /// The earlier weight this one corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<WeightId>,
}

impl Weight {
    /// A new weight with a fresh id, correcting nothing.
    pub fn new(
        participant: ParticipantCode,
        basis: BasisCode,
        value: Decimal,
        unit: impl Into<String>,
        source: impl Into<String>,
        date: Date,
    ) -> Self {
        Self {
            id: WeightId::new(),
            participant,
            basis,
            value,
            unit: unit.into(),
            source: source.into(),
            date,
            supersedes: None,
        }
    }

    /// Makes this weight a correction of `earlier`.
    pub fn superseding(mut self, earlier: WeightId) -> Self {
        self.supersedes = Some(earlier);
        self
    }
}

/// The figure a basis's weights are measured against, when the rule says it
/// is recorded ([`TotalKind::Recorded`]): a budget, the total of a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisTotal {
    pub id: BasisTotalId,
    pub basis: BasisCode,
    /// Positive, in `unit`.
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
    pub unit: String,
    pub source: String,
    /// The day from which the figure is known.
    #[serde(with = "crate::date_format")]
    pub date: Date,
    /// The figure is derived or supposed rather than read in a published
    /// source, and is shown as such.
    #[serde(default)]
    pub assumed: bool,
    /// The earlier total this one corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<BasisTotalId>,
}

impl BasisTotal {
    /// A new, published (not assumed) total with a fresh id.
    pub fn new(
        basis: BasisCode,
        value: Decimal,
        unit: impl Into<String>,
        source: impl Into<String>,
        date: Date,
    ) -> Self {
        Self {
            id: BasisTotalId::new(),
            basis,
            value,
            unit: unit.into(),
            source: source.into(),
            date,
            assumed: false,
            supersedes: None,
        }
    }

    pub fn assumed(mut self) -> Self {
        self.assumed = true;
        self
    }

    /// Makes this total a correction of `earlier`.
    pub fn superseding(mut self, earlier: BasisTotalId) -> Self {
        self.supersedes = Some(earlier);
        self
    }
}

/// The weights that count: every weight no other supersedes, ordered by
/// date, then id.
pub fn effective_weights(weights: &[Weight]) -> Vec<&Weight> {
    let superseded: HashSet<WeightId> = weights.iter().filter_map(|w| w.supersedes).collect();
    let mut effective: Vec<&Weight> = weights
        .iter()
        .filter(|w| !superseded.contains(&w.id))
        .collect();
    effective.sort_by_key(|w| (w.date, w.id));
    effective
}

/// The totals that count: every total no other supersedes, ordered by date,
/// then id.
pub fn effective_basis_totals(totals: &[BasisTotal]) -> Vec<&BasisTotal> {
    let superseded: HashSet<BasisTotalId> = totals.iter().filter_map(|t| t.supersedes).collect();
    let mut effective: Vec<&BasisTotal> = totals
        .iter()
        .filter(|t| !superseded.contains(&t.id))
        .collect();
    effective.sort_by_key(|t| (t.date, t.id));
    effective
}

/// The recorded total of `basis` on `date`: the latest effective one dated
/// on or before it.
pub fn basis_total_on<'a>(
    totals: &'a [BasisTotal],
    basis: &BasisCode,
    date: Date,
) -> Option<&'a BasisTotal> {
    effective_basis_totals(totals)
        .into_iter()
        .rfind(|t| &t.basis == basis && t.date <= date)
}

/// Why a weight was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeightError {
    #[error("the weight is dated {date}, after today ({today})")]
    FutureDate { date: Date, today: Date },
    #[error("a weight with id {0} is already recorded")]
    DuplicateId(WeightId),
    #[error("{0} is not a participant of the convention")]
    UnknownParticipant(ParticipantCode),
    #[error("no condition of the rule and no recorded total is on the basis {0}")]
    UnknownBasis(BasisCode),
    #[error("a weight is zero or more, not {0}")]
    NegativeValue(Decimal),
    #[error("the unit is empty")]
    EmptyUnit,
    #[error("the source is empty")]
    EmptySource,
    #[error("figures on {basis} are in {expected}, not {unit}")]
    UnitMismatch {
        basis: BasisCode,
        unit: String,
        expected: String,
    },
    #[error("the weight to correct ({0}) is not in the record")]
    UnknownSupersededWeight(WeightId),
    #[error("weight {superseded} has already been corrected by {by}; correct the latest one")]
    AlreadySuperseded { superseded: WeightId, by: WeightId },
    #[error("weight {superseded} belongs to {owner}, not to {participant}")]
    SupersedesOtherParticipant {
        superseded: WeightId,
        owner: ParticipantCode,
        participant: ParticipantCode,
    },
    #[error("weight {superseded} is on the basis {owner}, not on {basis}")]
    SupersedesOtherBasis {
        superseded: WeightId,
        owner: BasisCode,
        basis: BasisCode,
    },
}

impl WeightError {
    /// Stable snake_case code for problem documents and client logic.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::FutureDate { .. } => "future_date",
            Self::DuplicateId(_) => "duplicate_id",
            Self::UnknownParticipant(_) => "unknown_participant",
            Self::UnknownBasis(_) => "unknown_basis",
            Self::NegativeValue(_) => "negative_value",
            Self::EmptyUnit => "empty_unit",
            Self::EmptySource => "empty_source",
            Self::UnitMismatch { .. } => "unit_mismatch",
            Self::UnknownSupersededWeight(_) => "unknown_superseded_weight",
            Self::AlreadySuperseded { .. } => "already_superseded",
            Self::SupersedesOtherParticipant { .. } => "supersedes_other_participant",
            Self::SupersedesOtherBasis { .. } => "supersedes_other_basis",
        }
    }

    /// The field of the submitted weight the error is about.
    pub const fn field(&self) -> &'static str {
        match self {
            Self::FutureDate { .. } => "date",
            Self::DuplicateId(_) => "id",
            Self::UnknownParticipant(_) => "participant",
            Self::UnknownBasis(_) => "basis",
            Self::NegativeValue(_) => "value",
            Self::EmptyUnit | Self::UnitMismatch { .. } => "unit",
            Self::EmptySource => "source",
            Self::UnknownSupersededWeight(_)
            | Self::AlreadySuperseded { .. }
            | Self::SupersedesOtherParticipant { .. }
            | Self::SupersedesOtherBasis { .. } => "supersedes",
        }
    }

    /// Whether the weight is refused because of what is already recorded
    /// (HTTP 409) rather than because it is malformed on its own (HTTP 422).
    pub const fn is_conflict(&self) -> bool {
        matches!(self, Self::DuplicateId(_) | Self::AlreadySuperseded { .. })
    }
}

/// Checks a new weight (or a correction of one) against the rule, the known
/// participants, the recorded totals and the weights already recorded
/// (corrected ones included).
///
/// The basis must be one a condition of `rule` or a recorded total names, so
/// that a misspelt basis is caught when written, not when a share comes out
/// short.
pub fn validate_weight(
    rule: &EntryIntoForceRule,
    participants: &[Participant],
    totals: &[BasisTotal],
    record: &[Weight],
    new: &Weight,
    today: Date,
) -> Result<(), WeightError> {
    if new.date > today {
        return Err(WeightError::FutureDate {
            date: new.date,
            today,
        });
    }
    if record.iter().any(|w| w.id == new.id) {
        return Err(WeightError::DuplicateId(new.id));
    }
    if !participants.iter().any(|p| p.code == new.participant) {
        return Err(WeightError::UnknownParticipant(new.participant));
    }
    let effective_totals = effective_basis_totals(totals);
    let named = rule.weighted.iter().any(|c| c.basis == new.basis)
        || effective_totals.iter().any(|t| t.basis == new.basis);
    if !named {
        return Err(WeightError::UnknownBasis(new.basis.clone()));
    }
    if new.value.is_sign_negative() && !new.value.is_zero() {
        return Err(WeightError::NegativeValue(new.value));
    }
    if new.unit.trim().is_empty() {
        return Err(WeightError::EmptyUnit);
    }
    if new.source.trim().is_empty() {
        return Err(WeightError::EmptySource);
    }
    if let Some(earlier) = new.supersedes {
        let Some(target) = record.iter().find(|w| w.id == earlier) else {
            return Err(WeightError::UnknownSupersededWeight(earlier));
        };
        if let Some(by) = record.iter().find(|w| w.supersedes == Some(earlier)) {
            return Err(WeightError::AlreadySuperseded {
                superseded: earlier,
                by: by.id,
            });
        }
        if target.participant != new.participant {
            return Err(WeightError::SupersedesOtherParticipant {
                superseded: earlier,
                owner: target.participant,
                participant: new.participant,
            });
        }
        if target.basis != new.basis {
            return Err(WeightError::SupersedesOtherBasis {
                superseded: earlier,
                owner: target.basis.clone(),
                basis: new.basis.clone(),
            });
        }
    }
    // A correction may change the unit of the figure it replaces, so the
    // entry it supersedes does not set the expected unit.
    let expected = effective_totals
        .iter()
        .filter(|t| t.basis == new.basis)
        .map(|t| t.unit.as_str())
        .chain(
            effective_weights(record)
                .into_iter()
                .filter(|w| w.basis == new.basis && Some(w.id) != new.supersedes)
                .map(|w| w.unit.as_str()),
        )
        .next();
    if let Some(expected) = expected.filter(|&u| u != new.unit) {
        return Err(WeightError::UnitMismatch {
            basis: new.basis.clone(),
            unit: new.unit.clone(),
            expected: expected.to_owned(),
        });
    }
    Ok(())
}

/// Why a basis total was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BasisTotalError {
    #[error("the total is dated {date}, after today ({today})")]
    FutureDate { date: Date, today: Date },
    #[error("a total with id {0} is already recorded")]
    DuplicateId(BasisTotalId),
    #[error("a total is positive, not {0}")]
    NonPositiveValue(Decimal),
    #[error("the unit is empty")]
    EmptyUnit,
    #[error("the source is empty")]
    EmptySource,
    #[error("figures on {basis} are in {expected}, not {unit}")]
    UnitMismatch {
        basis: BasisCode,
        unit: String,
        expected: String,
    },
    #[error(
        "the rule measures {0} against the sum of all participants' weights; it has no recorded total"
    )]
    TotalIsComputed(BasisCode),
    #[error("a total of {basis} dated {date} is already recorded; correct it instead")]
    DuplicateTotal { basis: BasisCode, date: Date },
    #[error("the total to correct ({0}) is not in the record")]
    UnknownSupersededTotal(BasisTotalId),
    #[error("total {superseded} has already been corrected by {by}; correct the latest one")]
    AlreadySuperseded {
        superseded: BasisTotalId,
        by: BasisTotalId,
    },
    #[error("total {superseded} is of the basis {owner}, not of {basis}")]
    SupersedesOtherBasis {
        superseded: BasisTotalId,
        owner: BasisCode,
        basis: BasisCode,
    },
}

impl BasisTotalError {
    /// Stable snake_case code for problem documents and client logic.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::FutureDate { .. } => "future_date",
            Self::DuplicateId(_) => "duplicate_id",
            Self::NonPositiveValue(_) => "non_positive_value",
            Self::EmptyUnit => "empty_unit",
            Self::EmptySource => "empty_source",
            Self::UnitMismatch { .. } => "unit_mismatch",
            Self::TotalIsComputed(_) => "total_is_computed",
            Self::DuplicateTotal { .. } => "duplicate_basis_total",
            Self::UnknownSupersededTotal(_) => "unknown_superseded_total",
            Self::AlreadySuperseded { .. } => "already_superseded",
            Self::SupersedesOtherBasis { .. } => "supersedes_other_basis",
        }
    }

    /// The field of the submitted total the error is about.
    pub const fn field(&self) -> &'static str {
        match self {
            Self::FutureDate { .. } | Self::DuplicateTotal { .. } => "date",
            Self::DuplicateId(_) => "id",
            Self::NonPositiveValue(_) => "value",
            Self::EmptyUnit | Self::UnitMismatch { .. } => "unit",
            Self::EmptySource => "source",
            Self::TotalIsComputed(_) => "basis",
            Self::UnknownSupersededTotal(_)
            | Self::AlreadySuperseded { .. }
            | Self::SupersedesOtherBasis { .. } => "supersedes",
        }
    }

    /// Whether the total is refused because of what is already recorded
    /// (HTTP 409) rather than because it is malformed on its own (HTTP 422).
    pub const fn is_conflict(&self) -> bool {
        matches!(
            self,
            Self::DuplicateId(_) | Self::AlreadySuperseded { .. } | Self::DuplicateTotal { .. }
        )
    }
}

/// Checks a new basis total (or a correction of one) against the rule, the
/// recorded weights and the totals already recorded (corrected ones
/// included).
///
/// A total may be recorded for a basis no condition names yet: the figure
/// can be known before the rule that uses it is configured.
pub fn validate_basis_total(
    rule: &EntryIntoForceRule,
    weights: &[Weight],
    record: &[BasisTotal],
    new: &BasisTotal,
    today: Date,
) -> Result<(), BasisTotalError> {
    if new.date > today {
        return Err(BasisTotalError::FutureDate {
            date: new.date,
            today,
        });
    }
    if record.iter().any(|t| t.id == new.id) {
        return Err(BasisTotalError::DuplicateId(new.id));
    }
    if new.value <= Decimal::ZERO {
        return Err(BasisTotalError::NonPositiveValue(new.value));
    }
    if new.unit.trim().is_empty() {
        return Err(BasisTotalError::EmptyUnit);
    }
    if new.source.trim().is_empty() {
        return Err(BasisTotalError::EmptySource);
    }
    let computed = rule
        .weighted
        .iter()
        .any(|c| c.basis == new.basis && c.total == TotalKind::AllParticipants);
    if computed {
        return Err(BasisTotalError::TotalIsComputed(new.basis.clone()));
    }
    if let Some(earlier) = new.supersedes {
        let Some(target) = record.iter().find(|t| t.id == earlier) else {
            return Err(BasisTotalError::UnknownSupersededTotal(earlier));
        };
        if let Some(by) = record.iter().find(|t| t.supersedes == Some(earlier)) {
            return Err(BasisTotalError::AlreadySuperseded {
                superseded: earlier,
                by: by.id,
            });
        }
        if target.basis != new.basis {
            return Err(BasisTotalError::SupersedesOtherBasis {
                superseded: earlier,
                owner: target.basis.clone(),
                basis: new.basis.clone(),
            });
        }
    }
    let others: Vec<&BasisTotal> = effective_basis_totals(record)
        .into_iter()
        .filter(|t| t.basis == new.basis && Some(t.id) != new.supersedes)
        .collect();
    // Two figures for one day would leave the total of that day to the
    // order of their ids.
    if others.iter().any(|t| t.date == new.date) {
        return Err(BasisTotalError::DuplicateTotal {
            basis: new.basis.clone(),
            date: new.date,
        });
    }
    let expected = others.iter().map(|t| t.unit.as_str()).next().or_else(|| {
        effective_weights(weights)
            .into_iter()
            .find(|w| w.basis == new.basis)
            .map(|w| w.unit.as_str())
    });
    if let Some(expected) = expected.filter(|&u| u != new.unit) {
        return Err(BasisTotalError::UnitMismatch {
            basis: new.basis.clone(),
            unit: new.unit.clone(),
            expected: expected.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::WeightedCondition;
    use rust_decimal_macros::dec;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 06 - 30);

    fn code(c: &str) -> ParticipantCode {
        ParticipantCode::parse(c).unwrap()
    }

    fn budget() -> BasisCode {
        BasisCode::rd4u_2025_budget()
    }

    fn participants() -> Vec<Participant> {
        ["UA", "FR", "EU"]
            .iter()
            .map(|c| Participant::from_code(code(c), *c))
            .collect()
    }

    fn rule() -> EntryIntoForceRule {
        EntryIntoForceRule {
            weighted: vec![WeightedCondition::recorded(budget(), dec!(0.5))],
            ..EntryIntoForceRule::convention_default()
        }
    }

    fn weight(c: &str, value: Decimal) -> Weight {
        Weight::new(
            code(c),
            budget(),
            value,
            "EUR",
            "Register of Damage, 2025 accounts",
            date!(2026 - 03 - 01),
        )
    }

    fn total(value: Decimal, date: Date) -> BasisTotal {
        BasisTotal::new(budget(), value, "EUR", "budget", date)
    }

    fn weight_error(totals: &[BasisTotal], record: &[Weight], new: &Weight) -> &'static str {
        validate_weight(&rule(), &participants(), totals, record, new, TODAY)
            .unwrap_err()
            .code()
    }

    fn total_error(weights: &[Weight], record: &[BasisTotal], new: &BasisTotal) -> &'static str {
        validate_basis_total(&rule(), weights, record, new, TODAY)
            .unwrap_err()
            .code()
    }

    #[test]
    fn basis_codes_are_checked() {
        for good in ["rd4u-2025-budget", "annex-i-co2-1990", "a", "x9"] {
            assert_eq!(BasisCode::parse(good).unwrap().as_str(), good);
        }
        let long = "a".repeat(65);
        for bad in ["", "-a", "a-", "RD4U", "a b", "a_b", "é", long.as_str()] {
            assert!(BasisCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::to_string(&budget()).unwrap(),
            r#""rd4u-2025-budget""#
        );
        assert!(serde_json::from_str::<BasisCode>(r#""Budget""#).is_err());
        assert_eq!(
            BasisCode::parse(crate::rule::RD4U_2025_BUDGET).unwrap(),
            BasisCode::rd4u_2025_budget()
        );
    }

    #[test]
    fn weight_json_shape() {
        let w = weight("FR", dec!(500000.00));
        let json = serde_json::to_value(&w).unwrap();
        assert_eq!(json["participant"], "FR");
        assert_eq!(json["basis"], "rd4u-2025-budget");
        assert_eq!(json["value"], "500000.00");
        assert_eq!(json["unit"], "EUR");
        assert_eq!(json["date"], "2026-03-01");
        assert!(json.get("supersedes").is_none());
        assert_eq!(serde_json::from_value::<Weight>(json).unwrap(), w);

        let t = total(dec!(7384300.00), date!(2025 - 12 - 16)).assumed();
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["value"], "7384300.00");
        assert_eq!(json["assumed"], true);
        assert_eq!(serde_json::from_value::<BasisTotal>(json).unwrap(), t);
    }

    #[test]
    fn corrections_leave_the_last_figure() {
        let a = weight("FR", dec!(1));
        let b = weight("FR", dec!(2)).superseding(a.id);
        let c = weight("FR", dec!(3)).superseding(b.id);
        let other = weight("UA", dec!(4));
        let record = [c.clone(), a, other.clone(), b];
        let values: Vec<Decimal> = effective_weights(&record).iter().map(|w| w.value).collect();
        assert_eq!(values.len(), 2);
        assert!(values.contains(&c.value) && values.contains(&other.value));
    }

    #[test]
    fn the_total_on_a_date_is_the_latest_standing_one() {
        let first = total(dec!(100), date!(2025 - 01 - 01));
        let amended = total(dec!(120), date!(2025 - 07 - 01));
        let wrong = total(dec!(999), date!(2025 - 09 - 01));
        let fixed = total(dec!(130), date!(2025 - 09 - 01)).superseding(wrong.id);
        let totals = [first, amended, wrong, fixed];
        let on = |d| basis_total_on(&totals, &budget(), d).map(|t| t.value);
        assert_eq!(on(date!(2024 - 12 - 31)), None);
        assert_eq!(on(date!(2025 - 06 - 30)), Some(dec!(100)));
        assert_eq!(on(date!(2025 - 07 - 01)), Some(dec!(120)));
        assert_eq!(on(date!(2025 - 09 - 01)), Some(dec!(130)));
    }

    #[test]
    fn a_well_formed_weight_is_accepted() {
        let totals = [total(dec!(7384300.00), date!(2025 - 12 - 16))];
        let first = weight("FR", dec!(0));
        validate_weight(&rule(), &participants(), &totals, &[], &first, TODAY).unwrap();
        let fix = weight("FR", dec!(10)).superseding(first.id);
        validate_weight(&rule(), &participants(), &totals, &[first], &fix, TODAY).unwrap();
    }

    #[test]
    fn weight_refusals() {
        let totals = [total(dec!(7384300.00), date!(2025 - 12 - 16))];
        let mut future = weight("FR", dec!(1));
        future.date = date!(2026 - 07 - 01);
        assert_eq!(weight_error(&totals, &[], &future), "future_date");
        assert_eq!(
            weight_error(&totals, &[], &weight("DE", dec!(1))),
            "unknown_participant"
        );
        let mut elsewhere = weight("FR", dec!(1));
        elsewhere.basis = BasisCode::parse("rd4u-2024-budget").unwrap();
        let err =
            validate_weight(&rule(), &participants(), &totals, &[], &elsewhere, TODAY).unwrap_err();
        assert_eq!(err.code(), "unknown_basis");
        assert_eq!(err.field(), "basis");
        // Named by a recorded total, the basis is known.
        let other_total = [BasisTotal::new(
            elsewhere.basis.clone(),
            dec!(1),
            "EUR",
            "x",
            date!(2024 - 01 - 01),
        )];
        validate_weight(
            &rule(),
            &participants(),
            &other_total,
            &[],
            &elsewhere,
            TODAY,
        )
        .unwrap();
        let err = validate_weight(
            &rule(),
            &participants(),
            &totals,
            &[],
            &weight("FR", dec!(-0.01)),
            TODAY,
        )
        .unwrap_err();
        assert_eq!((err.code(), err.field()), ("negative_value", "value"));
        let mut unitless = weight("FR", dec!(1));
        unitless.unit = " ".into();
        assert_eq!(weight_error(&totals, &[], &unitless), "empty_unit");
        let mut sourceless = weight("FR", dec!(1));
        sourceless.source = String::new();
        assert_eq!(weight_error(&totals, &[], &sourceless), "empty_source");
        let mut dollars = weight("FR", dec!(1));
        dollars.unit = "USD".into();
        assert_eq!(weight_error(&totals, &[], &dollars), "unit_mismatch");
        assert_eq!(
            weight_error(&[], &[weight("UA", dec!(1))], &dollars),
            "unit_mismatch"
        );
    }

    #[test]
    fn weight_correction_refusals() {
        let totals = [total(dec!(7384300.00), date!(2025 - 12 - 16))];
        let first = weight("FR", dec!(1));
        let record = vec![first.clone()];
        let err =
            validate_weight(&rule(), &participants(), &totals, &record, &first, TODAY).unwrap_err();
        assert_eq!(err.code(), "duplicate_id");
        assert!(err.is_conflict());
        assert_eq!(
            weight_error(
                &totals,
                &record,
                &weight("FR", dec!(2)).superseding(WeightId::new())
            ),
            "unknown_superseded_weight"
        );
        assert_eq!(
            weight_error(
                &totals,
                &record,
                &weight("UA", dec!(2)).superseding(first.id)
            ),
            "supersedes_other_participant"
        );
        let fix = weight("FR", dec!(2)).superseding(first.id);
        let record = vec![first.clone(), fix.clone()];
        assert_eq!(
            weight_error(
                &totals,
                &record,
                &weight("FR", dec!(3)).superseding(first.id)
            ),
            "already_superseded"
        );
        // A correction may change the unit of the only figure on its basis.
        let mut in_dollars = weight("FR", dec!(3)).superseding(fix.id);
        in_dollars.unit = "USD".into();
        validate_weight(&rule(), &participants(), &[], &record, &in_dollars, TODAY).unwrap();
    }

    #[test]
    fn supersedes_other_basis() {
        let tonnage = BasisCode::parse("world-gross-tonnage").unwrap();
        let totals = [
            total(dec!(7384300.00), date!(2025 - 12 - 16)),
            BasisTotal::new(
                tonnage.clone(),
                dec!(100),
                "EUR",
                "x",
                date!(2025 - 01 - 01),
            ),
        ];
        let first = weight("FR", dec!(1));
        let mut fix = weight("FR", dec!(1)).superseding(first.id);
        fix.basis = tonnage;
        assert_eq!(
            weight_error(&totals, &[first], &fix),
            "supersedes_other_basis"
        );
    }

    #[test]
    fn total_refusals() {
        let first = total(dec!(100), date!(2025 - 12 - 16));
        validate_basis_total(&rule(), &[], &[], &first, TODAY).unwrap();
        let record = vec![first.clone()];
        assert_eq!(total_error(&[], &record, &first), "duplicate_id");
        assert_eq!(
            total_error(&[], &[], &total(dec!(1), date!(2026 - 07 - 01))),
            "future_date"
        );
        for value in [dec!(0), dec!(-1)] {
            assert_eq!(
                total_error(&[], &[], &total(value, date!(2025 - 12 - 16))),
                "non_positive_value"
            );
        }
        let again = total(dec!(101), date!(2025 - 12 - 16));
        let err = validate_basis_total(&rule(), &[], &record, &again, TODAY).unwrap_err();
        assert_eq!(err.code(), "duplicate_basis_total");
        assert!(err.is_conflict());
        // The same day, as a correction: accepted.
        validate_basis_total(
            &rule(),
            &[],
            &record,
            &again.clone().superseding(first.id),
            TODAY,
        )
        .unwrap();
        // A later figure: accepted.
        validate_basis_total(
            &rule(),
            &[],
            &record,
            &total(dec!(120), date!(2026 - 01 - 01)),
            TODAY,
        )
        .unwrap();
        let mut dollars = total(dec!(120), date!(2026 - 01 - 01));
        dollars.unit = "USD".into();
        assert_eq!(total_error(&[], &record, &dollars), "unit_mismatch");
        assert_eq!(
            total_error(&[weight("FR", dec!(1))], &[], &dollars),
            "unit_mismatch"
        );
        let mut empty = total(dec!(1), date!(2026 - 01 - 01));
        empty.unit = String::new();
        assert_eq!(total_error(&[], &[], &empty), "empty_unit");
        empty.unit = "EUR".into();
        empty.source = " ".into();
        assert_eq!(total_error(&[], &[], &empty), "empty_source");
        assert_eq!(
            total_error(
                &[],
                &record,
                &total(dec!(1), date!(2026 - 01 - 01)).superseding(BasisTotalId::new())
            ),
            "unknown_superseded_total"
        );
        let fixed = vec![first.clone(), again.superseding(first.id)];
        assert_eq!(
            total_error(
                &[],
                &fixed,
                &total(dec!(1), date!(2026 - 01 - 01)).superseding(first.id)
            ),
            "already_superseded"
        );
        let mut elsewhere = total(dec!(1), date!(2026 - 01 - 01)).superseding(first.id);
        elsewhere.basis = BasisCode::parse("world-gross-tonnage").unwrap();
        assert_eq!(
            total_error(&[], &record, &elsewhere),
            "supersedes_other_basis"
        );
    }

    #[test]
    fn a_computed_total_is_not_recorded() {
        let mut rule = rule();
        rule.weighted = vec![WeightedCondition {
            basis: budget(),
            share: dec!(0.5),
            total: TotalKind::AllParticipants,
        }];
        let err = validate_basis_total(
            &rule,
            &[],
            &[],
            &total(dec!(1), date!(2026 - 01 - 01)),
            TODAY,
        )
        .unwrap_err();
        assert_eq!((err.code(), err.field()), ("total_is_computed", "basis"));
    }

    #[test]
    fn codes_are_distinct_within_each_error() {
        let p = code("UA");
        let b = budget();
        let d = TODAY;
        let weight_errors = [
            WeightError::FutureDate { date: d, today: d },
            WeightError::DuplicateId(WeightId::new()),
            WeightError::UnknownParticipant(p),
            WeightError::UnknownBasis(b.clone()),
            WeightError::NegativeValue(dec!(-1)),
            WeightError::EmptyUnit,
            WeightError::EmptySource,
            WeightError::UnitMismatch {
                basis: b.clone(),
                unit: "USD".into(),
                expected: "EUR".into(),
            },
            WeightError::UnknownSupersededWeight(WeightId::new()),
            WeightError::AlreadySuperseded {
                superseded: WeightId::new(),
                by: WeightId::new(),
            },
            WeightError::SupersedesOtherParticipant {
                superseded: WeightId::new(),
                owner: p,
                participant: p,
            },
            WeightError::SupersedesOtherBasis {
                superseded: WeightId::new(),
                owner: b.clone(),
                basis: b.clone(),
            },
        ];
        let codes: HashSet<&str> = weight_errors.iter().map(WeightError::code).collect();
        assert_eq!(codes.len(), weight_errors.len());
        let total_errors = [
            BasisTotalError::FutureDate { date: d, today: d },
            BasisTotalError::DuplicateId(BasisTotalId::new()),
            BasisTotalError::NonPositiveValue(dec!(0)),
            BasisTotalError::EmptyUnit,
            BasisTotalError::EmptySource,
            BasisTotalError::UnitMismatch {
                basis: b.clone(),
                unit: "USD".into(),
                expected: "EUR".into(),
            },
            BasisTotalError::TotalIsComputed(b.clone()),
            BasisTotalError::DuplicateTotal {
                basis: b.clone(),
                date: d,
            },
            BasisTotalError::UnknownSupersededTotal(BasisTotalId::new()),
            BasisTotalError::AlreadySuperseded {
                superseded: BasisTotalId::new(),
                by: BasisTotalId::new(),
            },
            BasisTotalError::SupersedesOtherBasis {
                superseded: BasisTotalId::new(),
                owner: b.clone(),
                basis: b,
            },
        ];
        let codes: HashSet<&str> = total_errors.iter().map(BasisTotalError::code).collect();
        assert_eq!(codes.len(), total_errors.len());
    }
}
