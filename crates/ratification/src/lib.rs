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
//! - [`status`]: the engine that evaluates the record on a day;
//! - [`gate`]: the Commission's go-live gate and change events;
//! - [`funding`]: pledges, contributions and totals;
//! - [`seed`]: the published list of signatories.

pub mod action;
pub mod funding;
pub mod gate;
pub mod participant;
pub mod rule;
pub mod seed;
pub mod status;
pub mod validation;

pub use action::{
    ActionId, ActionKind, ConsentKind, FundingDetermination, FundingDeterminationId, TreatyAction,
    UnknownActionKind, effective_actions, effective_funding_determinations,
};
pub use funding::{
    ContributionConfirmation, ContributionId, ExchangeRate, FundingError, FundingTotals, Pledge,
    PledgeError, PledgeId, funding_totals, validate_amount, validate_pledge,
};
pub use gate::{
    ConventionEvent, NewEntry, NotInForce, commission_may_act, standing_change, status_change,
};
pub use participant::{
    COUNCIL_OF_EUROPE_MEMBERS, InvalidParticipantCode, Participant, ParticipantCode,
    ParticipantKind,
};
pub use rule::{EntryIntoForceRule, PeriodRule};
pub use seed::{CONVENTION_SIGNATURES_CSV, Seed, SeedError, parse_signatures};
pub use status::{ConventionStatus, MissingCondition, ParticipantStatus, evaluate};
pub use validation::{
    ActionError, FundingDeterminationError, validate_action, validate_funding_determination,
};

// Dates travel as ISO 8601 calendar dates ("2026-03-01"), not as the
// (year, ordinal) tuple `time` uses by default.
time::serde::format_description!(pub(crate) date_format, Date, "[year]-[month]-[day]");
