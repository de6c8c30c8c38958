//! The claimant's pages: their claims, where each stands and what to do
//! next, requests for information to answer (with documents), receipts of
//! what they sent, and decisions.
//!
//! A claimant sees only claims they filed: the policy grants them `own`,
//! and these pages also refuse anyone else's claim to staff, so `/my` is
//! always the signed-in person's own.

use super::console::{ClaimFacts, Lines, ProblemBox, claim_facts};
use super::i18n::Lang;
use super::session::Viewer;
use super::{Chrome, PageResult, html, when};
use crate::authz::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::Path;
use crate::state::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use kernel::PageRequest;
use register::{ClaimId, ClaimStatus};
use serde::Deserialize;
use store::EvidenceId;
use store::claims::{ClaimFilter, Visibility};

pub(crate) struct MyLine {
    pub(crate) id: String,
    pub(crate) reference: String,
    pub(crate) category: String,
    pub(crate) status: &'static str,
    pub(crate) action_needed: bool,
    pub(crate) submitted: String,
}

#[derive(Template)]
#[template(path = "my_claims.html")]
struct MyClaims {
    c: Chrome,
    lines: Vec<MyLine>,
}

fn status_name(status: ClaimStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) async fn claims(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
) -> PageResult {
    // Always the signed-in person's own claims, whatever else their roles allow.
    let mut lines = Vec::new();
    let mut page = PageRequest::new(Some(PageRequest::MAX_LIMIT), None);
    loop {
        let batch = state
            .store
            .claims(
                Visibility::FiledBy(viewer.principal.account),
                &ClaimFilter::default(),
                page,
            )
            .await?;
        lines.extend(batch.items.into_iter().map(|c| MyLine {
            id: c.id.to_string(),
            reference: c.reference.unwrap_or_default(),
            category: c.category.unwrap_or_default(),
            status: lang.status(&status_name(c.status)),
            action_needed: c.status == ClaimStatus::InformationRequested,
            submitted: c.submitted_at.map(when).unwrap_or_default(),
        }));
        match batch
            .next_cursor
            .as_deref()
            .and_then(kernel::Cursor::decode)
        {
            Some(c) => page = PageRequest::new(Some(PageRequest::MAX_LIMIT), Some(c)),
            None => break,
        }
    }
    html(&MyClaims {
        c: Chrome::signed_in(lang, "/my", &viewer),
        lines,
    })
}

/// One step of the claim's way, as the timeline shows it.
pub(crate) struct Step {
    pub(crate) label: &'static str,
    /// `done`, `current` or `todo`.
    pub(crate) state: &'static str,
}

fn steps(lang: Lang, status: ClaimStatus) -> Vec<Step> {
    let states: [&'static str; 3] = match status {
        ClaimStatus::Draft => ["current", "todo", "todo"],
        ClaimStatus::Submitted | ClaimStatus::UnderReview | ClaimStatus::InformationRequested => {
            ["done", "current", "todo"]
        }
        ClaimStatus::Withdrawn => ["done", "todo", "todo"],
        _ => ["done", "done", "current"],
    };
    ["my.step.filed", "my.step.review", "my.step.decided"]
        .into_iter()
        .zip(states)
        .map(|(key, state)| Step {
            label: lang.tr(key),
            state,
        })
        .collect()
}

/// A change of status, dated.
pub(crate) struct Moment {
    pub(crate) at: String,
    pub(crate) status: &'static str,
}

pub(crate) struct CommissionDecision {
    pub(crate) number: String,
    pub(crate) date: String,
    pub(crate) lines: Lines,
    pub(crate) superseded: bool,
}

/// One payment on the claimant's award.
pub(crate) struct PaymentLine {
    pub(crate) paid_on: String,
    pub(crate) amount: String,
    pub(crate) reference: String,
}

/// The award on the claim and what has been paid of it.
pub(crate) struct AwardBox {
    pub(crate) amount: String,
    pub(crate) status_code: &'static str,
    pub(crate) status: &'static str,
    pub(crate) paid: String,
    pub(crate) outstanding: String,
    pub(crate) payments: Vec<PaymentLine>,
}

fn money_of(m: &kernel::Money) -> String {
    super::tracker::money_text(m.amount(), m.currency().code())
}

fn award_box(lang: Lang, record: &store::decisions::AwardRecord) -> AwardBox {
    let award = &record.award;
    let status_code = match award.status() {
        commission::AwardStatus::Awarded => "awarded",
        commission::AwardStatus::Payable => "payable",
        commission::AwardStatus::PartiallyPaid => "partially_paid",
        commission::AwardStatus::Paid => "paid",
        commission::AwardStatus::PayeeUnreachable => "payee_unreachable",
    };
    AwardBox {
        amount: money_of(&award.amount),
        status_code,
        status: lang.tr(&format!("award.status.{status_code}")),
        paid: award.paid().map(|m| money_of(&m)).unwrap_or_default(),
        outstanding: award
            .outstanding()
            .map(|m| money_of(&m))
            .unwrap_or_default(),
        payments: award
            .payments
            .iter()
            .map(|p| PaymentLine {
                paid_on: p.paid_on.to_string(),
                amount: money_of(&p.amount),
                reference: p.reference.clone(),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "my_claim.html")]
struct MyClaim {
    c: Chrome,
    f: ClaimFacts,
    steps: Vec<Step>,
    moments: Vec<Moment>,
    /// Where the claim stands (`app::progress::Stage`), for the page's
    /// "what happens next".
    stage: &'static str,
    next: &'static str,
    /// E-mail notices about this claim are on.
    notices: bool,
    answering: bool,
    csrf: String,
    commission: Vec<CommissionDecision>,
    award: Option<AwardBox>,
    done: Option<&'static str>,
    problem: Option<ProblemBox>,
}

impl MyClaim {
    fn status_code(&self) -> String {
        status_name(self.f.status)
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Done {
    done: Option<String>,
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
    let (f, record) = claim_facts(state, auth, lang, id, "/my/claims").await?;
    if record.filed_by != viewer.principal.account {
        return Err(ApiError::not_found());
    }
    let moments = app::claims::history(&state.app, &auth.actor(), id)
        .await?
        .into_iter()
        .filter_map(|h| match (h.from, h.to) {
            (from, Some(to)) if from.as_deref() != Some(to.as_str()) => Some(Moment {
                at: when(h.at),
                status: lang.status(&to),
            }),
            _ => None,
        })
        .collect();
    let decisions = app::decisions::claim_decisions(&state.app, &auth.actor(), id).await?;
    let commission = decisions
        .into_iter()
        .map(|d| {
            let mut lines = Vec::new();
            if let Ok(v) = serde_json::to_value(&d.decision.outcome) {
                super::console::flatten_into(&v, lang, &mut lines);
            }
            CommissionDecision {
                number: d.decision.number.map(|n| n.to_string()).unwrap_or_default(),
                date: d
                    .decision
                    .decided_on
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
                lines,
                superseded: d.superseded_by.is_some(),
            }
        })
        .collect();
    let progress = app::progress::claim_progress(&state.app, &auth.actor(), id).await?;
    let award = progress.award.as_ref().map(|a| award_box(lang, a));
    let page = MyClaim {
        c: Chrome::signed_in(lang, &format!("/my/claims/{id}"), viewer),
        steps: steps(lang, f.status),
        moments,
        notices: app::notices::settings(&state.app, &auth.actor(), id)
            .await?
            .email,
        stage: progress.stage.code(),
        next: lang.tr(&format!("my.next.{}", progress.stage.code())),
        answering: f.status == ClaimStatus::InformationRequested,
        csrf: viewer.csrf.clone(),
        commission,
        award,
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
    let done = match done.done.as_deref() {
        Some("uploaded") => Some("done.uploaded"),
        Some("responded") => Some("done.responded"),
        Some("notices") => Some("done.notices"),
        _ => None,
    };
    claim_page(&state, lang, &viewer, &auth, id, done, None).await
}

/// Refuses, as "not found", a claim the signed-in person did not file.
async fn own(state: &AppState, viewer: &Viewer, id: ClaimId) -> ApiResult<()> {
    app::claims::filed_by(&state.app, viewer.principal.account, id).await?;
    Ok(())
}

async fn after(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    id: ClaimId,
    outcome: ApiResult<()>,
    done: &str,
) -> PageResult {
    match super::settle(outcome, &format!("/my/claims/{id}?done={done}"))? {
        Ok(redirect) => Ok(redirect),
        Err(e) => super::with_status(
            claim_page(state, lang, viewer, auth, id, None, Some(&e)).await,
            e.status,
        ),
    }
}

#[derive(Deserialize)]
pub(crate) struct NoticesForm {
    #[serde(default)]
    email: String,
}

/// Switches e-mail notices about the claim off or on: the API's
/// `PUT /v1/claims/{id}/notifications`.
pub(crate) async fn notices(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    body: Result<Form<NoticesForm>, FormRejection>,
) -> PageResult {
    let Form(body) = body.map_err(|e| ApiError::malformed(e.body_text()))?;
    own(&state, &viewer, id).await?;
    let outcome = match body.email.as_str() {
        "on" | "off" => app::notices::switch(
            &state.app,
            &auth.actor(),
            id,
            store::notifications::NoticeSettings {
                email: body.email == "on",
            },
        )
        .await
        .map(drop)
        .map_err(ApiError::from),
        _ => Err(ApiError::invalid_field(
            "email",
            "invalid",
            "Either on or off.",
        )),
    };
    after(&state, lang, &viewer, &auth, id, outcome, "notices").await
}

#[derive(Deserialize)]
pub(crate) struct Answer {
    #[serde(default)]
    message: String,
}

/// Answers a request for information: the API's `POST .../responses`.
pub(crate) async fn respond(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    body: Result<Form<Answer>, FormRejection>,
) -> PageResult {
    let Form(body) = body.map_err(|e| ApiError::malformed(e.body_text()))?;
    own(&state, &viewer, id).await?;
    let outcome = app::claims::respond(&state.app, &auth.actor(), id, &body.message)
        .await
        .map(drop)
        .map_err(ApiError::from);
    after(&state, lang, &viewer, &auth, id, outcome, "responded").await
}

/// Adds a document: the API's streamed upload, multipart as the browser
/// sends it (its CSRF token rides in the form's action URL, checked by the
/// authorization layer before the body is read).
pub(crate) async fn upload(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    headers: HeaderMap,
    body: Body,
) -> PageResult {
    own(&state, &viewer, id).await?;
    let outcome = crate::transfer::upload(&state, &auth.actor(), id, &headers, body)
        .await
        .map(drop);
    after(&state, lang, &viewer, &auth, id, outcome, "uploaded").await
}

pub(crate) async fn evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    auth: Authorized,
    Path(ids): Path<(ClaimId, EvidenceId)>,
    headers: HeaderMap,
) -> PageResult {
    own(&state, &viewer, ids.0).await?;
    crate::transfer::download(&state, &auth.actor(), ids.0, ids.1, &headers).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_marks_where_the_claim_is() {
        let states = |s| {
            steps(Lang::En, s)
                .iter()
                .map(|x| x.state)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            states(ClaimStatus::InformationRequested),
            ["done", "current", "todo"]
        );
        assert_eq!(states(ClaimStatus::Recorded), ["done", "done", "current"]);
        for stage in app::progress::Stage::ALL {
            let key = format!("my.next.{}", stage.code());
            assert!(Lang::has(&key), "{key}");
        }
    }
}
