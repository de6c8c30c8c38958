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

use crate::error::{ApiError, ApiResult};
use crate::http::authz::Authorized;
use crate::http::json::{Json, Path};
use crate::state::AppState;
use app::crypto::{StreamOpener, StreamSealer};
use app::evidence_storage::EvidenceStorage;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::{Stream, StreamExt as _};
use object_store::{ObjectStoreExt as _, WriteMultipart};
use register::{ClaimId, ClaimStatus, ContentType, EvidenceProblem};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use store::claims::ClaimRecord;
use store::{EvidenceId, EvidenceRecord, NewEvidence, StoreError};
use time::OffsetDateTime;
use utoipa::ToSchema;

mod range;

/// Room for the multipart framing (boundaries, part headers, small text
/// fields) around the file itself.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;
/// Size of the parts written to the object store (the S3 minimum).
const STORE_PART: usize = 5 * 1024 * 1024;
/// Parts written to the object store at once.
const STORE_CONCURRENCY: usize = 2;

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

#[derive(Serialize, ToSchema)]
pub struct EvidenceList {
    pub items: Vec<EvidenceReceipt>,
}

/// The upload form: one file part.
#[derive(ToSchema)]
pub struct EvidenceUpload {
    /// The file (PDF, JPEG, PNG, HEIC, TIFF, DOCX, ODT or plain text).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A claim the caller may see (see [`crate::http::claims`]); a staff read of
/// a sensitive claim's evidence is recorded with the evidence id.
async fn visible_claim(
    state: &AppState,
    auth: &Authorized,
    id: ClaimId,
    evidence: Option<EvidenceId>,
) -> ApiResult<ClaimRecord> {
    crate::http::claims::visible_claim_noting(
        state,
        auth,
        id,
        json!({ "sensitive": true, "evidence": evidence }),
    )
    .await
}

fn too_large(max: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Request body too large",
        format!("An evidence file may be at most {max} bytes."),
    )
    .with("max_bytes", max)
}

fn allowed_types() -> Vec<&'static str> {
    ContentType::ALL.iter().map(|t| t.mime()).collect()
}

/// A refused file: 415 for a type not on the allow-list, 422 for bytes
/// that contradict the declared type or an empty file.
fn refused(problem: &EvidenceProblem) -> ApiError {
    let (status, kind, title) = match problem {
        EvidenceProblem::TypeNotAllowed { .. } | EvidenceProblem::ContentNotRecognised => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "evidence-type-not-allowed",
            "This type of file is not accepted",
        ),
        EvidenceProblem::ContentTypeMismatch { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "evidence-type-mismatch",
            "The file's contents do not match its declared type",
        ),
        EvidenceProblem::Empty => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "evidence-empty",
            "The file is empty",
        ),
    };
    let mut detail = problem.to_string();
    if let Some(first) = detail.get(..1) {
        detail = format!("{}{}.", first.to_uppercase(), &detail[1..]);
    }
    let mut e = ApiError::new(status, kind, title, detail).with("allowed_types", allowed_types());
    if let Ok(Value::Object(fields)) = serde_json::to_value(problem) {
        e.extensions.extend(fields);
    }
    e
}

fn multipart_error(e: multer::Error, max: u64) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            too_large(max)
        }
        other => ApiError::malformed(format!("The multipart body could not be read: {other}")),
    }
}

fn not_multipart() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "multipart-required",
        "Send the file as multipart/form-data",
        "Upload evidence as multipart/form-data with one file part, e.g. `curl -F file=@deed.pdf`.",
    )
}

/// Where the bytes of one upload go: hashed, counted, perhaps encrypted,
/// and written to the object store a part at a time.
struct Sink {
    writer: WriteMultipart,
    sealer: Option<StreamSealer>,
    hasher: Sha256,
    size: u64,
    max: u64,
}

impl Sink {
    async fn push(&mut self, bytes: &[u8]) -> ApiResult<()> {
        self.size += bytes.len() as u64;
        if self.size > self.max {
            return Err(too_large(self.max));
        }
        self.hasher.update(bytes);
        self.writer
            .wait_for_capacity(STORE_CONCURRENCY)
            .await
            .map_err(ApiError::internal)?;
        match &mut self.sealer {
            Some(sealer) => {
                let sealed = sealer.update(bytes).map_err(ApiError::internal)?;
                self.writer.write(&sealed);
            }
            None => self.writer.write(bytes),
        }
        Ok(())
    }

    /// Completes the object; returns the hash, size and key id.
    async fn finish(mut self) -> ApiResult<(String, u64, Option<String>)> {
        let key_id = match self.sealer.take() {
            Some(sealer) => {
                let key_id = sealer.key_id().to_owned();
                let last = sealer.finish().map_err(ApiError::internal)?;
                self.writer.write(&last);
                Some(key_id)
            }
            None => None,
        };
        self.writer.finish().await.map_err(ApiError::internal)?;
        Ok((hex(&self.hasher.finalize()), self.size, key_id))
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Deletes what a failed upload may have left.
async fn discard(state: &AppState, key: &object_store::path::Path) {
    match state.evidence.objects().delete(key).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => tracing::warn!(key = %key, "could not delete a partial evidence object: {e}"),
    }
}

/// A file part, received and stored.
struct Stored {
    id: EvidenceId,
    key: object_store::path::Path,
    file_name: String,
    content_type: ContentType,
    sha256: String,
    size: u64,
    sealed_key_id: Option<String>,
}

/// Receives one file part: sniffs its type from the first bytes, then
/// streams it to the store. Nothing is stored for a refused file; a
/// partial object is deleted on any failure.
async fn receive(
    state: &AppState,
    claim: &ClaimRecord,
    field: &mut multer::Field<'static>,
    max: u64,
) -> ApiResult<Stored> {
    let declared = field
        .content_type()
        .map(ToString::to_string)
        .unwrap_or_default();
    let file_name = register::sanitize_file_name(field.file_name().unwrap_or_default());

    // The first bytes decide the type before anything is stored.
    let mut head: Vec<u8> = Vec::with_capacity(register::evidence::SNIFF_LEN);
    let mut ended = false;
    while head.len() < register::evidence::SNIFF_LEN {
        let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? else {
            ended = true;
            break;
        };
        head.extend_from_slice(&chunk);
        if head.len() as u64 > max {
            return Err(too_large(max));
        }
    }
    let sniff_len = head.len().min(register::evidence::SNIFF_LEN);
    let content_type =
        register::check_upload(&declared, &head[..sniff_len]).map_err(|p| refused(&p))?;

    let id = EvidenceId::new();
    let key = EvidenceStorage::key(claim.id, id);
    let upload = state
        .evidence
        .objects()
        .put_multipart(&key)
        .await
        .map_err(ApiError::internal)?;
    let mut sink = Sink {
        writer: WriteMultipart::new_with_chunk_size(upload, STORE_PART),
        sealer: claim
            .sensitive
            .then(|| state.sealer.stream_sealer(id.as_uuid().as_bytes())),
        hasher: Sha256::new(),
        size: 0,
        max,
    };
    let streamed = async {
        sink.push(&head).await?;
        drop(head);
        if !ended {
            while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
                sink.push(&chunk).await?;
            }
        }
        Ok::<_, ApiError>(())
    }
    .await;
    if let Err(e) = streamed {
        let _ = sink.writer.abort().await;
        discard(state, &key).await;
        return Err(e);
    }
    let (sha256, size, sealed_key_id) = match sink.finish().await {
        Ok(done) => done,
        Err(e) => {
            discard(state, &key).await;
            return Err(e);
        }
    };
    Ok(Stored {
        id,
        key,
        file_name,
        content_type,
        sha256,
        size,
        sealed_key_id,
    })
}

/// Receives the parts of the body: one file, other fields ignored.
async fn receive_form(
    state: &AppState,
    claim: &ClaimRecord,
    mut form: multer::Multipart<'static>,
    max: u64,
) -> ApiResult<Stored> {
    let mut stored: Option<Stored> = None;
    let outcome = async {
        while let Some(mut field) = form
            .next_field()
            .await
            .map_err(|e| multipart_error(e, max))?
        {
            let is_file = field.file_name().is_some() || field.name() == Some("file");
            if !is_file {
                // Small text fields are read and dropped (within the limit).
                while field
                    .chunk()
                    .await
                    .map_err(|e| multipart_error(e, max))?
                    .is_some()
                {}
                continue;
            }
            if stored.is_some() {
                return Err(ApiError::invalid_field(
                    "file",
                    "one_file",
                    "Send one file per request.",
                ));
            }
            stored = Some(receive(state, claim, &mut field, max).await?);
        }
        Ok(())
    }
    .await;
    match (outcome, stored) {
        (Ok(()), Some(stored)) => Ok(stored),
        (Ok(()), None) => Err(ApiError::invalid_field(
            "file",
            "required",
            "Send the file in a multipart/form-data part named `file`.",
        )),
        (Err(e), stored) => {
            if let Some(s) = stored {
                discard(state, &s.key).await;
            }
            Err(e)
        }
    }
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
    let claim = visible_claim(&state, &auth, id, None).await?;
    if !matches!(
        claim.status,
        ClaimStatus::Draft | ClaimStatus::InformationRequested
    ) {
        let status = serde_json::to_value(claim.status).unwrap_or(Value::Null);
        return Err(ApiError::conflict(format!(
            "Evidence is accepted while a claim is a draft or information is requested; this claim is {}.",
            status.as_str().unwrap_or("closed")
        ))
        .with("current_status", claim.status));
    }
    let max = state.settings.evidence_max_bytes;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| not_multipart())?;
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > max.saturating_add(MULTIPART_OVERHEAD)) {
        return Err(too_large(max));
    }
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(max.saturating_add(MULTIPART_OVERHEAD)));
    let form = multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let stored = receive_form(&state, &claim, form, max).await?;

    let key = stored.key.clone();
    let recorded = state
        .store
        .record_evidence(
            &auth.audit(None),
            NewEvidence {
                id: stored.id,
                claim: id,
                file_name: stored.file_name,
                content_type: stored.content_type.mime().to_owned(),
                size: stored.size,
                sha256: stored.sha256,
                storage_key: key.to_string(),
                sealed_key_id: stored.sealed_key_id,
                uploaded_by: auth.principal.account,
            },
        )
        .await;
    let record = match recorded {
        Ok(record) => record,
        Err(e) => {
            discard(&state, &key).await;
            return Err(match e {
                StoreError::Conflict(detail) => ApiError::conflict(detail),
                other => other.into(),
            });
        }
    };
    let location = format!("/v1/claims/{id}/evidence/{}", record.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(EvidenceReceipt::from(record)),
    ))
}

/// A claim's evidence files, oldest first.
#[utoipa::path(get, path = "/v1/claims/{id}/evidence", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = EvidenceList), (status = 404, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
) -> ApiResult<Json<EvidenceList>> {
    visible_claim(&state, &auth, id, None).await?;
    let items = state.store.claim_evidence(id).await?;
    Ok(Json(EvidenceList {
        items: items.into_iter().map(EvidenceReceipt::from).collect(),
    }))
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`
/// (RFC 6266, RFC 8187).
fn content_disposition(name: &str) -> String {
    use std::fmt::Write as _;
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Decrypts a stored stream on the fly.
fn opened(
    inner: futures_util::stream::BoxStream<'static, object_store::Result<Bytes>>,
    opener: StreamOpener,
    evidence: EvidenceId,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let failed = move |e: anyhow::Error| {
        tracing::error!(%evidence, "stored evidence does not decrypt: {e:#}");
        std::io::Error::other(format!("{e:#}"))
    };
    futures_util::stream::try_unfold(
        (inner, Some(opener)),
        move |(mut inner, opener)| async move {
            let Some(mut opener) = opener else {
                return Ok(None);
            };
            while let Some(chunk) = inner.next().await {
                let chunk = chunk.map_err(std::io::Error::other)?;
                let plain = opener.update(&chunk).map_err(failed)?;
                if !plain.is_empty() {
                    return Ok(Some((Bytes::from(plain), (inner, Some(opener)))));
                }
            }
            let last = opener.finish().map_err(failed)?;
            Ok(Some((Bytes::from(last), (inner, None))))
        },
    )
}

/// The whole stored file, opened on the fly when sealed.
async fn whole(state: &AppState, evidence: &EvidenceRecord) -> ApiResult<Body> {
    let location = object_store::path::Path::from(evidence.storage_key.as_str());
    let stored = state
        .evidence
        .objects()
        .get(&location)
        .await
        .map_err(ApiError::internal)?
        .into_stream();
    Ok(match &evidence.sealed_key_id {
        None => Body::from_stream(stored),
        Some(key_id) => {
            let opener = state
                .sealer
                .stream_opener(key_id, evidence.id.as_uuid().as_bytes())
                .map_err(ApiError::internal)?;
            Body::from_stream(opened(stored, opener, evidence.id))
        }
    })
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
    visible_claim(&state, &auth, id, Some(evidence_id)).await?;
    let evidence = match state.store.evidence(evidence_id).await {
        Ok(e) if e.claim == id => e,
        Ok(_) | Err(StoreError::NotFound) => return Err(ApiError::not_found()),
        Err(e) => return Err(e.into()),
    };
    // The file never changes: its hash is a strong validator for If-Range.
    let etag = format!("\"{}\"", evidence.sha256);
    let part = match range::requested(&request, evidence.size, &etag) {
        range::Requested::Whole => None,
        range::Requested::Part(part) => Some(part),
        range::Requested::Unsatisfiable => {
            let request_id = request.get("x-request-id").and_then(|v| v.to_str().ok());
            return Ok(range::unsatisfiable(evidence.size, request_id));
        }
    };
    let body = match &part {
        Some(part) => range::body(&state, &evidence, part.clone()).await?,
        None => whole(&state, &evidence).await?,
    };
    let digest = base64::engine::general_purpose::STANDARD.encode(
        (0..evidence.sha256.len() / 2)
            .filter_map(|i| u8::from_str_radix(&evidence.sha256[2 * i..2 * i + 2], 16).ok())
            .collect::<Vec<u8>>(),
    );
    let mut response = Response::new(body);
    let value = |s: &str| HeaderValue::from_str(s).map_err(ApiError::internal);
    if let Some(part) = &part {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let content_range = format!("bytes {}-{}/{}", part.start, part.end - 1, evidence.size);
        response
            .headers_mut()
            .insert(header::CONTENT_RANGE, value(&content_range)?);
    }
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, value(&evidence.content_type)?);
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(part.as_ref().map_or(evidence.size, |p| p.end - p.start)),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, value(&etag)?);
    h.insert(
        header::CONTENT_DISPOSITION,
        value(&content_disposition(&evidence.file_name))?,
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert("x-evidence-sha256", value(&evidence.sha256)?);
    h.insert("repr-digest", value(&format!("sha-256=:{digest}:"))?);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_keeps_unicode_names_and_cannot_break_the_header() {
        assert_eq!(
            content_disposition("акт 1.pdf"),
            "attachment; filename=\"___ 1.pdf\"; filename*=UTF-8''%D0%B0%D0%BA%D1%82%201.pdf"
        );
        let tricky = content_disposition("a\"b;c.pdf");
        assert!(
            tricky.starts_with("attachment; filename=\"a_b;c.pdf\""),
            "{tricky}"
        );
        assert!(tricky.ends_with("a%22b%3Bc.pdf"), "{tricky}");
    }

    #[test]
    fn refusals_say_which_kind() {
        let e = refused(&EvidenceProblem::TypeNotAllowed {
            declared: "application/x-msdownload".into(),
        });
        assert_eq!(e.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(e.kind, "evidence-type-not-allowed");
        assert_eq!(e.extensions["reason"], "type_not_allowed");
        let e = refused(&EvidenceProblem::ContentTypeMismatch {
            declared: ContentType::Pdf,
            detected: ContentType::Png,
        });
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.kind, "evidence-type-mismatch");
        assert_eq!(e.extensions["detected"], "image/png");
    }

    #[test]
    fn hashes_are_lower_case_hex() {
        assert_eq!(hex(&[0x00, 0xAB, 0x0F]), "00ab0f");
    }
}
