//! The state the HTTP door shares: the application (use cases and what
//! they work with) and what only the door needs (settings, metrics, rate
//! limits, authentication, the background workers' controls).

use crate::auth::Authenticator;
use crate::config::Settings;
use crate::rate_limit::RateLimits;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    /// The use cases' context: store, read store, clock, configuration,
    /// sealer and evidence storage.
    pub app: app::App,
    pub settings: Settings,
    pub metrics: PrometheusHandle,
    pub rate_limits: RateLimits,
    pub auth: Authenticator,
    /// This process's batch-job worker.
    pub jobs: Arc<crate::jobs::JobControl>,
    /// This process's webhook delivery worker.
    pub webhooks: Arc<crate::webhooks::WebhookControl>,
}

impl AppState {
    pub fn new(app: app::App, settings: Settings, auth: Authenticator) -> Self {
        let rate_limits = RateLimits::new(
            settings.rate_limit_per_minute,
            settings.anonymous_rate_limit_per_minute,
            settings.auth_failure_limit_per_minute,
        );
        let webhooks = Arc::new(crate::webhooks::WebhookControl::new(
            settings.webhook_allow_private.clone(),
        ));
        Self(Arc::new(Inner {
            app,
            metrics: crate::telemetry::handle(),
            rate_limits,
            auth,
            settings,
            jobs: Arc::new(crate::jobs::JobControl::default()),
            webhooks,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

// The use cases' context is reached through the state (`state.store`,
// `state.clock`) as well as by name (`state.app`).
impl std::ops::Deref for Inner {
    type Target = app::App;
    fn deref(&self) -> &app::App {
        &self.app
    }
}
