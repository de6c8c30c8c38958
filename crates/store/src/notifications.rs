//! E-mail notices to claimants: the outbox and its sending.
//!
//! The store methods that make a change a claimant is told about (a claim
//! submitted, asked for information, recorded or rejected by the Board; a
//! final decision issued or corrected on its case; a payment recorded on
//! its award) write a notice row in their own transaction, so a notice
//! exists if and only if its change committed. A notice is written only
//! when the claim gives the claimant's e-mail address and the claimant has
//! not switched notices off; it carries the recipient and language as they
//! stood at the change, and the reference number, nothing else of the
//! claim.
//!
//! Senders lease due notices (several instances never hold the same one),
//! and record each attempt: sent once the mail server accepted it, or due
//! again later.

use crate::{AuditContext, StoreError};
use register::ClaimId;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// What a notice tells the claimant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The claim was submitted and has its reference number.
    Submitted,
    /// The secretariat asks the claimant for information.
    InformationRequested,
    /// The Board recorded the claim.
    Recorded,
    /// The Board rejected the claim.
    Rejected,
    /// The Council issued a final decision on the claim's case.
    DecisionIssued,
    /// A correcting decision replaced the final decision.
    DecisionCorrected,
    /// A payment was recorded on the claim's award.
    PaymentRecorded,
}

impl NoticeKind {
    pub const ALL: [Self; 7] = [
        Self::Submitted,
        Self::InformationRequested,
        Self::Recorded,
        Self::Rejected,
        Self::DecisionIssued,
        Self::DecisionCorrected,
        Self::PaymentRecorded,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::InformationRequested => "information_requested",
            Self::Recorded => "recorded",
            Self::Rejected => "rejected",
            Self::DecisionIssued => "decision_issued",
            Self::DecisionCorrected => "decision_corrected",
            Self::PaymentRecorded => "payment_recorded",
        }
    }

    pub fn from_text(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The notice a claim's move to `status` gives, if any (a submission
    /// gives [`NoticeKind::Submitted`] by itself).
    pub const fn of_claim_status(status: register::ClaimStatus) -> Option<Self> {
        use register::ClaimStatus as S;
        match status {
            S::Recorded => Some(Self::Recorded),
            S::Rejected => Some(Self::Rejected),
            S::InformationRequested => Some(Self::InformationRequested),
            _ => None,
        }
    }
}

/// A notice in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub id: Uuid,
    pub claim: ClaimId,
    /// The claimant's e-mail address as the claim gave it at the change.
    pub recipient: String,
    /// `uk` or `en`.
    pub language: String,
    pub kind: NoticeKind,
    /// The claim's reference number (none only for a claim never
    /// submitted, which gives no notice).
    pub reference: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// `pending`, `sent` or `failed` (given up).
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

/// How one attempt to send a notice went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// The mail server accepted the message.
    Sent,
    /// It did not; try again at `retry_at`, or give up (`None`).
    Failed {
        error: String,
        retry_at: Option<OffsetDateTime>,
    },
}

/// Whether a claimant receives notices about a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NoticeSettings {
    pub email: bool,
}

#[async_trait::async_trait]
pub trait NotificationStore {
    /// Whether notices about the claim are sent by e-mail.
    async fn notice_settings(&self, claim: ClaimId) -> Result<NoticeSettings, StoreError>;

    /// Switches e-mail notices about a claim on or off, audited when it
    /// changes anything. Notices already written are sent anyway.
    async fn set_notice_settings(
        &self,
        ctx: &AuditContext,
        claim: ClaimId,
        settings: NoticeSettings,
    ) -> Result<NoticeSettings, StoreError>;

    /// The notices written about a claim, oldest first.
    async fn claim_notices(&self, claim: ClaimId) -> Result<Vec<Notice>, StoreError>;

    /// Leases up to `limit` due notices to `worker` until now + `lease`.
    /// Notices leased by another worker whose lease has not expired are
    /// skipped.
    async fn lease_notices(
        &self,
        worker: &str,
        lease: time::Duration,
        limit: u32,
    ) -> Result<Vec<Notice>, StoreError>;

    /// Records an attempt on a notice this worker holds and releases it.
    /// `Conflict` when the lease was lost (another worker has it now).
    async fn finish_notice(
        &self,
        worker: &str,
        id: Uuid,
        outcome: SendOutcome,
    ) -> Result<(), StoreError>;
}
