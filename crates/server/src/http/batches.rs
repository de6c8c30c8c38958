//! Mass-claims batches: selection, assessment as a background job, the
//! reproducible sample, review findings (four eyes), the duplicate guard,
//! and release to the panel or return for reassessment.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query, etag, if_match_version, page_request};
use crate::state::AppState;
use app::batches::{BatchDetails, VisibleDuplicate};
use app::cases::CaseCriteria;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use commission::{BatchId, BatchStatus, CaseId, Finding, ReleaseDecision, SampleFinding};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use store::cases::{BatchRecord, CaseFilter, JobId, JobRecord};
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"category": "A3.1", "region": "UA-32", "currency": "EUR", "max_amount": "100000.00", "rule_version": 1}))]
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
    #[schema(value_type = crate::views::schema::CaseFilter)]
    pub filter: CaseFilter,
    #[schema(value_type = crate::views::schema::BatchStatus)]
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
    #[schema(value_type = Vec<crate::views::schema::SampleFinding>)]
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

impl From<VisibleDuplicate> for BatchDuplicateView {
    fn from(flag: VisibleDuplicate) -> Self {
        Self {
            case: flag.case,
            claimant: flag.claimant,
            category: flag.category,
            other_categories: flag.other_categories,
            same_category: flag.same_category,
            restricted: flag.restricted,
        }
    }
}

impl From<BatchDetails> for BatchView {
    fn from(d: BatchDetails) -> Self {
        let sample_error_rate = d.sample_error_rate();
        let b = d.batch;
        Self {
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
            reviewed: d.findings.len(),
            sample_error_rate,
            findings: d.findings,
            duplicate_flags: d
                .duplicate_flags
                .into_iter()
                .map(BatchDuplicateView::from)
                .collect(),
            cleared_duplicates: d.cleared_duplicates,
            created_at: b.created_at,
            version: b.version,
        }
    }
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
    let command = app::batches::CreateBatch {
        category: body.category,
        rule_version: body.rule_version,
        criteria: CaseCriteria {
            region: body.region,
            currency: body.currency,
            min_amount: body.min_amount,
            max_amount: body.max_amount,
            ..CaseCriteria::default()
        },
        max_cases: body.max_cases,
        sample_share: body.sample_share,
        sample_minimum: body.sample_minimum,
        error_threshold: body.error_threshold,
    };
    let view = BatchView::from(app::batches::create(&state.app, &auth.actor(), command).await?);
    Ok((StatusCode::CREATED, etag(view.version), Json(view)))
}

/// A batch in a list: what it is and where it stands, without its sample's
/// findings and duplicate flags (`GET /v1/batches/{id}` has them).
#[derive(Serialize, ToSchema)]
pub struct BatchSummary {
    #[schema(value_type = String, format = Uuid)]
    pub id: BatchId,
    pub category: String,
    pub rule_version: u32,
    #[schema(value_type = crate::views::schema::BatchStatus)]
    pub status: BatchStatus,
    pub round: i32,
    pub case_count: i64,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub job_id: Option<JobId>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl From<BatchRecord> for BatchSummary {
    fn from(b: BatchRecord) -> Self {
        Self {
            id: b.id,
            category: b.category,
            rule_version: b.rule_version,
            status: b.status,
            round: b.round,
            case_count: b.case_count,
            job_id: b.job_id,
            created_at: b.created_at,
            updated_at: b.updated_at,
            version: b.version,
        }
    }
}

page_of!(
    /// A page of batches.
    BatchPage,
    BatchSummary
);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchQuery {
    /// selected, assessing, assessed, in_review, released, returned
    pub status: Option<String>,
    /// A category code.
    pub category: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List batches, oldest first, filtered and cursor-paged; batches of
/// categories the caller may not know of are left out.
#[utoipa::path(get, path = "/v1/batches", tag = "commission", security(("bearer" = [])),
    params(BatchQuery), responses((status = 200, body = BatchPage),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<BatchQuery>,
) -> ApiResult<Json<BatchPage>> {
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let criteria = app::batches::BatchCriteria {
        status: q.status,
        category: q.category,
    };
    let list = app::batches::batches(&state.app, &auth.actor(), &criteria, page).await?;
    Ok(Json(list.into()))
}

/// Read one batch with this round's findings and its duplicate flags.
#[utoipa::path(get, path = "/v1/batches/{id}", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = BatchView), (status = 404, body = crate::error::ProblemBody)))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<BatchId>,
) -> ApiResult<impl IntoResponse> {
    let view = BatchView::from(app::batches::batch(&state.app, &auth.actor(), id).await?);
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
    fn from(j: JobRecord) -> Self {
        Self {
            progress: j.progress(),
            id: j.id,
            kind: j.kind,
            subject_id: j.subject_id,
            status: j.status.as_str().to_owned(),
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
    let job = app::batches::start_assessment(&state.app, &auth.actor(), id).await?;
    state.jobs.wake();
    let location = [(axum::http::header::LOCATION, format!("/v1/jobs/{}", job.id))];
    Ok((StatusCode::ACCEPTED, location, Json(JobView::from(job))))
}

page_of!(
    /// A page of background jobs.
    JobPage,
    JobView
);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// queued, running, completed, failed
    pub status: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List the batch assessment jobs, oldest first, filtered and cursor-paged
/// (import jobs are listed at `GET /v1/imports`).
#[utoipa::path(get, path = "/v1/jobs", tag = "commission", security(("bearer" = [])),
    params(JobQuery), responses((status = 200, body = JobPage),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn jobs(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<JobQuery>,
) -> ApiResult<Json<JobPage>> {
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let list = app::batches::jobs(&state.app, &auth.actor(), q.status.as_deref(), page).await?;
    Ok(Json(list.into()))
}

/// Read a batch assessment job: its status and progress.
#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = JobView), (status = 404, body = crate::error::ProblemBody)))]
pub async fn job(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<JobId>,
) -> ApiResult<Json<JobView>> {
    let job = app::batches::job(&state.app, &auth.actor(), id).await?;
    Ok(Json(JobView::from(job)))
}

/// A sampled case's review: `{"finding": "confirmed"}` or
/// `{"finding": "corrected", "amount": {...}, "reason": "..."}`.
#[derive(Deserialize)]
pub struct Review {
    #[serde(flatten)]
    pub finding: Finding,
}

/// Confirms or corrects a sampled case. The case's assessor may not review
/// it (four eyes): 409 `conflict-of-interest`.
#[utoipa::path(post, path = "/v1/batches/{id}/sample/{case_id}", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("case_id" = String, Path, format = Uuid)),
    request_body = crate::views::schema::Finding,
    responses((status = 200, body = BatchView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn review(
    State(state): State<AppState>,
    auth: Authorized,
    Path((id, case_id)): Path<(BatchId, CaseId)>,
    Json(body): Json<Review>,
) -> ApiResult<impl IntoResponse> {
    let details =
        app::batches::record_finding(&state.app, &auth.actor(), id, case_id, body.finding).await?;
    let view = BatchView::from(details);
    Ok((etag(view.version), Json(view)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "The other award is for a different property (cadastral numbers differ)."}))]
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
    let details =
        app::batches::clear_duplicate(&state.app, &auth.actor(), id, case_id, &body.reason).await?;
    Ok(Json(BatchView::from(details)))
}

#[derive(Serialize, ToSchema)]
pub struct ReleaseOutcome {
    #[schema(value_type = crate::views::schema::ReleaseDecision)]
    pub decision: ReleaseDecision,
    #[schema(value_type = String)]
    pub sample_error_rate: Decimal,
    #[schema(value_type = String)]
    pub error_threshold: Decimal,
    /// The sample's findings (the reasons for a return).
    #[schema(value_type = Vec<crate::views::schema::SampleFinding>)]
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
    let decided = app::batches::release(&state.app, &auth.actor(), id, version).await?;
    Ok(Json(ReleaseOutcome {
        decision: decided.decision,
        sample_error_rate: decided.sample_error_rate,
        error_threshold: decided.error_threshold,
        findings: decided.findings,
        batch: BatchView::from(decided.batch),
    }))
}
