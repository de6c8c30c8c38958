//! Who may take treaty actions: states and organisations.
//!
//! A participant is named by its ISO 3166-1 alpha-2 code, or `EU` for the
//! European Union (a code ISO reserves for it). The code is checked against
//! the officially assigned list so that a typo such as `UK` for `GB` is caught
//! when the record is written, not when a count comes out one short.
//!
//! Council of Europe membership is kept on the participant because treaty
//! rules may require a minimum number of member states among the consents
//! (the Istanbul Convention needed 8 of its 10).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The code `ParticipantCode` reserves for the European Union.
pub const EUROPEAN_UNION: &str = "EU";

/// ISO 3166-1 alpha-2 codes officially assigned (249), sorted.
const ISO_3166_ALPHA_2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// The 46 member states of the Council of Europe (the Russian Federation was
/// expelled on 16 March 2022), sorted by code.
pub const COUNCIL_OF_EUROPE_MEMBERS: [&str; 46] = [
    "AD", "AL", "AM", "AT", "AZ", "BA", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI",
    "FR", "GB", "GE", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MD", "ME",
    "MK", "MT", "NL", "NO", "PL", "PT", "RO", "RS", "SE", "SI", "SK", "SM", "TR", "UA",
];

/// Why a participant code was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is neither an ISO 3166-1 alpha-2 country code nor EU")]
pub struct InvalidParticipantCode(pub String);

/// A participant's code: ISO 3166-1 alpha-2 (`UA`, `GB`) or `EU`.
///
/// Upper case only, as the standard writes it; on the wire a plain string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantCode([u8; 2]);

impl ParticipantCode {
    /// Parses and checks a code.
    pub fn parse(code: &str) -> Result<Self, InvalidParticipantCode> {
        let known = code == EUROPEAN_UNION || ISO_3166_ALPHA_2.binary_search(&code).is_ok();
        match code.as_bytes() {
            &[a, b] if known => Ok(Self([a, b])),
            _ => Err(InvalidParticipantCode(code.to_owned())),
        }
    }

    /// The European Union.
    pub fn european_union() -> Self {
        Self(*b"EU")
    }

    pub fn as_str(&self) -> &str {
        // Both bytes were checked to be ASCII capitals on construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Whether this is the code of a Council of Europe member state.
    pub fn is_council_of_europe_member(&self) -> bool {
        COUNCIL_OF_EUROPE_MEMBERS
            .binary_search(&self.as_str())
            .is_ok()
    }

    pub fn is_european_union(&self) -> bool {
        &self.0 == b"EU"
    }
}

impl fmt::Display for ParticipantCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ParticipantCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ParticipantCode {
    type Err = InvalidParticipantCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for ParticipantCode {
    type Error = InvalidParticipantCode;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl Serialize for ParticipantCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ParticipantCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// Whether a participant is a state or an international organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantKind {
    State,
    Organisation,
}

impl ParticipantKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::Organisation => "organisation",
        }
    }
}

impl fmt::Display for ParticipantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state or organisation that may sign, consent to or denounce the
/// convention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub code: ParticipantCode,
    /// The name in English.
    pub name: String,
    /// The name in Ukrainian, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_uk: Option<String>,
    pub kind: ParticipantKind,
    pub council_of_europe_member: bool,
}

impl Participant {
    /// A participant whose kind and Council of Europe membership follow from
    /// its code: `EU` is an organisation, every ISO code a state.
    pub fn from_code(code: ParticipantCode, name: impl Into<String>) -> Self {
        let kind = if code.is_european_union() {
            ParticipantKind::Organisation
        } else {
            ParticipantKind::State
        };
        Self {
            council_of_europe_member: code.is_council_of_europe_member(),
            code,
            name: name.into(),
            name_uk: None,
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lists_are_sorted_and_unique() {
        assert!(ISO_3166_ALPHA_2.windows(2).all(|w| w[0] < w[1]));
        assert!(COUNCIL_OF_EUROPE_MEMBERS.windows(2).all(|w| w[0] < w[1]));
        for member in COUNCIL_OF_EUROPE_MEMBERS {
            assert!(ParticipantCode::parse(member).is_ok(), "{member}");
        }
    }

    #[test]
    fn codes_are_checked() {
        assert_eq!(ParticipantCode::parse("UA").unwrap().as_str(), "UA");
        assert!(ParticipantCode::parse("EU").unwrap().is_european_union());
        for bad in ["UK", "ua", "", "U", "UKR", "XX", "É"] {
            assert!(ParticipantCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn council_of_europe_membership() {
        let member = |c: &str| {
            ParticipantCode::parse(c)
                .unwrap()
                .is_council_of_europe_member()
        };
        assert!(member("UA") && member("GB") && member("TR") && member("AZ"));
        assert!(!member("RU") && !member("BY") && !member("US") && !member("EU"));
    }

    #[test]
    fn serde_is_a_plain_string() {
        let code = ParticipantCode::parse("GR").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), r#""GR""#);
        assert_eq!(
            serde_json::from_str::<ParticipantCode>(r#""GR""#).unwrap(),
            code
        );
        assert!(serde_json::from_str::<ParticipantCode>(r#""UK""#).is_err());
        let p = Participant::from_code(ParticipantCode::european_union(), "European Union");
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({
                "code": "EU", "name": "European Union", "kind": "organisation",
                "council_of_europe_member": false
            })
        );
    }
}
