//! Valuation rules: how the claims of one category are turned into an amount.
//!
//! A rule is data, not code: the Council adopts and revises valuation
//! schedules, and a category's rule changes over the programme's life. Each
//! category has numbered versions; an assessment records the version it used,
//! and a version once used is frozen ([`ValuationRule::ensure_editable`]) so
//! every recorded assessment can still be recomputed from the rule it names.
//!
//! On the wire a rule is one JSON object tagged by `kind`:
//! `{"category":"A2.3","version":1,"kind":"fixed","per_claimant":{...},
//! "family_cap":{...},"valuation_date":"incident_date","currency":"EUR"}`.
//!
//! The kinds follow mass-claims practice: fixed sums for simple categories
//! (UNCC categories A and B), schedules per unit (per square metre, per day),
//! a share of the substantiated claimed amount with a cap, a threshold that
//! sends large claims to individual assessment (UNCC categories C and D), and
//! manual assessment.

use crate::ErrorCode;
use crate::apportion;
use crate::case::CaseId;
use kernel::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use time::Date;

/// A subdivision code per ISO 3166-2, e.g. `UA-30` (Kyiv). Regional rates are
/// keyed by it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegionCode(pub String);

impl RegionCode {
    /// Two capital letters, a hyphen, then one to three capital letters or digits.
    pub fn is_well_formed(&self) -> bool {
        let Some((country, sub)) = self.0.split_once('-') else {
            return false;
        };
        country.len() == 2
            && country.bytes().all(|b| b.is_ascii_uppercase())
            && (1..=3).contains(&sub.len())
            && sub
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which day's exchange rate converts a claimed amount into the award currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValuationDate {
    /// The day the damage occurred: the loss is valued when it was suffered.
    #[default]
    IncidentDate,
    /// The day the claim was submitted to the Register.
    SubmissionDate,
    /// One date for every claim of the category.
    Fixed(#[serde(with = "crate::iso_date")] Date),
}

/// A multiplier applied to a per-unit amount: depreciation, condition, a
/// partial-damage degree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    pub name: String,
    pub value: Decimal,
}

/// How an amount is computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// A fixed sum per claimant (UNCC category B: US$2,500 per person). The
    /// optional family cap limits the total over one family group's claims
    /// (US$10,000 per family) and is applied by [`apply_family_cap`] across
    /// the group, since one claim alone cannot know its relatives' awards.
    Fixed {
        per_claimant: Money,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        family_cap: Option<Money>,
    },
    /// A rate per unit of a quantity taken from the claim's fields (square
    /// metres of floor, days of detention), optionally per region, times each
    /// factor, then capped.
    PerUnit {
        unit: String,
        rate: Money,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        regional_rates: BTreeMap<RegionCode, Money>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        factors: Vec<Factor>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cap: Option<Money>,
    },
    /// A share of the substantiated claimed amount, converted into the award
    /// currency, then capped.
    ClaimedWithCap {
        accepted_share: Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cap: Option<Money>,
    },
    /// Claims whose claimed total is above `limit` are assessed individually;
    /// those at or below it are assessed in batches with the `below` rule.
    Threshold { limit: Money, below: Box<RuleKind> },
    /// An assessor enters the amount with a justification.
    Manual,
}

impl RuleKind {
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Fixed { .. } => "fixed",
            Self::PerUnit { .. } => "per_unit",
            Self::ClaimedWithCap { .. } => "claimed_with_cap",
            Self::Threshold { .. } => "threshold",
            Self::Manual => "manual",
        }
    }

    /// The most this rule can give one claim, if it is bounded.
    pub fn cap(&self) -> Option<Money> {
        match self {
            Self::Fixed { per_claimant, .. } => Some(*per_claimant),
            Self::PerUnit { cap, .. } | Self::ClaimedWithCap { cap, .. } => *cap,
            Self::Threshold { .. } | Self::Manual => None,
        }
    }
}

/// Names one version of one category's rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RuleRef {
    pub category: String,
    pub version: u32,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{}", self.category, self.version)
    }
}

fn default_award_currency() -> Currency {
    Currency::EUR
}

/// One version of a category's valuation rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValuationRule {
    /// The Register's category code, e.g. `A3.1`.
    pub category: String,
    /// 1 for the first version of the category's rule.
    pub version: u32,
    #[serde(flatten)]
    pub kind: RuleKind,
    #[serde(default)]
    pub valuation_date: ValuationDate,
    /// The award currency; every amount in the rule is in it.
    #[serde(default = "default_award_currency")]
    pub currency: Currency,
}

/// A rule as its author writes it: everything but the version, which the
/// server assigns (the next of the category, 1 for the first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDraft {
    /// The Register's category code, e.g. `A3.1`.
    pub category: String,
    #[serde(flatten)]
    pub kind: RuleKind,
    #[serde(default)]
    pub valuation_date: ValuationDate,
    /// The award currency; every amount in the rule is in it.
    #[serde(default = "default_award_currency")]
    pub currency: Currency,
}

impl RuleDraft {
    /// The draft as version `version` of its category's rule.
    pub fn versioned(self, version: u32) -> ValuationRule {
        ValuationRule {
            category: self.category,
            version,
            kind: self.kind,
            valuation_date: self.valuation_date,
            currency: self.currency,
        }
    }
}

impl From<ValuationRule> for RuleDraft {
    fn from(rule: ValuationRule) -> Self {
        Self {
            category: rule.category,
            kind: rule.kind,
            valuation_date: rule.valuation_date,
            currency: rule.currency,
        }
    }
}

/// Why a rule was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the rule needs a category code")]
    EmptyCategory,
    #[error("rule versions start at 1")]
    InvalidVersion,
    #[error("{field} must be greater than zero")]
    NotPositive { field: String },
    #[error("{field} has more decimal places than its currency allows")]
    TooPrecise { field: String },
    #[error("{field} is in {found}, but the rule's currency is {expected}")]
    CurrencyMismatch {
        field: String,
        expected: Currency,
        found: Currency,
    },
    #[error("accepted share {share} is outside 0 to 1")]
    ShareOutOfRange { share: Decimal },
    #[error("the family cap is below the amount per claimant")]
    FamilyCapBelowPerClaimant,
    #[error("a per-unit rule needs a unit")]
    EmptyUnit,
    #[error("factor {name:?} must have a name and a value greater than zero, not {value}")]
    InvalidFactor { name: String, value: Decimal },
    #[error("{region:?} is not an ISO 3166-2 subdivision code")]
    InvalidRegion { region: String },
    #[error("below a threshold only a fixed, per-unit or claimed-with-cap rule can apply")]
    InvalidThresholdRule,
    #[error(
        "rule {rule} has been used by an assessment and cannot be changed; create a new version"
    )]
    RuleInUse { rule: RuleRef },
}

impl ErrorCode for RuleError {
    fn code(&self) -> &'static str {
        match self {
            Self::EmptyCategory => "empty_category",
            Self::InvalidVersion => "invalid_version",
            Self::NotPositive { .. } => "not_positive",
            Self::TooPrecise { .. } => "too_precise",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::ShareOutOfRange { .. } => "share_out_of_range",
            Self::FamilyCapBelowPerClaimant => "family_cap_below_per_claimant",
            Self::EmptyUnit => "empty_unit",
            Self::InvalidFactor { .. } => "invalid_factor",
            Self::InvalidRegion { .. } => "invalid_region",
            Self::InvalidThresholdRule => "invalid_threshold_rule",
            Self::RuleInUse { .. } => "rule_in_use",
        }
    }
}

impl ValuationRule {
    pub fn reference(&self) -> RuleRef {
        RuleRef {
            category: self.category.clone(),
            version: self.version,
        }
    }

    /// Checks the rule can be applied: positive amounts and rates, a share
    /// within 0 to 1, every amount in the rule's currency. Returns the first
    /// problem found, with the field it concerns.
    pub fn validate(&self) -> Result<(), RuleError> {
        if self.category.trim().is_empty() {
            return Err(RuleError::EmptyCategory);
        }
        if self.version == 0 {
            return Err(RuleError::InvalidVersion);
        }
        validate_kind(&self.kind, self.currency, "", true)
    }

    /// A rule version used by any assessment is frozen: changing it would
    /// make recorded assessments unrecomputable. The server says whether the
    /// version is used (it knows the assessments); this says what follows.
    pub fn ensure_editable(&self, used: bool) -> Result<(), RuleError> {
        if used {
            Err(RuleError::RuleInUse {
                rule: self.reference(),
            })
        } else {
            Ok(())
        }
    }

    /// A draft of the next version with the same content, for revision.
    pub fn next_version(&self) -> Option<Self> {
        Some(Self {
            version: self.version.checked_add(1)?,
            ..self.clone()
        })
    }
}

fn positive_in(money: &Money, currency: Currency, field: &str) -> Result<(), RuleError> {
    if money.currency() != currency {
        return Err(RuleError::CurrencyMismatch {
            field: field.to_owned(),
            expected: currency,
            found: money.currency(),
        });
    }
    if !money.is_positive() {
        return Err(RuleError::NotPositive {
            field: field.to_owned(),
        });
    }
    Ok(())
}

/// Sums and caps are amounts someone will be told, so they must be whole
/// minor units; that also keeps a capped figure within its cap after the
/// final rounding. Rates may be finer.
fn whole(money: &Money, field: &str) -> Result<(), RuleError> {
    if apportion::is_whole_minor(money.amount(), money.currency().minor_units()) {
        Ok(())
    } else {
        Err(RuleError::TooPrecise {
            field: field.to_owned(),
        })
    }
}

fn validate_kind(
    kind: &RuleKind,
    currency: Currency,
    prefix: &str,
    top: bool,
) -> Result<(), RuleError> {
    let field = |name: &str| format!("{prefix}{name}");
    match kind {
        RuleKind::Fixed {
            per_claimant,
            family_cap,
        } => {
            positive_in(per_claimant, currency, &field("per_claimant"))?;
            whole(per_claimant, &field("per_claimant"))?;
            if let Some(cap) = family_cap {
                positive_in(cap, currency, &field("family_cap"))?;
                whole(cap, &field("family_cap"))?;
                if cap.amount() < per_claimant.amount() {
                    return Err(RuleError::FamilyCapBelowPerClaimant);
                }
            }
        }
        RuleKind::PerUnit {
            unit,
            rate,
            regional_rates,
            factors,
            cap,
        } => {
            if unit.trim().is_empty() {
                return Err(RuleError::EmptyUnit);
            }
            positive_in(rate, currency, &field("rate"))?;
            for (region, rate) in regional_rates {
                if !region.is_well_formed() {
                    return Err(RuleError::InvalidRegion {
                        region: region.0.clone(),
                    });
                }
                positive_in(rate, currency, &field(&format!("regional_rates.{region}")))?;
            }
            for factor in factors {
                if factor.name.trim().is_empty() || factor.value <= Decimal::ZERO {
                    return Err(RuleError::InvalidFactor {
                        name: factor.name.clone(),
                        value: factor.value,
                    });
                }
            }
            if let Some(cap) = cap {
                positive_in(cap, currency, &field("cap"))?;
                whole(cap, &field("cap"))?;
            }
        }
        RuleKind::ClaimedWithCap {
            accepted_share,
            cap,
        } => {
            if *accepted_share < Decimal::ZERO || *accepted_share > Decimal::ONE {
                return Err(RuleError::ShareOutOfRange {
                    share: *accepted_share,
                });
            }
            if let Some(cap) = cap {
                positive_in(cap, currency, &field("cap"))?;
                whole(cap, &field("cap"))?;
            }
        }
        RuleKind::Threshold { limit, below } => {
            if !top {
                return Err(RuleError::InvalidThresholdRule);
            }
            positive_in(limit, currency, &field("limit"))?;
            whole(limit, &field("limit"))?;
            if matches!(**below, RuleKind::Threshold { .. } | RuleKind::Manual) {
                return Err(RuleError::InvalidThresholdRule);
            }
            validate_kind(below, currency, &field("below."), false)?;
        }
        RuleKind::Manual => {}
    }
    Ok(())
}

/// One claim of a family group, with the amount proposed for it alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyMember {
    pub case: CaseId,
    pub proposed: Money,
}

/// A family member's amount before and after the cap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyShare {
    pub case: CaseId,
    pub proposed: Money,
    pub capped: Money,
}

/// The family cap applied to one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyCapOutcome {
    pub cap: Money,
    pub total_proposed: Money,
    pub total_capped: Money,
    /// Whether the cap cut anything.
    pub reduced: bool,
    /// In case-id order.
    pub shares: Vec<FamilyShare>,
}

/// Why a family cap could not be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FamilyCapError {
    #[error("the family cap must be a positive whole number of minor units")]
    InvalidCap,
    #[error("case {case} is proposed in {found}, the cap is in {expected}")]
    CurrencyMismatch {
        case: CaseId,
        expected: Currency,
        found: Currency,
    },
    #[error("case {case} has a negative proposed amount")]
    Negative { case: CaseId },
    #[error("case {case} appears twice in the family group")]
    DuplicateCase { case: CaseId },
    #[error("amount out of range")]
    Overflow,
}

impl ErrorCode for FamilyCapError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidCap => "invalid_family_cap",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::Negative { .. } => "negative_amount",
            Self::DuplicateCase { .. } => "duplicate_case",
            Self::Overflow => "overflow",
        }
    }
}

/// Applies a family cap to the amounts proposed for one family group's claims.
///
/// If the proposed total is within the cap nothing changes. Otherwise every
/// amount is reduced in the same proportion (`proposed × cap / total`), so
/// each family member keeps the same share of the capped total as of the
/// uncapped one whatever order the claims were filed in. Shares are rounded
/// to the minor unit by the largest-remainder method with ties going to the
/// lower case id, so the capped amounts add up to exactly the cap and the
/// result does not depend on the order of `members`.
pub fn apply_family_cap(
    cap: Money,
    members: &[FamilyMember],
) -> Result<FamilyCapOutcome, FamilyCapError> {
    let currency = cap.currency();
    let minor = currency.minor_units();
    if !cap.is_positive() || !apportion::is_whole_minor(cap.amount(), minor) {
        return Err(FamilyCapError::InvalidCap);
    }
    let mut members: Vec<&FamilyMember> = members.iter().collect();
    members.sort_by_key(|m| m.case);
    for pair in members.windows(2) {
        if pair[0].case == pair[1].case {
            return Err(FamilyCapError::DuplicateCase { case: pair[0].case });
        }
    }
    for m in &members {
        if m.proposed.currency() != currency {
            return Err(FamilyCapError::CurrencyMismatch {
                case: m.case,
                expected: currency,
                found: m.proposed.currency(),
            });
        }
        if m.proposed.is_negative() {
            return Err(FamilyCapError::Negative { case: m.case });
        }
    }
    let total = Money::sum(currency, members.iter().map(|m| &m.proposed))
        .map_err(|_| FamilyCapError::Overflow)?;
    let reduced = total.amount() > cap.amount();
    let capped: Vec<Decimal> = if reduced {
        let weights: Vec<Decimal> = members.iter().map(|m| m.proposed.amount()).collect();
        apportion::pro_rata(&weights, cap.amount(), minor).ok_or(FamilyCapError::Overflow)?
    } else {
        members.iter().map(|m| m.proposed.amount()).collect()
    };
    let shares: Vec<FamilyShare> = members
        .iter()
        .zip(capped)
        .map(|(m, c)| FamilyShare {
            case: m.case,
            proposed: m.proposed,
            capped: Money::new(c, currency),
        })
        .collect();
    let total_capped = Money::sum(currency, shares.iter().map(|s| &s.capped))
        .map_err(|_| FamilyCapError::Overflow)?;
    Ok(FamilyCapOutcome {
        cap,
        total_proposed: total,
        total_capped,
        reduced,
        shares,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn eur(a: Decimal) -> Money {
        Money::new(a, Currency::EUR)
    }

    fn rule(kind: RuleKind) -> ValuationRule {
        ValuationRule {
            category: "A2.3".into(),
            version: 1,
            kind,
            valuation_date: ValuationDate::IncidentDate,
            currency: Currency::EUR,
        }
    }

    #[test]
    fn json_is_one_object_tagged_by_kind_with_defaults() {
        let json = r#"{"category":"A3.1","version":2,"kind":"per_unit","unit":"m2",
            "rate":{"amount":"850","currency":"EUR"},
            "regional_rates":{"UA-30":{"amount":"1200","currency":"EUR"}},
            "factors":[{"name":"depreciation","value":"0.8"}],
            "cap":{"amount":"150000","currency":"EUR"}}"#;
        let rule: ValuationRule = serde_json::from_str(json).unwrap();
        assert_eq!(rule.currency, Currency::EUR);
        assert_eq!(rule.valuation_date, ValuationDate::IncidentDate);
        rule.validate().unwrap();
        let back: ValuationRule =
            serde_json::from_str(&serde_json::to_string(&rule).unwrap()).unwrap();
        assert_eq!(back, rule);

        let threshold = rule_with_threshold();
        let text = serde_json::to_string(&threshold).unwrap();
        assert!(text.contains(r#""kind":"threshold""#), "{text}");
        assert!(
            text.contains(r#""below":{"kind":"claimed_with_cap""#),
            "{text}"
        );
        assert!(
            text.contains(r#""valuation_date":{"fixed":"2022-02-24"}"#),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<ValuationRule>(&text).unwrap(),
            threshold
        );
    }

    fn rule_with_threshold() -> ValuationRule {
        ValuationRule {
            valuation_date: ValuationDate::Fixed(time::macros::date!(2022 - 02 - 24)),
            ..rule(RuleKind::Threshold {
                limit: eur(dec!(100000)),
                below: Box::new(RuleKind::ClaimedWithCap {
                    accepted_share: dec!(1),
                    cap: None,
                }),
            })
        }
    }

    #[test]
    fn each_validation_error() {
        let cases: Vec<(ValuationRule, &str)> = vec![
            (
                ValuationRule {
                    category: " ".into(),
                    ..rule(RuleKind::Manual)
                },
                "empty_category",
            ),
            (
                ValuationRule {
                    version: 0,
                    ..rule(RuleKind::Manual)
                },
                "invalid_version",
            ),
            (
                rule(RuleKind::Fixed {
                    per_claimant: eur(dec!(0)),
                    family_cap: None,
                }),
                "not_positive",
            ),
            (
                rule(RuleKind::ClaimedWithCap {
                    accepted_share: dec!(0.5),
                    cap: Some(eur(dec!(100.005))),
                }),
                "too_precise",
            ),
            (
                rule(RuleKind::Fixed {
                    per_claimant: Money::new(dec!(2500), Currency::USD),
                    family_cap: None,
                }),
                "currency_mismatch",
            ),
            (
                rule(RuleKind::Fixed {
                    per_claimant: eur(dec!(2500)),
                    family_cap: Some(eur(dec!(2000))),
                }),
                "family_cap_below_per_claimant",
            ),
            (
                rule(RuleKind::ClaimedWithCap {
                    accepted_share: dec!(1.01),
                    cap: None,
                }),
                "share_out_of_range",
            ),
            (
                rule(RuleKind::ClaimedWithCap {
                    accepted_share: dec!(-0.1),
                    cap: None,
                }),
                "share_out_of_range",
            ),
            (
                rule(RuleKind::PerUnit {
                    unit: String::new(),
                    rate: eur(dec!(1)),
                    regional_rates: BTreeMap::new(),
                    factors: vec![],
                    cap: None,
                }),
                "empty_unit",
            ),
            (
                rule(RuleKind::PerUnit {
                    unit: "m2".into(),
                    rate: eur(dec!(1)),
                    regional_rates: BTreeMap::new(),
                    factors: vec![Factor {
                        name: "condition".into(),
                        value: dec!(0),
                    }],
                    cap: None,
                }),
                "invalid_factor",
            ),
            (
                rule(RuleKind::PerUnit {
                    unit: "m2".into(),
                    rate: eur(dec!(1)),
                    regional_rates: [(RegionCode("Kyiv".into()), eur(dec!(2)))].into(),
                    factors: vec![],
                    cap: None,
                }),
                "invalid_region",
            ),
            (
                rule(RuleKind::PerUnit {
                    unit: "m2".into(),
                    rate: eur(dec!(1)),
                    regional_rates: [(RegionCode("UA-30".into()), eur(dec!(-2)))].into(),
                    factors: vec![],
                    cap: None,
                }),
                "not_positive",
            ),
            (
                rule(RuleKind::Threshold {
                    limit: eur(dec!(100)),
                    below: Box::new(RuleKind::Manual),
                }),
                "invalid_threshold_rule",
            ),
            (
                rule(RuleKind::Threshold {
                    limit: eur(dec!(100)),
                    below: Box::new(RuleKind::ClaimedWithCap {
                        accepted_share: dec!(1),
                        cap: Some(Money::new(dec!(5), Currency::UAH)),
                    }),
                }),
                "currency_mismatch",
            ),
        ];
        for (rule, code) in cases {
            assert_eq!(rule.validate().unwrap_err().code(), code, "{rule:?}");
        }
        let err = rule_with_threshold().validate();
        assert_eq!(err, Ok(()));
    }

    #[test]
    fn nested_field_paths_name_the_inner_rule() {
        let r = rule(RuleKind::Threshold {
            limit: eur(dec!(100)),
            below: Box::new(RuleKind::ClaimedWithCap {
                accepted_share: dec!(1),
                cap: Some(eur(dec!(0))),
            }),
        });
        assert_eq!(
            r.validate(),
            Err(RuleError::NotPositive {
                field: "below.cap".into()
            })
        );
    }

    #[test]
    fn a_used_rule_is_frozen() {
        let r = rule(RuleKind::Manual);
        assert_eq!(r.ensure_editable(false), Ok(()));
        let err = r.ensure_editable(true).unwrap_err();
        assert_eq!(err.code(), "rule_in_use");
        assert_eq!(
            err.to_string(),
            "rule A2.3 v1 has been used by an assessment and cannot be changed; create a new version"
        );
        assert_eq!(r.next_version().unwrap().version, 2);
    }

    fn member(n: u128, amount: Decimal) -> FamilyMember {
        FamilyMember {
            case: CaseId::from_uuid(uuid::Uuid::from_u128(n)),
            proposed: eur(amount),
        }
    }

    #[test]
    fn family_cap_leaves_small_groups_alone() {
        let out = apply_family_cap(
            eur(dec!(10000)),
            &[member(1, dec!(2500)), member(2, dec!(2500))],
        )
        .unwrap();
        assert!(!out.reduced);
        assert_eq!(out.total_capped, eur(dec!(5000)));
    }

    #[test]
    fn family_cap_reduces_pro_rata_to_exactly_the_cap() {
        let members = [
            member(3, dec!(2500)),
            member(1, dec!(2500)),
            member(2, dec!(2500)),
            member(4, dec!(2500)),
            member(5, dec!(2500)),
            member(6, dec!(2500)),
        ];
        let out = apply_family_cap(eur(dec!(10000)), &members).unwrap();
        assert!(out.reduced);
        assert_eq!(out.total_capped, eur(dec!(10000)));
        let amounts: Vec<Decimal> = out.shares.iter().map(|s| s.capped.amount()).collect();
        // 10,000 / 6 = 1,666.666...: four get the spare cents, lowest ids first.
        assert_eq!(
            amounts,
            vec![
                dec!(1666.67),
                dec!(1666.67),
                dec!(1666.67),
                dec!(1666.67),
                dec!(1666.66),
                dec!(1666.66)
            ]
        );
        let mut reversed = members.to_vec();
        reversed.reverse();
        assert_eq!(apply_family_cap(eur(dec!(10000)), &reversed).unwrap(), out);
    }

    #[test]
    fn family_cap_errors() {
        assert_eq!(
            apply_family_cap(eur(dec!(0)), &[]).unwrap_err().code(),
            "invalid_family_cap"
        );
        assert_eq!(
            apply_family_cap(eur(dec!(10.001)), &[]).unwrap_err().code(),
            "invalid_family_cap"
        );
        assert_eq!(
            apply_family_cap(eur(dec!(10)), &[member(1, dec!(1)), member(1, dec!(2))])
                .unwrap_err()
                .code(),
            "duplicate_case"
        );
        assert_eq!(
            apply_family_cap(eur(dec!(10)), &[member(1, dec!(-1))])
                .unwrap_err()
                .code(),
            "negative_amount"
        );
        let usd = FamilyMember {
            case: CaseId::from_uuid(uuid::Uuid::from_u128(9)),
            proposed: Money::new(dec!(1), Currency::USD),
        };
        assert_eq!(
            apply_family_cap(eur(dec!(10)), &[usd]).unwrap_err().code(),
            "currency_mismatch"
        );
    }
}
