//! The category catalogue and the regions (public), and catalogue edits by
//! admins without a release.

use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::authz::Authorized;
use crate::http::json::{Json, Path, etag};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use store::StoreError;
use store::claims::CategoryRecord;

/// Every category, open or not, with its form's fields.
#[utoipa::path(get, path = "/v1/categories", tag = "register",
    responses((status = 200, description = "The catalogue", body = Vec<Object>)))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<CategoryRecord>>> {
    Ok(Json(state.store.categories().await?))
}

/// Ukraine's regions (ISO 3166-2:UA).
#[utoipa::path(get, path = "/v1/regions", tag = "register",
    responses((status = 200, description = "The regions", body = Vec<Object>)))]
pub async fn regions(State(state): State<AppState>) -> ApiResult<Json<Vec<register::Region>>> {
    Ok(Json(state.store.regions().await?))
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
    if category.code.as_str() != code {
        return Err(ApiError::validation(
            "The body's code differs from the path's.",
            vec![FieldError::new(
                "code",
                "mismatch",
                format!("Expected {code}."),
            )],
        ));
    }
    let expected = if headers.contains_key(axum::http::header::IF_MATCH) {
        Some(crate::http::json::if_match_version(&headers)?)
    } else {
        None
    };
    let record = state
        .store
        .put_category(&auth.audit(None), &category, expected)
        .await
        .map_err(|e| match (e, expected) {
            (StoreError::Conflict(_), Some(_)) => ApiError::precondition_failed(),
            (StoreError::Conflict(_), None) => ApiError::precondition_required(),
            (other, _) => other.into(),
        })?;
    let status = if expected.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, etag(record.version), Json(record)))
}
