//! Payment rounds through HTTP: previewed over the outstanding awards,
//! read, and confirmed.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query, page_request};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commission::{PaymentRoundId, RemainderRule, RoundPolicy};
use kernel::Money;
use serde::{Deserialize, Serialize};
use store::decisions::{PaymentRoundRecord, RoundStatus};
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct PaymentRoundView {
    #[schema(value_type = String, format = Uuid)]
    pub id: PaymentRoundId,
    #[schema(value_type = crate::views::schema::RoundStatus)]
    pub status: RoundStatus,
    /// Lines per award, total, unspent.
    #[schema(value_type = crate::views::schema::PaymentRoundPreview)]
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
#[schema(example = json!({
    "available": {"amount": "1000000.00", "currency": "EUR"},
    "priority_amount": {"amount": "10000.00", "currency": "EUR"},
    "remainder": {"rule": "pro_rata"}
}))]
pub struct NewRound {
    /// The money available, in the currency of the awards it pays.
    #[schema(value_type = crate::views::schema::Money)]
    pub available: Money,
    /// Each award to an individual is first paid up to this amount.
    #[schema(value_type = Option<crate::views::schema::Money>)]
    pub priority_amount: Option<Money>,
    /// `{"rule": "pro_rata"}` (default) or `{"rule": "tiers", "ceilings": [...]}`.
    #[schema(value_type = Option<crate::views::schema::RemainderRule>)]
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

page_of!(
    /// A page of payment rounds.
    PaymentRoundPage,
    PaymentRoundView
);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    /// preview or confirmed
    pub status: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List payment rounds, oldest first, cursor-paged. A round that pays an
/// award on a sensitive claim is left out for staff without the clearance.
#[utoipa::path(get, path = "/v1/payment-rounds", tag = "decisions", security(("bearer" = [])),
    params(RoundQuery), responses((status = 200, body = PaymentRoundPage),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn rounds(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<RoundQuery>,
) -> ApiResult<Json<PaymentRoundPage>> {
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let list = app::awards::rounds(&state.app, &auth.actor(), q.status.as_deref(), page).await?;
    Ok(Json(list.into()))
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
