//! Webhook delivery over HTTP: the worker that leases due deliveries
//! (`app::webhooks`), POSTs each to its subscriber with `webhook-id`,
//! `webhook-timestamp` and `webhook-signature` headers (Standard Webhooks),
//! and hands the outcome back to be recorded. A failure (network error,
//! timeout, non-2xx) is retried by the application's backoff.
//!
//! Before each post the subscriber's host is resolved and every address
//! checked ([`target`]): a refused address is recorded as a failed attempt
//! without connecting, and the post connects only to the checked
//! addresses.

pub mod target;

use app::webhooks::Attempt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};
use store::StoreError;
use store::webhooks::DueDelivery;
use tokio::sync::Notify;

/// Timeout of one post.
pub const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// Timeout of connecting, within [`POST_TIMEOUT`].
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often an idle worker looks for due deliveries.
const POLL: Duration = Duration::from_millis(500);

/// Wakes the delivery worker (events were written), and resolves
/// subscribers' host names.
pub struct WebhookControl {
    wake: Notify,
    /// This process's worker name.
    pub worker: String,
    resolver: RwLock<Arc<dyn target::Resolver>>,
    /// Non-public addresses the operator allows (`webhook_allow_private`).
    pub allow_private: target::AllowList,
}

impl std::fmt::Debug for WebhookControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookControl")
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

impl WebhookControl {
    pub fn new(allow_private: target::AllowList) -> Self {
        Self {
            wake: Notify::new(),
            worker: format!("webhooks-{}", uuid::Uuid::now_v7()),
            resolver: RwLock::new(Arc::new(target::SystemResolver)),
            allow_private,
        }
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// How subscribers' host names are resolved.
    pub fn resolver(&self) -> Arc<dyn target::Resolver> {
        Arc::clone(&self.resolver.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the system resolver (tests use it to make a name change its
    /// answer between a subscription and a delivery).
    pub fn set_resolver(&self, resolver: Arc<dyn target::Resolver>) {
        *self
            .resolver
            .write()
            .unwrap_or_else(PoisonError::into_inner) = resolver;
    }
}

/// A client for one post to `url`: it connects only to the addresses of
/// the host that were resolved and checked here, follows no redirect and
/// uses no proxy (a proxy would resolve the name itself). One per post, as
/// the addresses are checked on every delivery.
async fn client_for(control: &WebhookControl, url: &str) -> Result<reqwest::Client, String> {
    let url = reqwest::Url::parse(url).map_err(|e| format!("the URL is not valid: {e}"))?;
    let resolver = control.resolver();
    let target = target::resolve(&url, &control.allow_private, resolver.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    let mut client = reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if let Some(name) = &target.name {
        client = client.resolve_to_addrs(name, &target.addresses);
    }
    client
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

/// Starts this process's delivery worker.
pub fn spawn_worker(app: app::App, control: Arc<WebhookControl>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            loop {
                match run_once(&app, &control).await {
                    Ok(n) if n > 0 => {}
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!("webhook worker: {e}");
                        break;
                    }
                }
            }
            tokio::select! {
                () = control.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

/// Leases due deliveries as `control`'s worker and posts them; returns
/// how many were attempted.
pub async fn run_once(app: &app::App, control: &WebhookControl) -> Result<usize, StoreError> {
    let worker = control.worker.as_str();
    let due = app::webhooks::lease(app, worker).await?;
    let n = due.len();
    let posts = due.into_iter().map(|d| async move {
        let attempt = post(app, control, &d).await;
        app::webhooks::record_attempt(app, worker, &d, attempt).await
    });
    for r in futures_util::future::join_all(posts).await {
        r?;
    }
    Ok(n)
}

async fn post(app: &app::App, control: &WebhookControl, d: &DueDelivery) -> Attempt {
    let started = Instant::now();
    let elapsed = || i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let failed = |error: String, status_code: Option<u16>| Attempt {
        status_code,
        error: Some(error),
        duration_ms: elapsed(),
        delivered: false,
    };
    // A refused address fails here, before any connection: what is
    // recorded cannot tell an open port from a closed one.
    let client = match client_for(control, &d.url).await {
        Ok(client) => client,
        Err(e) => return failed(e, None),
    };
    // Signed after the name was resolved, so the timestamp is the post's.
    let id = format!("msg_{}", d.event.id.simple());
    let timestamp = app.clock.now().unix_timestamp();
    let body = d.event.payload.to_string();
    let signature = match app::webhooks::sign(&d.secret, &id, timestamp, body.as_bytes()) {
        Ok(s) => s,
        Err(e) => return failed(e, None),
    };
    let response = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match response {
        Ok(r) if r.status().is_success() => Attempt {
            status_code: Some(r.status().as_u16()),
            error: None,
            duration_ms: elapsed(),
            delivered: true,
        },
        Ok(r) => failed(
            format!("the receiver answered {}", r.status()),
            Some(r.status().as_u16()),
        ),
        Err(e) => failed(format!("{e}"), None),
    }
}
