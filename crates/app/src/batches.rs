//! Mass-claims batches: selection, assessment as a background job, the
//! sample review, the duplicate guard, release.
//!
//! The job's state lives in the database, not in a process: a worker
//! claims a job with a lease ([`claim_job`]), assesses it chunk by chunk
//! ([`BatchRun::assess_chunk`], each chunk one transaction that renews the
//! lease) and finishes it by drawing the sample ([`BatchRun::finish`]). A
//! worker that dies leaves its lease to expire and the next one continues
//! where the last committed chunk ended; the store never hands a case to
//! two chunks, so no case is assessed twice.

use crate::cases::{CaseCriteria, assessment_error_json, in_award_currency, inputs_of, rate_book};
use crate::need_to_know::NeedToKnow;
use crate::{Actor, App, AppError, AppResult, ErrorClass, enum_filter};
use commission::{
    AssessmentError, BatchAction, BatchError, BatchId, BatchStatus, CaseId, ClaimantKey,
    DuplicateFlag, ErrorCode, Finding, ReleaseDecision, ReviewPlan, Routing, RuleKind,
    SampleFinding, SamplingPlan, check_findings, ensure_duplicates_resolved,
    flag_cross_category_duplicates, sample_error_rate,
};
use kernel::{Page, PageRequest};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;
use store::StoreError;
use store::cases::{
    BATCH_JOB_KIND, BatchFilter, BatchPlan, BatchRecord, CaseRecord, ChunkFn, ChunkItem, JobFilter,
    JobId, JobRecord, NewBatch,
};

/// Loads a batch the caller may learn of: a batch of a sensitive category
/// is "not found" to staff without the clearance. Returns what the caller
/// may know, for presenting the batch.
pub async fn known_batch(
    app: &App,
    actor: &Actor,
    id: BatchId,
) -> AppResult<(BatchRecord, NeedToKnow)> {
    let batch = app.store.batch(id).await?;
    let need = NeedToKnow::of(app.store.as_ref(), &actor.principal).await?;
    need.check_category(&batch.category)?;
    Ok((batch, need))
}

/// A refusal by the batch's rules, with its domain code.
fn batch_conflict(e: &BatchError) -> AppError {
    AppError::conflict(e.to_string()).with("code", e.code())
}

/// The sampling and release plan a batch was created with.
fn review_plan(plan: &BatchPlan) -> ReviewPlan {
    ReviewPlan {
        sampling: SamplingPlan {
            share: plan.sample_share,
            minimum: usize::try_from(plan.sample_minimum).unwrap_or(usize::MAX),
            seed: plan.seed,
        },
        error_threshold: plan.error_threshold,
    }
}

// ---------------------------------------------------------------- views

/// A duplicate flag of a batch as the caller may see it: sensitive
/// categories of the claimant's other awards are named only to staff with
/// the clearance; to others the flag says that a category they may not see
/// is involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisibleDuplicate {
    pub case: CaseId,
    pub claimant: ClaimantKey,
    pub category: String,
    /// Other categories the claimant has an assessed award in, as far as
    /// the caller may see them.
    pub other_categories: Vec<String>,
    pub same_category: bool,
    /// Some of the other categories are ones the caller may not see.
    pub restricted: bool,
}

impl VisibleDuplicate {
    fn of(flag: DuplicateFlag, need: &NeedToKnow) -> Self {
        let (shown, hidden): (Vec<String>, Vec<String>) = flag
            .other_categories
            .into_iter()
            .partition(|c| need.may_see_category(c));
        Self {
            case: flag.case,
            claimant: flag.claimant,
            category: flag.category,
            other_categories: shown,
            same_category: flag.same_category,
            restricted: !hidden.is_empty(),
        }
    }
}

/// A batch with what its reviewers need: this round's findings, its
/// duplicate flags (as the caller may see them) and those cleared.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchDetails {
    pub batch: BatchRecord,
    pub findings: Vec<SampleFinding>,
    pub duplicate_flags: Vec<VisibleDuplicate>,
    pub cleared_duplicates: Vec<CaseId>,
}

impl BatchDetails {
    /// The share of reviewed cases found wrong so far.
    pub fn sample_error_rate(&self) -> Decimal {
        sample_error_rate(&self.findings)
    }
}

async fn details(app: &App, batch: BatchRecord, need: &NeedToKnow) -> AppResult<BatchDetails> {
    let findings = app.store.findings(batch.id, batch.round).await?;
    let dup = app.store.duplicate_inputs(batch.id).await?;
    let duplicate_flags = flag_cross_category_duplicates(&dup.batch, &dup.assessed)
        .into_iter()
        .map(|f| VisibleDuplicate::of(f, need))
        .collect();
    let cleared_duplicates = app.store.cleared_duplicates(batch.id).await?;
    Ok(BatchDetails {
        batch,
        findings,
        duplicate_flags,
        cleared_duplicates,
    })
}

// ------------------------------------------------------------ selection

/// A selection of like cases for assessment by one rule version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateBatch {
    pub category: String,
    /// Default: the latest published version.
    pub rule_version: Option<u32>,
    /// The region, currency and claimed-amount band of the cases; other
    /// criteria are ignored.
    pub criteria: CaseCriteria,
    /// Most cases (default 10,000, at most 100,000).
    pub max_cases: Option<u32>,
    /// Share of the batch sampled for review (default 0.05).
    pub sample_share: Option<Decimal>,
    /// Smallest sample (default 10).
    pub sample_minimum: Option<u32>,
    /// Highest sample error rate at which the batch is released (default 0.05).
    pub error_threshold: Option<Decimal>,
}

pub const DEFAULT_BATCH_CASES: u32 = 10_000;
pub const MAX_BATCH_CASES: u32 = 100_000;

/// Selects cases awaiting assessment (outside other batches) by category,
/// region and claimed-amount band, for assessment by one rule version.
pub async fn create(app: &App, actor: &Actor, command: CreateBatch) -> AppResult<BatchDetails> {
    let need = NeedToKnow::of(app.store.as_ref(), &actor.principal).await?;
    need.check_category(&command.category)?;
    let rule = match app
        .store
        .valuation_rule(&command.category, command.rule_version)
        .await
    {
        Ok(r) => r.rule,
        Err(StoreError::NotFound) => {
            return Err(AppError::invalid_field(
                "rule_version",
                "no_rule",
                format!("No such valuation rule for {}.", command.category),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if matches!(rule.kind, RuleKind::Manual) {
        return Err(AppError::invalid_field(
            "category",
            "manual_rule",
            "A manual rule assesses cases one by one; it cannot assess a batch.",
        ));
    }
    let plan = ReviewPlan::new(
        command.sample_share,
        command
            .sample_minimum
            .map(|m| usize::try_from(m).unwrap_or(usize::MAX)),
        command.error_threshold,
        rand::random(),
    )
    .map_err(|e| match e {
        // The field's code predates the domain's.
        BatchError::InvalidErrorThreshold { .. } => {
            AppError::invalid_field("error_threshold", "out_of_range", "Between 0 and 1.")
        }
        other => AppError::invalid_field("sample_share", other.code(), other.to_string()),
    })?;
    let criteria = CaseCriteria {
        region: command.criteria.region,
        currency: command.criteria.currency,
        min_amount: command.criteria.min_amount,
        max_amount: command.criteria.max_amount,
        ..CaseCriteria::default()
    };
    let filter = in_award_currency(app, criteria.read()?);
    let batch = app
        .store
        .create_batch(
            &actor.audit(None),
            &NewBatch {
                category: command.category,
                rule_version: rule.version,
                filter,
                max_cases: command
                    .max_cases
                    .unwrap_or(DEFAULT_BATCH_CASES)
                    .clamp(1, MAX_BATCH_CASES),
                plan: BatchPlan {
                    sample_share: plan.sampling.share,
                    sample_minimum: u32::try_from(plan.sampling.minimum).unwrap_or(u32::MAX),
                    error_threshold: plan.error_threshold,
                    seed: plan.sampling.seed,
                },
            },
        )
        .await?;
    details(app, batch, &need).await
}

/// Filters of the batch list as people write them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchCriteria {
    /// A batch status, e.g. `in_review`.
    pub status: Option<String>,
    pub category: Option<String>,
}

/// The batches the caller may know of, oldest first, filtered and paged
/// by id (without their findings: see [`batch`]).
pub async fn batches(
    app: &App,
    actor: &Actor,
    criteria: &BatchCriteria,
    page: PageRequest,
) -> AppResult<Page<BatchRecord>> {
    let filter = BatchFilter {
        status: enum_filter("status", criteria.status.as_deref())?,
        category: criteria.category.clone(),
        exclude_categories: NeedToKnow::of(app.store.as_ref(), &actor.principal)
            .await?
            .hidden_categories(),
    };
    Ok(app.store.batches(&filter, page).await?)
}

/// The batch assessment jobs the caller may know of (those of batches it
/// may see), oldest first, of one status (`queued`, `running`, `completed`,
/// `failed`) if given, paged by id.
pub async fn jobs(
    app: &App,
    actor: &Actor,
    status: Option<&str>,
    page: PageRequest,
) -> AppResult<Page<JobRecord>> {
    let filter = JobFilter {
        kind: Some(BATCH_JOB_KIND.to_owned()),
        status: enum_filter("status", status)?,
        exclude_categories: NeedToKnow::of(app.store.as_ref(), &actor.principal)
            .await?
            .hidden_categories(),
    };
    Ok(app.store.jobs(&filter, page).await?)
}

/// A batch with its findings and duplicate flags.
pub async fn batch(app: &App, actor: &Actor, id: BatchId) -> AppResult<BatchDetails> {
    let (batch, need) = known_batch(app, actor, id).await?;
    details(app, batch, &need).await
}

// ----------------------------------------------------------- assessment

/// Queues the batch's assessment as a background job (a returned batch is
/// assessed again as a whole, in a new round). The job's progress is read
/// with [`job`].
pub async fn start_assessment(app: &App, actor: &Actor, id: BatchId) -> AppResult<JobRecord> {
    let (batch, _) = known_batch(app, actor, id).await?;
    batch
        .status
        .apply(BatchAction::StartAssessment)
        .map_err(|e| batch_conflict(&e))?;
    let (_, job) = app
        .store
        .start_batch_assessment(&actor.audit(None), id)
        .await?;
    Ok(job)
}

/// A job, known to whoever may know the batch it works on.
pub async fn job(app: &App, actor: &Actor, id: JobId) -> AppResult<JobRecord> {
    let job = app.store.job(id).await?;
    known_batch(app, actor, BatchId::from_uuid(job.subject_id)).await?;
    Ok(job)
}

/// A job a worker has claimed.
pub enum ClaimedJob {
    /// Settled as it was claimed: nothing is left for the worker to do.
    Settled(JobId),
    /// A batch to assess, chunk by chunk, then finish.
    Batch(BatchRun),
}

/// What one chunk did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk {
    /// Cases handled; 0 means none is left.
    Processed(usize),
    /// Another worker holds the job now: this one must stop, having
    /// written nothing.
    LeaseLost(String),
}

/// A batch job held by one worker, with the rule and rates its cases are
/// assessed by.
pub struct BatchRun {
    job: JobId,
    worker: String,
    lease: time::Duration,
    sampling: SamplingPlan,
    assess: Box<ChunkFn>,
    /// The highest case handled by this run's chunks, all committed: the
    /// next chunk starts above it.
    after: std::sync::Mutex<Option<CaseId>>,
}

/// Claims the oldest job whose lease is free or expired, for `lease`.
/// `None` when there is none.
pub async fn claim_job(
    app: &App,
    worker: &str,
    lease: time::Duration,
) -> AppResult<Option<ClaimedJob>> {
    let Some(job) = app.store.claim_job(worker, lease).await? else {
        return Ok(None);
    };
    if job.kind == store::imports::IMPORT_JOB_KIND {
        // An import runs in the task of the request that uploaded it; its
        // lease expired, so that process stopped. Upload the file again:
        // rows already imported are skipped.
        app.store
            .fail_job(
                job.id,
                worker,
                "the import was interrupted; upload the file again",
            )
            .await?;
        return Ok(Some(ClaimedJob::Settled(job.id)));
    }
    let batch = app.store.batch(BatchId::from_uuid(job.subject_id)).await?;
    let rule = match app
        .store
        .valuation_rule(&batch.category, Some(batch.rule_version))
        .await
    {
        Ok(r) => r.rule,
        Err(StoreError::NotFound) => {
            app.store
                .fail_job(job.id, worker, "the batch's rule version does not exist")
                .await?;
            return Ok(Some(ClaimedJob::Settled(job.id)));
        }
        Err(e) => return Err(e.into()),
    };
    // Every rate into the award currency: a small table, read once per run.
    let rates = rate_book(
        app,
        rule.currency,
        time::macros::date!(1990 - 01 - 01),
        time::macros::date!(2200 - 01 - 01),
    )
    .await?;
    let no_quantities = BTreeMap::new();
    let assess = move |case: &CaseRecord| -> ChunkItem {
        let inputs = inputs_of(case, &no_quantities, None);
        match commission::assess(&rule, &inputs, &rates) {
            Ok(a) if a.routing == Routing::Batch => ChunkItem::Assessed(Box::new(a)),
            // Above the threshold or manual: the case leaves the batch.
            Ok(_) | Err(AssessmentError::ManualEntryRequired) => ChunkItem::Individual,
            Err(e) => ChunkItem::Failed(assessment_error_json(&e)),
        }
    };
    Ok(Some(ClaimedJob::Batch(BatchRun {
        job: job.id,
        worker: worker.to_owned(),
        lease,
        sampling: review_plan(&batch.plan).sampling,
        assess: Box::new(assess),
        after: std::sync::Mutex::new(None),
    })))
}

impl BatchRun {
    pub fn job(&self) -> JobId {
        self.job
    }

    /// Assesses up to `size` cases not yet handled this round, in one
    /// transaction that renews the lease and records the progress. Several
    /// chunks of one run may be in flight at once; their cases are
    /// disjoint.
    pub async fn assess_chunk(&self, app: &App, size: u32) -> AppResult<Chunk> {
        // Chunks start above the cases this run already handled, so that
        // none walks the batch from its first case (the store looks from
        // the start if cases are left below).
        let after = *self
            .after
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match app
            .store
            .assess_chunk(
                self.job,
                &self.worker,
                self.lease,
                size,
                after,
                &*self.assess,
            )
            .await
        {
            Ok(outcome) => {
                if let Some(last) = outcome.last {
                    let mut after = self
                        .after
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    *after = Some((*after).map_or(last, |a| a.max(last)));
                }
                Ok(Chunk::Processed(outcome.processed))
            }
            Err(StoreError::Conflict(reason)) => Ok(Chunk::LeaseLost(reason)),
            Err(e) => Err(e.into()),
        }
    }

    /// Completes the job once no case is left: draws the sample from the
    /// assessed cases and puts the batch in review. A job another worker
    /// finished, or took over, is left to it.
    pub async fn finish(&self, app: &App) -> AppResult<()> {
        let sampling = self.sampling;
        let draw = move |ids: &[uuid::Uuid]| sampling.draw(ids);
        match app
            .store
            .finish_batch_job(self.job, &self.worker, &draw)
            .await
        {
            Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

// --------------------------------------------------------------- review

/// Records a reviewer's finding on a sampled case of a batch in review.
/// The case's assessor may not review it (four eyes).
pub async fn record_finding(
    app: &App,
    actor: &Actor,
    id: BatchId,
    case: CaseId,
    finding: Finding,
) -> AppResult<BatchDetails> {
    let (batch, need) = known_batch(app, actor, id).await?;
    if batch.status != BatchStatus::InReview {
        return Err(AppError::conflict(format!(
            "The batch is {}; only a batch in review takes findings.",
            batch.status
        )));
    }
    if !batch.sample.as_ref().is_some_and(|s| s.contains(&case)) {
        return Err(AppError::not_found());
    }
    let finding = SampleFinding {
        case,
        reviewer: actor.principal.account,
        finding,
    };
    // The domain's checks of one finding (a correction needs an amount and a reason).
    check_findings(&[case], std::slice::from_ref(&finding))
        .map_err(|e| AppError::invalid_field("finding", e.code(), e.to_string()))?;
    app.store
        .case_involvement(case)
        .await?
        .ensure_may_review_sample(actor.principal.account)
        .map_err(|e| {
            AppError::new(
                ErrorClass::Conflict,
                "conflict-of-interest",
                "Conflict of interest",
                e.to_string(),
            )
            .with("code", e.code())
        })?;
    app.store
        .record_finding(&actor.audit(None), id, batch.round, &finding)
        .await?;
    details(app, app.store.batch(id).await?, &need).await
}

/// Clears a duplicate flag of a case in the batch after checking it (the
/// claimant's awards in other categories do not overlap). A flag that
/// involves a category the caller may not see is cleared only by someone
/// who may: to others it is not there.
pub async fn clear_duplicate(
    app: &App,
    actor: &Actor,
    id: BatchId,
    case: CaseId,
    reason: &str,
) -> AppResult<BatchDetails> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid_field(
            "reason",
            "required",
            "Say why the flag is cleared.",
        ));
    }
    let (_, need) = known_batch(app, actor, id).await?;
    let dup = app.store.duplicate_inputs(id).await?;
    let clearable = flag_cross_category_duplicates(&dup.batch, &dup.assessed)
        .iter()
        .any(|f| f.case == case && f.other_categories.iter().all(|c| need.may_see_category(c)));
    if !clearable {
        return Err(AppError::not_found());
    }
    app.store
        .clear_duplicate(&actor.audit(Some(reason.to_owned())), id, case, reason)
        .await?;
    details(app, app.store.batch(id).await?, &need).await
}

/// How a batch was decided on its sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Decided {
    pub decision: ReleaseDecision,
    pub sample_error_rate: Decimal,
    pub error_threshold: Decimal,
    /// The sample's findings (the reasons for a return).
    pub findings: Vec<SampleFinding>,
    pub batch: BatchDetails,
}

/// Decides a reviewed batch at the version the caller last saw: released
/// to the panel (its cases become ready for it) when the sample's error
/// rate is within the threshold and every duplicate flag is cleared;
/// returned for reassessment when the error rate is over it.
pub async fn release(
    app: &App,
    actor: &Actor,
    id: BatchId,
    expected_version: i64,
) -> AppResult<Decided> {
    let (batch, need) = known_batch(app, actor, id).await?;
    if batch.version != expected_version {
        return Err(AppError::precondition_failed());
    }
    batch
        .status
        .apply(BatchAction::Release)
        .map_err(|e| batch_conflict(&e))?;
    let sample = batch.sample.clone().unwrap_or_default();
    let findings = app.store.findings(id, batch.round).await?;
    check_findings(&sample, &findings).map_err(|e| batch_conflict(&e))?;
    let plan = review_plan(&batch.plan);
    let rate = sample_error_rate(&findings);
    let decision = plan.decide(&findings);
    if decision == ReleaseDecision::Release {
        let dup = app.store.duplicate_inputs(id).await?;
        let flags = flag_cross_category_duplicates(&dup.batch, &dup.assessed);
        let cleared = app.store.cleared_duplicates(id).await?;
        ensure_duplicates_resolved(&flags, &cleared).map_err(|e| {
            let cases: Vec<CaseId> = match &e {
                BatchError::UnresolvedDuplicates { cases } => cases.clone(),
                _ => Vec::new(),
            };
            batch_conflict(&e).with("cases", cases)
        })?;
    }
    let summary = json!({
        "sample_error_rate": rate,
        "error_threshold": plan.error_threshold,
        "errors": findings.iter().filter(|f| f.is_error()).map(|f| f.case).collect::<Vec<_>>(),
    });
    let updated = app
        .store
        .decide_batch(&actor.audit(None), id, expected_version, decision, summary)
        .await
        .map_err(AppError::stale_or)?;
    Ok(Decided {
        decision,
        sample_error_rate: rate,
        error_threshold: plan.error_threshold,
        findings,
        batch: details(app, updated, &need).await?,
    })
}
