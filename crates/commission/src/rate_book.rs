//! Which recorded exchange rate answers for a valuation date.
//!
//! Central banks publish no rate on weekends and holidays, so the rate for
//! a date is that day's, or the last one published in the
//! [`RATE_LOOKBACK_DAYS`] before it. An older rate is "missing", never a
//! guess: a loss is valued at a rate of its own time or not at all, and the
//! assessment records the rate's date next to the date it was asked for.

use crate::assessment::{RateLookup, RecordedRate};
use kernel::Currency;
use std::collections::BTreeMap;
use time::{Date, Duration};

/// How many days before a valuation date a recorded rate may still answer
/// for it.
pub const RATE_LOOKBACK_DAYS: i64 = 7;

/// The oldest rate date that may answer for `on`; `None` at the start of
/// the calendar.
pub fn oldest_usable(on: Date) -> Option<Date> {
    on.checked_sub(Duration::days(RATE_LOOKBACK_DAYS))
}

/// The recorded rates of some currency pairs, answering lookups by the
/// lookback rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateBook {
    /// Per pair, sorted by rate date (stable: of two rates of one date, the
    /// later given answers).
    rates: BTreeMap<(Currency, Currency), Vec<RecordedRate>>,
}

impl RateBook {
    /// A book of `(from, to, rate)` as recorded, in any order.
    pub fn new(rates: impl IntoIterator<Item = (Currency, Currency, RecordedRate)>) -> Self {
        let mut book: BTreeMap<(Currency, Currency), Vec<RecordedRate>> = BTreeMap::new();
        for (from, to, rate) in rates {
            book.entry((from, to)).or_default().push(rate);
        }
        for pair in book.values_mut() {
            pair.sort_by_key(|r| r.date);
        }
        Self { rates: book }
    }

    /// The rate dates a book must hold to answer for every valuation date
    /// in `from..=until`.
    pub fn dates_needed(from: Date, until: Date) -> (Date, Date) {
        (oldest_usable(from).unwrap_or(from), until)
    }
}

impl RateLookup for RateBook {
    fn rate(&self, from: Currency, to: Currency, on: Date) -> Option<RecordedRate> {
        let pair = self.rates.get(&(from, to))?;
        let published = pair.partition_point(|r| r.date <= on);
        let latest = pair.get(published.checked_sub(1)?)?;
        (latest.date >= oldest_usable(on)?).then(|| latest.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;
    use time::macros::date;

    fn rate(date: Date, rate: i64) -> RecordedRate {
        RecordedRate {
            rate: Decimal::new(rate, 4),
            date,
            source: "NBU".into(),
        }
    }

    fn uah(date: Date, r: i64) -> (Currency, Currency, RecordedRate) {
        (Currency::UAH, Currency::EUR, rate(date, r))
    }

    #[test]
    fn the_rate_of_the_day_or_the_last_one_within_the_week_before() {
        let book = RateBook::new([
            uah(date!(2022 - 03 - 11), 306),
            uah(date!(2022 - 03 - 01), 300),
            uah(date!(2022 - 03 - 14), 310),
        ]);
        let on = |d| book.rate(Currency::UAH, Currency::EUR, d).map(|r| r.date);
        assert_eq!(on(date!(2022 - 03 - 14)), Some(date!(2022 - 03 - 14)));
        // A Sunday: Friday's rate.
        assert_eq!(on(date!(2022 - 03 - 13)), Some(date!(2022 - 03 - 11)));
        // Exactly seven days after the last rate: still usable.
        assert_eq!(on(date!(2022 - 03 - 08)), Some(date!(2022 - 03 - 01)));
        // Eight days after it: missing, not guessed.
        assert_eq!(on(date!(2022 - 03 - 09)), None);
        // Before any rate, and for a pair never recorded.
        assert_eq!(on(date!(2022 - 02 - 28)), None);
        assert_eq!(
            book.rate(Currency::USD, Currency::EUR, date!(2022 - 03 - 14)),
            None
        );
        // A rate is never used backwards, for the other direction.
        assert_eq!(
            book.rate(Currency::EUR, Currency::UAH, date!(2022 - 03 - 14)),
            None
        );
    }

    #[test]
    fn the_rate_answering_keeps_its_own_date_and_source() {
        let book = RateBook::new([uah(date!(2022 - 03 - 11), 306)]);
        assert_eq!(
            book.rate(Currency::UAH, Currency::EUR, date!(2022 - 03 - 14)),
            Some(rate(date!(2022 - 03 - 11), 306))
        );
    }

    #[test]
    fn what_to_load_for_a_span_of_valuation_dates() {
        assert_eq!(
            RateBook::dates_needed(date!(2022 - 03 - 14), date!(2022 - 03 - 20)),
            (date!(2022 - 03 - 07), date!(2022 - 03 - 20))
        );
        assert_eq!(oldest_usable(Date::MIN), None);
    }

    fn day(n: u16) -> Date {
        date!(2022 - 01 - 01) + Duration::days(i64::from(n))
    }

    proptest! {
        /// Whatever the order the rates come in, a lookup answers with the
        /// latest rate dated on or before the day and at most the lookback
        /// before it, or with nothing when there is none.
        #[test]
        fn a_lookup_answers_with_the_latest_usable_rate(
            days in proptest::collection::btree_set(0_u16..120, 0..20),
            on in 0_u16..140,
            reversed in any::<bool>(),
        ) {
            let mut recorded: Vec<_> = days.iter().map(|d| uah(day(*d), i64::from(*d) + 1)).collect();
            if reversed {
                recorded.reverse();
            }
            let book = RateBook::new(recorded);
            let expected = days
                .iter()
                .rev()
                .find(|d| **d <= on && i64::from(on - **d) <= RATE_LOOKBACK_DAYS)
                .map(|d| rate(day(*d), i64::from(*d) + 1));
            prop_assert_eq!(book.rate(Currency::UAH, Currency::EUR, day(on)), expected);
        }

        /// Loading the rates `dates_needed` names is enough: a book of only
        /// those answers every date of the span as the full book does.
        #[test]
        fn the_dates_needed_are_enough(
            days in proptest::collection::btree_set(0_u16..120, 0..20),
            from in 0_u16..100,
            span in 0_u16..20,
        ) {
            let full = RateBook::new(days.iter().map(|d| uah(day(*d), 1)));
            let (oldest, newest) = RateBook::dates_needed(day(from), day(from + span));
            let loaded = RateBook::new(
                days.iter().map(|d| day(*d)).filter(|d| (oldest..=newest).contains(d)).map(|d| uah(d, 1)),
            );
            for on in from..=from + span {
                prop_assert_eq!(
                    loaded.rate(Currency::UAH, Currency::EUR, day(on)),
                    full.rate(Currency::UAH, Currency::EUR, day(on))
                );
            }
        }
    }
}
