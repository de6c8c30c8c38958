//! The Council's queue in the console: the decisions before it (awaiting
//! the Council, back from the Review Committee, adopted by the Assembly),
//! and one form that approves or returns many at a meeting.
//!
//! The form lists each chosen decision with the version the page showed;
//! the use case decides each on its own (a decision changed since is
//! refused, not acted on), and the page says how many went through.

use super::console::{ProblemBox, may};
use super::i18n::Lang;
use super::session::Viewer;
use super::tracker::money_text;
use super::{Chrome, PageResult, encode, html, when};
use crate::authz::Authorized;
use crate::error::ApiError;
use crate::state::AppState;
use app::decisions::{BulkItem, CouncilStep, DecisionCriteria};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse as _, Redirect};
use commission::{Outcome, RecommendationId};
use kernel::Action;
use serde::Deserialize;

/// The statuses of a decision the Council acts on next.
const BEFORE_THE_COUNCIL: [&str; 3] = [
    "awaiting_council",
    "reviewed_by_committee",
    "adopted_by_assembly",
];

pub(crate) struct QueueItem {
    /// `{recommendation}:{version}`: what the form sends back.
    pub(crate) key: String,
    pub(crate) case: String,
    pub(crate) category: String,
    pub(crate) region: String,
    pub(crate) outcome: String,
    pub(crate) since: String,
}

#[derive(Template)]
#[template(path = "council.html")]
struct CouncilQueue {
    c: Chrome,
    csrf: String,
    status: String,
    statuses: Vec<(&'static str, &'static str, bool)>,
    items: Vec<QueueItem>,
    next: Option<String>,
    can_decide: bool,
    decided: Option<u32>,
    refused: Option<u32>,
    done: Option<&'static str>,
    problem: Option<ProblemBox>,
}

#[derive(Deserialize, Default)]
pub(crate) struct QueueQuery {
    status: Option<String>,
    cursor: Option<String>,
    decided: Option<u32>,
    refused: Option<u32>,
}

fn outcome_text(lang: Lang, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Award { amount, .. } => format!(
            "{}: {}",
            lang.tr("case.outcome.award"),
            money_text(amount.amount(), amount.currency().code())
        ),
        Outcome::Dismissal { .. } => lang.tr("case.outcome.dismissal").to_owned(),
    }
}

async fn queue_page(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    q: QueueQuery,
    problem: Option<&ApiError>,
) -> PageResult {
    let status = q
        .status
        .filter(|s| BEFORE_THE_COUNCIL.contains(&s.as_str()))
        .unwrap_or_else(|| BEFORE_THE_COUNCIL[0].to_owned());
    let criteria = DecisionCriteria {
        status: Some(status.clone()),
        ..DecisionCriteria::default()
    };
    let request = app::page(Some(100), q.cursor.as_deref())?;
    let page = app::decisions::decisions(&state.app, &auth.actor(), &criteria, request).await?;
    let next = page
        .next_cursor
        .map(|c| format!("/console/council?status={status}&cursor={}", encode(&c)));
    let items = page
        .items
        .into_iter()
        .map(|d| QueueItem {
            key: format!("{}:{}", d.decision.recommendation, d.version),
            case: d.decision.case.to_string(),
            category: d.category,
            region: d.region.unwrap_or_default(),
            outcome: outcome_text(lang, &d.decision.outcome),
            since: when(d.updated_at),
        })
        .collect();
    let page = CouncilQueue {
        c: Chrome::signed_in(lang, "/console/council", viewer),
        csrf: viewer.csrf.clone(),
        statuses: BEFORE_THE_COUNCIL
            .iter()
            .map(|s| (*s, lang.status(s), *s == status))
            .collect(),
        status,
        items,
        next,
        can_decide: may(viewer, Action::DecideRecommendation),
        decided: q.decided,
        refused: q.refused,
        done: None,
        problem: problem.map(Into::into),
    };
    html(&page)
}

pub(crate) async fn queue(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    query: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let Query(q) = query.map_err(|e| ApiError::malformed(e.body_text()))?;
    queue_page(&state, lang, &viewer, &auth, q, None).await
}

/// The Council's list for a meeting, read from the form: every chosen
/// `item`, the step, the meeting and the reasons.
struct MeetingForm {
    items: Vec<(RecommendationId, i64)>,
    step: String,
    meeting_reference: String,
    reasons: String,
    status: Option<String>,
}

fn meeting_form(body: &[u8]) -> Result<MeetingForm, ApiError> {
    let mut form = MeetingForm {
        items: Vec::new(),
        step: String::new(),
        meeting_reference: String::new(),
        reasons: String::new(),
        status: None,
    };
    for (key, value) in url::form_urlencoded::parse(body) {
        match key.as_ref() {
            "item" => {
                let (rec, version) = value
                    .split_once(':')
                    .and_then(|(r, v)| Some((r.parse().ok()?, v.parse().ok()?)))
                    .ok_or_else(|| {
                        ApiError::invalid_field("item", "invalid", "Not an item of this list.")
                    })?;
                form.items.push((RecommendationId::from_uuid(rec), version));
            }
            "step" => value.trim().clone_into(&mut form.step),
            "meeting_reference" => value.trim().clone_into(&mut form.meeting_reference),
            "reasons" => value.trim().clone_into(&mut form.reasons),
            "status" => form.status = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok(form)
}

/// Approves or returns every chosen decision at one meeting.
pub(crate) async fn decide(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    body: Bytes,
) -> PageResult {
    let form = meeting_form(&body)?;
    let status = form.status.clone();
    let outcome = async {
        if form.items.is_empty() {
            return Err(ApiError::invalid_field(
                "item",
                "required",
                "Choose at least one decision.",
            ));
        }
        let step = match form.step.as_str() {
            "approve" => Ok(CouncilStep::Approve { decided_on: None }),
            "return_to_panel" => Ok(CouncilStep::ReturnToPanel {
                reasons: form.reasons.clone(),
            }),
            _ => Err(ApiError::invalid_field(
                "step",
                "required",
                "Choose what the Council does.",
            )),
        }?;
        let items = form
            .items
            .iter()
            .map(|(recommendation, version)| BulkItem {
                recommendation: *recommendation,
                expected_version: *version,
                step: Ok(step.clone()),
            })
            .collect();
        let outcomes = app::decisions::decide_many(
            &state.app,
            &auth.actor(),
            form.meeting_reference.clone(),
            items,
        )
        .await?;
        let decided = outcomes.iter().filter(|o| o.result.is_ok()).count();
        Ok((decided, outcomes.len() - decided))
    }
    .await;
    match outcome {
        Ok((decided, refused)) => Ok(Redirect::to(&format!(
            "/console/council?status={}&decided={decided}&refused={refused}",
            encode(status.as_deref().unwrap_or(BEFORE_THE_COUNCIL[0]))
        ))
        .into_response()),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => {
            let q = QueueQuery {
                status,
                ..QueueQuery::default()
            };
            super::with_status(
                queue_page(&state, lang, &viewer, &auth, q, Some(&e)).await,
                e.status,
            )
        }
    }
}
