//! Reading the audit log and checking its hash chain (auditors only).

use crate::error::ApiResult;
use crate::http::authz::Authorized;
use crate::http::json::{Json, PageParams, Query};
use crate::state::AppState;
use app::need_to_know::NeedToKnow;
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
    let need = NeedToKnow::of(state.store.as_ref(), &auth.principal).await?;
    // Asking for a sensitive record's entries by its id answers as if it
    // had none: redacting them would still confirm that it exists.
    if let Some(id) = filter.target_id.as_deref()
        && !need
            .may_read(state.store.as_ref(), &serde_json::json!(id))
            .await?
    {
        return Ok(Json(AuditPage {
            items: Vec::new(),
            next_cursor: None,
        }));
    }
    let entries = state.store.audit_entries(&filter, page).await?;
    Ok(Json(AuditPage {
        items: need
            .redact_audit(state.store.as_ref(), entries.items)
            .await?,
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
    Ok(Json(state.store.chain_head().await?.into()))
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
    Ok(Json(state.store.verify_chain().await?.into()))
}

/// `redress audit verify` and `redress audit head`.
pub async fn run_cli(
    store: &dyn store::Store,
    cmd: crate::cli::AuditCommand,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("redress: {e}");
        ExitCode::from(2)
    };
    match cmd {
        crate::cli::AuditCommand::Head => match store.chain_head().await {
            Ok(head) => {
                let at = head
                    .at
                    .map_or_else(|| "-".to_owned(), store::audit::canonical_time);
                println!("{}:{}\t{at}", head.seq, store::audit::hex(&head.hash));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        crate::cli::AuditCommand::Verify { published } => {
            let mut checkpoints = Vec::new();
            for p in &published {
                let parsed = p.split_once(':').and_then(|(seq, hash)| {
                    Some((seq.parse::<i64>().ok()?, store::audit::parse_hex(hash)?))
                });
                match parsed {
                    Some(c) => checkpoints.push(c),
                    None => {
                        return fail(&format!("--published {p}: expected SEQ:64-hex-digit-hash"));
                    }
                }
            }
            let started = std::time::Instant::now();
            let report = match store.verify_chain().await {
                Ok(r) => r,
                Err(e) => return fail(&e),
            };
            let elapsed = started.elapsed().as_secs_f64();
            let (entries, head) = match report {
                ChainReport::Intact { entries, head } => (entries, head),
                ChainReport::Broken { broken } => {
                    println!("audit chain BROKEN at {broken}");
                    return ExitCode::FAILURE;
                }
            };
            for (seq, hash) in checkpoints {
                let filter = AuditFilter {
                    seq: Some(seq),
                    ..AuditFilter::default()
                };
                let found = match store
                    .audit_entries(&filter, kernel::PageRequest::new(Some(1), None))
                    .await
                {
                    Ok(page) => page.items.into_iter().next(),
                    Err(e) => return fail(&e),
                };
                if found.as_ref().map(|e| e.hash) != Some(hash) {
                    println!(
                        "audit chain BROKEN at seq {seq}: the published hash {} is no longer in the chain (found {})",
                        store::audit::hex(&hash),
                        found.map_or_else(|| "no entry".to_owned(), |e| store::audit::hex(&e.hash))
                    );
                    return ExitCode::FAILURE;
                }
            }
            #[allow(clippy::cast_precision_loss)]
            let rate = entries as f64 / elapsed.max(1e-9);
            println!(
                "audit chain intact: {entries} entries, head {}:{} ({elapsed:.2}s, {rate:.0} entries/s)",
                head.seq,
                store::audit::hex(&head.hash)
            );
            ExitCode::SUCCESS
        }
    }
}
