//! The category catalogue and the regions (public), and catalogue edits by
//! admins without a release.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, PageParams, Path, Query, etag};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use store::claims::CategoryRecord;

page_of!(
    /// A page of the category catalogue.
    CategoryPage,
    CategoryRecord,
    Vec<crate::views::schema::CategoryView>
);

/// List the categories, open or not, each with its form's fields, by code,
/// cursor-paged. Public.
#[utoipa::path(get, path = "/v1/categories", tag = "register",
    params(PageParams), responses((status = 200, description = "The catalogue", body = CategoryPage)))]
pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<CategoryPage>> {
    let page = app::catalogue::category_page(&state.app, &params.key_request()?).await?;
    Ok(Json(page.into()))
}

page_of!(
    /// A page of Ukraine's regions.
    RegionPage,
    register::Region,
    Vec<crate::views::schema::Region>
);

/// List Ukraine's regions (ISO 3166-2:UA) by code, cursor-paged. Public.
#[utoipa::path(get, path = "/v1/regions", tag = "register",
    params(PageParams), responses((status = 200, description = "The regions", body = RegionPage)))]
pub async fn regions(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<RegionPage>> {
    let page = app::catalogue::region_page(&state.app, &params.key_request()?).await?;
    Ok(Json(page.into()))
}

/// Creates a category (no `If-Match`) or replaces one (`If-Match` with its
/// current ETag).
#[utoipa::path(put, path = "/v1/categories/{code}", tag = "register", security(("bearer" = [])),
    params(("code" = String, Path, example = "A3.1"), ("If-Match" = Option<String>, Header)),
    request_body(content = crate::views::schema::Category, description = "The category, as listed by GET /v1/categories"),
    responses((status = 200, body = crate::views::schema::CategoryView), (status = 201, body = crate::views::schema::CategoryView),
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
