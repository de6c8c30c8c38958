//! Panels of Commissioners through HTTP: formed by the Council for
//! categories or released batches.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, PageParams, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commission::{BatchId, PanelId};
use kernel::id::AccountId;
use serde::{Deserialize, Serialize};
use store::decisions::PanelRecord;
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct PanelView {
    #[schema(value_type = String, format = Uuid)]
    pub id: PanelId,
    pub name: String,
    #[schema(value_type = Vec<String>)]
    pub members: Vec<AccountId>,
    pub categories: Vec<String>,
    #[schema(value_type = Vec<String>)]
    pub batches: Vec<BatchId>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<PanelRecord> for PanelView {
    fn from(p: PanelRecord) -> Self {
        Self {
            id: p.panel.id,
            name: p.panel.name,
            members: p.panel.members,
            categories: p.panel.categories,
            batches: p.batches,
            created_at: p.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Panel A3 (residential property)", "members": ["01a24b20-5b67-757f-9050-b4742f615871", "01a24b20-5b68-7693-b452-d9f72f4ede13", "01a24b20-6c01-7a10-8d3e-0c2b1f9e4a77"], "categories": ["A3.1"]}))]
pub struct NewPanel {
    pub name: String,
    /// Commissioner accounts.
    #[schema(value_type = Vec<String>)]
    pub members: Vec<AccountId>,
    /// Category codes the panel handles.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Batches assigned to the panel (their categories are added).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub batches: Vec<BatchId>,
}

page_of!(
    /// A page of panels.
    PanelPage,
    PanelView
);

/// List panels, oldest first, cursor-paged.
#[utoipa::path(get, path = "/v1/panels", tag = "decisions", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = PanelPage)))]
pub async fn panels(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PanelPage>> {
    let list = app::decisions::panels(&state.app, params.request()?).await?;
    Ok(Json(list.into()))
}

/// The Council forms a panel of Commissioners for categories or batches.
#[utoipa::path(post, path = "/v1/panels", tag = "decisions", security(("bearer" = [])),
    request_body = NewPanel, responses((status = 201, body = PanelView),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn form_panel(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<NewPanel>,
) -> ApiResult<impl IntoResponse> {
    let new = app::decisions::NewPanel {
        name: body.name,
        members: body.members,
        categories: body.categories,
        batches: body.batches,
    };
    let record = app::decisions::form_panel(&state.app, &auth.actor(), new).await?;
    Ok((StatusCode::CREATED, Json(PanelView::from(record))))
}
