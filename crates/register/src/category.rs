//! The category catalogue.
//!
//! Every claim belongs to exactly one category, and categories open over
//! time (about 43 to 45 are planned), so the catalogue is data, not code: a
//! [`Category`] carries its claimant type, status, opening date, an optional
//! filing deadline, the form fields a claim in it must fill in, and the few
//! flags the eligibility rules read (harm abroad, losses required, occupied
//! territory). The seed file `categories.csv` gives the real Register's
//! categories; [`parse_categories_csv`] adds the Ukrainian names and form
//! fields that the file does not hold.

use crate::csv::Table;
use crate::dates::{self, iso_date};
use crate::error::SeedError;
use crate::text::validated_string;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use time::Date;

validated_string!(
    /// A category code such as `A3.1`: a letter for the claimant type (`A`
    /// natural persons, `B` the State of Ukraine, `C` legal entities), a
    /// group number, a dot and a number within the group.
    CategoryCode,
    "category code",
    check_category_code
);

fn check_category_code(text: &str) -> Result<String, &'static str> {
    const EXPECTED: &str = "A, B or C, a digit 1-9, a dot and a number 1-99 (e.g. A3.1)";
    let code = text.trim().to_ascii_uppercase();
    let mut parts = code.splitn(2, '.');
    let head = parts.next().unwrap_or_default();
    let tail = parts.next().ok_or(EXPECTED)?;
    let head_ok = head.len() == 2
        && matches!(head.as_bytes()[0], b'A' | b'B' | b'C')
        && matches!(head.as_bytes()[1], b'1'..=b'9');
    let tail_ok = (1..=2).contains(&tail.len())
        && tail.bytes().all(|b| b.is_ascii_digit())
        && !tail.starts_with('0');
    if head_ok && tail_ok {
        Ok(code)
    } else {
        Err(EXPECTED)
    }
}

impl CategoryCode {
    /// The claimant type the code's letter stands for.
    pub fn claimant_type(&self) -> ClaimantType {
        match self.0.as_bytes().first() {
            Some(b'B') => ClaimantType::State,
            Some(b'C') => ClaimantType::LegalEntity,
            _ => ClaimantType::NaturalPerson,
        }
    }
}

/// Who may claim in a category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimantType {
    NaturalPerson,
    LegalEntity,
    /// The State of Ukraine, its regional and local authorities and
    /// state-owned entities.
    State,
}

impl ClaimantType {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NaturalPerson => "natural_person",
            Self::LegalEntity => "legal_entity",
            Self::State => "state",
        }
    }
}

impl fmt::Display for ClaimantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClaimantType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::NaturalPerson, Self::LegalEntity, Self::State]
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown claimant type {s:?}"))
    }
}

/// Where a category stands. Only `open` and `pilot` accept claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryStatus {
    /// Accepting claims.
    Open,
    /// Accepting claims in a test phase.
    Pilot,
    /// Rules adopted or announced; not accepting claims yet.
    Planned,
    /// No longer accepting claims.
    Closed,
}

impl CategoryStatus {
    pub const ALL: [Self; 4] = [Self::Open, Self::Pilot, Self::Planned, Self::Closed];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Pilot => "pilot",
            Self::Planned => "planned",
            Self::Closed => "closed",
        }
    }

    pub const fn accepts_claims(self) -> bool {
        matches!(self, Self::Open | Self::Pilot)
    }
}

impl fmt::Display for CategoryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CategoryStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown category status {s:?}"))
    }
}

/// The kind of value a category form field holds, and so how its JSON value
/// is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Non-empty text.
    Text,
    /// `YYYY-MM-DD`, not in the future.
    Date,
    /// A non-negative decimal, as a string (`"54.3"`) or a JSON number.
    Decimal,
    /// A non-negative whole number.
    Integer,
    Boolean,
    /// One of the [`Relationship`] values, e.g. `"spouse"`.
    Relationship,
    /// One of the field's `options`.
    Choice,
    /// An ISO 3166-1 alpha-2 country code.
    Country,
}

/// One field of a category's form, kept in the claim's `category_fields`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    /// Key in `category_fields`, snake_case.
    pub name: String,
    pub kind: FieldKind,
    pub label_en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_uk: Option<String>,
    /// Whether submission needs it. Optional fields are still checked when given.
    #[serde(default = "yes")]
    pub required: bool,
    /// Allowed values of a [`FieldKind::Choice`] field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

fn yes() -> bool {
    true
}

impl FieldSpec {
    pub fn required(name: &str, kind: FieldKind, label_en: &str, label_uk: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            label_en: label_en.to_owned(),
            label_uk: (!label_uk.is_empty()).then(|| label_uk.to_owned()),
            required: true,
            options: Vec::new(),
        }
    }

    pub fn optional(name: &str, kind: FieldKind, label_en: &str, label_uk: &str) -> Self {
        Self {
            required: false,
            ..Self::required(name, kind, label_en, label_uk)
        }
    }

    /// A required [`FieldKind::Choice`] field.
    pub fn choice(name: &str, label_en: &str, label_uk: &str, options: &[&str]) -> Self {
        Self {
            options: options.iter().map(|&o| o.to_owned()).collect(),
            ..Self::required(name, FieldKind::Choice, label_en, label_uk)
        }
    }

    /// Checks a value given for this field. `Err` says what is wrong, for a
    /// person to read.
    pub fn check_value(&self, value: &serde_json::Value, today: Date) -> Result<(), String> {
        use serde_json::Value;
        match (self.kind, value) {
            (FieldKind::Text, Value::String(s)) if !s.trim().is_empty() => Ok(()),
            (FieldKind::Text, _) => Err("must be non-empty text".into()),
            (FieldKind::Date, Value::String(s)) => match dates::parse(s) {
                Some(d) if d > today => Err(format!("{d} is in the future")),
                Some(_) => Ok(()),
                None => Err("must be a date written YYYY-MM-DD".into()),
            },
            (FieldKind::Date, _) => Err("must be a date written YYYY-MM-DD".into()),
            (FieldKind::Decimal, Value::String(s)) => check_decimal(s),
            (FieldKind::Decimal, Value::Number(n)) => check_decimal(&n.to_string()),
            (FieldKind::Decimal, _) => Err("must be a decimal number".into()),
            (FieldKind::Integer, Value::Number(n)) if n.is_u64() => Ok(()),
            (FieldKind::Integer, _) => Err("must be a whole number, zero or more".into()),
            (FieldKind::Boolean, Value::Bool(_)) => Ok(()),
            (FieldKind::Boolean, _) => Err("must be true or false".into()),
            (FieldKind::Relationship, Value::String(s)) if s.parse::<Relationship>().is_ok() => {
                Ok(())
            }
            (FieldKind::Relationship, _) => Err(format!(
                "must be one of: {}",
                Relationship::ALL.map(Relationship::as_str).join(", ")
            )),
            (FieldKind::Choice, Value::String(s)) if self.options.iter().any(|o| o == s) => Ok(()),
            (FieldKind::Choice, _) => Err(format!("must be one of: {}", self.options.join(", "))),
            (FieldKind::Country, Value::String(s))
                if crate::claimant::CountryCode::parse(s).is_ok() =>
            {
                Ok(())
            }
            (FieldKind::Country, _) => {
                Err("must be an ISO 3166-1 alpha-2 country code such as \"PL\"".into())
            }
        }
    }
}

fn check_decimal(text: &str) -> Result<(), String> {
    match Decimal::from_str_exact(text.trim()) {
        Ok(d) if d.is_sign_negative() && !d.is_zero() => Err("must not be negative".into()),
        Ok(_) => Ok(()),
        Err(_) => Err("must be a decimal number such as \"54.3\"".into()),
    }
}

/// How a family member is related to the claimant. "Immediate family" is a
/// parent, spouse or civil partner, or child, including adoptive and step
/// relations; other relatives must show a legitimate interest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    Parent,
    AdoptiveParent,
    StepParent,
    Spouse,
    CivilPartner,
    Child,
    AdoptiveChild,
    StepChild,
    Sibling,
    Grandparent,
    Grandchild,
    OtherRelative,
}

impl Relationship {
    pub const ALL: [Self; 12] = [
        Self::Parent,
        Self::AdoptiveParent,
        Self::StepParent,
        Self::Spouse,
        Self::CivilPartner,
        Self::Child,
        Self::AdoptiveChild,
        Self::StepChild,
        Self::Sibling,
        Self::Grandparent,
        Self::Grandchild,
        Self::OtherRelative,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Parent => "parent",
            Self::AdoptiveParent => "adoptive_parent",
            Self::StepParent => "step_parent",
            Self::Spouse => "spouse",
            Self::CivilPartner => "civil_partner",
            Self::Child => "child",
            Self::AdoptiveChild => "adoptive_child",
            Self::StepChild => "step_child",
            Self::Sibling => "sibling",
            Self::Grandparent => "grandparent",
            Self::Grandchild => "grandchild",
            Self::OtherRelative => "other_relative",
        }
    }

    pub const fn is_immediate_family(self) -> bool {
        !matches!(
            self,
            Self::Sibling | Self::Grandparent | Self::Grandchild | Self::OtherRelative
        )
    }
}

impl FromStr for Relationship {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown relationship {s:?}"))
    }
}

/// A claim category and its rules.
// The flags are independent facts from the catalogue, not a state in disguise.
#[allow(clippy::struct_excessive_bools)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub code: CategoryCode,
    pub claimant_type: ClaimantType,
    pub name_en: String,
    #[serde(default)]
    pub name_uk: Option<String>,
    pub status: CategoryStatus,
    /// First day claims were (or will be) accepted, where known.
    #[serde(default, with = "iso_date::option")]
    pub opened_on: Option<Date>,
    /// Claims need need-to-know access ([`kernel::access::Clearance::Sensitive`]).
    pub sensitive: bool,
    /// The harm may have happened outside Ukraine when linked to events in
    /// Ukraine (displacement abroad, deportation).
    #[serde(default)]
    pub harm_abroad_allowed: bool,
    /// A claim must state at least one loss with an amount. Categories of
    /// non-pecuniary harm (death, injury, detention) do not need one: the
    /// Commission sets those amounts.
    #[serde(default)]
    pub losses_required: bool,
    /// The claim is about occupied territory by definition (loss of access
    /// to or control over property there).
    #[serde(default)]
    pub occupied_territory_required: bool,
    /// Last day claims are accepted, if one has been set. None exists yet;
    /// it is configuration per category.
    #[serde(default, with = "iso_date::option")]
    pub filing_deadline: Option<Date>,
    #[serde(default)]
    pub required_fields: Vec<FieldSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Why a category does not accept claims today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CategoryClosed {
    #[error("the category is {status} and does not accept claims")]
    NotAcceptingClaims { status: CategoryStatus },
    #[error("the category opens on {opens_on}")]
    NotYetOpen { opens_on: Date },
    #[error("the filing deadline was {deadline}")]
    DeadlinePassed { deadline: Date },
}

impl Category {
    /// Whether a claim in this category can be submitted `today`: the
    /// status is open or pilot, the opening date (if known) has come, and
    /// the deadline (if any, inclusive) has not passed.
    pub fn accepts_claims(&self, today: Date) -> Result<(), CategoryClosed> {
        if !self.status.accepts_claims() {
            return Err(CategoryClosed::NotAcceptingClaims {
                status: self.status,
            });
        }
        if let Some(opens_on) = self.opened_on.filter(|&d| d > today) {
            return Err(CategoryClosed::NotYetOpen { opens_on });
        }
        if let Some(deadline) = self.filing_deadline.filter(|&d| d < today) {
            return Err(CategoryClosed::DeadlinePassed { deadline });
        }
        Ok(())
    }

    /// The form field called `name`.
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.required_fields.iter().find(|f| f.name == name)
    }
}

/// All categories, by code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue(BTreeMap<CategoryCode, Category>);

impl Catalogue {
    /// A later category with the same code replaces an earlier one.
    pub fn new(categories: impl IntoIterator<Item = Category>) -> Self {
        Self(
            categories
                .into_iter()
                .map(|c| (c.code.clone(), c))
                .collect(),
        )
    }

    pub fn get(&self, code: &CategoryCode) -> Option<&Category> {
        self.0.get(code)
    }

    pub fn get_mut(&mut self, code: &CategoryCode) -> Option<&mut Category> {
        self.0.get_mut(code)
    }

    /// Categories in code order.
    pub fn iter(&self) -> impl Iterator<Item = &Category> {
        self.0.values()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads the category seed file (`code,claimant_type,name_en,status,
/// opened_on,sensitive,notes`; `sensitive` is `yes` or `no`).
///
/// The file holds what is public; the Ukrainian names, form fields and rule
/// flags (harm abroad: A1.2, A2.8, A2.9; occupied territory: A3.6, C3.2;
/// losses required: all but A1 and A2) are supplied here by code. A code
/// this crate does not know gets no Ukrainian name and no form fields.
/// Every field of the result is public, so deployments can adjust the
/// catalogue (set a filing deadline, add a field) before using it.
pub fn parse_categories_csv(text: &str) -> Result<Vec<Category>, SeedError> {
    let table = Table::parse(
        text,
        &[
            "code",
            "claimant_type",
            "name_en",
            "status",
            "opened_on",
            "sensitive",
        ],
    )?;
    let mut categories: Vec<Category> = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let err = |message: String| SeedError::new(row.line, message);
        let code = CategoryCode::parse(table.get(row, "code")).map_err(|e| err(e.to_string()))?;
        if categories.iter().any(|c| c.code == code) {
            return Err(err(format!("category {code} appears twice")));
        }
        let claimant_type: ClaimantType = table.get(row, "claimant_type").parse().map_err(err)?;
        if claimant_type != code.claimant_type() {
            return Err(err(format!(
                "{code} is a {} category but the row says {claimant_type}",
                code.claimant_type()
            )));
        }
        let name_en = table.get(row, "name_en");
        if name_en.is_empty() {
            return Err(err("name_en is empty".into()));
        }
        let status: CategoryStatus = table.get(row, "status").parse().map_err(err)?;
        let opened_on = match table.get(row, "opened_on") {
            "" => None,
            text => Some(
                dates::parse(text)
                    .ok_or_else(|| err(format!("opened_on {text:?} is not YYYY-MM-DD")))?,
            ),
        };
        let sensitive = match table.get(row, "sensitive") {
            "yes" => true,
            "no" => false,
            other => return Err(err(format!("sensitive must be yes or no, not {other:?}"))),
        };
        let notes = Some(table.get(row, "notes"))
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let details = seed_details(code.as_str());
        categories.push(Category {
            claimant_type,
            name_en: name_en.to_owned(),
            name_uk: details.name_uk.map(str::to_owned),
            status,
            opened_on,
            sensitive,
            harm_abroad_allowed: details.harm_abroad_allowed,
            // Individuals' displacement and personal-harm categories (A1,
            // A2) are non-pecuniary; everything else claims amounts.
            losses_required: !code.as_str().starts_with("A1") && !code.as_str().starts_with("A2"),
            occupied_territory_required: details.occupied_territory_required,
            filing_deadline: None,
            required_fields: details.fields,
            notes,
            code,
        });
    }
    Ok(categories)
}

/// What the seed file does not say about a category.
struct SeedDetails {
    name_uk: Option<&'static str>,
    harm_abroad_allowed: bool,
    occupied_territory_required: bool,
    fields: Vec<FieldSpec>,
}

/// Ukrainian names and form fields per category.
///
/// The Ukrainian names are working translations of the English names, given
/// only where the wording is unambiguous; replace them with the Register's
/// official wording when it is available. The fields are the smallest set
/// that identifies what is claimed; the narrative and evidence carry the rest.
#[allow(clippy::match_same_arms)]
fn seed_details(code: &str) -> SeedDetails {
    use FieldKind::{Country, Date, Decimal, Relationship, Text};
    let req = FieldSpec::required;
    let opt = FieldSpec::optional;
    let choice = FieldSpec::choice;
    let damage_extent = || {
        choice(
            "damage_extent",
            "Extent of damage",
            "Ступінь пошкодження",
            &["damaged", "destroyed"],
        )
    };
    let ownership_document = || {
        req(
            "ownership_document",
            Text,
            "Document proving ownership or right of use",
            "Документ, що підтверджує право власності або користування",
        )
    };
    let relationship = || {
        req(
            "relationship",
            Relationship,
            "Your relationship to the person",
            "Ваш ступінь спорідненості з особою",
        )
    };
    let legitimate_interest = || {
        opt(
            "legitimate_interest",
            Text,
            "Legitimate interest (if not immediate family)",
            "Законний інтерес (якщо не член найближчої родини)",
        )
    };
    let facility_name = || {
        req(
            "facility_name",
            Text,
            "Name of the facility",
            "Назва об'єкта",
        )
    };

    let (name_uk, fields): (Option<&'static str>, Vec<FieldSpec>) = match code {
        "A1.1" => (
            Some("Вимушене внутрішнє переміщення"),
            vec![
                req(
                    "date_displaced",
                    Date,
                    "Date of displacement",
                    "Дата переміщення",
                ),
                opt(
                    "idp_certificate_number",
                    Text,
                    "Number of the IDP certificate",
                    "Номер довідки ВПО",
                ),
            ],
        ),
        "A1.2" => (
            Some("Вимушене переміщення за межі України"),
            vec![
                req(
                    "date_left_ukraine",
                    Date,
                    "Date you left Ukraine",
                    "Дата виїзду з України",
                ),
                req(
                    "host_country",
                    Country,
                    "Country you moved to",
                    "Країна перебування",
                ),
            ],
        ),
        "A2.1" => (
            Some("Смерть члена найближчої родини"),
            vec![
                req(
                    "deceased_name",
                    Text,
                    "Full name of the deceased",
                    "ПІБ померлої особи",
                ),
                req("date_of_death", Date, "Date of death", "Дата смерті"),
                relationship(),
                legitimate_interest(),
            ],
        ),
        "A2.2" => (
            Some("Зникнення безвісти члена найближчої родини"),
            vec![
                req(
                    "missing_person_name",
                    Text,
                    "Full name of the missing person",
                    "ПІБ зниклої особи",
                ),
                req("date_missing", Date, "Date last seen", "Дата зникнення"),
                relationship(),
                legitimate_interest(),
            ],
        ),
        "A2.3" => (
            Some("Серйозні тілесні ушкодження"),
            vec![
                req("date_of_injury", Date, "Date of injury", "Дата ушкодження"),
                req(
                    "injury_description",
                    Text,
                    "Nature of the injury",
                    "Характер ушкодження",
                ),
                opt(
                    "medical_report_reference",
                    Text,
                    "Medical report reference",
                    "Реквізити медичного висновку",
                ),
            ],
        ),
        // The narrative carries the account; no further form fields, so the
        // form asks survivors for as little as possible.
        "A2.4" => (Some("Сексуальне насильство"), Vec::new()),
        "A2.5" => (
            Some("Катування або нелюдське чи таке, що принижує гідність, поводження чи покарання"),
            vec![opt(
                "medical_report_reference",
                Text,
                "Medical report reference",
                "Реквізити медичного висновку",
            )],
        ),
        "A2.6" => (
            Some("Позбавлення волі"),
            vec![
                req(
                    "detention_start",
                    Date,
                    "First day of detention",
                    "Дата початку позбавлення волі",
                ),
                // Absent while the person is still held.
                opt("detention_end", Date, "Day of release", "Дата звільнення"),
                req(
                    "place_of_detention",
                    Text,
                    "Place of detention",
                    "Місце утримання",
                ),
            ],
        ),
        "A2.7" => (
            Some("Примусова праця або служба"),
            vec![
                req(
                    "labour_start",
                    Date,
                    "First day of forced labour or service",
                    "Дата початку",
                ),
                opt(
                    "labour_end",
                    Date,
                    "Last day of forced labour or service",
                    "Дата закінчення",
                ),
                req(
                    "kind_of_work",
                    Text,
                    "Kind of work or service",
                    "Вид роботи або служби",
                ),
            ],
        ),
        "A2.8" => (
            Some("Примусове переміщення або депортація дітей"),
            vec![
                req("child_name", Text, "Full name of the child", "ПІБ дитини"),
                req(
                    "child_date_of_birth",
                    Date,
                    "Child's date of birth",
                    "Дата народження дитини",
                ),
                req(
                    "date_of_transfer",
                    Date,
                    "Date of transfer or deportation",
                    "Дата переміщення або депортації",
                ),
                relationship(),
                opt(
                    "destination_country",
                    Country,
                    "Country the child was taken to",
                    "Країна, до якої вивезено дитину",
                ),
            ],
        ),
        "A2.9" => (
            Some("Примусове переміщення або депортація дорослих"),
            vec![
                req(
                    "date_of_transfer",
                    Date,
                    "Date of transfer or deportation",
                    "Дата переміщення або депортації",
                ),
                opt(
                    "destination_country",
                    Country,
                    "Country you were taken to",
                    "Країна, до якої вас вивезено",
                ),
            ],
        ),
        "A3.1" => (
            Some("Пошкодження або знищення житлового нерухомого майна"),
            vec![
                choice(
                    "property_type",
                    "Type of property",
                    "Тип майна",
                    &["apartment", "house", "other"],
                ),
                req(
                    "floor_area_m2",
                    Decimal,
                    "Floor area (m²)",
                    "Загальна площа (м²)",
                ),
                ownership_document(),
                damage_extent(),
            ],
        ),
        "A3.2" => (
            Some("Пошкодження або знищення нежитлового нерухомого майна"),
            vec![
                choice(
                    "property_type",
                    "Type of property",
                    "Тип майна",
                    &[
                        "garage",
                        "outbuilding",
                        "commercial_premises",
                        "land_plot",
                        "other",
                    ],
                ),
                opt(
                    "floor_area_m2",
                    Decimal,
                    "Floor area (m²)",
                    "Загальна площа (м²)",
                ),
                ownership_document(),
                damage_extent(),
            ],
        ),
        "A3.3" => (
            Some("Втрата житла або місця проживання"),
            vec![
                req(
                    "date_housing_lost",
                    Date,
                    "Date the housing was lost",
                    "Дата втрати житла",
                ),
                choice(
                    "tenure",
                    "How you held the housing",
                    "Підстава проживання",
                    &["owned", "rented", "other"],
                ),
            ],
        ),
        "A3.4" => (
            None,
            vec![
                req("employer_name", Text, "Employer", "Роботодавець"),
                req(
                    "date_employment_lost",
                    Date,
                    "Date the employment was lost",
                    "Дата втрати роботи",
                ),
            ],
        ),
        "A3.5" => (
            None,
            vec![
                req(
                    "enterprise_name",
                    Text,
                    "Name of the enterprise",
                    "Назва підприємства",
                ),
                req(
                    "date_enterprise_lost",
                    Date,
                    "Date the enterprise was lost",
                    "Дата втрати підприємства",
                ),
            ],
        ),
        "A3.6" => (
            None,
            vec![
                choice(
                    "property_type",
                    "Type of property",
                    "Тип майна",
                    &[
                        "apartment",
                        "house",
                        "land_plot",
                        "non_residential",
                        "other",
                    ],
                ),
                ownership_document(),
                req(
                    "date_access_lost",
                    Date,
                    "Date access was lost",
                    "Дата втрати доступу",
                ),
            ],
        ),
        "A3.7" => (
            None,
            vec![choice(
                "loss_kind",
                "Kind of economic loss",
                "Вид економічних втрат",
                &[
                    "loss_of_income",
                    "loss_of_support",
                    "medical_expenses",
                    "other",
                ],
            )],
        ),
        "B1.1" | "C1.1" => (
            Some("Пошкодження або знищення критичної інфраструктури"),
            vec![
                facility_name(),
                choice(
                    "sector",
                    "Infrastructure sector",
                    "Сектор інфраструктури",
                    &[
                        "energy",
                        "water",
                        "transport",
                        "telecommunications",
                        "health",
                        "other",
                    ],
                ),
                damage_extent(),
            ],
        ),
        "B1.2" | "C1.2" => (
            Some("Пошкодження або знищення некритичної інфраструктури"),
            vec![facility_name(), damage_extent()],
        ),
        "B1.5" => (
            None,
            vec![
                facility_name(),
                req(
                    "facility_use",
                    Text,
                    "What the building is used for",
                    "Призначення будівлі",
                ),
                damage_extent(),
            ],
        ),
        "C1.5" => (None, vec![ownership_document(), damage_extent()]),
        "C3.1" => (
            None,
            vec![
                req(
                    "asset_description",
                    Text,
                    "Assets damaged, destroyed or lost",
                    "Пошкоджені, знищені або втрачені активи",
                ),
                req("date_of_loss", Date, "Date of loss", "Дата втрати"),
            ],
        ),
        "C3.2" => (
            None,
            vec![
                req(
                    "property_description",
                    Text,
                    "Property over which control was lost",
                    "Майно, контроль над яким втрачено",
                ),
                req(
                    "date_control_lost",
                    Date,
                    "Date control was lost",
                    "Дата втрати контролю",
                ),
            ],
        ),
        "C3.3" => (
            None,
            vec![
                req(
                    "relocation_date",
                    Date,
                    "Date of relocation",
                    "Дата релокації",
                ),
                req(
                    "new_location",
                    Text,
                    "Where the business moved to",
                    "Нове місце провадження діяльності",
                ),
            ],
        ),
        _ => (None, Vec::new()),
    };
    SeedDetails {
        name_uk,
        harm_abroad_allowed: matches!(code, "A1.2" | "A2.8" | "A2.9"),
        occupied_territory_required: matches!(code, "A3.6" | "C3.2"),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    #[test]
    fn category_codes_are_validated_and_canonical() {
        for ok in ["A3.1", "B1.2", "C3.3", "a2.10", " A1.1 "] {
            assert!(CategoryCode::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(CategoryCode::parse("a2.10").unwrap().as_str(), "A2.10");
        for bad in [
            "", "A3", "D1.1", "A0.1", "A3.0", "A3.01", "A3.100", "A31", "A3.1.2", "AA.1",
        ] {
            assert!(CategoryCode::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<CategoryCode>("\"X1.1\"").is_err());
        assert_eq!(
            CategoryCode::parse("C1.1").unwrap().claimant_type(),
            ClaimantType::LegalEntity
        );
    }

    fn category(
        status: CategoryStatus,
        opened_on: Option<Date>,
        deadline: Option<Date>,
    ) -> Category {
        Category {
            code: CategoryCode::parse("A3.1").unwrap(),
            claimant_type: ClaimantType::NaturalPerson,
            name_en: "Residential property".into(),
            name_uk: None,
            status,
            opened_on,
            sensitive: false,
            harm_abroad_allowed: false,
            losses_required: true,
            occupied_territory_required: false,
            filing_deadline: deadline,
            required_fields: Vec::new(),
            notes: None,
        }
    }

    #[test]
    fn open_and_pilot_categories_accept_claims_within_their_dates() {
        let today = date!(2026 - 03 - 01);
        assert!(
            category(CategoryStatus::Open, None, None)
                .accepts_claims(today)
                .is_ok()
        );
        assert!(
            category(CategoryStatus::Pilot, Some(today), Some(today))
                .accepts_claims(today)
                .is_ok()
        );
        assert_eq!(
            category(CategoryStatus::Planned, None, None).accepts_claims(today),
            Err(CategoryClosed::NotAcceptingClaims {
                status: CategoryStatus::Planned
            })
        );
        assert!(
            category(CategoryStatus::Closed, None, None)
                .accepts_claims(today)
                .is_err()
        );
        assert_eq!(
            category(CategoryStatus::Open, Some(date!(2026 - 03 - 02)), None).accepts_claims(today),
            Err(CategoryClosed::NotYetOpen {
                opens_on: date!(2026 - 03 - 02)
            })
        );
        assert_eq!(
            category(CategoryStatus::Open, None, Some(date!(2026 - 02 - 28))).accepts_claims(today),
            Err(CategoryClosed::DeadlinePassed {
                deadline: date!(2026 - 02 - 28)
            })
        );
    }

    #[test]
    fn field_values_are_checked_by_kind() {
        let today = date!(2026 - 03 - 01);
        let check = |kind, v: serde_json::Value| {
            FieldSpec::required("f", kind, "F", "").check_value(&v, today)
        };
        assert!(check(FieldKind::Text, json!("x")).is_ok());
        assert!(check(FieldKind::Text, json!("  ")).is_err());
        assert!(check(FieldKind::Text, json!(3)).is_err());
        assert!(check(FieldKind::Date, json!("2023-05-01")).is_ok());
        assert!(check(FieldKind::Date, json!("2026-03-02")).is_err());
        assert!(check(FieldKind::Date, json!("01.05.2023")).is_err());
        assert!(check(FieldKind::Decimal, json!("54.3")).is_ok());
        assert!(check(FieldKind::Decimal, json!(54.3)).is_ok());
        assert!(check(FieldKind::Decimal, json!("-1")).is_err());
        assert!(check(FieldKind::Decimal, json!("lots")).is_err());
        assert!(check(FieldKind::Integer, json!(3)).is_ok());
        assert!(check(FieldKind::Integer, json!(-3)).is_err());
        assert!(check(FieldKind::Integer, json!(1.5)).is_err());
        assert!(check(FieldKind::Boolean, json!(true)).is_ok());
        assert!(check(FieldKind::Boolean, json!("yes")).is_err());
        assert!(check(FieldKind::Relationship, json!("civil_partner")).is_ok());
        assert!(check(FieldKind::Relationship, json!("friend")).is_err());
        assert!(check(FieldKind::Country, json!("PL")).is_ok());
        assert!(check(FieldKind::Country, json!("Poland")).is_err());
        let field = FieldSpec::choice("t", "T", "", &["a", "b"]);
        assert!(field.check_value(&json!("a"), today).is_ok());
        assert!(field.check_value(&json!("c"), today).is_err());
    }

    #[test]
    fn immediate_family_includes_adoptive_and_step_relations() {
        assert!(Relationship::StepChild.is_immediate_family());
        assert!(Relationship::CivilPartner.is_immediate_family());
        assert!(!Relationship::Sibling.is_immediate_family());
    }

    #[test]
    fn category_seed_rows_are_checked() {
        let header = "code,claimant_type,name_en,status,opened_on,sensitive,notes\n";
        let parse = |row: &str| parse_categories_csv(&format!("{header}{row}\n"));
        assert!(parse("A3.1,natural_person,Housing,open,2024-04-02,no,").is_ok());
        assert!(parse("A3.1,legal_entity,Housing,open,,no,").is_err());
        assert!(parse("A3.1,natural_person,Housing,ajar,,no,").is_err());
        assert!(parse("A3.1,natural_person,Housing,open,2 April,no,").is_err());
        assert!(parse("A3.1,natural_person,Housing,open,,maybe,").is_err());
        assert!(parse("A3.1,natural_person,,open,,no,").is_err());
        assert!(parse("A3.1,natural_person,A,open,,no,\nA3.1,natural_person,B,open,,no,").is_err());
        let unknown = parse("A9.1,natural_person,New,planned,,no,").unwrap();
        assert!(unknown[0].required_fields.is_empty());
        assert!(unknown[0].name_uk.is_none());
    }

    #[test]
    fn category_round_trips_through_json() {
        let c = category(CategoryStatus::Pilot, Some(date!(2024 - 04 - 02)), None);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["opened_on"], "2024-04-02");
        assert_eq!(json["claimant_type"], "natural_person");
        assert_eq!(json["status"], "pilot");
        assert_eq!(serde_json::from_value::<Category>(json).unwrap(), c);
    }
}
