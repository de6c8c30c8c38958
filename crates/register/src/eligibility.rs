//! The eligibility pre-screen run when a claim is submitted.
//!
//! The Register records a claim only if the harm happened on or after the
//! start date, within Ukraine's internationally recognised borders (or
//! abroad, for categories that allow it), to a claimant of the category's
//! type who is not solely a national of the aggressor state. The Board
//! decides; this pre-screen catches what can be checked mechanically before
//! a claim reaches a person, and reports **every** failure at once, each
//! with a stable [`Reason`] code and the path of the field concerned, so a
//! form can mark all of them in one round trip.
//!
//! [`missing_fields`] is the part that only looks at completeness, for
//! drafts: a draft may be incomplete, a submission may not.
//!
//! Field paths are dotted with indices in brackets: `claimant.given_name`,
//! `losses[2].amount`, `category_fields.date_of_death`.

use crate::category::{Category, CategoryClosed, Relationship};
use crate::claim::{ClaimDraft, Incident};
use crate::claimant::{Claimant, Contact, CountryCode, NaturalPerson};
use crate::dates::iso_date;
use crate::region::KnownRegions;
use crate::text::is_blank;
use kernel::Money;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, Month};

/// Longest narrative accepted, in characters. Generous for a personal
/// account; the limit exists so one request cannot carry a book.
pub const NARRATIVE_MAX_CHARS: usize = 20_000;

/// The dates and parties the eligibility rules depend on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityConfig {
    /// Earliest day of harm within the mandate: 24 February 2022, possibly
    /// extended back to 20 February 2014.
    #[serde(with = "iso_date")]
    pub start_date: Date,
    /// Nationals of this state are excluded unless they hold another
    /// nationality.
    pub aggressor_nationality: CountryCode,
}

impl EligibilityConfig {
    /// Start of the full-scale invasion.
    pub const START_2022: Date = calendar_date(2022, Month::February, 24);
    /// Start of the occupation of Crimea, should the mandate be extended.
    pub const START_2014: Date = calendar_date(2014, Month::February, 20);
}

/// A date known to exist, for constants.
const fn calendar_date(year: i32, month: Month, day: u8) -> Date {
    match Date::from_calendar_date(year, month, day) {
        Ok(date) => date,
        Err(_) => panic!("not a calendar date"),
    }
}

impl Default for EligibilityConfig {
    fn default() -> Self {
        Self {
            start_date: Self::START_2022,
            aggressor_nationality: CountryCode::russia(),
        }
    }
}

/// Why a claim fails the pre-screen. The snake_case names are stable: the
/// API returns them and clients match on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Something submission needs is absent or blank.
    RequiredFieldMissing,
    /// A value is present but malformed or out of range.
    FieldInvalid,
    /// `category_fields` holds a key the category's form does not have.
    UnknownField,
    /// The claim names no category the catalogue knows.
    UnknownCategory,
    /// The category passed in is not the one the claim names.
    CategoryMismatch,
    /// The category's status is planned or closed.
    CategoryNotOpen,
    /// The category's opening date is still to come.
    CategoryNotYetOpen,
    /// The category's filing deadline has passed.
    CategoryDeadlinePassed,
    /// The claimant is not of the type the category is for.
    ClaimantTypeMismatch,
    /// The claimant's only nationality is the aggressor state's.
    AggressorNationalOnly,
    /// The representative's authority does not hold on the day of submission.
    RepresentationNotValid,
    /// The kind of authority cannot apply to this claimant (a parent of an
    /// adult, a guardian of a company).
    AuthorityKindMismatch,
    IncidentBeforeStartDate,
    IncidentInFuture,
    /// The incident period ends before it starts.
    IncidentRangeInverted,
    /// The harm happened abroad and the category does not cover harm abroad.
    LocationOutsideUkraine,
    /// The region code is well formed but not one of Ukraine's regions.
    UnknownRegion,
    /// The category is about occupied territory and the location is not marked so.
    OccupiedTerritoryRequired,
    /// The category needs at least one loss with an amount.
    NoLosses,
    /// A loss amount is zero or negative.
    AmountNotPositive,
    /// A loss amount has more decimals than its currency's minor unit.
    AmountTooPrecise,
    TextTooLong,
}

impl Reason {
    pub const ALL: [Self; 22] = [
        Self::RequiredFieldMissing,
        Self::FieldInvalid,
        Self::UnknownField,
        Self::UnknownCategory,
        Self::CategoryMismatch,
        Self::CategoryNotOpen,
        Self::CategoryNotYetOpen,
        Self::CategoryDeadlinePassed,
        Self::ClaimantTypeMismatch,
        Self::AggressorNationalOnly,
        Self::RepresentationNotValid,
        Self::AuthorityKindMismatch,
        Self::IncidentBeforeStartDate,
        Self::IncidentInFuture,
        Self::IncidentRangeInverted,
        Self::LocationOutsideUkraine,
        Self::UnknownRegion,
        Self::OccupiedTerritoryRequired,
        Self::NoLosses,
        Self::AmountNotPositive,
        Self::AmountTooPrecise,
        Self::TextTooLong,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RequiredFieldMissing => "required_field_missing",
            Self::FieldInvalid => "field_invalid",
            Self::UnknownField => "unknown_field",
            Self::UnknownCategory => "unknown_category",
            Self::CategoryMismatch => "category_mismatch",
            Self::CategoryNotOpen => "category_not_open",
            Self::CategoryNotYetOpen => "category_not_yet_open",
            Self::CategoryDeadlinePassed => "category_deadline_passed",
            Self::ClaimantTypeMismatch => "claimant_type_mismatch",
            Self::AggressorNationalOnly => "aggressor_national_only",
            Self::RepresentationNotValid => "representation_not_valid",
            Self::AuthorityKindMismatch => "authority_kind_mismatch",
            Self::IncidentBeforeStartDate => "incident_before_start_date",
            Self::IncidentInFuture => "incident_in_future",
            Self::IncidentRangeInverted => "incident_range_inverted",
            Self::LocationOutsideUkraine => "location_outside_ukraine",
            Self::UnknownRegion => "unknown_region",
            Self::OccupiedTerritoryRequired => "occupied_territory_required",
            Self::NoLosses => "no_losses",
            Self::AmountNotPositive => "amount_not_positive",
            Self::AmountTooPrecise => "amount_too_precise",
            Self::TextTooLong => "text_too_long",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong with a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityFailure {
    pub reason: Reason,
    /// Path of the field concerned (see the module docs); empty when the
    /// failure concerns the claim as a whole.
    pub field: String,
    /// For a person to read, in English.
    pub message: String,
}

impl fmt::Display for EligibilityFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.field, self.reason, self.message)
    }
}

/// Collects failures in the order the checks run.
#[derive(Default)]
struct Failures(Vec<EligibilityFailure>);

impl Failures {
    fn push(&mut self, reason: Reason, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(EligibilityFailure {
            reason,
            field: field.into(),
            message: message.into(),
        });
    }

    fn missing(&mut self, field: impl Into<String>, what: &str) {
        self.push(
            Reason::RequiredFieldMissing,
            field,
            format!("{what} is required"),
        );
    }
}

/// What a draft still lacks before it can be submitted: only
/// [`Reason::RequiredFieldMissing`] and [`Reason::NoLosses`] failures.
/// Pass the claim's category when it is known, to check its form fields too.
pub fn missing_fields(draft: &ClaimDraft, category: Option<&Category>) -> Vec<EligibilityFailure> {
    let mut out = Failures::default();
    check_presence(draft, category, &mut out);
    out.0
}

/// The full pre-screen at submission.
///
/// `category` is the catalogue entry for the code the claim names (`None`
/// if it names none or an unknown one). `regions` knows Ukraine's region
/// codes. `today` is the day of submission. `Ok` means nothing mechanical
/// stands in the way of the Board's review; `Err` holds every failure found.
pub fn prescreen(
    draft: &ClaimDraft,
    category: Option<&Category>,
    regions: &(impl KnownRegions + ?Sized),
    config: &EligibilityConfig,
    today: Date,
) -> Result<(), Vec<EligibilityFailure>> {
    let mut out = Failures::default();
    check_presence(draft, category, &mut out);
    if let Some(category) = category {
        check_category(draft, category, today, &mut out);
    } else if let Some(code) = &draft.category {
        out.push(
            Reason::UnknownCategory,
            "category",
            format!("there is no category {code}"),
        );
    }
    if let Some(claimant) = &draft.claimant {
        check_claimant(claimant, config, today, &mut out);
    }
    check_representation(draft, today, &mut out);
    if let Some(incident) = draft.incident {
        check_incident(incident, config, today, &mut out);
    }
    check_location(draft, category, regions, &mut out);
    if draft.narrative.chars().count() > NARRATIVE_MAX_CHARS {
        out.push(
            Reason::TextTooLong,
            "narrative",
            format!("the narrative is longer than {NARRATIVE_MAX_CHARS} characters"),
        );
    }
    for (i, loss) in draft.losses.iter().enumerate() {
        check_amount(&loss.amount, &format!("losses[{i}].amount"), &mut out);
    }
    if out.0.is_empty() { Ok(()) } else { Err(out.0) }
}

fn is_absent(value: Option<&serde_json::Value>) -> bool {
    match value {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::String(s)) => is_blank(s),
        Some(_) => false,
    }
}

fn check_presence(draft: &ClaimDraft, category: Option<&Category>, out: &mut Failures) {
    match &draft.claimant {
        None => out.missing("claimant", "the claimant"),
        Some(Claimant::NaturalPerson(p)) => {
            if is_blank(&p.given_name) {
                out.missing("claimant.given_name", "the given name");
            }
            if is_blank(&p.family_name) {
                out.missing("claimant.family_name", "the family name");
            }
            if p.date_of_birth.is_none() {
                out.missing("claimant.date_of_birth", "the date of birth");
            }
            if p.nationalities.is_empty() {
                out.missing("claimant.nationalities", "at least one nationality");
            }
        }
        Some(Claimant::LegalEntity(e)) => {
            if is_blank(&e.name) {
                out.missing("claimant.name", "the entity's name");
            }
        }
        Some(Claimant::State(s)) => {
            if is_blank(&s.name) {
                out.missing("claimant.name", "the name of the State body");
            }
        }
    }
    if let Some(claimant) = &draft.claimant
        && !claimant.contact().is_reachable()
    {
        out.missing(
            "claimant.contact",
            "an e-mail address, phone number or postal address",
        );
    }
    if let Some(r) = &draft.representation {
        if r.representative.account.is_none() && is_blank(&r.representative.name) {
            out.missing(
                "representation.representative",
                "the representative's name or account",
            );
        }
        if is_blank(&r.document_reference) {
            out.missing(
                "representation.document_reference",
                "the reference of the document granting authority",
            );
        }
    }
    if draft.category.is_none() {
        out.missing("category", "the category");
    }
    if draft.incident.is_none() {
        out.missing("incident", "the date or period of the incident");
    }
    if draft.location.region.is_none() && !draft.location.is_abroad() {
        out.missing("location.region", "the region");
    }
    if is_blank(&draft.narrative) {
        out.missing("narrative", "an account of what happened");
    }
    for (i, loss) in draft.losses.iter().enumerate() {
        if is_blank(&loss.description) {
            out.missing(
                format!("losses[{i}].description"),
                "a description of the loss",
            );
        }
    }
    for (i, reference) in draft.external_references.iter().enumerate() {
        if is_blank(&reference.register) {
            out.missing(
                format!("external_references[{i}].register"),
                "the register's name",
            );
        }
        if is_blank(&reference.id) {
            out.missing(format!("external_references[{i}].id"), "the record's id");
        }
    }
    let Some(category) = category else { return };
    if category.losses_required && draft.losses.is_empty() {
        out.push(
            Reason::NoLosses,
            "losses",
            format!(
                "category {} needs at least one loss with an amount",
                category.code
            ),
        );
    }
    for field in category.required_fields.iter().filter(|f| f.required) {
        if is_absent(draft.category_fields.get(&field.name)) {
            out.missing(format!("category_fields.{}", field.name), &field.label_en);
        }
    }
    // Relatives outside the immediate family may claim only by showing a
    // legitimate interest.
    let distant_relative = draft
        .category_fields
        .get("relationship")
        .and_then(serde_json::Value::as_str)
        .and_then(|r| r.parse::<Relationship>().ok())
        .is_some_and(|r| !r.is_immediate_family());
    if distant_relative
        && category.field("legitimate_interest").is_some()
        && is_absent(draft.category_fields.get("legitimate_interest"))
    {
        out.push(
            Reason::RequiredFieldMissing,
            "category_fields.legitimate_interest",
            "a relative outside the immediate family must state their legitimate interest",
        );
    }
}

fn check_category(draft: &ClaimDraft, category: &Category, today: Date, out: &mut Failures) {
    if draft.category.as_ref().is_some_and(|c| c != &category.code) {
        out.push(
            Reason::CategoryMismatch,
            "category",
            format!("the claim is not in category {}", category.code),
        );
    }
    match category.accepts_claims(today) {
        Ok(()) => {}
        Err(closed @ CategoryClosed::NotAcceptingClaims { .. }) => {
            out.push(Reason::CategoryNotOpen, "category", closed.to_string());
        }
        Err(closed @ CategoryClosed::NotYetOpen { .. }) => {
            out.push(Reason::CategoryNotYetOpen, "category", closed.to_string());
        }
        Err(closed @ CategoryClosed::DeadlinePassed { .. }) => {
            out.push(
                Reason::CategoryDeadlinePassed,
                "category",
                closed.to_string(),
            );
        }
    }
    if let Some(claimant) = &draft.claimant
        && claimant.claimant_type() != category.claimant_type
    {
        out.push(
            Reason::ClaimantTypeMismatch,
            "claimant.claimant_type",
            format!(
                "category {} is for claimants of type {}, not {}",
                category.code,
                category.claimant_type,
                claimant.claimant_type()
            ),
        );
    }
    for (name, value) in &draft.category_fields {
        let path = format!("category_fields.{name}");
        match category.field(name) {
            None => out.push(
                Reason::UnknownField,
                path,
                format!("category {} has no field {name:?}", category.code),
            ),
            Some(_) if is_absent(Some(value)) => {}
            Some(spec) => {
                if let Err(why) = spec.check_value(value, today) {
                    out.push(
                        Reason::FieldInvalid,
                        path,
                        format!("{}: {why}", spec.label_en),
                    );
                }
            }
        }
    }
}

fn check_claimant(
    claimant: &Claimant,
    config: &EligibilityConfig,
    today: Date,
    out: &mut Failures,
) {
    if let Claimant::NaturalPerson(p) = claimant {
        check_natural_person(p, config, today, out);
    }
    let contact = claimant.contact();
    if let Some(email) = contact.email.as_deref().filter(|e| !is_blank(e))
        && !Contact::email_is_plausible(email)
    {
        out.push(
            Reason::FieldInvalid,
            "claimant.contact.email",
            "not an e-mail address",
        );
    }
    if let Some(phone) = contact.phone.as_deref().filter(|p| !is_blank(p))
        && !Contact::phone_is_plausible(phone)
    {
        out.push(
            Reason::FieldInvalid,
            "claimant.contact.phone",
            "not a phone number (7 to 15 digits, optionally starting with +)",
        );
    }
}

fn check_natural_person(
    p: &NaturalPerson,
    config: &EligibilityConfig,
    today: Date,
    out: &mut Failures,
) {
    if let Some(born) = p.date_of_birth.filter(|&d| d > today) {
        out.push(
            Reason::FieldInvalid,
            "claimant.date_of_birth",
            format!("{born} is in the future"),
        );
    }
    if !p.nationalities.is_empty()
        && p.nationalities
            .iter()
            .all(|n| n == &config.aggressor_nationality)
    {
        out.push(
            Reason::AggressorNationalOnly,
            "claimant.nationalities",
            format!(
                "nationals of {} are excluded unless they hold another nationality",
                config.aggressor_nationality
            ),
        );
    }
}

fn check_representation(draft: &ClaimDraft, today: Date, out: &mut Failures) {
    let Some(r) = &draft.representation else {
        return;
    };
    if let Some(until) = r.valid_until.filter(|&u| u < r.valid_from) {
        out.push(
            Reason::RepresentationNotValid,
            "representation.valid_until",
            format!(
                "the authority ends ({until}) before it starts ({})",
                r.valid_from
            ),
        );
    } else if r.valid_from > today {
        out.push(
            Reason::RepresentationNotValid,
            "representation.valid_from",
            format!("the authority only starts on {}", r.valid_from),
        );
    } else if !r.is_valid_on(today) {
        out.push(
            Reason::RepresentationNotValid,
            "representation.valid_until",
            "the authority has expired",
        );
    }
    match &draft.claimant {
        Some(Claimant::NaturalPerson(p)) => {
            if let Some(age) = p.age_on(today).filter(|&a| a >= 18)
                && r.kind == crate::claimant::AuthorityKind::Parent
            {
                out.push(
                        Reason::AuthorityKindMismatch,
                        "representation.kind",
                        format!(
                            "a parent may act only for a minor; the claimant is {age}: use guardian or lawyer"
                        ),
                    );
            }
        }
        Some(other) if r.kind.natural_persons_only() => out.push(
            Reason::AuthorityKindMismatch,
            "representation.kind",
            format!(
                "a {} cannot act for a claimant of type {}",
                r.kind.as_str(),
                other.claimant_type()
            ),
        ),
        _ => {}
    }
}

fn check_incident(incident: Incident, config: &EligibilityConfig, today: Date, out: &mut Failures) {
    let (start_path, end_path) = match incident {
        Incident::On { .. } => ("incident.date", "incident.date"),
        Incident::Between { .. } => ("incident.from", "incident.to"),
    };
    if incident.start() > incident.end() {
        out.push(
            Reason::IncidentRangeInverted,
            "incident",
            format!(
                "the period ends ({}) before it starts ({})",
                incident.end(),
                incident.start()
            ),
        );
    }
    // A period must begin within the mandate: the part before the start
    // date cannot be claimed, and the claimant is asked to state the period
    // that can.
    if incident.start() < config.start_date {
        out.push(
            Reason::IncidentBeforeStartDate,
            start_path,
            format!("harm before {} is outside the mandate", config.start_date),
        );
    }
    if incident.end() > today || incident.start() > today {
        out.push(
            Reason::IncidentInFuture,
            end_path,
            "the incident cannot be in the future",
        );
    }
}

fn check_location(
    draft: &ClaimDraft,
    category: Option<&Category>,
    regions: &(impl KnownRegions + ?Sized),
    out: &mut Failures,
) {
    let location = &draft.location;
    if let (true, Some(category)) = (location.is_abroad(), category)
        && !category.harm_abroad_allowed
    {
        out.push(
                Reason::LocationOutsideUkraine,
                "location.country",
                format!(
                    "category {} covers harm in Ukraine only, within its internationally recognised borders",
                    category.code
                ),
            );
    }
    if let Some(region) = &location.region
        && !regions.contains_region(region)
    {
        out.push(
            Reason::UnknownRegion,
            "location.region",
            format!("{region} is not a region of Ukraine"),
        );
    }
    if category.is_some_and(|c| c.occupied_territory_required) && !location.occupied_territory {
        out.push(
            Reason::OccupiedTerritoryRequired,
            "location.occupied_territory",
            "this category concerns property in occupied territory",
        );
    }
}

fn check_amount(amount: &Money, path: &str, out: &mut Failures) {
    if !amount.is_positive() {
        out.push(
            Reason::AmountNotPositive,
            path,
            "the amount must be greater than zero",
        );
    }
    if let Err(e) = Money::exact(amount.amount(), amount.currency()) {
        out.push(Reason::AmountTooPrecise, path, e.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_are_unique_and_match_serde() {
        let mut seen = std::collections::BTreeSet::new();
        for reason in Reason::ALL {
            assert!(seen.insert(reason.as_str()));
            assert_eq!(
                serde_json::to_value(reason).unwrap(),
                serde_json::Value::String(reason.as_str().into())
            );
        }
    }

    #[test]
    fn default_config_starts_on_24_february_2022_with_russia_as_aggressor() {
        let c = EligibilityConfig::default();
        assert_eq!(c.start_date, time::macros::date!(2022 - 02 - 24));
        assert_eq!(c.aggressor_nationality.as_str(), "RU");
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["start_date"], "2022-02-24");
    }
}
