//! Payment rounds and payments in the console: preview a round over the
//! awards still owed something, confirm it, and record the payments the
//! bank reports, each through the use case the API calls.

use super::console::{ProblemBox, form, may};
use super::i18n::Lang;
use super::session::Viewer;
use super::tracker::money_text;
use super::{Chrome, PageResult, html, when};
use crate::authz::Authorized;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse as _, Redirect};
use commission::{AwardId, PaymentRoundId, RemainderRule, RoundPolicy};
use kernel::{Action, Money};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::str::FromStr as _;
use store::decisions::RoundStatus;

/// The most lines of a round the page lists; the API pages through all.
const LINES_SHOWN: usize = 200;

fn money(m: &Money) -> String {
    money_text(m.amount(), m.currency().code())
}

fn status_name(status: RoundStatus) -> &'static str {
    match status {
        RoundStatus::Preview => "preview",
        RoundStatus::Confirmed => "confirmed",
    }
}

/// An amount typed into a form, in the award currency; blank is `None`.
fn amount(state: &AppState, field: &str, text: &str) -> Result<Option<Money>, ApiError> {
    let text = text.trim().replace([' ', '\u{202f}', '\u{a0}'], "");
    if text.is_empty() {
        return Ok(None);
    }
    let value = Decimal::from_str(&text)
        .map_err(|_| ApiError::invalid_field(field, "invalid", "Not a decimal amount."))?;
    Ok(Some(Money::new(value, state.app.config.award_currency)))
}

pub(crate) struct RoundLine {
    pub(crate) id: String,
    pub(crate) status: &'static str,
    pub(crate) available: String,
    pub(crate) total: String,
    pub(crate) awards: usize,
    pub(crate) created: String,
}

#[derive(Template)]
#[template(path = "payment_rounds.html")]
struct RoundsPage {
    c: Chrome,
    csrf: String,
    rounds: Vec<RoundLine>,
    currency: &'static str,
    can_manage: bool,
    done: Option<&'static str>,
    problem: Option<ProblemBox>,
}

async fn rounds_page(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    problem: Option<&ApiError>,
) -> PageResult {
    let page =
        app::awards::rounds(&state.app, &auth.actor(), None, app::page(Some(100), None)?).await?;
    let rounds = page
        .items
        .into_iter()
        .rev()
        .map(|r| RoundLine {
            id: r.id.to_string(),
            status: status_name(r.status),
            available: money(&r.preview.available),
            total: money(&r.preview.total),
            awards: r.preview.lines.len(),
            created: when(r.created_at),
        })
        .collect();
    html(&RoundsPage {
        c: Chrome::signed_in(lang, "/console/payment-rounds", viewer),
        csrf: viewer.csrf.clone(),
        rounds,
        currency: state.app.config.award_currency.code(),
        can_manage: may(viewer, Action::ManagePayments),
        done: None,
        problem: problem.map(Into::into),
    })
}

pub(crate) async fn rounds(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
) -> PageResult {
    rounds_page(&state, lang, &viewer, &auth, None).await
}

#[derive(Deserialize)]
pub(crate) struct PreviewForm {
    #[serde(default)]
    available: String,
    #[serde(default)]
    priority_amount: String,
}

/// Previews a round over the awards still owed something: the priority
/// tier, then pro rata.
pub(crate) async fn preview(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    body: Result<axum::extract::Form<PreviewForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let outcome = async {
        let available = amount(&state, "available", &body.available)?.ok_or_else(|| {
            ApiError::invalid_field("available", "required", "The amount the round shares out.")
        })?;
        let policy = RoundPolicy {
            priority_amount: amount(&state, "priority_amount", &body.priority_amount)?,
            remainder: RemainderRule::ProRata,
        };
        Ok::<_, ApiError>(
            app::awards::preview_round(&state.app, &auth.actor(), available, policy).await?,
        )
    }
    .await;
    match outcome {
        Ok(round) => {
            Ok(Redirect::to(&format!("/console/payment-rounds/{}", round.id)).into_response())
        }
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => super::with_status(
            rounds_page(&state, lang, &viewer, &auth, Some(&e)).await,
            e.status,
        ),
    }
}

pub(crate) struct AwardLine {
    pub(crate) award: String,
    pub(crate) kind: &'static str,
    pub(crate) outstanding_before: String,
    pub(crate) amount: String,
    /// The amount in the form's field: the round's share, plain.
    pub(crate) amount_plain: String,
    pub(crate) outstanding_after: String,
    pub(crate) status: &'static str,
    /// The award's version, when a payment may be recorded on it now.
    pub(crate) payable_version: Option<i64>,
}

#[derive(Template)]
#[template(path = "payment_round.html")]
struct RoundPage {
    c: Chrome,
    csrf: String,
    id: PaymentRoundId,
    status: &'static str,
    available: String,
    total: String,
    unspent: String,
    priority: String,
    lines: Vec<AwardLine>,
    more: usize,
    today: String,
    can_confirm: bool,
    /// Confirmed, and the viewer may issue its bank file.
    can_download: bool,
    /// Payees held back from the bank file: (payee, amount, reason).
    blocked: Vec<(String, String, &'static str)>,
    transfers: usize,
    control_sum: String,
    done: Option<&'static str>,
    problem: Option<ProblemBox>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Done {
    done: Option<String>,
}

async fn round_page(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    id: PaymentRoundId,
    done: Option<&'static str>,
    problem: Option<&ApiError>,
) -> PageResult {
    let planned = app::awards::round_transfers(&state.app, &auth.actor(), id).await?;
    let plan = planned.plan;
    let round = planned.round;
    let may_pay = may(viewer, Action::ManagePayments);
    let confirmed = round.status == RoundStatus::Confirmed;
    let mut lines = Vec::new();
    for line in round.preview.lines.iter().take(LINES_SHOWN) {
        let award = app::awards::award(&state.app, &auth.actor(), line.award).await?;
        let status = award.award.status();
        let status_code = match status {
            commission::AwardStatus::Awarded => "awarded",
            commission::AwardStatus::Payable => "payable",
            commission::AwardStatus::PartiallyPaid => "partially_paid",
            commission::AwardStatus::Paid => "paid",
            commission::AwardStatus::PayeeUnreachable => "payee_unreachable",
        };
        lines.push(AwardLine {
            award: line.award.to_string(),
            kind: match line.claimant_kind {
                commission::ClaimantKind::Individual => "individual",
                commission::ClaimantKind::LegalEntity => "legal_entity",
                commission::ClaimantKind::State => "state",
            },
            outstanding_before: money(&line.outstanding_before),
            amount: money(&line.amount),
            amount_plain: line.amount.amount().to_string(),
            outstanding_after: money(&line.outstanding_after),
            status: lang.tr(&format!("award.status.{status_code}")),
            payable_version: (may_pay
                && confirmed
                && matches!(
                    status,
                    commission::AwardStatus::Payable | commission::AwardStatus::PartiallyPaid
                ))
            .then_some(award.version),
        });
    }
    html(&RoundPage {
        c: Chrome::signed_in(lang, &format!("/console/payment-rounds/{id}"), viewer),
        csrf: viewer.csrf.clone(),
        id,
        status: status_name(round.status),
        available: money(&round.preview.available),
        total: money(&round.preview.total),
        unspent: money(&round.preview.unspent),
        priority: round
            .preview
            .policy
            .priority_amount
            .as_ref()
            .map(money)
            .unwrap_or_default(),
        more: round.preview.lines.len().saturating_sub(LINES_SHOWN),
        lines,
        today: state.app.clock.today().to_string(),
        can_confirm: may_pay && !confirmed,
        can_download: may_pay && confirmed,
        blocked: plan
            .blocked
            .iter()
            .map(|b| {
                let reason = match b.reason {
                    commission::BlockReason::NoBankDetails => "rounds.blocked.no_bank_details",
                    commission::BlockReason::PayeeUnreachable => "rounds.blocked.payee_unreachable",
                    commission::BlockReason::NothingDue => "rounds.blocked.nothing_due",
                };
                (b.payee.clone(), money(&b.amount), lang.tr(reason))
            })
            .collect(),
        transfers: plan.transfers.len(),
        control_sum: money(&plan.control_sum),
        done,
        problem: problem.map(Into::into),
    })
}

fn done_key(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "confirmed" => Some("done.round_confirmed"),
        "paid" => Some("done.payment_recorded"),
        _ => None,
    }
}

pub(crate) async fn round(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<PaymentRoundId>,
    Query(done): Query<Done>,
) -> PageResult {
    round_page(
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

async fn after(
    state: &AppState,
    lang: Lang,
    viewer: &Viewer,
    auth: &Authorized,
    id: PaymentRoundId,
    outcome: Result<(), ApiError>,
    done: &str,
) -> PageResult {
    match super::settle(
        outcome,
        &format!("/console/payment-rounds/{id}?done={done}"),
    )? {
        Ok(redirect) => Ok(redirect),
        Err(e) => super::with_status(
            round_page(state, lang, viewer, auth, id, None, Some(&e)).await,
            e.status,
        ),
    }
}

/// Confirms the previewed round: each award in it becomes payable.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path(id): Path<PaymentRoundId>,
) -> PageResult {
    let outcome = app::awards::confirm_round(&state.app, &auth.actor(), id)
        .await
        .map(drop)
        .map_err(ApiError::from);
    after(&state, lang, &viewer, &auth, id, outcome, "confirmed").await
}

#[derive(Deserialize)]
pub(crate) struct PaymentForm {
    version: Option<i64>,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    paid_on: String,
    #[serde(default)]
    reference: String,
}

/// Records a payment the bank reported on an award of the round, on the
/// award's version the page showed.
pub(crate) async fn record_payment(
    State(state): State<AppState>,
    lang: Lang,
    viewer: Viewer,
    auth: Authorized,
    Path((id, award)): Path<(PaymentRoundId, AwardId)>,
    body: Result<axum::extract::Form<PaymentForm>, FormRejection>,
) -> PageResult {
    let body = form(body)?;
    let outcome = async {
        let version = body.version.ok_or_else(ApiError::precondition_required)?;
        let amount = amount(&state, "amount", &body.amount)?
            .ok_or_else(|| ApiError::invalid_field("amount", "required", "The amount paid."))?;
        let paid_on = time::Date::parse(
            body.paid_on.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| ApiError::invalid_field("paid_on", "invalid", "A date, YYYY-MM-DD."))?;
        let payment = app::awards::NewPayment {
            amount,
            paid_on,
            reference: body.reference.trim().to_owned(),
        };
        app::awards::record_payment(&state.app, &auth.actor(), award, version, payment).await?;
        Ok(())
    }
    .await;
    after(&state, lang, &viewer, &auth, id, outcome, "paid").await
}

/// The round's ISO 20022 `pain.001.001.09` file for the bank: the API's
/// `GET /v1/payment-rounds/{id}/pain001`, for the signed-in payments staff.
pub(crate) async fn bank_file(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<PaymentRoundId>,
) -> PageResult {
    use axum::http::header;
    let file = app::awards::payment_file(&state.app, &auth.actor(), id).await?;
    let xml = crate::pain001::write(&file).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, crate::pain001::MEDIA_TYPE.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"pain001-{}.xml\"", file.round),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        xml,
    )
        .into_response())
}
