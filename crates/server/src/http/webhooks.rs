//! Webhook subscriptions (admins): create, list, disable, delivery log.
//!
//! The signing secret is generated here and shown once, in the answer to
//! the creation; it is never returned again.

use crate::error::{ApiError, ApiResult};
use crate::http::authz::Authorized;
use crate::http::json::{Json, PageParams, Path, Query};
use crate::state::AppState;
use crate::webhooks::target::{self, TargetError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use store::webhooks::{DeliveryRecord, EVENT_TYPES, NewSubscription, Subscription, SubscriptionId};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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

/// A subscription with its signing secret, shown only here.
#[derive(Serialize, ToSchema)]
pub struct CreatedSubscription {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub subscription: Subscription,
    /// `whsec_` + base64 of the HMAC key. Keep it: it is not shown again.
    pub secret: String,
}

fn validate(req: CreateSubscription, cleared: bool) -> Result<NewSubscription, ApiError> {
    if req.include_sensitive && !cleared {
        return Err(ApiError::forbidden(
            "Only someone with the sensitive clearance may subscribe to events about sensitive claims.",
        ));
    }
    let url = reqwest::Url::parse(req.url.trim())
        .map_err(|_| ApiError::invalid_field("url", "invalid", "Not a URL."))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ApiError::invalid_field(
            "url",
            "scheme",
            "Only http and https URLs with a host are accepted.",
        ));
    }
    if req.event_types.is_empty() {
        return Err(ApiError::invalid_field(
            "event_types",
            "required",
            "Name at least one event type.",
        ));
    }
    for (i, t) in req.event_types.iter().enumerate() {
        if !EVENT_TYPES.contains(&t.as_str()) {
            return Err(ApiError::invalid_field(
                &format!("event_types[{i}]"),
                "unknown",
                format!("Unknown event type; known: {}.", EVENT_TYPES.join(", ")),
            ));
        }
    }
    let mut event_types = req.event_types;
    event_types.sort();
    event_types.dedup();
    Ok(NewSubscription {
        url: url.to_string(),
        secret: crate::webhooks::new_secret(),
        event_types,
        description: req.description.filter(|d| !d.trim().is_empty()),
        include_sensitive: req.include_sensitive,
    })
}

/// Refuses a URL whose host is, or now resolves to, an address webhooks
/// may not be posted to. A name that does not resolve yet is accepted:
/// every delivery resolves and checks it again.
async fn check_target(state: &AppState, url: &str) -> Result<(), ApiError> {
    let url = reqwest::Url::parse(url)
        .map_err(|_| ApiError::invalid_field("url", "invalid", "Not a URL."))?;
    let resolver = state.webhooks.resolver();
    match target::resolve(
        &url,
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

/// Subscriptions, oldest first (without secrets).
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 403, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized,
) -> ApiResult<Json<Vec<Subscription>>> {
    let cleared = cleared(&auth);
    Ok(Json(
        state
            .store
            .subscriptions()
            .await?
            .into_iter()
            .filter(|s| cleared || !s.include_sensitive)
            .collect(),
    ))
}

fn cleared(auth: &Authorized) -> bool {
    auth.principal
        .has_clearance(kernel::access::Clearance::Sensitive)
}

/// A subscription the caller may learn of: one that receives events about
/// sensitive claims is "not found" to admins without the clearance.
async fn known_subscription(
    state: &AppState,
    auth: &Authorized,
    id: SubscriptionId,
) -> ApiResult<Subscription> {
    let subscription = state.store.subscription(id).await?;
    if subscription.include_sensitive && !cleared(auth) {
        return Err(ApiError::not_found());
    }
    Ok(subscription)
}

/// Subscribes a URL to event types; answers with the secret, once.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = CreateSubscription,
    responses((status = 201, body = CreatedSubscription), (status = 422, body = crate::error::ProblemBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized,
    Json(req): Json<CreateSubscription>,
) -> ApiResult<impl IntoResponse> {
    let new = validate(req, cleared(&auth))?;
    check_target(&state, &new.url).await?;
    let secret = new.secret.clone();
    let subscription = state
        .store
        .create_subscription(&auth.audit(None), new)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedSubscription {
            subscription,
            secret,
        }),
    ))
}

#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ProblemBody)))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<SubscriptionId>,
) -> ApiResult<Json<Subscription>> {
    Ok(Json(known_subscription(&state, &auth, id).await?))
}

/// Disables a subscription: no new events, pending deliveries are not
/// attempted. Kept for its delivery log. Idempotent.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ProblemBody)))]
pub async fn disable(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<SubscriptionId>,
) -> ApiResult<Json<Subscription>> {
    known_subscription(&state, &auth, id).await?;
    Ok(Json(
        state
            .store
            .disable_subscription(&auth.audit(None), id)
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryPage {
    #[schema(value_type = Vec<Object>)]
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
    known_subscription(&state, &auth, id).await?;
    let page = state.store.deliveries(id, page).await?;
    Ok(Json(DeliveryPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
