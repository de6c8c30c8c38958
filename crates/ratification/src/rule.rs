//! The entry-into-force clause, as data.
//!
//! The authentic text's exact clause could not be read, so the rule is not
//! code: the threshold, which instruments count, whether organisations count,
//! a minimum of Council of Europe members, the funding condition and the
//! period are all fields. The same engine then reproduces real treaties
//! (tests check the Istanbul Convention and the UN disability convention),
//! and the convention's rule can be corrected by configuration once the text
//! is confirmed.

use crate::action::ConsentKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::{Date, Duration, Month};

/// When a treaty enters into force once its conditions are met (and, with
/// the same rule, for a later party after its own deposit).
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
}

impl PeriodRule {
    /// The date of entry into force for conditions met (or an instrument
    /// deposited) on `date`. Saturates at the last date the calendar
    /// supports rather than failing on absurd periods.
    pub fn entry_into_force(self, date: Date) -> Date {
        match self {
            Self::FirstDayOfMonthAfter { months } => {
                // The period ends in the month `months` after the deposit,
                // whatever the day; entry into force is the first of the
                // month after that. A deposit on 1 July with three months
                // therefore gives 1 November, as the CoE treaty office
                // computes it.
                let index = i64::from(date.year()) * 12
                    + i64::from(u8::from(date.month()) - 1)
                    + i64::from(months)
                    + 1;
                let year = i32::try_from(index.div_euclid(12)).ok();
                let month = u8::try_from(index.rem_euclid(12) + 1)
                    .ok()
                    .and_then(|m| Month::try_from(m).ok());
                match (year, month) {
                    (Some(year), Some(month)) => {
                        Date::from_calendar_date(year, month, 1).unwrap_or(Date::MAX)
                    }
                    _ => Date::MAX,
                }
            }
            Self::DaysAfter { days } => date
                .checked_add(Duration::days(i64::from(days)))
                .unwrap_or(Date::MAX),
        }
    }
}

/// The conditions and period of entry into force.
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
    pub period: PeriodRule,
}

impl EntryIntoForceRule {
    /// The reading of the convention assumed until it is confirmed against
    /// the authentic text:
    ///
    /// - 25 consents, of ratification, acceptance or approval: the text says
    ///   "25 signatories have ratified", so accessions (by non-signatories)
    ///   are assumed **not** to count toward the 25;
    /// - the EU's instrument is assumed **to count** (it is a signatory);
    /// - no minimum of Council of Europe members;
    /// - the Council's determination that financial commitments suffice is
    ///   required;
    /// - the Council of Europe period: the first day of the month following
    ///   three months after the conditions are met.
    pub fn convention_default() -> Self {
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
            period: PeriodRule::FirstDayOfMonthAfter { months: 3 },
        }
    }

    /// Whether a consent of this kind counts toward the threshold.
    pub fn counts(&self, kind: ConsentKind) -> bool {
        self.counting_consents.contains(&kind)
    }
}

impl Default for EntryIntoForceRule {
    fn default() -> Self {
        Self::convention_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn rule_json_shape() {
        let json = serde_json::to_value(EntryIntoForceRule::convention_default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "threshold": 25,
                "counting_consents": ["ratification", "acceptance", "approval"],
                "organisations_count": true,
                "requires_funding_determination": true,
                "period": {"type": "first_day_of_month_after", "months": 3}
            })
        );
        let back: EntryIntoForceRule = serde_json::from_value(json).unwrap();
        assert_eq!(back, EntryIntoForceRule::convention_default());
    }
}
