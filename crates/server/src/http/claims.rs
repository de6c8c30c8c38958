//! The Register's claims API: filing, the pre-screen at submission, the
//! secretariat's review, the Board's decisions, duplicates and history.
//! Each handler parses its request, calls `app::claims` and presents the
//! outcome; a claim the caller may not see answers 404.

use crate::authz::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::{
    Json, PageParams, Path, Query, etag, etag_text, etag_version, if_match_version,
    optional_if_match,
};
use crate::http::idempotency::{OwnAnswer, json_answer, sent};
use crate::state::AppState;
use crate::views::money;
use app::claims::{self as use_case, BoardOutcome, FlagSeen, Step};
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use register::{ClaimDraft, ClaimId, ClaimStatus, DuplicateFlagId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::claims::{ClaimFilter, ClaimRecord, ClaimSummaryRecord};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A claim as its filer and the staff see it.
#[derive(Serialize, ToSchema)]
pub struct ClaimView {
    #[schema(value_type = String, format = Uuid)]
    pub id: ClaimId,
    pub reference: Option<String>,
    #[schema(value_type = crate::views::schema::ClaimStatus, example = "draft")]
    pub status: ClaimStatus,
    pub category: Option<String>,
    pub sensitive: bool,
    /// The claim as filed (see `POST /v1/claims`).
    #[schema(value_type = crate::views::schema::ClaimDraft)]
    pub claim: Value,
    /// Total claimed per currency, derived from the losses.
    #[schema(value_type = Vec<crate::views::schema::Money>)]
    pub totals: Value,
    pub duplicate_flagged: bool,
    /// The secretariat's recommendation to the Board, once made.
    #[schema(value_type = Option<BoardAdvice>)]
    pub recommendation: Option<Value>,
    /// The Board's decision on recording, once made.
    #[schema(value_type = Option<BoardAdvice>)]
    pub decision: Option<Value>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A claim as its claimant sees it: what they filed, where it stands, and
/// the Board's decision with its reasons. Staff's internal advice (the
/// secretariat's recommendation), duplicate flags and staff account ids
/// are never part of it.
// `deny_unknown_fields` marks the schema closed, so that the staff view (a
// superset) never also validates as this one.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimantView {
    #[schema(value_type = String, format = Uuid)]
    pub id: ClaimId,
    pub reference: Option<String>,
    #[schema(value_type = crate::views::schema::ClaimStatus, example = "draft")]
    pub status: ClaimStatus,
    pub category: Option<String>,
    /// The claim as filed (see `POST /v1/claims`).
    #[schema(value_type = crate::views::schema::ClaimDraft)]
    pub claim: Value,
    /// Total claimed per currency, derived from the losses.
    #[schema(value_type = Vec<crate::views::schema::Money>)]
    pub totals: Value,
    /// The Board's decision on recording, once made.
    pub decision: Option<BoardDecisionView>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A recommendation to the Board or the Board's decision, as staff read it.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "described, never built: the record keeps it as JSON"
)]
pub struct BoardAdvice {
    pub outcome: Outcome,
    pub reasons: String,
    /// The staff account that made it.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub by: Option<String>,
    /// When a recommendation was made (Unix time, seconds).
    pub at: Option<i64>,
}

/// The Board's decision as the claimant reads it.
#[derive(Serialize, ToSchema)]
pub struct BoardDecisionView {
    /// recorded or rejected
    pub outcome: String,
    pub reasons: String,
}

/// A claim as the caller may see it: the claimant's view for the filer
/// acting as claimant, the staff view otherwise.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ClaimAnswer {
    Staff(ClaimView),
    Claimant(ClaimantView),
}

/// One line of a claims list.
#[derive(Serialize, ToSchema)]
pub struct ClaimSummary {
    #[schema(value_type = String, format = Uuid)]
    pub id: ClaimId,
    pub reference: Option<String>,
    #[schema(value_type = crate::views::schema::ClaimStatus)]
    pub status: ClaimStatus,
    pub category: Option<String>,
    pub region: Option<String>,
    pub claimant_name: Option<String>,
    pub sensitive: bool,
    pub duplicate_flagged: bool,
    #[schema(value_type = Vec<crate::views::schema::Money>)]
    pub totals: Value,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<OffsetDateTime>,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ClaimPage {
    pub items: Vec<ClaimSummary>,
    pub next_cursor: Option<String>,
}

impl From<ClaimSummaryRecord> for ClaimSummary {
    fn from(c: ClaimSummaryRecord) -> Self {
        Self {
            id: c.id,
            reference: c.reference,
            status: c.status,
            category: c.category,
            region: c.region,
            claimant_name: c.claimant_name,
            sensitive: c.sensitive,
            duplicate_flagged: c.duplicate_flagged,
            totals: money::normalized(c.totals),
            submitted_at: c.submitted_at,
            version: c.version,
        }
    }
}

/// The claim in the view the caller is entitled to: the claimant's view
/// for a caller who reads claims only as their filer, the staff view
/// otherwise.
fn view(state: &AppState, auth: &Authorized, record: ClaimRecord) -> ApiResult<ClaimAnswer> {
    if use_case::reads_as_claimant(&auth.actor()) {
        claimant_view(state, record).map(ClaimAnswer::Claimant)
    } else {
        staff_view(state, record).map(ClaimAnswer::Staff)
    }
}

pub(crate) fn claimant_view(state: &AppState, record: ClaimRecord) -> ApiResult<ClaimantView> {
    let claim = money::normalized(use_case::open_content(&state.app, &record)?);
    let decision = record.decision.as_ref().map(|d| BoardDecisionView {
        outcome: d
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        reasons: d
            .get("reasons")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    });
    Ok(ClaimantView {
        id: record.id,
        reference: record.reference,
        status: record.status,
        category: record.category,
        claim,
        totals: money::normalized(record.totals),
        decision,
        submitted_at: record.submitted_at,
        decided_at: record.decided_at,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    })
}

fn staff_view(state: &AppState, record: ClaimRecord) -> ApiResult<ClaimView> {
    let claim = money::normalized(use_case::open_content(&state.app, &record)?);
    Ok(ClaimView {
        id: record.id,
        reference: record.reference,
        status: record.status,
        category: record.category,
        sensitive: record.sensitive,
        claim,
        totals: money::normalized(record.totals),
        duplicate_flagged: record.duplicate_flagged,
        recommendation: record.recommendation,
        decision: record.decision,
        submitted_at: record.submitted_at,
        decided_at: record.decided_at,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    })
}

/// Files a new claim as a draft.
#[utoipa::path(post, path = "/v1/claims", tag = "register", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header)),
    request_body(content = crate::views::schema::ClaimDraft, description = "A claim draft: every part optional until submission",
        example = json!(crate::views::schema::claim_example())),
    responses((status = 201, body = ClaimAnswer), (status = 422, body = crate::error::ProblemBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized,
    own: Option<Extension<OwnAnswer>>,
    Json(draft): Json<ClaimDraft>,
) -> ApiResult<Response> {
    let answer = |record: &ClaimRecord| {
        json_answer(
            StatusCode::CREATED,
            Some(etag_text(record.version)),
            Some(format!("/v1/claims/{}", record.id)),
            &view(&state, &auth, record.clone())?,
        )
    };
    let rendered = Rendered::default();
    let render = |record: &ClaimRecord| rendered.keep(record, answer(record));
    let kept = own.as_ref().map(|o| o.kept(&render));
    let record = use_case::file(&state.app, &auth.actor(), draft, kept.as_ref()).await?;
    Ok(sent(rendered.take(&record, answer)?))
}

/// The answer rendered inside the change's transaction, to be sent as it
/// was kept rather than rendered twice.
#[derive(Default)]
struct Rendered(std::sync::Mutex<Option<((ClaimId, i64), store::StoredResponse)>>);

impl Rendered {
    fn keep(
        &self,
        record: &ClaimRecord,
        answer: ApiResult<store::StoredResponse>,
    ) -> Result<store::StoredResponse, store::StoreError> {
        let answer = answer.map_err(|e| unrenderable(&e))?;
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(((record.id, record.version), answer.clone()));
        Ok(answer)
    }

    fn take(
        &self,
        record: &ClaimRecord,
        answer: impl Fn(&ClaimRecord) -> ApiResult<store::StoredResponse>,
    ) -> ApiResult<store::StoredResponse> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match kept {
            Some((of, answer)) if of == (record.id, record.version) => Ok(answer),
            _ => answer(record),
        }
    }
}

/// An answer that could not be rendered inside the change's transaction:
/// the change is not made.
fn unrenderable(e: &ApiError) -> store::StoreError {
    store::StoreError::internal(std::io::Error::other(format!(
        "rendering the answer: {}",
        e.detail
    )))
}

/// Read one claim the caller may see.
#[utoipa::path(get, path = "/v1/claims/{id}", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ClaimAnswer), (status = 404, body = crate::error::ProblemBody)))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
) -> ApiResult<impl IntoResponse> {
    let record = use_case::visible(&state.app, &auth.actor(), id).await?;
    Ok((etag(record.version), Json(view(&state, &auth, record)?)))
}

/// Edits a draft with a JSON Merge Patch (RFC 7396). Needs `If-Match`.
#[utoipa::path(patch, path = "/v1/claims/{id}", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("If-Match" = String, Header)),
    request_body(content = crate::views::schema::ClaimDraft, description = "JSON Merge Patch of the draft: the parts to change; `null` removes a part",
        example = json!({"narrative": "The house was hit by artillery on 14 March 2022 and burned down to the foundations."})),
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn edit(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    headers: HeaderMap,
    Json(patch): Json<Value>,
) -> ApiResult<impl IntoResponse> {
    let version = if_match_version(&headers)?;
    let updated = use_case::edit(&state.app, &auth.actor(), id, version, &patch).await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

/// Submits a draft: the eligibility pre-screen runs, a reference number is
/// given, and probable duplicates are flagged for staff.
#[utoipa::path(post, path = "/v1/claims/{id}/submit", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody),
        (status = 422, description = "Pre-screen failures, all at once", body = crate::error::ProblemBody)))]
pub async fn submit(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    own: Option<Extension<OwnAnswer>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let expected = optional_if_match(&headers)?;
    let answer = |record: &ClaimRecord| {
        json_answer(
            StatusCode::OK,
            Some(etag_text(record.version)),
            None,
            &view(&state, &auth, record.clone())?,
        )
    };
    let rendered = Rendered::default();
    let render = |record: &ClaimRecord| rendered.keep(record, answer(record));
    let kept = own.as_ref().map(|o| o.kept(&render));
    let submitted =
        use_case::submit(&state.app, &auth.actor(), id, expected, kept.as_ref()).await?;
    Ok(sent(rendered.take(&submitted, answer)?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Filed twice by mistake."}))]
pub struct Reason {
    /// Why: kept in the claim's history.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "Please add the certificate of ownership."}))]
pub struct Message {
    pub message: String,
}

/// The claimant withdraws the claim before the Board decides.
#[utoipa::path(post, path = "/v1/claims/{id}/withdraw", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Reason,
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    // The reason is optional, and so is the body.
    let reason: Reason = if body.iter().all(u8::is_ascii_whitespace) {
        Reason::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::malformed(format!("The body is not valid JSON: {e}")))?
    };
    let updated = use_case::withdraw(&state.app, &auth.actor(), id, reason.reason).await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

/// The claimant answers a request for information; the claim returns to review.
#[utoipa::path(post, path = "/v1/claims/{id}/responses", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Message,
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody)))]
pub async fn respond(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Json(body): Json<Message>,
) -> ApiResult<impl IntoResponse> {
    let updated = use_case::respond(&state.app, &auth.actor(), id, &body.message).await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

/// The secretariat takes the claim up for review.
#[utoipa::path(post, path = "/v1/claims/{id}/review", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody)))]
pub async fn start_review(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
) -> ApiResult<impl IntoResponse> {
    let updated = use_case::start_review(&state.app, &auth.actor(), id).await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

/// Asks the claimant for more information; they see the message.
#[utoipa::path(post, path = "/v1/claims/{id}/information-requests", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Message,
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody)))]
pub async fn request_information(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Json(body): Json<Message>,
) -> ApiResult<impl IntoResponse> {
    let updated =
        use_case::request_information(&state.app, &auth.actor(), id, &body.message).await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Recorded,
    Rejected,
}

impl From<Outcome> for BoardOutcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Recorded => Self::Recorded,
            Outcome::Rejected => Self::Rejected,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "recorded", "reasons": "Meets the criteria."}))]
pub struct Recommend {
    pub outcome: Outcome,
    pub reasons: String,
}

/// The secretariat recommends recording or rejecting; the Board decides.
#[utoipa::path(post, path = "/v1/claims/{id}/recommendation", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Recommend,
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody)))]
pub async fn recommend(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Json(body): Json<Recommend>,
) -> ApiResult<impl IntoResponse> {
    let updated = use_case::recommend(
        &state.app,
        &auth.actor(),
        id,
        body.outcome.into(),
        &body.reasons,
    )
    .await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

// Renamed in the description: schema names are global, and the Council's
// `decisions::Decide` would otherwise replace this one.
#[derive(Deserialize, ToSchema)]
#[schema(as = ClaimDecide, example = json!({"outcome": "recorded", "reasons": "Meets the criteria."}))]
#[serde(deny_unknown_fields)]
pub struct Decide {
    pub outcome: Outcome,
    pub reasons: String,
}

/// The Board records or rejects a claim under review. Needs `If-Match`:
/// of two decisions on the same claim, exactly one succeeds.
#[utoipa::path(post, path = "/v1/claims/{id}/decision", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("If-Match" = String, Header)), request_body = Decide,
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn decide(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    headers: HeaderMap,
    Json(body): Json<Decide>,
) -> ApiResult<impl IntoResponse> {
    let version = if_match_version(&headers)?;
    let updated = use_case::decide(
        &state.app,
        &auth.actor(),
        id,
        Some(version),
        body.outcome.into(),
        &body.reasons,
    )
    .await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecision {
    #[schema(value_type = String, format = Uuid)]
    pub claim_id: ClaimId,
    pub outcome: Outcome,
    pub reasons: String,
    /// The claim's ETag (`"v3"`), the string `If-Match` would carry for it
    /// alone; when given, a claim changed since is not decided (412).
    #[schema(example = "\"v3\"")]
    pub if_match: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"meeting_reference": "B/2026/7", "items": [{"claim_id": "01a24b20-5b67-757f-9050-b4742f615871", "outcome": "recorded", "reasons": "Meets the criteria.", "if_match": "\"v3\""}]}))]
pub struct BulkDecisions {
    /// The Board meeting the decisions were taken at, e.g. `B/2026/14`.
    pub meeting_reference: Option<String>,
    pub items: Vec<BulkDecision>,
}

// Renamed in the description, apart from `decisions::BulkResult`.
#[derive(Serialize, ToSchema)]
#[schema(as = ClaimBulkResult)]
pub struct BulkResult {
    #[schema(value_type = String, format = Uuid)]
    pub claim_id: ClaimId,
    /// HTTP status this decision would have had on its own.
    pub status: u16,
    #[schema(value_type = Option<crate::views::schema::ClaimStatus>)]
    pub claim_status: Option<ClaimStatus>,
    /// The problem, when the decision was not taken.
    #[schema(value_type = Option<crate::error::ProblemBody>)]
    pub problem: Option<Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkReviewItem {
    #[schema(value_type = String, format = Uuid)]
    pub claim_id: ClaimId,
    /// The claim's ETag (`"v3"`); when given, a claim changed since is not
    /// taken up (412).
    #[schema(example = "\"v3\"")]
    pub if_match: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [{"claim_id": "01a24b20-5b67-757f-9050-b4742f615871", "if_match": "\"v2\""}]}))]
pub struct BulkReview {
    pub items: Vec<BulkReviewItem>,
}

fn bulk_results(
    auth: &Authorized,
    results: Vec<(ClaimId, app::AppResult<store::claims::ClaimRecord>)>,
) -> Vec<BulkResult> {
    results
        .into_iter()
        .map(|(claim_id, result)| match result {
            Ok(record) => BulkResult {
                claim_id,
                status: 200,
                claim_status: Some(record.status),
                problem: None,
            },
            Err(e) => {
                let e = ApiError::from(e);
                BulkResult {
                    claim_id,
                    status: e.status.as_u16(),
                    claim_status: None,
                    problem: serde_json::to_value(e.body(auth.request_id.clone())).ok(),
                }
            }
        })
        .collect()
}

/// The secretariat takes many submitted claims up for review at once (up
/// to 1,000), each taken up or refused on its own, with a result per
/// claim in the order given.
#[utoipa::path(post, path = "/v1/claims/reviews", tag = "register", security(("bearer" = [])),
    request_body = BulkReview,
    responses((status = 200, body = Vec<BulkResult>), (status = 422, body = crate::error::ProblemBody)))]
pub async fn start_review_many(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<BulkReview>,
) -> ApiResult<Json<Vec<BulkResult>>> {
    let claims = body
        .items
        .into_iter()
        // An ETag this service never gave names no version: stale.
        .map(|i| {
            (
                i.claim_id,
                i.if_match.as_deref().map(|t| etag_version(t).unwrap_or(-1)),
            )
        })
        .collect();
    let results = use_case::start_review_many(&state.app, &auth.actor(), claims).await?;
    Ok(Json(bulk_results(&auth, results)))
}

/// Many Board decisions at once (up to 1,000), each taken or refused on
/// its own, with a result per claim.
#[utoipa::path(post, path = "/v1/claims/decisions", tag = "register", security(("bearer" = [])),
    request_body = BulkDecisions,
    responses((status = 200, body = Vec<BulkResult>), (status = 422, body = crate::error::ProblemBody)))]
pub async fn decide_many(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<BulkDecisions>,
) -> ApiResult<Json<Vec<BulkResult>>> {
    let decisions = body
        .items
        .into_iter()
        .map(|d| use_case::BoardDecision {
            claim: d.claim_id,
            outcome: d.outcome.into(),
            reasons: d.reasons,
            // An ETag this service never gave names no version: stale.
            expected_version: d.if_match.as_deref().map(|t| etag_version(t).unwrap_or(-1)),
        })
        .collect();
    let results = use_case::decide_many(
        &state.app,
        &auth.actor(),
        body.meeting_reference.as_deref(),
        decisions,
    )
    .await?;
    Ok(Json(bulk_results(&auth, results)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// draft, submitted, under_review, information_requested, recorded, rejected, withdrawn
    pub status: Option<String>,
    pub category: Option<String>,
    /// ISO 3166-2:UA code, e.g. UA-48
    pub region: Option<String>,
    /// Submitted on or after (YYYY-MM-DD or RFC 3339). With this or
    /// `submitted_to`, claims come in submission order (oldest submission
    /// first; drafts, never submitted, are left out).
    pub submitted_from: Option<String>,
    /// Submitted before (YYYY-MM-DD or RFC 3339). With this or
    /// `submitted_from`, claims come in submission order.
    pub submitted_to: Option<String>,
    /// Only claims with open duplicate flags.
    pub duplicate: Option<bool>,
    /// A reference number, or the start of a claimant's name.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl From<&ListQuery> for use_case::ListParams {
    fn from(q: &ListQuery) -> Self {
        Self {
            status: q.status.clone(),
            category: q.category.clone(),
            region: q.region.clone(),
            submitted_from: q.submitted_from.clone(),
            submitted_to: q.submitted_to.clone(),
            duplicate: q.duplicate,
            q: q.q.clone(),
        }
    }
}

/// The filters of `GET /v1/claims` (also used by the claims export).
pub(crate) fn claim_filter(q: &ListQuery) -> ApiResult<ClaimFilter> {
    Ok(use_case::filter(&q.into())?)
}

/// Claims the caller may see, oldest first, with filters.
///
/// Oldest first means in order of creation, or in order of submission
/// when `submitted_from` or `submitted_to` is given. Follow `next_cursor`
/// with the same filters to get every matching claim exactly once.
#[utoipa::path(get, path = "/v1/claims", tag = "register", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = ClaimPage), (status = 422, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<ClaimPage>> {
    let page = crate::extract::PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .request()?;
    let filter = claim_filter(&q)?;
    let page = use_case::list(&state.app, &auth.actor(), &filter, page)
        .await?
        .map(ClaimSummary::from);
    Ok(Json(ClaimPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub action: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub actor: Option<kernel::id::AccountId>,
    pub actor_role: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

page_of!(
    /// A page of a claim's history.
    HistoryPage,
    HistoryEntry
);

/// List the changes to the claim (who, when, from, to, why), oldest first,
/// cursor-paged. Read from the audit log: a page may hold fewer entries than
/// its limit; only the absence of `next_cursor` ends the history.
#[utoipa::path(get, path = "/v1/claims/{id}/history", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses((status = 200, body = HistoryPage), (status = 404, body = crate::error::ProblemBody)))]
pub async fn history(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<HistoryPage>> {
    let steps = use_case::history_page(&state.app, &auth.actor(), id, params.request()?).await?;
    Ok(Json(steps.into()))
}

impl From<Step> for HistoryEntry {
    fn from(s: Step) -> Self {
        Self {
            at: s.at,
            action: s.action,
            actor: s.actor,
            actor_role: s.actor_role,
            from: s.from,
            to: s.to,
            reason: s.reason,
        }
    }
}

/// A request for information or the claimant's answer.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "described, never built: the store's record is sent"
)]
pub struct MessageView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    /// `request` (staff asks) or `response` (the claimant answers).
    pub kind: String,
    #[schema(value_type = String, format = Uuid)]
    pub author: String,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
}

page_of!(
    /// A page of a claim's messages.
    MessagePage,
    store::claims::ClaimMessage,
    Vec<MessageView>
);

/// List the requests for information and the claimant's answers, oldest
/// first, cursor-paged.
#[utoipa::path(get, path = "/v1/claims/{id}/messages", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses((status = 200, body = MessagePage), (status = 404, body = crate::error::ProblemBody)))]
pub async fn messages(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<MessagePage>> {
    let page = use_case::message_page(&state.app, &auth.actor(), id, params.request()?).await?;
    Ok(Json(page.into()))
}

/// A probable-duplicate flag as the caller may see it.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum DuplicateFlagView {
    /// Both claims are ones the caller may see.
    Open(DuplicateFlagDetail),
    /// The other claim is one the caller may not see: that a possible
    /// duplicate exists, and nothing about it.
    Restricted(RestrictedFlag),
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateFlagDetail {
    #[schema(value_type = String, format = Uuid)]
    pub id: DuplicateFlagId,
    #[schema(value_type = String, format = Uuid)]
    pub claim: ClaimId,
    #[schema(value_type = String, format = Uuid)]
    pub other_claim: ClaimId,
    /// same_claimant_other_category, same_external_reference, ...
    pub reason: String,
    /// The key both claims share, e.g. `rnokpp:...`.
    pub matched: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub raised_at: OffsetDateTime,
    /// confirmed or not_duplicate, once resolved.
    pub outcome: Option<String>,
    pub resolution_reason: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub resolved_by: Option<kernel::id::AccountId>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<OffsetDateTime>,
}

#[derive(Serialize, ToSchema)]
pub struct RestrictedFlag {
    /// Always true: the flag's other claim is not named.
    pub restricted: bool,
    pub detail: &'static str,
    /// Whether someone with the clearance has resolved it.
    pub resolved: bool,
}

/// What staff without the sensitive clearance read instead of a flag whose
/// other claim is sensitive.
pub const RESTRICTED_FLAG: &str =
    "A possible duplicate that someone with the sensitive clearance must resolve.";

impl From<FlagSeen> for DuplicateFlagView {
    fn from(flag: FlagSeen) -> Self {
        match flag {
            FlagSeen::Open(flag) => Self::Open(DuplicateFlagDetail {
                id: flag.id,
                claim: flag.claim,
                other_claim: flag.other_claim,
                reason: flag.reason,
                matched: flag.matched,
                raised_at: flag.raised_at,
                outcome: flag.outcome,
                resolution_reason: flag.resolution_reason,
                resolved_by: flag.resolved_by,
                resolved_at: flag.resolved_at,
            }),
            FlagSeen::Restricted { resolved } => Self::Restricted(RestrictedFlag {
                restricted: true,
                detail: RESTRICTED_FLAG,
                resolved,
            }),
        }
    }
}

page_of!(
    /// A page of a claim's duplicate flags.
    DuplicateFlagPage,
    DuplicateFlagView
);

/// List the probable-duplicate flags raised on or against this claim,
/// oldest first, cursor-paged. A flag whose other claim is sensitive shows
/// only that it exists, unless the caller has the sensitive clearance.
#[utoipa::path(get, path = "/v1/claims/{id}/duplicates", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses((status = 200, body = DuplicateFlagPage), (status = 404, body = crate::error::ProblemBody)))]
pub async fn duplicates(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<DuplicateFlagPage>> {
    let flags =
        use_case::duplicate_flag_page(&state.app, &auth.actor(), id, params.request()?).await?;
    Ok(Json(flags.into()))
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum FlagOutcome {
    Confirmed,
    NotDuplicate,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "not_duplicate", "reason": "Different properties of the same owner."}))]
pub struct ResolveFlag {
    pub outcome: FlagOutcome,
    pub reason: String,
}

/// Resolves a duplicate flag once, with a reason. Flags never reject a
/// claim by themselves. A flag on a sensitive claim is resolved only by
/// staff with the sensitive clearance; to anyone else it does not exist.
#[utoipa::path(post, path = "/v1/duplicate-flags/{id}/resolve", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = ResolveFlag,
    responses((status = 200, body = DuplicateFlagDetail), (status = 404, body = crate::error::ProblemBody),
        (status = 409, body = crate::error::ProblemBody)))]
pub async fn resolve_flag(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<DuplicateFlagId>,
    Json(body): Json<ResolveFlag>,
) -> ApiResult<Json<DuplicateFlagView>> {
    let outcome = match body.outcome {
        FlagOutcome::Confirmed => use_case::FlagOutcome::Confirmed,
        FlagOutcome::NotDuplicate => use_case::FlagOutcome::NotDuplicate,
    };
    let record =
        use_case::resolve_flag(&state.app, &auth.actor(), id, outcome, &body.reason).await?;
    Ok(Json(FlagSeen::Open(record).into()))
}
