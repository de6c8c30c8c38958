//! Recommendations through HTTP: proposed by a panel member on a case or
//! on a released batch, voted on by the panel.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query, etag, page_request};
use crate::state::AppState;
use app::decisions::{Proposal, ProposedOutcome, Recommended};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commission::{
    BatchId, CaseId, DecisionId, DecisionStatus, DismissalCode, Outcome, PanelId, RecommendationId,
    Vote, VoteChoice,
};
use kernel::Money;
use kernel::id::AccountId;
use serde::{Deserialize, Serialize};
use store::decisions::RecommendationRecord;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TallyView {
    pub members: usize,
    pub majority: usize,
    pub in_favour: usize,
    pub against: usize,
    pub abstentions: usize,
    pub eligible_not_voted: usize,
}

#[derive(Serialize, ToSchema)]
pub struct RecommendationView {
    #[schema(value_type = String, format = Uuid)]
    pub id: RecommendationId,
    #[schema(value_type = String, format = Uuid)]
    pub case_id: CaseId,
    #[schema(value_type = String, format = Uuid)]
    pub panel_id: PanelId,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub batch_id: Option<BatchId>,
    #[schema(value_type = String, format = Uuid)]
    pub proposed_by: AccountId,
    #[schema(value_type = Option<crate::views::schema::Money>)]
    pub assessed_amount: Option<Money>,
    /// An award (amount, variation reasons) or a dismissal (codes, text).
    #[schema(value_type = crate::views::schema::PanelOutcome)]
    pub outcome: Outcome,
    #[schema(value_type = Vec<crate::views::schema::Vote>)]
    pub votes: Vec<Vote>,
    #[schema(value_type = crate::views::schema::RecommendationStatus)]
    pub status: commission::RecommendationStatus,
    pub tally: Option<TallyView>,
    /// The decision before the Council once adopted: its version is the
    /// `If-Match` of `POST /v1/recommendations/{id}/decision`.
    pub decision: Option<DecisionRef>,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DecisionRef {
    #[schema(value_type = String, format = Uuid)]
    pub id: DecisionId,
    #[schema(value_type = crate::views::schema::DecisionStatus)]
    pub status: DecisionStatus,
    pub version: i64,
}

impl From<RecommendationRecord> for RecommendationView {
    fn from(r: RecommendationRecord) -> Self {
        let rec = r.recommendation;
        Self {
            id: rec.id,
            case_id: rec.case,
            panel_id: rec.panel,
            batch_id: r.batch_id,
            proposed_by: rec.proposed_by,
            assessed_amount: rec.assessed_amount,
            outcome: rec.outcome,
            votes: rec.votes,
            status: rec.status,
            tally: None,
            decision: None,
            version: r.version,
        }
    }
}

impl From<Recommended> for RecommendationView {
    fn from(r: Recommended) -> Self {
        Self {
            tally: r.tally.map(|t| TallyView {
                members: t.members,
                majority: t.majority,
                in_favour: t.in_favour,
                against: t.against,
                abstentions: t.abstentions,
                eligible_not_voted: t.eligible_not_voted,
            }),
            decision: r.decision.map(|d| DecisionRef {
                id: d.decision.id,
                status: d.decision.status,
                version: d.version,
            }),
            ..Self::from(r.record)
        }
    }
}

/// A recommendation as proposed: an award (at the assessed amount unless
/// `amount` is given, which then needs `variation_reasons`) or a dismissal
/// (codes from the list, plus text).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"panel": "01a24b20-5b67-757f-9050-b4742f615871", "outcome": "award"}))]
pub struct Propose {
    #[schema(value_type = String, format = Uuid)]
    pub panel: PanelId,
    /// `award` or `dismissal`
    #[schema(example = "award")]
    pub outcome: String,
    #[schema(value_type = Option<crate::views::schema::Money>)]
    pub amount: Option<Money>,
    pub variation_reasons: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<crate::views::schema::DismissalCode>)]
    pub codes: Vec<DismissalCode>,
    pub text: Option<String>,
}

impl Propose {
    fn proposal(self) -> ApiResult<Proposal> {
        Ok(Proposal {
            panel: self.panel,
            outcome: ProposedOutcome::named(
                &self.outcome,
                self.amount,
                self.variation_reasons,
                self.codes,
                self.text,
            )?,
        })
    }
}

/// A panel member proposes a recommendation on one case. Gated.
#[utoipa::path(post, path = "/v1/cases/{id}/recommendations", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Propose,
    responses((status = 201, body = RecommendationView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn recommend(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<CaseId>,
    Json(body): Json<Propose>,
) -> ApiResult<impl IntoResponse> {
    let proposal = body.proposal()?;
    let saved = app::decisions::recommend(&state.app, &auth.actor(), id, proposal).await?;
    Ok((
        StatusCode::CREATED,
        etag(saved.version),
        Json(RecommendationView::from(saved)),
    ))
}

/// A panel member proposes one recommendation per case of a released
/// batch (an award at each case's assessed amount, or a dismissal). Gated.
#[utoipa::path(post, path = "/v1/batches/{id}/recommendations", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Propose,
    responses((status = 201, body = Vec<RecommendationView>), (status = 409, body = crate::error::ProblemBody)))]
pub async fn recommend_batch(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<BatchId>,
    Json(body): Json<Propose>,
) -> ApiResult<impl IntoResponse> {
    if body.amount.is_some() {
        return Err(app::decisions::batch_amount_refused().into());
    }
    let proposal = body.proposal()?;
    let saved = app::decisions::recommend_batch(&state.app, &auth.actor(), id, proposal).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            saved
                .into_iter()
                .map(RecommendationView::from)
                .collect::<Vec<_>>(),
        ),
    ))
}

page_of!(
    /// A page of recommendations.
    RecommendationPage,
    RecommendationView
);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendationQuery {
    /// open, adopted or rejected
    pub status: Option<String>,
    /// A case id.
    pub case: Option<String>,
    /// A panel id.
    pub panel: Option<String>,
    /// A batch id.
    pub batch: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List recommendations with their votes and decisions, oldest first,
/// filtered and cursor-paged; those on claims the caller may not know of
/// are left out.
#[utoipa::path(get, path = "/v1/recommendations", tag = "decisions", security(("bearer" = [])),
    params(RecommendationQuery), responses((status = 200, body = RecommendationPage),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn recommendations(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<RecommendationQuery>,
) -> ApiResult<Json<RecommendationPage>> {
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let criteria = app::decisions::RecommendationCriteria {
        status: q.status,
        case: q.case,
        panel: q.panel,
        batch: q.batch,
    };
    let list = app::decisions::recommendations(&state.app, &auth.actor(), &criteria, page).await?;
    Ok(Json(list.into()))
}

/// One recommendation with its votes.
#[utoipa::path(get, path = "/v1/recommendations/{id}", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = RecommendationView)))]
pub async fn recommendation(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<RecommendationId>,
) -> ApiResult<impl IntoResponse> {
    let r = app::decisions::recommendation(&state.app, &auth.actor(), id).await?;
    Ok((etag(r.record.version), Json(RecommendationView::from(r))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"choice": "in_favour"}))]
pub struct CastVote {
    #[schema(value_type = crate::views::schema::VoteChoice)]
    pub choice: VoteChoice,
}

/// A panel member votes once; a member who assessed the case or reviewed
/// it in a sample may not. Adopted at a majority of the members. Gated.
#[utoipa::path(post, path = "/v1/recommendations/{id}/votes", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = CastVote,
    responses((status = 200, body = RecommendationView), (status = 409, body = crate::error::ProblemBody)))]
pub async fn vote(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<RecommendationId>,
    Json(body): Json<CastVote>,
) -> ApiResult<impl IntoResponse> {
    let r = app::decisions::vote(&state.app, &auth.actor(), id, body.choice).await?;
    Ok((etag(r.record.version), Json(RecommendationView::from(r))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkVoteItem {
    #[schema(value_type = String, format = Uuid)]
    pub recommendation: RecommendationId,
    #[schema(value_type = crate::views::schema::VoteChoice)]
    pub choice: VoteChoice,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [{"recommendation": "01a24b20-5b67-757f-9050-b4742f615871", "choice": "in_favour"}]}))]
pub struct BulkVote {
    pub items: Vec<BulkVoteItem>,
}

#[derive(Serialize, ToSchema)]
pub struct VoteResult {
    #[schema(value_type = String, format = Uuid)]
    pub recommendation: RecommendationId,
    /// HTTP status this vote would have had on its own.
    pub status: u16,
    /// The recommendation after the vote, when cast.
    pub result: Option<RecommendationView>,
    /// The problem, when the vote was refused.
    #[schema(value_type = Option<crate::error::ProblemBody>)]
    pub problem: Option<serde_json::Value>,
}

/// A panel member's votes on many recommendations at once (a batch's, up
/// to 1,000), each cast or refused on its own as a single vote would be,
/// with a result per recommendation in the order given. Gated.
#[utoipa::path(post, path = "/v1/recommendations/votes", tag = "decisions", security(("bearer" = [])),
    request_body = BulkVote,
    responses((status = 200, body = Vec<VoteResult>), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn vote_many(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<BulkVote>,
) -> ApiResult<Json<Vec<VoteResult>>> {
    let votes = body
        .items
        .into_iter()
        .map(|i| (i.recommendation, i.choice))
        .collect();
    let results = app::decisions::vote_many(&state.app, &auth.actor(), votes).await?;
    Ok(Json(
        results
            .into_iter()
            .map(|(recommendation, result)| match result {
                Ok(r) => VoteResult {
                    recommendation,
                    status: 200,
                    result: Some(RecommendationView::from(r)),
                    problem: None,
                },
                Err(e) => {
                    let e = crate::error::ApiError::from(e);
                    VoteResult {
                        recommendation,
                        status: e.status.as_u16(),
                        result: None,
                        problem: serde_json::to_value(e.body(auth.request_id.clone())).ok(),
                    }
                }
            })
            .collect(),
    ))
}
