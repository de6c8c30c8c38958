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
