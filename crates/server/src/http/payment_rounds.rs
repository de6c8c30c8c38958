//! Payment rounds through HTTP: previewed over the outstanding awards,
//! read, and confirmed; their transfers and blocked payees, and the
//! payment file (pain.001) of a confirmed round.

use crate::authz::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query, page_request};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use commission::{AwardId, BlockReason, PaymentRoundId, RemainderRule, RoundPolicy, TransferPlan};
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
    /// What the round's payment file holds (of a preview: would hold) and
    /// the payees it holds back, with why. Shown on one round
    /// (`GET /v1/payment-rounds/{id}`), not in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfers: Option<TransferSummary>,
}

impl From<PaymentRoundRecord> for PaymentRoundView {
    fn from(r: PaymentRoundRecord) -> Self {
        Self {
            id: r.id,
            status: r.status,
            preview: r.preview,
            confirmed_at: r.confirmed_at,
            version: r.version,
            transfers: None,
        }
    }
}

/// A payee's part held back from the payment file.
#[derive(Serialize, ToSchema)]
pub struct BlockedPayeeView {
    #[schema(value_type = String, format = Uuid)]
    pub award_id: AwardId,
    /// The payee's position on the award (0: the claimant, a
    /// representative or the first heir).
    pub position: usize,
    pub payee: String,
    #[schema(value_type = crate::views::schema::Money)]
    pub amount: Money,
    /// `no_bank_details`, `payee_unreachable` or `nothing_due`.
    #[schema(value_type = String, example = "no_bank_details")]
    pub reason: BlockReason,
}

/// The payment file's totals and the payees held back.
#[derive(Serialize, ToSchema)]
pub struct TransferSummary {
    /// Credit transfers in the file (`NbOfTxs`).
    pub transactions: usize,
    /// Their sum (`CtrlSum`).
    #[schema(value_type = crate::views::schema::Money)]
    pub control_sum: Money,
    /// Payees held back, each with the reason; never silently left out.
    pub blocked: Vec<BlockedPayeeView>,
    /// The sum held back: with `control_sum`, what the round allotted.
    #[schema(value_type = crate::views::schema::Money)]
    pub blocked_sum: Money,
}

impl From<&TransferPlan> for TransferSummary {
    fn from(plan: &TransferPlan) -> Self {
        Self {
            transactions: plan.transfers.len(),
            control_sum: plan.control_sum,
            blocked: plan
                .blocked
                .iter()
                .map(|b| BlockedPayeeView {
                    award_id: b.award,
                    position: b.position,
                    payee: b.payee.clone(),
                    amount: b.amount,
                    reason: b.reason,
                })
                .collect(),
            blocked_sum: plan.blocked_sum,
        }
    }
}

/// One credit transfer of the payment file; the account masked.
#[derive(Serialize, ToSchema)]
pub struct TransferView {
    #[schema(value_type = String, format = Uuid)]
    pub award_id: AwardId,
    pub position: usize,
    /// The award's id in 32 hexadecimal digits and the payee's position in
    /// three, 1-based.
    pub end_to_end_id: String,
    pub creditor: String,
    #[schema(value_type = crate::views::schema::Money)]
    pub amount: Money,
    /// Masked: `UA21 **** **** 6001`.
    pub iban: String,
    /// Masked: `PBANUA**`.
    pub bic: String,
}

/// A round's credit transfers and the payees it holds back.
#[derive(Serialize, ToSchema)]
pub struct RoundTransfersView {
    #[schema(value_type = String, format = Uuid)]
    pub round_id: PaymentRoundId,
    #[schema(value_type = crate::views::schema::RoundStatus)]
    pub status: RoundStatus,
    pub transfers: Vec<TransferView>,
    #[serde(flatten)]
    pub summary: TransferSummary,
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
    let shown = app::awards::round_transfers(&state.app, &auth.actor(), id).await?;
    let mut view = PaymentRoundView::from(shown.round);
    view.transfers = Some(TransferSummary::from(&shown.plan));
    Ok(Json(view))
}

/// The credit transfers of a round's payment file (of a preview: what it
/// would hold once confirmed), accounts masked, and the payees held back
/// with why (`no_bank_details`, `payee_unreachable`, `nothing_due`).
/// Heirs are paid by share: each share rounded down to the minor unit, the
/// units left over to the largest remainders (ties to the heir listed
/// first), so the parts add up to what the round allotted.
#[utoipa::path(get, path = "/v1/payment-rounds/{id}/transfers", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = RoundTransfersView)))]
pub async fn transfers(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<PaymentRoundId>,
) -> ApiResult<Json<RoundTransfersView>> {
    let shown = app::awards::round_transfers(&state.app, &auth.actor(), id).await?;
    let transfers = shown
        .plan
        .transfers
        .iter()
        .map(|t| {
            let masked = t.account.masked();
            TransferView {
                award_id: t.award,
                position: t.position,
                end_to_end_id: t.end_to_end_id.clone(),
                creditor: t.creditor.clone(),
                amount: t.amount,
                iban: masked.iban,
                bic: masked.bic,
            }
        })
        .collect();
    Ok(Json(RoundTransfersView {
        round_id: shown.round.id,
        status: shown.round.status,
        transfers,
        summary: TransferSummary::from(&shown.plan),
    }))
}

/// The header naming how many payees the file holds back.
pub const BLOCKED_PAYEES: &str = "x-redress-blocked-payees";

/// The payment file of a confirmed round: an ISO 20022 customer
/// credit-transfer initiation (`pain.001.001.09`), one transfer per payee
/// and award, drawn on the configured debtor account. Payees held back are
/// counted in `X-Redress-Blocked-Payees` and listed, with why, by
/// `GET /v1/payment-rounds/{id}/transfers`. 409 if the round is not
/// confirmed (`round_not_confirmed`), no debtor account is configured
/// (`no_debtor_account`) or every payee is blocked
/// (`nothing_to_transfer`). Audited. Gated.
#[utoipa::path(get, path = "/v1/payment-rounds/{id}/pain001", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "pain.001.001.09",
            content((String = "application/xml")),
            headers(("x-redress-blocked-payees" = u32, description = "Payees held back from the file"))),
        (status = 409, body = crate::error::ProblemBody)))]
pub async fn pain001(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<PaymentRoundId>,
) -> ApiResult<Response> {
    let file = app::awards::payment_file(&state.app, &auth.actor(), id).await?;
    let xml = crate::pain001::write(&file).map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"pain001-{}.xml\"", file.round);
    Ok((
        [
            (header::CONTENT_TYPE, crate::pain001::MEDIA_TYPE.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::HeaderName::from_static(BLOCKED_PAYEES),
                file.plan.blocked.len().to_string(),
            ),
        ],
        xml,
    )
        .into_response())
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
