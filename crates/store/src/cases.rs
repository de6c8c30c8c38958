//! The Commission's casework: cases made from recorded claims, valuation
//! rules, exchange rates for assessments, assessments, mass-claims batches
//! with their samples and findings, and the background jobs that assess
//! batches.
//!
//! A case is created by the store in the transaction that records its
//! claim (`ClaimStore::change_claim` to `recorded`), so a recorded claim
//! without a case cannot exist. The facts assessment needs (claimed
//! amounts, quantities, region, dates) are copied into the case then: the
//! batch job never reads the Register.

use crate::{AuditContext, StoreError};
use commission::{
    Assessment, AssessmentId, BatchId, BatchStatus, CaseId, CaseInvolvement, CaseStatus,
    ClaimantKey, Finding, ReleaseDecision, Routing, SampleFinding, ValuationRule,
};
use kernel::id::AccountId;
use kernel::{Currency, KeyPageRequest, Money, Page, PageRequest};
use register::ClaimId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

kernel::typed_id!(
    /// A background job (batch assessment).
    JobId
);

/// What assessment reads of the claim, copied when the case is created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    /// Total claimed per currency.
    #[serde(default)]
    pub claimed: Vec<Money>,
    /// Numeric category fields of the claim (e.g. `floor_area_m2`), by name.
    #[serde(default)]
    pub quantities: BTreeMap<String, Decimal>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default, with = "commission::iso_date::option")]
    pub incident_date: Option<Date>,
    #[serde(default, with = "commission::iso_date::option")]
    pub submission_date: Option<Date>,
}

impl CaseFacts {
    /// The facts of a claim row: its per-currency totals (`[{amount,
    /// currency}]`), its content (for numeric `category_fields`), region and
    /// dates.
    pub fn from_claim(
        totals: &serde_json::Value,
        content: &serde_json::Value,
        region: Option<String>,
        incident_date: Option<Date>,
        submitted_at: Option<OffsetDateTime>,
    ) -> Self {
        let claimed: Vec<Money> = serde_json::from_value(totals.clone()).unwrap_or_default();
        let quantities = content
            .get("category_fields")
            .and_then(serde_json::Value::as_object)
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(|(k, v)| {
                        let d = match v {
                            serde_json::Value::String(s) => s.trim().parse::<Decimal>().ok(),
                            serde_json::Value::Number(n) => n.to_string().parse().ok(),
                            _ => None,
                        }?;
                        Some((k.clone(), d))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            claimed,
            quantities,
            region,
            incident_date,
            submission_date: submitted_at.map(OffsetDateTime::date),
        }
    }

    /// The claim's main currency total, used for filters: the euro total
    /// when there is one, otherwise the first total (by currency code).
    pub fn main_total(&self) -> Option<Money> {
        self.claimed
            .iter()
            .find(|m| m.currency() == Currency::EUR)
            .or_else(|| self.claimed.first())
            .copied()
    }
}

/// Everything a new case row holds; built from the claim by the adapters.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCase {
    pub claim_id: ClaimId,
    pub category: String,
    pub region: Option<String>,
    pub claimant_key: Option<String>,
    pub facts: CaseFacts,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseRecord {
    pub id: CaseId,
    pub claim_id: ClaimId,
    pub category: String,
    pub region: Option<String>,
    pub claimant_key: Option<String>,
    pub claimed: Option<Money>,
    pub facts: CaseFacts,
    pub status: CaseStatus,
    pub assignee: Option<AccountId>,
    pub batch_id: Option<BatchId>,
    /// Why the last batch run could not assess the case.
    pub assessment_error: Option<serde_json::Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// Filters of the case list; every field narrows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CaseStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<AccountId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchId>,
    /// Claimed amount range; both bounds in `currency`, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<Decimal>,
    /// Categories left out: the sensitive ones, for a caller without the
    /// clearance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_categories: Vec<String>,
}

/// Amount in minor units of `currency` (SQLite's integer range column).
pub fn minor_units(amount: Decimal, currency: Currency) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    let scale = Decimal::from(10_i64.checked_pow(currency.minor_units())?);
    amount.checked_mul(scale)?.floor().to_i64()
}

/// A published valuation rule version.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleRecord {
    pub rule: ValuationRule,
    /// An assessment used it: it is frozen (there is no edit at all).
    pub used: bool,
    pub created_at: OffsetDateTime,
}

/// A recorded exchange rate for assessments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentRate {
    pub from: Currency,
    pub to: Currency,
    #[serde(with = "commission::iso_date")]
    pub date: Date,
    pub rate: Decimal,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssessmentRecord {
    pub id: AssessmentId,
    pub case_id: CaseId,
    pub assessor: AccountId,
    pub batch_id: Option<BatchId>,
    pub assessment: Assessment,
    pub created_at: OffsetDateTime,
}

/// Sampling and release settings of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPlan {
    pub sample_share: Decimal,
    pub sample_minimum: u32,
    /// Highest sample error rate at which the batch is still released.
    pub error_threshold: Decimal,
    pub seed: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewBatch {
    pub category: String,
    pub rule_version: u32,
    /// Category is the rule's; status and batch are ignored (only cases
    /// awaiting assessment outside any batch are selected).
    pub filter: CaseFilter,
    pub max_cases: u32,
    pub plan: BatchPlan,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BatchRecord {
    pub id: BatchId,
    pub category: String,
    pub rule_version: u32,
    pub filter: CaseFilter,
    pub status: BatchStatus,
    /// Incremented each time the batch is (re)assessed; findings are per round.
    pub round: i32,
    pub plan: BatchPlan,
    pub sample: Option<Vec<CaseId>>,
    pub case_count: i64,
    pub job_id: Option<JobId>,
    pub created_by: Option<AccountId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Completed,
    Failed,
}

impl JobStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Completed, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct JobRecord {
    pub id: JobId,
    /// [`BATCH_JOB_KIND`] or `store::imports::IMPORT_JOB_KIND`.
    pub kind: String,
    /// The batch.
    pub subject_id: Uuid,
    pub status: JobStatus,
    pub total: i64,
    pub processed: i64,
    pub assessed: i64,
    pub routed_individual: i64,
    pub failed: i64,
    pub chunks: i64,
    pub leased_by: Option<String>,
    pub leased_until: Option<OffsetDateTime>,
    pub error: Option<String>,
    pub created_by: Option<AccountId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

impl JobRecord {
    /// Processed over total, 0 to 1; a job with nothing to do is done.
    #[allow(clippy::cast_precision_loss, reason = "a progress ratio")]
    pub fn progress(&self) -> f64 {
        if self.total > 0 {
            (self.processed as f64 / self.total as f64).min(1.0)
        } else {
            1.0
        }
    }
}

/// What the batch job made of one case.
#[derive(Clone, Debug, PartialEq)]
pub enum ChunkItem {
    Assessed(Box<Assessment>),
    /// Above the threshold or manual: taken out of the batch, back to the
    /// queue for individual assessment.
    Individual,
    /// Could not be assessed (e.g. a missing rate); stays in the batch with
    /// the error recorded, and is not picked again in this round.
    Failed(serde_json::Value),
}

/// Assesses one case of a chunk; called inside the chunk's transaction.
pub type ChunkFn = dyn Fn(&CaseRecord) -> ChunkItem + Send + Sync;
/// Draws the sample from the assessed case ids of a batch.
pub type DrawFn = dyn Fn(&[Uuid]) -> Vec<Uuid> + Send + Sync;

/// The outcome of one chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkOutcome {
    /// Cases handled in this chunk; 0 means nothing is left.
    pub processed: usize,
    /// The highest case id the chunk handled: where the worker's next
    /// chunk may start (`after`).
    pub last: Option<CaseId>,
}

/// What the duplicate guard needs about a batch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DuplicateInputs {
    /// Cases of the batch with their claimant and category.
    pub batch: Vec<(CaseId, ClaimantKey, String)>,
    /// Assessed cases outside the batch of the same claimants.
    pub assessed: Vec<(ClaimantKey, String)>,
}

/// A synthetic recorded claim with its case, for load tests and benchmarks.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticCase {
    pub category: String,
    pub region: Option<String>,
    pub claimant_key: Option<String>,
    pub facts: CaseFacts,
}

#[async_trait::async_trait]
pub trait CaseStore {
    async fn cases(
        &self,
        filter: &CaseFilter,
        page: PageRequest,
    ) -> Result<Page<CaseRecord>, StoreError>;

    async fn case(&self, id: CaseId) -> Result<CaseRecord, StoreError>;

    async fn case_for_claim(&self, claim: ClaimId) -> Result<CaseRecord, StoreError>;

    /// Gives a case to an assessor if it is awaiting assessment or assigned
    /// (not in a batch) and, when given, still at `expected_version`;
    /// `Conflict` otherwise.
    async fn assign_case(
        &self,
        ctx: &AuditContext,
        id: CaseId,
        expected_version: Option<i64>,
        assignee: AccountId,
    ) -> Result<CaseRecord, StoreError>;

    /// Spreads up to `limit` cases awaiting assessment (outside batches)
    /// that match `filter` over `assessors` in turn, oldest case first, in
    /// one transaction. Cases another transaction holds are skipped.
    async fn distribute_cases(
        &self,
        ctx: &AuditContext,
        filter: &CaseFilter,
        assessors: &[AccountId],
        limit: u32,
    ) -> Result<Vec<(CaseId, AccountId)>, StoreError>;

    /// Publishes a new rule version; `Conflict` if the version exists.
    async fn put_valuation_rule(
        &self,
        ctx: &AuditContext,
        rule: &ValuationRule,
    ) -> Result<RuleRecord, StoreError>;

    /// Rule versions, of one category if given, in (category, version)
    /// order, paged by that key ([`rule_key`]).
    async fn valuation_rules(
        &self,
        category: Option<&str>,
        page: &KeyPageRequest,
    ) -> Result<Page<RuleRecord>, StoreError>;

    /// A version, or the latest of the category when `version` is `None`.
    async fn valuation_rule(
        &self,
        category: &str,
        version: Option<u32>,
    ) -> Result<RuleRecord, StoreError>;

    /// Records rates in one transaction; per rate, `true` if stored and
    /// `false` if a rate for that pair and date exists already.
    async fn record_assessment_rates(
        &self,
        ctx: &AuditContext,
        rates: &[AssessmentRate],
    ) -> Result<Vec<bool>, StoreError>;

    /// Recorded rates matching `filter` in (from, to, date) order, paged by
    /// that key ([`rate_key`]).
    async fn assessment_rate_list(
        &self,
        filter: &RateFilter,
        page: &KeyPageRequest,
    ) -> Result<Page<AssessmentRate>, StoreError>;

    /// Rates into `to` dated within `from_date..=to_date`.
    async fn assessment_rates(
        &self,
        to: Currency,
        from_date: Date,
        to_date: Date,
    ) -> Result<Vec<AssessmentRate>, StoreError>;

    /// Records an individual assessment of an assigned case (at
    /// `expected_version` when given) and moves it to `assessed`.
    async fn record_assessment(
        &self,
        ctx: &AuditContext,
        case: CaseId,
        expected_version: Option<i64>,
        assessor: AccountId,
        assessment: &Assessment,
    ) -> Result<(CaseRecord, AssessmentRecord), StoreError>;

    /// Every assessment of a case, oldest first.
    async fn assessments(&self, case: CaseId) -> Result<Vec<AssessmentRecord>, StoreError>;

    /// Who assessed the case and who reviewed it in a sample.
    async fn case_involvement(&self, case: CaseId) -> Result<CaseInvolvement, StoreError>;

    /// Creates a batch and places the matching cases in it (they become
    /// `assigned`); `Conflict` if none match.
    async fn create_batch(
        &self,
        ctx: &AuditContext,
        batch: &NewBatch,
    ) -> Result<BatchRecord, StoreError>;

    async fn batch(&self, id: BatchId) -> Result<BatchRecord, StoreError>;

    /// Batches matching `filter` in id order (oldest first), paged.
    async fn batches(
        &self,
        filter: &BatchFilter,
        page: PageRequest,
    ) -> Result<Page<BatchRecord>, StoreError>;

    /// Moves a `selected` or `returned` batch to `assessing`, starts a new
    /// round (clearing earlier case errors) and queues its job.
    async fn start_batch_assessment(
        &self,
        ctx: &AuditContext,
        batch: BatchId,
    ) -> Result<(BatchRecord, JobRecord), StoreError>;

    async fn job(&self, id: JobId) -> Result<JobRecord, StoreError>;

    /// Background jobs matching `filter` in id order (oldest first), paged.
    async fn jobs(
        &self,
        filter: &JobFilter,
        page: PageRequest,
    ) -> Result<Page<JobRecord>, StoreError>;

    /// Leases the oldest open job whose lease is free or expired.
    async fn claim_job(
        &self,
        worker: &str,
        lease: time::Duration,
    ) -> Result<Option<JobRecord>, StoreError>;

    /// One chunk of a batch job, in one transaction: checks and renews the
    /// lease (`Conflict`, and nothing written, if another worker holds it),
    /// takes up to `limit` cases of the batch not yet handled this round
    /// (skipping locked ones), applies `assess` to each and stores the
    /// results and the progress. A worker may run several chunks of its
    /// job at once; no case is in two of them. The cases are taken in id
    /// order from above `after` (all of the batch's when `None`): a worker
    /// passes the highest id its chunks handled so far, so that a chunk need
    /// not walk past the cases already done. When nothing is found above
    /// `after` while the job's counts say cases are left (one was skipped
    /// while locked by a chunk that then rolled back), the chunk looks from
    /// the batch's first case: 0 processed still means nothing is left.
    async fn assess_chunk(
        &self,
        job: JobId,
        worker: &str,
        lease: time::Duration,
        limit: u32,
        after: Option<CaseId>,
        assess: &ChunkFn,
    ) -> Result<ChunkOutcome, StoreError>;

    /// Completes a batch job: draws the sample from the batch's assessed
    /// cases, moves the batch to `in_review`, the job to `completed`.
    async fn finish_batch_job(
        &self,
        job: JobId,
        worker: &str,
        draw: &DrawFn,
    ) -> Result<BatchRecord, StoreError>;

    /// Marks a job failed with a message (e.g. its rule disappeared).
    async fn fail_job(&self, job: JobId, worker: &str, error: &str) -> Result<(), StoreError>;

    /// Records a reviewer's finding on a sampled case; `Conflict` if the
    /// case was already reviewed this round.
    async fn record_finding(
        &self,
        ctx: &AuditContext,
        batch: BatchId,
        round: i32,
        finding: &SampleFinding,
    ) -> Result<(), StoreError>;

    async fn findings(&self, batch: BatchId, round: i32) -> Result<Vec<SampleFinding>, StoreError>;

    async fn duplicate_inputs(&self, batch: BatchId) -> Result<DuplicateInputs, StoreError>;

    /// Clears a duplicate flag of a case in the batch after review.
    async fn clear_duplicate(
        &self,
        ctx: &AuditContext,
        batch: BatchId,
        case: CaseId,
        reason: &str,
    ) -> Result<(), StoreError>;

    async fn cleared_duplicates(&self, batch: BatchId) -> Result<Vec<CaseId>, StoreError>;

    /// Releases an `in_review` batch at `expected_version` (its assessed
    /// cases become `ready_for_panel`) or returns it (they become
    /// `assigned` for reassessment). `summary` goes to the audit log.
    async fn decide_batch(
        &self,
        ctx: &AuditContext,
        batch: BatchId,
        expected_version: i64,
        decision: ReleaseDecision,
        summary: serde_json::Value,
    ) -> Result<BatchRecord, StoreError>;

    /// Load tests and benchmarks only: inserts recorded claims filed by
    /// `filed_by` with their cases, in one transaction, bypassing intake.
    #[cfg(feature = "testing")]
    async fn insert_synthetic_cases(
        &self,
        _filed_by: AccountId,
        _cases: &[SyntheticCase],
    ) -> Result<Vec<CaseId>, StoreError> {
        Err(StoreError::internal(std::io::Error::other(
            "this backend was built without its testing feature",
        )))
    }
}

/// The routing name stored with an assessment.
pub const fn routing_text(r: Routing) -> &'static str {
    match r {
        Routing::Batch => "batch",
        Routing::Individual => "individual",
    }
}

/// Filters of the batch list; every field narrows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchFilter {
    pub status: Option<BatchStatus>,
    pub category: Option<String>,
    /// Categories left out: the sensitive ones, for a caller without the
    /// clearance.
    pub exclude_categories: Vec<String>,
}

/// The kind of a batch's assessment job.
pub const BATCH_JOB_KIND: &str = "batch_assessment";

/// Filters of the job list; every field narrows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// [`BATCH_JOB_KIND`] or `store::imports::IMPORT_JOB_KIND`.
    pub kind: Option<String>,
    pub status: Option<JobStatus>,
    /// Batch jobs whose batch is of these categories are left out: the
    /// sensitive ones, for a caller without the clearance.
    pub exclude_categories: Vec<String>,
}

/// Filters of the list of recorded exchange rates; every field narrows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateFilter {
    pub from: Option<Currency>,
    pub to: Option<Currency>,
    /// Dated on or after.
    pub since: Option<Date>,
    /// Dated on or before.
    pub until: Option<Date>,
}

/// The key a rule list is ordered and paged by: category, then version
/// (zero-padded so that the text orders as the pair does).
pub fn rule_key(category: &str, version: u32) -> String {
    format!("{category}/{version:010}")
}

/// Reads a [`rule_key`] back.
pub fn parse_rule_key(key: &str) -> Option<(String, u32)> {
    let (category, version) = key.rsplit_once('/')?;
    Some((category.to_owned(), version.parse().ok()?))
}

/// The key a rate list is ordered and paged by: from, to, date.
pub fn rate_key(rate: &AssessmentRate) -> String {
    format!("{}/{}/{}", rate.from.code(), rate.to.code(), rate.date)
}

/// Reads a [`rate_key`] back.
pub fn parse_rate_key(key: &str) -> Option<(Currency, Currency, Date)> {
    let mut parts = key.splitn(3, '/');
    let from = Currency::from_code(parts.next()?).ok()?;
    let to = Currency::from_code(parts.next()?).ok()?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(parts.next()?, format).ok()?;
    Some((from, to, date))
}

/// Text of a batch status.
pub fn batch_status_of(text: &str) -> Option<BatchStatus> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// A case's status from its row and its batch. Selecting a case into a
/// batch writes only the batch's membership (`batch_cases`), not the case
/// row: a member whose row still says `awaiting_assessment` is `assigned`,
/// to its batch. The row changes when the case is assessed.
pub fn member_status(stored: CaseStatus, batch: Option<BatchId>) -> CaseStatus {
    if batch.is_some() && stored == CaseStatus::AwaitingAssessment {
        CaseStatus::Assigned
    } else {
        stored
    }
}

/// Text of a case status.
pub fn case_status_of(text: &str) -> Option<CaseStatus> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// The finding as stored (JSON).
pub fn finding_json(f: &Finding) -> serde_json::Value {
    serde_json::to_value(f).unwrap_or(serde_json::Value::Null)
}
