//! Bulk exports (`GET /v1/exports/claims`, `/v1/exports/awards`), streamed
//! as JSON Lines or, with `Accept: text/csv`, CSV. What is exported, to
//! whom, and its record in the audit log are `app::exports`.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::Query;
use crate::http::claims::ListQuery;
use crate::state::AppState;
use app::exports::{ClaimExport, Export, Format};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use serde::Deserialize;

pub use app::exports::EXPORT_PAGE;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// draft, submitted, under_review, information_requested, recorded, rejected, withdrawn
    pub status: Option<String>,
    pub category: Option<String>,
    /// ISO 3166-2:UA code, e.g. UA-48
    pub region: Option<String>,
    /// Submitted on or after (YYYY-MM-DD or RFC 3339).
    pub submitted_from: Option<String>,
    /// Submitted before (YYYY-MM-DD or RFC 3339).
    pub submitted_to: Option<String>,
    /// Only claims with open duplicate flags.
    pub duplicate: Option<bool>,
    /// A reference number, or the start of a claimant's name.
    pub q: Option<String>,
    /// `full` (with personal data: registrar and board only) or `minimal`.
    /// Default: `full` for the registrar and the board, else `minimal`.
    pub fields: Option<String>,
}

/// CSV when `Accept` names `text/csv`, otherwise JSON Lines.
pub fn format_of(headers: &HeaderMap) -> Format {
    let csv = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("text/csv")
        });
    if csv { Format::Csv } else { Format::Jsonl }
}

/// The export as a streamed answer, never cached.
fn streamed(export: Export) -> Response {
    let chunks = export.chunks.map(|r| {
        r.map(axum::body::Bytes::from)
            .map_err(std::io::Error::other)
    });
    (
        [
            (header::CONTENT_TYPE, export.format.media_type()),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// The claims the caller may see, with the filters of `GET /v1/claims`,
/// streamed as JSON Lines (default) or CSV (`Accept: text/csv`). Personal
/// data only with `fields=full` (registrar and board; the default for
/// them); sensitive claims only with the sensitive clearance.
#[utoipa::path(get, path = "/v1/exports/claims", tag = "register", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, description = "JSON Lines, or CSV with `Accept: text/csv`",
            content((String = "application/x-ndjson"), (String = "text/csv"))),
        (status = 403, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn claims(
    State(state): State<AppState>,
    auth: Authorized,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let filters = ListQuery {
        status: q.status,
        category: q.category,
        region: q.region,
        submitted_from: q.submitted_from,
        submitted_to: q.submitted_to,
        duplicate: q.duplicate,
        q: q.q,
        limit: None,
        cursor: None,
    };
    let request = ClaimExport {
        filters: (&filters).into(),
        fields: q.fields,
        format: format_of(&headers),
    };
    let export = app::exports::claims(&state.app, &auth.actor(), request).await?;
    Ok(streamed(export))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AwardExportQuery {
    /// `full` (with the payees: Council only, its default) or `minimal`.
    pub fields: Option<String>,
}

/// The awards ledger, oldest first, streamed as JSON Lines (default) or CSV
/// (`Accept: text/csv`). Payees (names of representatives and heirs) only
/// with `fields=full` (the Council); awards on sensitive claims only with
/// the sensitive clearance.
#[utoipa::path(get, path = "/v1/exports/awards", tag = "decisions", security(("bearer" = [])),
    params(AwardExportQuery),
    responses((status = 200, description = "JSON Lines, or CSV with `Accept: text/csv`",
            content((String = "application/x-ndjson"), (String = "text/csv"))),
        (status = 403, body = crate::error::ProblemBody)))]
pub async fn awards(
    State(state): State<AppState>,
    auth: Authorized,
    headers: HeaderMap,
    Query(q): Query<AwardExportQuery>,
) -> ApiResult<Response> {
    let export = app::exports::awards(
        &state.app,
        &auth.actor(),
        q.fields.as_deref(),
        format_of(&headers),
    )
    .await?;
    Ok(streamed(export))
}
