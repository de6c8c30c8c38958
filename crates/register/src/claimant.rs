//! Who claims, and who may act for them.
//!
//! Claimants are natural persons, legal entities, and the State of Ukraine
//! (with its regional and local authorities and state-owned entities). A
//! natural person is identified by the RNOKPP (the Ukrainian taxpayer card
//! number) where they have one; legal entities and State bodies by their
//! EDRPOU code. These numbers are the claimant keys duplicate detection
//! matches on, so both are parsed with their check digits: a mistyped
//! number would otherwise hide a duplicate or invent one.
//!
//! A [`Representation`] records the authority of someone filing for a
//! claimant (a parent for a child, a guardian, a lawyer, an heir) and the
//! document that proves it.

use crate::category::ClaimantType;
use crate::dates::iso_date;
use crate::text::{digits, validated_string};
use kernel::id::AccountId;
use serde::{Deserialize, Serialize};
use time::Date;

validated_string!(
    /// Ukrainian individual taxpayer number (РНОКПП, formerly ІПН): ten
    /// digits, the last a check digit.
    Rnokpp,
    "RNOKPP",
    check_rnokpp
);

fn check_rnokpp(text: &str) -> Result<String, &'static str> {
    const WEIGHTS: [i64; 9] = [-1, 5, 7, 9, 4, 6, 10, 5, 7];
    let text = text.trim();
    let d = digits(text, 10).ok_or("ten digits")?;
    let sum: i64 = WEIGHTS.iter().zip(&d).map(|(w, &x)| w * i64::from(x)).sum();
    if sum.rem_euclid(11) % 10 == i64::from(d[9]) {
        Ok(text.to_owned())
    } else {
        Err("ten digits with a valid check digit")
    }
}

validated_string!(
    /// Code of a legal entity or public body in the Unified State Register
    /// of Enterprises and Organisations of Ukraine (ЄДРПОУ): eight digits,
    /// the last a check digit.
    Edrpou,
    "EDRPOU code",
    check_edrpou
);

fn check_edrpou(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    let d = digits(text, 8).ok_or("eight digits")?;
    // Codes from 30000000 to 59999999 use rotated weights.
    let base: [u32; 7] = if (3..=5).contains(&d[0]) {
        [7, 1, 2, 3, 4, 5, 6]
    } else {
        [1, 2, 3, 4, 5, 6, 7]
    };
    let weighted = |add: u32| -> u32 { base.iter().zip(&d).map(|(w, x)| (w + add) * x).sum() };
    let mut check = weighted(0) % 11;
    if check == 10 {
        check = weighted(2) % 11;
    }
    if check % 10 == d[7] {
        Ok(text.to_owned())
    } else {
        Err("eight digits with a valid check digit")
    }
}

validated_string!(
    /// An ISO 3166-1 alpha-2 country code, e.g. `UA`. Only the shape (two
    /// letters) is checked; lower case is accepted and stored upper case.
    CountryCode,
    "ISO 3166-1 alpha-2 country code",
    check_country_code
);

fn check_country_code(text: &str) -> Result<String, &'static str> {
    let code = text.trim();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err("two letters (e.g. UA)")
    }
}

impl CountryCode {
    /// Ukraine.
    pub fn ukraine() -> Self {
        Self("UA".to_owned())
    }

    /// The Russian Federation, the default aggressor state.
    pub fn russia() -> Self {
        Self("RU".to_owned())
    }
}

/// How to reach a claimant. A claim needs at least one of the three.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub email: Option<String>,
    /// Preferably international format, `+380...`.
    #[serde(default)]
    pub phone: Option<String>,
    /// Postal address, free text.
    #[serde(default)]
    pub address: Option<String>,
}

impl Contact {
    /// Whether at least one way of reaching the claimant is given.
    pub fn is_reachable(&self) -> bool {
        [&self.email, &self.phone, &self.address]
            .into_iter()
            .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
    }

    /// Plausible shape of an e-mail address: one `@` with text on both
    /// sides, a dot in the domain, no spaces. Deliverability is the mail
    /// server's business.
    pub fn email_is_plausible(email: &str) -> bool {
        let email = email.trim();
        let Some((local, domain)) = email.split_once('@') else {
            return false;
        };
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !email.chars().any(char::is_whitespace)
    }

    /// Plausible phone number: an optional leading `+`, then 7 to 15 digits
    /// (E.164), with spaces, dashes and brackets allowed between them.
    pub fn phone_is_plausible(phone: &str) -> bool {
        let phone = phone.trim();
        let rest = phone.strip_prefix('+').unwrap_or(phone);
        let mut count = 0;
        for c in rest.chars() {
            match c {
                '0'..='9' => count += 1,
                ' ' | '-' | '(' | ')' => {}
                _ => return false,
            }
        }
        (7..=15).contains(&count)
    }
}

/// A natural person claiming for themselves (or through a representative).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaturalPerson {
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub patronymic: Option<String>,
    /// Optional while the claim is a draft; submission requires it.
    #[serde(default, with = "crate::dates::optional_iso_date")]
    pub date_of_birth: Option<Date>,
    /// Absent for people who never received one or refused it on religious
    /// grounds, which Ukrainian law allows.
    #[serde(default)]
    pub tax_number: Option<Rnokpp>,
    /// Every nationality the person holds.
    #[serde(default)]
    pub nationalities: Vec<CountryCode>,
    #[serde(default)]
    pub contact: Contact,
}

impl NaturalPerson {
    /// Age in whole years on `date`, if the date of birth is known.
    pub fn age_on(&self, date: Date) -> Option<i32> {
        let born = self.date_of_birth?;
        let mut age = date.year() - born.year();
        if (date.month() as u8, date.day()) < (born.month() as u8, born.day()) {
            age -= 1;
        }
        Some(age)
    }
}

/// A company, association or other legal entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalEntity {
    pub name: String,
    pub edrpou: Edrpou,
    #[serde(default)]
    pub contact: Contact,
}

/// The State of Ukraine acting through one of its bodies (a ministry, a
/// regional or local authority, a state-owned entity).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateBody {
    pub name: String,
    /// The body's EDRPOU code.
    pub code: Edrpou,
    #[serde(default)]
    pub contact: Contact,
}

/// The party a claim is for. On the wire the variant is named by
/// `claimant_type`: `{"claimant_type": "natural_person", "given_name": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "claimant_type", rename_all = "snake_case")]
pub enum Claimant {
    NaturalPerson(NaturalPerson),
    LegalEntity(LegalEntity),
    State(StateBody),
}

impl Claimant {
    pub fn claimant_type(&self) -> ClaimantType {
        match self {
            Self::NaturalPerson(_) => ClaimantType::NaturalPerson,
            Self::LegalEntity(_) => ClaimantType::LegalEntity,
            Self::State(_) => ClaimantType::State,
        }
    }

    pub fn contact(&self) -> &Contact {
        match self {
            Self::NaturalPerson(p) => &p.contact,
            Self::LegalEntity(e) => &e.contact,
            Self::State(s) => &s.contact,
        }
    }

    /// The identifier duplicate detection matches claimants on, if any.
    pub fn key(&self) -> Option<ClaimantKey> {
        match self {
            Self::NaturalPerson(p) => p.tax_number.clone().map(ClaimantKey::Rnokpp),
            Self::LegalEntity(e) => Some(ClaimantKey::Edrpou(e.edrpou.clone())),
            Self::State(s) => Some(ClaimantKey::Edrpou(s.code.clone())),
        }
    }

    /// A name for lists and letters.
    pub fn display_name(&self) -> String {
        match self {
            Self::NaturalPerson(p) => {
                let parts = [
                    Some(p.given_name.trim()),
                    p.patronymic.as_deref().map(str::trim),
                    Some(p.family_name.trim()),
                ];
                parts
                    .into_iter()
                    .flatten()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            Self::LegalEntity(e) => e.name.trim().to_owned(),
            Self::State(s) => s.name.trim().to_owned(),
        }
    }
}

/// A claimant's registry identifier, as a duplicate-detection key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ClaimantKey {
    Rnokpp(Rnokpp),
    Edrpou(Edrpou),
}

impl std::fmt::Display for ClaimantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rnokpp(n) => write!(f, "rnokpp:{n}"),
            Self::Edrpou(n) => write!(f, "edrpou:{n}"),
        }
    }
}

/// The ground on which someone acts for a claimant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityKind {
    /// Parent of a claimant who is a minor.
    Parent,
    /// Court-appointed guardian.
    Guardian,
    /// Advocate or other legal representative under a power of attorney.
    Lawyer,
    /// Heir of a deceased claimant.
    Heir,
    /// Any other documented authority (e.g. a company director's mandate).
    Other,
}

impl AuthorityKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Parent => "parent",
            Self::Guardian => "guardian",
            Self::Lawyer => "lawyer",
            Self::Heir => "heir",
            Self::Other => "other",
        }
    }

    /// Whether this authority can exist only for a natural person.
    pub const fn natural_persons_only(self) -> bool {
        matches!(self, Self::Parent | Self::Guardian | Self::Heir)
    }
}

/// Who acts for the claimant: an account on this service, a name, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representative {
    #[serde(default)]
    pub account: Option<AccountId>,
    #[serde(default)]
    pub name: String,
}

/// The recorded authority of a representative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representation {
    pub representative: Representative,
    pub kind: AuthorityKind,
    /// Reference of the document proving the authority (power of attorney
    /// number, court decision, birth certificate, certificate of
    /// inheritance). The document itself is filed as evidence.
    pub document_reference: String,
    #[serde(with = "iso_date")]
    pub valid_from: Date,
    /// Open-ended when absent. Inclusive.
    #[serde(default, with = "crate::dates::optional_iso_date")]
    pub valid_until: Option<Date>,
}

impl Representation {
    /// Whether the authority holds on `date` (both ends inclusive).
    pub fn is_valid_on(&self, date: Date) -> bool {
        self.valid_from <= date && self.valid_until.is_none_or(|until| date <= until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn rnokpp_check_digit_is_verified() {
        // Published examples of valid numbers.
        for ok in ["1759013776", "3184710691", " 3184710691 "] {
            assert!(Rnokpp::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "1759013770",
            "3184710692",
            "175901377",
            "17590137761",
            "175901377x",
            "",
        ] {
            assert!(Rnokpp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn edrpou_check_digit_is_verified_in_both_weight_ranges() {
        // Oschadbank, PrivatBank, Naftogaz, Ukrposhta; 32855961 uses the
        // rotated weights of the 30-60 million range.
        for ok in ["00032129", "14360570", "20077720", "21560045", "32855961"] {
            assert!(Edrpou::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["00032128", "32855968", "1436057", "143605700", "1436057O"] {
            assert!(Edrpou::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn country_codes_are_two_letters_stored_upper_case() {
        assert_eq!(CountryCode::parse("pl").unwrap().as_str(), "PL");
        for bad in ["", "P", "POL", "P1"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn contact_checks() {
        assert!(!Contact::default().is_reachable());
        let c = Contact {
            phone: Some(" ".into()),
            address: Some("Kyiv".into()),
            ..Contact::default()
        };
        assert!(c.is_reachable());
        assert!(Contact::email_is_plausible("olena@example.ua"));
        for bad in [
            "olena",
            "@example.ua",
            "olena@example",
            "o lena@example.ua",
            "a@b@c.ua",
        ] {
            assert!(!Contact::email_is_plausible(bad), "{bad}");
        }
        assert!(Contact::phone_is_plausible("+380 (44) 123-45-67"));
        assert!(!Contact::phone_is_plausible("12345"));
        assert!(!Contact::phone_is_plausible("+380 44 123 45 67 ext 5"));
    }

    #[test]
    fn claimants_serialize_with_their_type() {
        let json = serde_json::json!({
            "claimant_type": "legal_entity",
            "name": "Ukrposhta",
            "edrpou": "21560045"
        });
        let c: Claimant = serde_json::from_value(json).unwrap();
        assert_eq!(c.claimant_type(), ClaimantType::LegalEntity);
        assert_eq!(c.key().unwrap().to_string(), "edrpou:21560045");
        let bad = serde_json::json!({
            "claimant_type": "legal_entity", "name": "X", "edrpou": "21560046"
        });
        assert!(serde_json::from_value::<Claimant>(bad).is_err());
        let person = Claimant::NaturalPerson(NaturalPerson {
            given_name: "Olena".into(),
            family_name: "Kovalenko".into(),
            patronymic: Some("Petrivna".into()),
            date_of_birth: Some(date!(1980 - 05 - 17)),
            ..NaturalPerson::default()
        });
        let json = serde_json::to_value(&person).unwrap();
        assert_eq!(json["date_of_birth"], "1980-05-17");
        assert_eq!(serde_json::from_value::<Claimant>(json).unwrap(), person);
        assert_eq!(person.display_name(), "Olena Petrivna Kovalenko");
        assert_eq!(person.key(), None);
    }

    #[test]
    fn age_counts_whole_years() {
        let p = NaturalPerson {
            date_of_birth: Some(date!(2008 - 03 - 15)),
            ..NaturalPerson::default()
        };
        assert_eq!(p.age_on(date!(2026 - 03 - 14)), Some(17));
        assert_eq!(p.age_on(date!(2026 - 03 - 15)), Some(18));
    }

    #[test]
    fn representation_is_valid_between_its_dates_inclusive() {
        let r = Representation {
            representative: Representative {
                account: None,
                name: "Advocate Bondarenko".into(),
            },
            kind: AuthorityKind::Lawyer,
            document_reference: "POA 123/2025".into(),
            valid_from: date!(2025 - 01 - 01),
            valid_until: Some(date!(2025 - 12 - 31)),
        };
        assert!(!r.is_valid_on(date!(2024 - 12 - 31)));
        assert!(r.is_valid_on(date!(2025 - 01 - 01)));
        assert!(r.is_valid_on(date!(2025 - 12 - 31)));
        assert!(!r.is_valid_on(date!(2026 - 01 - 01)));
        let open = Representation {
            valid_until: None,
            ..r
        };
        assert!(open.is_valid_on(date!(2040 - 01 - 01)));
    }

    /// Regression (fuzz target `claim_json`): a person without a date of
    /// birth is stored with `"date_of_birth": null` and must read back.
    #[test]
    fn a_claimant_without_a_date_of_birth_reads_back_from_its_stored_form() {
        let claimant = Claimant::NaturalPerson(NaturalPerson {
            given_name: "Olena".into(),
            family_name: "Kovalenko".into(),
            ..NaturalPerson::default()
        });
        let stored = serde_json::to_value(&claimant).unwrap();
        assert_eq!(stored["date_of_birth"], serde_json::Value::Null);
        let read: Claimant = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(read, claimant);
        let text: Claimant = serde_json::from_str(&stored.to_string()).unwrap();
        assert_eq!(text, claimant);
        let refused = serde_json::from_value::<Claimant>(serde_json::json!({
            "claimant_type": "natural_person", "given_name": "O", "family_name": "K",
            "date_of_birth": "1980-02-30"
        }));
        assert!(refused.is_err());
    }
}
