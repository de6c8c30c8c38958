//! Decision letters through HTTP: a final decision's letter for staff, the
//! letter of the decision in force on a claim for its filer, and the
//! public verification of a letter by its code.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::transfer::letter::{Format, respond};
use app::letters::Verification;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use commission::DecisionId;
use kernel::Money;
use register::ClaimId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LetterQuery {
    /// `pdf` or `html`. Without it, `Accept` decides: HTML when it names
    /// `text/html` before `application/pdf`, PDF otherwise.
    pub format: Option<String>,
}

/// A final decision's letter, in Ukrainian and English: its number and
/// date, the panel's recommendation and votes by name, the Council's steps
/// with their reasons, the assessment's breakdown, the outcome, what a
/// correction supersedes, and the verification code with the SHA-256 of
/// the letter's content. Issued on the first download and the same ever
/// after; every download is recorded as a read of the claim.
#[utoipa::path(get, path = "/v1/decisions/{id}/letter", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), LetterQuery),
    responses((status = 200, description = "The letter, as a PDF or a printable page",
            content(("application/pdf"), ("text/html"))),
        (status = 404, body = crate::error::ProblemBody),
        (status = 409, description = "The decision is not final", body = crate::error::ProblemBody),
        (status = 422, description = "An unknown format", body = crate::error::ProblemBody)))]
pub async fn decision_letter(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<DecisionId>,
    Query(q): Query<LetterQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let format = Format::wanted(q.format.as_deref(), &headers)?;
    let letter =
        app::letters::decision_letter(&state.app, &auth.actor(), id, format.name()).await?;
    respond(&letter, format, &headers, "?format=pdf", None)
}

/// The letter of the decision in force on a claim, for its filer (and
/// staff who may read the claim), as for `GET /v1/decisions/{id}/letter`.
/// 404 while the claim has no final decision, as for a claim the caller
/// may not see.
#[utoipa::path(get, path = "/v1/claims/{id}/decision-letter", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), LetterQuery),
    responses((status = 200, description = "The letter, as a PDF or a printable page",
            content(("application/pdf"), ("text/html"))),
        (status = 404, body = crate::error::ProblemBody),
        (status = 422, description = "An unknown format", body = crate::error::ProblemBody)))]
pub async fn claim_letter(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Query(q): Query<LetterQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let format = Format::wanted(q.format.as_deref(), &headers)?;
    let letter = app::letters::claim_letter(&state.app, &auth.actor(), id, format.name()).await?;
    respond(&letter, format, &headers, "?format=pdf", None)
}

/// What the verification of a letter confirms; no names and nothing of
/// the claim.
#[derive(Serialize, ToSchema)]
pub struct VerificationView {
    /// The code, grouped as printed.
    #[schema(example = "7KQ2M-9XH4T-0B3CD-EFGHJ-KMNPQR")]
    pub code: String,
    #[schema(example = "ICC-DEC-2027-000001")]
    pub number: String,
    #[schema(format = Date)]
    pub decided_on: String,
    /// `award` or `dismissal`
    pub outcome: &'static str,
    #[schema(value_type = Option<crate::views::schema::Money>)]
    pub amount: Option<Money>,
    /// SHA-256 of the letter's content as issued, in hex.
    pub content_hash: String,
    /// Whether the content kept still has that hash.
    pub content_hash_matches: bool,
    /// The decision this one corrected.
    pub supersedes: Option<String>,
    /// The decision that corrected this one since.
    pub superseded_by: Option<String>,
}

impl From<Verification> for VerificationView {
    fn from(v: Verification) -> Self {
        Self {
            code: v.code.grouped(),
            number: v.number.to_string(),
            decided_on: v.decided_on,
            outcome: v.outcome,
            amount: v.amount,
            content_hash: v.content_hash,
            content_hash_matches: v.hash_matches,
            supersedes: v.supersedes.map(|n| n.to_string()),
            superseded_by: v.superseded_by.map(|n| n.to_string()),
        }
    }
}

/// Verifies a decision letter by its code (public): the decision's number,
/// date, outcome and amount, and the letter's content hash. An unknown
/// code and a malformed one answer the same 404.
#[utoipa::path(get, path = "/v1/verify/{code}", tag = "decisions",
    params(("code" = String, Path, description = "The letter's verification code, dashes optional")),
    responses((status = 200, body = VerificationView),
        (status = 404, body = crate::error::ProblemBody)))]
pub async fn verify_letter(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<VerificationView>> {
    Ok(Json(app::letters::verify(&state.app, &code).await?.into()))
}
