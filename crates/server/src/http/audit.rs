//! Reading the audit log (auditors only).

use crate::error::ApiResult;
use crate::http::authz::Authorized;
use crate::http::json::{Json, PageParams, Query};
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use store::{AuditEntry, AuditFilter};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub actor: Option<uuid::Uuid>,
    pub action: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// Audit entries, oldest first, with filters.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    _auth: Authorized,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    let filter = AuditFilter {
        target_type: q.target_type,
        target_id: q.target_id,
        actor: q.actor.map(Into::into),
        action: q.action,
    };
    let entries = state.store.audit_entries(&filter, page).await?;
    Ok(Json(AuditPage {
        items: entries.items,
        next_cursor: entries.next_cursor,
    }))
}
