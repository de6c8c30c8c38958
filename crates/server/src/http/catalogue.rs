//! The category catalogue and the regions (public), and catalogue edits by
//! admins without a release.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, Path, etag};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use store::claims::CategoryRecord;

/// Every category, open or not, with its form's fields.
#[utoipa::path(get, path = "/v1/categories", tag = "register",
    responses((status = 200, description = "The catalogue", body = Vec<Object>)))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<CategoryRecord>>> {
    Ok(Json(app::catalogue::categories(&state.app).await?))
}

/// Ukraine's regions (ISO 3166-2:UA).
#[utoipa::path(get, path = "/v1/regions", tag = "register",
    responses((status = 200, description = "The regions", body = Vec<Object>)))]
pub async fn regions(State(state): State<AppState>) -> ApiResult<Json<Vec<register::Region>>> {
    Ok(Json(app::catalogue::regions(&state.app).await?))
}

/// Creates a category (no `If-Match`) or replaces one (`If-Match` with its
/// current ETag).
#[utoipa::path(put, path = "/v1/categories/{code}", tag = "register", security(("bearer" = [])),
    params(("code" = String, Path, example = "A3.1"), ("If-Match" = Option<String>, Header)),
    request_body(content = Object, description = "The category, as listed by GET /v1/categories"),
    responses((status = 200, body = Object), (status = 201, body = Object),
        (status = 412, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
pub async fn put(
    State(state): State<AppState>,
    auth: Authorized,
    Path(code): Path<String>,
    headers: HeaderMap,
    Json(category): Json<register::Category>,
) -> ApiResult<impl IntoResponse> {
    let expected = crate::extract::optional_if_match(&headers)?;
    let put =
        app::catalogue::put_category(&state.app, &auth.actor(), &code, category, expected).await?;
    let status = if put.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, etag(put.record.version), Json(put.record)))
}
