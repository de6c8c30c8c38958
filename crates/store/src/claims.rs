//! The Register's records: the category catalogue, claims and their
//! workflow, duplicate flags, and messages between staff and claimants.

use crate::{AuditContext, ChangeEpoch, KeptAnswer, StoreError};
use kernel::id::AccountId;
use kernel::{Page, PageRequest};
use register::{
    Category, ClaimId, ClaimStatus, DuplicateFlagId, DuplicateKeys, DuplicateMatch, Region,
};
use serde::Serialize;
use time::{Date, OffsetDateTime};

/// A catalogue entry with its version (the ETag for admin edits).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryRecord {
    #[serde(flatten)]
    pub category: Category,
    pub version: i64,
}

/// The encrypted part of a sensitive claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

/// A claim as stored. `content` is the claim's JSON (a
/// `register::ClaimDraft`) without the sealed parts of a sensitive claim.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimRecord {
    pub id: ClaimId,
    pub filed_by: AccountId,
    pub status: ClaimStatus,
    pub category: Option<String>,
    pub reference: Option<String>,
    pub sensitive: bool,
    pub content: serde_json::Value,
    pub sealed: Option<Sealed>,
    pub claimant_name: Option<String>,
    pub region: Option<String>,
    pub totals: serde_json::Value,
    pub duplicate_flagged: bool,
    pub recommendation: Option<serde_json::Value>,
    pub decision: Option<serde_json::Value>,
    pub submitted_at: Option<OffsetDateTime>,
    pub decided_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// The parts of a claim kept in plain columns, for filters and lists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClaimColumns {
    pub category: Option<String>,
    pub sensitive: bool,
    pub claimant_name: Option<String>,
    /// The name lower-cased, for prefix search.
    pub claimant_search: Option<String>,
    pub claimant_key: Option<String>,
    pub region: Option<String>,
    pub incident_from: Option<Date>,
    pub incident_to: Option<Date>,
    pub totals: serde_json::Value,
    /// The claimant's e-mail address, where notices go.
    pub contact_email: Option<String>,
    /// The language notices are written in.
    pub language: register::Language,
}

/// A draft to create or replace.
#[derive(Clone, Debug, PartialEq)]
pub struct DraftContent {
    pub content: serde_json::Value,
    pub sealed: Option<Sealed>,
    pub columns: ClaimColumns,
}

/// What submitting a claim writes besides the status.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub keys: DuplicateKeys,
    pub flags: Vec<DuplicateMatch>,
}

/// A status change and what comes with it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimChange {
    pub from: ClaimStatus,
    pub to: ClaimStatus,
    /// Audit action, e.g. `claim.recorded`.
    pub action: &'static str,
    pub recommendation: Option<serde_json::Value>,
    pub decision: Option<serde_json::Value>,
    /// A request for information or an answer to one.
    pub message: Option<(MessageKind, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Request,
    Response,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClaimMessage {
    pub id: uuid::Uuid,
    pub kind: MessageKind,
    pub author: AccountId,
    pub text: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DuplicateFlagRecord {
    pub id: DuplicateFlagId,
    pub claim: ClaimId,
    pub other_claim: ClaimId,
    pub reason: String,
    pub matched: String,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    pub outcome: Option<String>,
    pub resolution_reason: Option<String>,
    pub resolved_by: Option<AccountId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// Whether each side is a sensitive claim: who may see or resolve the
    /// flag depends on it (docs/authorization.md, need-to-know).
    #[serde(skip)]
    pub claim_sensitive: bool,
    #[serde(skip)]
    pub other_claim_sensitive: bool,
}

impl DuplicateFlagRecord {
    /// Whether either side of the flag is a sensitive claim.
    pub fn involves_sensitive(&self) -> bool {
        self.claim_sensitive || self.other_claim_sensitive
    }
}

/// Who is listing, which decides what they may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// A claimant: claims they filed.
    FiledBy(AccountId),
    /// Staff without the sensitive clearance.
    NonSensitive,
    /// Staff with it.
    All,
}

/// Filters of the claims list; every field narrows it.
#[derive(Clone, Debug, Default)]
pub struct ClaimFilter {
    pub status: Option<ClaimStatus>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub submitted_from: Option<OffsetDateTime>,
    pub submitted_to: Option<OffsetDateTime>,
    pub duplicate: Option<bool>,
    /// A reference number (exact) or the start of a claimant's name.
    pub q: Option<String>,
}

impl ClaimFilter {
    /// Whether the list comes in submission order (`submitted_at`, then
    /// id) rather than id order: with a submission date range. Ids follow
    /// creation, so a range late in time lies at the end of the id order,
    /// and an id-ordered page would walk past every earlier claim first;
    /// in submission order the range is one stretch of an index.
    pub fn by_submission(&self) -> bool {
        self.submitted_from.is_some() || self.submitted_to.is_some()
    }
}

/// A line of the claims list: the plain columns, without the content.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimSummaryRecord {
    pub id: ClaimId,
    pub reference: Option<String>,
    pub status: ClaimStatus,
    pub category: Option<String>,
    pub region: Option<String>,
    pub claimant_name: Option<String>,
    pub sensitive: bool,
    pub duplicate_flagged: bool,
    pub totals: serde_json::Value,
    pub submitted_at: Option<OffsetDateTime>,
    pub version: i64,
}

#[async_trait::async_trait]
pub trait ClaimStore {
    /// Loads the catalogue and regions if they are absent. Safe to run from
    /// several instances at once; existing entries are left as they are.
    async fn seed_catalogue(
        &self,
        categories: &[Category],
        regions: &[Region],
    ) -> Result<(), StoreError>;

    /// When the catalogue (categories and regions) read earlier may no
    /// longer hold; `None` means it may not be kept in memory.
    fn catalogue_epoch(&self) -> Option<ChangeEpoch> {
        None
    }

    async fn categories(&self) -> Result<Vec<CategoryRecord>, StoreError>;

    async fn category(&self, code: &str) -> Result<CategoryRecord, StoreError>;

    /// Creates or replaces a catalogue entry; `expected_version` guards edits.
    async fn put_category(
        &self,
        ctx: &AuditContext,
        category: &Category,
        expected_version: Option<i64>,
    ) -> Result<CategoryRecord, StoreError>;

    async fn regions(&self) -> Result<Vec<Region>, StoreError>;

    /// Creates a draft, in one transaction with its audit entry and counts.
    /// With an idempotency key in `ctx`, a second call with the same key
    /// returns the first draft (`Conflict` is never returned for it). With
    /// `answer`, the key is recorded with the answer in the same commit, or
    /// nothing is done and `KeyTaken` answered (see [`KeptAnswer`]).
    async fn create_claim(
        &self,
        ctx: &AuditContext,
        filed_by: AccountId,
        draft: DraftContent,
        answer: Option<&KeptAnswer<'_, ClaimRecord>>,
    ) -> Result<ClaimRecord, StoreError>;

    async fn claim(&self, id: ClaimId) -> Result<ClaimRecord, StoreError>;

    /// Replaces a draft's content if it is still a draft at `expected_version`.
    async fn update_draft(
        &self,
        ctx: &AuditContext,
        id: ClaimId,
        expected_version: i64,
        draft: DraftContent,
    ) -> Result<ClaimRecord, StoreError>;

    /// Claims sharing any of these lookup keys, with their keys.
    async fn duplicate_candidates(&self, keys: &[String])
    -> Result<Vec<DuplicateKeys>, StoreError>;

    /// Submits the draft `current` (as read, at its version): allocates the
    /// year's next reference number (no repeats, whatever the concurrency;
    /// a failed submission may leave a gap), stores the lookup keys and the
    /// duplicate flags, and moves the claim to `submitted`, in one
    /// transaction with its audit entry, webhook event, notice and counts.
    /// `Conflict` if the claim is no longer a draft at `current.version`.
    /// With `answer`, the key is recorded with the answer in the same
    /// commit, or nothing is done and `KeyTaken` answered.
    async fn submit_claim(
        &self,
        ctx: &AuditContext,
        current: &ClaimRecord,
        submission: Submission,
        answer: Option<&KeptAnswer<'_, ClaimRecord>>,
    ) -> Result<ClaimRecord, StoreError>;

    /// A claim with the distinct SHA-256 hashes of its evidence files,
    /// sorted: what a submission decides on, in one read.
    async fn claim_with_evidence_hashes(
        &self,
        id: ClaimId,
    ) -> Result<(ClaimRecord, Vec<String>), StoreError>;

    /// Moves a claim from `change.from` to `change.to` if it is still there
    /// (and at `expected_version` when given); `Conflict` otherwise.
    async fn change_claim(
        &self,
        ctx: &AuditContext,
        id: ClaimId,
        expected_version: Option<i64>,
        change: ClaimChange,
    ) -> Result<ClaimRecord, StoreError>;

    /// Claims `visibility` lets through that match `filter`: in id order,
    /// or in submission order when [`ClaimFilter::by_submission`]. The
    /// cursor is the last claim's id either way (a claim's `submitted_at`
    /// never changes once set, so the id fixes its place in both orders).
    async fn claims(
        &self,
        visibility: Visibility,
        filter: &ClaimFilter,
        page: PageRequest,
    ) -> Result<Page<ClaimRecord>, StoreError>;

    /// [`ClaimStore::claims`], same order and cursors, reading only what a
    /// list line shows: not the content, sealed parts or decisions.
    async fn claim_summaries(
        &self,
        visibility: Visibility,
        filter: &ClaimFilter,
        page: PageRequest,
    ) -> Result<Page<ClaimSummaryRecord>, StoreError>;

    async fn claim_messages(&self, id: ClaimId) -> Result<Vec<ClaimMessage>, StoreError>;

    async fn duplicate_flags(&self, id: ClaimId) -> Result<Vec<DuplicateFlagRecord>, StoreError>;

    async fn duplicate_flag(&self, id: DuplicateFlagId) -> Result<DuplicateFlagRecord, StoreError>;

    /// Which of `ids` identify something that names a sensitive claim: the
    /// claim itself, its evidence or duplicate flags, its case and the
    /// case's recommendations, decisions and award, a payment round that
    /// pays that award, or a batch of a sensitive category and its job. Need-to-know uses it on records that
    /// mention ids in free form (the audit log, webhook payloads).
    async fn sensitive_ids(&self, ids: &[uuid::Uuid]) -> Result<Vec<uuid::Uuid>, StoreError>;

    /// Resolves an open flag once; `Conflict` if it was already resolved.
    async fn resolve_duplicate_flag(
        &self,
        ctx: &AuditContext,
        flag: DuplicateFlagId,
        outcome: &str,
        reason: &str,
    ) -> Result<DuplicateFlagRecord, StoreError>;
}
