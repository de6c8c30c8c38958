//! The Commission's decisions: panels, recommendations and their votes,
//! the Council's handling of recommendations with final decision numbers,
//! corrections, the awards ledger and payment rounds.
//!
//! The rules live in `commission`; the store keeps them race-safe. Every
//! change is a conditional update on the row's version (and status), so of
//! two Council members approving the same recommendation at once exactly
//! one succeeds and the other gets [`StoreError::Conflict`]. Decision
//! numbers come from a per-year counter in the approving transaction: a
//! rolled-back approval leaves no gap.

use crate::{AuditContext, StoreError};
use commission::{
    Award, AwardId, AwardStatus, BatchId, CaseId, ClaimantKind, CorrectionReason, Decision,
    DecisionId, DecisionStatus, Outcome, Panel, PanelId, PaymentRoundId, PaymentRoundPreview,
    Recommendation, RecommendationId, RecommendationStatus,
};
use kernel::{Page, PageRequest};
use register::ClaimId;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

#[derive(Clone, Debug, PartialEq)]
pub struct PanelRecord {
    pub panel: Panel,
    /// Released batches assigned to the panel (besides its categories).
    pub batches: Vec<BatchId>,
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecommendationRecord {
    pub recommendation: Recommendation,
    pub batch_id: Option<BatchId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A decision with the case facts the registers show.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionRecord {
    pub decision: Decision,
    pub meeting_reference: Option<String>,
    /// The correcting decision that replaced this one, if any.
    pub superseded_by: Option<DecisionId>,
    pub claim_id: ClaimId,
    pub category: String,
    pub region: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AwardRecord {
    pub award: Award,
    /// The payees' bank accounts, sealed (a JSON list, one entry per payee
    /// in order, `null` for a payee without); `None` when no payee has one.
    pub bank_details: Option<crate::claims::Sealed>,
    pub claimant_kind: ClaimantKind,
    pub claim_id: ClaimId,
    pub category: String,
    pub region: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    Preview,
    Confirmed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PaymentRoundRecord {
    pub id: PaymentRoundId,
    pub status: RoundStatus,
    pub preview: PaymentRoundPreview,
    pub created_at: OffsetDateTime,
    pub confirmed_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// A Council approval: what the store needs to issue the final decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub decision: DecisionId,
    pub expected_version: i64,
    pub decided_on: Date,
    pub meeting_reference: Option<String>,
    /// The new award's id and claimant kind, if the outcome is an award.
    pub award: Option<(AwardId, ClaimantKind)>,
}

/// A correcting decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    pub id: DecisionId,
    pub previous: DecisionId,
    pub decided_on: Date,
    pub reason: CorrectionReason,
    pub explanation: String,
    pub outcome: Outcome,
    pub meeting_reference: Option<String>,
}

/// What a final decision leaves behind.
#[derive(Clone, Debug, PartialEq)]
pub struct Issued {
    pub decision: DecisionRecord,
    pub award: Option<AwardRecord>,
}

/// A decision letter as first issued: its canonical content, that
/// content's SHA-256 (hex) and its verification code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetterRecord {
    pub decision: DecisionId,
    /// The code as stored (26 symbols of Crockford's base32).
    pub code: String,
    /// The canonical content (JSON) the hash is taken over.
    pub content: String,
    pub content_hash: String,
    pub issued_at: OffsetDateTime,
}

/// A letter to keep if the decision has none yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLetter {
    pub decision: DecisionId,
    pub code: String,
    pub content: String,
    pub content_hash: String,
}

/// Filters of the recommendation list; every field narrows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecommendationFilter {
    pub status: Option<RecommendationStatus>,
    pub case: Option<CaseId>,
    pub panel: Option<PanelId>,
    pub batch: Option<BatchId>,
    /// Categories left out: the sensitive ones, for a caller without the
    /// clearance.
    pub exclude_categories: Vec<String>,
}

/// Filters of the decision list; every field narrows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecisionFilter {
    pub status: Option<DecisionStatus>,
    pub case: Option<CaseId>,
    pub category: Option<String>,
    /// Categories left out, as for [`RecommendationFilter`].
    pub exclude_categories: Vec<String>,
}

/// Filters of the awards ledger; every field narrows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwardFilter {
    pub status: Option<AwardStatus>,
    pub currency: Option<kernel::Currency>,
    pub category: Option<String>,
    /// Categories left out, as for [`RecommendationFilter`].
    pub exclude_categories: Vec<String>,
}

/// Storage of the Commission's decisions.
#[async_trait::async_trait]
pub trait DecisionStore: Send + Sync {
    async fn create_panel(
        &self,
        ctx: &AuditContext,
        panel: &Panel,
        batches: &[BatchId],
    ) -> Result<PanelRecord, StoreError>;

    /// The panels in id order (oldest first), paged.
    async fn panels(&self, page: PageRequest) -> Result<Page<PanelRecord>, StoreError>;

    async fn panel(&self, id: PanelId) -> Result<PanelRecord, StoreError>;

    /// Stores open recommendations, one per case. Each case must be
    /// `ready_for_panel` (or `assessed` outside a batch: the panel's
    /// recommendation accepts the individual assessment) and have no
    /// recommendation open or adopted; otherwise nothing is stored and the
    /// answer is [`StoreError::Conflict`].
    async fn create_recommendations(
        &self,
        ctx: &AuditContext,
        recommendations: &[Recommendation],
        batch: Option<BatchId>,
    ) -> Result<Vec<RecommendationRecord>, StoreError>;

    async fn recommendation(
        &self,
        id: RecommendationId,
    ) -> Result<RecommendationRecord, StoreError>;

    /// Recommendations matching `filter` in id order, paged.
    async fn recommendations(
        &self,
        filter: &RecommendationFilter,
        page: PageRequest,
    ) -> Result<Page<RecommendationRecord>, StoreError>;

    /// Every recommendation made on a case (open, adopted or rejected),
    /// oldest first.
    async fn case_recommendations(
        &self,
        case: CaseId,
    ) -> Result<Vec<RecommendationRecord>, StoreError>;

    /// Saves the recommendation after a vote if it is still at
    /// `expected_version`. Adopted: the case becomes `recommended` and
    /// `open` (the decision awaiting the Council) is stored. Rejected: the
    /// case is free for a new recommendation.
    async fn record_vote(
        &self,
        ctx: &AuditContext,
        recommendation: &Recommendation,
        expected_version: i64,
        open: Option<&Decision>,
    ) -> Result<RecommendationRecord, StoreError>;

    async fn decision(&self, id: DecisionId) -> Result<DecisionRecord, StoreError>;

    /// The Council's decision on a recommendation (not a correction).
    async fn decision_for_recommendation(
        &self,
        recommendation: RecommendationId,
    ) -> Result<DecisionRecord, StoreError>;

    /// Every decision on the case, oldest first.
    async fn case_decisions(&self, case: CaseId) -> Result<Vec<DecisionRecord>, StoreError>;

    /// Decisions matching `filter` in id order (oldest first), paged; the
    /// public register is those whose status is `final`.
    async fn decisions(
        &self,
        filter: &DecisionFilter,
        page: PageRequest,
    ) -> Result<Page<DecisionRecord>, StoreError>;

    /// How many final decisions there are.
    async fn final_decision_count(&self) -> Result<u64, StoreError>;

    /// A Council step other than approval (return, referral, the Review
    /// Committee's outcome, the Assembly's vote): saves `next` if the stored
    /// decision is still at `expected_version`. A return to the panel frees
    /// the case for a new recommendation.
    async fn council_step(
        &self,
        ctx: &AuditContext,
        next: &Decision,
        expected_version: i64,
        meeting_reference: Option<&str>,
    ) -> Result<DecisionRecord, StoreError>;

    /// Approval: takes the next decision number of the year, makes the
    /// decision final, the case decided, and the award (payee: the claimant)
    /// where the outcome is one. Conflict if the decision moved on.
    async fn approve(&self, ctx: &AuditContext, approval: &Approval) -> Result<Issued, StoreError>;

    /// A correcting decision superseding a final one; an award follows it.
    async fn correct(
        &self,
        ctx: &AuditContext,
        correction: &Correction,
    ) -> Result<Issued, StoreError>;

    /// The letter of a final decision, if one was issued.
    async fn letter(&self, decision: DecisionId) -> Result<LetterRecord, StoreError>;

    /// The letter a verification code (as stored) names.
    async fn letter_by_code(&self, code: &str) -> Result<LetterRecord, StoreError>;

    /// Keeps `letter` unless its decision has one already, and answers the
    /// letter kept: of two first issues at once, both answer the same one.
    /// The issuance is audited only when this letter is the one kept;
    /// `read` (who received it, as a read of the claim) always is, in the
    /// same transaction.
    async fn issue_letter(
        &self,
        ctx: &AuditContext,
        letter: &NewLetter,
        read: crate::Change,
    ) -> Result<LetterRecord, StoreError>;

    async fn award(&self, id: AwardId) -> Result<AwardRecord, StoreError>;

    async fn award_for_case(&self, case: CaseId) -> Result<AwardRecord, StoreError>;

    /// Every award, oldest first.
    async fn awards(&self) -> Result<Vec<AwardRecord>, StoreError>;

    /// Awards matching `filter` in id order (oldest first), paged.
    async fn award_page(
        &self,
        filter: &AwardFilter,
        page: PageRequest,
    ) -> Result<Page<AwardRecord>, StoreError>;

    /// Saves an award after a payment (or a payee change) if it is still
    /// at `expected_version`; `action` and `summary` go to the audit log.
    /// A payment (`action` [`PAYMENT_RECORDED`], the payment last among
    /// the award's) is also announced: a webhook event and the claimant's
    /// notice, in the same transaction.
    async fn save_award(
        &self,
        ctx: &AuditContext,
        award: &Award,
        expected_version: i64,
        action: &'static str,
        summary: serde_json::Value,
    ) -> Result<AwardRecord, StoreError>;

    /// Saves new payees with their sealed bank details (replacing the ones
    /// on file) if the award is still at `expected_version`; audited as
    /// `award.payees_changed` with `summary`, which must hold no account
    /// number.
    async fn save_award_payees(
        &self,
        ctx: &AuditContext,
        award: &Award,
        bank_details: Option<&crate::claims::Sealed>,
        expected_version: i64,
        summary: serde_json::Value,
    ) -> Result<AwardRecord, StoreError>;

    async fn create_payment_round(
        &self,
        ctx: &AuditContext,
        id: PaymentRoundId,
        preview: &PaymentRoundPreview,
    ) -> Result<PaymentRoundRecord, StoreError>;

    async fn payment_round(&self, id: PaymentRoundId) -> Result<PaymentRoundRecord, StoreError>;

    /// Payment rounds in id order (oldest first), of one status if given,
    /// paged.
    async fn payment_rounds(
        &self,
        status: Option<RoundStatus>,
        page: PageRequest,
    ) -> Result<Page<PaymentRoundRecord>, StoreError>;

    /// Confirms a previewed round: each award in it is saved payable (at its
    /// expected version) and gets its entry. Conflict if the round was
    /// confirmed already or an award changed since.
    async fn confirm_payment_round(
        &self,
        ctx: &AuditContext,
        id: PaymentRoundId,
        awards: &[(Award, i64)],
    ) -> Result<PaymentRoundRecord, StoreError>;
}

/// Text of a claimant kind.
pub fn claimant_kind_text(kind: ClaimantKind) -> &'static str {
    match kind {
        ClaimantKind::Individual => "individual",
        ClaimantKind::LegalEntity => "legal_entity",
        ClaimantKind::State => "state",
    }
}

pub fn claimant_kind_of(text: &str) -> Option<ClaimantKind> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// Text of any unit-like serde enum (status columns).
pub fn enum_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The webhook event of a final decision (an approval or a correction),
/// written to the outbox in the deciding transaction.
pub const DECISION_ISSUED: &str = "decision.issued";

/// The audit action and webhook event of a payment recorded on an award.
pub const PAYMENT_RECORDED: &str = "award.payment_recorded";

/// The `data` of [`PAYMENT_RECORDED`] for the award's latest payment: ids
/// and the date paid; no amount and no payer's reference.
pub fn payment_event(award: &Award) -> serde_json::Value {
    let payment = award.payments.last();
    serde_json::json!({
        "award_id": award.id,
        "case_id": award.case,
        "payment_id": payment.map(|p| p.id),
        "paid_on": payment.map(|p| p.paid_on.to_string()),
    })
}

/// The `data` of [`DECISION_ISSUED`]: ids, number, date and the kind of
/// outcome; no names and no amounts.
pub fn issued_event(decision: &Decision) -> serde_json::Value {
    serde_json::json!({
        "decision_id": decision.id,
        "case_id": decision.case,
        "number": decision.number,
        "decided_on": decision.decided_on.map(|d| d.to_string()),
        "outcome": match decision.outcome {
            Outcome::Award { .. } => "award",
            Outcome::Dismissal { .. } => "dismissal",
        },
        "supersedes": decision.supersedes.as_ref().map(|s| s.decision),
    })
}

fn refused(e: impl std::fmt::Display) -> StoreError {
    StoreError::Conflict(e.to_string())
}

/// The decision after approval with `number` (the domain's rule).
pub fn approved(
    decision: &Decision,
    number: commission::DecisionNumber,
    decided_on: Date,
) -> Result<Decision, StoreError> {
    decision
        .apply(commission::CouncilAction::Approve { number, decided_on })
        .map_err(refused)
}

/// The award a final decision creates, if it awards anything.
pub fn award_of(decision: &Decision, id: AwardId) -> Result<Option<Award>, StoreError> {
    match decision.outcome.amount() {
        Some(amount) => Award::new(
            id,
            decision.case,
            decision.id,
            amount,
            commission::Payees::claimant(),
        )
        .map(Some)
        .map_err(refused),
        None => Ok(None),
    }
}

/// The correcting decision (the domain's rule).
pub fn corrected(
    previous: &Decision,
    c: &Correction,
    number: commission::DecisionNumber,
) -> Result<Decision, StoreError> {
    previous
        .correct(
            c.id,
            number,
            c.decided_on,
            c.reason,
            &c.explanation,
            c.outcome.clone(),
        )
        .map_err(refused)
}

/// The award after a correction: re-pointed, or new if there was none.
pub fn award_after_correction(
    existing: Option<Award>,
    decision: &Decision,
) -> Result<Option<Award>, StoreError> {
    match (existing, decision.outcome.amount()) {
        (Some(mut award), Some(amount)) => {
            award
                .apply_correction(decision.id, amount)
                .map_err(refused)?;
            Ok(Some(award))
        }
        (None, Some(_)) => award_of(decision, AwardId::new()),
        (Some(_), None) => Err(StoreError::Conflict(
            "an award cannot be corrected into a dismissal".into(),
        )),
        (None, None) => Ok(None),
    }
}
