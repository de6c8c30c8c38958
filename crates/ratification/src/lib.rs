//! The ratification tracker: the convention that creates the Commission.
//!
//! Owns participants, treaty actions (signatures, instruments of consent,
//! reservations, declarations, denunciations), funding pledges and
//! confirmations, the entry-into-force engine and the go-live gate that keeps
//! the Commission closed until the convention is in force.
//!
//! Plain Rust only: no axum, sqlx, tokio or I/O. Every operation is a
//! function from the record (and a `today`) to a result, so the HTTP and
//! storage layers decide where the record lives and this crate decides what
//! it means.
//!
//! - [`participant`]: who may act, and Council of Europe membership;
//! - [`action`]: the append-only record and its corrections;
//! - [`validation`]: whether a new entry may join the record;
//! - [`rule`]: the entry-into-force clause as data;
//! - [`weight`]: what consents carry toward weighted conditions, and the
//!   totals they are measured against;
//! - [`status`]: the engine that evaluates the record on a day;
//! - [`gate`]: the Commission's go-live gate and change events;
//! - [`funding`]: pledges, contributions and totals;
//! - [`seed`]: the published list of signatories and the assumed 2025
//!   budget total.

pub mod action;
pub mod funding;
pub mod gate;
pub mod participant;
pub mod rule;
pub mod seed;
pub mod status;
pub mod validation;
pub mod weight;

pub use action::{
    ActionId, ActionKind, ConsentKind, FundingDetermination, FundingDeterminationId, TreatyAction,
    UnknownActionKind, effective_actions, effective_funding_determinations,
};
pub use funding::{
    ContributionConfirmation, ContributionId, ExchangeRate, FundingError, FundingTotals, Pledge,
    PledgeError, PledgeId, funding_totals, validate_amount, validate_pledge,
};
pub use gate::{
    ConventionEvent, NewEntry, NotInForce, RevisionRefused, commission_may_act, standing_change,
    status_change,
};
pub use participant::{
    COUNCIL_OF_EUROPE_MEMBERS, InvalidParticipantCode, Participant, ParticipantCode,
    ParticipantKind,
};
pub use rule::{
    EntryIntoForceRule, PeriodRule, RD4U_2025_BUDGET, RuleError, TotalKind, WeightedCondition,
    validate_rule,
};
pub use seed::{
    CONVENTION_SIGNATURES_CSV, RD4U_2025_BUDGET_SOURCE, Seed, SeedError, parse_signatures,
    rd4u_2025_budget_total, seed_basis_totals, ukrainian_name,
};
pub use status::{
    ConventionStatus, EvaluationInput, MissingCondition, ParticipantStatus, WeightedStatus,
    evaluate,
};
pub use validation::{
    ActionError, FundingDeterminationError, validate_action, validate_funding_determination,
};
pub use weight::{
    BasisCode, BasisTotal, BasisTotalError, BasisTotalId, InvalidBasisCode, Weight, WeightError,
    WeightId, basis_total_on, effective_basis_totals, effective_weights, validate_basis_total,
    validate_weight,
};

// Dates travel as ISO 8601 calendar dates ("2026-03-01"), not as the
// (year, ordinal) tuple `time` uses by default.
time::serde::format_description!(pub(crate) date_format, Date, "[year]-[month]-[day]");
