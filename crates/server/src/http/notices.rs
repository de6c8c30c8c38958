//! The claimant's switch for e-mail notices about a claim they filed.
//! Each handler parses its request, calls `app::notices` and presents the
//! outcome; a claim the caller did not file answers 404.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use register::ClaimId;
use serde::{Deserialize, Serialize};
use store::notifications::NoticeSettings;
use utoipa::ToSchema;

/// Whether the claimant is e-mailed when something happens on the claim
/// (submission, a request for information, the Board's decision, the
/// Commission's decision, a payment). Notices go to the e-mail address in
/// the claimant's contact details, in the claim's language; they name the
/// claim by its reference number only.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": false}))]
pub struct Notifications {
    /// `false` switches e-mail notices off for this claim; `true` on
    /// again (the default).
    pub email: bool,
}

impl From<NoticeSettings> for Notifications {
    fn from(s: NoticeSettings) -> Self {
        Self { email: s.email }
    }
}

/// Read whether e-mail notices about the claim are on (the filer only).
#[utoipa::path(get, path = "/v1/claims/{id}/notifications", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Notifications), (status = 404, body = crate::error::ProblemBody)))]
pub async fn notifications(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
) -> ApiResult<Json<Notifications>> {
    let settings = app::notices::settings(&state.app, &auth.actor(), id).await?;
    Ok(Json(settings.into()))
}

/// Switch e-mail notices about the claim off or on (the filer only). The
/// same body twice changes nothing the second time; notices already
/// written before a switch-off are still sent.
#[utoipa::path(put, path = "/v1/claims/{id}/notifications", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Notifications,
    responses((status = 200, body = Notifications), (status = 404, body = crate::error::ProblemBody)))]
pub async fn switch_notifications(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Json(body): Json<Notifications>,
) -> ApiResult<Json<Notifications>> {
    let settings = app::notices::switch(
        &state.app,
        &auth.actor(),
        id,
        NoticeSettings { email: body.email },
    )
    .await?;
    Ok(Json(settings.into()))
}
