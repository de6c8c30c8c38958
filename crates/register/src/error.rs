//! Errors shared by the crate's value types and seed parsers.

/// A value that does not have the shape its type demands.
///
/// Raised when text from a request or a file is turned into a domain value
/// (`CategoryCode`, `Rnokpp`, `RegionCode`, ...); serde uses it too, so a
/// malformed value in JSON fails deserialization with this message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what}: expected {expected}")]
pub struct FormatError {
    /// What the value was meant to be, e.g. `"RNOKPP"`.
    pub what: &'static str,
    /// The text as given.
    pub value: String,
    /// What a valid value looks like.
    pub expected: &'static str,
}

/// A seed file (categories or regions) that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SeedError {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    pub message: String,
}

impl SeedError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}
