//! The Council's decisions through HTTP: its steps on a recommendation
//! (one, or a meeting's list), corrections, the decisions on a case, a
//! claim's final decisions as its claimant sees them, and the public
//! register.

use crate::authz::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::{
    Json, PageParams, Path, Query, etag, etag_version, if_match_version, page_request,
};
use crate::http::awards::AwardView;
use crate::state::AppState;
use app::decisions::{Corrected, NewCorrection, PublicEntry};
use app::{AppError, AppResult};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use commission::{
    AssemblyVote, CaseId, CorrectionReason, CouncilAction, DecisionId, DecisionNumber,
    DecisionStatus, DismissalCode, Outcome, RecommendationId, ReviewOutcome,
};
use kernel::Money;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::decisions::{DecisionRecord, Issued};
use time::Date;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct DecisionView {
    #[schema(value_type = String, format = Uuid)]
    pub id: DecisionId,
    #[schema(value_type = String, format = Uuid)]
    pub case_id: CaseId,
    #[schema(value_type = String, format = Uuid)]
    pub recommendation_id: RecommendationId,
    #[schema(value_type = crate::views::schema::DecisionStatus)]
    pub status: DecisionStatus,
    #[schema(value_type = Option<String>, example = "ICC-DEC-2027-000001")]
    pub number: Option<DecisionNumber>,
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<String>,
    #[schema(value_type = crate::views::schema::PanelOutcome)]
    pub outcome: Outcome,
    #[schema(value_type = Option<crate::views::schema::ReviewOutcome>)]
    pub review: Option<ReviewOutcome>,
    #[schema(value_type = Option<crate::views::schema::AssemblyVote>)]
    pub assembly_vote: Option<AssemblyVote>,
    #[schema(value_type = Option<crate::views::schema::Supersession>)]
    pub supersedes: Option<commission::Supersession>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub superseded_by: Option<DecisionId>,
    pub meeting_reference: Option<String>,
    #[schema(value_type = Vec<crate::views::schema::CouncilAction>)]
    pub history: Vec<CouncilAction>,
    pub version: i64,
}

impl From<DecisionRecord> for DecisionView {
    fn from(r: DecisionRecord) -> Self {
        let d = r.decision;
        Self {
            id: d.id,
            case_id: d.case,
            recommendation_id: d.recommendation,
            status: d.status,
            number: d.number,
            decided_on: d.decided_on.map(|x| x.to_string()),
            outcome: d.outcome,
            review: d.review,
            assembly_vote: d.assembly_vote,
            supersedes: d.supersedes,
            superseded_by: r.superseded_by,
            meeting_reference: r.meeting_reference,
            history: d.history,
            version: r.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct IssuedView {
    pub decision: DecisionView,
    pub award: Option<AwardView>,
}

impl From<Issued> for IssuedView {
    fn from(i: Issued) -> Self {
        Self {
            decision: i.decision.into(),
            award: i.award.map(AwardView::from),
        }
    }
}

/// What the Council does with a recommendation.
#[derive(Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CouncilStep {
    /// Final decision, numbered `ICC-DEC-<year>-<sequence>`.
    Approve {
        #[serde(default)]
        decided_on: Option<String>,
    },
    ReturnToPanel {
        reasons: String,
    },
    ReferToReviewCommittee {
        grounds: String,
    },
    RecordReviewOutcome {
        outcome: ReviewOutcome,
    },
    ReferToAssembly {
        grounds: String,
    },
    RecordAssemblyVote {
        vote: AssemblyVote,
    },
}

impl CouncilStep {
    fn read(self) -> AppResult<app::decisions::CouncilStep> {
        use app::decisions::CouncilStep as Step;
        Ok(match self {
            Self::Approve { decided_on } => Step::Approve {
                decided_on: decided_on
                    .as_deref()
                    .map(|d| day("decided_on", d))
                    .transpose()?,
            },
            Self::ReturnToPanel { reasons } => Step::ReturnToPanel { reasons },
            Self::ReferToReviewCommittee { grounds } => Step::ReferToReviewCommittee { grounds },
            Self::RecordReviewOutcome { outcome } => Step::RecordReviewOutcome { outcome },
            Self::ReferToAssembly { grounds } => Step::ReferToAssembly { grounds },
            Self::RecordAssemblyVote { vote } => Step::RecordAssemblyVote { vote },
        })
    }
}

/// The shape of a body that names a Council step by `action`, with the
/// fields every step of that body has; described as one object per step
/// (a flattened enum is not an object a client generator can build).
macro_rules! council_step_schema {
    ($(#[$meta:meta])* $name:ident as $public:ident { $($field:tt)* }) => {
        #[derive(ToSchema)]
        $(#[$meta])*
        #[schema(as = $public)]
        #[serde(tag = "action", rename_all = "snake_case")]
        #[allow(dead_code, reason = "described, never built")]
        pub enum $name {
            /// Final decision, numbered `ICC-DEC-<year>-<sequence>`.
            Approve {
                $($field)*
                #[schema(value_type = Option<String>, format = Date)]
                decided_on: Option<String>,
            },
            ReturnToPanel { $($field)* reasons: String },
            ReferToReviewCommittee { $($field)* grounds: String },
            RecordReviewOutcome { $($field)* outcome: crate::views::schema::ReviewOutcome },
            ReferToAssembly { $($field)* grounds: String },
            RecordAssemblyVote { $($field)* vote: crate::views::schema::AssemblyVote },
        }
    };
}

council_step_schema!(
    /// A Council step on one recommendation, named by `action`.
    #[schema(example = json!({"action": "approve", "meeting_reference": "C/2027/14", "decided_on": "2027-03-18"}))]
    DecideSchema as Decide {
        /// The Council meeting, e.g. `C/2027/14`.
        meeting_reference: Option<String>,
    }
);

council_step_schema!(
    /// One recommendation of a bulk decision and the step on it.
    BulkItemSchema as BulkItem {
        #[schema(value_type = String, format = Uuid)]
        recommendation: String,
        /// The decision's ETag (`"v3"`), the string `If-Match` would carry
        /// for it alone: an item decided or changed since is refused with 412.
        #[schema(example = "\"v3\"")]
        if_match: String,
    }
);

#[derive(Clone, Deserialize)]
pub struct Decide {
    /// The Council meeting, e.g. `C/2027/14`.
    pub meeting_reference: Option<String>,
    #[serde(flatten)]
    pub step: CouncilStep,
}

/// A day written `YYYY-MM-DD`.
pub(crate) fn day(field: &str, text: &str) -> AppResult<Date> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| AppError::invalid_field(field, "invalid", "A date, YYYY-MM-DD."))
}

/// The decision before the Council on a recommendation (the resource
/// `POST` on this path changes), with its `ETag`: 404 until the panel
/// adopted the recommendation.
#[utoipa::path(get, path = "/v1/recommendations/{id}/decision", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = DecisionView),
        (status = 404, body = crate::error::ProblemBody)))]
pub async fn recommendation_decision(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<RecommendationId>,
) -> ApiResult<impl IntoResponse> {
    let d = app::decisions::decision_on_recommendation(&state.app, &auth.actor(), id).await?;
    Ok((etag(d.version), Json(DecisionView::from(d))))
}

/// The Council approves (final decision with its number, and the award),
/// returns to the panel, refers to a Review Committee, records its outcome,
/// refers on to the Assembly or records the Assembly's vote. The resource
/// changed is the recommendation's decision: `If-Match` carries its ETag
/// (`GET` on this path, or `GET /v1/decisions/{id}`), required: 428
/// without it, 412 when stale; of two approvals at once one wins and the
/// other gets 412 (or 409). Gated.
#[utoipa::path(post, path = "/v1/recommendations/{id}/decision", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = DecideSchema,
    responses((status = 200, body = IssuedView), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody),
        (status = 428, body = crate::error::ProblemBody)))]
pub async fn decide(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<RecommendationId>,
    headers: HeaderMap,
    Json(body): Json<Decide>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match_version(&headers)?;
    let step = body.step.read()?;
    let issued = app::decisions::decide(
        &state.app,
        &auth.actor(),
        id,
        expected,
        step,
        body.meeting_reference,
    )
    .await?;
    Ok((
        etag(issued.decision.version),
        Json(IssuedView::from(issued)),
    ))
}

#[derive(Deserialize)]
pub struct BulkItem {
    pub recommendation: RecommendationId,
    /// The decision's ETag (`"v3"`), the string `If-Match` would carry for
    /// it alone: an item decided or changed since is refused with 412.
    pub if_match: String,
    #[serde(flatten)]
    pub step: CouncilStep,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"meeting_reference": "C/2027/14", "items": [{"recommendation": "01a24b20-5b67-757f-9050-b4742f615871", "if_match": "\"v1\"", "action": "approve"}]}))]
pub struct BulkDecide {
    pub meeting_reference: String,
    #[schema(value_type = Vec<BulkItemSchema>)]
    pub items: Vec<BulkItem>,
}

#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    #[schema(value_type = String, format = Uuid)]
    pub recommendation: RecommendationId,
    pub status: u16,
    pub result: Option<IssuedView>,
    /// The problem, when the item was not decided.
    #[schema(value_type = Option<crate::error::ProblemBody>)]
    pub problem: Option<Value>,
}

/// The Council decides many recommendations at one meeting (up to 1,000),
/// each decided or refused on its own; each item carries the decision's
/// ETag in `if_match` (412 for that item when stale). Gated.
#[utoipa::path(post, path = "/v1/recommendations/decisions", tag = "decisions", security(("bearer" = [])),
    request_body = BulkDecide, responses((status = 200, body = Vec<BulkResult>)))]
pub async fn decide_many(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<BulkDecide>,
) -> ApiResult<Json<Vec<BulkResult>>> {
    let items = body
        .items
        .into_iter()
        .map(|item| {
            // An ETag this service never gave is stale for that item alone.
            let expected = etag_version(&item.if_match);
            app::decisions::BulkItem {
                recommendation: item.recommendation,
                expected_version: expected.unwrap_or_default(),
                step: expected
                    .ok_or_else(AppError::precondition_failed)
                    .and_then(|_| item.step.read()),
            }
        })
        .collect();
    let outcomes =
        app::decisions::decide_many(&state.app, &auth.actor(), body.meeting_reference, items)
            .await?;
    Ok(Json(
        outcomes
            .into_iter()
            .map(|o| match o.result {
                Ok(issued) => BulkResult {
                    recommendation: o.recommendation,
                    status: 200,
                    result: Some(issued.into()),
                    problem: None,
                },
                Err(e) => {
                    let e = ApiError::from(e);
                    BulkResult {
                        recommendation: o.recommendation,
                        status: e.status.as_u16(),
                        result: None,
                        problem: serde_json::to_value(e.body(auth.request_id.clone())).ok(),
                    }
                }
            })
            .collect(),
    ))
}

/// One decision.
#[utoipa::path(get, path = "/v1/decisions/{id}", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = DecisionView)))]
pub async fn decision(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<DecisionId>,
) -> ApiResult<impl IntoResponse> {
    let d = app::decisions::decision(&state.app, &auth.actor(), id).await?;
    Ok((etag(d.version), Json(DecisionView::from(d))))
}

page_of!(
    /// A page of decisions.
    DecisionPage,
    DecisionView
);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionQuery {
    /// A decision status, e.g. `open` or `final`.
    pub status: Option<String>,
    /// A case id.
    pub case: Option<String>,
    /// A category code.
    pub category: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List the Council's decisions (open, final, superseded, corrections),
/// oldest first, filtered and cursor-paged; decisions on claims the caller
/// may not know of are left out.
#[utoipa::path(get, path = "/v1/decisions", tag = "decisions", security(("bearer" = [])),
    params(DecisionQuery), responses((status = 200, body = DecisionPage),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn decisions(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<DecisionQuery>,
) -> ApiResult<Json<DecisionPage>> {
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let criteria = app::decisions::DecisionCriteria {
        status: q.status,
        case: q.case,
        category: q.category,
    };
    let list = app::decisions::decisions(&state.app, &auth.actor(), &criteria, page).await?;
    Ok(Json(list.into()))
}

/// List the decisions on a case, corrections and what they superseded
/// included, oldest first, cursor-paged.
#[utoipa::path(get, path = "/v1/cases/{id}/decisions", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses((status = 200, body = DecisionPage)))]
pub async fn case_decisions(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<CaseId>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<DecisionPage>> {
    let list = app::decisions::case_decision_page(&state.app, &auth.actor(), id, params.request()?)
        .await?;
    Ok(Json(list.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "clerical_error", "explanation": "The floor area was read as 121.5 m² instead of 112.5 m².", "amount": {"amount": "67500.00", "currency": "EUR"}, "meeting_reference": "C/2027/15"}))]
pub struct Correct {
    #[schema(value_type = crate::views::schema::CorrectionReason)]
    pub reason: CorrectionReason,
    pub explanation: String,
    /// The corrected amount of an award.
    #[schema(value_type = Option<crate::views::schema::Money>)]
    pub amount: Option<Money>,
    /// Or the corrected outcome in full.
    #[schema(value_type = Option<crate::views::schema::PanelOutcome>)]
    pub outcome: Option<Outcome>,
    pub meeting_reference: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<String>,
}

impl Correct {
    fn correction(self) -> AppResult<NewCorrection> {
        let corrected = match (self.amount, self.outcome) {
            (Some(amount), None) => Corrected::Amount(amount),
            (None, Some(outcome)) => Corrected::Outcome(outcome),
            _ => {
                return Err(AppError::invalid_field(
                    "amount",
                    "required",
                    "Give the corrected amount or the corrected outcome.",
                ));
            }
        };
        Ok(NewCorrection {
            reason: self.reason,
            explanation: self.explanation,
            corrected,
            meeting_reference: self.meeting_reference,
            decided_on: self
                .decided_on
                .as_deref()
                .map(|d| day("decided_on", d))
                .transpose()?,
        })
    }
}

/// A correction (clerical or computational error): a new final decision
/// with its own number that supersedes this one; the award follows it.
/// Gated.
#[utoipa::path(post, path = "/v1/decisions/{id}/corrections", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Correct,
    responses((status = 201, body = IssuedView), (status = 409, body = crate::error::ProblemBody)))]
pub async fn correct(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<DecisionId>,
    Json(body): Json<Correct>,
) -> ApiResult<impl IntoResponse> {
    let correction = body.correction()?;
    let issued = app::decisions::correct(&state.app, &auth.actor(), id, correction).await?;
    Ok((StatusCode::CREATED, Json(IssuedView::from(issued))))
}

/// A final decision as the claimant sees it.
#[derive(Serialize, ToSchema)]
pub struct ClaimDecisionView {
    #[schema(value_type = Option<String>, example = "ICC-DEC-2027-000001")]
    pub number: Option<DecisionNumber>,
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<String>,
    /// Amount and variation reasons, or dismissal codes and text.
    #[schema(value_type = crate::views::schema::PanelOutcome)]
    pub outcome: Outcome,
    #[schema(value_type = Option<crate::views::schema::Supersession>)]
    pub supersedes: Option<commission::Supersession>,
    /// Superseded by a correcting decision: no longer in force.
    pub superseded: bool,
}

impl From<DecisionRecord> for ClaimDecisionView {
    fn from(d: DecisionRecord) -> Self {
        Self {
            number: d.decision.number,
            decided_on: d.decision.decided_on.map(|x| x.to_string()),
            outcome: d.decision.outcome,
            supersedes: d.decision.supersedes,
            superseded: d.superseded_by.is_some(),
        }
    }
}

page_of!(
    /// A page of the final decisions on a claim.
    ClaimDecisionPage,
    ClaimDecisionView
);

/// List the final decisions on the caller's own claim (staff see any claim
/// they may read), oldest first, cursor-paged. Unknown or not yours: 404.
#[utoipa::path(get, path = "/v1/claims/{id}/decisions", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses((status = 200, body = ClaimDecisionPage)))]
pub async fn claim_decisions(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<register::ClaimId>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<ClaimDecisionPage>> {
    let list =
        app::decisions::claim_decision_page(&state.app, &auth.actor(), id, params.request()?)
            .await?;
    Ok(Json(list.into()))
}

/// One entry of the public register: no names, no claim.
#[derive(Serialize, ToSchema)]
pub struct PublicDecision {
    #[schema(value_type = Option<String>, example = "ICC-DEC-2027-000001")]
    pub number: Option<DecisionNumber>,
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<String>,
    pub category: String,
    pub region: Option<String>,
    /// `award` or `dismissal`
    pub outcome: &'static str,
    #[schema(value_type = Option<crate::views::schema::Money>)]
    pub amount: Option<Money>,
    #[schema(value_type = Vec<crate::views::schema::DismissalCode>)]
    pub dismissal_codes: Vec<DismissalCode>,
    /// The number of the decision this one corrects.
    #[schema(value_type = Option<String>)]
    pub supersedes: Option<DecisionNumber>,
    pub superseded: bool,
}

impl From<PublicEntry> for PublicDecision {
    fn from(e: PublicEntry) -> Self {
        Self {
            number: e.number,
            decided_on: e.decided_on.map(|x| x.to_string()),
            category: e.category,
            region: e.region,
            outcome: e.outcome,
            amount: e.amount,
            dismissal_codes: e.dismissal_codes,
            supersedes: e.supersedes,
            superseded: e.superseded,
        }
    }
}

page_of!(
    /// A page of the public register of decisions.
    PublicDecisionPage,
    PublicDecision
);

/// List the public, anonymised register of final decisions (category,
/// region, amount and date; no names), oldest first, cursor-paged. Public.
#[utoipa::path(get, path = "/v1/decisions/public", tag = "decisions",
    params(PageParams), responses((status = 200, body = PublicDecisionPage)))]
pub async fn public_register(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PublicDecisionPage>> {
    let list = app::decisions::public_register(&state.app, params.request()?).await?;
    Ok(Json(list.into()))
}
