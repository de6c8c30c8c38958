//! The state every handler shares. Handlers import this module; the router
//! imports the handlers; nothing here imports either, so there is no cycle.

use crate::auth::Authenticator;
use crate::config::Settings;
use crate::http::rate_limit::RateLimits;
use kernel::Clock;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use store::Store;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    /// Where reports and exports read: a replica when `DATABASE_READ_URL`
    /// is set (perhaps a little behind), otherwise `store` itself.
    pub reads: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    pub metrics: PrometheusHandle,
    pub rate_limits: RateLimits,
    pub auth: Authenticator,
    pub sealer: crate::crypto::Sealer,
    pub evidence: crate::evidence_store::EvidenceStorage,
    /// This process's batch-job worker.
    pub jobs: Arc<crate::jobs::JobControl>,
    /// This process's webhook delivery worker.
    pub webhooks: Arc<crate::webhooks::WebhookControl>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        reads: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: Settings,
        auth: Authenticator,
        sealer: crate::crypto::Sealer,
        evidence: crate::evidence_store::EvidenceStorage,
    ) -> Self {
        let rate_limits = RateLimits::new(
            settings.rate_limit_per_minute,
            settings.anonymous_rate_limit_per_minute,
            settings.auth_failure_limit_per_minute,
        );
        Self(Arc::new(Inner {
            store,
            reads,
            clock,
            metrics: crate::http::metrics::handle(),
            rate_limits,
            auth,
            sealer,
            evidence,
            settings,
            jobs: Arc::new(crate::jobs::JobControl::default()),
            webhooks: Arc::new(crate::webhooks::WebhookControl::new()),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
