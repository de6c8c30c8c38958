//! The initial record: who signed the convention, and when, and the total
//! its weighted condition is measured against.
//!
//! The signatures are published as a small CSV (`participant,iso_code,kind,
//! signed_on`). It has no quoted fields, so it is read by splitting on commas
//! rather than with a CSV library; any line that does not fit is refused with
//! its line number so the file can be fixed, never silently skipped.
//!
//! No participant's weight is seeded: what each signatory contributed to the
//! Register of Damage's 2025 budget is not published. The depositary records
//! those figures ([`Weight`](crate::Weight)) as it learns them.

use crate::action::{ActionKind, TreatyAction};
use crate::participant::{Participant, ParticipantCode, ParticipantKind};
use crate::weight::{BasisCode, BasisTotal, BasisTotalId};
use rust_decimal::Decimal;
use std::collections::HashSet;
use time::Date;
use time::macros::{date, format_description};

/// The published list of signatories (35 on 16 December 2025, Greece on
/// 19 December), as shipped with the service and seeded at first start.
pub const CONVENTION_SIGNATURES_CSV: &str = include_str!("../tests/data/convention-signatures.csv");

/// The expected header line.
pub const SIGNATURES_HEADER: &str = "participant,iso_code,kind,signed_on";

/// Where the seeded budget total comes from. The figure itself is not
/// published: only half of it is quoted.
pub const RD4U_2025_BUDGET_SOURCE: &str = "derived: twice EUR 3,692,150 quoted as 50 % (Babel, 16 Dec 2025; Lithuanian MFA submission, 22 Feb 2026)";

/// The Register of Damage's 2025 budget, the total of the convention's
/// weighted condition under its assumed reading: EUR 7,384,300.00, dated 16
/// December 2025, when the half of it was first quoted.
///
/// **Assumed**, and flagged so: sources quote EUR 3,692,150 as the "half of
/// the budget" the ratifying signatories' contributions must reach, so the
/// total is taken as twice that. A published figure replaces it by a
/// correction that supersedes this entry.
///
/// Its id is fixed, so that seeding it a second time is refused as a
/// duplicate rather than recording the figure twice.
pub fn rd4u_2025_budget_total() -> BasisTotal {
    BasisTotal {
        id: BasisTotalId::from_uuid(uuid::Uuid::from_u128(
            0x019b_2520_0000_7000_8000_7d45_2025_0001,
        )),
        basis: BasisCode::rd4u_2025_budget(),
        value: Decimal::new(738_430_000, 2),
        unit: "EUR".to_owned(),
        source: RD4U_2025_BUDGET_SOURCE.to_owned(),
        date: date!(2025 - 12 - 16),
        assumed: true,
        supersedes: None,
    }
}

/// The basis totals to record at first start: the 2025 budget alone.
pub fn seed_basis_totals() -> Vec<BasisTotal> {
    vec![rd4u_2025_budget_total()]
}

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
        let mut participant = Participant::from_code(code, name);
        participant.name_uk = ukrainian_name(code).map(str::to_owned);
        if participant.kind != kind {
            return Err(SeedError::KindMismatch { line, code, kind });
        }
        let signed_on = Date::parse(signed_on, date_format).map_err(|_| SeedError::Date {
            line,
            value: signed_on.to_owned(),
        })?;
        if !seen.insert(code) {
            return Err(SeedError::Duplicate { line, code });
        }
        seed.signatures
            .push(TreatyAction::new(code, ActionKind::Signature, signed_on));
        seed.participants.push(participant);
    }
    Ok(seed)
}

/// The Ukrainian names of the first signatories, as the Ministry of Foreign
/// Affairs of Ukraine writes them. Later participants bring their own.
const UKRAINIAN_NAMES: &[(&str, &str)] = &[
    ("AD", "Андорра"),
    ("AT", "Австрія"),
    ("BE", "Бельгія"),
    ("HR", "Хорватія"),
    ("CY", "Кіпр"),
    ("DK", "Данія"),
    ("EE", "Естонія"),
    ("EU", "Європейський Союз"),
    ("FI", "Фінляндія"),
    ("FR", "Франція"),
    ("GE", "Грузія"),
    ("DE", "Німеччина"),
    ("GR", "Греція"),
    ("IS", "Ісландія"),
    ("IE", "Ірландія"),
    ("IT", "Італія"),
    ("LV", "Латвія"),
    ("LI", "Ліхтенштейн"),
    ("LT", "Литва"),
    ("LU", "Люксембург"),
    ("MT", "Мальта"),
    ("MC", "Монако"),
    ("ME", "Чорногорія"),
    ("NL", "Нідерланди"),
    ("NO", "Норвегія"),
    ("PL", "Польща"),
    ("PT", "Португалія"),
    ("MD", "Республіка Молдова"),
    ("RO", "Румунія"),
    ("SM", "Сан-Марино"),
    ("SI", "Словенія"),
    ("ES", "Іспанія"),
    ("SE", "Швеція"),
    ("CH", "Швейцарія"),
    ("UA", "Україна"),
    ("GB", "Сполучене Королівство"),
];

/// The Ukrainian name of a participant of the published list, if it is one.
pub fn ukrainian_name(code: ParticipantCode) -> Option<&'static str> {
    UKRAINIAN_NAMES
        .iter()
        .find(|(c, _)| *c == code.as_str())
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_budget_total_is_assumed_and_twice_the_quoted_half() {
        let total = rd4u_2025_budget_total();
        assert!(total.assumed);
        assert_eq!(total.value.to_string(), "7384300.00");
        assert_eq!(total.value / Decimal::TWO, Decimal::new(3_692_150, 0));
        assert_eq!(total.unit, "EUR");
        assert!(total.source.starts_with("derived: "));
        assert_eq!(total.basis.as_str(), crate::RD4U_2025_BUDGET);
        // The same entry each time, so a second seeding is a duplicate.
        assert_eq!(seed_basis_totals(), vec![rd4u_2025_budget_total()]);
        let rule = crate::EntryIntoForceRule::convention_default();
        crate::validate_basis_total(&rule, &[], &[], &total, date!(2026 - 01 - 01)).unwrap();
        let again = crate::validate_basis_total(
            &rule,
            &[],
            &seed_basis_totals(),
            &total,
            date!(2026 - 01 - 01),
        );
        assert_eq!(again.unwrap_err().code(), "duplicate_id");
    }

    #[test]
    fn an_empty_file_is_refused() {
        assert!(matches!(
            parse_signatures(""),
            Err(SeedError::Header { .. })
        ));
    }
}
