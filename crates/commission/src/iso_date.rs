//! Dates on the wire as `YYYY-MM-DD`.
//!
//! `time`'s own serde format for a `Date` depends on which crate features the
//! whole build happens to enable; stored records must not change shape when
//! some other crate adds a feature, so every date here names its format.

time::serde::format_description!(pub iso_date_format, Date, "[year]-[month]-[day]");

pub use iso_date_format::{deserialize, serialize};

/// For `Option<Date>` fields.
pub mod option {
    pub use super::iso_date_format::option::{deserialize, serialize};
}
