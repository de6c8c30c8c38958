//! `Idempotency-Key` on state-changing requests.
//!
//! A client that may have to send a POST again (a timeout, a dropped
//! connection) puts a key of its choosing in `Idempotency-Key`. The first
//! request with the key runs; its answer is kept for
//! [`store::KEY_RETENTION`] (24 hours) and a retry with the same key and the
//! same request gets that answer again, marked `idempotent-replayed: true`,
//! without running twice. The same key with a different request is refused
//! (422 `idempotency-key-reused`); a retry while the first is still running
//! is refused too (409 `idempotency-in-flight`). Keys are per account.
//!
//! The decision is the database's ([`store::IdempotencyStore`]), so several
//! instances behave as one. This layer sits inside the authorization layer
//! (it needs the [`Authorized`] account) on every route, and acts only on
//! authenticated POSTs that carry the header; anything else passes
//! untouched.
//!
//! What is kept: the answer of a request that was carried out, 2xx (and
//! the 303 of a change carried out before its answer was lost). Any other
//! answer keeps nothing and releases the key, as Stripe does for requests
//! refused before they ran: a refusal (malformed JSON, a wrong content
//! type, a failed validation, 401/403/404, a stale `If-Match`, a conflict
//! with the resource's state) changed nothing, so the corrected retry with
//! the same key runs. A 5xx answer, a panic or a timeout forgets the key
//! too.
//! Error answers leave handlers as a [`PendingProblem`] rendered later by the
//! problem layer; this layer renders it itself before keeping it, so the kept
//! body is the real problem+json and a replay is the first answer byte for
//! byte, including its `instance` (the request id of the first request).
//!
//! The fingerprint of a request is the SHA-256 of its method, matched route,
//! concrete path and query, and body. JSON bodies (and bodies without a
//! content type) are buffered for it, within the configured body limit.
//! Other content types (multipart uploads, to come) are not buffered: their
//! fingerprint covers method, route, path and key only, so a retry with the
//! same key and a different file replays the first answer instead of being
//! refused.

use crate::authz::Authorized;
use crate::error::{ApiError, PendingProblem};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kernel::id::AccountId;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use store::{Begin, Store, StoredResponse};

/// The request header carrying the key.
pub const KEY_HEADER: &str = "idempotency-key";
/// Set on a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;
/// The answer headers kept with the body and replayed.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::ETAG, header::LOCATION];
/// How much longer than the request timeout a running request holds its
/// key before another instance may take it over.
const LEASE_MARGIN: std::time::Duration = std::time::Duration::from_secs(30);
/// How often expired keys are purged.
pub const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_mins(5);

/// The layer: see the module documentation.
pub async fn idempotency(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(raw_key) = request.headers().get(KEY_HEADER) else {
        return next.run(request).await;
    };
    let Some(account) = request
        .extensions()
        .get::<Authorized>()
        .map(|a| a.principal.account)
    else {
        // A public route: there is no account to keep the key under.
        return next.run(request).await;
    };
    let key = match parse_key(raw_key) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    let (mut parts, body) = request.into_parts();
    let matched = parts
        .extensions
        .get::<MatchedPath>()
        .map_or_else(String::new, |p| p.as_str().to_owned());
    let (body, fingerprint) = if is_buffered(&parts.headers) {
        // `Bytes` applies the route's body limit, like the handler would.
        let probe = Request::from_parts(parts.clone(), body);
        let bytes = match Bytes::from_request(probe, &()).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE).into_response();
            }
            Err(rejection) => return ApiError::malformed(rejection.body_text()).into_response(),
        };
        let fingerprint = fingerprint(
            &parts.method,
            &matched,
            &parts.uri,
            Fingerprinted::Body(&bytes),
        );
        parts.extensions.insert(BufferedBody(bytes.clone()));
        (Body::from(bytes), fingerprint)
    } else {
        let fingerprint = fingerprint(
            &parts.method,
            &matched,
            &parts.uri,
            Fingerprinted::Key(&key),
        );
        (body, fingerprint)
    };
    let request = Request::from_parts(parts, body);

    if let Some(kept) = self_kept(&request, &matched) {
        // The handler keeps its own answer under the key, in the change's
        // commit: nothing to take before, nothing to keep after.
        let retry = request_copy(&request, kept.clone());
        let mut request = request;
        request.extensions_mut().insert(OwnAnswer {
            account,
            key: key.clone(),
            fingerprint,
            now: state.clock.now(),
        });
        let response = next.clone().run(request).await;
        if !is_key_taken(&response) {
            return response;
        }
        // The key was recorded before (a retry, a duplicate in flight, an
        // expired record): it decides, as for any other route.
        return run_keyed(&state, next, retry, account, key, &fingerprint, request_id).await;
    }
    run_keyed(
        &state,
        next,
        request,
        account,
        key,
        &fingerprint,
        request_id,
    )
    .await
}

/// The routes whose handlers keep their own answer ([`OwnAnswer`]): the
/// intake, where the bookkeeping of the key was most of the work.
const SELF_KEPT: [&str; 2] = ["/v1/claims", "/v1/claims/{id}/submit"];

/// What a handler of a [`SELF_KEPT`] route needs to keep its answer under
/// the request's key in its change's transaction (`store::KeptAnswer`).
/// Present only when the request carries a key and its body was buffered.
#[derive(Clone, Debug)]
pub struct OwnAnswer {
    pub account: AccountId,
    pub key: String,
    pub fingerprint: [u8; 32],
    pub now: time::OffsetDateTime,
}

impl OwnAnswer {
    /// The store's form, rendering with `render`.
    pub fn kept<'a, R>(
        &'a self,
        render: &'a (dyn Fn(&R) -> Result<StoredResponse, store::StoreError> + Send + Sync),
    ) -> store::KeptAnswer<'a, R> {
        store::KeptAnswer {
            account: self.account,
            key: &self.key,
            fingerprint: &self.fingerprint,
            now: self.now,
            render,
        }
    }
}

/// A JSON answer in the form it is kept in, to be kept and sent as it is
/// ([`sent`]), so that a replay is the first answer byte for byte.
pub fn json_answer(
    status: StatusCode,
    etag: Option<String>,
    location: Option<String>,
    body: &impl serde::Serialize,
) -> Result<StoredResponse, ApiError> {
    let body = serde_json::to_vec(body).map_err(|e| ApiError::internal(anyhow::Error::from(e)))?;
    let headers = std::iter::once((header::CONTENT_TYPE, "application/json".to_owned()))
        .chain(etag.map(|e| (header::ETAG, e)))
        .chain(location.map(|l| (header::LOCATION, l)))
        .map(|(name, value)| (name.as_str().to_owned(), value))
        .collect();
    Ok(StoredResponse {
        status: status.as_u16(),
        headers,
        body,
    })
}

/// Sends an answer built by [`json_answer`].
pub fn sent(answer: StoredResponse) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// The buffered body of a self-kept route's request, if it is one.
fn self_kept(request: &Request, matched: &str) -> Option<Bytes> {
    if !SELF_KEPT.contains(&matched) {
        return None;
    }
    request
        .extensions()
        .get::<BufferedBody>()
        .map(|b| b.0.clone())
}

/// The request's body, buffered for its fingerprint.
#[derive(Clone)]
struct BufferedBody(Bytes);

/// A copy of `request` with `body`, for running it again.
fn request_copy(request: &Request, body: Bytes) -> Request {
    let mut copy = Request::new(Body::from(body));
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy
}

fn is_key_taken(response: &Response) -> bool {
    response
        .extensions()
        .get::<PendingProblem>()
        .is_some_and(|p| p.0.kind == app::AppError::KEY_TAKEN)
}

/// The usual way: take the key, run (or replay, or refuse), keep the answer.
async fn run_keyed(
    state: &AppState,
    next: Next,
    request: Request,
    account: AccountId,
    key: String,
    fingerprint: &[u8; 32],
    request_id: Option<String>,
) -> Response {
    let lease = time::Duration::try_from(state.settings.request_timeout + LEASE_MARGIN)
        .unwrap_or(time::Duration::minutes(5));
    let begun = state
        .store
        .begin_request(account, &key, fingerprint, state.clock.now(), lease)
        .await;
    match begun {
        Err(e) => ApiError::from(e).into_response(),
        Ok(Begin::Replay(stored)) => replay(stored),
        Ok(Begin::InFlight) => in_flight().into_response(),
        Ok(Begin::Mismatch) => key_reused().into_response(),
        Ok(Begin::Committed {
            target_type,
            target_id,
        }) => {
            // Kept like any answer, so that later retries get it again.
            let guard = AbandonOnDrop {
                store: state.store.clone(),
                account,
                key: Some(key),
            };
            record(
                guard,
                carried_out(&target_type, &target_id),
                request_id.as_deref(),
            )
            .await
        }
        Ok(Begin::Proceed) => {
            let guard = AbandonOnDrop {
                store: state.store.clone(),
                account,
                key: Some(key),
            };
            let response = next.run(request).await;
            record(guard, response, request_id.as_deref()).await
        }
    }
}

/// Checks the header: 1 to 255 printable ASCII characters.
fn parse_key(raw: &HeaderValue) -> Result<String, ApiError> {
    let bytes = raw.as_bytes();
    if bytes.is_empty()
        || bytes.len() > MAX_KEY_LEN
        || !bytes.iter().all(|b| (b' '..=b'~').contains(b))
    {
        return Err(ApiError::invalid_field(
            "Idempotency-Key",
            "format",
            format!(
                "The Idempotency-Key header must be 1 to {MAX_KEY_LEN} printable ASCII characters."
            ),
        ));
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// Whether the body is buffered for the fingerprint: JSON, or no content
/// type at all (an empty body, usually).
fn is_buffered(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(text) = value.to_str() else {
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

/// What stands for the body in a fingerprint.
#[derive(Clone, Copy, Debug)]
pub enum Fingerprinted<'a> {
    /// The buffered body.
    Body(&'a [u8]),
    /// An unbuffered body stands in as the key itself.
    Key(&'a str),
}

/// The fingerprint of a request: SHA-256 of its method, matched route
/// (`/v1/accounts/{id}`), concrete path with query, and body.
pub fn fingerprint(method: &Method, matched: &str, uri: &Uri, body: Fingerprinted<'_>) -> [u8; 32] {
    let path = uri.path_and_query().map_or("", |p| p.as_str());
    let mut hash = Sha256::new();
    let mut field = |tag: &[u8], bytes: &[u8]| {
        // Tagged and length-prefixed: no two requests hash the same text.
        hash.update(tag);
        hash.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
        hash.update(bytes);
    };
    field(b"method", method.as_str().as_bytes());
    field(b"route", matched.as_bytes());
    field(b"path", path.as_bytes());
    match body {
        Fingerprinted::Body(bytes) => field(b"body", bytes),
        Fingerprinted::Key(key) => field(b"key", key.as_bytes()),
    }
    hash.finalize().into()
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    for (name, value) in &stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    headers.insert(
        HeaderName::from_static(REPLAYED_HEADER),
        HeaderValue::from_static("true"),
    );
    response
}

/// 409: the first request with this key has not finished.
pub fn in_flight() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::CONFLICT,
        "idempotency-in-flight",
        "A request with this key is in progress",
        "A request with this Idempotency-Key is still being processed; \
         retry when it has finished to get its answer.",
    );
    e.retry_after_secs = Some(1);
    e
}

/// Where the API shows a target of the audit log, by its type.
fn location_of(target_type: &str, target_id: &str) -> Option<String> {
    let collection = match target_type {
        "claim" => "claims",
        "case" => "cases",
        "award" => "awards",
        "batch" => "batches",
        "decision" => "decisions",
        "recommendation" => "recommendations",
        "account" => "accounts",
        "payment_round" => "payment-rounds",
        "job" => "jobs",
        "webhook_subscription" => "webhooks",
        "category" => "categories",
        _ => return None,
    };
    // Ids are UUIDs and category codes; anything else is not put in a header.
    target_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        .then(|| format!("/v1/{collection}/{target_id}"))
}

/// The answer to a retry of a request whose change was committed but whose
/// answer was lost (`Begin::Committed`): 303 See Other to what it changed,
/// which a client follows with a GET (RFC 9110, 15.4.4) and so gets the
/// result it asked for without the change being made twice. A change
/// without a resource of its own gets 409 naming it instead.
fn carried_out(target_type: &str, target_id: &str) -> Response {
    match location_of(target_type, target_id) {
        Some(location) => {
            let body = serde_json::json!({
                "detail": "This request was carried out before its answer could be sent; \
                           its result is at the Location.",
                "location": location,
            });
            (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, location)],
                axum::Json(body),
            )
                .into_response()
        }
        None => ApiError::new(
            StatusCode::CONFLICT,
            "idempotent-request-carried-out",
            "Request already carried out",
            format!(
                "This request was carried out before its answer could be sent: it changed \
                 {target_type} {target_id}. Read that to see the result."
            ),
        )
        .into_response(),
    }
}

/// 422: the key was used for another request.
pub fn key_reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency-key-reused",
        "Idempotency key reused",
        "This Idempotency-Key was already used with a different request \
         (method, path or body); use a new key for a new request.",
    )
}

/// Whether an answer is kept for replay: only a request carried out. A
/// refused request changed nothing (every change is one transaction), so
/// its key is released for the corrected retry.
fn is_kept(status: StatusCode) -> bool {
    status.is_success() || status == StatusCode::SEE_OTHER
}

/// Keeps the answer of a request that ran (or forgets the key), and
/// returns the answer.
async fn record(
    mut guard: AbandonOnDrop,
    response: Response,
    request_id: Option<&str>,
) -> Response {
    let Some(key) = guard.key.take() else {
        return response;
    };
    let store = guard.store.clone();
    let account = guard.account;
    if !is_kept(response.status()) {
        if let Err(e) = store.abandon(account, &key).await {
            tracing::error!(request_id, "could not release an idempotency key: {e:#}");
        }
        return response;
    }
    let mut response = response;
    if let Some(PendingProblem(problem)) = response.extensions_mut().remove::<PendingProblem>() {
        response = problem.render(request_id);
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            if let Err(e) = store.abandon(account, &key).await {
                tracing::error!(request_id, "could not release an idempotency key: {e:#}");
            }
            return ApiError::internal(anyhow::anyhow!("reading the answer to keep it: {e}"))
                .into_response();
        }
    };
    let stored = StoredResponse {
        status: parts.status.as_u16(),
        headers: kept_headers(&parts.headers),
        body: bytes.to_vec(),
    };
    if let Err(e) = store.complete(account, &key, &stored).await {
        // The change is made: answer it. The key stays in flight until its
        // lease runs out; a retry meanwhile gets 409.
        tracing::error!(
            request_id,
            "could not keep the answer of an idempotent request: {e:#}"
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The headers of an answer that are kept with it, in order.
fn kept_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect()
}

/// Forgets the key of a request that never finished (a panic, a timeout, a
/// client that went away), so that a retry need not wait for the lease.
struct AbandonOnDrop {
    store: Arc<dyn Store>,
    account: AccountId,
    key: Option<String>,
}

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let store = self.store.clone();
            let account = self.account;
            runtime.spawn(async move {
                if let Err(e) = store.abandon(account, &key).await {
                    tracing::warn!("could not release an unfinished idempotency key: {e:#}");
                }
            });
        }
    }
}

/// Deletes expired keys every [`PURGE_INTERVAL`], from the start.
pub fn spawn_purger(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match state.store.purge_expired(state.clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "expired idempotency keys purged"),
                Err(e) => tracing::warn!("purging expired idempotency keys failed: {e:#}"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        let ok = |s: &str| parse_key(&HeaderValue::from_str(s).unwrap()).is_ok();
        assert!(ok("a"));
        assert!(ok("order 42/retry-1"));
        assert!(ok(&"k".repeat(255)));
        assert!(!ok(&"k".repeat(256)));
        assert!(!ok(""));
        assert!(parse_key(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()).is_err());
        assert!(parse_key(&HeaderValue::from_bytes(b"tab\there").unwrap()).is_err());
    }

    #[test]
    fn fingerprints_cover_route_path_and_body() {
        let uri: Uri = "/v1/accounts/1/tokens".parse().unwrap();
        let other: Uri = "/v1/accounts/2/tokens".parse().unwrap();
        let route = "/v1/accounts/{id}/tokens";
        let base = fingerprint(&Method::POST, route, &uri, Fingerprinted::Body(b"{}"));
        assert_eq!(
            base,
            fingerprint(&Method::POST, route, &uri, Fingerprinted::Body(b"{}"))
        );
        assert_ne!(
            base,
            fingerprint(&Method::POST, route, &other, Fingerprinted::Body(b"{}"))
        );
        assert_ne!(
            base,
            fingerprint(&Method::POST, route, &uri, Fingerprinted::Body(b"{ }"))
        );
        assert_ne!(
            base,
            fingerprint(&Method::POST, route, &uri, Fingerprinted::Key("{}"))
        );
    }

    #[test]
    fn json_bodies_are_buffered_and_uploads_are_not() {
        let with = |ct: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
            is_buffered(&h)
        };
        assert!(is_buffered(&HeaderMap::new()));
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("multipart/form-data; boundary=x"));
        assert!(!with("application/octet-stream"));
    }

    #[test]
    fn what_is_kept() {
        assert!(is_kept(StatusCode::CREATED));
        assert!(is_kept(StatusCode::SEE_OTHER));
        // A refusal changed nothing: its key is released for the retry.
        for refused in [400, 401, 403, 404, 409, 412, 413, 415, 422, 428] {
            assert!(
                !is_kept(StatusCode::from_u16(refused).unwrap()),
                "{refused}"
            );
        }
        assert!(!is_kept(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_kept(StatusCode::REQUEST_TIMEOUT));
        assert!(!is_kept(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!is_kept(StatusCode::SERVICE_UNAVAILABLE));
    }
}
