//! The Claims Commission: review, assessment and decision of recorded claims.
//!
//! Owns cases, valuation rules and their evaluation, assessments with their
//! breakdowns, mass-claims batches and sampling, recommendations, decisions,
//! awards and payment rounds.
//!
//! Plain Rust only: no axum, sqlx, tokio or I/O. Whether the Commission may
//! act at all is decided by the `ratification` crate's go-live gate.
//!
//! # Map
//! - [`case`]: a recorded claim's path through the Commission.
//! - [`rule`]: valuation rules as versioned data, and the family cap.
//! - [`assessment`]: applying a rule to a case, with a breakdown anyone can
//!   recompute.
//! - [`rate_book`]: which recorded exchange rate answers for a valuation
//!   date.
//! - [`batch`]: mass-claims batches, reproducible samples and the review
//!   plan's defaults, review findings, the release decision and the
//!   cross-category duplicate guard.
//! - [`four_eyes`]: who may not review, recommend or vote on a case.
//! - [`panel`]: panels, recommendations and the panel vote.
//! - [`decision`]: the Council's handling of a recommendation, decision
//!   numbers and corrections.
//! - [`award`]: the awards ledger: payees and payments.
//! - [`bank`]: payees' bank accounts (IBAN and BIC) and their masked form.
//! - [`transfer`]: the credit transfers a confirmed payment round orders.
//! - [`payment_round`]: sharing out an available amount among awards.
//! - [`letter`]: the verification code printed on a decision letter.
//!
//! Every error type implements [`ErrorCode`]: a stable snake_case code the
//! HTTP layer can turn into a problem-details `type`.

pub mod assessment;
pub mod award;
pub mod bank;
pub mod batch;
pub mod case;
pub mod decision;
pub mod four_eyes;
pub mod letter;
pub mod panel;
pub mod payment_round;
pub mod rate_book;
pub mod rule;
pub mod transfer;

mod apportion;
pub mod iso_date;

pub use assessment::{
    Assessment, AssessmentError, AssessmentId, AssessmentInputs, Conversion, ManualEntry, Operand,
    Operation, RateLookup, RecomputeError, RecordedRate, RecordedRates, Routing, Step,
    ThresholdCheck, assess, recompute, route, valuation_date,
};
pub use award::{
    Award, AwardError, AwardId, AwardStatus, Heir, MAX_HEIRS, PayeeError, Payees, Payment,
    PaymentId,
};
pub use bank::{BankAccount, BankAccountError, GivenBankAccount, MaskedBankAccount};
pub use batch::{
    BatchAction, BatchError, BatchId, BatchStatus, ClaimantKey, DuplicateFlag, Finding,
    ReleaseDecision, ReviewPlan, SampleFinding, SamplingPlan, batch_release_decision,
    check_findings, draw_sample, ensure_duplicates_resolved, flag_cross_category_duplicates,
    sample_error_rate, sample_size,
};
pub use case::{CaseAction, CaseId, CaseStatus, IllegalCaseTransition};
pub use decision::{
    AssemblyVote, CorrectionReason, CouncilAction, Decision, DecisionError, DecisionId,
    DecisionNumber, DecisionNumberError, DecisionStatus, ReviewOutcome, Supersession, in_force,
};
pub use four_eyes::{BarredAct, CaseInvolvement, ConflictOfInterest, Involvement};
pub use letter::{MalformedCode, VerificationCode};
pub use panel::{
    CaseForPanel, DismissalCode, Outcome, Panel, PanelError, PanelId, Recommendation,
    RecommendationError, RecommendationId, RecommendationStatus, Vote, VoteChoice, VoteError,
    VoteTally,
};
pub use payment_round::{
    ClaimantKind, OutstandingAward, PaymentRoundError, PaymentRoundId, PaymentRoundPreview,
    RemainderRule, RoundLine, RoundPolicy, compute_round,
};
pub use rate_book::{RATE_LOOKBACK_DAYS, RateBook};
pub use rule::{
    Factor, FamilyCapError, FamilyCapOutcome, FamilyMember, FamilyShare, RegionCode, RuleDraft,
    RuleError, RuleKind, RuleRef, ValuationDate, ValuationRule, apply_family_cap,
};
pub use transfer::{
    BlockReason, BlockedPart, RoundAward, Transfer, TransferError, TransferPlan, end_to_end_id,
    plan_transfers,
};

/// A stable, machine-readable name for an error, e.g. `already_voted`.
///
/// Codes are part of the API contract: the HTTP layer derives problem
/// `type` URIs from them, so a code is never renamed once published.
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}
