//! The initial record: who signed the convention, and when.
//!
//! The signatures are published as a small CSV (`participant,iso_code,kind,
//! signed_on`). It has no quoted fields, so it is read by splitting on commas
//! rather than with a CSV library; any line that does not fit is refused with
//! its line number so the file can be fixed, never silently skipped.

use crate::action::{ActionKind, TreatyAction};
use crate::participant::{Participant, ParticipantCode, ParticipantKind};
use std::collections::HashSet;
use time::Date;
use time::macros::format_description;

/// The published list of signatories (35 on 16 December 2025, Greece on
/// 19 December), as shipped with the service and seeded at first start.
pub const CONVENTION_SIGNATURES_CSV: &str = include_str!("../tests/data/convention-signatures.csv");

/// The expected header line.
pub const SIGNATURES_HEADER: &str = "participant,iso_code,kind,signed_on";

/// Participants and their signatures, ready to be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    pub participants: Vec<Participant>,
    pub signatures: Vec<TreatyAction>,
}

/// Why the signatures file was refused. Line numbers count from 1, the
/// header being line 1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    #[error("line 1: expected the header {SIGNATURES_HEADER:?}, found {found:?}")]
    Header { found: String },
    #[error("line {line}: expected 4 fields, found {found}")]
    FieldCount { line: usize, found: usize },
    #[error("line {line}: the participant's name is empty")]
    EmptyName { line: usize },
    #[error("line {line}: {code:?} is neither an ISO 3166-1 alpha-2 code nor EU")]
    Code { line: usize, code: String },
    #[error("line {line}: kind {kind:?} is neither state nor organisation")]
    Kind { line: usize, kind: String },
    #[error("line {line}: {code} cannot be of kind {kind}")]
    KindMismatch {
        line: usize,
        code: ParticipantCode,
        kind: ParticipantKind,
    },
    #[error("line {line}: {value:?} is not a date (YYYY-MM-DD)")]
    Date { line: usize, value: String },
    #[error("line {line}: {code} appears twice")]
    Duplicate { line: usize, code: ParticipantCode },
}

impl SeedError {
    /// The offending line (1 for the header).
    pub const fn line(&self) -> usize {
        match self {
            Self::Header { .. } => 1,
            Self::FieldCount { line, .. }
            | Self::EmptyName { line }
            | Self::Code { line, .. }
            | Self::Kind { line, .. }
            | Self::KindMismatch { line, .. }
            | Self::Date { line, .. }
            | Self::Duplicate { line, .. } => *line,
        }
    }
}

/// Parses the text of `convention-signatures.csv`.
///
/// Blank lines (a trailing newline, a final empty line) and Windows line
/// endings are accepted. Council of Europe membership is set from
/// [`COUNCIL_OF_EUROPE_MEMBERS`](crate::COUNCIL_OF_EUROPE_MEMBERS).
pub fn parse_signatures(text: &str) -> Result<Seed, SeedError> {
    let date_format = format_description!("[year]-[month]-[day]");
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    let header = lines
        .next()
        .map(|(_, l)| l.trim_start_matches('\u{feff}').trim());
    if header != Some(SIGNATURES_HEADER) {
        return Err(SeedError::Header {
            found: header.unwrap_or_default().to_owned(),
        });
    }
    let mut seen = HashSet::new();
    let mut seed = Seed {
        participants: Vec::new(),
        signatures: Vec::new(),
    };
    for (line, content) in lines {
        if content.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = content.split(',').map(str::trim).collect();
        let &[name, code, kind, signed_on] = fields.as_slice() else {
            return Err(SeedError::FieldCount {
                line,
                found: fields.len(),
            });
        };
        if name.is_empty() {
            return Err(SeedError::EmptyName { line });
        }
        let code = ParticipantCode::parse(code).map_err(|_| SeedError::Code {
            line,
            code: code.to_owned(),
        })?;
        let kind = match kind {
            "state" => ParticipantKind::State,
            "organisation" => ParticipantKind::Organisation,
            other => {
                return Err(SeedError::Kind {
                    line,
                    kind: other.to_owned(),
                });
            }
        };
        let participant = Participant::from_code(code.clone(), name);
        if participant.kind != kind {
            return Err(SeedError::KindMismatch { line, code, kind });
        }
        let signed_on = Date::parse(signed_on, date_format).map_err(|_| SeedError::Date {
            line,
            value: signed_on.to_owned(),
        })?;
        if !seen.insert(code.clone()) {
            return Err(SeedError::Duplicate { line, code });
        }
        seed.signatures
            .push(TreatyAction::new(code, ActionKind::Signature, signed_on));
        seed.participants.push(participant);
    }
    Ok(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn parses_and_tolerates_line_endings() {
        let text = "participant,iso_code,kind,signed_on\r\nUkraine,UA,state,2025-12-16\r\nEuropean Union,EU,organisation,2025-12-16\r\n\r\n";
        let seed = parse_signatures(text).unwrap();
        assert_eq!(seed.participants.len(), 2);
        assert!(seed.participants[0].council_of_europe_member);
        assert_eq!(seed.participants[1].kind, ParticipantKind::Organisation);
        assert_eq!(seed.signatures[1].date, date!(2025 - 12 - 16));
        assert_eq!(seed.signatures[1].kind, ActionKind::Signature);
    }

    #[test]
    fn reports_the_line_of_a_bad_entry() {
        let cases = [
            ("participant,code\n", 1),
            ("participant,iso_code,kind,signed_on\nUkraine,UA,state\n", 2),
            (
                "participant,iso_code,kind,signed_on\nUkraine,UA,state,2025-12-16\nUK,UK,state,2025-12-16\n",
                3,
            ),
            (
                "participant,iso_code,kind,signed_on\n\nUkraine,UA,country,2025-12-16\n",
                3,
            ),
            (
                "participant,iso_code,kind,signed_on\nUkraine,UA,state,16/12/2025\n",
                2,
            ),
            (
                "participant,iso_code,kind,signed_on\nUkraine,UA,organisation,2025-12-16\n",
                2,
            ),
            (
                "participant,iso_code,kind,signed_on\n,UA,state,2025-12-16\n",
                2,
            ),
            (
                "participant,iso_code,kind,signed_on\nA,UA,state,2025-12-16\nB,UA,state,2025-12-16\n",
                3,
            ),
            (
                "participant,iso_code,kind,signed_on\nBosnia, and Herzegovina,BA,state,2025-12-16\n",
                2,
            ),
        ];
        for (text, line) in cases {
            let err = parse_signatures(text).unwrap_err();
            assert_eq!(err.line(), line, "{err}");
            assert!(
                err.to_string().starts_with(&format!("line {line}:")),
                "{err}"
            );
        }
    }

    #[test]
    fn an_empty_file_is_refused() {
        assert!(matches!(
            parse_signatures(""),
            Err(SeedError::Header { .. })
        ));
    }
}
