//! Exact money.
//!
//! An amount is a [`Decimal`] with an ISO 4217 [`Currency`]; floats never
//! appear. Arithmetic refuses to mix currencies: converting is an explicit
//! step with a recorded rate, done by the caller.
//!
//! # Rounding
//! Intermediate results keep full precision. A figure is rounded once, when
//! it becomes an amount someone will be told or paid, to the currency's minor
//! unit (2 places for EUR, 0 for JPY, 3 for KWD) with **round half to even**
//! ("banker's rounding"). Over millions of awards, half-to-even does not drift
//! upward the way half-up does, so programme totals stay unbiased.
//!
//! On the wire money is `{"amount": "12.50", "currency": "EUR"}`: the amount
//! is a string so no JSON parser turns it into a float.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why a money operation was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currencies differ: {left} and {right}")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("{0:?} is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    #[error("{amount} has more decimal places than {currency} allows ({allowed})")]
    TooPrecise {
        amount: Decimal,
        currency: Currency,
        allowed: u32,
    },
    #[error("amount out of range")]
    Overflow,
}

/// An ISO 4217 currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub const EUR: Self = Self(iso_currency::Currency::EUR);
    pub const USD: Self = Self(iso_currency::Currency::USD);
    pub const UAH: Self = Self(iso_currency::Currency::UAH);

    /// Parses an ISO 4217 alphabetic code, e.g. `EUR`. Case-sensitive, as the
    /// standard is.
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        iso_currency::Currency::from_code(code)
            .map(Self)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Number of digits after the decimal point of the minor unit. Codes
    /// without one (gold, SDR, testing codes) are treated as whole units.
    pub fn minor_units(self) -> u32 {
        self.0.exponent().map_or(0, u32::from)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// An exact amount in one currency.
///
/// It serializes and displays through [`amount_text`]: at the currency's
/// minor-unit scale (`"0.00"`, `"68000.00"`), never fewer places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub struct Money {
    #[serde(deserialize_with = "plain_decimal")]
    amount: Decimal,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("amount", &self.amount_text())?;
        st.serialize_field("currency", &self.currency)?;
        st.end()
    }
}

/// `amount` as a client, a CSV file or a page is told it: exactly the
/// currency's minor unit of places (`0` EUR is `"0.00"`, `68000.000` EUR is
/// `"68000.00"`, `12` JPY is `"12"`). The one formatter of money: every door
/// writes amounts through it.
///
/// It never rounds: the rare figure finer than the minor unit (a rate in a
/// valuation rule, an intermediate step of an assessment before its final
/// rounding) keeps its significant places, without trailing zeros.
pub fn amount_text(amount: Decimal, currency: Currency) -> String {
    at_minor_unit(amount, currency).to_string()
}

/// `amount` with exactly the currency's minor unit of places, or its
/// significant places where it has more (see [`amount_text`]).
pub fn at_minor_unit(amount: Decimal, currency: Currency) -> Decimal {
    let places = currency.minor_units();
    let mut exact = amount.normalize();
    if exact.scale() < places {
        exact.rescale(places);
    }
    exact
}

/// An amount as people write it: digits with an optional sign and decimal
/// point. Exponents (`1e3`), a leading `+`, spaces and separators are
/// refused: an amount someone is paid must not depend on how a parser
/// reads notation.
pub fn parse_amount(text: &str) -> Option<Decimal> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !(digits.contains('.') && fraction.is_empty());
    if !plain {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

fn plain_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    parse_amount(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "{text:?} is not an amount: write digits with an optional decimal point, as a string"
        ))
    })
}

impl Money {
    pub const fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// An amount as a person wrote it: refused if it has more decimal places
    /// than the currency's minor unit (`12.345 EUR` is a typo, not a claim).
    pub fn exact(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        let allowed = currency.minor_units();
        if amount.normalize().scale() > allowed {
            return Err(MoneyError::TooPrecise {
                amount,
                currency,
                allowed,
            });
        }
        Ok(Self { amount, currency })
    }

    pub const fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    pub const fn amount(&self) -> Decimal {
        self.amount
    }

    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as it is written out: see [`amount_text`].
    pub fn amount_text(&self) -> String {
        amount_text(self.amount, self.currency)
    }

    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }

    pub fn is_negative(&self) -> bool {
        self.amount < Decimal::ZERO
    }

    fn same_currency(&self, other: &Self) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    pub fn checked_add(&self, other: &Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    pub fn checked_sub(&self, other: &Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// Multiplies by a factor (a rate, a share, a quantity). Not rounded:
    /// call [`Money::rounded`] when the figure is final.
    pub fn checked_mul(&self, factor: Decimal) -> Result<Self, MoneyError> {
        let amount = self
            .amount
            .checked_mul(factor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// Converts into another currency at `rate` units of `to` per unit of
    /// this currency, rounded to the target's minor unit.
    pub fn convert(&self, rate: Decimal, to: Currency) -> Result<Self, MoneyError> {
        let amount = self.amount.checked_mul(rate).ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, to).rounded())
    }

    /// Rounded to the currency's minor unit, half to even (see module docs).
    pub fn rounded(&self) -> Self {
        let amount = self.amount.round_dp_with_strategy(
            self.currency.minor_units(),
            RoundingStrategy::MidpointNearestEven,
        );
        Self::new(amount, self.currency)
    }

    pub fn min(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(&other)?;
        Ok(if other.amount < self.amount {
            other
        } else {
            self
        })
    }

    /// Sum of amounts that must all be in `currency`.
    pub fn sum<'a>(
        currency: Currency,
        items: impl IntoIterator<Item = &'a Self>,
    ) -> Result<Self, MoneyError> {
        items
            .into_iter()
            .try_fold(Self::zero(currency), |acc, m| acc.checked_add(m))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_text(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn eur(amount: Decimal) -> Money {
        Money::new(amount, Currency::EUR)
    }

    #[test]
    fn serializes_as_string_amount_and_code() {
        let m = eur(dec!(12.50));
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":"12.50","currency":"EUR"}"#
        );
        let back: Money = serde_json::from_str(r#"{"amount":"12.50","currency":"EUR"}"#).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn amounts_are_written_at_the_minor_unit() {
        let text = |m: Money| serde_json::to_value(m).unwrap()["amount"].clone();
        assert_eq!(text(eur(Decimal::ZERO)), "0.00");
        assert_eq!(text(eur(dec!(68000.000))), "68000.00");
        assert_eq!(text(eur(dec!(50000000))), "50000000.00");
        assert_eq!(text(eur(dec!(-3.1))), "-3.10");
        assert_eq!(eur(dec!(12.5)).to_string(), "12.50 EUR");
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(text(Money::new(dec!(12.00), jpy)), "12");
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(text(Money::new(dec!(1), kwd)), "1.000");
        // Finer than the minor unit (a rate): significant places kept.
        assert_eq!(text(eur(dec!(0.12500))), "0.125");
    }

    #[test]
    fn refuses_unknown_currency_and_numeric_amounts() {
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"XXY"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"eur"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"abc","currency":"EUR"}"#).is_err());
    }

    #[test]
    fn amounts_are_plain_decimal_strings() {
        for ok in ["0", "12.50", "-3.1", "1000000000000.00"] {
            assert!(parse_amount(ok).is_some(), "{ok}");
        }
        for bad in [
            "1e3",
            "+5",
            " 5",
            "5 ",
            "1,000",
            "12.",
            ".5",
            "",
            "-",
            "0x10",
            "NaN",
            "99999999999999999999999999999999",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1e3","currency":"EUR"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":12.5,"currency":"EUR"}"#).is_err());
    }

    #[test]
    fn mixing_currencies_is_refused() {
        let err = eur(dec!(1))
            .checked_add(&Money::new(dec!(1), Currency::USD))
            .unwrap_err();
        assert_eq!(
            err,
            MoneyError::CurrencyMismatch {
                left: Currency::EUR,
                right: Currency::USD
            }
        );
    }

    #[test]
    fn rounding_is_half_to_even_at_the_minor_unit() {
        assert_eq!(eur(dec!(2.345)).rounded().amount(), dec!(2.34));
        assert_eq!(eur(dec!(2.355)).rounded().amount(), dec!(2.36));
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(Money::new(dec!(2.5), jpy).rounded().amount(), dec!(2));
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(kwd.minor_units(), 3);
    }

    #[test]
    fn exact_refuses_more_places_than_the_currency_has() {
        assert!(Money::exact(dec!(12.345), Currency::EUR).is_err());
        assert!(Money::exact(dec!(12.340), Currency::EUR).is_ok());
        assert!(Money::exact(dec!(1.5), Currency::from_code("JPY").unwrap()).is_err());
    }

    fn amount() -> impl Strategy<Value = Decimal> {
        // Up to a trillion with cents: well beyond any single award.
        (-100_000_000_000_000i64..100_000_000_000_000i64).prop_map(|c| Decimal::new(c, 2))
    }

    fn currency() -> impl Strategy<Value = Currency> {
        prop::sample::select(vec!["EUR", "USD", "UAH", "JPY", "KWD", "GBP", "CHF"])
            .prop_map(|c| Currency::from_code(c).unwrap())
    }

    proptest! {
        #[test]
        fn addition_is_commutative_and_associative(a in amount(), b in amount(), c in amount()) {
            let (a, b, c) = (eur(a), eur(b), eur(c));
            prop_assert_eq!(a.checked_add(&b)?, b.checked_add(&a)?);
            prop_assert_eq!(
                a.checked_add(&b)?.checked_add(&c)?,
                a.checked_add(&b.checked_add(&c)?)?
            );
        }

        #[test]
        fn subtraction_undoes_addition(a in amount(), b in amount()) {
            prop_assert_eq!(eur(a).checked_add(&eur(b))?.checked_sub(&eur(b))?, eur(a));
        }

        #[test]
        fn different_currencies_never_combine(a in amount(), b in amount(), x in currency(), y in currency()) {
            prop_assume!(x != y);
            prop_assert!(Money::new(a, x).checked_add(&Money::new(b, y)).is_err());
            prop_assert!(Money::new(a, x).checked_sub(&Money::new(b, y)).is_err());
        }

        #[test]
        fn json_round_trip_is_exact(a in amount(), c in currency()) {
            let m = Money::new(a, c);
            let json = serde_json::to_string(&m).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        }

        #[test]
        fn rounding_is_idempotent_and_within_half_a_minor_unit(
            units in -1_000_000_000_000i64..1_000_000_000_000i64, scale in 0u32..8, c in currency()
        ) {
            let m = Money::new(Decimal::new(units, scale), c);
            let r = m.rounded();
            prop_assert_eq!(r.rounded(), r);
            prop_assert!(r.amount().scale() <= c.minor_units().max(scale));
            let half_unit = Decimal::new(5, c.minor_units() + 1);
            prop_assert!((r.amount() - m.amount()).abs() <= half_unit);
        }

        #[test]
        fn sum_matches_pairwise_addition(xs in prop::collection::vec(amount(), 0..50)) {
            let items: Vec<Money> = xs.iter().copied().map(eur).collect();
            let total: Decimal = xs.iter().sum();
            prop_assert_eq!(Money::sum(Currency::EUR, &items)?, eur(total));
        }
    }
}
