//! Evidence files of claims: upload (streamed), list and download.
//!
//! An upload is `multipart/form-data` with one file part. It is streamed:
//! the body is parsed as it arrives (multer), hashed (SHA-256) and written
//! to the object store part by part, so no file is ever held whole in
//! memory. The router's JSON body limit does not apply here: the limit is
//! `evidence_max_bytes`, counted on the file itself, and a file over it is
//! refused with 413 and its partial object deleted. The type is sniffed
//! from the first bytes and checked against the allow-list and the declared
//! type (`register::check_upload`). The stored object is named from ids
//! only; the client's file name is kept as a sanitised display name.
//!
//! A sensitive claim's files are encrypted before they reach the store
//! (chunked AES-256-GCM, see `crypto::StreamSealer`) and decrypted on the
//! fly when downloaded.
//!
//! Who may do what is the claim's: the filer uploads (while the claim is a
//! draft or information is requested); whoever may see the claim lists and
//! downloads its files; anyone else gets 404.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, PageParams, Path, Query};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use register::ClaimId;
use serde::Serialize;
use store::{EvidenceId, EvidenceRecord};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// What the Register recorded about an evidence file. Returned on upload
/// as the receipt: proof of what arrived, and when.
#[derive(Serialize, ToSchema, Debug)]
pub struct EvidenceReceipt {
    #[schema(value_type = String, format = Uuid)]
    pub id: EvidenceId,
    #[schema(value_type = String, format = Uuid)]
    pub claim_id: ClaimId,
    /// The file's name as sent, made safe to show.
    pub file_name: String,
    /// The type recognised from the file's contents.
    #[schema(example = "application/pdf")]
    pub content_type: String,
    /// Bytes received.
    pub size: u64,
    /// SHA-256 of the bytes received, hexadecimal.
    pub sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: OffsetDateTime,
    /// Whether the file is encrypted at rest (files of sensitive claims).
    pub encrypted: bool,
}

impl From<EvidenceRecord> for EvidenceReceipt {
    fn from(e: EvidenceRecord) -> Self {
        Self {
            id: e.id,
            claim_id: e.claim,
            file_name: e.file_name,
            content_type: e.content_type,
            size: e.size,
            sha256: e.sha256,
            received_at: e.uploaded_at,
            encrypted: e.sealed_key_id.is_some(),
        }
    }
}

page_of!(
    /// A page of a claim's evidence files.
    EvidenceList,
    EvidenceReceipt
);

/// The upload form: one file part.
#[derive(ToSchema)]
pub struct EvidenceUpload {
    /// The file (PDF, JPEG, PNG, HEIC, TIFF, DOCX, ODT or plain text).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Adds an evidence file to a claim, streamed. Answers with a receipt.
#[utoipa::path(post, path = "/v1/claims/{id}/evidence", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data"),
    responses((status = 201, description = "The receipt", body = EvidenceReceipt),
        (status = 409, description = "The claim no longer accepts evidence", body = crate::error::ProblemBody),
        (status = 413, description = "Over the size limit", body = crate::error::ProblemBody),
        (status = 415, description = "Type not accepted", body = crate::error::ProblemBody),
        (status = 422, description = "Contents contradict the declared type", body = crate::error::ProblemBody)))]
pub async fn upload(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let record = crate::transfer::upload(&state, &auth.actor(), id, &headers, body).await?;
    let location = format!("/v1/claims/{id}/evidence/{}", record.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(EvidenceReceipt::from(record)),
    ))
}

/// List a claim's evidence files, oldest first, cursor-paged.
#[utoipa::path(get, path = "/v1/claims/{id}/evidence", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses((status = 200, body = EvidenceList), (status = 404, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<EvidenceList>> {
    let page = app::evidence::page(&state.app, &auth.actor(), id, params.request()?).await?;
    Ok(Json(page.into()))
}

/// Downloads an evidence file, streamed (decrypted on the fly for a
/// sensitive claim), with its SHA-256 in `x-evidence-sha256` and
/// `Repr-Digest`. One byte range may be asked for with `Range`.
#[utoipa::path(get, path = "/v1/claims/{id}/evidence/{evidence_id}", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("evidence_id" = String, Path, format = Uuid)),
    responses((status = 200, description = "The file as received, with the type recognised at upload",
            content(("application/pdf"), ("image/jpeg"), ("image/png"), ("image/heic"), ("image/tiff"),
                ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                ("application/vnd.oasis.opendocument.text"), ("text/plain"))),
        (status = 206, description = "One byte range of the file (`Range: bytes=FIRST-LAST`)",
            content(("application/pdf"), ("image/jpeg"), ("image/png"), ("image/heic"), ("image/tiff"),
                ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                ("application/vnd.oasis.opendocument.text"), ("text/plain"))),
        (status = 404, body = crate::error::ProblemBody),
        (status = 416, description = "The range is malformed or past the end", body = crate::error::ProblemBody)))]
pub async fn download(
    State(state): State<AppState>,
    auth: Authorized,
    Path((id, evidence_id)): Path<(ClaimId, EvidenceId)>,
    request: HeaderMap,
) -> ApiResult<Response> {
    crate::transfer::download(&state, &auth.actor(), id, evidence_id, &request).await
}
