//! Sessions of the pages: an account token exchanged for a cookie.
//!
//! The cookie carries 256 random bits; the database keeps only their
//! SHA-256 (as for tokens), so every instance knows every session and a
//! leaked table opens none. A session lasts at most [`SESSION_TTL`], ends
//! after [`IDLE_TIMEOUT`] without use, and never outlives the token it was
//! opened with: revoking the token or suspending the account ends it too,
//! because both are checked on every request, exactly as on the bearer path.
//!
//! Every form that changes something carries the session's synchronizer
//! token (`csrf`), compared in constant time before the handler runs. The
//! sign-in form, which has no session yet, carries a double-submit token
//! instead: a random value both in a cookie and in the form.

use super::i18n::Lang;
use super::{Chrome, PageResult, html};
use crate::auth::{TOKEN_PREFIX, hash_token};
use crate::authz::{ClientIp, count_failure};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kernel::{Principal, Role};
use rand::RngCore as _;
use serde::Deserialize;
use store::{AccountStatus, AuditContext, NewWebSession, StoreError, WebSessionId};
use time::Duration;

pub const SESSION_COOKIE: &str = "redress_session";
/// The sign-in form's double-submit cookie.
pub const SIGN_IN_COOKIE: &str = "redress_sign_in";
pub const SESSION_TTL: Duration = Duration::hours(8);
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);

/// 256 random bits, base64url.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub use crate::auth::same_secret;

/// The value of a cookie of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
}

/// Whether the browser reached us over TLS (directly or through a proxy
/// that says so), which decides the cookies' `Secure` attribute.
pub fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').next().is_some_and(|p| p.trim() == "https"))
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Strict always, Secure over
/// TLS; `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

/// The signed-in person behind a page request.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub principal: Principal,
    pub session: WebSessionId,
    /// The session's synchronizer token, for the forms of the page.
    pub csrf: String,
}

/// What a request's cookie says about who is there.
pub enum Found {
    Nobody,
    Viewer(Viewer, String),
    /// The account exists but is suspended.
    Suspended,
}

/// Resolves the session cookie to the same principal the bearer path
/// would: the account's roles and clearances as they are now.
pub async fn from_cookie(state: &AppState, headers: &HeaderMap) -> ApiResult<Found> {
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(Found::Nobody);
    };
    let hash = hash_token(&secret);
    let found = match state.store.web_session(&hash).await {
        Ok(found) => found,
        Err(StoreError::NotFound) => return Ok(Found::Nobody),
        Err(e) => return Err(e.into()),
    };
    let now = state.clock.now();
    let session = &found.session;
    let token_holds = found.token.as_ref().is_none_or(|t| t.is_usable_at(now));
    if now >= session.expires_at || now - session.last_seen_at > IDLE_TIMEOUT || !token_holds {
        return Ok(Found::Nobody);
    }
    if found.account.status == AccountStatus::Suspended {
        return Ok(Found::Suspended);
    }
    if now - session.last_seen_at > Duration::minutes(1)
        && let Err(e) = state.store.touch_web_session(session.id, now).await
    {
        tracing::warn!(session = %session.id, "could not record session use: {e}");
    }
    let rate_key = found.token.as_ref().map_or_else(
        || format!("session:{}", session.id),
        |t| format!("token:{}", t.id),
    );
    Ok(Found::Viewer(
        Viewer {
            principal: found.account.principal(),
            session: session.id,
            csrf: session.csrf_token.clone(),
        },
        rate_key,
    ))
}

/// The pages a sign-in may lead back to.
const NEXT_PREFIXES: [&str; 2] = ["/console", "/my"];

/// Where to go after signing in: a path under one of [`NEXT_PREFIXES`],
/// made only of characters that cannot change how a browser reads it
/// (no control characters, backslashes or a second leading slash), so it
/// never leads to another site and always makes a valid `Location`.
/// Anything else is dropped and the caller goes to their home page.
fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?;
    let plain = next
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/?=&%+:,".contains(&b));
    let under = NEXT_PREFIXES.iter().any(|prefix| {
        next.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
    });
    (plain && under && !next.contains("//") && !next.contains("/..")).then(|| next.to_owned())
}

/// Where a principal starts: the console for staff, their claims otherwise.
pub fn home_of(principal: &Principal) -> &'static str {
    if principal.roles.iter().all(|r| *r == Role::Claimant) {
        "/my"
    } else {
        "/console"
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    c: Chrome,
    csrf: String,
    next: String,
    notice: Option<&'static str>,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
    expired: Option<String>,
}

fn sign_in_page(
    lang: Lang,
    headers: &HeaderMap,
    next: Option<&str>,
    notice: Option<&'static str>,
    problem: Option<String>,
    status: StatusCode,
) -> PageResult {
    let csrf = random_secret();
    let page = SignInPage {
        c: Chrome::public(lang, "/sign-in"),
        csrf: csrf.clone(),
        next: safe_next(next).unwrap_or_default(),
        notice,
        problem,
    };
    let mut response = (status, html(&page)?).into_response();
    let value = set_cookie(SIGN_IN_COOKIE, &csrf, "/sign-in", 3600, over_tls(headers));
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&value).map_err(ApiError::internal)?,
    );
    Ok(response)
}

pub async fn sign_in_form(
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> PageResult {
    let notice = if q.signed_out.is_some() {
        Some("signin.signed_out")
    } else if q.expired.is_some() {
        Some("signin.expired")
    } else {
        None
    };
    sign_in_page(
        lang,
        &headers,
        q.next.as_deref(),
        notice,
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct SignIn {
    token: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn sign_in(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    ClientIp(client): ClientIp,
    form: Result<Form<SignIn>, FormRejection>,
) -> PageResult {
    // A sign-in posted from another site would sign the browser in to an
    // account of the attacker's choosing (login CSRF).
    if super::from_elsewhere(&headers) {
        return Err(super::csrf_refused());
    }
    let Form(form) = form.map_err(|e| ApiError::malformed(e.body_text()))?;
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&expected, &form.csrf) {
        return Err(super::csrf_refused());
    }
    let token = form.token.trim();
    let refused = |detail: &str| {
        count_failure(&state, client)?;
        sign_in_page(
            lang,
            &headers,
            form.next.as_deref(),
            None,
            Some(detail.to_owned()),
            StatusCode::UNAUTHORIZED,
        )
    };
    if !token.starts_with(TOKEN_PREFIX) {
        return refused("Use an account token: it starts with rdt_.");
    }
    let caller = match state
        .auth
        .authenticate(state.store.as_ref(), state.clock.as_ref(), token)
        .await
    {
        Ok(caller) => caller,
        Err(e) if e.status.is_client_error() => {
            tracing::info!(
                status = e.status.as_u16(),
                "page sign-in refused: {}",
                e.detail
            );
            return refused(&e.detail);
        }
        Err(e) => return Err(e),
    };
    // Decided before the session is written, so nothing after it can fail
    // on the caller's input and leave a session nobody received.
    let target =
        safe_next(form.next.as_deref()).unwrap_or_else(|| home_of(&caller.principal).to_owned());
    let (record, _) = state.store.token_by_hash(&hash_token(token)).await?;
    let now = state.clock.now();
    let expires_at = record
        .expires_at
        .map_or(now + SESSION_TTL, |t| t.min(now + SESSION_TTL));
    let secret = random_secret();
    let ctx = AuditContext {
        actor: Some(caller.principal.account),
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ..AuditContext::default()
    };
    state
        .store
        .create_web_session(
            &ctx,
            NewWebSession {
                secret_hash: hash_token(&secret),
                account: caller.principal.account,
                token: Some(record.id),
                csrf_token: random_secret(),
                expires_at,
            },
        )
        .await?;
    let tls = over_tls(&headers);
    let max_age = (expires_at - now).whole_seconds().max(0);
    let mut response = Redirect::to(&target).into_response();
    let h = response.headers_mut();
    for value in [
        set_cookie(SESSION_COOKIE, &secret, "/", max_age, tls),
        set_cookie(SIGN_IN_COOKIE, "", "/sign-in", 0, tls),
    ] {
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_str(&value).map_err(ApiError::internal)?,
        );
    }
    Ok(response)
}

pub async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    auth: crate::authz::Authorized,
    headers: HeaderMap,
) -> PageResult {
    state
        .store
        .end_web_session(&auth.audit(None), viewer.session)
        .await?;
    let mut response = Redirect::to("/sign-in?signed_out=1").into_response();
    let value = set_cookie(SESSION_COOKIE, "", "/", 0, over_tls(&headers));
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&value).map_err(ApiError::internal)?,
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/console/claims")),
            Some("/console/claims".into())
        );
        assert_eq!(safe_next(Some("//evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example")), None);
        assert_eq!(safe_next(Some("/\\evil.example")), None);
        assert_eq!(safe_next(None), None);
        assert_eq!(safe_next(Some("/my")), Some("/my".into()));
        assert_eq!(
            safe_next(Some("/console/claims?status=submitted&q=a%20b")),
            Some("/console/claims?status=submitted&q=a%20b".into())
        );
        // Browsers drop tabs and newlines inside URLs, so `/\t/evil` reads
        // as `//evil`; control characters also make no valid header.
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/console\r\nSet-Cookie: x=1",
            "/console\u{b}",
            "/console//evil.example",
            "/console/../sign-out",
            "/myself",
            "/sign-out",
            "/",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), None, "{hostile:?}");
        }
    }

    #[test]
    fn cookies_are_read_among_others_and_set_strictly() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; redress_session=xyz; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz".into()));
        assert_eq!(cookie(&h, "c"), None);
        let set = set_cookie(SESSION_COOKIE, "xyz", "/", 60, true);
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.ends_with("Secure")
        );
        assert!(!set_cookie(SESSION_COOKIE, "xyz", "/", 60, false).contains("Secure"));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
