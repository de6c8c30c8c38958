//! Prometheus metrics: request count and latency by route and status,
//! and the operator's gauges (backlogs, outboxes, the go-live gate) counted
//! in the database on each scrape.

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

use crate::error::ApiError;
use crate::state::AppState;
use secrecy::ExposeSecret as _;

pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Prometheus text format. With `metrics_token` set, only a scraper that
/// sends it as a bearer token is answered.
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain"),
        (status = 401, body = crate::error::ProblemBody)))]
pub async fn render(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(expected) = &state.settings.metrics_token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !crate::auth::same_secret(sent, expected.expose_secret()) {
            return Err(ApiError::unauthenticated(
                "Metrics need the scrape token: `Authorization: Bearer <metrics_token>`.",
            ));
        }
    }
    let mut text = state.metrics.render();
    // The process's own figures still answer when the database does not:
    // that it did not is itself the alert.
    match app::operations::snapshot(&state.app).await {
        Ok(snapshot) => {
            gauge(
                &mut text,
                "redress_operational_scrape_ok",
                "1 when the gauges below were read from the database.",
                &[(None, 1)],
            );
            write_snapshot(&mut text, &snapshot);
        }
        Err(e) => {
            tracing::warn!("metrics: the operational gauges could not be read: {e}");
            gauge(
                &mut text,
                "redress_operational_scrape_ok",
                "1 when the gauges below were read from the database.",
                &[(None, 0)],
            );
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; version=0.0.4"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    ))
}

/// One gauge family in the text exposition format: each sample with an
/// optional `(label, value)` pair.
fn gauge(out: &mut String, name: &str, help: &str, samples: &[(Option<(&str, &str)>, i64)]) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (label, value) in samples {
        match label {
            None => {
                let _ = writeln!(out, "{name} {value}");
            }
            Some((key, v)) => {
                let v = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = writeln!(out, "{name}{{{key}=\"{v}\"}} {value}");
            }
        }
    }
}

/// A gauge labelled by status, every known status present (0 when none),
/// so that an alert on one status never sees the series vanish.
fn by_status(
    out: &mut String,
    name: &str,
    help: &str,
    statuses: &[&str],
    counts: &std::collections::BTreeMap<String, i64>,
) {
    let mut samples: Vec<(Option<(&str, &str)>, i64)> = statuses
        .iter()
        .map(|s| (Some(("status", *s)), counts.get(*s).copied().unwrap_or(0)))
        .collect();
    // A status the list does not know yet is still shown.
    for (s, n) in counts {
        if !statuses.contains(&s.as_str()) {
            samples.push((Some(("status", s.as_str())), *n));
        }
    }
    gauge(out, name, help, &samples);
}

fn write_snapshot(out: &mut String, s: &app::operations::Snapshot) {
    let claim_statuses: Vec<&str> = register::ClaimStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    by_status(
        out,
        "redress_claims",
        "Claims by status.",
        &claim_statuses,
        &s.claims_by_status,
    );
    let case_statuses: Vec<&str> = commission::CaseStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    by_status(
        out,
        "redress_cases",
        "Commission cases by status.",
        &case_statuses,
        &s.counts.cases_by_status,
    );
    by_status(
        out,
        "redress_jobs",
        "Background jobs queued, running, and failed (all time).",
        &["queued", "running", "failed"],
        &s.counts.jobs_by_status,
    );
    by_status(
        out,
        "redress_webhook_deliveries",
        "Webhook deliveries waiting in the outbox (pending) and given up (failed).",
        &["pending", "failed"],
        &s.counts.webhook_deliveries_by_status,
    );
    gauge(
        out,
        "redress_webhook_deliveries_retrying",
        "Pending webhook deliveries that failed at least once.",
        &[(None, s.counts.webhook_deliveries_retrying)],
    );
    gauge(
        out,
        "redress_webhook_outbox_lag_seconds",
        "Age of the oldest pending webhook delivery; 0 when none waits.",
        &[(None, s.webhook_outbox_lag_seconds)],
    );
    by_status(
        out,
        "redress_notices",
        "Claimants' e-mail notices waiting to be sent (pending) and given up after the last retry (failed).",
        &["pending", "failed"],
        &s.counts.notices_by_status,
    );
    gauge(
        out,
        "redress_notices_retrying",
        "Pending e-mail notices whose delivery failed at least once.",
        &[(None, s.counts.notices_retrying)],
    );
    gauge(
        out,
        "redress_commission_may_act",
        "1 when the convention is in force and the go-live gate lets the Commission act.",
        &[(None, i64::from(s.gate.in_force))],
    );
    gauge(
        out,
        "redress_convention_counted_consents",
        "Consents to be bound counted toward entry into force today.",
        &[(None, i64::from(s.gate.counted_consents))],
    );
    gauge(
        out,
        "redress_convention_consents_threshold",
        "Consents the entry-into-force rule requires.",
        &[(None, i64::from(s.gate.threshold))],
    );
}
