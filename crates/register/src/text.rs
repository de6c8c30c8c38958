//! Validated text values.
//!
//! Identifiers that arrive as text (codes, tax numbers, hashes) are parsed
//! once at the edge into a newtype that can only hold a valid, canonical
//! value. Serde goes through the same parser, so a JSON request cannot
//! smuggle in an unchecked value.

/// Declares a newtype over `String` whose values pass `$check`, which takes
/// the input text and returns the canonical form or a description of what
/// was expected.
macro_rules! validated_string {
    ($(#[$meta:meta])* $name:ident, $what:literal, $check:path) => {
        $(#[$meta])*
        #[derive(
            Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and canonicalises `text`.
            pub fn parse(text: &str) -> Result<Self, $crate::error::FormatError> {
                $check(text).map(Self).map_err(|expected| $crate::error::FormatError {
                    what: $what,
                    value: text.to_owned(),
                    expected,
                })
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::FormatError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::FormatError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

pub(crate) use validated_string;

/// Whether a person left this field empty (whitespace counts as empty).
pub(crate) fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// `text` as digits if it is exactly `len` ASCII digits.
pub(crate) fn digits(text: &str, len: usize) -> Option<Vec<u32>> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.bytes().map(|b| u32::from(b - b'0')).collect())
}
