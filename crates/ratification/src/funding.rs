//! Financial commitments toward the Commission's initial work.
//!
//! Participants pledge amounts in their own currencies; the depositary
//! records confirmed contributions. This module gives the figures: totals in
//! one reference currency and the confirmed total against a target. They
//! inform, and decide nothing: under the assumed reading the funding
//! condition is the weighted condition on the Register of Damage's 2025
//! budget ([`weight`](crate::weight)); under the Council reading it is the
//! Council's [`FundingDetermination`](crate::FundingDetermination).
//!
//! Every conversion uses a recorded rate, the latest on or before the item's
//! date. A missing rate is an error naming the currency and the date: a
//! total built on a guessed rate would be worse than none.

use crate::participant::ParticipantCode;
use kernel::{Currency, Money, MoneyError};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use time::Date;

kernel::typed_id!(
    /// A pledge by a participant.
    PledgeId
);

kernel::typed_id!(
    /// A confirmed contribution.
    ContributionId
);

/// A participant's announced commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pledge {
    pub id: PledgeId,
    pub participant: ParticipantCode,
    pub amount: Money,
    #[serde(with = "crate::date_format")]
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A contribution the depositary confirms as received or committed in law.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionConfirmation {
    pub id: ContributionId,
    pub participant: ParticipantCode,
    pub amount: Money,
    #[serde(with = "crate::date_format")]
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Units of `to` per unit of `from`, as published on `date` by `source`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRate {
    pub from: Currency,
    pub to: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    #[serde(with = "crate::date_format")]
    pub date: Date,
    pub source: String,
}

/// Why totals could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FundingError {
    #[error("no exchange rate from {from} to {to} on or before {date}")]
    MissingRate {
        from: Currency,
        to: Currency,
        date: Date,
    },
    #[error("exchange rates from {from} to {to} on {date} disagree")]
    ConflictingRates {
        from: Currency,
        to: Currency,
        date: Date,
    },
    #[error("exchange rate from {from} to {to} on {date} is not positive")]
    InvalidRate {
        from: Currency,
        to: Currency,
        date: Date,
    },
    #[error("the funding target must be a positive amount, not {0}")]
    InvalidTarget(Money),
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl FundingError {
    /// Stable snake_case code for problem documents.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::MissingRate { .. } => "missing_exchange_rate",
            Self::ConflictingRates { .. } => "conflicting_exchange_rates",
            Self::InvalidRate { .. } => "invalid_exchange_rate",
            Self::InvalidTarget(_) => "invalid_funding_target",
            Self::Money(_) => "money_error",
        }
    }
}

/// Pledged and confirmed totals against the target, all in the target's
/// currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingTotals {
    pub pledged: Money,
    pub confirmed: Money,
    pub target: Money,
    /// Confirmed over target, as a fraction (0.4 is 40 %), to four places.
    #[serde(with = "rust_decimal::serde::str")]
    pub confirmed_share: Decimal,
    /// What the confirmed total still lacks; zero once the target is met.
    pub shortfall: Money,
    pub target_met: bool,
}

/// Totals of `pledges` and `confirmations` converted into the currency of
/// `target`.
///
/// Each amount is converted at the latest rate dated on or before its own
/// date, and rounded to the target currency's minor unit before adding, so
/// every line of a published breakdown adds up to the total. A rate recorded
/// the other way round (reference to item currency, as central banks publish
/// them) is used by inverting it when it is the more recent one.
pub fn funding_totals(
    pledges: &[Pledge],
    confirmations: &[ContributionConfirmation],
    rates: &[ExchangeRate],
    target: Money,
) -> Result<FundingTotals, FundingError> {
    if !target.is_positive() {
        return Err(FundingError::InvalidTarget(target));
    }
    let reference = target.currency();
    let pledged = total(pledges.iter().map(|p| (p.amount, p.date)), reference, rates)?;
    let confirmed = total(
        confirmations.iter().map(|c| (c.amount, c.date)),
        reference,
        rates,
    )?;
    let share = confirmed
        .amount()
        .checked_div(target.amount())
        .ok_or(MoneyError::Overflow)?
        .round_dp_with_strategy(4, RoundingStrategy::MidpointNearestEven);
    let shortfall = target.checked_sub(&confirmed)?;
    let shortfall = if shortfall.is_negative() {
        Money::zero(reference)
    } else {
        shortfall
    };
    Ok(FundingTotals {
        pledged,
        confirmed,
        target,
        confirmed_share: share,
        target_met: !shortfall.is_positive(),
        shortfall,
    })
}

fn total(
    items: impl Iterator<Item = (Money, Date)>,
    reference: Currency,
    rates: &[ExchangeRate],
) -> Result<Money, FundingError> {
    let mut sum = Money::zero(reference);
    for (amount, date) in items {
        sum = sum.checked_add(&convert(amount, reference, date, rates)?)?;
    }
    Ok(sum)
}

/// Converts `amount` into `to` at the rate in force on `date`.
pub fn convert(
    amount: Money,
    to: Currency,
    date: Date,
    rates: &[ExchangeRate],
) -> Result<Money, FundingError> {
    let from = amount.currency();
    if from == to {
        return Ok(amount.rounded());
    }
    let direct = latest_rate(rates, from, to, date)?;
    let inverse = latest_rate(rates, to, from, date)?;
    let rate = match (direct, inverse) {
        (Some(direct), Some(inverse)) if inverse.1 > direct.1 => invert(inverse.0, to, from, date)?,
        (Some(direct), _) => direct.0,
        (None, Some(inverse)) => invert(inverse.0, to, from, date)?,
        (None, None) => return Err(FundingError::MissingRate { from, to, date }),
    };
    Ok(amount.convert(rate, to)?)
}

fn invert(
    rate: Decimal,
    from: Currency,
    to: Currency,
    date: Date,
) -> Result<Decimal, FundingError> {
    Decimal::ONE
        .checked_div(rate)
        .ok_or(FundingError::InvalidRate { from, to, date })
}

/// The latest rate from `from` to `to` dated on or before `date`, with its
/// date.
fn latest_rate(
    rates: &[ExchangeRate],
    from: Currency,
    to: Currency,
    date: Date,
) -> Result<Option<(Decimal, Date)>, FundingError> {
    let Some(latest) = rates
        .iter()
        .filter(|r| r.from == from && r.to == to && r.date <= date)
        .map(|r| r.date)
        .max()
    else {
        return Ok(None);
    };
    let mut same_day = rates
        .iter()
        .filter(|r| r.from == from && r.to == to && r.date == latest)
        .map(|r| r.rate);
    let rate = same_day.next().unwrap_or_default();
    if same_day.any(|other| other != rate) {
        return Err(FundingError::ConflictingRates {
            from,
            to,
            date: latest,
        });
    }
    if rate <= Decimal::ZERO {
        return Err(FundingError::InvalidRate {
            from,
            to,
            date: latest,
        });
    }
    Ok(Some((rate, latest)))
}

/// Why a pledge was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PledgeError {
    #[error("a representative of {principal} may not pledge for {participant}")]
    NotOwnParticipant {
        principal: ParticipantCode,
        participant: ParticipantCode,
    },
    #[error("a pledged or contributed amount must be positive, not {0}")]
    NonPositiveAmount(Money),
}

impl PledgeError {
    /// Stable snake_case code for problem documents.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotOwnParticipant { .. } => "not_own_participant",
            Self::NonPositiveAmount(_) => "non_positive_amount",
        }
    }
}

/// Checks a pledge made by a state representative speaking for
/// `principal_participant`. (The depositary records pledges for any
/// participant; the HTTP layer decides which check applies by role.)
pub fn validate_pledge(
    principal_participant: &ParticipantCode,
    pledge: &Pledge,
) -> Result<(), PledgeError> {
    if principal_participant != &pledge.participant {
        return Err(PledgeError::NotOwnParticipant {
            principal: *principal_participant,
            participant: pledge.participant,
        });
    }
    validate_amount(pledge.amount)
}

/// Checks an amount to be pledged or confirmed: positive only.
pub fn validate_amount(amount: Money) -> Result<(), PledgeError> {
    if amount.is_positive() {
        Ok(())
    } else {
        Err(PledgeError::NonPositiveAmount(amount))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use time::macros::date;

    fn code(c: &str) -> ParticipantCode {
        ParticipantCode::parse(c).unwrap()
    }

    fn gbp() -> Currency {
        Currency::from_code("GBP").unwrap()
    }

    fn pledge(c: &str, amount: Money, date: Date) -> Pledge {
        Pledge {
            id: PledgeId::new(),
            participant: code(c),
            amount,
            date,
            note: None,
        }
    }

    fn confirmation(c: &str, amount: Money, date: Date) -> ContributionConfirmation {
        ContributionConfirmation {
            id: ContributionId::new(),
            participant: code(c),
            amount,
            date,
            note: None,
        }
    }

    fn rate(from: Currency, to: Currency, rate: Decimal, date: Date) -> ExchangeRate {
        ExchangeRate {
            from,
            to,
            rate,
            date,
            source: "test".into(),
        }
    }

    fn eur(amount: Decimal) -> Money {
        Money::new(amount, Currency::EUR)
    }

    #[test]
    fn totals_use_the_latest_rate_on_or_before_each_date() {
        let rates = [
            rate(gbp(), Currency::EUR, dec!(1.10), date!(2026 - 01 - 01)),
            rate(gbp(), Currency::EUR, dec!(1.20), date!(2026 - 02 - 01)),
            rate(gbp(), Currency::EUR, dec!(9.99), date!(2026 - 03 - 01)),
        ];
        let pledges = [
            pledge("GB", Money::new(dec!(100), gbp()), date!(2026 - 01 - 31)),
            pledge("GB", Money::new(dec!(100), gbp()), date!(2026 - 02 - 01)),
            pledge("FR", eur(dec!(50)), date!(2026 - 02 - 15)),
        ];
        let confirmations = [confirmation("FR", eur(dec!(50)), date!(2026 - 02 - 20))];
        let totals = funding_totals(&pledges, &confirmations, &rates, eur(dec!(200))).unwrap();
        assert_eq!(totals.pledged, eur(dec!(280)));
        assert_eq!(totals.confirmed, eur(dec!(50)));
        assert_eq!(totals.confirmed_share, dec!(0.25));
        assert_eq!(totals.shortfall, eur(dec!(150)));
        assert!(!totals.target_met);
    }

    #[test]
    fn a_missing_rate_names_currency_and_date() {
        let rates = [rate(gbp(), Currency::EUR, dec!(1.1), date!(2026 - 03 - 01))];
        let pledges = [pledge(
            "GB",
            Money::new(dec!(1), gbp()),
            date!(2026 - 02 - 28),
        )];
        let err = funding_totals(&pledges, &[], &rates, eur(dec!(1))).unwrap_err();
        assert_eq!(
            err,
            FundingError::MissingRate {
                from: gbp(),
                to: Currency::EUR,
                date: date!(2026 - 02 - 28)
            }
        );
        assert_eq!(err.code(), "missing_exchange_rate");
        assert_eq!(
            err.to_string(),
            "no exchange rate from GBP to EUR on or before 2026-02-28"
        );
    }

    #[test]
    fn inverse_rates_are_used_when_more_recent() {
        // ECB style: 1 EUR = 1.25 USD.
        let rates = [
            rate(
                Currency::USD,
                Currency::EUR,
                dec!(0.5),
                date!(2026 - 01 - 01),
            ),
            rate(
                Currency::EUR,
                Currency::USD,
                dec!(1.25),
                date!(2026 - 02 - 01),
            ),
        ];
        let pledges = [pledge(
            "US",
            Money::new(dec!(100), Currency::USD),
            date!(2026 - 02 - 02),
        )];
        let totals = funding_totals(&pledges, &[], &rates, eur(dec!(1000))).unwrap();
        assert_eq!(totals.pledged, eur(dec!(80)));
    }

    #[test]
    fn conflicting_rates_are_refused() {
        let rates = [
            rate(gbp(), Currency::EUR, dec!(1.1), date!(2026 - 01 - 01)),
            rate(gbp(), Currency::EUR, dec!(1.2), date!(2026 - 01 - 01)),
        ];
        let pledges = [pledge(
            "GB",
            Money::new(dec!(1), gbp()),
            date!(2026 - 01 - 02),
        )];
        let err = funding_totals(&pledges, &[], &rates, eur(dec!(1))).unwrap_err();
        assert_eq!(err.code(), "conflicting_exchange_rates");
    }

    #[test]
    fn target_met_and_exceeded() {
        let confirmations = [confirmation("FR", eur(dec!(300)), date!(2026 - 01 - 01))];
        let totals = funding_totals(&[], &confirmations, &[], eur(dec!(200))).unwrap();
        assert!(totals.target_met);
        assert_eq!(totals.shortfall, eur(dec!(0)));
        assert_eq!(totals.confirmed_share, dec!(1.5));
        assert_eq!(
            funding_totals(&[], &[], &[], eur(dec!(0)))
                .unwrap_err()
                .code(),
            "invalid_funding_target"
        );
    }

    #[test]
    fn pledge_validation() {
        let p = pledge("FR", eur(dec!(10)), date!(2026 - 01 - 01));
        assert!(validate_pledge(&code("FR"), &p).is_ok());
        let err = validate_pledge(&code("DE"), &p).unwrap_err();
        assert_eq!(err.code(), "not_own_participant");
        for amount in [dec!(0), dec!(-1)] {
            let p = pledge("FR", eur(amount), date!(2026 - 01 - 01));
            assert_eq!(
                validate_pledge(&code("FR"), &p).unwrap_err().code(),
                "non_positive_amount"
            );
        }
    }

    #[test]
    fn pledge_json_shape() {
        let p = pledge("FR", eur(dec!(10.50)), date!(2026 - 01 - 01));
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json["amount"],
            serde_json::json!({"amount": "10.50", "currency": "EUR"})
        );
        assert_eq!(json["date"], "2026-01-01");
        let r = rate(gbp(), Currency::EUR, dec!(1.1725), date!(2026 - 01 - 01));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["rate"], "1.1725");
        assert_eq!(serde_json::from_value::<ExchangeRate>(json).unwrap(), r);
    }
}
