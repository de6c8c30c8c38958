//! The Commission's casework in the console: the case list, the case page
//! with its assessments, recommendations, votes and decisions, and the
//! batch page with its progress and sample review.
//!
//! Every action is a form that calls the use case in `app` with the actor
//! the page layer resolved, so rules, four-eyes checks, audit entries and
//! refusals are those of the API; the version the page showed travels in
//! the form and is passed as the version expected: a case, batch or
//! decision changed since is not acted on.

use super::console::{ProblemBox, flatten_into, form, may};
use super::i18n::Lang;
use super::session::Viewer;
use super::tracker::money_text;
use super::{Chrome, PageResult, encode, html, when};
use crate::authz::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::{PageParams, Path};
use crate::state::AppState;
use app::cases::CaseCriteria;
use app::decisions::{CouncilStep, Proposal, ProposedOutcome};
use askama::Template;
use axum::extract::State;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::response::IntoResponse as _;
use commission::{BatchId, CaseId, CaseStatus, RecommendationId};
use kernel::{Action, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::str::FromStr as _;

/// The snake-case name serde gives a value (statuses, outcomes).
fn name_of(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn money(m: &Money) -> String {
    money_text(m.amount(), m.currency().code())
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The version a form showed, which a change must name.
fn expected_version(version: Option<i64>) -> ApiResult<i64> {
    version.ok_or_else(ApiError::precondition_required)
}

/// An amount typed into a form, in the award currency.
fn amount_field(state: &AppState, field: &str, text: &str) -> ApiResult<Money> {
    let amount = Decimal::from_str(text.trim().replace([' ', '\u{202f}'], "").as_str())
        .map_err(|_| ApiError::invalid_field(field, "invalid", "Not a decimal amount."))?;
    Ok(Money::new(amount, state.app.config.award_currency))
}

const CASE_STATUSES: [&str; 6] = [
    "awaiting_assessment",
    "assigned",
    "assessed",
    "ready_for_panel",
    "recommended",
    "decided",
];

// ------------------------------------------------------------- case list

pub(crate) struct CaseLine {
    pub(crate) id: String,
    pub(crate) category: String,
    pub(crate) region: String,
    pub(crate) status: &'static str,
    pub(crate) claimed: String,
    pub(crate) batch: String,
    pub(crate) assigned: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    c: Chrome,
    csrf: String,
    /// The viewer may select cases into a batch.
    can_batch: bool,
    lines: Vec<CaseLine>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    category: String,
    region: String,
    batch: String,
    mine: bool,
    next: Option<String>,
    paged: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct CaseFilters {
    status: Option<String>,
    category: Option<String>,
    region: Option<String>,
    batch: Option<String>,
    /// Only the viewer's own cases (the API's `assignee`).
    mine: Option<bool>,
    min_amount: Option<String>,
    max_amount: Option<String>,
    cursor: Option<String>,
}

pub(crate) async fn cases(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    query: Result<axum::extract::Query<CaseFilters>, QueryRejection>,
) -> PageResult {
    let axum::extract::Query(f) = query.map_err(|e| ApiError::malformed(e.body_text()))?;
    let mine = f.mine.unwrap_or(false);
    let q = CaseCriteria {
        status: non_empty(f.status),
        category: non_empty(f.category),
        region: non_empty(f.region),
        assignee: mine.then(|| viewer.principal.account.to_string()),
        batch: non_empty(f.batch),
        min_amount: non_empty(f.min_amount),
        max_amount: non_empty(f.max_amount),
        currency: None,
    };
    let cursor = non_empty(f.cursor);
    let paged = cursor.is_some();
    let filters = [
        ("status", q.status.clone()),
        ("category", q.category.clone()),
        ("region", q.region.clone()),
        ("batch", q.batch.clone()),
        ("mine", mine.then(|| "true".to_owned())),
        ("min_amount", q.min_amount.clone()),
        ("max_amount", q.max_amount.clone()),
    ];
    let filter = q.read()?;
    let page = PageParams {
        limit: Some(50),
        cursor,
    }
    .request()?;
    let page = app::cases::list_cases(&state.app, &auth.actor(), filter, page).await?;
    let next = page.next_cursor.map(|cursor| {
        use std::fmt::Write as _;
        let mut href = String::from("/console/cases?");
        for (k, v) in &filters {
            if let Some(v) = v {
                let _ = write!(href, "{k}={}&", encode(v));
            }
        }
        let _ = write!(href, "cursor={}", encode(&cursor));
        href
    });
    let lines = page
        .items
        .into_iter()
        .map(|c| CaseLine {
            id: c.id.to_string(),
            category: c.category,
            region: c.region.unwrap_or_default(),
            status: lang.status(&name_of(&c.status)),
            claimed: c.claimed.as_ref().map(money).unwrap_or_default(),
            batch: c.batch_id.map(|b| b.to_string()).unwrap_or_default(),
            assigned: c.assignee.is_some(),
        })
        .collect();
    let page = CasesPage {
        c: Chrome::signed_in(lang, "/console/cases", &viewer),
        csrf: viewer.csrf.clone(),
        can_batch: may(&viewer, Action::AssessCase),
        lines,
        statuses: CASE_STATUSES
            .iter()
            .map(|s| (*s, lang.status(s), filters[0].1.as_deref() == Some(*s)))
            .collect(),
        category: filters[1].1.clone().unwrap_or_default(),
        region: filters[2].1.clone().unwrap_or_default(),
        batch: filters[3].1.clone().unwrap_or_default(),
        mine,
        next,
        paged,
    };
    html(&page)
}

// ------------------------------------------------------------- case page

pub(crate) struct AssessmentBox {
    pub(crate) at: String,
    pub(crate) assessor: String,
    pub(crate) rule: String,
    pub(crate) routing: String,
    pub(crate) result: String,
    /// The valuation's steps: label, operation, result.
    pub(crate) steps: Vec<(String, String, String)>,
    pub(crate) conversions: super::console::Lines,
}

pub(crate) struct VoteLine {
    pub(crate) member: String,
    pub(crate) choice: String,
}

pub(crate) struct RecommendationBox {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) outcome: super::console::Lines,
    pub(crate) votes: Vec<VoteLine>,
    pub(crate) can_vote: bool,
    /// The decision before the Council: its status and version.
    pub(crate) decision: Option<(String, i64)>,
    pub(crate) can_decide: bool,
}

pub(crate) struct DecisionLine {
    pub(crate) number: String,
    pub(crate) decided_on: String,
    pub(crate) status: String,
    pub(crate) outcome: super::console::Lines,
    /// The number of the correcting decision that replaced this one.
    pub(crate) superseded_by: Option<String>,
    /// For a correction: the number it replaces and why.
    pub(crate) supersedes: Option<(String, String)>,
    /// The decision's letter, for a final decision and a reader who may
    /// have it.
    pub(crate) letter: Option<String>,
}

// The page shows or hides each action on its own.
#[allow(clippy::struct_excessive_bools)]
#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    c: Chrome,
    id: CaseId,
    claim: String,
    category: String,
    region: String,
    status: String,
    status_text: &'static str,
    claimed: String,
    assignee: String,
    batch: String,
    version: i64,
    assessment_error: String,
    assessments: Vec<AssessmentBox>,
    recommendations: Vec<RecommendationBox>,
    decisions: Vec<DecisionLine>,
    panels: Vec<(String, String)>,
    currency: &'static str,
    /// Assessors to assign by name: (account id, name, preselected).
    assessors: Vec<(String, String, bool)>,
    can_assign: bool,
    can_assess: bool,
    can_recommend: bool,
    done: Option<&'static str>,
    problem: Option<ProblemBox>,
}

impl CasePage {
    fn csrf(&self) -> &str {
        self.c.user.as_ref().map_or("", |u| u.csrf.as_str())
    }

    fn no_actions(&self) -> bool {
        !self.can_assign && !self.can_assess && !self.can_recommend
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Done {
    done: Option<String>,
}

/// The confirmation texts a redirect may ask for, and only those.
fn done_key(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "assigned" => Some("done.case_assigned"),
        "assessed" => Some("done.case_assessed"),
        "recommended" => Some("done.case_recommended"),
        "voted" => Some("done.voted"),
        "decided" => Some("done.council_decided"),
        "reviewed" => Some("done.sample_reviewed"),
        "released" => Some("done.batch_decided"),
        "batch_voted" => Some("done.batch_voted"),
        "batch_created" => Some("done.batch_created"),
        "assessment_started" => Some("done.assessment_started"),
        _ => None,
    }
}

fn lines(value: &impl Serialize, lang: Lang) -> super::console::Lines {
    let mut out = Vec::new();
    if let Ok(v) = serde_json::to_value(value) {
        flatten_into(&v, lang, &mut out);
    }
    out
}

/// Decisions still before the Council or one of its organs: the case page
/// offers the step each status allows (the Review Committee's outcome
/// while with it, the Assembly's vote while with it).
const OPEN_DECISION: [&str; 5] = [
    "awaiting_council",
    "with_review_committee",
    "reviewed_by_committee",
    "with_assembly",
    "adopted_by_assembly",
];

#[allow(clippy::too_many_lines)]
async fn case_page(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    id: CaseId,
    done: Option<&'static str>,
    problem: Option<&ApiError>,
) -> PageResult {
    let case = app::cases::known_case(&state.app, &auth.actor(), id).await?;
    let assessments = app::cases::assessments(&state.app, &auth.actor(), id).await?;
    let decisions = app::decisions::case_decisions(&state.app, &auth.actor(), id).await?;
    let recommended = app::decisions::case_recommendations(&state.app, &auth.actor(), id).await?;
    // People by name: voters, assessors and the assignee.
    let mut people: Vec<kernel::id::AccountId> = Vec::new();
    for r in &recommended {
        people.extend(r.record.recommendation.votes.iter().map(|v| v.member));
    }
    people.extend(assessments.iter().map(|a| a.assessor));
    people.extend(case.assignee);
    let names = app::accounts::names(&state.app, people).await?;
    let name = |id: &kernel::id::AccountId| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| lang.tr("case.unknown_person").to_owned())
    };
    let me = viewer.principal.account;
    let may_vote = may(viewer, Action::Recommend);
    let may_decide = may(viewer, Action::DecideRecommendation);
    let mut recommendations = Vec::new();
    let mut open = false;
    for r in recommended {
        let rid = r.record.recommendation.id;
        let rec = r.record.recommendation;
        let status = name_of(&rec.status);
        open |= status == "open";
        let decision = r.decision.map(|d| (name_of(&d.decision.status), d.version));
        recommendations.push(RecommendationBox {
            id: rid.to_string(),
            can_vote: may_vote && status == "open" && !rec.votes.iter().any(|v| v.member == me),
            can_decide: may_decide
                && decision
                    .as_ref()
                    .is_some_and(|(s, _)| OPEN_DECISION.contains(&s.as_str())),
            status,
            outcome: lines(&rec.outcome, lang),
            votes: rec
                .votes
                .iter()
                .map(|v| VoteLine {
                    member: name(&v.member),
                    choice: lang
                        .tr(&format!("case.vote.{}", name_of(&v.choice)))
                        .to_owned(),
                })
                .collect(),
            decision,
        });
    }
    let assessments = assessments
        .into_iter()
        .map(|a| {
            let x = &a.assessment;
            AssessmentBox {
                at: when(a.created_at),
                assessor: name(&a.assessor),
                rule: format!("{} v{}", x.rule.category, x.rule.version),
                routing: name_of(&x.routing),
                result: money(&x.result),
                steps: x
                    .breakdown
                    .iter()
                    .map(|s| (s.label.clone(), name_of(&s.operation), money(&s.result)))
                    .collect(),
                conversions: lines(&x.conversions, lang),
            }
        })
        .collect();
    let number_of: std::collections::BTreeMap<_, _> = decisions
        .iter()
        .filter_map(|d| d.decision.number.map(|n| (d.decision.id, n.to_string())))
        .collect();
    let may_read_letters = may(viewer, Action::ReadAwards);
    let decisions = decisions
        .into_iter()
        .map(|d| DecisionLine {
            letter: (may_read_letters && d.decision.is_final())
                .then(|| format!("/console/decisions/{}/letter", d.decision.id)),
            superseded_by: d
                .superseded_by
                .map(|by| number_of.get(&by).cloned().unwrap_or_default()),
            supersedes: d.decision.supersedes.as_ref().map(|s| {
                (
                    s.number.to_string(),
                    format!(
                        "{}: {}",
                        lang.tr(&format!("case.correction.{}", name_of(&s.reason))),
                        s.explanation
                    ),
                )
            }),
            number: d.decision.number.map(|n| n.to_string()).unwrap_or_default(),
            decided_on: d
                .decision
                .decided_on
                .map(|x| x.to_string())
                .unwrap_or_default(),
            status: name_of(&d.decision.status),
            outcome: lines(&d.decision.outcome, lang),
        })
        .collect();
    let in_batch = case.batch_id.is_some();
    let can_recommend = may_vote
        && !open
        && matches!(
            case.status,
            CaseStatus::Assessed | CaseStatus::ReadyForPanel
        );
    let panels = if can_recommend {
        app::decisions::all_panels(&state.app)
            .await?
            .into_iter()
            .filter(|p| {
                p.panel.categories.contains(&case.category)
                    || case.batch_id.is_some_and(|b| p.batches.contains(&b))
            })
            .map(|p| (p.panel.id.to_string(), p.panel.name))
            .collect()
    } else {
        Vec::new()
    };
    let status = name_of(&case.status);
    let assessors = if may(viewer, Action::AssignCases) && !in_batch {
        app::accounts::with_role(&state.app, kernel::Role::Assessor)
            .await?
            .into_iter()
            .map(|(aid, n)| (aid.to_string(), n, aid == me))
            .collect()
    } else {
        Vec::new()
    };
    let page = CasePage {
        c: Chrome::signed_in(lang, &format!("/console/cases/{id}"), viewer),
        id,
        claim: case.claim_id.to_string(),
        category: case.category.clone(),
        region: case.region.clone().unwrap_or_default(),
        status_text: lang.status(&status),
        status,
        claimed: case.claimed.as_ref().map(money).unwrap_or_default(),
        assignee: case.assignee.as_ref().map(&name).unwrap_or_default(),
        batch: case.batch_id.map(|b| b.to_string()).unwrap_or_default(),
        version: case.version,
        assessment_error: case
            .assessment_error
            .as_ref()
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        assessments,
        recommendations,
        decisions,
        panels,
        currency: state.app.config.award_currency.code(),
        assessors,
        can_assign: may(viewer, Action::AssignCases)
            && !in_batch
            && matches!(
                case.status,
                CaseStatus::AwaitingAssessment | CaseStatus::Assigned
            ),
        can_assess: may(viewer, Action::AssessCase)
            && !in_batch
            && case.status == CaseStatus::Assigned,
        can_recommend,
        done,
        problem: problem.map(Into::into),
    };
    html(&page)
}

pub(crate) async fn case(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<CaseId>,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> PageResult {
    case_page(
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

/// After an action on a case: back to it on success; the case again, with
/// the problem in words, on a refusal.
async fn after(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    id: CaseId,
    outcome: ApiResult<()>,
    done: &str,
) -> PageResult {
    match super::settle(outcome, &format!("/console/cases/{id}?done={done}"))? {
        Ok(redirect) => Ok(redirect),
        Err(e) => super::with_status(
            case_page(state, lang, viewer, auth, id, None, Some(&e)).await,
            e.status,
        ),
    }
}

#[derive(Deserialize)]
pub(crate) struct AssignForm {
    #[serde(default)]
    assessor: String,
    version: Option<i64>,
}

pub(crate) async fn assign(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<CaseId>,
    body: Result<axum::extract::Form<AssignForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let outcome = async {
        let assessor = body
            .assessor
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid_field("assessor", "invalid", "An account id."))?;
        let version = expected_version(body.version)?;
        app::cases::assign(&state.app, &auth.actor(), id, version, assessor).await?;
        Ok(())
    }
    .await;
    after(&state, lang, &viewer, &auth, id, outcome, "assigned").await
}

#[derive(Deserialize)]
pub(crate) struct AssessForm {
    version: Option<i64>,
    rule_version: Option<String>,
    unit: Option<String>,
    quantity: Option<String>,
    manual_amount: Option<String>,
    justification: Option<String>,
}

fn assess_body(state: &AppState, f: AssessForm) -> ApiResult<app::cases::AssessCase> {
    let rule_version = non_empty(f.rule_version)
        .map(|v| {
            v.parse()
                .map_err(|_| ApiError::invalid_field("rule_version", "invalid", "A number."))
        })
        .transpose()?;
    let mut quantities = std::collections::BTreeMap::new();
    if let (Some(unit), Some(q)) = (non_empty(f.unit), non_empty(f.quantity)) {
        let q = Decimal::from_str(&q)
            .map_err(|_| ApiError::invalid_field("quantity", "invalid", "A number."))?;
        quantities.insert(unit, q);
    }
    let manual = match non_empty(f.manual_amount) {
        Some(a) => Some(commission::ManualEntry {
            amount: amount_field(state, "manual_amount", &a)?,
            justification: f.justification.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(app::cases::AssessCase {
        rule_version,
        quantities,
        manual,
    })
}

pub(crate) async fn assess(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<CaseId>,
    body: Result<axum::extract::Form<AssessForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let version = body.version;
    let outcome = async {
        let command = assess_body(&state, body)?;
        let version = expected_version(version)?;
        app::cases::assess(&state.app, &auth.actor(), id, version, command).await?;
        Ok(())
    }
    .await;
    after(&state, lang, &viewer, &auth, id, outcome, "assessed").await
}

#[derive(Deserialize)]
pub(crate) struct RecommendForm {
    #[serde(default)]
    panel: String,
    #[serde(default)]
    outcome: String,
    amount: Option<String>,
    variation_reasons: Option<String>,
    code: Option<String>,
    text: Option<String>,
}

fn propose_body(state: &AppState, f: RecommendForm) -> ApiResult<Proposal> {
    let panel = f
        .panel
        .trim()
        .parse()
        .map_err(|_| ApiError::invalid_field("panel", "required", "Choose a panel."))?;
    let amount = non_empty(f.amount)
        .map(|a| amount_field(state, "amount", &a))
        .transpose()?;
    let codes = match non_empty(f.code) {
        Some(code) => vec![
            serde_json::from_value(Value::String(code))
                .map_err(|_| ApiError::invalid_field("code", "invalid", "Not a dismissal code."))?,
        ],
        None => Vec::new(),
    };
    Ok(Proposal {
        panel,
        outcome: ProposedOutcome::named(
            &f.outcome,
            amount,
            non_empty(f.variation_reasons),
            codes,
            non_empty(f.text),
        )?,
    })
}

pub(crate) async fn recommend(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<CaseId>,
    body: Result<axum::extract::Form<RecommendForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let outcome = match propose_body(&state, body) {
        Ok(proposal) => app::decisions::recommend(&state.app, &auth.actor(), id, proposal)
            .await
            .map(drop)
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    after(&state, lang, &viewer, &auth, id, outcome, "recommended").await
}

/// The case a recommendation is on: where a vote or a decision returns.
async fn case_of(state: &AppState, auth: &Authorized, id: RecommendationId) -> ApiResult<CaseId> {
    let r = app::decisions::recommendation(&state.app, &auth.actor(), id).await?;
    Ok(r.record.recommendation.case)
}

#[derive(Deserialize)]
pub(crate) struct VoteForm {
    #[serde(default)]
    choice: String,
}

pub(crate) async fn vote(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<RecommendationId>,
    body: Result<axum::extract::Form<VoteForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let case = case_of(&state, &auth, id).await?;
    let outcome = match serde_json::from_value(Value::String(body.choice)) {
        Ok(choice) => app::decisions::vote(&state.app, &auth.actor(), id, choice)
            .await
            .map(drop)
            .map_err(ApiError::from),
        Err(_) => Err(ApiError::invalid_field(
            "choice",
            "required",
            "Choose how you vote.",
        )),
    };
    after(&state, lang, &viewer, &auth, case, outcome, "voted").await
}

#[derive(Deserialize)]
pub(crate) struct DecideForm {
    version: Option<i64>,
    #[serde(default)]
    step: String,
    meeting_reference: Option<String>,
    decided_on: Option<String>,
    #[serde(default)]
    reasons: String,
    /// The Review Committee's varied award.
    amount: Option<String>,
    /// The Assembly's vote.
    in_favour: Option<String>,
    against: Option<String>,
    abstentions: Option<String>,
}

/// A count of votes typed into a form.
fn votes(field: &str, text: Option<&String>) -> ApiResult<u32> {
    let text = text.map_or("", |t| t.trim());
    if text.is_empty() {
        return Ok(0);
    }
    text.parse()
        .map_err(|_| ApiError::invalid_field(field, "invalid", "A whole number of votes."))
}

/// The day of a decision typed into a form.
fn decided_on(text: &str) -> ApiResult<time::Date> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| ApiError::invalid_field("decided_on", "invalid", "A date, YYYY-MM-DD."))
}

/// The Council's steps a form can take, and the outcomes of its Review
/// Committee and of the Assembly it records.
fn council_step(currency: kernel::Currency, f: &DecideForm) -> ApiResult<CouncilStep> {
    let reasons = f.reasons.trim().to_owned();
    match f.step.as_str() {
        "review_upheld" => Ok(CouncilStep::RecordReviewOutcome {
            outcome: commission::ReviewOutcome::Upheld { reasons },
        }),
        "review_varied" => {
            let text = f.amount.as_deref().unwrap_or_default();
            let amount = Decimal::from_str(text.trim().replace([' ', '\u{202f}'], "").as_str())
                .map_err(|_| {
                    ApiError::invalid_field("amount", "invalid", "Not a decimal amount.")
                })?;
            let amount = Money::new(amount, currency);
            Ok(CouncilStep::RecordReviewOutcome {
                outcome: commission::ReviewOutcome::Varied {
                    outcome: commission::Outcome::Award {
                        amount,
                        variation_reasons: Some(reasons.clone()),
                    },
                    reasons,
                },
            })
        }
        "assembly_vote" => Ok(CouncilStep::RecordAssemblyVote {
            vote: commission::AssemblyVote {
                in_favour: votes("in_favour", f.in_favour.as_ref())?,
                against: votes("against", f.against.as_ref())?,
                abstentions: votes("abstentions", f.abstentions.as_ref())?,
            },
        }),
        "approve" => Ok(CouncilStep::Approve {
            decided_on: non_empty(f.decided_on.clone())
                .map(|d| decided_on(&d))
                .transpose()?,
        }),
        "return_to_panel" => Ok(CouncilStep::ReturnToPanel { reasons }),
        "refer_to_review_committee" => Ok(CouncilStep::ReferToReviewCommittee { grounds: reasons }),
        "refer_to_assembly" => Ok(CouncilStep::ReferToAssembly { grounds: reasons }),
        _ => Err(ApiError::invalid_field(
            "step",
            "required",
            "Choose what the Council does.",
        )),
    }
}

pub(crate) async fn decide(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<RecommendationId>,
    body: Result<axum::extract::Form<DecideForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let case = case_of(&state, &auth, id).await?;
    let currency = state.app.config.award_currency;
    let outcome = match (council_step(currency, &body), body.version) {
        (Ok(step), Some(version)) => app::decisions::decide(
            &state.app,
            &auth.actor(),
            id,
            version,
            step,
            non_empty(body.meeting_reference),
        )
        .await
        .map(drop)
        .map_err(ApiError::from),
        (Ok(_), None) => Err(ApiError::precondition_required()),
        (Err(e), _) => Err(e),
    };
    after(&state, lang, &viewer, &auth, case, outcome, "decided").await
}

// ------------------------------------------------------------ batch page

pub(crate) struct SampleLine {
    pub(crate) case: String,
    pub(crate) finding: String,
    pub(crate) reviewable: bool,
}

#[derive(Template)]
#[template(path = "batch.html")]
struct BatchPage {
    c: Chrome,
    id: BatchId,
    category: String,
    rule_version: u32,
    status: String,
    round: i32,
    case_count: String,
    version: i64,
    sample_rate: String,
    threshold: String,
    reviewed: usize,
    job: super::console::Lines,
    progress: u8,
    sample: Vec<SampleLine>,
    duplicates: Vec<String>,
    currency: &'static str,
    can_release: bool,
    /// Selected, not yet assessed: the viewer may start the assessment.
    can_start: bool,
    /// The assessment is running: the page reloads itself to show progress.
    live: bool,
    /// The batch's open recommendations the viewer has not voted on.
    to_vote: Vec<String>,
    done: Option<&'static str>,
    problem: Option<ProblemBox>,
}

impl BatchPage {
    fn csrf(&self) -> &str {
        self.c.user.as_ref().map_or("", |u| u.csrf.as_str())
    }
}

async fn batch_page(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    id: BatchId,
    done: Option<&'static str>,
    problem: Option<&ApiError>,
) -> PageResult {
    let details = app::batches::batch(&state.app, &auth.actor(), id).await?;
    let sample_rate = details.sample_error_rate().to_string();
    let b = &details.batch;
    let status = name_of(&b.status);
    let in_review = status == "in_review";
    let (job, progress) = match b.job_id {
        Some(job) => {
            let j = app::batches::job(&state.app, &auth.actor(), job).await?;
            let lines = vec![
                (
                    lang.tr("batch.job.status").to_owned(),
                    j.status.as_str().to_owned(),
                ),
                (
                    lang.tr("batch.job.processed").to_owned(),
                    format!("{} / {}", j.processed, j.total),
                ),
                (
                    lang.tr("batch.job.assessed").to_owned(),
                    j.assessed.to_string(),
                ),
                (
                    lang.tr("batch.job.individual").to_owned(),
                    j.routed_individual.to_string(),
                ),
                (lang.tr("batch.job.failed").to_owned(), j.failed.to_string()),
            ];
            // Whole percent for the meter; the ratio is within 0..=1.
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a percentage of a ratio in 0..=1"
            )]
            let percent = (j.progress() * 100.0).round().clamp(0.0, 100.0) as u8;
            (lines, percent)
        }
        None => (Vec::new(), 0),
    };
    let to_vote = if may(viewer, Action::Recommend) {
        let criteria = app::decisions::RecommendationCriteria {
            status: Some("open".into()),
            batch: Some(id.to_string()),
            ..Default::default()
        };
        let page = app::decisions::recommendations(
            &state.app,
            &auth.actor(),
            &criteria,
            app::page(Some(500), None)?,
        )
        .await?;
        page.items
            .into_iter()
            .filter(|r| {
                !r.record
                    .recommendation
                    .votes
                    .iter()
                    .any(|v| v.member == viewer.principal.account)
            })
            .map(|r| r.record.recommendation.id.to_string())
            .collect()
    } else {
        Vec::new()
    };
    let may_review = may(viewer, Action::ReviewSample);
    let sample = b
        .sample
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|case| {
            let finding = details.findings.iter().find(|f| f.case == case);
            SampleLine {
                case: case.to_string(),
                finding: finding.map_or_else(String::new, |f| match &f.finding {
                    commission::Finding::Confirmed => lang.tr("batch.confirmed").to_owned(),
                    commission::Finding::Corrected { amount, reason } => {
                        format!(
                            "{}: {} ({reason})",
                            lang.tr("batch.corrected"),
                            money(amount)
                        )
                    }
                }),
                reviewable: may_review && in_review && finding.is_none(),
            }
        })
        .collect();
    let page = BatchPage {
        c: Chrome::signed_in(lang, &format!("/console/batches/{id}"), viewer),
        id,
        category: b.category.clone(),
        rule_version: b.rule_version,
        status,
        round: b.round,
        case_count: super::grouped(b.case_count),
        version: b.version,
        sample_rate,
        threshold: b.plan.error_threshold.to_string(),
        reviewed: details.findings.len(),
        job,
        progress,
        sample,
        duplicates: details
            .duplicate_flags
            .iter()
            .map(|d| d.case.to_string())
            .collect(),
        currency: state.app.config.award_currency.code(),
        can_release: may(viewer, Action::ReleaseBatch) && in_review,
        can_start: may(viewer, Action::AssessCase) && b.status == commission::BatchStatus::Selected,
        live: b.status == commission::BatchStatus::Assessing,
        to_vote,
        done,
        problem: problem.map(Into::into),
    };
    html(&page)
}

pub(crate) async fn batch(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<BatchId>,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> PageResult {
    batch_page(
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

async fn after_batch(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    id: BatchId,
    outcome: ApiResult<()>,
    done: &str,
) -> PageResult {
    match super::settle(outcome, &format!("/console/batches/{id}?done={done}"))? {
        Ok(redirect) => Ok(redirect),
        Err(e) => super::with_status(
            batch_page(state, lang, viewer, auth, id, None, Some(&e)).await,
            e.status,
        ),
    }
}

#[derive(Deserialize)]
pub(crate) struct ReviewForm {
    #[serde(default)]
    finding: String,
    amount: Option<String>,
    reason: Option<String>,
}

pub(crate) async fn review(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path((id, case)): Path<(BatchId, CaseId)>,
    body: Result<axum::extract::Form<ReviewForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let finding = match body.finding.as_str() {
        "confirmed" => Ok(commission::Finding::Confirmed),
        "corrected" => non_empty(body.amount)
            .map_or_else(
                || {
                    Err(ApiError::invalid_field(
                        "amount",
                        "required",
                        "A corrected finding needs the right amount.",
                    ))
                },
                |a| amount_field(&state, "amount", &a),
            )
            .map(|amount| commission::Finding::Corrected {
                amount,
                reason: body.reason.unwrap_or_default(),
            }),
        _ => Err(ApiError::invalid_field(
            "finding",
            "required",
            "Confirm or correct the assessment.",
        )),
    };
    let outcome = async {
        app::batches::record_finding(&state.app, &auth.actor(), id, case, finding?).await?;
        Ok(())
    }
    .await;
    after_batch(&state, lang, &viewer, &auth, id, outcome, "reviewed").await
}

#[derive(Deserialize)]
pub(crate) struct ReleaseForm {
    version: Option<i64>,
}

pub(crate) async fn release(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<BatchId>,
    body: Result<axum::extract::Form<ReleaseForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let outcome = async {
        let version = expected_version(body.version)?;
        app::batches::release(&state.app, &auth.actor(), id, version).await?;
        Ok(())
    }
    .await;
    after_batch(&state, lang, &viewer, &auth, id, outcome, "released").await
}

/// A panel member's vote on every open recommendation of a batch they
/// have not voted on: the API's `POST /v1/recommendations/votes`. The
/// recommendations are those the page listed, carried in the form.
pub(crate) async fn vote_batch(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<BatchId>,
    body: axum::body::Bytes,
) -> PageResult {
    let outcome = async {
        let mut choice = None;
        let mut chosen = Vec::new();
        for (key, value) in url::form_urlencoded::parse(&body) {
            match key.as_ref() {
                "choice" => {
                    choice =
                        commission::VoteChoice::deserialize(Value::String(value.into_owned())).ok();
                }
                "recommendation" => {
                    let rec = value.parse().map_err(|_| {
                        ApiError::invalid_field(
                            "recommendation",
                            "invalid",
                            "Not a recommendation.",
                        )
                    })?;
                    chosen.push(RecommendationId::from_uuid(rec));
                }
                _ => {}
            }
        }
        let choice = choice
            .ok_or_else(|| ApiError::invalid_field("choice", "required", "Choose a vote."))?;
        let votes = chosen.into_iter().map(|r| (r, choice)).collect();
        let results = app::decisions::vote_many(&state.app, &auth.actor(), votes).await?;
        // Each refusal is the single vote's (voted already, conflict of
        // interest); the first one is shown.
        match results.into_iter().find_map(|(_, r)| r.err()) {
            Some(e) => Err(ApiError::from(e)),
            None => Ok(()),
        }
    }
    .await;
    after_batch(&state, lang, &viewer, &auth, id, outcome, "batch_voted").await
}

#[derive(Deserialize)]
pub(crate) struct NewBatchForm {
    #[serde(default)]
    category: String,
    region: Option<String>,
    max_cases: Option<String>,
}

/// Selects cases awaiting assessment into a batch: the API's
/// `POST /v1/batches`, with the defaults of its sample plan.
pub(crate) async fn create_batch(
    State(state): State<AppState>,
    auth: Authorized,
    body: Result<axum::extract::Form<NewBatchForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let max_cases = non_empty(body.max_cases)
        .map(|m| {
            m.parse().map_err(|_| {
                ApiError::invalid_field("max_cases", "invalid", "A whole number of cases.")
            })
        })
        .transpose()?;
    let command = app::batches::CreateBatch {
        category: body.category.trim().to_owned(),
        rule_version: None,
        criteria: CaseCriteria {
            region: non_empty(body.region),
            ..CaseCriteria::default()
        },
        max_cases,
        sample_share: None,
        sample_minimum: None,
        error_threshold: None,
    };
    let created = app::batches::create(&state.app, &auth.actor(), command).await?;
    Ok(axum::response::Redirect::to(&format!(
        "/console/batches/{}?done=batch_created",
        created.batch.id
    ))
    .into_response())
}

/// Starts the batch's assessment in the background; the batch page then
/// follows its progress.
pub(crate) async fn start_assessment(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<BatchId>,
) -> PageResult {
    let outcome = app::batches::start_assessment(&state.app, &auth.actor(), id)
        .await
        .map(|_| state.jobs.wake())
        .map_err(ApiError::from);
    after_batch(
        &state,
        lang,
        &viewer,
        &auth,
        id,
        outcome,
        "assessment_started",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_confirmations_are_shown() {
        assert_eq!(done_key(Some("assessed")), Some("done.case_assessed"));
        assert_eq!(done_key(Some("<b>")), None);
    }

    #[test]
    fn council_steps_from_the_form() {
        let f = |step: &str| DecideForm {
            version: Some(1),
            step: step.to_owned(),
            meeting_reference: None,
            decided_on: Some(" ".to_owned()),
            reasons: "Too high".to_owned(),
            amount: Some("70 000.00".to_owned()),
            in_favour: Some("30".to_owned()),
            against: Some(" 10 ".to_owned()),
            abstentions: None,
        };
        let eur = kernel::Currency::EUR;
        assert!(matches!(
            council_step(eur, &f("approve")),
            Ok(CouncilStep::Approve { decided_on: None })
        ));
        assert!(matches!(
            council_step(eur, &f("return_to_panel")),
            Ok(CouncilStep::ReturnToPanel { .. })
        ));
        assert!(council_step(eur, &f("")).is_err());
        match council_step(eur, &f("review_varied")) {
            Ok(CouncilStep::RecordReviewOutcome {
                outcome: commission::ReviewOutcome::Varied { outcome, .. },
            }) => assert_eq!(
                outcome.amount(),
                Some(Money::new(Decimal::new(70_000, 0), eur))
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            council_step(eur, &f("assembly_vote")).unwrap(),
            CouncilStep::RecordAssemblyVote {
                vote: commission::AssemblyVote {
                    in_favour: 30,
                    against: 10,
                    abstentions: 0
                }
            }
        );
        let mut bad = f("assembly_vote");
        bad.against = Some("many".to_owned());
        assert!(council_step(eur, &bad).is_err());
    }
}
