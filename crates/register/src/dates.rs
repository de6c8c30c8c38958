//! Dates on the wire as ISO 8601 calendar dates (`2022-02-24`).
//!
//! The `time` crate's own serde support writes a `Date` as a `[year,
//! ordinal]` pair unless a workspace-wide feature is switched on; spelling
//! the format out here keeps this crate's JSON the same whatever features
//! other crates enable.

use time::Date;
use time::format_description::FormatItem;
use time::macros::format_description;

time::serde::format_description!(pub(crate) iso_date, Date, "[year]-[month]-[day]");

const FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Parses `YYYY-MM-DD`.
pub(crate) fn parse(text: &str) -> Option<Date> {
    Date::parse(text.trim(), FORMAT).ok()
}

/// Like `iso_date::option`, but reads `null` wherever it appears. Inside an
/// internally tagged enum (`Claimant`) serde hands a `null` over as a unit,
/// which `iso_date::option` refuses: a draft stored without a date of birth
/// (written as `null`) could not be read back, and its submission failed
/// with a server error. Found by the `claim_json` fuzz target.
pub(crate) mod optional_iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    #[allow(
        clippy::ref_option,
        clippy::trivially_copy_pass_by_ref,
        reason = "the signature serde's `with` calls"
    )]
    pub(crate) fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        super::iso_date::option::serialize(date, s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                Date::parse(&text, super::FORMAT).map_err(|_| {
                    serde::de::Error::invalid_value(
                        serde::de::Unexpected::Str(&text),
                        &"a date as YYYY-MM-DD",
                    )
                })
            })
            .transpose()
    }
}
