//! Liveness and readiness.

use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers.
    pub status: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

/// The process is alive. Touches nothing else.
#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The service can do its work: the database answers.
#[utoipa::path(get, path = "/ready", tag = "service",
    responses(
        (status = 200, body = Readiness),
        (status = 503, description = "The database is not answering", body = crate::error::ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn ready(State(state): State<AppState>) -> ApiResult<Json<Readiness>> {
    state
        .store
        .ping()
        .await
        .map_err(|e| match ApiError::from(e) {
            e if e.status.is_server_error() => {
                ApiError::unavailable(anyhow::anyhow!("readiness: {}", e.detail))
            }
            e => e,
        })?;
    Ok(Json(Readiness {
        status: "ready",
        database: state.store.backend().as_str(),
    }))
}
