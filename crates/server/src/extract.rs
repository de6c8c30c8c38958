//! The extractors both doors (the API and the pages) share: JSON in and
//! out, path and query parameters, paging and `If-Match`, with every
//! rejection turned into a problem.

use crate::error::ApiError;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Like `axum::Json`, but a body that cannot be read answers with a problem
/// naming what was wrong: 400 malformed JSON, 415 wrong content type, 413
/// too large, 422 for a value of the wrong shape (with the field path).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE)
                } else {
                    ApiError::malformed(e.body_text())
                }
            })?;
        if has_escaped_nul(&bytes) {
            return Err(ApiError::invalid_field(
                "body",
                "nul_character",
                "Text may not contain the NUL character (\\u0000).",
            ));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| data_problem(&e, || serde_json::from_slice(&bytes).ok()))?;
        de.end()
            .map_err(|e| ApiError::malformed(format!("The body is not valid JSON: {e}")))?;
        Ok(Self(value))
    }
}

/// Reads a JSON value the door already holds (a body read as a `Value`
/// first) into `T`, with the same problems as [`Json`].
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| data_problem(&e, || Some(value.clone())))
}

/// The problem for a body that did not deserialize: 400 for text that is
/// not JSON; otherwise 422 naming the field, with a stable code:
/// `required` (a missing field), `unknown_field`, `unknown_variant` (a
/// value outside an enumeration), `invalid_type` (a number for a string,
/// …) or `invalid`. `body` reads the body as a `Value`, to find the field
/// of an unknown variant of an internally tagged enumeration.
fn data_problem(
    e: &serde_path_to_error::Error<serde_json::Error>,
    body: impl FnOnce() -> Option<serde_json::Value>,
) -> ApiError {
    use serde_json::error::Category;
    let inner = e.inner();
    if matches!(
        inner.classify(),
        Category::Syntax | Category::Eof | Category::Io
    ) {
        return ApiError::malformed(format!("The body is not valid JSON: {inner}"));
    }
    let path: Vec<String> = e
        .path()
        .iter()
        .map(|s| match s {
            serde_path_to_error::Segment::Seq { index } => format!("[{index}]"),
            serde_path_to_error::Segment::Map { key } => key.clone(),
            serde_path_to_error::Segment::Enum { variant } => variant.clone(),
            serde_path_to_error::Segment::Unknown => "?".to_owned(),
        })
        .collect();
    let (field, code, message) = describe(&path, &message_of(inner), body);
    ApiError::invalid_field(&field, code, message)
}

/// serde's message without serde_json's ` at line 1 column 42`.
fn message_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if e.line() > 0 {
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        if let Some(stripped) = text.strip_suffix(&suffix) {
            return stripped.to_owned();
        }
    }
    text
}

/// Joins path segments as `losses[0].amount`.
fn joined(path: &[String]) -> String {
    let mut out = String::new();
    for s in path {
        if !s.starts_with('[') && !out.is_empty() {
            out.push('.');
        }
        out.push_str(s);
    }
    out
}

/// The text between the first pair of backticks after `prefix`.
fn quoted<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message
        .strip_prefix(prefix)?
        .strip_prefix('`')?
        .split_once('`')
        .map(|(name, _)| name)
}

/// The field, stable code and message of a serde data error at `path`.
fn describe(
    path: &[String],
    message: &str,
    body: impl FnOnce() -> Option<serde_json::Value>,
) -> (String, &'static str, String) {
    let at = |name: &str| {
        let mut p = path.to_vec();
        p.push(name.to_owned());
        joined(&p)
    };
    if let Some(name) = quoted(message, "missing field ") {
        let field = at(name);
        return (field.clone(), "required", format!("`{field}` is required."));
    }
    if let Some(name) = quoted(message, "unknown field ") {
        let field = at(name);
        return (
            field.clone(),
            "unknown_field",
            format!("`{field}` is not a field here: {message}."),
        );
    }
    if let Some(variant) = quoted(message, "unknown variant ") {
        // An internally tagged enumeration reports at the object holding
        // its tag: the field is the one whose value is the unknown name.
        let tag = body().and_then(|b| {
            let mut node = &b;
            for s in path {
                node = match s.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
                    Some(i) => node.get(i.parse::<usize>().ok()?)?,
                    None => node.get(s)?,
                };
            }
            node.as_object()?
                .iter()
                .find(|(_, v)| v.as_str() == Some(variant))
                .map(|(k, _)| k.clone())
        });
        let field = tag.map_or_else(|| joined(path), |t| at(&t));
        return (field, "unknown_variant", format!("{message}."));
    }
    let field = joined(path);
    let code = if message.starts_with("invalid type") {
        "invalid_type"
    } else {
        "invalid"
    };
    let field = if field.is_empty() {
        "body".to_owned()
    } else {
        field
    };
    (field, code, message.to_owned())
}

/// `application/json` or `application/*+json`, as axum's own extractor
/// decides.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(Ok(text)) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .map(|v| v.to_str())
    else {
        return false;
    };
    let essence = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Whether a JSON text holds a `\u0000` escape. PostgreSQL text and JSONB
/// cannot store NUL, so such a value would fail only when written;
/// refusing it here answers 422 on both backends alike. Raw control
/// characters are already invalid JSON.
fn has_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            // Skips the escaped character, so `\\u0000` (a backslash, then
            // text) is not taken for one.
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        "Send the body as JSON with `Content-Type: application/json`.",
    )
}

fn source_text(e: &dyn std::error::Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Like `axum::extract::Path`: an id that does not parse names nothing, so
/// it answers 404 like any other unknown id.
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Self(v))
            .map_err(|_| ApiError::not_found())
    }
}

/// Like `axum::extract::Query`, with a 422 problem naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        if parts
            .uri
            .query()
            .is_some_and(|q| q.to_ascii_lowercase().contains("%00"))
        {
            // PostgreSQL text cannot hold NUL; see `has_escaped_nul`.
            return Err(ApiError::invalid_field(
                "query",
                "nul_character",
                "Query parameters may not contain the NUL character (%00).",
            ));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Self(v))
            .map_err(|e| {
                let text = source_text(&e);
                ApiError::invalid_field("query", "invalid", format!("Query parameters: {text}"))
            })
    }
}

/// The standard page parameters of every list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn request(&self) -> Result<kernel::PageRequest, ApiError> {
        let after = match &self.cursor {
            None => None,
            Some(text) => Some(kernel::Cursor::decode(text).ok_or_else(|| {
                ApiError::invalid_field("cursor", "invalid", "Not a cursor this service issued.")
            })?),
        };
        Ok(kernel::PageRequest::new(self.limit, after))
    }

    /// The page of a list ordered by a text key (a code; a category and
    /// version; a currency pair and date).
    pub fn key_request(&self) -> Result<kernel::KeyPageRequest, ApiError> {
        Ok(app::key_page(self.limit, self.cursor.as_deref())?)
    }
}

/// The page parameters of a list whose query also carries filters.
pub fn page_request(
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<kernel::PageRequest, ApiError> {
    Ok(app::page(limit, cursor)?)
}

/// As [`page_request`], for a list ordered by a text key.
pub fn key_page_request(
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<kernel::KeyPageRequest, ApiError> {
    Ok(app::key_page(limit, cursor)?)
}

/// The version an ETag of this service names (`"v3"`, also weak or
/// unquoted), as `If-Match` and the `if_match` of bulk items carry it.
pub fn etag_version(text: &str) -> Option<i64> {
    text.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .strip_prefix('v')
        .and_then(|v| v.parse().ok())
}

/// Reads `If-Match` as a version number: 428 when absent, 412 when it does
/// not name a version at all.
pub fn if_match_version(headers: &axum::http::HeaderMap) -> Result<i64, ApiError> {
    let value = headers
        .get(axum::http::header::IF_MATCH)
        .ok_or_else(ApiError::precondition_required)?;
    value
        .to_str()
        .ok()
        .and_then(etag_version)
        .ok_or_else(ApiError::precondition_failed)
}

/// The version in `If-Match` when the header is there: a change that may
/// also be made without naming a version (creating what does not exist).
pub fn optional_if_match(headers: &axum::http::HeaderMap) -> Result<Option<i64>, ApiError> {
    if headers.contains_key(axum::http::header::IF_MATCH) {
        if_match_version(headers).map(Some)
    } else {
        Ok(None)
    }
}

/// The ETag of a resource at `version`: `"v3"`, quotes included.
pub fn etag_text(version: i64) -> String {
    format!("\"v{version}\"")
}

/// The `ETag` header of a resource at `version`.
pub fn etag(version: i64) -> [(axum::http::HeaderName, String); 1] {
    [(axum::http::header::ETAG, etag_text(version))]
}
