//! Timestamps as fixed-width UTC text.
//!
//! SQLite has no timestamp type. sqlx writes RFC 3339 with as few fractional
//! digits as needed, which does not sort as text; a fixed width with six
//! fractional digits does, so range filters on text columns are correct.

use time::OffsetDateTime;
use time::macros::format_description;

pub(crate) fn encode(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

pub(crate) fn encode_opt(at: Option<OffsetDateTime>) -> Option<String> {
    at.map(encode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fixed_width_text_sorts_like_time() {
        let a = encode(datetime!(2026-01-01 00:00:00.5 UTC));
        let b = encode(datetime!(2026-01-01 00:00:00.500001 UTC));
        assert_eq!(a, "2026-01-01T00:00:00.500000Z");
        assert!(a < b);
    }
}
