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
    /// The language the claimant is written to in (e-mail notices);
    /// absent: Ukrainian.
    #[schema(nullable = false)]
    pub language: Option<Language>,
}

/// A language the Register writes to claimants in: Ukrainian or English.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Uk,
    En,
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
pub enum PanelOutcome {
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
    pub outcome: PanelOutcome,
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

/// Who receives an award's payments, told apart by `payee`.
#[derive(ToSchema)]
#[serde(untagged)]
#[schema(example = json!({"payee": "heirs", "heirs": [
    {"name": "Iryna Kovalenko", "share": "0.5"},
    {"name": "Petro Kovalenko", "share": "0.5"}
]}))]
pub enum Payees {
    Claimant(PayeeClaimant),
    Representative(PayeeRepresentative),
    Heirs(PayeeHeirs),
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimantPayee {
    Claimant,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RepresentativePayee {
    Representative,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeirsPayee {
    Heirs,
}

/// The claimant in person.
#[derive(ToSchema)]
pub struct PayeeClaimant {
    pub payee: ClaimantPayee,
    /// The account to pay into (ISO 13616; spaces allowed), given with
    /// `bic`. Shown masked (`UA21 **** **** 6001`) except to whoever
    /// manages payments. Without it the payee is blocked from payment
    /// files.
    #[schema(nullable = false, example = "UA213223130000026007233566001")]
    pub iban: Option<String>,
    /// The BIC of the bank keeping the account (8 or 11 characters, ISO
    /// 9362), of the IBAN's country. Shown masked (`PBANUA**`) except to
    /// whoever manages payments.
    #[schema(nullable = false, example = "PBANUA2X")]
    pub bic: Option<String>,
}

/// A representative whose authority the Register recorded.
#[derive(ToSchema)]
pub struct PayeeRepresentative {
    pub payee: RepresentativePayee,
    pub name: String,
    #[schema(value_type = Option<String>, format = Uuid, nullable = false)]
    pub account: Option<String>,
    /// The account to pay into (ISO 13616; spaces allowed), given with
    /// `bic`. Shown masked (`UA21 **** **** 6001`) except to whoever
    /// manages payments. Without it the payee is blocked from payment
    /// files.
    #[schema(nullable = false, example = "UA213223130000026007233566001")]
    pub iban: Option<String>,
    /// The BIC of the bank keeping the account (8 or 11 characters, ISO
    /// 9362), of the IBAN's country. Shown masked (`PBANUA**`) except to
    /// whoever manages payments.
    #[schema(nullable = false, example = "PBANUA2X")]
    pub bic: Option<String>,
}

/// The claimant's heirs, in shares summing to exactly 1.
#[derive(ToSchema)]
pub struct PayeeHeirs {
    pub payee: HeirsPayee,
    pub heirs: Vec<Heir>,
}

/// An heir and the share of the award due to them.
#[derive(ToSchema)]
pub struct Heir {
    pub name: String,
    #[schema(value_type = Option<String>, format = Uuid, nullable = false)]
    pub account: Option<String>,
    /// Greater than 0 and at most 1, as a decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", example = "0.5")]
    pub share: String,
    /// The account to pay into (ISO 13616; spaces allowed), given with
    /// `bic`. Shown masked (`UA21 **** **** 6001`) except to whoever
    /// manages payments. Without it the payee is blocked from payment
    /// files.
    #[schema(nullable = false, example = "UA213223130000026007233566001")]
    pub iban: Option<String>,
    /// The BIC of the bank keeping the account (8 or 11 characters, ISO
    /// 9362), of the IBAN's country. Shown masked (`PBANUA**`) except to
    /// whoever manages payments.
    #[schema(nullable = false, example = "PBANUA2X")]
    pub bic: Option<String>,
}

/// How the payees' bank details are shown.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BankDetailsShown {
    /// As given: to whoever manages payments.
    Full,
    /// `UA21 **** **** 6001`, `PBANUA**`: to everyone else.
    Masked,
}

/// A payment reported on an award.
#[derive(ToSchema)]
pub struct Payment {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub amount: Money,
    #[schema(value_type = String, format = Date)]
    pub paid_on: String,
    /// The payer's reference (fund transfer id, payment round and tranche).
    pub reference: String,
}

/// Where an award stands.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AwardStatus {
    /// Decided; not yet cleared for payment.
    Awarded,
    /// Cleared for payment; nothing paid.
    Payable,
    /// Some paid, some outstanding.
    PartiallyPaid,
    /// Nothing outstanding.
    Paid,
    /// A balance is outstanding but the payee cannot be reached.
    PayeeUnreachable,
}

/// The kind of claimant an award is owed to (payment rounds pay
/// individuals first).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimantKind {
    Individual,
    LegalEntity,
    State,
}

/// How the money left after the priority tier is shared out, told apart by
/// `rule`.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum RemainderRule {
    ProRata(RemainderProRata),
    Tiers(RemainderTiers),
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProRataRule {
    ProRata,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TiersRule {
    Tiers,
}

/// Pro rata to the outstanding balances.
#[derive(ToSchema)]
pub struct RemainderProRata {
    pub rule: ProRataRule,
}

/// Every award brought up to each ceiling in turn (ascending, counting
/// earlier payments), then pro rata to what is still outstanding.
#[derive(ToSchema)]
pub struct RemainderTiers {
    pub rule: TiersRule,
    pub ceilings: Vec<Money>,
}

/// The rules of a payment round.
#[derive(ToSchema)]
pub struct RoundPolicy {
    /// Each award to an individual is first paid up to this amount.
    #[schema(nullable = false)]
    pub priority_amount: Option<Money>,
    pub remainder: RemainderRule,
}

/// What one award receives in a payment round.
#[derive(ToSchema)]
pub struct RoundLine {
    #[schema(value_type = String, format = Uuid)]
    pub award: String,
    pub claimant_kind: ClaimantKind,
    pub outstanding_before: Money,
    /// Paid from the priority tier.
    pub priority: Money,
    /// Paid from the tiers and the pro rata remainder.
    pub general: Money,
    /// `priority + general`.
    pub amount: Money,
    pub outstanding_after: Money,
}

/// A computed payment round.
#[derive(ToSchema)]
pub struct PaymentRoundPreview {
    pub available: Money,
    pub policy: RoundPolicy,
    /// One line per award, in award-id order.
    pub lines: Vec<RoundLine>,
    pub total: Money,
    pub unspent: Money,
    /// Whether every individual received the full priority amount due.
    pub priority_tier_complete: bool,
}

/// Where a payment round stands.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    Preview,
    Confirmed,
}

/// Which day's exchange rate converts a claimed amount into the award
/// currency: `incident_date` (default), `submission_date`, or
/// `{"fixed": "YYYY-MM-DD"}`.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValuationDate {
    IncidentDate,
    SubmissionDate,
    #[schema(value_type = String, format = Date)]
    Fixed(String),
}

/// A multiplier applied to a per-unit amount: depreciation, condition, a
/// partial-damage degree.
#[derive(ToSchema)]
pub struct Factor {
    pub name: String,
    /// A decimal string.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "0.8")]
    pub value: String,
}

macro_rules! kind_tag {
    ($name:ident, $value:ident) => {
        #[derive(ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $value,
        }
    };
}

kind_tag!(FixedKind, Fixed);
kind_tag!(PerUnitKind, PerUnit);
kind_tag!(ClaimedWithCapKind, ClaimedWithCap);
kind_tag!(ThresholdKind, Threshold);
kind_tag!(ManualKind, Manual);

/// The kinds of valuation rule, named by `kind`, each an object of its own
/// with the fields every kind of that rule has (`$field`).
macro_rules! rule_kinds {
    (
        $(#[$meta:meta])* $name:ident
        [$fixed:ident, $per_unit:ident, $claimed:ident, $threshold:ident, $manual:ident]
        { $($field:tt)* }
    ) => {
        #[derive(ToSchema)]
        $(#[$meta])*
        #[serde(untagged)]
        pub enum $name {
            Fixed($fixed),
            PerUnit($per_unit),
            ClaimedWithCap($claimed),
            Threshold($threshold),
            Manual($manual),
        }

        /// A fixed sum per claimant; the optional family cap limits the
        /// total over one family group's claims.
        #[derive(ToSchema)]
        pub struct $fixed {
            pub kind: FixedKind,
            $($field)*
            pub per_claimant: Money,
            #[schema(nullable = false)]
            pub family_cap: Option<Money>,
        }

        /// A rate per unit of a quantity from the claim's fields,
        /// optionally per region (ISO 3166-2:UA), times each factor, then
        /// capped.
        #[derive(ToSchema)]
        pub struct $per_unit {
            pub kind: PerUnitKind,
            $($field)*
            /// The quantity's name, e.g. `floor_area_m2`.
            pub unit: String,
            pub rate: Money,
            #[schema(nullable = false)]
            pub regional_rates: Option<BTreeMap<String, Money>>,
            #[schema(nullable = false)]
            pub factors: Option<Vec<Factor>>,
            #[schema(nullable = false)]
            pub cap: Option<Money>,
        }

        /// A share of the substantiated claimed amount, converted into the
        /// award currency, then capped.
        #[derive(ToSchema)]
        pub struct $claimed {
            pub kind: ClaimedWithCapKind,
            $($field)*
            /// Between 0 and 1, a decimal string.
            #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", example = "0.6")]
            pub accepted_share: String,
            #[schema(nullable = false)]
            pub cap: Option<Money>,
        }

        /// Claims whose claimed total is above `limit` are assessed
        /// individually; those at or below it in batches with `below`.
        #[derive(ToSchema)]
        pub struct $threshold {
            pub kind: ThresholdKind,
            $($field)*
            pub limit: Money,
            #[schema(no_recursion)]
            pub below: Box<RuleKind>,
        }

        /// An assessor enters the amount with a justification.
        #[derive(ToSchema)]
        pub struct $manual {
            pub kind: ManualKind,
            $($field)*
        }
    };
}

rule_kinds!(
    /// How an amount is computed, named by `kind`.
    RuleKind [RuleFixed, RulePerUnit, RuleClaimedWithCap, RuleThreshold, RuleManual] {}
);

rule_kinds!(
    /// One version of a category's valuation rule: how its amounts are
    /// computed (named by `kind`), in the award currency.
    #[schema(example = json!({
        "category": "A3.1", "version": 1, "kind": "per_unit", "unit": "floor_area_m2",
        "rate": {"amount": "600.00", "currency": "EUR"},
        "cap": {"amount": "150000.00", "currency": "EUR"},
        "valuation_date": "incident_date", "currency": "EUR"
    }))]
    ValuationRule [
        ValuationRuleFixed, ValuationRulePerUnit, ValuationRuleClaimedWithCap,
        ValuationRuleThreshold, ValuationRuleManual
    ] {
        /// The Register's category code, e.g. `A3.1`.
        pub category: String,
        /// 1 for the first version of the category's rule.
        pub version: u32,
        #[schema(nullable = false)]
        pub valuation_date: Option<ValuationDate>,
        /// The award currency (default `EUR`); every amount in the rule is in it.
        #[schema(pattern = "^[A-Z]{3}$", nullable = false)]
        pub currency: Option<String>,
    }
);

rule_kinds!(
    /// A valuation rule as its author writes it: everything but the
    /// version, which the server assigns (the next of the category).
    #[schema(example = json!({
        "category": "A3.1", "kind": "per_unit", "unit": "floor_area_m2",
        "rate": {"amount": "600.00", "currency": "EUR"},
        "cap": {"amount": "150000.00", "currency": "EUR"},
        "valuation_date": "incident_date", "currency": "EUR"
    }))]
    RuleDraft [
        RuleDraftFixed, RuleDraftPerUnit, RuleDraftClaimedWithCap,
        RuleDraftThreshold, RuleDraftManual
    ] {
        /// The Register's category code, e.g. `A3.1`.
        pub category: String,
        #[schema(nullable = false)]
        pub valuation_date: Option<ValuationDate>,
        /// The award currency (default `EUR`); every amount in the rule is in it.
        #[schema(pattern = "^[A-Z]{3}$", nullable = false)]
        pub currency: Option<String>,
    }
);

/// The amount an assessor enters where a rule leaves the figure to judgment.
#[derive(ToSchema)]
pub struct ManualEntry {
    pub amount: Money,
    pub justification: String,
}

/// What a case brought to its assessment.
#[derive(ToSchema)]
pub struct AssessmentInputs {
    /// Substantiated claimed losses, each in the currency it was claimed in.
    pub claimed: Vec<Money>,
    /// Quantities from the category's fields, by unit (`"m2": "84.5"`), as
    /// decimal strings.
    pub quantities: BTreeMap<String, String>,
    #[schema(nullable = false)]
    pub region: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub incident_date: String,
    #[schema(value_type = String, format = Date)]
    pub submission_date: String,
    #[schema(nullable = false)]
    pub manual: Option<ManualEntry>,
}

/// A conversion an assessment used.
#[derive(ToSchema)]
pub struct Conversion {
    #[schema(pattern = "^[A-Z]{3}$")]
    pub from: String,
    #[schema(pattern = "^[A-Z]{3}$")]
    pub to: String,
    /// Units of `to` per unit of `from`, a decimal string.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub rate: String,
    /// The valuation date the rule asked for.
    #[schema(value_type = String, format = Date)]
    pub valuation_date: String,
    /// The date of the rate the lookup returned.
    #[schema(value_type = String, format = Date)]
    pub rate_date: String,
    pub source: String,
}

/// What a step does with its operands.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Input,
    Sum,
    Multiply,
    Convert,
    Min,
    Round,
}

/// An operand of a step: `{"step": N}` (an earlier step's result),
/// `{"amount": Money}`, `{"factor": "0.8"}` or
/// `{"rate": {"from", "to", "rate"}}`.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    Step(u32),
    Amount(Money),
    Factor(String),
    Rate(OperandRate),
}

/// An exchange rate as a step's operand.
#[derive(ToSchema)]
pub struct OperandRate {
    #[schema(pattern = "^[A-Z]{3}$")]
    pub from: String,
    #[schema(pattern = "^[A-Z]{3}$")]
    pub to: String,
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub rate: String,
}

/// One line of an assessment's breakdown.
#[derive(ToSchema)]
pub struct Step {
    /// What the step means, in words, e.g. "Accepted share (80%)".
    pub label: String,
    pub operation: Operation,
    pub operands: Vec<Operand>,
    /// At full precision, except for the final rounding step.
    pub result: Money,
}

/// Whether a case is assessed in a batch or on its own.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    Batch,
    Individual,
}

/// The comparison a threshold rule made.
#[derive(ToSchema)]
pub struct ThresholdCheck {
    /// The claimed total in the award currency, at full precision.
    pub claimed_total: Money,
    pub limit: Money,
}

/// A case's assessment, with everything needed to recompute it.
#[derive(ToSchema)]
pub struct Assessment {
    /// The rule version applied, as it was.
    pub rule: ValuationRule,
    pub inputs: AssessmentInputs,
    pub routing: Routing,
    #[schema(nullable = false)]
    pub threshold: Option<ThresholdCheck>,
    pub breakdown: Vec<Step>,
    pub conversions: Vec<Conversion>,
    /// Rounded to the award currency's minor unit.
    pub result: Money,
}

/// Why the batch job could not assess a case: a stable `code`, a message,
/// and for a missing rate the pair and date.
#[derive(ToSchema)]
pub struct AssessmentError {
    pub code: String,
    pub message: String,
    #[schema(nullable = false)]
    pub currency: Option<String>,
    #[schema(nullable = false)]
    pub to: Option<String>,
    #[schema(value_type = Option<String>, format = Date, nullable = false)]
    pub date: Option<String>,
}

/// How a panel member voted.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VoteChoice {
    InFavour,
    Against,
    Abstain,
}

/// A panel member's vote.
#[derive(ToSchema)]
pub struct Vote {
    #[schema(value_type = String, format = Uuid)]
    pub member: String,
    pub choice: VoteChoice,
}

/// Where a recommendation's vote stands.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationStatus {
    /// Voting is open.
    Open,
    /// A majority of members voted in favour; it goes to the Council.
    Adopted,
    /// A majority in favour can no longer be reached.
    Rejected,
}

/// Where a Council decision stands (docs/commission.md).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    AwaitingCouncil,
    WithReviewCommittee,
    ReviewedByCommittee,
    WithAssembly,
    AdoptedByAssembly,
    Final,
    ReturnedToPanel,
    RejectedByAssembly,
}

/// Why a final decision was corrected.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionReason {
    ClericalError,
    ComputationalError,
}

/// The link from a correcting decision to the one it replaces.
#[derive(ToSchema)]
pub struct Supersession {
    #[schema(value_type = String, format = Uuid)]
    pub decision: String,
    #[schema(example = "ICC-DEC-2027-000001")]
    pub number: String,
    pub reason: CorrectionReason,
    pub explanation: String,
}

/// One step of a decision's course through the Council, named by `action`.
#[derive(ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CouncilAction {
    /// The decision became final under `number`.
    Approve {
        #[schema(example = "ICC-DEC-2027-000001")]
        number: String,
        #[schema(value_type = String, format = Date)]
        decided_on: String,
    },
    ReturnToPanel {
        reasons: String,
    },
    ReferToReviewCommittee {
        grounds: String,
    },
    RecordReviewOutcome {
        outcome: ReviewOutcome,
    },
    ReferToAssembly {
        grounds: String,
    },
    RecordAssemblyVote {
        vote: AssemblyVote,
    },
}

/// What a reviewer found on a sampled case, named by `finding`.
#[derive(ToSchema)]
#[serde(tag = "finding", rename_all = "snake_case")]
#[schema(example = json!({"finding": "corrected", "amount": {"amount": "61200.00", "currency": "EUR"}, "reason": "Floor area is 102 m², not 112.5."}))]
pub enum Finding {
    /// The assessment stands.
    Confirmed {},
    /// The assessment was wrong; this is the right amount.
    Corrected { amount: Money, reason: String },
}

/// `confirmed` or `corrected`.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Confirmed,
    Corrected,
}

/// A review finding on a sampled case: for `corrected`, the right amount
/// and why.
#[derive(ToSchema)]
pub struct SampleFinding {
    #[schema(value_type = String, format = Uuid)]
    pub case: String,
    #[schema(value_type = String, format = Uuid)]
    pub reviewer: String,
    pub finding: FindingKind,
    #[schema(nullable = false)]
    pub amount: Option<Money>,
    #[schema(nullable = false)]
    pub reason: Option<String>,
}

/// The cases a batch was selected from; every field narrows it.
#[derive(ToSchema)]
pub struct CaseFilter {
    #[schema(nullable = false)]
    pub status: Option<String>,
    #[schema(nullable = false)]
    pub category: Option<String>,
    #[schema(nullable = false)]
    pub region: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid, nullable = false)]
    pub assignee: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid, nullable = false)]
    pub batch: Option<String>,
    /// Claimed amount range; both bounds in `currency`, inclusive.
    #[schema(pattern = "^[A-Z]{3}$", nullable = false)]
    pub currency: Option<String>,
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$", nullable = false)]
    pub min_amount: Option<String>,
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$", nullable = false)]
    pub max_amount: Option<String>,
    /// Categories left out for a caller without the clearance.
    #[schema(nullable = false)]
    pub exclude_categories: Option<Vec<String>>,
}

/// Who may claim in a category.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimantType {
    NaturalPerson,
    LegalEntity,
    State,
}

/// Whether a category accepts claims.
#[derive(ToSchema)]
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

/// The kind of answer a category's form field takes.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Date,
    Decimal,
    Integer,
    Boolean,
    Relationship,
    Choice,
    Country,
}

/// One field of a category's form (`category_fields` of a claim).
#[derive(ToSchema)]
pub struct FieldSpec {
    /// Key in `category_fields`, snake_case.
    pub name: String,
    pub kind: FieldKind,
    pub label_en: String,
    #[schema(nullable = false)]
    pub label_uk: Option<String>,
    /// Whether submission needs it (default true).
    #[schema(nullable = false)]
    pub required: Option<bool>,
    /// Allowed values of a `choice` field.
    #[schema(nullable = false)]
    pub options: Option<Vec<String>>,
}

/// The fields of a category, with `$extra` fields after them.
macro_rules! category {
    ($(#[$meta:meta])* $name:ident { $($extra:tt)* }) => {
        #[derive(ToSchema)]
        $(#[$meta])*
        pub struct $name {
            #[schema(example = "A3.1")]
            pub code: String,
            pub claimant_type: ClaimantType,
            pub name_en: String,
            pub name_uk: Option<String>,
            pub status: CategoryStatus,
            /// First day claims were (or will be) accepted, where known.
            #[schema(value_type = Option<String>, format = Date)]
            pub opened_on: Option<String>,
            /// Claims need need-to-know access.
            pub sensitive: bool,
            /// The harm may have happened outside Ukraine.
            #[schema(nullable = false)]
            pub harm_abroad_allowed: Option<bool>,
            /// A claim must state at least one loss with an amount.
            #[schema(nullable = false)]
            pub losses_required: Option<bool>,
            /// The claim is about occupied territory by definition.
            #[schema(nullable = false)]
            pub occupied_territory_required: Option<bool>,
            /// Last day claims are accepted, if one has been set.
            #[schema(value_type = Option<String>, format = Date)]
            pub filing_deadline: Option<String>,
            #[schema(nullable = false)]
            pub required_fields: Option<Vec<FieldSpec>>,
            #[schema(nullable = false)]
            pub notes: Option<String>,
            $($extra)*
        }
    };
}

category!(
    /// A category of the Register's catalogue, as an admin puts it.
    #[schema(example = json!({
        "code": "A3.1", "claimant_type": "natural_person",
        "name_en": "Damage to or destruction of residential property",
        "status": "open", "sensitive": false, "losses_required": true,
        "required_fields": [{"name": "floor_area_m2", "kind": "decimal", "label_en": "Floor area (m²)"}]
    }))]
    Category {}
);

category!(
    /// A category of the Register's catalogue with its version (its ETag).
    CategoryView {
        pub version: i64,
    }
);

/// What kind of region.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    Oblast,
    /// A city with special status (Kyiv, Sevastopol).
    City,
    /// The Autonomous Republic of Crimea.
    Republic,
}

/// A region of Ukraine.
#[derive(ToSchema)]
pub struct Region {
    /// ISO 3166-2:UA.
    #[schema(example = "UA-32")]
    pub code: String,
    pub name_en: String,
    pub kind: RegionKind,
}

/// The fields of a webhook subscription, with `$extra` fields after them.
macro_rules! subscription {
    ($(#[$meta:meta])* $name:ident { $($extra:tt)* }) => {
        #[derive(ToSchema)]
        $(#[$meta])*
        pub struct $name {
            #[schema(value_type = String, format = Uuid)]
            pub id: String,
            pub url: String,
            pub event_types: Vec<String>,
            pub description: Option<String>,
            /// Events about sensitive claims are delivered to it.
            pub include_sensitive: bool,
            pub enabled: bool,
            #[schema(value_type = Option<String>, format = Uuid)]
            pub created_by: Option<String>,
            #[schema(value_type = String, format = DateTime)]
            pub created_at: String,
            #[schema(value_type = Option<String>, format = DateTime)]
            pub disabled_at: Option<String>,
            pub version: i64,
            $($extra)*
        }
    };
}

subscription!(
    /// A webhook subscription (never with its secret).
    Subscription {}
);

subscription!(
    /// A subscription with its signing secret, shown only here.
    CreatedSubscription {
        /// `whsec_` + base64 of the HMAC key. Keep it: it is not shown again.
        pub secret: String,
    }
);

/// One attempt to deliver an event.
#[derive(ToSchema)]
pub struct DeliveryAttempt {
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A line of the delivery log.
#[derive(ToSchema)]
pub struct Delivery {
    #[schema(value_type = String, format = Uuid)]
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed` (gave up).
    pub status: String,
    pub attempts: i32,
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: String,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// One entry of the audit log's hash chain.
#[derive(ToSchema)]
pub struct AuditEntry {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    /// Position in the chain: 1 for the first entry, no gaps.
    pub seq: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// What changed, by action (free-form JSON).
    pub summary: serde_json::Value,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// Hash of the previous entry, lowercase hex.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub prev_hash: String,
    /// `SHA-256(prev_hash || canonical content)`, lowercase hex.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub hash: String,
}

/// Claims counted by status, category, region and month of submission;
/// claims without a category or region count under `none`.
#[derive(ToSchema)]
pub struct ClaimCounts {
    pub total: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_category: BTreeMap<String, i64>,
    pub by_region: BTreeMap<String, i64>,
    /// By `YYYY-MM` (UTC).
    pub by_submission_month: BTreeMap<String, i64>,
}

/// How long a step took over a set of claims (continuous percentiles).
#[derive(ToSchema)]
pub struct DurationStats {
    pub count: i64,
    pub median_seconds: f64,
    pub p90_seconds: f64,
}

/// Processing times of one category.
#[derive(ToSchema)]
pub struct CategoryTimes {
    /// From submission to the Board's recording.
    pub to_recording: Option<DurationStats>,
    /// From submission to the Board's decision.
    pub to_decision: Option<DurationStats>,
}

/// The claims waiting in one status.
#[derive(ToSchema)]
pub struct Backlog {
    pub count: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub oldest_submitted_at: Option<String>,
}

/// Processing times by category, and the backlog by status.
#[derive(ToSchema)]
pub struct ProcessingReport {
    pub by_category: BTreeMap<String, CategoryTimes>,
    pub backlog: BTreeMap<String, Backlog>,
}

/// A kind of consent to be bound by the convention.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    Ratification,
    Acceptance,
    Approval,
    Accession,
}

/// Against which total a weighted condition's share is measured.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TotalKind {
    /// The basis total as recorded.
    Recorded,
    /// The sum over every participant's weight.
    AllParticipants,
}

/// A condition on the weight of the consenting participants.
#[derive(ToSchema)]
pub struct WeightedCondition {
    pub basis: String,
    /// The share to reach, a decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", example = "0.5")]
    pub share: String,
    #[schema(nullable = false)]
    pub total: Option<TotalKind>,
}

/// When the convention enters into force once its conditions are met,
/// named by `type`.
#[derive(ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PeriodRule {
    FirstDayOfMonthAfter { months: u32 },
    DaysAfter { days: u32 },
    MonthsAfter { months: u32 },
    FirstDayOfMonthAfterDays { days: u32 },
}

/// The entry-into-force rule, as data.
#[derive(ToSchema)]
pub struct EntryIntoForceRule {
    pub threshold: u32,
    pub counting_consents: Vec<ConsentKind>,
    pub organisations_count: bool,
    #[schema(nullable = false)]
    pub min_council_of_europe_members: Option<u32>,
    pub requires_funding_determination: bool,
    #[schema(nullable = false)]
    pub weighted: Option<Vec<WeightedCondition>>,
    pub accession_open: bool,
    pub period: PeriodRule,
}

/// A change in the convention's standing, named by `event`.
#[derive(ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ConventionEvent {
    /// The convention is now in force.
    EnteredIntoForce {
        #[schema(value_type = String, format = Date)]
        on: String,
    },
    /// A correction of the record shows the convention was not in force
    /// after all.
    NoLongerInForce {
        #[schema(value_type = Option<String>, format = Date)]
        previous_date: Option<String>,
    },
    /// The (projected) date of entry into force appeared, moved or lapsed.
    EntryIntoForceDateChanged {
        #[schema(value_type = Option<String>, format = Date)]
        previous: Option<String>,
        #[schema(value_type = Option<String>, format = Date)]
        current: Option<String>,
    },
    /// A correction dated before an entry into force already reached moved
    /// or undid it.
    StandingRevised {
        #[schema(value_type = Option<String>, format = Date)]
        previous: Option<String>,
        #[schema(value_type = Option<String>, format = Date)]
        current: Option<String>,
        /// Whether the convention is in force on the revised record.
        in_force: bool,
    },
    /// A state or organisation joined the record.
    ParticipantAdded { participant: String },
}

/// Where a Commission case stands (docs/commission.md).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    AwaitingAssessment,
    Assigned,
    Assessed,
    ReadyForPanel,
    Recommended,
    Decided,
}

/// What may be done with a case in its status.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseAction {
    Assign,
    Unassign,
    RecordAssessment,
    AcceptAssessment,
    ReturnForReassessment,
    Recommend,
    ReturnToPanel,
    Decide,
}

/// Where a batch stands.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Selected,
    Assessing,
    Assessed,
    InReview,
    Released,
    Returned,
}

/// What a batch's sample decided.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseDecision {
    Release,
    ReturnForReassessment,
}
