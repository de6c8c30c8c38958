//! The Commission's decisions through HTTP: panels, recommendations and
//! votes, the Council's decisions (single or in bulk), corrections, the
//! claimant's and the public's view of decisions, the awards ledger,
//! payment rounds and award totals.
//!
//! Each handler reads the request into a command, calls its use case in
//! `app::decisions` or `app::awards` (which pass the go-live gate and keep
//! the need-to-know), and presents the outcome.

use crate::error::{ApiError, ApiResult};
use crate::http::authz::Authorized;
use crate::http::json::{Json, Path, etag, if_match_version};
use crate::state::AppState;
use app::awards::{AwardTotals, GroupedTotals, NewPayment};
use app::decisions::{
    Corrected, NewCorrection, Proposal, ProposedOutcome, PublicEntry, Recommended,
};
use app::{AppError, AppResult};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use commission::{
    AssemblyVote, AwardId, AwardStatus, BatchId, CaseId, ClaimantKind, CorrectionReason,
    CouncilAction, DecisionId, DecisionNumber, DecisionStatus, DismissalCode, Outcome, PanelId,
    Payment, PaymentRoundId, RecommendationId, RemainderRule, ReviewOutcome, RoundPolicy, Vote,
    VoteChoice,
};
use kernel::Money;
use kernel::id::AccountId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use store::decisions::{
    AwardRecord, DecisionRecord, Issued, PanelRecord, PaymentRoundRecord, RecommendationRecord,
    RoundStatus,
};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

// ---------------------------------------------------------------- panels

#[derive(Serialize, ToSchema)]
pub struct PanelView {
    #[schema(value_type = String, format = Uuid)]
    pub id: PanelId,
    pub name: String,
    #[schema(value_type = Vec<String>)]
    pub members: Vec<AccountId>,
    pub categories: Vec<String>,
    #[schema(value_type = Vec<String>)]
    pub batches: Vec<BatchId>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<PanelRecord> for PanelView {
    fn from(p: PanelRecord) -> Self {
        Self {
            id: p.panel.id,
            name: p.panel.name,
            members: p.panel.members,
            categories: p.panel.categories,
            batches: p.batches,
            created_at: p.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPanel {
    pub name: String,
    /// Commissioner accounts.
    #[schema(value_type = Vec<String>)]
    pub members: Vec<AccountId>,
    /// Category codes the panel handles.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Batches assigned to the panel (their categories are added).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub batches: Vec<BatchId>,
}

/// The panels, oldest first.
#[utoipa::path(get, path = "/v1/panels", tag = "decisions", security(("bearer" = [])),
    responses((status = 200, body = Vec<PanelView>)))]
pub async fn panels(State(state): State<AppState>) -> ApiResult<Json<Vec<PanelView>>> {
    let list = app::decisions::panels(&state.app).await?;
    Ok(Json(list.into_iter().map(PanelView::from).collect()))
}

/// The Council forms a panel of Commissioners for categories or batches.
#[utoipa::path(post, path = "/v1/panels", tag = "decisions", security(("bearer" = [])),
    request_body = NewPanel, responses((status = 201, body = PanelView),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn form_panel(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<NewPanel>,
) -> ApiResult<impl IntoResponse> {
    let new = app::decisions::NewPanel {
        name: body.name,
        members: body.members,
        categories: body.categories,
        batches: body.batches,
    };
    let record = app::decisions::form_panel(&state.app, &auth.actor(), new).await?;
    Ok((StatusCode::CREATED, Json(PanelView::from(record))))
}

// ------------------------------------------------------- recommendations

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
    #[schema(value_type = Option<Object>)]
    pub assessed_amount: Option<Money>,
    /// `commission::Outcome`: award (amount, variation reasons) or
    /// dismissal (codes, text).
    #[schema(value_type = Object)]
    pub outcome: Outcome,
    #[schema(value_type = Vec<Object>)]
    pub votes: Vec<Vote>,
    /// open, adopted, rejected
    #[schema(value_type = String)]
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
    #[schema(value_type = String)]
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
pub struct Propose {
    #[schema(value_type = String, format = Uuid)]
    pub panel: PanelId,
    /// award or dismissal
    pub outcome: String,
    #[schema(value_type = Option<Object>)]
    pub amount: Option<Money>,
    pub variation_reasons: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
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
pub struct CastVote {
    /// in_favour, against, abstain
    #[schema(value_type = String)]
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

// ------------------------------------------------------------- decisions

#[derive(Serialize, ToSchema)]
pub struct DecisionView {
    #[schema(value_type = String, format = Uuid)]
    pub id: DecisionId,
    #[schema(value_type = String, format = Uuid)]
    pub case_id: CaseId,
    #[schema(value_type = String, format = Uuid)]
    pub recommendation_id: RecommendationId,
    /// awaiting_council, with_review_committee, reviewed_by_committee,
    /// with_assembly, adopted_by_assembly, final, returned_to_panel,
    /// rejected_by_assembly
    #[schema(value_type = String)]
    pub status: DecisionStatus,
    #[schema(value_type = Option<String>, example = "ICC-DEC-2027-000001")]
    pub number: Option<DecisionNumber>,
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<String>,
    #[schema(value_type = Object)]
    pub outcome: Outcome,
    #[schema(value_type = Option<Object>)]
    pub review: Option<ReviewOutcome>,
    #[schema(value_type = Option<Object>)]
    pub assembly_vote: Option<AssemblyVote>,
    #[schema(value_type = Option<Object>)]
    pub supersedes: Option<commission::Supersession>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub superseded_by: Option<DecisionId>,
    pub meeting_reference: Option<String>,
    #[schema(value_type = Vec<Object>)]
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
#[derive(Clone, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CouncilStep {
    /// Final decision, numbered `ICC-DEC-<year>-<sequence>`.
    Approve {
        #[serde(default)]
        #[schema(value_type = Option<String>, format = Date)]
        decided_on: Option<String>,
    },
    ReturnToPanel {
        reasons: String,
    },
    ReferToReviewCommittee {
        grounds: String,
    },
    RecordReviewOutcome {
        #[schema(value_type = Object)]
        outcome: ReviewOutcome,
    },
    ReferToAssembly {
        grounds: String,
    },
    RecordAssemblyVote {
        #[schema(value_type = Object)]
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

#[derive(Clone, Deserialize, ToSchema)]
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

/// The Council approves (final decision with its number, and the award),
/// returns to the panel, refers to a Review Committee, records its outcome,
/// refers on to the Assembly or records the Assembly's vote. `If-Match`
/// (the decision's version, `decision.version` of the recommendation) is
/// required: 428 without it, 412 when stale; of two approvals at once one
/// wins and the other gets 412 (or 409). Gated.
#[utoipa::path(post, path = "/v1/recommendations/{id}/decision", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Decide,
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

#[derive(Deserialize, ToSchema)]
pub struct BulkItem {
    #[schema(value_type = String, format = Uuid)]
    pub recommendation: RecommendationId,
    /// The decision's version (`decision.version` of the recommendation):
    /// an item decided or changed since is refused with 412.
    pub version: i64,
    #[serde(flatten)]
    pub step: CouncilStep,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecide {
    pub meeting_reference: String,
    pub items: Vec<BulkItem>,
}

#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    #[schema(value_type = String, format = Uuid)]
    pub recommendation: RecommendationId,
    pub status: u16,
    pub result: Option<IssuedView>,
    #[schema(value_type = Option<Object>)]
    pub problem: Option<Value>,
}

/// The Council decides many recommendations at one meeting (up to 1,000),
/// each decided or refused on its own; each item names the decision's
/// version it expects (412 for that item when stale). Gated.
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
        .map(|item| app::decisions::BulkItem {
            recommendation: item.recommendation,
            expected_version: item.version,
            step: item.step.read(),
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

/// Every decision on a case, corrections and what they superseded
/// included, oldest first.
#[utoipa::path(get, path = "/v1/cases/{id}/decisions", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = Vec<DecisionView>)))]
pub async fn case_decisions(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<CaseId>,
) -> ApiResult<Json<Vec<DecisionView>>> {
    let list = app::decisions::case_decisions(&state.app, &auth.actor(), id).await?;
    Ok(Json(list.into_iter().map(DecisionView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Correct {
    /// clerical_error or computational_error
    #[schema(value_type = String)]
    pub reason: CorrectionReason,
    pub explanation: String,
    /// The corrected amount of an award.
    #[schema(value_type = Option<Object>)]
    pub amount: Option<Money>,
    /// Or the corrected outcome in full.
    #[schema(value_type = Option<Object>)]
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
    #[schema(value_type = String)]
    pub number: Option<DecisionNumber>,
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<String>,
    /// Amount and variation reasons, or dismissal codes and text.
    #[schema(value_type = Object)]
    pub outcome: Outcome,
    #[schema(value_type = Option<Object>)]
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

/// The final decisions on the caller's own claim (staff see any claim they
/// may read). Unknown or not yours: 404.
#[utoipa::path(get, path = "/v1/claims/{id}/decisions", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = Vec<ClaimDecisionView>)))]
pub async fn claim_decisions(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<register::ClaimId>,
) -> ApiResult<Json<Vec<ClaimDecisionView>>> {
    let list = app::decisions::claim_decisions(&state.app, &auth.actor(), id).await?;
    Ok(Json(
        list.into_iter().map(ClaimDecisionView::from).collect(),
    ))
}

/// One entry of the public register: no names, no claim.
#[derive(Serialize, ToSchema)]
pub struct PublicDecision {
    #[schema(value_type = String)]
    pub number: Option<DecisionNumber>,
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<String>,
    pub category: String,
    pub region: Option<String>,
    /// award or dismissal
    pub outcome: &'static str,
    #[schema(value_type = Option<Object>)]
    pub amount: Option<Money>,
    #[schema(value_type = Vec<String>)]
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

/// The public, anonymised register of final decisions: category, region,
/// amount and date; no names. Public.
#[utoipa::path(get, path = "/v1/decisions/public", tag = "decisions",
    responses((status = 200, body = Vec<PublicDecision>)))]
pub async fn public_register(
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<PublicDecision>>> {
    let list = app::decisions::public_register(&state.app).await?;
    Ok(Json(list.into_iter().map(PublicDecision::from).collect()))
}

// ---------------------------------------------------------------- awards

#[derive(Serialize, ToSchema)]
pub struct AwardView {
    #[schema(value_type = String, format = Uuid)]
    pub id: AwardId,
    #[schema(value_type = String, format = Uuid)]
    pub case_id: CaseId,
    #[schema(value_type = String, format = Uuid)]
    pub decision_id: DecisionId,
    #[schema(value_type = Object)]
    pub amount: Money,
    #[schema(value_type = Object)]
    pub paid: Money,
    #[schema(value_type = Object)]
    pub outstanding: Money,
    /// awarded, payable, partially_paid, paid, payee_unreachable
    #[schema(value_type = String)]
    pub status: AwardStatus,
    #[schema(value_type = Object)]
    pub payees: commission::Payees,
    #[schema(value_type = Vec<Object>)]
    pub payments: Vec<Payment>,
    #[schema(value_type = String)]
    pub claimant_kind: ClaimantKind,
    pub category: String,
    pub region: Option<String>,
    pub version: i64,
}

impl From<AwardRecord> for AwardView {
    fn from(r: AwardRecord) -> Self {
        let a = r.award;
        Self {
            id: a.id,
            case_id: a.case,
            decision_id: a.decision,
            amount: a.amount,
            paid: a.paid().unwrap_or(a.amount),
            outstanding: a.outstanding().unwrap_or(a.amount),
            status: a.status(),
            payees: a.payees.clone(),
            payments: a.payments.clone(),
            claimant_kind: r.claimant_kind,
            category: r.category,
            region: r.region,
            version: r.version,
        }
    }
}

/// The awards ledger, oldest first.
#[utoipa::path(get, path = "/v1/awards", tag = "decisions", security(("bearer" = [])),
    responses((status = 200, body = Vec<AwardView>)))]
pub async fn awards(
    State(state): State<AppState>,
    auth: Authorized,
) -> ApiResult<Json<Vec<AwardView>>> {
    let list = app::awards::awards(&state.app, &auth.actor()).await?;
    Ok(Json(list.into_iter().map(AwardView::from).collect()))
}

/// One award with its payments.
#[utoipa::path(get, path = "/v1/awards/{id}", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = AwardView)))]
pub async fn award(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AwardId>,
) -> ApiResult<impl IntoResponse> {
    let a = app::awards::award(&state.app, &auth.actor(), id).await?;
    Ok((etag(a.version), Json(AwardView::from(a))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordPayment {
    #[schema(value_type = Object)]
    pub amount: Money,
    #[schema(value_type = String, format = Date)]
    pub paid_on: String,
    pub reference: String,
}

/// Records a payment reported on a payable award: never above the
/// outstanding balance. Redress moves no money. `If-Match` (the award's
/// version) required: 428 without it, 412 when stale. Gated.
#[utoipa::path(post, path = "/v1/awards/{id}/payments", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = RecordPayment,
    responses((status = 201, body = AwardView), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody),
        (status = 428, body = crate::error::ProblemBody)))]
pub async fn record_payment(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AwardId>,
    headers: HeaderMap,
    Json(body): Json<RecordPayment>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match_version(&headers)?;
    let payment = NewPayment {
        amount: body.amount,
        paid_on: day("paid_on", &body.paid_on)?,
        reference: body.reference,
    };
    let saved =
        app::awards::record_payment(&state.app, &auth.actor(), id, expected, payment).await?;
    Ok((
        StatusCode::CREATED,
        etag(saved.version),
        Json(AwardView::from(saved)),
    ))
}

/// Sets who is paid: the claimant, a representative, or heirs with shares
/// summing to exactly 1 (`{"payee": "heirs", "heirs": [{"name", "share"}]}`).
/// New payee details make an unreachable payee reachable again. `If-Match`
/// required. Gated.
#[utoipa::path(put, path = "/v1/awards/{id}/payees", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body(content = Object, description = "commission::Payees"),
    responses((status = 200, body = AwardView), (status = 412, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn set_payees(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AwardId>,
    headers: HeaderMap,
    Json(payees): Json<commission::Payees>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match_version(&headers)?;
    let saved = app::awards::set_payees(&state.app, &auth.actor(), id, expected, payees).await?;
    Ok((etag(saved.version), Json(AwardView::from(saved))))
}

/// Marks the payee unreachable while a balance is outstanding (status
/// `payee_unreachable`; no payments until reversed). `If-Match` required.
/// Gated.
#[utoipa::path(post, path = "/v1/awards/{id}/payee-unreachable", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AwardView), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn mark_payee_unreachable(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AwardId>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match_version(&headers)?;
    let saved =
        app::awards::mark_payee_unreachable(&state.app, &auth.actor(), id, expected).await?;
    Ok((etag(saved.version), Json(AwardView::from(saved))))
}

/// Reverses the mark: the payee was reached. `If-Match` required. Gated.
#[utoipa::path(delete, path = "/v1/awards/{id}/payee-unreachable", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AwardView), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn unmark_payee_unreachable(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AwardId>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match_version(&headers)?;
    let saved = app::awards::mark_payee_reachable(&state.app, &auth.actor(), id, expected).await?;
    Ok((etag(saved.version), Json(AwardView::from(saved))))
}

// -------------------------------------------------------- payment rounds

#[derive(Serialize, ToSchema)]
pub struct PaymentRoundView {
    #[schema(value_type = String, format = Uuid)]
    pub id: PaymentRoundId,
    /// preview or confirmed
    #[schema(value_type = String)]
    pub status: RoundStatus,
    /// `commission::PaymentRoundPreview`: lines per award, total, unspent.
    #[schema(value_type = Object)]
    pub preview: commission::PaymentRoundPreview,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub confirmed_at: Option<OffsetDateTime>,
    pub version: i64,
}

impl From<PaymentRoundRecord> for PaymentRoundView {
    fn from(r: PaymentRoundRecord) -> Self {
        Self {
            id: r.id,
            status: r.status,
            preview: r.preview,
            confirmed_at: r.confirmed_at,
            version: r.version,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRound {
    /// The money available, in the currency of the awards it pays.
    #[schema(value_type = Object)]
    pub available: Money,
    /// Each award to an individual is first paid up to this amount.
    #[schema(value_type = Option<Object>)]
    pub priority_amount: Option<Money>,
    /// `{"rule": "pro_rata"}` (default) or `{"rule": "tiers", "ceilings": [...]}`.
    #[schema(value_type = Option<Object>)]
    pub remainder: Option<RemainderRule>,
}

/// Previews a payment round over the outstanding awards in the available
/// amount's currency: priority tier first, then the rest. Gated.
#[utoipa::path(post, path = "/v1/payment-rounds", tag = "decisions", security(("bearer" = [])),
    request_body = NewRound, responses((status = 201, body = PaymentRoundView),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn preview_round(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<NewRound>,
) -> ApiResult<impl IntoResponse> {
    let policy = RoundPolicy {
        priority_amount: body.priority_amount,
        remainder: body.remainder.unwrap_or(RemainderRule::ProRata),
    };
    let saved =
        app::awards::preview_round(&state.app, &auth.actor(), body.available, policy).await?;
    Ok((StatusCode::CREATED, Json(PaymentRoundView::from(saved))))
}

/// One payment round.
#[utoipa::path(get, path = "/v1/payment-rounds/{id}", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = PaymentRoundView)))]
pub async fn round(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<PaymentRoundId>,
) -> ApiResult<Json<PaymentRoundView>> {
    let round = app::awards::round(&state.app, &auth.actor(), id).await?;
    Ok(Json(round.into()))
}

/// Confirms a previewed round: each award in it becomes payable with its
/// entry for the round. 409 if confirmed already or an award's balance
/// changed since the preview. Gated.
#[utoipa::path(post, path = "/v1/payment-rounds/{id}/confirm", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PaymentRoundView), (status = 409, body = crate::error::ProblemBody)))]
pub async fn confirm_round(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<PaymentRoundId>,
) -> ApiResult<Json<PaymentRoundView>> {
    let saved = app::awards::confirm_round(&state.app, &auth.actor(), id).await?;
    Ok(Json(saved.into()))
}

// ---------------------------------------------------------------- totals

#[derive(Default, Serialize, ToSchema)]
pub struct Totals {
    pub count: u64,
    #[schema(value_type = String)]
    pub awarded: rust_decimal::Decimal,
    #[schema(value_type = String)]
    pub paid: rust_decimal::Decimal,
    #[schema(value_type = String)]
    pub outstanding: rust_decimal::Decimal,
}

impl From<AwardTotals> for Totals {
    fn from(t: AwardTotals) -> Self {
        Self {
            count: t.count,
            awarded: t.awarded,
            paid: t.paid,
            outstanding: t.outstanding,
        }
    }
}

/// Totals per group, then per currency (never summed across currencies).
pub type Grouped = BTreeMap<String, BTreeMap<String, Totals>>;

fn grouped(g: GroupedTotals) -> Grouped {
    g.into_iter()
        .map(|(key, by_currency)| {
            let by_currency = by_currency
                .into_iter()
                .map(|(c, t)| (c, t.into()))
                .collect();
            (key, by_currency)
        })
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct AwardReport {
    #[schema(value_type = Object)]
    pub by_category: Grouped,
    #[schema(value_type = Object)]
    pub by_region: Grouped,
    #[schema(value_type = Object)]
    pub by_status: Grouped,
    #[schema(value_type = Object)]
    pub by_currency: BTreeMap<String, Totals>,
}

/// Award totals by category, region, status and currency.
#[utoipa::path(get, path = "/v1/reports/awards", tag = "decisions", security(("bearer" = [])),
    responses((status = 200, body = AwardReport)))]
pub async fn report(State(state): State<AppState>) -> ApiResult<Json<AwardReport>> {
    let r = app::awards::report(&state.app).await?;
    Ok(Json(AwardReport {
        by_category: grouped(r.by_category),
        by_region: grouped(r.by_region),
        by_status: grouped(r.by_status),
        by_currency: r
            .by_currency
            .into_iter()
            .map(|(c, t)| (c, t.into()))
            .collect(),
    }))
}
