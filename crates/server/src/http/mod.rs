//! The HTTP adapter: routes, layers and the OpenAPI description.
//!
//! A request passes, outermost first: request id, trace span, compression,
//! problem rendering, panic catching, timeout, routing, metrics; on a
//! matched route the authorization layer, then the handler. Handlers parse
//! the request, call a use case in `app`, and present its outcome.

/// A page of a list in the API: `items`, and `next_cursor` to pass as
/// `cursor` for the next page (absent on the last). Every collection the
/// API serves is one of these (docs/api.md, "Lists").
macro_rules! page_of {
    ($(#[$meta:meta])* $name:ident, $item:ty) => {
        page_of!($(#[$meta])* $name, $item, Vec<$item>);
    };
    ($(#[$meta:meta])* $name:ident, $item:ty, $schema:ty) => {
        $(#[$meta])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            #[schema(value_type = $schema)]
            pub items: Vec<$item>,
            /// Pass as `cursor` to read the next page; absent on the last page.
            pub next_cursor: Option<String>,
        }

        impl<T> From<kernel::Page<T>> for $name
        where
            $item: From<T>,
        {
            fn from(page: kernel::Page<T>) -> Self {
                Self {
                    items: page.items.into_iter().map(<$item>::from).collect(),
                    next_cursor: page.next_cursor,
                }
            }
        }
    };
}

pub mod accounts;
pub mod audit;
pub mod awards;
pub mod batches;
pub mod cases;
pub mod catalogue;
pub mod claims;
pub mod convention;
pub mod council;
pub mod evidence;
pub mod exports;
pub mod health;
pub mod idempotency;
pub mod imports;
pub mod letters;
pub mod metrics;
pub mod notices;
pub mod panels;
pub mod payment_rounds;
pub mod problem;
pub mod recommendations;
pub mod reports;
pub mod webhooks;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::response::IntoResponse;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Redress",
        version = env!("CARGO_PKG_VERSION"),
        description = "Register of damage, Claims Commission and ratification tracker.\n\n\
            Errors are RFC 9457 problem details (`application/problem+json`).",
        license(name = "EUPL-1.2")
    ),
    modifiers(&BearerAuth),
    // Recursive (a threshold rule's `below`), so not collected from its uses.
    components(schemas(crate::views::schema::RuleKind)),
    tags(
        (name = "service", description = "Health, readiness, metrics"),
        (name = "accounts", description = "Accounts, roles and tokens"),
        (name = "audit", description = "The audit log"),
        (name = "reports", description = "Aggregate figures on claims"),
        (name = "webhooks", description = "Webhook subscriptions and deliveries (Standard Webhooks)"),
        (name = "register", description = "The Register: categories, claims, review and recording"),
        (name = "convention", description = "Ratification tracker and the Commission's go-live gate"),
        (name = "commission", description = "Commission casework: cases, valuation rules, assessments, batches, jobs"),
        (name = "decisions", description = "Commission decisions: panels, recommendations, Council decisions, corrections, awards, payment rounds"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API routes with their OpenAPI description.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(metrics::render))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::read))
        .routes(routes!(accounts::suspend))
        .routes(routes!(accounts::reactivate))
        .routes(routes!(accounts::tokens, accounts::issue_token))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(audit::list))
        .routes(routes!(audit::head))
        .routes(routes!(audit::verify))
        .routes(routes!(reports::claims))
        .routes(routes!(reports::processing))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::read, webhooks::disable))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(catalogue::list))
        .routes(routes!(catalogue::put))
        .routes(routes!(catalogue::regions))
        .routes(routes!(claims::list, claims::create))
        .routes(routes!(claims::read, claims::edit))
        .routes(routes!(claims::submit))
        .routes(routes!(claims::withdraw))
        .routes(routes!(claims::respond))
        .routes(routes!(claims::start_review))
        .routes(routes!(claims::request_information))
        .routes(routes!(claims::recommend))
        .routes(routes!(claims::decide))
        .routes(routes!(claims::decide_many))
        .routes(routes!(claims::start_review_many))
        .routes(routes!(claims::history))
        .routes(routes!(claims::messages))
        .routes(routes!(claims::duplicates))
        .routes(routes!(claims::resolve_flag))
        .routes(routes!(
            notices::notifications,
            notices::switch_notifications
        ))
        .routes(routes!(evidence::list, evidence::upload))
        .routes(routes!(evidence::download))
        .routes(routes!(convention::overview))
        .routes(routes!(convention::participants))
        .routes(routes!(convention::timeline_list))
        .routes(routes!(convention::timeline_feed))
        .routes(routes!(convention::weights, convention::record_weight))
        .routes(routes!(convention::record_basis_total))
        .routes(routes!(convention::funding))
        .routes(routes!(convention::events))
        .routes(routes!(convention::commission_status))
        .routes(routes!(convention::record_action))
        .routes(routes!(convention::record_determination))
        .routes(routes!(convention::record_pledge))
        .routes(routes!(convention::record_contribution))
        .routes(routes!(convention::record_rate))
        .routes(routes!(cases::list))
        .routes(routes!(cases::read))
        .routes(routes!(cases::assign))
        .routes(routes!(cases::assign_many))
        .routes(routes!(cases::distribute))
        .routes(routes!(cases::assessments, cases::assess))
        .routes(routes!(cases::rules, cases::publish_rule))
        .routes(routes!(cases::rates, cases::record_rate))
        .routes(routes!(cases::import_rates))
        .routes(routes!(batches::list, batches::create))
        .routes(routes!(batches::read))
        .routes(routes!(batches::assess))
        .routes(routes!(batches::review))
        .routes(routes!(batches::clear_duplicate))
        .routes(routes!(batches::release))
        .routes(routes!(batches::jobs))
        .routes(routes!(batches::job))
        .routes(routes!(panels::panels, panels::form_panel))
        .routes(routes!(recommendations::recommend))
        .routes(routes!(recommendations::recommend_batch))
        .routes(routes!(recommendations::recommendations))
        .routes(routes!(recommendations::recommendation))
        .routes(routes!(recommendations::vote))
        .routes(routes!(recommendations::vote_many))
        .routes(routes!(council::recommendation_decision, council::decide))
        .routes(routes!(council::decide_many))
        .routes(routes!(council::decisions))
        .routes(routes!(council::decision))
        .routes(routes!(council::case_decisions))
        .routes(routes!(council::correct))
        .routes(routes!(council::claim_decisions))
        .routes(routes!(awards::claim_award))
        .routes(routes!(council::public_register))
        .routes(routes!(letters::decision_letter))
        .routes(routes!(letters::claim_letter))
        .routes(routes!(letters::verify_letter))
        .routes(routes!(awards::awards))
        .routes(routes!(awards::award))
        .routes(routes!(awards::record_payment))
        .routes(routes!(awards::set_payees))
        .routes(routes!(
            awards::mark_payee_unreachable,
            awards::unmark_payee_unreachable
        ))
        .routes(routes!(
            payment_rounds::rounds,
            payment_rounds::preview_round
        ))
        .routes(routes!(payment_rounds::round))
        .routes(routes!(payment_rounds::confirm_round))
        .routes(routes!(payment_rounds::transfers))
        .routes(routes!(payment_rounds::pain001))
        .routes(routes!(awards::report))
        .routes(routes!(imports::list, imports::upload))
        .routes(routes!(imports::read))
        .routes(routes!(imports::rejects))
        .routes(routes!(exports::claims))
        .routes(routes!(exports::awards))
}

/// The API routes and the finished OpenAPI description.
fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (api, mut spec) = api().split_for_parts();
    problem::ProblemResponses.modify(&mut spec);
    unique_operation_ids(&mut spec);
    (api, spec)
}

/// Operation ids are the handlers' names, which repeat across modules
/// (`list`, `read`, `create`). An id used more than once is qualified by
/// the path's fixed segments (`GET /v1/claims/{id}/evidence`, `list`:
/// `claims_evidence_list`), so that every id is unique, as OpenAPI
/// requires and client generators name functions by.
fn unique_operation_ids(spec: &mut utoipa::openapi::OpenApi) {
    use std::collections::HashMap;
    let mut uses: HashMap<String, usize> = HashMap::new();
    for item in spec.paths.paths.values() {
        for operation in operations(item) {
            if let Some(id) = &operation.operation_id {
                *uses.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in &mut spec.paths.paths {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty() && *s != "v1" && !s.starts_with('{'))
            .map(|s| s.replace(['-', '.'], "_"))
            .collect();
        for operation in operations_mut(item) {
            let Some(id) = operation.operation_id.as_mut() else {
                continue;
            };
            if uses.get(id.as_str()).copied().unwrap_or(0) < 2 {
                continue;
            }
            let mut qualified = segments.join("_");
            if segments.last() != Some(id) {
                qualified = format!("{qualified}_{id}");
            }
            *id = qualified;
        }
    }
}

fn operations(
    item: &utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = &utoipa::openapi::path::Operation> {
    [
        &item.get,
        &item.put,
        &item.post,
        &item.delete,
        &item.options,
        &item.head,
        &item.patch,
        &item.trace,
    ]
    .into_iter()
    .flatten()
}

fn operations_mut(
    item: &mut utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// The OpenAPI description, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    parts().1
}

/// The whole application.
pub fn router(state: &AppState) -> Router {
    let (api, spec) = parts();
    let request_id = HeaderName::from_static("x-request-id");
    // The docs UI is served from the binary (vendored assets, no CDN) and
    // also serves the description at /openapi.json.
    let docs = Router::from(SwaggerUi::new("/docs").url("/openapi.json", spec))
        .layer(axum::middleware::from_fn(docs_headers));
    let router = api
        .merge(docs)
        // Inside authorization (a later route_layer wraps the earlier ones):
        // keys are kept per authorized account.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotency,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::authz::authorize,
        ))
        // The web pages authorize by session cookie, under the same policy.
        .merge(crate::web::router(state))
        .fallback(|| async { ApiError::not_found().into_response() })
        .method_not_allowed_fallback(|| async {
            ApiError::for_status(axum::http::StatusCode::METHOD_NOT_ALLOWED).into_response()
        })
        // Inside the router, where the matched route is known.
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(state.settings.body_limit_bytes))
        .with_state(state.clone());

    router.layer(
        ServiceBuilder::new()
            .layer(axum::middleware::from_fn(drop_unsafe_request_id))
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = id)
            }))
            .layer(PropagateRequestIdLayer::new(request_id))
            .layer(CompressionLayer::new())
            .layer(axum::middleware::from_fn(problem::render))
            .layer(CatchPanicLayer::custom(problem::from_panic))
            .layer(TimeoutLayer::with_status_code(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                state.settings.request_timeout,
            )),
    )
}

/// Whether a client's `x-request-id` may be kept: a bounded token of
/// characters that are safe in logs, headers and problem bodies.
pub fn acceptable_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
}

/// Drops a client's `x-request-id` that is not [`acceptable_request_id`],
/// so that a fresh one is made: a request id is echoed into logs and
/// answers, where a forged one could split log lines or pass for another
/// request's.
async fn drop_unsafe_request_id(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let headers = request.headers_mut();
    let ids = headers.get_all("x-request-id").iter().count();
    let unsafe_id = headers
        .get("x-request-id")
        .is_some_and(|v| !acceptable_request_id(v.as_bytes()));
    if ids > 1 || unsafe_id {
        headers.remove("x-request-id");
    }
    next.run(request).await
}

/// The API documentation is a page with scripts: its own, from this
/// binary, and nothing else; it may not be framed.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self' data:; form-action 'none'; \
    frame-ancestors 'none'; base-uri 'none'";

async fn docs_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::acceptable_request_id;

    #[test]
    fn request_ids_are_bounded_safe_tokens() {
        assert!(acceptable_request_id(
            b"0190a6f4-7c1e-7d2a-9b1e-2f9e1c3a4b5c"
        ));
        assert!(acceptable_request_id(b"lb-17:abc.def_1"));
        for bad in [
            &b""[..],
            b"a b",
            b"abc\r\nx",
            b"<script>",
            b"x\"y",
            &[b'a'; 65],
        ] {
            assert!(!acceptable_request_id(bad), "{bad:?}");
        }
    }
}
