//! Bulk imports of claims through the API (`POST /v1/imports`).
//!
//! The body (JSON Lines, or CSV with `Content-Type: text/csv`) is streamed
//! to a temporary file in the data directory as it arrives, never held in
//! memory; the router's JSON body limit does not apply (the raw body is
//! read). The file is then imported in a background task by the same
//! pipeline as `redress import claims` ([`crate::import::run`]), with an
//! import job in the jobs table: progress and rejects are written with each
//! chunk's transaction, and the answer is `202 Accepted` with the job.
//! `GET /v1/imports/{id}` shows the job, `GET /v1/imports/{id}/rejects`
//! the rejected rows as JSON Lines.

use crate::authz::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::import::{Format, Options, Rejects};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use kernel::id::AccountId;
use serde::{Deserialize, Serialize};
use store::cases::{JobId, JobRecord};
use store::imports::ImportJob;
use store::{AuditContext, StoreError};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt as _;
use utoipa::ToSchema;

/// Rejects read from the store per query when streaming the report.
const REJECTS_PAGE: u32 = 500;

/// An import job: where it stands and what it did so far.
#[derive(Serialize, ToSchema, Debug)]
pub struct ImportView {
    #[schema(value_type = String, format = Uuid)]
    pub id: JobId,
    /// running, completed, failed
    pub status: String,
    /// Rows read (blank lines not counted).
    pub read: i64,
    pub imported: i64,
    /// Rows whose external id was imported before.
    pub skipped: i64,
    /// Rows rejected: see `/v1/imports/{id}/rejects`.
    pub rejected: i64,
    /// Why the import failed (e.g. a wrong CSV header).
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
}

impl From<JobRecord> for ImportView {
    fn from(j: JobRecord) -> Self {
        Self {
            id: j.id,
            status: j.status.as_str().to_owned(),
            read: j.processed,
            imported: j.assessed,
            skipped: j.routed_individual,
            rejected: j.failed,
            error: j.error,
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The account claims are filed for when a row names none.
    pub filed_by: Option<uuid::Uuid>,
}

fn format_of(headers: &HeaderMap) -> Format {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "text/csv" {
        Format::Csv
    } else {
        Format::Jsonl
    }
}

/// Removes the upload when dropped, however the import ends.
struct TempUpload(std::path::PathBuf);

impl Drop for TempUpload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Streams the body into a file of the data directory.
async fn receive(state: &AppState, body: Body) -> ApiResult<TempUpload> {
    let dir = state.settings.database.data_dir.join("imports");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(ApiError::internal)?;
    let upload = TempUpload(dir.join(format!("{}.upload", uuid::Uuid::now_v7())));
    let file = tokio::fs::File::create(&upload.0)
        .await
        .map_err(ApiError::internal)?;
    let mut out = tokio::io::BufWriter::with_capacity(256 * 1024, file);
    let mut stream = body.into_data_stream();
    let max = state.settings.import_max_bytes;
    let mut received: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::malformed(format!("Reading the body: {e}")))?;
        received += chunk.len() as u64;
        // Counted as it arrives, so an endless body fills no disk; the
        // partial file goes with `upload` when this returns.
        if received > max {
            let mut e = ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE);
            e.detail = format!(
                "The import file is larger than {max} bytes; split it, or import it with `redress import claims`."
            );
            return Err(e);
        }
        out.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    out.flush().await.map_err(ApiError::internal)?;
    Ok(upload)
}

/// Runs the import of an uploaded file and closes its job.
async fn work(
    state: AppState,
    ctx: AuditContext,
    job: ImportJob,
    upload: TempUpload,
    options: Options,
) {
    let result = match std::fs::File::open(&upload.0) {
        Ok(file) => crate::import::run(
            &state.app,
            &ctx,
            Some(&job),
            std::io::BufReader::with_capacity(256 * 1024, file),
            &options,
            Rejects::Job,
            |_, _| {},
        )
        .await
        .map_err(|e| e.to_string()),
        Err(e) => Err(format!("reading the upload: {e}")),
    };
    drop(upload);
    if let Err(reason) = &result {
        tracing::warn!(job = %job.id, "import failed: {reason}");
    }
    let closed = app::imports::close_job(&state.app, &job, result.map(drop)).await;
    if let Err(e) = closed {
        tracing::warn!(job = %job.id, "closing the import job: {e}");
    }
}

/// Imports claims from a JSON Lines file (or CSV with `Content-Type:
/// text/csv`) in the background; the format is that of `redress import
/// claims` (docs/import.md). Answers 202 with the job; poll its
/// `Location`. Rows already imported (same `external_id`) are skipped.
#[utoipa::path(post, path = "/v1/imports", tag = "register", security(("bearer" = [])),
    params(UploadQuery),
    request_body(content = String, content_type = "application/x-ndjson",
        description = "JSON Lines, or CSV with `Content-Type: text/csv`",
        example = json!(include_str!("../../../../docs/examples/claims.jsonl"))),
    responses((status = 202, description = "The import job", body = ImportView)))]
pub async fn upload(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let format = format_of(&headers);
    let upload = receive(&state, body).await?;
    let actor = auth.actor();
    let (record, job) =
        app::imports::start_job(&state.app, &actor, &state.jobs.worker, crate::jobs::LEASE).await?;
    let ctx = actor.audit(Some("import through the API".into()));
    let options = Options::new(format, q.filed_by.map(AccountId::from_uuid));
    tokio::spawn(work(state.clone(), ctx, job, upload, options));
    let location = format!("/v1/imports/{}", record.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(ImportView::from(record)),
    ))
}

page_of!(
    /// A page of import jobs.
    ImportPage,
    ImportView
);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// running, completed, failed
    pub status: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List import jobs (uploads to `POST /v1/imports`), oldest first,
/// filtered and cursor-paged.
#[utoipa::path(get, path = "/v1/imports", tag = "register", security(("bearer" = [])),
    params(ImportQuery), responses((status = 200, body = ImportPage),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ImportQuery>,
) -> ApiResult<Json<ImportPage>> {
    let page = crate::extract::page_request(q.limit, q.cursor.as_deref())?;
    let list = app::imports::jobs(&state.app, q.status.as_deref(), page).await?;
    Ok(Json(list.into()))
}

/// An import job: status and counts.
#[utoipa::path(get, path = "/v1/imports/{id}", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ImportView), (status = 404, body = crate::error::ProblemBody)))]
pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<JobId>,
) -> ApiResult<Json<ImportView>> {
    Ok(Json(ImportView::from(
        app::imports::job(&state.app, id).await?,
    )))
}

/// The rejected rows of an import job, in line order, as JSON Lines:
/// `{"line": 3, "field": "claim.losses[0].amount", "code": "...", "message": "..."}`.
/// Streamed; complete once the job is.
#[utoipa::path(get, path = "/v1/imports/{id}/rejects", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "JSON Lines", content_type = "application/x-ndjson", body = String),
        (status = 404, body = crate::error::ProblemBody)))]
pub async fn rejects(State(state): State<AppState>, Path(id): Path<JobId>) -> ApiResult<Response> {
    let job = app::imports::job(&state.app, id).await?;
    let stream =
        futures_util::stream::try_unfold((state, Some(0_i64)), move |(state, after)| async move {
            let Some(after) = after else {
                return Ok::<_, StoreError>(None);
            };
            let page = app::imports::rejects(&state.app, job.id, Some(after), REJECTS_PAGE).await?;
            let next = if page.len() < REJECTS_PAGE as usize {
                None
            } else {
                page.last().map(|(pos, _)| *pos)
            };
            let mut out = Vec::new();
            for (_, r) in &page {
                serde_json::to_writer(&mut out, r).map_err(StoreError::internal)?;
                out.push(b'\n');
            }
            Ok(Some((Bytes::from(out), (state, next))))
        })
        .map(|r| r.map_err(std::io::Error::other));
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response())
}
