//! Webhook subscriptions (admins): create, list, disable, delivery log.
//!
//! The door checks the URL and where it points; the use cases in
//! `app::webhooks` do the rest. The signing secret is shown once, in the
//! answer to the creation; it is never returned again.

use crate::authz::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, PageParams, Path, Query};
use crate::state::AppState;
use crate::webhooks::target::{self, TargetError};
use app::webhooks::{Subscribed, SubscriptionInput};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use kernel::access::Clearance;
use serde::{Deserialize, Serialize};
use store::webhooks::{DeliveryRecord, Subscription, SubscriptionId};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.org/redress", "event_types": ["claim.submitted", "claim.recorded"], "description": "Case management system"}))]
pub struct CreateSubscription {
    /// Where events are POSTed: an `http` or `https` URL on a public
    /// address. Loopback, private, link-local and other non-public
    /// addresses, literal or resolved, are refused unless the operator
    /// allows them (`webhook_allow_private`).
    pub url: String,
    /// Event types to receive, e.g. `claim.submitted`.
    pub event_types: Vec<String>,
    pub description: Option<String>,
    /// Whether to receive events about sensitive claims (sexual violence,
    /// torture) too. Only someone with the sensitive clearance may ask for
    /// them; otherwise such events are not delivered to this subscription.
    #[serde(default)]
    pub include_sensitive: bool,
}

/// A subscription with its signing secret, shown only here (described as
/// `views::schema::CreatedSubscription`).
#[derive(Serialize)]
pub struct CreatedSubscription {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// `whsec_` + base64 of the HMAC key. Keep it: it is not shown again.
    pub secret: String,
}

/// The URL as the door accepts it: `http` or `https`, with a host.
fn parse_url(url: &str) -> Result<reqwest::Url, ApiError> {
    let url = reqwest::Url::parse(url.trim())
        .map_err(|_| ApiError::invalid_field("url", "invalid", "Not a URL."))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ApiError::invalid_field(
            "url",
            "scheme",
            "Only http and https URLs with a host are accepted.",
        ));
    }
    Ok(url)
}

/// Refuses a URL whose host is, or now resolves to, an address webhooks
/// may not be posted to. A name that does not resolve yet is accepted:
/// every delivery resolves and checks it again.
async fn check_target(state: &AppState, url: &reqwest::Url) -> Result<(), ApiError> {
    let resolver = state.webhooks.resolver();
    match target::resolve(
        url,
        &state.settings.webhook_allow_private,
        resolver.as_ref(),
    )
    .await
    {
        Ok(_) | Err(TargetError::Unresolved(_)) => Ok(()),
        Err(TargetError::Refused(refused)) => Err(ApiError::invalid_field(
            "url",
            "address_not_allowed",
            format!(
                "The URL's host is or resolves to {} ({}): webhooks are posted to public \
                 addresses only, unless the operator allows this one.",
                refused.address, refused.kind
            ),
        )),
        Err(TargetError::Unusable(why)) => Err(ApiError::invalid_field("url", "invalid", why)),
    }
}

page_of!(
    /// A page of webhook subscriptions.
    SubscriptionPage,
    Subscription,
    Vec<crate::views::schema::Subscription>
);

/// List subscriptions (without secrets), oldest first, cursor-paged.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = SubscriptionPage), (status = 403, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<SubscriptionPage>> {
    let page =
        app::webhooks::subscription_page(&state.app, &auth.actor(), params.request()?).await?;
    Ok(Json(page.into()))
}

/// Subscribes a URL to event types; answers with the secret, once.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = CreateSubscription,
    responses((status = 201, body = crate::views::schema::CreatedSubscription), (status = 422, body = crate::error::ProblemBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized,
    Json(req): Json<CreateSubscription>,
) -> ApiResult<impl IntoResponse> {
    let actor = auth.actor();
    if req.include_sensitive && !actor.principal.has_clearance(Clearance::Sensitive) {
        // Refused before the URL is resolved: the answer must not depend
        // on whether the address is reachable.
        return Err(ApiError::forbidden(
            "Only someone with the sensitive clearance may subscribe to events about sensitive claims.",
        ));
    }
    let url = parse_url(&req.url)?;
    let input = SubscriptionInput {
        url: url.to_string(),
        event_types: req.event_types,
        description: req.description,
        include_sensitive: req.include_sensitive,
    };
    check_target(&state, &url).await?;
    let Subscribed {
        subscription,
        secret,
    } = app::webhooks::subscribe(&state.app, &actor, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedSubscription {
            subscription,
            secret,
        }),
    ))
}

/// Read one subscription (without its secret).
#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = crate::views::schema::Subscription), (status = 404, body = crate::error::ProblemBody)))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<SubscriptionId>,
) -> ApiResult<Json<Subscription>> {
    Ok(Json(
        app::webhooks::subscription(&state.app, &auth.actor(), id).await?,
    ))
}

/// Disables a subscription: no new events, pending deliveries are not
/// attempted. Kept for its delivery log. Idempotent.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = crate::views::schema::Subscription), (status = 404, body = crate::error::ProblemBody)))]
pub async fn disable(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<SubscriptionId>,
) -> ApiResult<Json<Subscription>> {
    Ok(Json(
        app::webhooks::disable(&state.app, &auth.actor(), id).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryPage {
    #[schema(value_type = Vec<crate::views::schema::Delivery>)]
    pub items: Vec<DeliveryRecord>,
    pub next_cursor: Option<String>,
}

/// The delivery log: each event sent to this subscription, newest first,
/// with every attempt.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses((status = 200, body = DeliveryPage), (status = 404, body = crate::error::ProblemBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<SubscriptionId>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<DeliveryPage>> {
    let page = params.request()?;
    let page = app::webhooks::deliveries(&state.app, &auth.actor(), id, page).await?;
    Ok(Json(DeliveryPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
