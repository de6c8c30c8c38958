//! Web pages, server-rendered from the same binary as the API: the public
//! convention tracker and decisions register, the staff console and the
//! claimant's pages. They read and change through the same store calls and
//! handler code as the API, so a page and an endpoint can never disagree.
//!
//! A page request passes two layers besides the API's outer ones:
//! - [`finish`] picks the language, renders any problem as an HTML page
//!   (never problem+json), and adds the security headers: a CSP without
//!   inline scripts or styles, `X-Frame-Options: DENY`, and
//!   `Cache-Control: no-store` unless a public page says otherwise;
//! - [`authorize`] looks the page up in [`crate::authz::PAGES`],
//!   resolves the session cookie to the same principal a bearer token
//!   would give, checks the policy, and checks the form's CSRF token on
//!   every request that changes something.
//!
//! No JavaScript is served: every page works with plain links and forms.

mod assets;
mod casework;
mod charts;
mod console;
mod council;
mod i18n;
mod letters;
mod my;
mod payments;
pub mod session;
mod tracker;

pub use i18n::Lang;

use crate::authz::{Authorized, PAGES};
use crate::error::{ApiError, PendingProblem};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kernel::{Action, Permission, Principal};
use session::{Found, Viewer};
use std::convert::Infallible;

/// What a page handler answers; an error becomes an HTML error page.
pub type PageResult = Result<Response, ApiError>;

/// The page routes. Mounted by the HTTP router beside the API,
/// outside the API's bearer-token authorization.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(tracker::tracker))
        .route("/participants.csv", get(tracker::participants_csv))
        .route("/decisions", get(tracker::decisions))
        .route("/verify/{code}", get(letters::verify))
        .route("/assets/web.css", get(assets::css))
        .route("/assets/icon.svg", get(assets::icon))
        .route(
            "/sign-in",
            get(session::sign_in_form).post(session::sign_in),
        )
        .route("/sign-out", post(session::sign_out))
        .route("/console", get(console::home))
        .route("/console/claims", get(console::queue))
        .route("/console/claims/reviews", post(console::take_up_many))
        .route("/console/claims/{id}", get(console::claim))
        .route(
            "/console/claims/{id}/evidence/{evidence_id}",
            get(console::evidence),
        )
        .route("/console/claims/{id}/review", post(console::start_review))
        .route(
            "/console/claims/{id}/information-requests",
            post(console::request_information),
        )
        .route(
            "/console/claims/{id}/recommendation",
            post(console::recommend),
        )
        .route("/console/claims/{id}/decision", post(console::decide))
        .route("/console/dashboard", get(console::dashboard))
        .route("/console/council", get(council::queue))
        .route(
            "/console/payment-rounds",
            get(payments::rounds).post(payments::preview),
        )
        .route("/console/payment-rounds/{id}", get(payments::round))
        .route(
            "/console/payment-rounds/{id}/pain001",
            get(payments::bank_file),
        )
        .route(
            "/console/payment-rounds/{id}/confirm",
            post(payments::confirm),
        )
        .route(
            "/console/payment-rounds/{id}/awards/{award}/payments",
            post(payments::record_payment),
        )
        .route("/console/council/decisions", post(council::decide))
        .route("/console/cases", get(casework::cases))
        .route("/console/cases/{id}", get(casework::case))
        .route("/console/decisions/{id}/letter", get(letters::console_page))
        .route(
            "/console/decisions/{id}/letter.pdf",
            get(letters::console_pdf),
        )
        .route("/console/cases/{id}/assignment", post(casework::assign))
        .route("/console/cases/{id}/assessments", post(casework::assess))
        .route(
            "/console/cases/{id}/recommendations",
            post(casework::recommend),
        )
        .route("/console/recommendations/{id}/votes", post(casework::vote))
        .route(
            "/console/recommendations/{id}/decision",
            post(casework::decide),
        )
        .route("/console/batches", post(casework::create_batch))
        .route("/console/batches/{id}", get(casework::batch))
        .route(
            "/console/batches/{id}/assess",
            post(casework::start_assessment),
        )
        .route(
            "/console/batches/{id}/sample/{case_id}",
            post(casework::review),
        )
        .route("/console/batches/{id}/release", post(casework::release))
        .route("/console/batches/{id}/votes", post(casework::vote_batch))
        .route("/console/{*rest}", get(not_found))
        .route("/my/{*rest}", get(not_found))
        .route("/my", get(my::claims))
        .route("/my/claims/{id}", get(my::claim))
        .route("/my/claims/{id}/letter", get(letters::my_page))
        .route("/my/claims/{id}/letter.pdf", get(letters::my_pdf))
        .route("/my/claims/{id}/responses", post(my::respond))
        .route("/my/claims/{id}/notifications", post(my::notices))
        .route("/my/claims/{id}/evidence", post(my::upload))
        .route("/my/claims/{id}/evidence/{evidence_id}", get(my::evidence))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorize,
        ))
        .layer(axum::middleware::from_fn(finish))
}

/// Unknown paths under the console and the claimant's pages answer as
/// pages do, not as the API.
async fn not_found() -> PageResult {
    Err(ApiError::not_found())
}

/// The page's action under the policy, if the page is in the table.
pub fn page_action(method: &Method, path: &str) -> Option<Action> {
    PAGES
        .iter()
        .find(|(m, p, _)| m == method && *p == path)
        .map(|(_, _, a)| *a)
}

/// Renders a template as an HTML response.
pub fn html(page: &impl Template) -> PageResult {
    page.render()
        .map(|body| Html(body).into_response())
        .map_err(ApiError::internal)
}

/// The refusal of a form whose CSRF token is missing or wrong.
pub fn csrf_refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "csrf",
        "Form refused",
        "The form's token is missing or does not match your session.",
    )
}

/// What every page's frame shows: language, where we are, who is signed in.
pub struct Chrome {
    pub lang: Lang,
    /// The page's path, for the language switch.
    pub path: String,
    pub user: Option<ChromeUser>,
}

// Each flag shows or hides one link of the navigation.
#[allow(clippy::struct_excessive_bools)]
pub struct ChromeUser {
    pub name: String,
    pub csrf: String,
    pub queue: bool,
    pub dashboard: bool,
    pub cases: bool,
    pub council: bool,
    pub payments: bool,
    pub my: bool,
}

impl Chrome {
    pub fn public(lang: Lang, path: &str) -> Self {
        Self {
            lang,
            path: path.to_owned(),
            user: None,
        }
    }

    pub fn signed_in(lang: Lang, path: &str, viewer: &Viewer) -> Self {
        let p = &viewer.principal;
        let may = |action| p.permission(action) != Permission::Deny;
        Self {
            lang,
            path: path.to_owned(),
            user: Some(ChromeUser {
                name: p.display_name.clone(),
                csrf: viewer.csrf.clone(),
                queue: is_staff(p) && may(Action::ListClaims),
                dashboard: may(Action::ReadReports),
                cases: is_staff(p) && may(Action::ListCases),
                council: is_staff(p) && may(Action::DecideRecommendation),
                payments: is_staff(p) && may(Action::ManagePayments),
                my: p.has_role(kernel::Role::Claimant),
            }),
        }
    }

    /// The other languages, for the switch.
    pub fn other_langs(&self) -> Vec<Lang> {
        Lang::ALL.into_iter().filter(|l| *l != self.lang).collect()
    }
}

fn is_staff(p: &Principal) -> bool {
    p.roles.iter().any(|r| *r != kernel::Role::Claimant)
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().copied().unwrap_or_default())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("page reached without a session")))
    }
}

/// Percent-encodes a query parameter's value.
pub fn encode(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The value of `name` in a query string or an urlencoded body. Only
/// used for tokens, whose alphabet (base64url) needs no decoding.
fn form_value<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The page authorization layer: the same policy as the API, through the
/// session cookie.
async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        return next.run(request).await;
    };
    let method = request.method().clone();
    let request_id = header_text(request.headers(), "x-request-id");
    // A HEAD is the GET without its body, under the GET's policy.
    let as_routed = if method == Method::HEAD {
        Method::GET
    } else {
        method.clone()
    };
    let Some(action) = page_action(&as_routed, &path) else {
        tracing::error!(
            request_id,
            path,
            "page has no authorization policy; refused"
        );
        return ApiError::forbidden("This page has no authorization policy.").into_response();
    };
    if action.is_public() {
        if let Err(e) = crate::authz::anonymous_quota(&state, &request) {
            return e.into_response();
        }
        return next.run(request).await;
    }
    let (viewer, rate_key) = match session::from_cookie(&state, request.headers()).await {
        Ok(Found::Viewer(viewer, key)) => (viewer, key),
        Ok(Found::Nobody) if method == Method::GET => {
            let here = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            return Redirect::to(&format!("/sign-in?next={}", encode(&here))).into_response();
        }
        Ok(Found::Nobody) => {
            return ApiError::unauthenticated("Your session has ended; sign in again.")
                .into_response();
        }
        Ok(Found::Suspended) => {
            return ApiError::forbidden("This account is suspended.").into_response();
        }
        Err(e) => return e.into_response(),
    };
    if let Err(wait) = state.rate_limits.check(&rate_key, false) {
        return ApiError::too_many_requests(wait).into_response();
    }
    let principal = viewer.principal.clone();
    let permission = principal.permission(action);
    if permission == Permission::Deny {
        tracing::warn!(
            request_id,
            account = %principal.account,
            ?action,
            path,
            "page denied by policy"
        );
        return ApiError::forbidden("Your role does not allow this page.").into_response();
    }
    let mut request = if method == Method::GET || method == Method::HEAD {
        request
    } else {
        match check_csrf(&state, request, &path, &viewer.csrf).await {
            Ok(request) => request,
            Err(e) => {
                tracing::warn!(request_id, account = %principal.account, path, "form refused: {}", e.detail);
                return e.into_response();
            }
        }
    };
    let role = principal
        .roles
        .iter()
        .copied()
        .find(|r| kernel::permission(*r, action) == permission);
    request.extensions_mut().insert(Authorized {
        principal,
        action,
        permission,
        role,
        request_id,
        idempotency_key: None,
    });
    request.extensions_mut().insert(viewer);
    next.run(request).await
}

/// The forms whose body streams to storage and is not read ahead: they
/// alone carry the CSRF token in their action URL. A token in the URL can
/// leak through logs and history, so every other form must send it in its
/// body.
const STREAMED_FORMS: [&str; 1] = ["/my/claims/{id}/evidence"];

/// Whether the browser says the request comes from another site (or from a
/// sibling subdomain). A request without the header (an older browser, a
/// script) is judged by its token alone.
pub(crate) fn from_elsewhere(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "same-origin" && v != "none")
}

/// Lets a state-changing request through only with the session's token,
/// from the form body (urlencoded), or from the action URL for the
/// [`STREAMED_FORMS`]. Requests the browser marks as coming from another
/// site are refused outright.
async fn check_csrf(
    state: &AppState,
    request: Request,
    path: &str,
    expected: &str,
) -> Result<Request, ApiError> {
    if from_elsewhere(request.headers()) {
        return Err(csrf_refused());
    }
    let from_query = if STREAMED_FORMS.contains(&path) {
        request
            .uri()
            .query()
            .and_then(|q| form_value(q, "csrf"))
            .map(str::to_owned)
    } else {
        None
    };
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (request, sent) = if is_form {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, state.settings.body_limit_bytes)
            .await
            .map_err(|_| ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE))?;
        let sent = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| form_value(text, "csrf"))
            .map(str::to_owned)
            .or(from_query);
        (Request::from_parts(parts, Body::from(bytes)), sent)
    } else {
        (request, from_query)
    };
    match sent {
        Some(sent) if session::same_secret(&sent, expected) => Ok(request),
        _ => Err(csrf_refused()),
    }
}

/// The security headers of every page.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    c: Chrome,
    status: u16,
    title: &'static str,
    detail: String,
    errors: &'a [crate::error::FieldError],
    request_id: Option<String>,
    csrf: bool,
    sign_in: bool,
}

/// The problem as an HTML page in the reader's language.
fn error_page(lang: Lang, path: &str, problem: &ApiError, request_id: Option<String>) -> Response {
    if problem.status.is_server_error() {
        if let Some(cause) = &problem.cause {
            tracing::error!(request_id, kind = problem.kind, "{cause:#}");
        } else {
            tracing::error!(request_id, kind = problem.kind, "{}", problem.detail);
        }
    }
    let key = format!("error.{}", problem.status.as_u16());
    let title = if Lang::has(&key) {
        lang.tr(&key)
    } else {
        lang.tr("error.title")
    };
    let page = ErrorPage {
        c: Chrome::public(lang, path),
        status: problem.status.as_u16(),
        title,
        detail: problem.detail.clone(),
        errors: &problem.errors,
        request_id,
        csrf: problem.kind == "csrf",
        sign_in: problem.status == StatusCode::UNAUTHORIZED,
    };
    let body = page.render().unwrap_or_else(|e| {
        tracing::error!("error page did not render: {e}");
        String::from("<!doctype html><title>Error</title><h1>Error</h1>")
    });
    let mut response = (problem.status, Html(body)).into_response();
    if let Some(secs) = problem.retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Language in, HTML errors and security headers out.
async fn finish(mut request: Request, next: Next) -> Response {
    let chosen = request
        .uri()
        .query()
        .and_then(|q| form_value(q, "lang"))
        .and_then(Lang::parse);
    let lang = chosen.unwrap_or_else(|| Lang::of_request(request.headers()));
    let path = request.uri().path().to_owned();
    let request_id = header_text(request.headers(), "x-request-id");
    request.extensions_mut().insert(lang);
    let mut response = next.run(request).await;
    if let Some(PendingProblem(problem)) = response.extensions_mut().remove::<PendingProblem>() {
        response = error_page(lang, &path, &problem, request_id);
    }
    let h = response.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Accept-Language"),
    );
    if let Some(lang) = chosen {
        let value = format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            i18n::LANG_COOKIE,
            lang.code()
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            h.append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Where a form's action leads: on success a redirect (303) to `done`, so a
/// reload never repeats it; on a refusal the page again with the problem
/// (`Ok(Err(problem))`); a claim not found or a failure of ours is an
/// error page.
pub(crate) fn settle(
    outcome: Result<(), ApiError>,
    done: &str,
) -> Result<Result<Response, ApiError>, ApiError> {
    match outcome {
        Ok(()) => Ok(Ok(Redirect::to(done).into_response())),
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status.is_server_error() => Err(e),
        Err(e) => Ok(Err(e)),
    }
}

/// A page shown again for a refused action answers with the problem's status.
pub(crate) fn with_status(page: PageResult, status: StatusCode) -> PageResult {
    page.map(|mut response| {
        *response.status_mut() = status;
        response
    })
}

/// Formats a whole number with thin grouping, e.g. 85 000.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A timestamp as the pages show it: `2026-03-14 09:30 UTC`.
pub fn when(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_route_has_a_policy_and_every_policy_a_route() {
        let routes = [
            "/",
            "/participants.csv",
            "/decisions",
            "/assets/web.css",
            "/assets/icon.svg",
            "/verify/{code}",
            "/sign-in",
            "/sign-out",
            "/console",
            "/console/claims",
            "/console/claims/reviews",
            "/console/claims/{id}",
            "/console/claims/{id}/evidence/{evidence_id}",
            "/console/claims/{id}/review",
            "/console/claims/{id}/information-requests",
            "/console/claims/{id}/recommendation",
            "/console/claims/{id}/decision",
            "/console/dashboard",
            "/console/council",
            "/console/council/decisions",
            "/console/payment-rounds",
            "/console/payment-rounds/{id}",
            "/console/payment-rounds/{id}/pain001",
            "/console/payment-rounds/{id}/confirm",
            "/console/payment-rounds/{id}/awards/{award}/payments",
            "/console/cases",
            "/console/cases/{id}",
            "/console/decisions/{id}/letter",
            "/console/decisions/{id}/letter.pdf",
            "/console/cases/{id}/assignment",
            "/console/cases/{id}/assessments",
            "/console/cases/{id}/recommendations",
            "/console/recommendations/{id}/votes",
            "/console/recommendations/{id}/decision",
            "/console/batches",
            "/console/batches/{id}",
            "/console/batches/{id}/assess",
            "/console/batches/{id}/sample/{case_id}",
            "/console/batches/{id}/release",
            "/console/batches/{id}/votes",
            "/console/{*rest}",
            "/my/{*rest}",
            "/my",
            "/my/claims/{id}",
            "/my/claims/{id}/letter",
            "/my/claims/{id}/letter.pdf",
            "/my/claims/{id}/responses",
            "/my/claims/{id}/notifications",
            "/my/claims/{id}/evidence",
            "/my/claims/{id}/evidence/{evidence_id}",
        ];
        for (_, path, _) in PAGES {
            assert!(routes.contains(path), "{path} is in PAGES but not routed");
        }
        for path in routes {
            assert!(
                PAGES.iter().any(|(_, p, _)| *p == path),
                "{path} is routed but has no policy"
            );
        }
    }

    #[test]
    fn form_values_and_encoding() {
        assert_eq!(form_value("a=1&csrf=xyz&b=2", "csrf"), Some("xyz"));
        assert_eq!(form_value("a=1", "csrf"), None);
        assert_eq!(
            encode("/console/claims?status=submitted&q=a b"),
            "/console/claims%3Fstatus%3Dsubmitted%26q%3Da%20b"
        );
        assert_eq!(grouped(85_000), "85\u{202f}000");
        assert_eq!(grouped(999), "999");
    }
}
