//! What a claim says.
//!
//! A [`ClaimDraft`] is the content a claimant (or their representative)
//! fills in: who claims, in which category, what happened when and where,
//! the losses claimed, references to national registers, and the category's
//! own form fields. Every part may be missing while the claim is a draft;
//! [`crate::eligibility`] says what is missing or wrong, and submission
//! freezes the content. Totals are derived from the losses, never sent.

use crate::category::CategoryCode;
use crate::claimant::{Claimant, CountryCode, Representation};
use crate::dates::iso_date;
use crate::region::RegionCode;
use crate::text::validated_string;
use kernel::{Currency, Money, MoneyError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::Date;

kernel::typed_id!(
    /// A claim, from its first draft on.
    ClaimId
);

/// When the harm happened: on one day, or over a period (detention,
/// displacement, occupation). On the wire:
/// `{"kind": "on", "date": "2022-03-01"}` or
/// `{"kind": "between", "from": "2022-03-01", "to": "2022-09-30"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Incident {
    On {
        #[serde(with = "iso_date")]
        date: Date,
    },
    /// Both ends inclusive.
    Between {
        #[serde(with = "iso_date")]
        from: Date,
        #[serde(with = "iso_date")]
        to: Date,
    },
}

impl Incident {
    pub const fn start(&self) -> Date {
        match *self {
            Self::On { date } => date,
            Self::Between { from, .. } => from,
        }
    }

    pub const fn end(&self) -> Date {
        match *self {
            Self::On { date } => date,
            Self::Between { to, .. } => to,
        }
    }

    /// Whether the two periods share at least one day.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.start() <= other.end() && other.start() <= self.end()
    }
}

validated_string!(
    /// A Ukrainian cadastral number of a land plot, `NNNNNNNNNN:NN:NNN:NNNN`
    /// (KOATUU area code, cadastral zone, quarter, plot).
    CadastralNumber,
    "cadastral number",
    check_cadastral_number
);

fn check_cadastral_number(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    let lengths: Vec<usize> = text.split(':').map(str::len).collect();
    if lengths == [10, 2, 3, 4] && text.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        Ok(text.to_owned())
    } else {
        Err("NNNNNNNNNN:NN:NNN:NNNN")
    }
}

/// Where the harm happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Region of Ukraine. For harm abroad, the region it is linked to, if any.
    #[serde(default)]
    pub region: Option<RegionCode>,
    #[serde(default)]
    pub settlement: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub cadastral_number: Option<CadastralNumber>,
    /// The place was under occupation when the harm happened.
    #[serde(default)]
    pub occupied_territory: bool,
    /// Set only for harm outside Ukraine (displacement abroad, deportation);
    /// absent or `UA` means Ukraine.
    #[serde(default)]
    pub country: Option<CountryCode>,
}

impl Location {
    /// Whether the place is outside Ukraine.
    pub fn is_abroad(&self) -> bool {
        self.country.as_ref().is_some_and(|c| c.as_str() != "UA")
    }
}

/// One loss claimed, in the currency the claimant reckons it in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loss {
    pub description: String,
    pub amount: Money,
    /// How the figure was arrived at (invoice, valuation report, estimate).
    #[serde(default)]
    pub valuation_basis: Option<String>,
}

/// A record in a national register the claim relies on, e.g. the State
/// Register of Real Property Rights or the Register of Damaged and
/// Destroyed Property. Such ids name a property, so two claims citing the
/// same one are flagged as possible duplicates.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ExternalReference {
    /// Short name of the register, e.g. `"drrp"`.
    pub register: String,
    /// The record's id in that register.
    pub id: String,
}

impl ExternalReference {
    /// Comparable form: register lower case, both parts trimmed.
    pub fn normalized(&self) -> Self {
        Self {
            register: self.register.trim().to_lowercase(),
            id: self.id.trim().to_owned(),
        }
    }
}

/// The content of a claim. See the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimDraft {
    #[serde(default)]
    pub claimant: Option<Claimant>,
    /// Present when someone files for the claimant.
    #[serde(default)]
    pub representation: Option<Representation>,
    #[serde(default)]
    pub category: Option<CategoryCode>,
    #[serde(default)]
    pub incident: Option<Incident>,
    #[serde(default)]
    pub location: Location,
    /// The claimant's account of what happened, in their own words.
    #[serde(default)]
    pub narrative: String,
    #[serde(default)]
    pub losses: Vec<Loss>,
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
    /// Answers to the category's form, keyed by
    /// [`crate::category::FieldSpec::name`].
    #[serde(default)]
    pub category_fields: BTreeMap<String, serde_json::Value>,
    /// The language the claimant is written to in, chosen at filing;
    /// absent means Ukrainian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
}

/// A language the Register writes to claimants in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Uk,
    En,
}

impl Language {
    /// The ISO 639-1 code, as on the wire.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Uk => "uk",
            Self::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "uk" => Some(Self::Uk),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

/// The most losses one claim may list. A claim is one category of harm to
/// one claimant; real claims list a handful, a detailed property claim a few
/// dozen. More is a mistake or an attempt to make every read of the claim
/// expensive.
pub const MAX_LOSSES: usize = 100;
/// The most national-register records one claim may cite.
pub const MAX_EXTERNAL_REFERENCES: usize = 50;
/// The most answers a category's form may hold (the largest form has about
/// a dozen fields).
pub const MAX_CATEGORY_FIELDS: usize = 50;
/// The most nationalities a claimant may list.
pub const MAX_NATIONALITIES: usize = 10;

/// A list in a claim longer than its documented limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooMany {
    /// The field's path, e.g. `losses`.
    pub field: &'static str,
    pub limit: usize,
    pub found: usize,
}

impl ClaimDraft {
    /// See [`total_claimed`].
    pub fn total_claimed(&self) -> Result<Vec<Money>, MoneyError> {
        total_claimed(&self.losses)
    }

    /// The language the claimant is written to in.
    pub fn language(&self) -> Language {
        self.language.unwrap_or_default()
    }

    /// The claimant's e-mail address as given in their contact details,
    /// if any: where the Register's notices go.
    pub fn claimant_email(&self) -> Option<&str> {
        self.claimant
            .as_ref()
            .and_then(|c| c.contact().email.as_deref())
            .map(str::trim)
            .filter(|e| !e.is_empty())
    }

    /// Lists longer than their limits; checked on every draft, so no stored
    /// claim ever exceeds them.
    pub fn oversized_lists(&self) -> Vec<TooMany> {
        let nationalities = match &self.claimant {
            Some(Claimant::NaturalPerson(p)) => p.nationalities.len(),
            _ => 0,
        };
        [
            ("losses", MAX_LOSSES, self.losses.len()),
            (
                "external_references",
                MAX_EXTERNAL_REFERENCES,
                self.external_references.len(),
            ),
            (
                "category_fields",
                MAX_CATEGORY_FIELDS,
                self.category_fields.len(),
            ),
            ("claimant.nationalities", MAX_NATIONALITIES, nationalities),
        ]
        .into_iter()
        .filter(|(_, limit, found)| found > limit)
        .map(|(field, limit, found)| TooMany {
            field,
            limit,
            found,
        })
        .collect()
    }
}

/// Sum of the losses per currency, ordered by currency code. Currencies are
/// never converted here: the Register reports what was claimed; conversion
/// with a recorded rate is the Commission's step.
pub fn total_claimed(losses: &[Loss]) -> Result<Vec<Money>, MoneyError> {
    let mut totals: BTreeMap<&'static str, Money> = BTreeMap::new();
    for loss in losses {
        let currency: Currency = loss.amount.currency();
        let total = totals
            .entry(currency.code())
            .or_insert_with(|| Money::zero(currency));
        *total = total.checked_add(&loss.amount)?;
    }
    Ok(totals.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use time::macros::date;

    #[test]
    fn lists_longer_than_their_limits_are_named() {
        let loss = Loss {
            description: "roof".into(),
            amount: Money::new(dec!(1), Currency::EUR),
            valuation_basis: None,
        };
        let mut draft = ClaimDraft {
            losses: vec![loss; MAX_LOSSES],
            ..ClaimDraft::default()
        };
        assert!(
            draft.oversized_lists().is_empty(),
            "the limit itself is allowed"
        );
        draft.losses.push(draft.losses[0].clone());
        draft.external_references = vec![
            ExternalReference {
                register: "drrp".into(),
                id: "1".into()
            };
            MAX_EXTERNAL_REFERENCES + 5
        ];
        let found = draft.oversized_lists();
        assert_eq!(
            found,
            [
                TooMany {
                    field: "losses",
                    limit: MAX_LOSSES,
                    found: MAX_LOSSES + 1
                },
                TooMany {
                    field: "external_references",
                    limit: MAX_EXTERNAL_REFERENCES,
                    found: MAX_EXTERNAL_REFERENCES + 5
                }
            ]
        );
    }

    #[test]
    fn incidents_serialize_with_a_kind_and_iso_dates() {
        let on = Incident::On {
            date: date!(2022 - 03 - 01),
        };
        assert_eq!(
            serde_json::to_string(&on).unwrap(),
            r#"{"kind":"on","date":"2022-03-01"}"#
        );
        let between: Incident =
            serde_json::from_str(r#"{"kind":"between","from":"2022-03-01","to":"2022-09-30"}"#)
                .unwrap();
        assert_eq!(between.start(), date!(2022 - 03 - 01));
        assert_eq!(between.end(), date!(2022 - 09 - 30));
        assert!(between.overlaps(&on));
        assert!(!between.overlaps(&Incident::On {
            date: date!(2022 - 10 - 01)
        }));
    }

    #[test]
    fn cadastral_numbers_have_four_digit_groups() {
        assert!(CadastralNumber::parse("3222486200:03:001:0015").is_ok());
        for bad in [
            "3222486200:03:001:001",
            "322248620:03:001:0015",
            "3222486200-03-001-0015",
            "3222486200:03:001:0015:1",
            "32224862a0:03:001:0015",
        ] {
            assert!(CadastralNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn location_abroad_only_when_a_foreign_country_is_named() {
        let mut l = Location::default();
        assert!(!l.is_abroad());
        l.country = Some(CountryCode::ukraine());
        assert!(!l.is_abroad());
        l.country = Some(CountryCode::parse("PL").unwrap());
        assert!(l.is_abroad());
    }

    #[test]
    fn totals_are_per_currency_in_code_order() {
        let loss = |amount, currency| Loss {
            description: "x".into(),
            amount: Money::new(amount, currency),
            valuation_basis: None,
        };
        let totals = total_claimed(&[
            loss(dec!(100.50), Currency::UAH),
            loss(dec!(10), Currency::EUR),
            loss(dec!(0.50), Currency::UAH),
        ])
        .unwrap();
        assert_eq!(
            totals,
            vec![
                Money::new(dec!(10), Currency::EUR),
                Money::new(dec!(101.00), Currency::UAH)
            ]
        );
        assert!(total_claimed(&[]).unwrap().is_empty());
    }

    #[test]
    fn an_empty_draft_deserializes_from_an_empty_object() {
        let draft: ClaimDraft = serde_json::from_str("{}").unwrap();
        assert_eq!(draft, ClaimDraft::default());
    }
}
