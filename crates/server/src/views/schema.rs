//! The OpenAPI shapes of the domain's wire types: money and the claim
//! draft. The domain crates stay free of schema code (as `app` stays free
//! of utoipa); these types are never built, only described, and mirror the
//! serde form of `kernel::Money` and `register::ClaimDraft` field for
//! field. The API tests file the example claim through a client generated
//! from this description (scripts/client-walkthrough.sh), which keeps the
//! two in step.

#![allow(dead_code, reason = "described, never built")]

use std::collections::BTreeMap;
use utoipa::ToSchema;

/// An exact amount of money: a decimal string and an ISO 4217 currency.
/// Amounts the server states carry exactly the currency's minor unit
/// (`"68000.00"` in EUR, `"5000"` in JPY). An amount is a string so that no
/// JSON parser turns it into a float.
#[derive(ToSchema)]
#[schema(example = json!({"amount": "85000.00", "currency": "EUR"}))]
pub struct Money {
    /// Digits with an optional sign and decimal point; no exponent, no
    /// separators.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "85000.00")]
    pub amount: String,
    /// ISO 4217 alphabetic code.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
}

/// The content of a claim, as filed with `POST /v1/claims` and changed
/// with `PATCH /v1/claims/{id}` (a JSON Merge Patch of this object). Every
/// part is optional until the claim is submitted; the pre-screen at
/// submission names what is missing.
#[derive(ToSchema)]
#[schema(example = json!(claim_example()))]
pub struct ClaimDraft {
    pub claimant: Option<Claimant>,
    /// Present when someone files for the claimant.
    pub representation: Option<Representation>,
    /// A category code (`GET /v1/categories`), e.g. `A3.1`.
    #[schema(example = "A3.1")]
    pub category: Option<String>,
    pub incident: Option<Incident>,
    #[schema(nullable = false)]
    pub location: Option<Location>,
    /// The claimant's account of what happened, in their own words.
    #[schema(nullable = false)]
    pub narrative: Option<String>,
    /// At most 100.
    #[schema(nullable = false)]
    pub losses: Option<Vec<Loss>>,
    /// At most 50.
    #[schema(nullable = false)]
    pub external_references: Option<Vec<ExternalReference>>,
    /// Answers to the category's form, keyed by field name (at most 50).
    #[schema(nullable = false)]
    pub category_fields: Option<BTreeMap<String, serde_json::Value>>,
}

/// The example claim of the README, `docs/examples/claim.json`.
pub fn claim_example() -> serde_json::Value {
    serde_json::from_str(include_str!("../../../../docs/examples/claim.json"))
        .expect("docs/examples/claim.json is JSON")
}

/// Who claims: a natural person, a legal entity or a State body, told
/// apart by `claimant_type`.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum Claimant {
    NaturalPerson(NaturalPerson),
    LegalEntity(LegalEntity),
    State(StateBody),
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NaturalPersonType {
    NaturalPerson,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalEntityType {
    LegalEntity,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateType {
    State,
}

/// A natural person claiming for themselves (or through a representative).
#[derive(ToSchema)]
pub struct NaturalPerson {
    pub claimant_type: NaturalPersonType,
    #[schema(nullable = false)]
    pub given_name: Option<String>,
    #[schema(nullable = false)]
    pub family_name: Option<String>,
    pub patronymic: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub date_of_birth: Option<String>,
    /// RNOKPP, the Ukrainian taxpayer number: 10 digits with a check digit.
    #[schema(pattern = "^[0-9]{10}$")]
    pub tax_number: Option<String>,
    /// ISO 3166-1 alpha-2 codes.
    #[schema(nullable = false)]
    pub nationalities: Option<Vec<String>>,
    #[schema(nullable = false)]
    pub contact: Option<Contact>,
}

/// A company or other legal entity.
#[derive(ToSchema)]
pub struct LegalEntity {
    pub claimant_type: LegalEntityType,
    pub name: String,
    /// EDRPOU, the Ukrainian register code: 8 digits.
    #[schema(pattern = "^[0-9]{8}$")]
    pub edrpou: String,
    #[schema(nullable = false)]
    pub contact: Option<Contact>,
}

/// A State body (ministry, municipality).
#[derive(ToSchema)]
pub struct StateBody {
    pub claimant_type: StateType,
    pub name: String,
    /// The body's EDRPOU code.
    #[schema(pattern = "^[0-9]{8}$")]
    pub code: String,
    #[schema(nullable = false)]
    pub contact: Option<Contact>,
}

/// How to reach a claimant. A claim needs at least one of the three.
#[derive(ToSchema)]
pub struct Contact {
    pub email: Option<String>,
    /// Preferably international format, `+380...`.
    pub phone: Option<String>,
    /// Postal address, free text.
    pub address: Option<String>,
}

/// The ground on which someone acts for a claimant.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityKind {
    Parent,
    Guardian,
    Lawyer,
    Heir,
    Other,
}

/// Who acts for the claimant: an account on this service, a name, or both.
#[derive(ToSchema)]
pub struct Representative {
    #[schema(value_type = Option<String>, format = Uuid)]
    pub account: Option<String>,
    #[schema(nullable = false)]
    pub name: Option<String>,
}

/// The recorded authority of a representative.
#[derive(ToSchema)]
pub struct Representation {
    pub representative: Representative,
    pub kind: AuthorityKind,
    /// Reference of the document proving the authority; the document
    /// itself is filed as evidence.
    pub document_reference: String,
    #[schema(value_type = String, format = Date)]
    pub valid_from: String,
    /// Open-ended when absent. Inclusive.
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<String>,
}

/// When the harm happened: on one day, or over a period (both ends
/// inclusive), told apart by `kind`.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum Incident {
    On(IncidentOn),
    Between(IncidentBetween),
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentOnKind {
    On,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentBetweenKind {
    Between,
}

/// Harm on one day.
#[derive(ToSchema)]
pub struct IncidentOn {
    pub kind: IncidentOnKind,
    #[schema(value_type = String, format = Date)]
    pub date: String,
}

/// Harm over a period, both ends inclusive.
#[derive(ToSchema)]
pub struct IncidentBetween {
    pub kind: IncidentBetweenKind,
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
}

/// Where the harm happened.
#[derive(ToSchema)]
pub struct Location {
    /// Region of Ukraine, ISO 3166-2:UA (`GET /v1/regions`).
    #[schema(example = "UA-32")]
    pub region: Option<String>,
    pub settlement: Option<String>,
    pub address: Option<String>,
    /// `NNNNNNNNNN:NN:NNN:NNNN`.
    #[schema(pattern = "^[0-9]{10}:[0-9]{2}:[0-9]{3}:[0-9]{4}$")]
    pub cadastral_number: Option<String>,
    /// The place was under occupation when the harm happened.
    #[schema(nullable = false)]
    pub occupied_territory: Option<bool>,
    /// ISO 3166-1 alpha-2; only for harm outside Ukraine.
    pub country: Option<String>,
}

/// One loss claimed, in the currency the claimant reckons it in.
#[derive(ToSchema)]
pub struct Loss {
    pub description: String,
    pub amount: Money,
    /// How the figure was arrived at (invoice, valuation report, estimate).
    pub valuation_basis: Option<String>,
}

/// A record in a national register the claim relies on.
#[derive(ToSchema)]
pub struct ExternalReference {
    /// Short name of the register, e.g. `drrp`.
    pub register: String,
    /// The record's id in that register.
    pub id: String,
}

/// What a panel recommends (and a Council decision decides): an award or
/// a dismissal, told apart by `outcome`.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum Outcome {
    Award(AwardOutcome),
    Dismissal(DismissalOutcome),
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AwardOutcomeKind {
    Award,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DismissalOutcomeKind {
    Dismissal,
}

/// An award of an amount.
#[derive(ToSchema)]
pub struct AwardOutcome {
    pub outcome: AwardOutcomeKind,
    pub amount: Money,
    /// Required when `amount` differs from the assessed amount.
    #[schema(nullable = false)]
    pub variation_reasons: Option<String>,
}

/// A dismissal on one or more grounds.
#[derive(ToSchema)]
pub struct DismissalOutcome {
    pub outcome: DismissalOutcomeKind,
    pub codes: Vec<DismissalCode>,
    pub text: String,
}

/// The grounds of a dismissal.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DismissalCode {
    OutsideTemporalScope,
    OutsideTerritory,
    NoCausalLink,
    NotSubstantiated,
    ClaimantNotEligible,
    NoStanding,
    DuplicateClaim,
    AlreadyCompensated,
    Other,
}

/// What the Review Committee found, told apart by `finding`.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum ReviewOutcome {
    Upheld(ReviewUpheld),
    Varied(ReviewVaried),
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpheldFinding {
    Upheld,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VariedFinding {
    Varied,
}

/// The recommendation stands.
#[derive(ToSchema)]
pub struct ReviewUpheld {
    pub finding: UpheldFinding,
    pub reasons: String,
}

/// The recommendation should be changed to this outcome.
#[derive(ToSchema)]
pub struct ReviewVaried {
    pub finding: VariedFinding,
    pub outcome: Outcome,
    pub reasons: String,
}

/// The Assembly's vote. Abstentions are recorded but are not votes cast.
#[derive(ToSchema)]
pub struct AssemblyVote {
    pub in_favour: u32,
    pub against: u32,
    #[schema(nullable = false)]
    pub abstentions: Option<u32>,
}

/// Where a claim stands (docs/register.md).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Being written; not yet filed.
    Draft,
    /// Filed and pre-screened; waiting for the secretariat.
    Submitted,
    /// The secretariat is examining it and preparing a recommendation.
    UnderReview,
    /// Waiting for the claimant to answer a request for information.
    InformationRequested,
    /// The Board found it eligible and recorded it. Final.
    Recorded,
    /// The Board found it ineligible, with reasons. Final.
    Rejected,
    /// The claimant withdrew it. Final.
    Withdrawn,
}
