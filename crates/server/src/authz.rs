//! The authorization layer: every route names the [`Action`] it performs,
//! and every request passes the policy before its handler runs.
//!
//! The route table below is the single place where routes meet the policy
//! (`kernel::access::permission`). A route missing from it is refused
//! (fail closed) and fails the authorization-matrix test.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::rate_limit::client_address;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kernel::{Action, Permission, Principal, Role};
use std::net::{IpAddr, SocketAddr};
use store::AuditContext;

/// Every API route: method, path (as routed) and the action it performs.
pub const ROUTES: &[(Method, &str, Action)] = &[
    (Method::GET, "/health", Action::ReadServiceInfo),
    (Method::GET, "/ready", Action::ReadServiceInfo),
    (Method::GET, "/metrics", Action::ReadServiceInfo),
    (Method::GET, "/openapi.json", Action::ReadServiceInfo),
    (Method::GET, "/v1/me", Action::ReadOwnAccount),
    (Method::GET, "/v1/accounts", Action::ListAccounts),
    (Method::POST, "/v1/accounts", Action::CreateAccount),
    (Method::GET, "/v1/accounts/{id}", Action::ReadAccount),
    (
        Method::POST,
        "/v1/accounts/{id}/suspend",
        Action::ChangeAccountStatus,
    ),
    (
        Method::POST,
        "/v1/accounts/{id}/reactivate",
        Action::ChangeAccountStatus,
    ),
    (Method::GET, "/v1/accounts/{id}/tokens", Action::ListTokens),
    (Method::POST, "/v1/accounts/{id}/tokens", Action::IssueToken),
    (
        Method::POST,
        "/v1/accounts/{id}/tokens/{token_id}/revoke",
        Action::RevokeToken,
    ),
    (Method::GET, "/v1/audit", Action::ReadAuditLog),
    (Method::GET, "/v1/audit/head", Action::ReadAuditLog),
    (Method::GET, "/v1/audit/verify", Action::ReadAuditLog),
    (Method::GET, "/v1/reports/claims", Action::ReadReports),
    (Method::GET, "/v1/reports/processing", Action::ReadReports),
    (Method::GET, "/v1/webhooks", Action::ManageWebhooks),
    (Method::POST, "/v1/webhooks", Action::ManageWebhooks),
    (Method::GET, "/v1/webhooks/{id}", Action::ManageWebhooks),
    (Method::DELETE, "/v1/webhooks/{id}", Action::ManageWebhooks),
    (
        Method::GET,
        "/v1/webhooks/{id}/deliveries",
        Action::ManageWebhooks,
    ),
    (Method::GET, "/v1/categories", Action::ReadCatalogue),
    (
        Method::PUT,
        "/v1/categories/{code}",
        Action::ManageCatalogue,
    ),
    (Method::GET, "/v1/regions", Action::ReadCatalogue),
    (Method::GET, "/v1/claims", Action::ListClaims),
    (Method::POST, "/v1/claims", Action::CreateClaim),
    (Method::GET, "/v1/claims/{id}", Action::ReadClaim),
    (Method::PATCH, "/v1/claims/{id}", Action::FileClaim),
    (Method::POST, "/v1/claims/{id}/submit", Action::FileClaim),
    (Method::POST, "/v1/claims/{id}/withdraw", Action::FileClaim),
    (Method::POST, "/v1/claims/{id}/responses", Action::FileClaim),
    (Method::POST, "/v1/claims/{id}/review", Action::ReviewClaim),
    (
        Method::POST,
        "/v1/claims/{id}/information-requests",
        Action::ReviewClaim,
    ),
    (
        Method::POST,
        "/v1/claims/{id}/recommendation",
        Action::ReviewClaim,
    ),
    (
        Method::POST,
        "/v1/claims/{id}/decision",
        Action::DecideClaim,
    ),
    (Method::POST, "/v1/claims/decisions", Action::DecideClaim),
    (Method::POST, "/v1/claims/reviews", Action::ReviewClaim),
    (Method::GET, "/v1/claims/{id}/history", Action::ReadClaim),
    (Method::GET, "/v1/claims/{id}/messages", Action::ReadClaim),
    (
        Method::GET,
        "/v1/claims/{id}/notifications",
        Action::ReadClaim,
    ),
    (
        Method::PUT,
        "/v1/claims/{id}/notifications",
        Action::FileClaim,
    ),
    (
        Method::GET,
        "/v1/claims/{id}/duplicates",
        Action::ReadDuplicateFlags,
    ),
    (Method::GET, "/v1/claims/{id}/evidence", Action::ReadClaim),
    (Method::POST, "/v1/claims/{id}/evidence", Action::FileClaim),
    (
        Method::GET,
        "/v1/claims/{id}/evidence/{evidence_id}",
        Action::ReadClaim,
    ),
    (
        Method::POST,
        "/v1/duplicate-flags/{id}/resolve",
        Action::ReviewClaim,
    ),
    (Method::GET, "/v1/convention", Action::ReadConvention),
    (
        Method::GET,
        "/v1/convention/participants",
        Action::ReadConvention,
    ),
    (
        Method::GET,
        "/v1/convention/timeline",
        Action::ReadConvention,
    ),
    (
        Method::GET,
        "/v1/convention/funding",
        Action::ReadConvention,
    ),
    (
        Method::GET,
        "/v1/convention/timeline.atom",
        Action::ReadConvention,
    ),
    (
        Method::GET,
        "/v1/convention/weights",
        Action::ReadConvention,
    ),
    (
        Method::POST,
        "/v1/convention/weights",
        Action::RecordTreatyAction,
    ),
    (
        Method::POST,
        "/v1/convention/basis-totals",
        Action::RecordTreatyAction,
    ),
    (Method::GET, "/v1/convention/events", Action::ReadConvention),
    (Method::GET, "/v1/commission/status", Action::ReadConvention),
    (
        Method::POST,
        "/v1/convention/actions",
        Action::RecordTreatyAction,
    ),
    (
        Method::POST,
        "/v1/convention/funding-determinations",
        Action::RecordFundingDetermination,
    ),
    (Method::POST, "/v1/convention/pledges", Action::RecordPledge),
    (
        Method::POST,
        "/v1/convention/contributions",
        Action::RecordContribution,
    ),
    (
        Method::POST,
        "/v1/convention/exchange-rates",
        Action::RecordExchangeRate,
    ),
    (Method::GET, "/v1/cases", Action::ListCases),
    (Method::GET, "/v1/cases/{id}", Action::ListCases),
    (
        Method::POST,
        "/v1/cases/{id}/assignment",
        Action::AssignCases,
    ),
    (Method::POST, "/v1/cases/assignments", Action::AssignCases),
    (Method::POST, "/v1/cases/distribute", Action::AssignCases),
    (Method::GET, "/v1/cases/{id}/assessments", Action::ListCases),
    (
        Method::POST,
        "/v1/cases/{id}/assessments",
        Action::AssessCase,
    ),
    (
        Method::GET,
        "/v1/valuation-rules",
        Action::ReadValuationRules,
    ),
    (
        Method::POST,
        "/v1/valuation-rules",
        Action::PublishValuationRule,
    ),
    (
        Method::POST,
        "/v1/exchange-rates",
        Action::RecordAssessmentRate,
    ),
    (Method::GET, "/v1/exchange-rates", Action::ListCases),
    (
        Method::POST,
        "/v1/exchange-rates/import",
        Action::RecordAssessmentRate,
    ),
    (Method::POST, "/v1/batches", Action::AssessCase),
    (Method::GET, "/v1/batches", Action::ListCases),
    (Method::GET, "/v1/batches/{id}", Action::ListCases),
    (Method::POST, "/v1/batches/{id}/assess", Action::AssessCase),
    (
        Method::POST,
        "/v1/batches/{id}/sample/{case_id}",
        Action::ReviewSample,
    ),
    (
        Method::POST,
        "/v1/batches/{id}/duplicates/{case_id}/clear",
        Action::ReleaseBatch,
    ),
    (
        Method::POST,
        "/v1/batches/{id}/release",
        Action::ReleaseBatch,
    ),
    (Method::GET, "/v1/jobs/{id}", Action::ListCases),
    (Method::GET, "/v1/jobs", Action::ListCases),
    (Method::GET, "/v1/panels", Action::ListCases),
    (Method::POST, "/v1/panels", Action::ManagePanels),
    (
        Method::POST,
        "/v1/cases/{id}/recommendations",
        Action::Recommend,
    ),
    (
        Method::POST,
        "/v1/batches/{id}/recommendations",
        Action::Recommend,
    ),
    (Method::GET, "/v1/recommendations/{id}", Action::ListCases),
    (Method::GET, "/v1/recommendations", Action::ListCases),
    (
        Method::POST,
        "/v1/recommendations/{id}/votes",
        Action::Recommend,
    ),
    (Method::POST, "/v1/recommendations/votes", Action::Recommend),
    (
        Method::GET,
        "/v1/recommendations/{id}/decision",
        Action::ReadAwards,
    ),
    (
        Method::POST,
        "/v1/recommendations/{id}/decision",
        Action::DecideRecommendation,
    ),
    (
        Method::POST,
        "/v1/recommendations/decisions",
        Action::DecideRecommendation,
    ),
    (
        Method::GET,
        "/v1/decisions/public",
        Action::ReadPublicDecisions,
    ),
    (Method::GET, "/v1/decisions/{id}", Action::ReadAwards),
    (Method::GET, "/v1/decisions", Action::ReadAwards),
    (
        Method::POST,
        "/v1/decisions/{id}/corrections",
        Action::DecideRecommendation,
    ),
    (Method::GET, "/v1/cases/{id}/decisions", Action::ReadAwards),
    (Method::GET, "/v1/claims/{id}/decisions", Action::ReadClaim),
    (Method::GET, "/v1/claims/{id}/award", Action::ReadClaim),
    (Method::GET, "/v1/decisions/{id}/letter", Action::ReadAwards),
    (
        Method::GET,
        "/v1/claims/{id}/decision-letter",
        Action::ReadClaim,
    ),
    (
        Method::GET,
        "/v1/verify/{code}",
        Action::ReadPublicDecisions,
    ),
    (Method::GET, "/v1/awards", Action::ReadAwards),
    (Method::GET, "/v1/awards/{id}", Action::ReadAwards),
    (
        Method::POST,
        "/v1/awards/{id}/payments",
        Action::ManagePayments,
    ),
    (
        Method::PUT,
        "/v1/awards/{id}/payees",
        Action::ManagePayments,
    ),
    (
        Method::POST,
        "/v1/awards/{id}/payee-unreachable",
        Action::ManagePayments,
    ),
    (
        Method::DELETE,
        "/v1/awards/{id}/payee-unreachable",
        Action::ManagePayments,
    ),
    (Method::POST, "/v1/payment-rounds", Action::ManagePayments),
    (Method::GET, "/v1/payment-rounds", Action::ReadAwards),
    (Method::GET, "/v1/payment-rounds/{id}", Action::ReadAwards),
    (
        Method::POST,
        "/v1/payment-rounds/{id}/confirm",
        Action::ManagePayments,
    ),
    (
        Method::GET,
        "/v1/payment-rounds/{id}/transfers",
        Action::ReadAwards,
    ),
    (
        Method::GET,
        "/v1/payment-rounds/{id}/pain001",
        Action::ManagePayments,
    ),
    (Method::GET, "/v1/reports/awards", Action::ReadAwards),
    (Method::POST, "/v1/imports", Action::ImportClaims),
    (Method::GET, "/v1/imports", Action::ImportClaims),
    (Method::GET, "/v1/imports/{id}", Action::ImportClaims),
    (
        Method::GET,
        "/v1/imports/{id}/rejects",
        Action::ImportClaims,
    ),
    (Method::GET, "/v1/exports/claims", Action::ExportClaims),
    (Method::GET, "/v1/exports/awards", Action::ReadAwards),
];

/// Every web page and form (`crate::web`): method, path and action, under
/// the same policy as the API. Pages authenticate by session cookie instead
/// of a bearer token; the page authorization layer refuses a page missing
/// from this table.
pub const PAGES: &[(Method, &str, Action)] = &[
    (Method::GET, "/", Action::ReadConvention),
    (Method::GET, "/participants.csv", Action::ReadConvention),
    (Method::GET, "/decisions", Action::ReadPublicDecisions),
    (Method::GET, "/verify/{code}", Action::ReadPublicDecisions),
    (Method::GET, "/assets/web.css", Action::ReadServiceInfo),
    (Method::GET, "/assets/icon.svg", Action::ReadServiceInfo),
    (Method::GET, "/sign-in", Action::SignIn),
    (Method::POST, "/sign-in", Action::SignIn),
    (Method::POST, "/sign-out", Action::ReadOwnAccount),
    (Method::GET, "/console", Action::ReadOwnAccount),
    (Method::GET, "/console/claims", Action::ListClaims),
    (Method::POST, "/console/claims/reviews", Action::ReviewClaim),
    (Method::GET, "/console/claims/{id}", Action::ReadClaim),
    (
        Method::GET,
        "/console/claims/{id}/evidence/{evidence_id}",
        Action::ReadClaim,
    ),
    (
        Method::POST,
        "/console/claims/{id}/review",
        Action::ReviewClaim,
    ),
    (
        Method::POST,
        "/console/claims/{id}/information-requests",
        Action::ReviewClaim,
    ),
    (
        Method::POST,
        "/console/claims/{id}/recommendation",
        Action::ReviewClaim,
    ),
    (
        Method::POST,
        "/console/claims/{id}/decision",
        Action::DecideClaim,
    ),
    (Method::GET, "/console/dashboard", Action::ReadReports),
    (
        Method::GET,
        "/console/council",
        Action::DecideRecommendation,
    ),
    (Method::GET, "/console/payment-rounds", Action::ReadAwards),
    (
        Method::POST,
        "/console/payment-rounds",
        Action::ManagePayments,
    ),
    (
        Method::GET,
        "/console/payment-rounds/{id}",
        Action::ReadAwards,
    ),
    (
        Method::GET,
        "/console/payment-rounds/{id}/pain001",
        Action::ManagePayments,
    ),
    (
        Method::POST,
        "/console/payment-rounds/{id}/confirm",
        Action::ManagePayments,
    ),
    (
        Method::POST,
        "/console/payment-rounds/{id}/awards/{award}/payments",
        Action::ManagePayments,
    ),
    (
        Method::POST,
        "/console/council/decisions",
        Action::DecideRecommendation,
    ),
    (Method::GET, "/console/cases", Action::ListCases),
    (Method::GET, "/console/cases/{id}", Action::ListCases),
    (
        Method::GET,
        "/console/decisions/{id}/letter",
        Action::ReadAwards,
    ),
    (
        Method::GET,
        "/console/decisions/{id}/letter.pdf",
        Action::ReadAwards,
    ),
    (
        Method::POST,
        "/console/cases/{id}/assignment",
        Action::AssignCases,
    ),
    (
        Method::POST,
        "/console/cases/{id}/assessments",
        Action::AssessCase,
    ),
    (
        Method::POST,
        "/console/cases/{id}/recommendations",
        Action::Recommend,
    ),
    (
        Method::POST,
        "/console/recommendations/{id}/votes",
        Action::Recommend,
    ),
    (
        Method::POST,
        "/console/recommendations/{id}/decision",
        Action::DecideRecommendation,
    ),
    (Method::POST, "/console/batches", Action::AssessCase),
    (Method::GET, "/console/batches/{id}", Action::ListCases),
    (
        Method::POST,
        "/console/batches/{id}/assess",
        Action::AssessCase,
    ),
    (
        Method::POST,
        "/console/batches/{id}/votes",
        Action::Recommend,
    ),
    (
        Method::POST,
        "/console/batches/{id}/sample/{case_id}",
        Action::ReviewSample,
    ),
    (
        Method::POST,
        "/console/batches/{id}/release",
        Action::ReleaseBatch,
    ),
    // Unknown console and claimant paths: an HTML 404 to anyone signed in.
    (Method::GET, "/console/{*rest}", Action::ReadOwnAccount),
    (Method::GET, "/my/{*rest}", Action::ReadOwnAccount),
    (Method::GET, "/my", Action::ListClaims),
    (Method::GET, "/my/claims/{id}", Action::ReadClaim),
    (Method::GET, "/my/claims/{id}/letter", Action::ReadClaim),
    (Method::GET, "/my/claims/{id}/letter.pdf", Action::ReadClaim),
    (Method::POST, "/my/claims/{id}/responses", Action::FileClaim),
    (
        Method::POST,
        "/my/claims/{id}/notifications",
        Action::FileClaim,
    ),
    (Method::POST, "/my/claims/{id}/evidence", Action::FileClaim),
    (
        Method::GET,
        "/my/claims/{id}/evidence/{evidence_id}",
        Action::ReadClaim,
    ),
];

enum Lookup {
    Found(Action),
    /// The path exists with other methods: the router answers 405.
    OtherMethod,
    Unknown,
}

fn lookup(method: &Method, path: &str) -> Lookup {
    // The API documentation pages are static and public.
    if path == "/docs" || path.starts_with("/docs/") {
        return Lookup::Found(Action::ReadServiceInfo);
    }
    let mut path_known = false;
    for (m, p, action) in ROUTES {
        if *p == path {
            if m == method {
                return Lookup::Found(*action);
            }
            path_known = true;
        }
    }
    if path_known {
        Lookup::OtherMethod
    } else {
        Lookup::Unknown
    }
}

/// What the policy granted to this request; handlers take it as an
/// extractor.
#[derive(Clone, Debug)]
pub struct Authorized {
    pub principal: Principal,
    pub action: Action,
    pub permission: Permission,
    /// The role that granted the permission, recorded in the audit log.
    pub role: Option<Role>,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
}

impl Authorized {
    /// Who acts, for the use cases.
    pub fn actor(&self) -> app::Actor {
        app::Actor {
            principal: self.principal.clone(),
            permission: self.permission,
            role: self.role,
            request_id: self.request_id.clone(),
            idempotency_key: self.idempotency_key.clone(),
            standing: None,
        }
    }

    /// The audit context for a change made by this request.
    pub fn audit(&self, reason: Option<String>) -> AuditContext {
        self.actor().audit(reason)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("route reached without authorization"))
        })
    }
}

fn header_text(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub async fn authorize(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        return next.run(request).await;
    };
    let request_id = header_text(&request, "x-request-id");
    let action = match lookup(request.method(), &path) {
        Lookup::Found(action) => action,
        Lookup::OtherMethod => return next.run(request).await,
        Lookup::Unknown => {
            tracing::error!(
                request_id,
                path,
                "route has no authorization policy; refused"
            );
            return ApiError::forbidden("This route has no authorization policy.").into_response();
        }
    };
    if action.is_public() {
        if let Err(e) = anonymous_quota(&state, &request) {
            return e.into_response();
        }
        return next.run(request).await;
    }
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    let caller = match authenticate(&state, authorization).await {
        Ok(caller) => caller,
        Err(e) => {
            tracing::info!(
                request_id,
                path,
                status = e.status.as_u16(),
                "authentication refused: {}",
                e.detail
            );
            // Only a credential that was tried and failed counts: a request
            // without one is a client that has not signed in yet.
            if request.headers().contains_key(header::AUTHORIZATION) {
                return authentication_failed(&state, &request, e).into_response();
            }
            return e.into_response();
        }
    };
    if let Err(wait) = state.rate_limits.check(&caller.rate_key, false) {
        return ApiError::too_many_requests(wait).into_response();
    }
    let principal = caller.principal;
    let permission = principal.permission(action);
    if permission == Permission::Deny {
        tracing::warn!(
            request_id,
            account = %principal.account,
            ?action,
            path,
            "access denied by policy"
        );
        return ApiError::forbidden("Your role does not allow this action.").into_response();
    }
    let role = principal
        .roles
        .iter()
        .copied()
        .find(|r| kernel::permission(*r, action) == permission);
    let idempotency_key = header_text(&request, "idempotency-key");
    request.extensions_mut().insert(Authorized {
        principal,
        action,
        permission,
        role,
        request_id,
        idempotency_key,
    });
    let mut response = next.run(request).await;
    // What an authenticated caller reads may be personal data: no cache on
    // the way (a proxy, the browser's disk) may keep it.
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(axum::http::HeaderValue::from_static("no-store"));
    response
}

/// The client's address: the connection's peer, or what a trusted proxy
/// says it is (`trusted_proxies`, docs/operations.md).
pub(crate) fn client_ip(state: &AppState, request: &Request) -> Option<IpAddr> {
    client_ip_of(state, request.headers(), request.extensions())
}

fn client_ip_of(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    client_address(peer, &forwarded, &state.settings.trusted_proxies)
}

/// The client's address as an extractor, for handlers that count what a
/// client does (the sign-in form).
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip_of(state, &parts.headers, &parts.extensions)))
    }
}

/// Counts a failed sign-in against `client`: `Err` with the 429 to answer
/// once it has failed too often.
pub(crate) fn count_failure(state: &AppState, client: Option<IpAddr>) -> Result<(), ApiError> {
    match client.map(|ip| (ip, state.rate_limits.failed_authentication(ip))) {
        Some((ip, Err(wait))) => {
            tracing::warn!(client = %ip, "too many failed authentications; answered 429");
            Err(ApiError::too_many_requests(wait))
        }
        _ => Ok(()),
    }
}

/// Counts an anonymous request against its client address's quota.
pub(crate) fn anonymous_quota(state: &AppState, request: &Request) -> Result<(), ApiError> {
    let ip = client_ip(state, request).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    state
        .rate_limits
        .check(&format!("ip:{ip}"), true)
        .map_err(ApiError::too_many_requests)
}

/// A refused authentication, counted against the client's address: once it
/// has failed too often it is answered 429 until its quota refills, so
/// tokens cannot be guessed or tried at speed.
pub(crate) fn authentication_failed(
    state: &AppState,
    request: &Request,
    refusal: ApiError,
) -> ApiError {
    if refusal.status != axum::http::StatusCode::UNAUTHORIZED {
        return refusal;
    }
    match count_failure(state, client_ip(state, request)) {
        Ok(()) => refusal,
        Err(too_many) => too_many,
    }
}

async fn authenticate(
    state: &AppState,
    authorization: Option<axum::http::HeaderValue>,
) -> Result<Caller, ApiError> {
    let value = authorization.ok_or_else(|| {
        ApiError::unauthenticated("Send a bearer token in the Authorization header.")
    })?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::unauthenticated("The Authorization header is not readable."))?;
    let token = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthenticated("Use the Bearer scheme: `Authorization: Bearer <token>`.")
        })?;
    state
        .auth
        .authenticate(state.store.as_ref(), state.clock.as_ref(), token)
        .await
}
