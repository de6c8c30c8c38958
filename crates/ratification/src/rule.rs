//! The entry-into-force clause, as data.
//!
//! The authentic text's exact clause could not be read, so the rule is not
//! code: the threshold, which instruments count, whether organisations count,
//! a minimum of Council of Europe members, weighted conditions, the funding
//! determination and the period are all fields. The same engine then
//! reproduces real treaties (tests check the Istanbul Convention, the UN
//! disability convention, the Kyoto Protocol, the ILO Maritime Labour
//! Convention and the Rome Statute), and the convention's rule can be
//! corrected by configuration once the text is confirmed.

use crate::action::ConsentKind;
use crate::weight::BasisCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use time::{Date, Duration, Month};

/// When a treaty enters into force once its conditions are met (and, with
/// the same rule, for a later party after its own deposit).
///
/// Each form is one real treaty drafting; the serde tag names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PeriodRule {
    /// Council of Europe style: "the first day of the month following the
    /// expiration of a period of `months` months after the date on which"
    /// the conditions are met.
    FirstDayOfMonthAfter { months: u32 },
    /// UN style: "the `days`th day after the deposit of" the last instrument
    /// needed.
    DaysAfter { days: u32 },
    /// ILO and IMO style: "`months` months after the date on which" the
    /// conditions are met, to the day. When that month is shorter than the
    /// day of the start date (a period from 31 August ending in February),
    /// the period ends on the month's last day: a month the calendar does
    /// not have cannot hold the date, and running over into the next month
    /// would make the period longer than `months` months.
    MonthsAfter { months: u32 },
    /// Rome Statute style (article 126): "the first day of the month after
    /// the `days`th day following the date of the deposit". The first day
    /// of the *following* month, even when the `days`th day is itself a
    /// first.
    FirstDayOfMonthAfterDays { days: u32 },
}

impl PeriodRule {
    /// The date of entry into force for conditions met (or an instrument
    /// deposited) on `date`. Saturates at the last date the calendar
    /// supports rather than failing on absurd periods.
    pub fn entry_into_force(self, date: Date) -> Date {
        match self {
            // The period ends in the month `months` after the deposit,
            // whatever the day; entry into force is the first of the month
            // after that. A deposit on 1 July with three months therefore
            // gives 1 November, as the CoE treaty office computes it.
            Self::FirstDayOfMonthAfter { months } => {
                first_of_month(date, i64::from(months) + 1).unwrap_or(Date::MAX)
            }
            Self::DaysAfter { days } => days_after(date, days).unwrap_or(Date::MAX),
            Self::MonthsAfter { months } => shift_month(date, i64::from(months))
                .and_then(|(year, month)| {
                    let day = date.day().min(month.length(year));
                    Date::from_calendar_date(year, month, day).ok()
                })
                .unwrap_or(Date::MAX),
            Self::FirstDayOfMonthAfterDays { days } => days_after(date, days)
                .and_then(|day| first_of_month(day, 1))
                .unwrap_or(Date::MAX),
        }
    }

    /// Whether a zero-length period is a reading of its own. "The first
    /// day of the month following" a deposit and "on the date of" a deposit
    /// are real drafting; zero months to the day, or the first of the month
    /// after the 0th day, only restate those and are taken for a mistake.
    pub const fn zero_is_meaningful(self) -> bool {
        matches!(
            self,
            Self::FirstDayOfMonthAfter { .. } | Self::DaysAfter { .. }
        )
    }

    /// The length of the period in its own unit (months or days).
    pub const fn length(self) -> u32 {
        match self {
            Self::FirstDayOfMonthAfter { months } | Self::MonthsAfter { months } => months,
            Self::DaysAfter { days } | Self::FirstDayOfMonthAfterDays { days } => days,
        }
    }
}

fn days_after(date: Date, days: u32) -> Option<Date> {
    date.checked_add(Duration::days(i64::from(days)))
}

/// The year and month `months` after `date`'s month.
fn shift_month(date: Date, months: i64) -> Option<(i32, Month)> {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month()) - 1) + months;
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = u8::try_from(index.rem_euclid(12) + 1).ok()?;
    Some((year, Month::try_from(month).ok()?))
}

/// The first day of the month `months` after `date`'s month.
fn first_of_month(date: Date, months: i64) -> Option<Date> {
    let (year, month) = shift_month(date, months)?;
    Date::from_calendar_date(year, month, 1).ok()
}

/// What a weighted condition measures its weights against.
///
/// The kind belongs to the rule, not to the recorded figures, because it is
/// what the clause says: "half of the budget" names a figure to be recorded
/// ([`Recorded`](Self::Recorded)), while "55 per cent of the total ... of
/// the Parties included in Annex I" or a share of the tonnage of all members
/// names the sum over everyone, parties or not
/// ([`AllParticipants`](Self::AllParticipants)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotalKind {
    /// The latest [`BasisTotal`](crate::BasisTotal) of the basis recorded on
    /// or before the day in question.
    #[default]
    Recorded,
    /// The sum of every weight recorded on the basis by then, for all
    /// participants, whether their consent counts or not.
    AllParticipants,
}

/// A condition that the consents counted carry enough weight: the weights
/// on `basis` of the participants whose consent counts toward the threshold
/// add up to at least `share` × the total.
///
/// On the wire: `{"basis": "rd4u-2025-budget", "share": "0.5", "total":
/// "recorded"}`; `total` may be left out for `recorded`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WeightedCondition {
    pub basis: BasisCode,
    /// The fraction of the total needed, in (0, 1]: `0.5` for half.
    #[serde(with = "rust_decimal::serde::str")]
    pub share: Decimal,
    #[serde(default)]
    pub total: TotalKind,
}

impl WeightedCondition {
    /// A condition measured against a recorded total.
    pub fn recorded(basis: BasisCode, share: Decimal) -> Self {
        Self {
            basis,
            share,
            total: TotalKind::Recorded,
        }
    }

    /// A condition measured against the weights of all participants.
    pub fn of_all_participants(basis: BasisCode, share: Decimal) -> Self {
        Self {
            basis,
            share,
            total: TotalKind::AllParticipants,
        }
    }
}

/// The basis of the convention's weighted condition: the participants'
/// contributions to the Register of Damage's 2025 budget.
pub const RD4U_2025_BUDGET: &str = "rd4u-2025-budget";

/// The conditions and period of entry into force.
///
/// Every condition must hold on one and the same day: the count, the
/// Council of Europe minimum, each weighted condition and, where asked for,
/// the funding determination. The period runs from the first such day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryIntoForceRule {
    /// Consents needed.
    pub threshold: u32,
    /// Which kinds of consent count toward the threshold.
    pub counting_consents: BTreeSet<ConsentKind>,
    /// Whether an organisation's (the EU's) consent counts toward the
    /// threshold. It is a party either way.
    pub organisations_count: bool,
    /// Minimum number of Council of Europe member states among the counted
    /// consents, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_council_of_europe_members: Option<u32>,
    /// Whether the Council must have determined that funding is sufficient.
    pub requires_funding_determination: bool,
    /// Conditions on what the counted consents carry, one per basis.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weighted: Vec<WeightedCondition>,
    /// Whether non-signatories may accede at all. Where the rule neither
    /// counts accessions nor leaves them open, an accession is refused when
    /// recorded. Absent from older configurations, where it reads `true`.
    #[serde(default = "accession_open_by_default")]
    pub accession_open: bool,
    pub period: PeriodRule,
}

const fn accession_open_by_default() -> bool {
    true
}

impl EntryIntoForceRule {
    /// The reading of the convention assumed until it is confirmed against
    /// the authentic text. It follows the summaries of the text (the
    /// Lithuanian foreign ministry's ratification submission, reported
    /// 22 February 2026; Babel, 16 December 2025: "25 ratifications and half
    /// of the budget"):
    ///
    /// - 25 consents, of ratification, acceptance or approval: the text says
    ///   "25 signatories have ratified", so accessions (by non-signatories)
    ///   are assumed **not** to count toward the 25, though they are open;
    /// - the EU's instrument is assumed **to count** (it is a signatory);
    /// - no minimum of Council of Europe members;
    /// - the ratifying signatories' contributions to the Register of
    ///   Damage's 2025 budget ([`RD4U_2025_BUDGET`]) add up to at least half
    ///   of that budget, a recorded figure;
    /// - no determination by the Council: the funding condition is computed
    ///   from recorded figures ([`council_determination_reading`](Self::council_determination_reading)
    ///   keeps the earlier reading);
    /// - the Council of Europe period: the first day of the month following
    ///   three months after the conditions are met.
    pub fn convention_default() -> Self {
        Self {
            requires_funding_determination: false,
            weighted: vec![WeightedCondition::recorded(
                BasisCode::rd4u_2025_budget(),
                Decimal::new(5, 1),
            )],
            ..Self::council_determination_reading()
        }
    }

    /// The earlier reading of the convention: 25 consents as in
    /// [`convention_default`](Self::convention_default), and instead of a
    /// weighted condition the Council's formal determination that the
    /// financial commitments are sufficient for the Commission's initial
    /// work.
    pub fn council_determination_reading() -> Self {
        Self {
            threshold: 25,
            counting_consents: [
                ConsentKind::Ratification,
                ConsentKind::Acceptance,
                ConsentKind::Approval,
            ]
            .into_iter()
            .collect(),
            organisations_count: true,
            min_council_of_europe_members: None,
            requires_funding_determination: true,
            weighted: Vec::new(),
            accession_open: true,
            period: PeriodRule::FirstDayOfMonthAfter { months: 3 },
        }
    }

    /// Whether a consent of this kind counts toward the threshold.
    pub fn counts(&self, kind: ConsentKind) -> bool {
        self.counting_consents.contains(&kind)
    }

    /// Whether an accession may be recorded at all.
    pub fn admits_accession(&self) -> bool {
        self.accession_open || self.counts(ConsentKind::Accession)
    }

    /// The weighted condition on `basis`, if any.
    pub fn weighted_condition(&self, basis: &BasisCode) -> Option<&WeightedCondition> {
        self.weighted.iter().find(|c| &c.basis == basis)
    }
}

impl Default for EntryIntoForceRule {
    fn default() -> Self {
        Self::convention_default()
    }
}

/// Why a rule was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the threshold must be at least 1")]
    ZeroThreshold,
    #[error("no kind of consent counts toward the threshold")]
    NoCountingConsents,
    #[error("{minimum} Council of Europe members are required among only {threshold} consents")]
    CouncilOfEuropeMinimumAboveThreshold { minimum: u32, threshold: u32 },
    #[error("the share of {basis} must be more than 0 and at most 1, not {share}")]
    ShareOutOfRange {
        index: usize,
        basis: BasisCode,
        share: Decimal,
    },
    #[error("two weighted conditions are on the basis {basis}")]
    DuplicateBasis { index: usize, basis: BasisCode },
    #[error("a period of 0 in {0:?} restates another form; write that form")]
    ZeroPeriod(PeriodRule),
    #[error("accessions count toward the threshold, yet accession is closed")]
    AccessionCountedWhileClosed,
}

impl RuleError {
    /// Stable snake_case code for problem documents and configuration
    /// errors.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::ZeroThreshold => "zero_threshold",
            Self::NoCountingConsents => "no_counting_consents",
            Self::CouncilOfEuropeMinimumAboveThreshold { .. } => {
                "council_of_europe_minimum_above_threshold"
            }
            Self::ShareOutOfRange { .. } => "share_out_of_range",
            Self::DuplicateBasis { .. } => "duplicate_basis",
            Self::ZeroPeriod(_) => "zero_period",
            Self::AccessionCountedWhileClosed => "accession_counted_while_closed",
        }
    }

    /// The path of the field in the rule's JSON: `threshold`,
    /// `weighted[0].share`.
    pub fn field(&self) -> String {
        match self {
            Self::ZeroThreshold => "threshold".into(),
            Self::NoCountingConsents => "counting_consents".into(),
            Self::CouncilOfEuropeMinimumAboveThreshold { .. } => {
                "min_council_of_europe_members".into()
            }
            Self::ShareOutOfRange { index, .. } => format!("weighted[{index}].share"),
            Self::DuplicateBasis { index, .. } => format!("weighted[{index}].basis"),
            Self::ZeroPeriod(_) => "period".into(),
            Self::AccessionCountedWhileClosed => "accession_open".into(),
        }
    }
}

/// Checks a rule before it is used, and gives every error found, in the
/// order of the fields.
pub fn validate_rule(rule: &EntryIntoForceRule) -> Result<(), Vec<RuleError>> {
    let mut errors = Vec::new();
    if rule.threshold == 0 {
        errors.push(RuleError::ZeroThreshold);
    }
    if rule.counting_consents.is_empty() {
        errors.push(RuleError::NoCountingConsents);
    }
    if let Some(minimum) = rule.min_council_of_europe_members
        && minimum > rule.threshold
    {
        errors.push(RuleError::CouncilOfEuropeMinimumAboveThreshold {
            minimum,
            threshold: rule.threshold,
        });
    }
    let mut seen = HashSet::new();
    for (index, condition) in rule.weighted.iter().enumerate() {
        if condition.share <= Decimal::ZERO || condition.share > Decimal::ONE {
            errors.push(RuleError::ShareOutOfRange {
                index,
                basis: condition.basis.clone(),
                share: condition.share,
            });
        }
        if !seen.insert(&condition.basis) {
            errors.push(RuleError::DuplicateBasis {
                index,
                basis: condition.basis.clone(),
            });
        }
    }
    if !rule.accession_open && rule.counts(ConsentKind::Accession) {
        errors.push(RuleError::AccessionCountedWhileClosed);
    }
    if rule.period.length() == 0 && !rule.period.zero_is_meaningful() {
        errors.push(RuleError::ZeroPeriod(rule.period));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use time::macros::date;

    #[test]
    fn first_day_of_month_after_the_period() {
        let rule = PeriodRule::FirstDayOfMonthAfter { months: 3 };
        assert_eq!(
            rule.entry_into_force(date!(2014 - 04 - 22)),
            date!(2014 - 08 - 01)
        );
        assert_eq!(
            rule.entry_into_force(date!(2014 - 07 - 01)),
            date!(2014 - 11 - 01)
        );
        assert_eq!(
            rule.entry_into_force(date!(2014 - 07 - 31)),
            date!(2014 - 11 - 01)
        );
        assert_eq!(
            rule.entry_into_force(date!(2025 - 11 - 30)),
            date!(2026 - 03 - 01)
        );
        assert_eq!(
            rule.entry_into_force(date!(2025 - 12 - 16)),
            date!(2026 - 04 - 01)
        );
        let zero = PeriodRule::FirstDayOfMonthAfter { months: 0 };
        assert_eq!(
            zero.entry_into_force(date!(2025 - 12 - 16)),
            date!(2026 - 01 - 01)
        );
        assert_eq!(rule.entry_into_force(Date::MAX), Date::MAX);
    }

    #[test]
    fn days_after_the_deposit() {
        let rule = PeriodRule::DaysAfter { days: 30 };
        assert_eq!(
            rule.entry_into_force(date!(2008 - 04 - 03)),
            date!(2008 - 05 - 03)
        );
        assert_eq!(rule.entry_into_force(Date::MAX), Date::MAX);
    }

    #[test]
    fn months_after_to_the_day() {
        let rule = PeriodRule::MonthsAfter { months: 12 };
        // ILO MLC, 2006: conditions met on 20 August 2012, in force on
        // 20 August 2013.
        assert_eq!(
            rule.entry_into_force(date!(2012 - 08 - 20)),
            date!(2013 - 08 - 20)
        );
        // A day the end month does not have: its last day.
        let one = PeriodRule::MonthsAfter { months: 1 };
        assert_eq!(
            one.entry_into_force(date!(2026 - 01 - 31)),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            one.entry_into_force(date!(2028 - 01 - 30)),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            PeriodRule::MonthsAfter { months: 6 }.entry_into_force(date!(2025 - 08 - 31)),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            rule.entry_into_force(date!(2024 - 02 - 29)),
            date!(2025 - 02 - 28)
        );
        assert_eq!(
            PeriodRule::MonthsAfter { months: 48 }.entry_into_force(date!(2024 - 02 - 29)),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            one.entry_into_force(date!(2025 - 12 - 31)),
            date!(2026 - 01 - 31)
        );
        assert_eq!(rule.entry_into_force(Date::MAX), Date::MAX);
    }

    #[test]
    fn first_day_of_the_month_after_the_nth_day() {
        let rule = PeriodRule::FirstDayOfMonthAfterDays { days: 60 };
        // Rome Statute: the 60th instrument on 11 April 2002; the 60th day
        // after is 10 June; in force on 1 July 2002.
        assert_eq!(
            rule.entry_into_force(date!(2002 - 04 - 11)),
            date!(2002 - 07 - 01)
        );
        // Japan deposited on 17 July 2007: 15 September, so 1 October.
        assert_eq!(
            rule.entry_into_force(date!(2007 - 07 - 17)),
            date!(2007 - 10 - 01)
        );
        // The 60th day falling on a first still leads to the next month.
        assert_eq!(
            rule.entry_into_force(date!(2002 - 04 - 02)),
            date!(2002 - 07 - 01)
        );
        assert_eq!(
            rule.entry_into_force(date!(2025 - 11 - 02)),
            date!(2026 - 02 - 01)
        );
        assert_eq!(rule.entry_into_force(Date::MAX), Date::MAX);
    }

    #[test]
    fn which_zero_periods_mean_something() {
        assert!(PeriodRule::DaysAfter { days: 0 }.zero_is_meaningful());
        assert!(PeriodRule::FirstDayOfMonthAfter { months: 0 }.zero_is_meaningful());
        assert!(!PeriodRule::MonthsAfter { months: 0 }.zero_is_meaningful());
        assert!(!PeriodRule::FirstDayOfMonthAfterDays { days: 0 }.zero_is_meaningful());
    }

    #[test]
    fn period_json_shapes() {
        for (period, json) in [
            (
                PeriodRule::MonthsAfter { months: 12 },
                serde_json::json!({"type": "months_after", "months": 12}),
            ),
            (
                PeriodRule::FirstDayOfMonthAfterDays { days: 60 },
                serde_json::json!({"type": "first_day_of_month_after_days", "days": 60}),
            ),
            (
                PeriodRule::DaysAfter { days: 90 },
                serde_json::json!({"type": "days_after", "days": 90}),
            ),
        ] {
            assert_eq!(serde_json::to_value(period).unwrap(), json);
            assert_eq!(serde_json::from_value::<PeriodRule>(json).unwrap(), period);
        }
    }

    #[test]
    fn rule_json_shape() {
        let json = serde_json::to_value(EntryIntoForceRule::convention_default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "threshold": 25,
                "counting_consents": ["ratification", "acceptance", "approval"],
                "organisations_count": true,
                "requires_funding_determination": false,
                "weighted": [{"basis": "rd4u-2025-budget", "share": "0.5", "total": "recorded"}],
                "accession_open": true,
                "period": {"type": "first_day_of_month_after", "months": 3}
            })
        );
        let back: EntryIntoForceRule = serde_json::from_value(json).unwrap();
        assert_eq!(back, EntryIntoForceRule::convention_default());

        let old =
            serde_json::to_value(EntryIntoForceRule::council_determination_reading()).unwrap();
        assert_eq!(old["requires_funding_determination"], true);
        assert!(old.get("weighted").is_none());
    }

    #[test]
    fn older_configurations_still_read() {
        // The shape written before weighted conditions and accession_open.
        let rule: EntryIntoForceRule = serde_json::from_value(serde_json::json!({
            "threshold": 20,
            "counting_consents": ["ratification", "accession"],
            "organisations_count": false,
            "requires_funding_determination": false,
            "period": {"type": "days_after", "days": 30}
        }))
        .unwrap();
        assert!(rule.accession_open);
        assert!(rule.weighted.is_empty());
        // `total` may be left out for a recorded total.
        let condition: WeightedCondition = serde_json::from_value(
            serde_json::json!({"basis": "annex-i-co2-1990", "share": "0.55"}),
        )
        .unwrap();
        assert_eq!(condition.total, TotalKind::Recorded);
        assert_eq!(condition.share, dec!(0.55));
        let all: WeightedCondition = serde_json::from_value(
            serde_json::json!({"basis": "world-gross-tonnage", "share": "0.33", "total": "all_participants"}),
        )
        .unwrap();
        assert_eq!(all.total, TotalKind::AllParticipants);
    }

    #[test]
    fn the_convention_default_and_the_old_reading_are_valid() {
        assert_eq!(
            validate_rule(&EntryIntoForceRule::convention_default()),
            Ok(())
        );
        assert_eq!(
            validate_rule(&EntryIntoForceRule::council_determination_reading()),
            Ok(())
        );
        let rule = EntryIntoForceRule::convention_default();
        assert!(rule.admits_accession());
        assert!(!rule.counts(ConsentKind::Accession));
        assert!(!rule.requires_funding_determination);
        let basis = BasisCode::parse(RD4U_2025_BUDGET).unwrap();
        assert_eq!(rule.weighted_condition(&basis).unwrap().share, dec!(0.5));
    }

    #[test]
    fn rule_refusals() {
        let basis = |c: &str| BasisCode::parse(c).unwrap();
        let rule = EntryIntoForceRule {
            threshold: 0,
            counting_consents: [ConsentKind::Accession].into_iter().collect(),
            organisations_count: true,
            min_council_of_europe_members: Some(3),
            requires_funding_determination: false,
            weighted: vec![
                WeightedCondition::recorded(basis("a"), dec!(0)),
                WeightedCondition::recorded(basis("b"), dec!(1.01)),
                WeightedCondition::recorded(basis("a"), dec!(1)),
                WeightedCondition::recorded(basis("c"), dec!(-0.5)),
            ],
            accession_open: false,
            period: PeriodRule::MonthsAfter { months: 0 },
        };
        let errors = validate_rule(&rule).unwrap_err();
        let found: Vec<(&str, String)> = errors.iter().map(|e| (e.code(), e.field())).collect();
        assert_eq!(
            found,
            vec![
                ("zero_threshold", "threshold".to_owned()),
                (
                    "council_of_europe_minimum_above_threshold",
                    "min_council_of_europe_members".to_owned()
                ),
                ("share_out_of_range", "weighted[0].share".to_owned()),
                ("share_out_of_range", "weighted[1].share".to_owned()),
                ("duplicate_basis", "weighted[2].basis".to_owned()),
                ("share_out_of_range", "weighted[3].share".to_owned()),
                (
                    "accession_counted_while_closed",
                    "accession_open".to_owned()
                ),
                ("zero_period", "period".to_owned()),
            ]
        );
        let no_kinds = EntryIntoForceRule {
            counting_consents: BTreeSet::new(),
            period: PeriodRule::FirstDayOfMonthAfterDays { days: 0 },
            ..EntryIntoForceRule::convention_default()
        };
        let codes: Vec<&str> = validate_rule(&no_kinds)
            .unwrap_err()
            .iter()
            .map(RuleError::code)
            .collect();
        assert_eq!(codes, ["no_counting_consents", "zero_period"]);
        for period in [
            PeriodRule::DaysAfter { days: 0 },
            PeriodRule::FirstDayOfMonthAfter { months: 0 },
        ] {
            let rule = EntryIntoForceRule {
                period,
                ..EntryIntoForceRule::convention_default()
            };
            assert_eq!(validate_rule(&rule), Ok(()), "{period:?}");
        }
    }
}
