//! Decision letters on the site: the claimant's letter from `/my`, staff's
//! from the console's case page, both as a page to print and as a PDF, and
//! the public verification page.

use super::i18n::Lang;
use super::session::Viewer;
use super::{Chrome, PageResult, html};
use crate::authz::Authorized;
use crate::extract::Path;
use crate::state::AppState;
use crate::transfer::letter::{Format, respond};
use crate::views::letter::money;
use app::letters::Verification;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use commission::DecisionId;
use register::ClaimId;

async fn my_letter(
    state: &AppState,
    viewer: &Viewer,
    auth: &Authorized,
    id: ClaimId,
    headers: &HeaderMap,
    format: Format,
) -> PageResult {
    // Only the signed-in person's own claim, whatever else their roles allow.
    app::claims::filed_by(&state.app, viewer.principal.account, id).await?;
    let letter = app::letters::claim_letter(&state.app, &auth.actor(), id, format.name()).await?;
    let claim = format!("/my/claims/{id}");
    respond(
        &letter,
        format,
        headers,
        &format!("{claim}/letter.pdf"),
        Some(("Моя заява / My claim", &claim)),
    )
}

pub(crate) async fn my_page(
    State(state): State<AppState>,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    headers: HeaderMap,
) -> PageResult {
    my_letter(&state, &viewer, &auth, id, &headers, Format::Html).await
}

pub(crate) async fn my_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    headers: HeaderMap,
) -> PageResult {
    my_letter(&state, &viewer, &auth, id, &headers, Format::Pdf).await
}

async fn staff_letter(
    state: &AppState,
    auth: &Authorized,
    id: DecisionId,
    headers: &HeaderMap,
    format: Format,
) -> PageResult {
    let letter =
        app::letters::decision_letter(&state.app, &auth.actor(), id, format.name()).await?;
    let case = format!("/console/cases/{}", letter.case);
    respond(
        &letter,
        format,
        headers,
        &format!("/console/decisions/{id}/letter.pdf"),
        Some(("Справа / Case", &case)),
    )
}

pub(crate) async fn console_page(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<DecisionId>,
    headers: HeaderMap,
) -> PageResult {
    staff_letter(&state, &auth, id, &headers, Format::Html).await
}

pub(crate) async fn console_pdf(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<DecisionId>,
    headers: HeaderMap,
) -> PageResult {
    staff_letter(&state, &auth, id, &headers, Format::Pdf).await
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    c: Chrome,
    v: Verification,
    outcome_key: &'static str,
    amount: String,
}

/// The public verification of a letter. An unknown code and a malformed
/// one get the same "not found" page.
pub(crate) async fn verify(
    State(state): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> PageResult {
    let v = app::letters::verify(&state.app, &code).await?;
    html(&VerifyPage {
        c: Chrome::public(lang, &format!("/verify/{}", v.code.as_str())),
        outcome_key: if v.outcome == "award" {
            "verify.outcome.award"
        } else {
            "verify.outcome.dismissal"
        },
        amount: v.amount.as_ref().map(money).unwrap_or_default(),
        v,
    })
}
