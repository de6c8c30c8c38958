//! Reading the audit log and checking its hash chain (auditors only).

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, PageParams, Query};
use crate::state::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use store::audit::{ChainHead, ChainReport};
use store::{AuditEntry, AuditFilter};
use time::OffsetDateTime;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub actor: Option<uuid::Uuid>,
    pub action: Option<String>,
    /// The entry at this position in the hash chain.
    pub seq: Option<i64>,
    /// Entries written at or after this time (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// Entries written before this time (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<crate::views::schema::AuditEntry>)]
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// Audit entries, oldest first, with filters.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    // Compared in UTC, where 9999-12-31T23:59:59-23:59 has no date.
    let utc = |field: &str, t: Option<OffsetDateTime>| {
        t.map(|t| {
            t.checked_to_offset(time::UtcOffset::UTC).ok_or_else(|| {
                crate::error::ApiError::invalid_field(
                    field,
                    "out_of_range",
                    "A time between years 0 and 9999 in UTC.",
                )
            })
        })
        .transpose()
    };
    let filter = AuditFilter {
        target_type: q.target_type,
        target_id: q.target_id,
        actor: q.actor.map(Into::into),
        action: q.action,
        seq: q.seq,
        from: utc("from", q.from)?,
        to: utc("to", q.to)?,
    };
    let entries = app::audit::entries(&state.app, &auth.actor(), &filter, page).await?;
    Ok(Json(AuditPage {
        items: entries.items,
        next_cursor: entries.next_cursor,
    }))
}

/// The newest entry of the hash chain: publish it, and a later rewrite of
/// the log can be proven by checking the published hash is still at its seq.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditHead {
    /// Number of entries in the chain (the seq of the newest); 0 when empty.
    pub seq: i64,
    /// SHA-256 of the newest entry, lowercase hex (64 zeros when empty).
    pub hash: String,
    /// When the newest entry was written.
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
}

impl From<ChainHead> for AuditHead {
    fn from(head: ChainHead) -> Self {
        Self {
            seq: head.seq,
            hash: store::audit::hex(&head.hash),
            at: head.at,
        }
    }
}

/// Where the chain breaks first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BrokenLinkBody {
    /// The position in the chain.
    pub seq: i64,
    /// The entry found there, if any.
    pub entry_id: Option<uuid::Uuid>,
    /// `hash_mismatch`, `prev_hash_mismatch`, `seq_gap`, `unchained`,
    /// `unreadable` or `head_mismatch`.
    pub problem: String,
    /// What is wrong, in words.
    pub message: String,
}

/// The outcome of recomputing the whole chain.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditVerification {
    /// Every entry hashes correctly, links to the one before it, and the
    /// recorded head is the newest entry.
    pub intact: bool,
    /// Entries checked (when intact).
    pub entries: Option<u64>,
    /// The verified head (when intact).
    pub head: Option<AuditHead>,
    /// The first broken link (when not).
    pub broken: Option<BrokenLinkBody>,
}

impl From<ChainReport> for AuditVerification {
    fn from(report: ChainReport) -> Self {
        match report {
            ChainReport::Intact { entries, head } => Self {
                intact: true,
                entries: Some(entries),
                head: Some(head.into()),
                broken: None,
            },
            ChainReport::Broken { broken } => Self {
                intact: false,
                entries: None,
                head: None,
                broken: Some(BrokenLinkBody {
                    seq: broken.seq,
                    entry_id: broken.entry.map(|id| id.0),
                    problem: broken.problem.kind().to_owned(),
                    message: broken.to_string(),
                }),
            },
        }
    }
}

/// The current head of the audit chain.
#[utoipa::path(get, path = "/v1/audit/head", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = AuditHead), (status = 403, body = crate::error::ProblemBody)))]
pub async fn head(State(state): State<AppState>, _auth: Authorized) -> ApiResult<Json<AuditHead>> {
    Ok(Json(app::audit::head(&state.app).await?.into()))
}

/// Recomputes every hash of the audit chain and reports the first broken
/// link. Reads the whole log: on a large one, prefer `redress audit verify`,
/// which is not bound by the request timeout.
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = AuditVerification), (status = 403, body = crate::error::ProblemBody)))]
pub async fn verify(
    State(state): State<AppState>,
    _auth: Authorized,
) -> ApiResult<Json<AuditVerification>> {
    Ok(Json(app::audit::verify(&state.app).await?.into()))
}
