//! The staff console: the work queue, the claim page and its actions, and
//! the dashboard.
//!
//! Every action is a form that calls the use case in `app` the API calls,
//! as the actor the authorization layer would grant a bearer token: the
//! same validation, lifecycle rules, audit entries and problems. A refused action shows the claim again with the problem in
//! words; a done one redirects (303) back to the claim, so a reload never
//! repeats it.

use super::charts::{self, Bar};
use super::i18n::Lang;
use super::session::Viewer;
use super::tracker::money_text;
use super::{Chrome, PageResult, encode, html, when};
use crate::authz::Authorized;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;
use app::claims::{self as claims, BoardOutcome, FlagSeen, ListParams};
use askama::Template;
use axum::extract::Path;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse as _;
use kernel::{Action, Permission};
use register::{ClaimAction, ClaimId, ClaimStatus};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use std::str::FromStr as _;
use store::EvidenceId;

fn status_name(status: ClaimStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn may(viewer: &Viewer, action: Action) -> bool {
    viewer.principal.permission(action) != Permission::Deny
}

// ------------------------------------------------------------------ home

/// A link on the console's start page.
pub(crate) struct Link {
    pub(crate) href: &'static str,
    pub(crate) label: &'static str,
}

#[derive(Template)]
#[template(path = "console_home.html")]
struct HomePage {
    c: Chrome,
    name: String,
    roles: String,
    links: Vec<Link>,
    claimant: bool,
}

pub(crate) async fn home(lang: Lang, viewer: Viewer) -> PageResult {
    let p = &viewer.principal;
    let mut links = Vec::new();
    if may(&viewer, Action::ListClaims)
        && p.roles
            .iter()
            .any(|r| r.is_claims_staff() || *r == kernel::Role::Auditor)
    {
        links.push(Link {
            href: "/console/claims",
            label: lang.tr("nav.queue"),
        });
    }
    if may(&viewer, Action::ListCases) && !p.has_role(kernel::Role::Claimant) {
        links.push(Link {
            href: "/console/cases",
            label: lang.tr("nav.cases"),
        });
    }
    if may(&viewer, Action::ReadReports) {
        links.push(Link {
            href: "/console/dashboard",
            label: lang.tr("nav.dashboard"),
        });
    }
    links.push(Link {
        href: "/",
        label: lang.tr("nav.tracker"),
    });
    let page = HomePage {
        c: Chrome::signed_in(lang, "/console", &viewer),
        name: p.display_name.clone(),
        roles: p
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        links,
        claimant: p.has_role(kernel::Role::Claimant),
    };
    html(&page)
}

// ----------------------------------------------------------------- queue

pub(crate) struct QueueLine {
    pub(crate) id: String,
    pub(crate) reference: String,
    pub(crate) claimant: String,
    pub(crate) category: String,
    pub(crate) region: String,
    pub(crate) status: &'static str,
    pub(crate) claimed: String,
    pub(crate) submitted: String,
    pub(crate) flagged: bool,
    pub(crate) sensitive: bool,
    /// `{id}:{version}` when the viewer may take it up for review now.
    pub(crate) take_up: Option<String>,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    csrf: String,
    /// Some claim on the page can be taken up for review by the viewer.
    can_take_up: bool,
    taken_up: Option<u32>,
    refused: Option<u32>,
    lines: Vec<QueueLine>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    category: String,
    region: String,
    q: String,
    duplicate: bool,
    next: Option<String>,
    paged: bool,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Money totals of a claim (`[{amount, currency}]`) in words.
fn totals_text(totals: &Value) -> String {
    totals
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let amount = Decimal::from_str(t.get("amount")?.as_str()?).ok()?;
            Some(money_text(amount, t.get("currency")?.as_str()?))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

const STATUSES: [&str; 7] = [
    "draft",
    "submitted",
    "under_review",
    "information_requested",
    "recorded",
    "rejected",
    "withdrawn",
];

/// The queue's filters, as its form sends them (empty fields are ignored).
#[derive(Deserialize)]
pub(crate) struct QueueQuery {
    status: Option<String>,
    category: Option<String>,
    region: Option<String>,
    submitted_from: Option<String>,
    submitted_to: Option<String>,
    duplicate: Option<bool>,
    q: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
    /// After taking claims up in bulk: how many were, and were not.
    taken_up: Option<u32>,
    refused: Option<u32>,
}

pub(crate) async fn queue(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> PageResult {
    let Query(q) = query.map_err(|e| ApiError::malformed(e.body_text()))?;
    let taken_up = (q.taken_up, q.refused);
    let cursor = non_empty(q.cursor);
    let limit = q.limit.or(Some(50));
    let q = ListParams {
        status: non_empty(q.status),
        category: non_empty(q.category),
        region: non_empty(q.region),
        submitted_from: non_empty(q.submitted_from),
        submitted_to: non_empty(q.submitted_to),
        duplicate: q.duplicate.filter(|d| *d),
        q: non_empty(q.q),
    };
    let paged = cursor.is_some();
    let filters = [
        ("status", q.status.clone()),
        ("category", q.category.clone()),
        ("region", q.region.clone()),
        ("q", q.q.clone()),
        ("duplicate", q.duplicate.map(|_| "true".to_owned())),
    ];
    let duplicate = q.duplicate.unwrap_or(false);
    let filter = claims::filter(&q)?;
    let request = app::page(limit, cursor.as_deref())?;
    let page = claims::list(&state.app, &auth.actor(), &filter, request).await?;
    let next = page.next_cursor.map(|cursor| {
        use std::fmt::Write as _;
        let mut href = String::from("/console/claims?");
        for (k, v) in &filters {
            if let Some(v) = v {
                let _ = write!(href, "{k}={}&", encode(v));
            }
        }
        let _ = write!(href, "cursor={}", encode(&cursor));
        href
    });
    let may_review = may(&viewer, Action::ReviewClaim);
    let lines: Vec<QueueLine> = page
        .items
        .into_iter()
        .map(|c| QueueLine {
            take_up: (may_review && c.status == ClaimStatus::Submitted)
                .then(|| format!("{}:{}", c.id, c.version)),
            id: c.id.to_string(),
            reference: c.reference.unwrap_or_default(),
            claimant: c.claimant_name.unwrap_or_default(),
            category: c.category.unwrap_or_default(),
            region: c.region.unwrap_or_default(),
            status: lang.status(&status_name(c.status)),
            claimed: totals_text(&c.totals),
            submitted: c.submitted_at.map(when).unwrap_or_default(),
            flagged: c.duplicate_flagged,
            sensitive: c.sensitive,
        })
        .collect();
    let page = QueuePage {
        c: Chrome::signed_in(lang, "/console/claims", &viewer),
        csrf: viewer.csrf.clone(),
        can_take_up: lines.iter().any(|l| l.take_up.is_some()),
        taken_up: taken_up.0,
        refused: taken_up.1,
        lines,
        statuses: STATUSES
            .iter()
            .map(|s| (*s, lang.status(s), filters[0].1.as_deref() == Some(*s)))
            .collect(),
        category: filters[1].1.clone().unwrap_or_default(),
        region: filters[2].1.clone().unwrap_or_default(),
        q: filters[3].1.clone().unwrap_or_default(),
        duplicate,
        next,
        paged,
    };
    html(&page)
}

/// Takes every ticked claim of the queue up for review at once: the
/// API's `POST /v1/claims/reviews`, each on the version the page showed.
pub(crate) async fn take_up_many(
    State(state): State<AppState>,
    auth: Authorized,
    body: axum::body::Bytes,
) -> PageResult {
    let mut claims = Vec::new();
    for (key, value) in url::form_urlencoded::parse(&body) {
        if key == "claim" {
            let (id, version) = value
                .split_once(':')
                .and_then(|(c, v)| Some((c.parse().ok()?, v.parse().ok()?)))
                .ok_or_else(|| {
                    ApiError::invalid_field("claim", "invalid", "Not a claim of this queue.")
                })?;
            claims.push((ClaimId::from_uuid(id), Some(version)));
        }
    }
    let results = claims::start_review_many(&state.app, &auth.actor(), claims).await?;
    let taken = results.iter().filter(|(_, r)| r.is_ok()).count();
    Ok(axum::response::Redirect::to(&format!(
        "/console/claims?status=submitted&taken_up={taken}&refused={}",
        results.len() - taken
    ))
    .into_response())
}

// ----------------------------------------------------------- claim page

/// Label and value lines of a part of the claim.
pub(crate) type Lines = Vec<(String, String)>;

/// `tax_number` → `Tax number`.
fn label(key: &str) -> String {
    let words = key.replace(['_', '.'], " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Flattens JSON into label/value lines, nested keys joined.
fn flatten(prefix: &str, value: &Value, lang: Lang, out: &mut Lines) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix} · {k}")
        }
    };
    match value {
        Value::Null => {}
        Value::Object(map) => {
            // An amount with its currency reads as one value.
            if let (Some(Value::String(a)), Some(Value::String(c)), 2) =
                (map.get("amount"), map.get("currency"), map.len())
            {
                let text =
                    Decimal::from_str(a).map_or_else(|_| format!("{a} {c}"), |d| money_text(d, c));
                out.push((label(prefix), text));
                return;
            }
            for (k, v) in map {
                flatten(&key(&label(k)), v, lang, out);
            }
        }
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            if !items.is_empty() {
                let text = items.iter().map(scalar).collect::<Vec<_>>().join(", ");
                out.push((label(prefix), text));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&key(&(i + 1).to_string()), v, lang, out);
            }
        }
        Value::Bool(b) => out.push((
            label(prefix),
            lang.tr(if *b { "yes" } else { "no" }).to_owned(),
        )),
        other => out.push((label(prefix), scalar(other))),
    }
}

/// Label and value lines of any JSON value.
pub(crate) fn flatten_into(value: &Value, lang: Lang, out: &mut Lines) {
    flatten("", value, lang, out);
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn lines_of(value: Option<&Value>, lang: Lang) -> Lines {
    let mut out = Vec::new();
    if let Some(v) = value {
        flatten("", v, lang, &mut out);
    }
    out
}

pub(crate) struct LossLine {
    pub(crate) description: String,
    pub(crate) amount: String,
    pub(crate) basis: String,
}

pub(crate) struct EvidenceLine {
    pub(crate) href: String,
    pub(crate) name: String,
    pub(crate) content_type: String,
    pub(crate) size: String,
    pub sha256: String,
    pub(crate) received: String,
}

pub(crate) struct DuplicateLine {
    /// The other claim, `None` when it is one the viewer may not see.
    pub(crate) other: Option<String>,
    pub(crate) reason: String,
    pub(crate) matched: String,
    pub(crate) outcome: String,
}

pub(crate) struct MessageLine {
    pub(crate) request: bool,
    pub(crate) text: String,
    pub(crate) at: String,
}

pub(crate) struct HistoryLine {
    pub(crate) at: String,
    pub(crate) action: String,
    pub(crate) role: String,
    pub(crate) change: String,
    pub(crate) reason: String,
}

/// A problem as the page shows it.
pub(crate) struct ProblemBox {
    pub(crate) title: String,
    pub(crate) detail: String,
    pub(crate) fields: Vec<FieldError>,
}

impl From<&ApiError> for ProblemBox {
    fn from(e: &ApiError) -> Self {
        Self {
            title: e.title.to_owned(),
            detail: e.detail.clone(),
            fields: e.errors.clone(),
        }
    }
}

/// What the claim page and the claimant's page both show.
pub(crate) struct ClaimFacts {
    pub(crate) id: ClaimId,
    pub(crate) reference: String,
    pub(crate) status: ClaimStatus,
    pub(crate) status_text: &'static str,
    pub(crate) category: String,
    pub(crate) sensitive: bool,
    pub(crate) submitted: String,
    pub(crate) version: i64,
    pub(crate) content: Value,
    pub(crate) totals: String,
    pub(crate) losses: Vec<LossLine>,
    pub(crate) evidence: Vec<EvidenceLine>,
    pub(crate) messages: Vec<MessageLine>,
    pub(crate) recommendation: Lines,
    pub(crate) decision: Lines,
}

/// Loads a claim the caller may see (one read on record for a sensitive
/// claim, as the API notes it) and what the pages show of it.
pub(crate) async fn claim_facts(
    state: &AppState,
    auth: &Authorized,
    lang: Lang,
    id: ClaimId,
    evidence_base: &str,
) -> ApiResult<(ClaimFacts, store::claims::ClaimRecord)> {
    let record = claims::visible_noting(
        &state.app,
        &auth.actor(),
        id,
        serde_json::json!({ "sensitive": true, "page": evidence_base }),
    )
    .await?;
    let content = claims::open_content(&state.app, &record)?;
    let losses = content
        .get("losses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|l| LossLine {
            description: l.get("description").map(scalar).unwrap_or_default(),
            amount: l
                .get("amount")
                .map(|a| totals_text(&Value::Array(vec![a.clone()])))
                .unwrap_or_default(),
            basis: l.get("valuation_basis").map(scalar).unwrap_or_default(),
        })
        .collect();
    let evidence = state
        .store
        .claim_evidence(id)
        .await?
        .into_iter()
        .map(|e| EvidenceLine {
            href: format!("{evidence_base}/{id}/evidence/{}", e.id),
            name: e.file_name,
            content_type: e.content_type,
            size: super::grouped(i64::try_from(e.size).unwrap_or(i64::MAX)),
            sha256: e.sha256,
            received: when(e.uploaded_at),
        })
        .collect();
    let messages = state
        .store
        .claim_messages(id)
        .await?
        .into_iter()
        .map(|m| MessageLine {
            request: m.kind == store::claims::MessageKind::Request,
            text: m.text,
            at: when(m.at),
        })
        .collect();
    let facts = ClaimFacts {
        id,
        reference: record.reference.clone().unwrap_or_default(),
        status: record.status,
        status_text: lang.status(&status_name(record.status)),
        category: record.category.clone().unwrap_or_default(),
        sensitive: record.sensitive,
        submitted: record.submitted_at.map(when).unwrap_or_default(),
        version: record.version,
        totals: totals_text(&record.totals),
        losses,
        evidence,
        messages,
        recommendation: lines_of(record.recommendation.as_ref(), lang)
            .into_iter()
            .filter(|(k, _)| k != "By" && k != "At")
            .collect(),
        decision: lines_of(record.decision.as_ref(), lang)
            .into_iter()
            .filter(|(k, _)| k != "By")
            .collect(),
        content,
    };
    Ok((facts, record))
}

// The page shows or hides each action on its own.
#[allow(clippy::struct_excessive_bools)]
#[derive(Template)]
#[template(path = "claim.html")]
struct ClaimPage {
    c: Chrome,
    f: ClaimFacts,
    claimant: Lines,
    category_fields: Lines,
    incident: Lines,
    narrative: String,
    show_duplicates: bool,
    duplicates: Vec<DuplicateLine>,
    history: Vec<HistoryLine>,
    can_start_review: bool,
    can_request: bool,
    can_recommend: bool,
    can_decide: bool,
    done: Option<&'static str>,
    problem: Option<ProblemBox>,
}

impl ClaimPage {
    fn csrf(&self) -> &str {
        self.c.user.as_ref().map_or("", |u| u.csrf.as_str())
    }

    fn status_code(&self) -> String {
        status_name(self.f.status)
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Done {
    done: Option<String>,
}

/// The confirmation texts a redirect may ask for, and only those.
fn done_key(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "review_started" => Some("done.review_started"),
        "information_requested" => Some("done.information_requested"),
        "recommended" => Some("done.recommended"),
        "decided" => Some("done.decided"),
        "uploaded" => Some("done.uploaded"),
        "responded" => Some("done.responded"),
        _ => None,
    }
}

async fn claim_page(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    id: ClaimId,
    done: Option<&'static str>,
    problem: Option<&ApiError>,
) -> PageResult {
    let (f, _) = claim_facts(state, auth, lang, id, "/console/claims").await?;
    let show_duplicates = may(viewer, Action::ReadDuplicateFlags);
    let duplicates = if show_duplicates {
        claims::duplicate_flags(&state.app, &auth.actor(), id)
            .await?
            .into_iter()
            .map(|flag| match flag {
                FlagSeen::Open(d) => DuplicateLine {
                    other: Some(
                        if d.claim == id {
                            d.other_claim
                        } else {
                            d.claim
                        }
                        .to_string(),
                    ),
                    reason: d.reason,
                    matched: d.matched,
                    outcome: d
                        .outcome
                        .unwrap_or_else(|| lang.tr("claim.duplicates.open").to_owned()),
                },
                FlagSeen::Restricted { resolved } => DuplicateLine {
                    other: None,
                    reason: String::new(),
                    matched: String::new(),
                    outcome: lang
                        .tr(if resolved {
                            "claim.duplicates.resolved"
                        } else {
                            "claim.duplicates.open"
                        })
                        .to_owned(),
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let history = claims::history(&state.app, &auth.actor(), id)
        .await?
        .into_iter()
        .map(|h| HistoryLine {
            at: when(h.at),
            action: h.action,
            role: h.actor_role.unwrap_or_default(),
            change: match (h.from, h.to) {
                (Some(from), Some(to)) if from != to => {
                    format!("{} → {}", lang.status(&from), lang.status(&to))
                }
                _ => String::new(),
            },
            reason: h.reason.unwrap_or_default(),
        })
        .collect();
    let allowed = |action: ClaimAction| register::transition(f.status, action).is_ok();
    let review = may(viewer, Action::ReviewClaim);
    let page = ClaimPage {
        c: Chrome::signed_in(lang, &format!("/console/claims/{id}"), viewer),
        claimant: lines_of(f.content.get("claimant"), lang),
        category_fields: lines_of(f.content.get("category_fields"), lang),
        incident: {
            let mut lines = lines_of(f.content.get("incident"), lang);
            lines.extend(lines_of(f.content.get("location"), lang));
            lines
        },
        narrative: f.content.get("narrative").map(scalar).unwrap_or_default(),
        show_duplicates,
        duplicates,
        history,
        can_start_review: review && allowed(ClaimAction::StartReview),
        can_request: review && allowed(ClaimAction::RequestInformation),
        can_recommend: review && f.status == ClaimStatus::UnderReview,
        can_decide: may(viewer, Action::DecideClaim) && allowed(ClaimAction::Record),
        done,
        problem: problem.map(Into::into),
        f,
    };
    html(&page)
}

pub(crate) async fn claim(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Query(done): Query<Done>,
) -> PageResult {
    claim_page(
        &state,
        lang,
        &viewer,
        &auth,
        id,
        done_key(done.done.as_deref()),
        None,
    )
    .await
}

pub(crate) async fn evidence(
    State(state): State<AppState>,
    auth: Authorized,
    Path(ids): Path<(ClaimId, EvidenceId)>,
    headers: HeaderMap,
) -> PageResult {
    crate::transfer::download(&state, &auth.actor(), ids.0, ids.1, &headers).await
}

/// After an action: back to the claim on success; the claim again, with
/// the problem in words, on a refusal.
async fn after(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    id: ClaimId,
    outcome: ApiResult<()>,
    done: &str,
) -> PageResult {
    match super::settle(outcome, &format!("/console/claims/{id}?done={done}"))? {
        Ok(redirect) => Ok(redirect),
        Err(e) => super::with_status(
            claim_page(state, lang, viewer, auth, id, None, Some(&e)).await,
            e.status,
        ),
    }
}

pub(crate) fn form<T>(form: Result<Form<T>, FormRejection>) -> ApiResult<T> {
    form.map(|Form(v)| v)
        .map_err(|e| ApiError::malformed(e.body_text()))
}

pub(crate) async fn start_review(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<ClaimId>,
) -> PageResult {
    let outcome = claims::start_review(&state.app, &auth.actor(), id)
        .await
        .map(drop)
        .map_err(ApiError::from);
    after(&state, lang, &viewer, &auth, id, outcome, "review_started").await
}

#[derive(Deserialize)]
pub(crate) struct MessageForm {
    #[serde(default)]
    message: String,
}

pub(crate) async fn request_information(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    body: Result<Form<MessageForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let outcome = claims::request_information(&state.app, &auth.actor(), id, &body.message)
        .await
        .map(drop)
        .map_err(ApiError::from);
    after(
        &state,
        lang,
        &viewer,
        &auth,
        id,
        outcome,
        "information_requested",
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct OutcomeForm {
    outcome: Option<BoardOutcome>,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    version: Option<i64>,
}

fn outcome_of(f: &OutcomeForm) -> ApiResult<BoardOutcome> {
    f.outcome
        .ok_or_else(|| ApiError::invalid_field("outcome", "required", "Choose an outcome."))
}

pub(crate) async fn recommend(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    body: Result<Form<OutcomeForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let outcome = match outcome_of(&body) {
        Ok(outcome) => claims::recommend(&state.app, &auth.actor(), id, outcome, &body.reasons)
            .await
            .map(drop)
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    after(&state, lang, &viewer, &auth, id, outcome, "recommended").await
}

/// The Board's decision. The form carries the version the page showed, as
/// `If-Match` does in the API: a claim changed since is not decided.
pub(crate) async fn decide(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    body: Result<Form<OutcomeForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let outcome = match (outcome_of(&body), body.version) {
        (Ok(outcome), Some(version)) => claims::decide(
            &state.app,
            &auth.actor(),
            id,
            Some(version),
            outcome,
            &body.reasons,
        )
        .await
        .map(drop)
        .map_err(ApiError::from),
        (Ok(_), None) => Err(ApiError::precondition_required()),
        (Err(e), _) => Err(e),
    };
    after(&state, lang, &viewer, &auth, id, outcome, "decided").await
}

// ------------------------------------------------------------- dashboard

pub(crate) struct TimeLine {
    pub(crate) category: String,
    pub(crate) recording: String,
    pub(crate) decision: String,
}

pub(crate) struct BacklogLine {
    pub(crate) status: &'static str,
    pub(crate) count: String,
    pub(crate) oldest: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    total: String,
    by_status: String,
    by_month: String,
    by_category: String,
    times_chart: String,
    times: Vec<TimeLine>,
    backlog: Vec<BacklogLine>,
}

fn count_bars(
    map: &std::collections::BTreeMap<String, i64>,
    name: impl Fn(&str) -> String,
) -> Vec<Bar> {
    map.iter()
        .map(|(k, n)| Bar {
            label: name(k),
            value: f64::from(i32::try_from(*n).unwrap_or(i32::MAX)),
            text: super::grouped(*n),
        })
        .collect()
}

fn days(seconds: f64) -> String {
    format!("{:.1}", seconds / 86_400.0)
}

fn stats_text(s: Option<&store::reports::DurationStats>) -> String {
    s.map_or_else(String::new, |s| {
        format!(
            "{} / {} ({})",
            days(s.median_seconds),
            days(s.p90_seconds),
            s.count
        )
    })
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
) -> PageResult {
    let counts = app::reports::claim_counts(&state.app).await?;
    let report = app::reports::processing(&state.app).await?;
    let by_status = charts::bars(
        "by-status",
        lang.tr("dashboard.by_status"),
        &count_bars(&counts.by_status, |s| lang.status(s).to_owned()),
    );
    let by_month = charts::bars(
        "by-month",
        lang.tr("dashboard.by_month"),
        &count_bars(&counts.by_submission_month, str::to_owned),
    );
    let by_category = charts::bars(
        "by-category",
        lang.tr("dashboard.by_category"),
        &count_bars(&counts.by_category, |c| {
            if c == "none" {
                lang.tr("status.none").to_owned()
            } else {
                c.to_owned()
            }
        }),
    );
    let times_chart = charts::bars(
        "times",
        lang.tr("dashboard.times.chart"),
        &report
            .by_category
            .iter()
            .filter_map(|(c, t)| {
                let s = t.to_decision.as_ref()?;
                Some(Bar {
                    label: c.clone(),
                    value: s.median_seconds / 86_400.0,
                    text: days(s.median_seconds),
                })
            })
            .collect::<Vec<_>>(),
    );
    let times = report
        .by_category
        .iter()
        .map(|(c, t)| TimeLine {
            category: c.clone(),
            recording: stats_text(t.to_recording.as_ref()),
            decision: stats_text(t.to_decision.as_ref()),
        })
        .collect();
    let backlog = report
        .backlog
        .iter()
        .map(|(s, b)| BacklogLine {
            status: lang.status(s),
            count: super::grouped(b.count),
            oldest: b.oldest_submitted_at.map(when).unwrap_or_default(),
        })
        .collect();
    let page = DashboardPage {
        c: Chrome::signed_in(lang, "/console/dashboard", &viewer),
        total: super::grouped(counts.total),
        by_status,
        by_month,
        by_category,
        times_chart,
        times,
        backlog,
    };
    html(&page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claim_content_reads_as_lines() {
        let mut out = Vec::new();
        flatten(
            "",
            &json!({"natural_person": {"given_name": "Olena", "tax_number": "3184710691",
                "nationalities": ["UA"], "contact": {"email": null}}}),
            Lang::En,
            &mut out,
        );
        assert_eq!(
            out,
            [
                ("Natural person · Given name".to_owned(), "Olena".to_owned()),
                ("Natural person · Nationalities".to_owned(), "UA".to_owned()),
                (
                    "Natural person · Tax number".to_owned(),
                    "3184710691".to_owned()
                ),
            ]
        );
        assert_eq!(
            totals_text(&json!([{"amount": "85000.00", "currency": "EUR"}])),
            "85\u{202f}000.00 EUR"
        );
    }

    #[test]
    fn only_known_confirmations_are_shown() {
        assert_eq!(done_key(Some("decided")), Some("done.decided"));
        assert_eq!(done_key(Some("<script>")), None);
    }
}
