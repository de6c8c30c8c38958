//! Files over HTTP, for the API and the pages alike: an evidence upload
//! read from its `multipart/form-data` body, and a download streamed with
//! its headers, one byte range included. What a file is and who may have
//! it is decided in `app::evidence`; this module only speaks HTTP.

pub mod letter;
mod range;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use app::Actor;
use app::evidence::{FileSource, Stored};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use register::ClaimId;
use store::claims::ClaimRecord;
use store::{EvidenceId, EvidenceRecord};

/// Room for the multipart framing (boundaries, part headers, small text
/// fields) around the file itself.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// Receives one file in a `multipart/form-data` body and records it on the
/// claim: the receipt. Nothing is kept of a refused upload.
pub async fn upload(
    state: &AppState,
    actor: &Actor,
    id: ClaimId,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<EvidenceRecord> {
    let claim = app::evidence::accepting(&state.app, actor, id).await?;
    let max = app::evidence::max_bytes(&state.app);
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
        return Err(app::evidence::too_large(max).into());
    }
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(max.saturating_add(MULTIPART_OVERHEAD)));
    let form = multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let stored = receive_form(state, &claim, form, max).await?;
    Ok(app::evidence::record(&state.app, actor, id, stored).await?)
}

fn multipart_error(e: multer::Error, max: u64) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            app::evidence::too_large(max).into()
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

/// A multipart file part as the application reads a file.
struct Part<'a> {
    field: &'a mut multer::Field<'static>,
    declared: String,
    max: u64,
}

impl FileSource for Part<'_> {
    fn declared_type(&self) -> &str {
        &self.declared
    }

    fn file_name(&self) -> Option<&str> {
        self.field.file_name()
    }

    async fn chunk(&mut self) -> app::AppResult<Option<Bytes>> {
        let max = self.max;
        self.field.chunk().await.map_err(|e| match e {
            multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
                app::evidence::too_large(max)
            }
            other => {
                app::AppError::malformed(format!("The multipart body could not be read: {other}"))
            }
        })
    }
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
            let declared = field
                .content_type()
                .map(ToString::to_string)
                .unwrap_or_default();
            let mut part = Part {
                field: &mut field,
                declared,
                max,
            };
            stored = Some(app::evidence::receive(&state.app, claim, &mut part).await?);
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
                app::evidence::discard(&state.app, s).await;
            }
            Err(e)
        }
    }
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

/// An evidence file of a claim the caller may see, streamed (decrypted on
/// the fly for a sensitive claim), with its SHA-256 in `x-evidence-sha256`
/// and `Repr-Digest`; one byte range when `Range` asks for one.
pub async fn download(
    state: &AppState,
    actor: &Actor,
    id: ClaimId,
    evidence_id: EvidenceId,
    request: &HeaderMap,
) -> ApiResult<Response> {
    let evidence = app::evidence::find(&state.app, actor, id, evidence_id).await?;
    // The file never changes: its hash is a strong validator for If-Range.
    let etag = format!("\"{}\"", evidence.sha256);
    let part = match range::requested(request, evidence.size, &etag) {
        range::Requested::Whole => None,
        range::Requested::Part(part) => Some(part),
        range::Requested::Unsatisfiable => {
            let request_id = request.get("x-request-id").and_then(|v| v.to_str().ok());
            return Ok(range::unsatisfiable(evidence.size, request_id));
        }
    };
    let content = match &part {
        Some(part) => app::evidence::range(&state.app, &evidence, part.clone()).await?,
        None => app::evidence::whole(&state.app, &evidence).await?,
    };
    let body = Body::from_stream(content);
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
}
