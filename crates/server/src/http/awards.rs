//! Awards through HTTP: the ledger, payments reported, payees, unreachable
//! payees, and the awards report. Redress moves no money.

use crate::authz::Authorized;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query, etag, if_match_version, page_request};
use crate::http::council::day;
use crate::state::AppState;
use app::Actor;
use app::awards::{AwardTotals, GroupedTotals, NewPayees, NewPayment};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use commission::{
    AwardId, AwardStatus, BankAccount, CaseId, ClaimantKind, DecisionId, GivenBankAccount, Heir,
    Payees, Payment,
};
use kernel::Money;
use kernel::id::AccountId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use store::decisions::AwardRecord;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AwardView {
    #[schema(value_type = String, format = Uuid)]
    pub id: AwardId,
    #[schema(value_type = String, format = Uuid)]
    pub case_id: CaseId,
    #[schema(value_type = String, format = Uuid)]
    pub decision_id: DecisionId,
    #[schema(value_type = crate::views::schema::Money)]
    pub amount: Money,
    #[schema(value_type = crate::views::schema::Money)]
    pub paid: Money,
    #[schema(value_type = crate::views::schema::Money)]
    pub outstanding: Money,
    /// What confirmed payment rounds allotted to the award, in total:
    /// payments never exceed it. Absent until a round is confirmed.
    #[schema(value_type = Option<crate::views::schema::Money>)]
    pub allotted: Option<Money>,
    #[schema(value_type = crate::views::schema::AwardStatus)]
    pub status: AwardStatus,
    /// Each payee's `iban` and `bic` are masked (`UA21 **** **** 6001`,
    /// `PBANUA**`) unless `bank_details` is `full`.
    #[schema(value_type = crate::views::schema::Payees)]
    pub payees: Value,
    /// `full` for whoever may manage payments, `masked` for everyone else.
    #[schema(value_type = crate::views::schema::BankDetailsShown)]
    pub bank_details: &'static str,
    #[schema(value_type = Vec<crate::views::schema::Payment>)]
    pub payments: Vec<Payment>,
    #[schema(value_type = crate::views::schema::ClaimantKind)]
    pub claimant_kind: ClaimantKind,
    pub category: String,
    pub region: Option<String>,
    pub version: i64,
}

/// The payees as shown: the masked bank details kept on the award, or the
/// accounts in full where given, flattened into each payee's `iban` and
/// `bic` as a request writes them.
fn payees_shown(payees: &Payees, accounts: Option<&[Option<BankAccount>]>) -> Value {
    let mut value = serde_json::to_value(payees).unwrap_or(Value::Null);
    let show = |payee: &mut Map<String, Value>, position: usize| {
        let masked = payee.remove("bank");
        match accounts
            .and_then(|a| a.get(position))
            .and_then(Option::as_ref)
        {
            Some(full) => {
                payee.insert("iban".into(), full.iban().into());
                payee.insert("bic".into(), full.bic().into());
            }
            None => {
                if let Some(Value::Object(masked)) = masked {
                    payee.extend(masked);
                }
            }
        }
    };
    if let Some(Value::Array(heirs)) = value.get_mut("heirs") {
        for (position, heir) in heirs.iter_mut().enumerate() {
            if let Value::Object(heir) = heir {
                show(heir, position);
            }
        }
    } else if let Value::Object(payee) = &mut value {
        show(payee, 0);
    }
    value
}

impl AwardView {
    /// With the payees' accounts in full when `accounts` is given.
    pub fn shown(r: AwardRecord, accounts: Option<Vec<Option<BankAccount>>>) -> Self {
        let full = accounts.map(|a| payees_shown(&r.award.payees, Some(&a)));
        let mut view = Self::from(r);
        if let Some(payees) = full {
            view.payees = payees;
            view.bank_details = "full";
        }
        view
    }
}

/// The award as the caller may see it: bank details in full for whoever
/// may manage payments.
fn present(state: &AppState, actor: &Actor, record: AwardRecord) -> ApiResult<AwardView> {
    let accounts = app::awards::payee_accounts(&state.app, actor, &record)?;
    Ok(AwardView::shown(record, accounts))
}

impl From<AwardRecord> for AwardView {
    fn from(r: AwardRecord) -> Self {
        let a = r.award;
        Self {
            id: a.id,
            case_id: a.case,
            decision_id: a.decision,
            amount: a.amount,
            paid: a.paid().unwrap_or(a.amount),
            outstanding: a.outstanding().unwrap_or(a.amount),
            allotted: a.allotted,
            status: a.status(),
            payees: payees_shown(&a.payees, None),
            bank_details: "masked",
            payments: a.payments.clone(),
            claimant_kind: r.claimant_kind,
            category: r.category,
            region: r.region,
            version: r.version,
        }
    }
}

page_of!(
    /// A page of the awards ledger.
    AwardPage,
    AwardView
);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AwardQuery {
    /// awarded, payable, partially_paid, paid, payee_unreachable
    pub status: Option<String>,
    /// ISO 4217 code of the award's currency.
    pub currency: Option<String>,
    /// A category code.
    pub category: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List awards: the ledger, oldest first, filtered and cursor-paged.
#[utoipa::path(get, path = "/v1/awards", tag = "decisions", security(("bearer" = [])),
    params(AwardQuery), responses((status = 200, body = AwardPage),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn awards(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<AwardQuery>,
) -> ApiResult<Json<AwardPage>> {
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let criteria = app::awards::AwardCriteria {
        status: q.status,
        currency: q.currency,
        category: q.category,
    };
    let actor = auth.actor();
    let list = app::awards::awards(&state.app, &actor, &criteria, page).await?;
    let items = list
        .items
        .into_iter()
        .map(|r| present(&state, &actor, r))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(AwardPage {
        items,
        next_cursor: list.next_cursor,
    }))
}

/// One award with its payments.
#[utoipa::path(get, path = "/v1/awards/{id}", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = AwardView)))]
pub async fn award(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AwardId>,
) -> ApiResult<impl IntoResponse> {
    let actor = auth.actor();
    let a = app::awards::award(&state.app, &actor, id).await?;
    Ok((etag(a.version), Json(present(&state, &actor, a)?)))
}

/// Someone the award is paid to, as the claimant sees them: bank details
/// only ever masked.
#[derive(Serialize, ToSchema)]
pub struct PayeeLine {
    /// `claimant`, `representative` or `heir`.
    pub kind: &'static str,
    /// Absent for the claimant in person.
    pub name: Option<String>,
    /// An heir's share of the award, e.g. `"0.5"`.
    #[schema(value_type = Option<String>)]
    pub share: Option<rust_decimal::Decimal>,
    /// The account paid into, masked (`UA21 **** **** 5678`); absent until
    /// bank details are on file.
    pub account: Option<String>,
}

fn payee_lines(payees: &commission::Payees) -> Vec<PayeeLine> {
    let masked =
        |bank: &Option<commission::MaskedBankAccount>| bank.as_ref().map(|b| b.iban.clone());
    match payees {
        commission::Payees::Claimant { bank } => vec![PayeeLine {
            kind: "claimant",
            name: None,
            share: None,
            account: masked(bank),
        }],
        commission::Payees::Representative { name, bank, .. } => vec![PayeeLine {
            kind: "representative",
            name: Some(name.clone()),
            share: None,
            account: masked(bank),
        }],
        commission::Payees::Heirs { heirs } => heirs
            .iter()
            .map(|h| PayeeLine {
                kind: "heir",
                name: Some(h.name.clone()),
                share: Some(h.share),
                account: masked(&h.bank),
            })
            .collect(),
    }
}

/// The award on a claim as its claimant sees it: what the decision in
/// force awards, what was paid, and what is still owed.
#[derive(Serialize, ToSchema)]
pub struct ClaimantAward {
    #[schema(value_type = crate::views::schema::Money)]
    pub amount: Money,
    #[schema(value_type = crate::views::schema::Money)]
    pub paid: Money,
    /// The balance still owed.
    #[schema(value_type = crate::views::schema::Money)]
    pub outstanding: Money,
    #[schema(value_type = crate::views::schema::AwardStatus)]
    pub status: AwardStatus,
    pub payees: Vec<PayeeLine>,
    /// Oldest first.
    #[schema(value_type = Vec<crate::views::schema::Payment>)]
    pub payments: Vec<Payment>,
}

/// Where a claim stands and, once decided, its award.
#[derive(Serialize, ToSchema)]
pub struct ClaimAwardView {
    /// draft, submitted, under_review, information_requested, rejected,
    /// withdrawn, awaiting_assessment, being_assessed, before_panel,
    /// before_council, dismissed, awarded, payable, partially_paid, paid,
    /// payee_unreachable
    #[schema(example = "partially_paid")]
    pub stage: &'static str,
    /// The number of the final decision in force (a correction's, once
    /// corrected).
    #[schema(value_type = Option<String>, example = "ICC-DEC-2027-000001")]
    pub decision_number: Option<commission::DecisionNumber>,
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<String>,
    /// Absent until a final decision awards compensation.
    pub award: Option<ClaimantAward>,
}

impl From<app::progress::ClaimProgress> for ClaimAwardView {
    fn from(p: app::progress::ClaimProgress) -> Self {
        let decision = p.decision.map(|d| d.decision);
        Self {
            stage: p.stage.code(),
            decision_number: decision.as_ref().and_then(|d| d.number),
            decided_on: decision
                .as_ref()
                .and_then(|d| d.decided_on)
                .map(|d| d.to_string()),
            award: p.award.map(|r| {
                let a = r.award;
                ClaimantAward {
                    amount: a.amount,
                    paid: a.paid().unwrap_or(a.amount),
                    outstanding: a.outstanding().unwrap_or(a.amount),
                    status: a.status(),
                    payees: payee_lines(&a.payees),
                    payments: a.payments.clone(),
                }
            }),
        }
    }
}

/// The award on the caller's own claim (staff see any claim they may
/// read): where the claim stands, the final decision in force, the award
/// after any correction, who is paid, each payment and the balance still
/// owed. `award` is absent until a final decision awards compensation.
/// Unknown or not yours: 404.
#[utoipa::path(get, path = "/v1/claims/{id}/award", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ClaimAwardView), (status = 404, body = crate::error::ProblemBody)))]
pub async fn claim_award(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<register::ClaimId>,
) -> ApiResult<Json<ClaimAwardView>> {
    let progress = app::progress::claim_progress(&state.app, &auth.actor(), id).await?;
    Ok(Json(progress.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": {"amount": "34000.00", "currency": "EUR"}, "paid_on": "2027-06-01", "reference": "PR-2027-01/T1"}))]
pub struct RecordPayment {
    #[schema(value_type = crate::views::schema::Money)]
    pub amount: Money,
    #[schema(value_type = String, format = Date)]
    pub paid_on: String,
    pub reference: String,
}

/// Records a payment reported on a payable award. Redress moves no money.
/// Refused with 422: a `paid_on` after today (`future_date`), an `amount`
/// above what confirmed payment rounds allotted to the award and is not
/// yet paid (`exceeds_allotment`) or above the outstanding balance
/// (`overpayment`). `If-Match` (the award's ETag) required: 428 without
/// it, 412 when stale. Gated.
#[utoipa::path(post, path = "/v1/awards/{id}/payments", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = RecordPayment,
    responses((status = 201, body = AwardView), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody),
        (status = 428, body = crate::error::ProblemBody)))]
pub async fn record_payment(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AwardId>,
    headers: HeaderMap,
    Json(body): Json<RecordPayment>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match_version(&headers)?;
    let payment = NewPayment {
        amount: body.amount,
        paid_on: day("paid_on", &body.paid_on)?,
        reference: body.reference,
    };
    let actor = auth.actor();
    let saved = app::awards::record_payment(&state.app, &actor, id, expected, payment).await?;
    Ok((
        StatusCode::CREATED,
        etag(saved.version),
        Json(present(&state, &actor, saved)?),
    ))
}

/// Payees as a request writes them: each with an optional `iban` and `bic`.
#[derive(Deserialize)]
#[serde(tag = "payee", rename_all = "snake_case")]
pub enum PayeesInput {
    Claimant {
        #[serde(default)]
        iban: Option<String>,
        #[serde(default)]
        bic: Option<String>,
    },
    Representative {
        name: String,
        #[serde(default)]
        account: Option<AccountId>,
        #[serde(default)]
        iban: Option<String>,
        #[serde(default)]
        bic: Option<String>,
    },
    Heirs {
        heirs: Vec<HeirInput>,
    },
}

#[derive(Deserialize)]
pub struct HeirInput {
    name: String,
    #[serde(default)]
    account: Option<AccountId>,
    share: Decimal,
    #[serde(default)]
    iban: Option<String>,
    #[serde(default)]
    bic: Option<String>,
}

impl From<PayeesInput> for NewPayees {
    fn from(input: PayeesInput) -> Self {
        let given = |iban, bic| GivenBankAccount { iban, bic };
        match input {
            PayeesInput::Claimant { iban, bic } => Self {
                payees: Payees::claimant(),
                bank_details: vec![given(iban, bic)],
            },
            PayeesInput::Representative {
                name,
                account,
                iban,
                bic,
            } => Self {
                payees: Payees::Representative {
                    name,
                    account,
                    bank: None,
                },
                bank_details: vec![given(iban, bic)],
            },
            PayeesInput::Heirs { heirs } => {
                let bank_details = heirs
                    .iter()
                    .map(|h| given(h.iban.clone(), h.bic.clone()))
                    .collect();
                let heirs = heirs
                    .into_iter()
                    .map(|h| Heir {
                        name: h.name,
                        account: h.account,
                        share: h.share,
                        bank: None,
                    })
                    .collect();
                Self {
                    payees: Payees::Heirs { heirs },
                    bank_details,
                }
            }
        }
    }
}

/// Sets who is paid: the claimant, a representative, or heirs with shares
/// summing to exactly 1 (`{"payee": "heirs", "heirs": [{"name", "share"}]}`),
/// each with an optional `iban` and `bic` (both or neither). Bank details
/// are checked: 422 with the field at fault (`iban`, `heirs[1].bic`) and
/// its code (`invalid_iban`, `invalid_bic`, `bic_mismatch`, `missing_iban`,
/// `missing_bic`); they are kept sealed and shown masked except to whoever
/// manages payments. A payee without is blocked from payment files. New
/// payee details make an unreachable payee reachable again. `If-Match`
/// required. Gated.
#[utoipa::path(put, path = "/v1/awards/{id}/payees", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body(content = crate::views::schema::Payees),
    responses((status = 200, body = AwardView), (status = 412, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn set_payees(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AwardId>,
    headers: HeaderMap,
    Json(payees): Json<PayeesInput>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match_version(&headers)?;
    let actor = auth.actor();
    let saved = app::awards::set_payees(&state.app, &actor, id, expected, payees.into()).await?;
    Ok((etag(saved.version), Json(present(&state, &actor, saved)?)))
}

/// Marks the payee unreachable while a balance is outstanding (status
/// `payee_unreachable`; no payments until reversed). `If-Match` required.
/// Gated.
#[utoipa::path(post, path = "/v1/awards/{id}/payee-unreachable", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AwardView), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn mark_payee_unreachable(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AwardId>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match_version(&headers)?;
    let actor = auth.actor();
    let saved = app::awards::mark_payee_unreachable(&state.app, &actor, id, expected).await?;
    Ok((etag(saved.version), Json(present(&state, &actor, saved)?)))
}

/// Reverses the mark: the payee was reached. `If-Match` required. Gated.
#[utoipa::path(delete, path = "/v1/awards/{id}/payee-unreachable", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AwardView), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn unmark_payee_unreachable(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<AwardId>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match_version(&headers)?;
    let actor = auth.actor();
    let saved = app::awards::mark_payee_reachable(&state.app, &actor, id, expected).await?;
    Ok((etag(saved.version), Json(present(&state, &actor, saved)?)))
}

/// Totals in the currency whose code keys them: amounts at its minor unit.
#[derive(Default, Serialize, ToSchema)]
pub struct Totals {
    pub count: u64,
    #[schema(example = "76500.00")]
    pub awarded: String,
    #[schema(example = "10000.00")]
    pub paid: String,
    #[schema(example = "66500.00")]
    pub outstanding: String,
}

impl Totals {
    fn of(t: &AwardTotals, currency: &str) -> Self {
        let text = |d| crate::views::money::text(d, currency);
        Self {
            count: t.count,
            awarded: text(t.awarded),
            paid: text(t.paid),
            outstanding: text(t.outstanding),
        }
    }
}

/// Totals per group, then per currency (never summed across currencies).
pub type Grouped = BTreeMap<String, BTreeMap<String, Totals>>;

fn grouped(g: GroupedTotals) -> Grouped {
    g.into_iter()
        .map(|(key, by_currency)| {
            let by_currency = by_currency
                .into_iter()
                .map(|(c, t)| {
                    let totals = Totals::of(&t, &c);
                    (c, totals)
                })
                .collect();
            (key, by_currency)
        })
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct AwardReport {
    /// Per category, then per currency.
    #[schema(value_type = BTreeMap<String, BTreeMap<String, Totals>>)]
    pub by_category: Grouped,
    /// Per region, then per currency.
    #[schema(value_type = BTreeMap<String, BTreeMap<String, Totals>>)]
    pub by_region: Grouped,
    /// Per award status, then per currency.
    #[schema(value_type = BTreeMap<String, BTreeMap<String, Totals>>)]
    pub by_status: Grouped,
    /// Per currency.
    pub by_currency: BTreeMap<String, Totals>,
}

/// Award totals by category, region, status and currency.
#[utoipa::path(get, path = "/v1/reports/awards", tag = "decisions", security(("bearer" = [])),
    responses((status = 200, body = AwardReport)))]
pub async fn report(State(state): State<AppState>) -> ApiResult<Json<AwardReport>> {
    let r = app::awards::report(&state.app).await?;
    Ok(Json(AwardReport {
        by_category: grouped(r.by_category),
        by_region: grouped(r.by_region),
        by_status: grouped(r.by_status),
        by_currency: r
            .by_currency
            .into_iter()
            .map(|(c, t)| {
                let totals = Totals::of(&t, &c);
                (c, totals)
            })
            .collect(),
    }))
}
