//! Public reference numbers of claims: `RD-2026-0000123`.
//!
//! The year is the year of submission and the sequence counts submissions
//! (the store hands out the next value, per year or overall; this type does
//! not care). Seven digits cover ten million claims; a larger sequence
//! simply prints with more digits, so the format never overflows. Parsing
//! accepts only the canonical form, so every number has exactly one
//! spelling and text search by reference number is exact.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::Date;

/// A claim's reference number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReferenceNumber {
    year: u16,
    sequence: u64,
}

/// Text that is not a reference number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a reference number like RD-2026-0000123")]
pub struct InvalidReferenceNumber(pub String);

impl ReferenceNumber {
    pub const PREFIX: &'static str = "RD";

    /// `None` if the year is not four digits or the sequence is zero.
    pub fn new(year: u16, sequence: u64) -> Option<Self> {
        ((1000..=9999).contains(&year) && sequence > 0).then_some(Self { year, sequence })
    }

    /// The number for the `sequence`-th claim, submitted on `submitted_on`.
    pub fn for_submission(submitted_on: Date, sequence: u64) -> Option<Self> {
        Self::new(u16::try_from(submitted_on.year()).ok()?, sequence)
    }

    pub const fn year(&self) -> u16 {
        self.year
    }

    pub const fn sequence(&self) -> u64 {
        self.sequence
    }
}

impl fmt::Display for ReferenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}-{:07}", Self::PREFIX, self.year, self.sequence)
    }
}

impl FromStr for ReferenceNumber {
    type Err = InvalidReferenceNumber;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidReferenceNumber(s.to_owned());
        let rest = s
            .strip_prefix(Self::PREFIX)
            .and_then(|r| r.strip_prefix('-'))
            .ok_or_else(invalid)?;
        let (year, sequence) = rest.split_once('-').ok_or_else(invalid)?;
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        // Seven digits, or more without a leading zero: one spelling per number.
        let canonical_sequence =
            sequence.len() == 7 || (sequence.len() > 7 && !sequence.starts_with('0'));
        if year.len() != 4 || !all_digits(year) || !all_digits(sequence) || !canonical_sequence {
            return Err(invalid());
        }
        let year = year.parse().map_err(|_| invalid())?;
        let sequence = sequence.parse().map_err(|_| invalid())?;
        Self::new(year, sequence).ok_or_else(invalid)
    }
}

impl TryFrom<String> for ReferenceNumber {
    type Error = InvalidReferenceNumber;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ReferenceNumber> for String {
    fn from(r: ReferenceNumber) -> Self {
        r.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn formats_with_a_seven_digit_sequence() {
        let r = ReferenceNumber::for_submission(date!(2026 - 01 - 15), 123).unwrap();
        assert_eq!(r.to_string(), "RD-2026-0000123");
        assert_eq!(
            ReferenceNumber::new(2026, 12_345_678).unwrap().to_string(),
            "RD-2026-12345678"
        );
        assert_eq!(serde_json::to_value(r).unwrap(), "RD-2026-0000123");
    }

    #[test]
    fn parses_only_the_canonical_form() {
        assert_eq!(
            "RD-2026-0000123".parse(),
            Ok(ReferenceNumber::new(2026, 123).unwrap())
        );
        assert!("RD-2026-12345678".parse::<ReferenceNumber>().is_ok());
        for bad in [
            "RD-2026-123",
            "RD-2026-00000123",
            "rd-2026-0000123",
            "RD-26-0000123",
            "RD-2026-0000000",
            "RD-2026-00001x3",
            "RD-2026-+000123",
            "RD20260000123",
            " RD-2026-0000123",
            "",
        ] {
            assert!(bad.parse::<ReferenceNumber>().is_err(), "{bad}");
        }
        assert!(ReferenceNumber::new(2026, 0).is_none());
        assert!(ReferenceNumber::new(999, 1).is_none());
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(year in 1000u16..=9999, sequence in 1u64..=u64::MAX) {
            let r = ReferenceNumber::new(year, sequence).unwrap();
            let text = r.to_string();
            prop_assert_eq!(text.parse::<ReferenceNumber>(), Ok(r));
            let json = serde_json::to_string(&r).unwrap();
            prop_assert_eq!(serde_json::from_str::<ReferenceNumber>(&json).unwrap(), r);
        }
    }
}
