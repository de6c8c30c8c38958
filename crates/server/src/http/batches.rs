//! Mass-claims batches: selection, assessment as a background job, the
//! reproducible sample, review findings (four eyes), the duplicate guard,
//! and release to the panel or return for reassessment.

use crate::error::{ApiError, ApiResult};
use crate::http::authz::Authorized;
use crate::http::json::{Json, Path, etag, if_match_version};
use crate::state::AppState;
use app::need_to_know::NeedToKnow;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use commission::{
    BatchId, BatchStatus, CaseId, DuplicateFlag, ErrorCode, Finding, ReleaseDecision, ReviewPlan,
    RuleKind, SampleFinding, batch_release_decision, check_findings, ensure_duplicates_resolved,
    flag_cross_category_duplicates, sample_error_rate,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::StoreError;
use store::cases::{BatchPlan, BatchRecord, CaseFilter, JobId, JobRecord, NewBatch};
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBatch {
    pub category: String,
    /// Default: the latest published version.
    pub rule_version: Option<u32>,
    pub region: Option<String>,
    /// Claimed-amount band (inclusive) in `currency` (default EUR).
    pub currency: Option<String>,
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
    /// Most cases (default 10,000, at most 100,000).
    pub max_cases: Option<u32>,
    /// Share of the batch sampled for review (default 0.05).
    #[schema(value_type = Option<String>)]
    pub sample_share: Option<Decimal>,
    /// Smallest sample (default 10).
    pub sample_minimum: Option<u32>,
    /// Highest sample error rate at which the batch is released (default 0.05).
    #[schema(value_type = Option<String>)]
    pub error_threshold: Option<Decimal>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchView {
    #[schema(value_type = String, format = Uuid)]
    pub id: BatchId,
    pub category: String,
    pub rule_version: u32,
    #[schema(value_type = Object)]
    pub filter: CaseFilter,
    #[schema(value_type = String)]
    pub status: BatchStatus,
    pub round: i32,
    #[schema(value_type = String)]
    pub sample_share: Decimal,
    pub sample_minimum: u32,
    #[schema(value_type = String)]
    pub error_threshold: Decimal,
    /// The sample's seed (a u64, as text): with the batch's case ids, share
    /// and minimum it redraws the same sample.
    pub seed: String,
    #[schema(value_type = Option<Vec<String>>)]
    pub sample: Option<Vec<CaseId>>,
    pub case_count: i64,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub job_id: Option<JobId>,
    /// Findings of this round's sample.
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<SampleFinding>,
    pub reviewed: usize,
    #[schema(value_type = String)]
    pub sample_error_rate: Decimal,
    /// Cases whose claimant holds an assessed award in another category (or
    /// twice in one), to clear before release.
    pub duplicate_flags: Vec<BatchDuplicateView>,
    #[schema(value_type = Vec<String>)]
    pub cleared_duplicates: Vec<CaseId>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: i64,
}

/// A batch's duplicate flag as the caller may see it: sensitive categories
/// of the claimant's other awards are named only to staff with the
/// clearance; to others the flag says that a category they may not see is
/// involved, and only cleared staff may clear it.
#[derive(Serialize, ToSchema)]
pub struct BatchDuplicateView {
    #[schema(value_type = String, format = Uuid)]
    pub case: CaseId,
    /// The claimant's key (e.g. `rnokpp:...`).
    #[schema(value_type = String)]
    pub claimant: commission::ClaimantKey,
    pub category: String,
    /// Other categories the claimant has an assessed award in, as far as
    /// the caller may see them.
    pub other_categories: Vec<String>,
    pub same_category: bool,
    /// Some of the other categories are ones the caller may not see.
    pub restricted: bool,
}

impl BatchDuplicateView {
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

/// Loads a batch the caller may learn of (see `app::batches::known_batch`).
pub(crate) async fn known_batch(
    state: &AppState,
    auth: &Authorized,
    id: BatchId,
) -> ApiResult<(BatchRecord, NeedToKnow)> {
    Ok(app::batches::known_batch(&state.app, &auth.actor(), id).await?)
}

pub(crate) async fn batch_view(
    state: &AppState,
    b: BatchRecord,
    need: &NeedToKnow,
) -> ApiResult<BatchView> {
    let findings = state.store.findings(b.id, b.round).await?;
    let dup = state.store.duplicate_inputs(b.id).await?;
    let flags = flag_cross_category_duplicates(&dup.batch, &dup.assessed)
        .into_iter()
        .map(|f| BatchDuplicateView::of(f, need))
        .collect();
    let cleared = state.store.cleared_duplicates(b.id).await?;
    Ok(BatchView {
        id: b.id,
        category: b.category,
        rule_version: b.rule_version,
        filter: b.filter,
        status: b.status,
        round: b.round,
        sample_share: b.plan.sample_share,
        sample_minimum: b.plan.sample_minimum,
        error_threshold: b.plan.error_threshold,
        seed: b.plan.seed.to_string(),
        sample: b.sample,
        case_count: b.case_count,
        job_id: b.job_id,
        reviewed: findings.len(),
        sample_error_rate: sample_error_rate(&findings),
        findings,
        duplicate_flags: flags,
        cleared_duplicates: cleared,
        created_at: b.created_at,
        version: b.version,
    })
}

fn batch_conflict(e: &commission::BatchError) -> ApiError {
    ApiError::conflict(e.to_string()).with("code", e.code())
}

/// Selects cases awaiting assessment (outside other batches) by category,
/// region and claimed-amount band, for assessment by one rule version.
#[utoipa::path(post, path = "/v1/batches", tag = "commission", security(("bearer" = [])),
    request_body = CreateBatch,
    responses((status = 201, body = BatchView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<CreateBatch>,
) -> ApiResult<impl IntoResponse> {
    let need = NeedToKnow::of(state.store.as_ref(), &auth.principal).await?;
    need.check_category(&body.category)?;
    let rule = match state
        .store
        .valuation_rule(&body.category, body.rule_version)
        .await
    {
        Ok(r) => r.rule,
        Err(StoreError::NotFound) => {
            return Err(ApiError::invalid_field(
                "rule_version",
                "no_rule",
                format!("No such valuation rule for {}.", body.category),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if matches!(rule.kind, RuleKind::Manual) {
        return Err(ApiError::invalid_field(
            "category",
            "manual_rule",
            "A manual rule assesses cases one by one; it cannot assess a batch.",
        ));
    }
    let plan = ReviewPlan::new(
        body.sample_share,
        body.sample_minimum
            .map(|m| usize::try_from(m).unwrap_or(usize::MAX)),
        body.error_threshold,
        rand::random(),
    )
    .map_err(|e| match e {
        // The field's code predates the domain's.
        commission::BatchError::InvalidErrorThreshold { .. } => {
            ApiError::invalid_field("error_threshold", "out_of_range", "Between 0 and 1.")
        }
        other => ApiError::invalid_field("sample_share", other.code(), other.to_string()),
    })?;
    let mut filter = app::cases::CaseCriteria {
        region: body.region.clone(),
        currency: body.currency.clone(),
        min_amount: body.min_amount.clone(),
        max_amount: body.max_amount.clone(),
        ..app::cases::CaseCriteria::default()
    }
    .read()?;
    if filter.currency.is_none() && (filter.min_amount.is_some() || filter.max_amount.is_some()) {
        filter.currency = Some(state.app.config.award_currency);
    }
    let batch = state
        .store
        .create_batch(
            &auth.audit(None),
            &NewBatch {
                category: body.category.clone(),
                rule_version: rule.version,
                filter,
                max_cases: body.max_cases.unwrap_or(10_000).clamp(1, 100_000),
                plan: BatchPlan {
                    sample_share: plan.sampling.share,
                    sample_minimum: u32::try_from(plan.sampling.minimum).unwrap_or(u32::MAX),
                    error_threshold: plan.error_threshold,
                    seed: plan.sampling.seed,
                },
            },
        )
        .await?;
    let view = batch_view(&state, batch, &need).await?;
    Ok((StatusCode::CREATED, etag(view.version), Json(view)))
}

#[utoipa::path(get, path = "/v1/batches/{id}", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = BatchView), (status = 404, body = crate::error::ProblemBody)))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<BatchId>,
) -> ApiResult<impl IntoResponse> {
    let (batch, need) = known_batch(&state, &auth, id).await?;
    let view = batch_view(&state, batch, &need).await?;
    Ok((etag(view.version), Json(view)))
}

#[derive(Serialize, ToSchema)]
pub struct JobView {
    #[schema(value_type = String, format = Uuid)]
    pub id: JobId,
    pub kind: String,
    #[schema(value_type = String, format = Uuid)]
    pub subject_id: uuid::Uuid,
    /// queued, running, completed, failed
    pub status: String,
    pub total: i64,
    pub processed: i64,
    /// processed / total, 0 to 1.
    pub progress: f64,
    pub assessed: i64,
    pub routed_individual: i64,
    pub failed: i64,
    pub chunks: i64,
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
}

impl From<JobRecord> for JobView {
    #[allow(clippy::cast_precision_loss, reason = "a progress ratio")]
    fn from(j: JobRecord) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            subject_id: j.subject_id,
            status: j.status.as_str().to_owned(),
            progress: if j.total > 0 {
                (j.processed as f64 / j.total as f64).min(1.0)
            } else {
                1.0
            },
            total: j.total,
            processed: j.processed,
            assessed: j.assessed,
            routed_individual: j.routed_individual,
            failed: j.failed,
            chunks: j.chunks,
            error: j.error,
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

/// Starts assessing the batch in the background: `202` with the job, whose
/// progress `GET /v1/jobs/{id}` shows. Cases above a threshold leave the
/// batch for individual assessment.
#[utoipa::path(post, path = "/v1/batches/{id}/assess", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 202, body = JobView), (status = 409, body = crate::error::ProblemBody)))]
pub async fn assess(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<BatchId>,
) -> ApiResult<impl IntoResponse> {
    let (batch, _) = known_batch(&state, &auth, id).await?;
    batch
        .status
        .apply(commission::BatchAction::StartAssessment)
        .map_err(|e| batch_conflict(&e))?;
    let (_, job) = state
        .store
        .start_batch_assessment(&auth.audit(None), id)
        .await?;
    state.jobs.wake();
    let location = [(axum::http::header::LOCATION, format!("/v1/jobs/{}", job.id))];
    Ok((StatusCode::ACCEPTED, location, Json(JobView::from(job))))
}

#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = JobView), (status = 404, body = crate::error::ProblemBody)))]
pub async fn job(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<JobId>,
) -> ApiResult<Json<JobView>> {
    let job = state.store.job(id).await?;
    // A job works on a batch: it is known to whoever may know the batch.
    known_batch(&state, &auth, BatchId::from_uuid(job.subject_id)).await?;
    Ok(Json(JobView::from(job)))
}

/// A sampled case's review: `{"finding": "confirmed"}` or
/// `{"finding": "corrected", "amount": {...}, "reason": "..."}`.
#[derive(Deserialize, ToSchema)]
pub struct Review {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub finding: Finding,
}

/// Confirms or corrects a sampled case. The case's assessor may not review
/// it (four eyes): 409 `conflict-of-interest`.
#[utoipa::path(post, path = "/v1/batches/{id}/sample/{case_id}", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("case_id" = String, Path, format = Uuid)),
    request_body = Review,
    responses((status = 200, body = BatchView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn review(
    State(state): State<AppState>,
    auth: Authorized,
    Path((id, case_id)): Path<(BatchId, CaseId)>,
    Json(body): Json<Review>,
) -> ApiResult<impl IntoResponse> {
    let (batch, need) = known_batch(&state, &auth, id).await?;
    if batch.status != BatchStatus::InReview {
        return Err(ApiError::conflict(format!(
            "The batch is {}; only a batch in review takes findings.",
            batch.status
        )));
    }
    if !batch.sample.as_ref().is_some_and(|s| s.contains(&case_id)) {
        return Err(ApiError::not_found());
    }
    let finding = SampleFinding {
        case: case_id,
        reviewer: auth.principal.account,
        finding: body.finding,
    };
    // The domain's checks of one finding (a correction needs an amount and a reason).
    check_findings(&[case_id], std::slice::from_ref(&finding))
        .map_err(|e| ApiError::invalid_field("finding", e.code(), e.to_string()))?;
    let involvement = state.store.case_involvement(case_id).await?;
    involvement
        .ensure_may_review_sample(auth.principal.account)
        .map_err(|e| {
            ApiError::new(
                StatusCode::CONFLICT,
                "conflict-of-interest",
                "Conflict of interest",
                e.to_string(),
            )
            .with("code", e.code())
        })?;
    state
        .store
        .record_finding(&auth.audit(None), id, batch.round, &finding)
        .await?;
    let view = batch_view(&state, state.store.batch(id).await?, &need).await?;
    Ok((etag(view.version), Json(view)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Clear {
    pub reason: String,
}

/// Clears a duplicate flag of a case in the batch after checking it (the
/// claimant's awards in other categories do not overlap).
#[utoipa::path(post, path = "/v1/batches/{id}/duplicates/{case_id}/clear", tag = "commission",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("case_id" = String, Path, format = Uuid)),
    request_body = Clear, responses((status = 200, body = BatchView)))]
pub async fn clear_duplicate(
    State(state): State<AppState>,
    auth: Authorized,
    Path((id, case_id)): Path<(BatchId, CaseId)>,
    Json(body): Json<Clear>,
) -> ApiResult<Json<BatchView>> {
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::invalid_field(
            "reason",
            "required",
            "Say why the flag is cleared.",
        ));
    }
    let (_, need) = known_batch(&state, &auth, id).await?;
    let dup = state.store.duplicate_inputs(id).await?;
    let flags = flag_cross_category_duplicates(&dup.batch, &dup.assessed);
    // A flag that involves a category the caller may not see is cleared
    // only by someone who may.
    let clearable = flags
        .iter()
        .any(|f| f.case == case_id && f.other_categories.iter().all(|c| need.may_see_category(c)));
    if !clearable {
        return Err(ApiError::not_found());
    }
    state
        .store
        .clear_duplicate(&auth.audit(Some(reason.to_owned())), id, case_id, reason)
        .await?;
    Ok(Json(
        batch_view(&state, state.store.batch(id).await?, &need).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ReleaseOutcome {
    /// `release` or `return_for_reassessment`.
    #[schema(value_type = String)]
    pub decision: ReleaseDecision,
    #[schema(value_type = String)]
    pub sample_error_rate: Decimal,
    #[schema(value_type = String)]
    pub error_threshold: Decimal,
    /// The sample's findings (the reasons for a return).
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<SampleFinding>,
    pub batch: BatchView,
}

/// Decides the batch on its sample: released to the panel (cases become
/// `ready_for_panel`) when the error rate is within the threshold and
/// every duplicate flag is cleared; returned for reassessment with the
/// findings when the error rate is over it. Needs the batch's `If-Match`.
#[utoipa::path(post, path = "/v1/batches/{id}/release", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("If-Match" = String, Header)),
    responses((status = 200, body = ReleaseOutcome), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody)))]
pub async fn release(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<BatchId>,
    headers: HeaderMap,
) -> ApiResult<Json<ReleaseOutcome>> {
    let version = if_match_version(&headers)?;
    let (batch, need) = known_batch(&state, &auth, id).await?;
    if batch.version != version {
        return Err(ApiError::precondition_failed());
    }
    batch
        .status
        .apply(commission::BatchAction::Release)
        .map_err(|e| batch_conflict(&e))?;
    let sample = batch.sample.clone().unwrap_or_default();
    let findings = state.store.findings(id, batch.round).await?;
    check_findings(&sample, &findings).map_err(|e| batch_conflict(&e))?;
    let rate = sample_error_rate(&findings);
    let decision = batch_release_decision(rate, batch.plan.error_threshold);
    if decision == ReleaseDecision::Release {
        let dup = state.store.duplicate_inputs(id).await?;
        let flags = flag_cross_category_duplicates(&dup.batch, &dup.assessed);
        let cleared = state.store.cleared_duplicates(id).await?;
        ensure_duplicates_resolved(&flags, &cleared).map_err(|e| {
            let cases: Vec<CaseId> = match &e {
                commission::BatchError::UnresolvedDuplicates { cases } => cases.clone(),
                _ => Vec::new(),
            };
            batch_conflict(&e).with("cases", cases)
        })?;
    }
    let summary = json!({
        "sample_error_rate": rate,
        "error_threshold": batch.plan.error_threshold,
        "errors": findings.iter().filter(|f| f.is_error()).map(|f| f.case).collect::<Vec<_>>(),
    });
    let updated = match state
        .store
        .decide_batch(&auth.audit(None), id, version, decision, summary)
        .await
    {
        Err(StoreError::Conflict(_)) => return Err(ApiError::precondition_failed()),
        other => other?,
    };
    Ok(Json(ReleaseOutcome {
        decision,
        sample_error_rate: rate,
        error_threshold: batch.plan.error_threshold,
        findings,
        batch: batch_view(&state, updated, &need).await?,
    }))
}
