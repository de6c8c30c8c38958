//! Payees' bank accounts: an IBAN and the BIC of the bank that keeps it.
//!
//! The IBAN is checked against ISO 13616 (its country's length and format,
//! its check digits) by `iban_validate`; the BIC against ISO 9362 (8 or 11
//! characters: party prefix, country, location, optional branch). A BIC
//! whose country is not the IBAN's names another bank than the one keeping
//! the account, so the pair is refused: a transfer with it would bounce or,
//! worse, go astray.
//!
//! Account numbers are personal data the Commission keeps sealed; what is
//! shown and kept in the clear is the [`MaskedBankAccount`].

use crate::ErrorCode;
use iban::IbanLike as _;
use serde::{Deserialize, Serialize};

/// A checked IBAN and BIC, in their electronic forms (upper case, no
/// spaces).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "GivenBankAccount")]
pub struct BankAccount {
    iban: String,
    bic: String,
}

/// Never print account numbers by accident (logs, panics).
impl std::fmt::Debug for BankAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("BankAccount").field(&self.masked()).finish()
    }
}

/// Bank details as given, before they are checked (also how sealed details
/// are read back, so they are checked again).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenBankAccount {
    #[serde(default)]
    pub iban: Option<String>,
    #[serde(default)]
    pub bic: Option<String>,
}

/// What may be shown of a bank account to anyone allowed to see the award:
/// the IBAN's country and check digits and its last four characters, and
/// the BIC's bank and country. Never enough to pay into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskedBankAccount {
    /// `UA21 **** **** 5678`.
    pub iban: String,
    /// `PBANUA**` (or `PBANUA*****` for an 11-character BIC).
    pub bic: String,
}

/// Why bank details were refused. [`Self::field`] names the field at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BankAccountError {
    #[error("an IBAN is needed with the BIC")]
    MissingIban,
    #[error("a BIC is needed with the IBAN")]
    MissingBic,
    #[error("not a valid IBAN ({reason})")]
    InvalidIban { reason: &'static str },
    #[error("not a valid BIC: 8 or 11 letters and digits (bank, country, location, branch)")]
    InvalidBic,
    #[error("the BIC is of a bank in {bic_country}, the IBAN of an account in {iban_country}")]
    BicMismatch {
        iban_country: String,
        bic_country: String,
    },
}

impl BankAccountError {
    /// The field of the payee at fault: `iban` or `bic`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::MissingIban | Self::InvalidIban { .. } => "iban",
            Self::MissingBic | Self::InvalidBic | Self::BicMismatch { .. } => "bic",
        }
    }
}

impl ErrorCode for BankAccountError {
    fn code(&self) -> &'static str {
        match self {
            Self::MissingIban => "missing_iban",
            Self::MissingBic => "missing_bic",
            Self::InvalidIban { .. } => "invalid_iban",
            Self::InvalidBic => "invalid_bic",
            Self::BicMismatch { .. } => "bic_mismatch",
        }
    }
}

/// Upper case, spaces removed: how people write them is not how banks read
/// them.
fn electronic(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// ISO 9362:2014 as the pain.001 schema writes it:
/// `[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?`.
fn is_bic(bic: &str) -> bool {
    let b = bic.as_bytes();
    let alnum = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    (b.len() == 8 || b.len() == 11)
        && b[..4].iter().all(alnum)
        && b[4..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(alnum)
}

impl BankAccount {
    /// Checks an IBAN and a BIC given together (spaces and lower case
    /// allowed).
    pub fn new(iban: &str, bic: &str) -> Result<Self, BankAccountError> {
        let parsed: iban::Iban = electronic(iban)
            .parse()
            .map_err(|e: iban::ParseIbanError| BankAccountError::InvalidIban {
                reason: match e {
                    iban::ParseIbanError::InvalidBaseIban { source } => match source {
                        iban::ParseBaseIbanError::InvalidChecksum => "wrong check digits",
                        iban::ParseBaseIbanError::InvalidFormat => "not an IBAN's form",
                    },
                    iban::ParseIbanError::InvalidBban(_) => {
                        "the account part does not follow its country's format"
                    }
                    iban::ParseIbanError::UnknownCountry(_) => "no IBAN country",
                },
            })?;
        let bic = electronic(bic);
        if !is_bic(&bic) {
            return Err(BankAccountError::InvalidBic);
        }
        let iban_country = parsed.country_code();
        if &bic[4..6] != iban_country {
            return Err(BankAccountError::BicMismatch {
                iban_country: iban_country.to_owned(),
                bic_country: bic[4..6].to_owned(),
            });
        }
        Ok(Self {
            iban: parsed.electronic_str().to_owned(),
            bic,
        })
    }

    /// Bank details as given: both, or neither (`None`); one without the
    /// other is refused.
    pub fn given(details: &GivenBankAccount) -> Result<Option<Self>, BankAccountError> {
        fn present(s: Option<&String>) -> Option<&str> {
            s.map(String::as_str).filter(|t| !t.trim().is_empty())
        }
        match (
            present(details.iban.as_ref()),
            present(details.bic.as_ref()),
        ) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(BankAccountError::MissingBic),
            (None, Some(_)) => Err(BankAccountError::MissingIban),
            (Some(iban), Some(bic)) => Self::new(iban, bic).map(Some),
        }
    }

    /// The IBAN, electronic form.
    pub fn iban(&self) -> &str {
        &self.iban
    }

    pub fn bic(&self) -> &str {
        &self.bic
    }

    /// The IBAN in groups of four, as printed for people.
    pub fn iban_printed(&self) -> String {
        self.iban
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The masked form: the same width whatever the IBAN's length, so it
    /// does not tell the account's country format apart either.
    pub fn masked(&self) -> MaskedBankAccount {
        let last = &self.iban[self.iban.len() - 4..];
        MaskedBankAccount {
            iban: format!("{} **** **** {last}", &self.iban[..4]),
            bic: format!("{}{}", &self.bic[..6], "*".repeat(self.bic.len() - 6)),
        }
    }
}

impl TryFrom<GivenBankAccount> for BankAccount {
    type Error = BankAccountError;

    fn try_from(given: GivenBankAccount) -> Result<Self, Self::Error> {
        Self::given(&given)?.ok_or(BankAccountError::MissingIban)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_pair_is_kept_in_electronic_form_and_masked_for_display() {
        let a = BankAccount::new("ua21 3223 1300 0002 6007 2335 6600 1", "pbanua2x").unwrap();
        assert_eq!(a.iban(), "UA213223130000026007233566001");
        assert_eq!(a.bic(), "PBANUA2X");
        assert_eq!(a.iban_printed(), "UA21 3223 1300 0002 6007 2335 6600 1");
        assert_eq!(
            a.masked(),
            MaskedBankAccount {
                iban: "UA21 **** **** 6001".into(),
                bic: "PBANUA**".into()
            }
        );
        assert!(!format!("{a:?}").contains("3223"));
        let de = BankAccount::new("DE89 3704 0044 0532 0130 00", "COBADEFFXXX").unwrap();
        assert_eq!(de.masked().bic, "COBADE*****");
    }

    #[test]
    fn refusals_name_the_field_and_a_stable_code() {
        let cases = [
            (
                ("UA21 3223 1300 0002 6007 2335 6600 2", "PBANUA2X"),
                "iban",
                "invalid_iban",
            ),
            (("XX21 3223", "PBANUA2X"), "iban", "invalid_iban"),
            (
                ("UA21 3223 1300 0002 6007 2335 6600 1", "PBANUA2"),
                "bic",
                "invalid_bic",
            ),
            (
                ("UA21 3223 1300 0002 6007 2335 6600 1", "PBAN1A2X"),
                "bic",
                "invalid_bic",
            ),
            (
                ("UA21 3223 1300 0002 6007 2335 6600 1", "COBADEFF"),
                "bic",
                "bic_mismatch",
            ),
        ];
        for ((iban, bic), field, code) in cases {
            let e = BankAccount::new(iban, bic).unwrap_err();
            assert_eq!((e.field(), e.code()), (field, code), "{iban} {bic}");
        }
        let only = |iban: Option<&str>, bic: Option<&str>| {
            BankAccount::given(&GivenBankAccount {
                iban: iban.map(str::to_owned),
                bic: bic.map(str::to_owned),
            })
        };
        assert_eq!(only(None, None), Ok(None));
        assert_eq!(only(Some(" "), None), Ok(None));
        assert_eq!(
            only(Some("DE89370400440532013000"), None)
                .unwrap_err()
                .code(),
            "missing_bic"
        );
        assert_eq!(
            only(None, Some("COBADEFF")).unwrap_err().code(),
            "missing_iban"
        );
    }

    #[test]
    fn sealed_details_are_checked_again_when_read_back() {
        let a = BankAccount::new("DE89370400440532013000", "COBADEFF").unwrap();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"iban":"DE89370400440532013000","bic":"COBADEFF"}"#
        );
        assert_eq!(serde_json::from_str::<BankAccount>(&json).unwrap(), a);
        assert!(
            serde_json::from_str::<BankAccount>(
                r#"{"iban":"DE00370400440532013000","bic":"COBADEFF"}"#
            )
            .is_err()
        );
    }
}
