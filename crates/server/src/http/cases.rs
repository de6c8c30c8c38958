//! The Commission's casework API: work queues, assignment, valuation rules,
//! exchange rates for assessments, and individual assessments.
//!
//! A case exists for every recorded claim (the store creates it when the
//! Board records the claim). Handlers validate, load, ask `commission`, and
//! save; the rules of assessment and four eyes live in the domain crate.

use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::authz::Authorized;
use crate::http::json::{Json, Path, Query, etag, if_match_version};
use crate::state::AppState;
use app::need_to_know::NeedToKnow;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use commission::{
    Assessment, AssessmentError, AssessmentInputs, BatchId, CaseAction, CaseId, CaseStatus,
    ErrorCode, ManualEntry, RATE_LOOKBACK_DAYS, RateBook, RecordedRate, RegionCode, ValuationRule,
};
use kernel::id::AccountId;
use kernel::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use store::StoreError;
use store::cases::{AssessmentRate, AssessmentRecord, CaseFilter, CaseRecord, RuleRecord};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

/// The currency awards are proposed in (`REDRESS_AWARD_CURRENCY`, default
/// EUR). Valuation rules must be in it. Changing it mid-programme makes
/// earlier and later awards incomparable: set it once.
pub fn award_currency(state: &AppState) -> Currency {
    state.settings.award_currency
}

/// A case as the Commission's staff see it.
#[derive(Serialize, ToSchema)]
pub struct CaseView {
    #[schema(value_type = String, format = Uuid)]
    pub id: CaseId,
    #[schema(value_type = String, format = Uuid)]
    pub claim_id: register::ClaimId,
    pub category: String,
    pub region: Option<String>,
    /// The claim's total in its main currency.
    #[schema(value_type = Option<Object>)]
    pub claimed: Option<Money>,
    #[schema(value_type = String, example = "awaiting_assessment")]
    pub status: CaseStatus,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub assignee: Option<AccountId>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub batch_id: Option<BatchId>,
    #[schema(value_type = Option<Object>)]
    pub assessment_error: Option<Value>,
    #[schema(value_type = Vec<String>)]
    pub allowed_actions: Vec<CaseAction>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl From<CaseRecord> for CaseView {
    fn from(c: CaseRecord) -> Self {
        Self {
            id: c.id,
            claim_id: c.claim_id,
            category: c.category,
            region: c.region,
            claimed: c.claimed,
            status: c.status,
            assignee: c.assignee,
            batch_id: c.batch_id,
            assessment_error: c.assessment_error,
            allowed_actions: c.status.allowed_actions(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseView>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// awaiting_assessment, assigned, assessed, ready_for_panel, recommended, decided
    pub status: Option<String>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub assignee: Option<String>,
    pub batch: Option<String>,
    /// Claimed amount range (inclusive), in `currency` (default EUR).
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
    pub currency: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

fn uuid_param(field: &str, text: &str) -> ApiResult<uuid::Uuid> {
    text.parse()
        .map_err(|_| ApiError::invalid_field(field, "invalid", "Not an id."))
}

fn decimal_param(field: &str, text: &str) -> ApiResult<Decimal> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::invalid_field(field, "invalid", "Not a decimal amount."))
}

/// The filters shared by the case list, distribution and batches.
pub fn case_filter(q: &CaseQuery, award_currency: Currency) -> ApiResult<CaseFilter> {
    let status = q
        .status
        .as_deref()
        .map(|s| {
            store::cases::case_status_of(s)
                .ok_or_else(|| ApiError::invalid_field("status", "invalid", "Unknown case status."))
        })
        .transpose()?;
    let ranged = q.min_amount.is_some() || q.max_amount.is_some();
    let currency = match (&q.currency, ranged) {
        (Some(c), _) => Some(
            Currency::from_code(c)
                .map_err(|e| ApiError::invalid_field("currency", "invalid", e.to_string()))?,
        ),
        (None, true) => Some(award_currency),
        (None, false) => None,
    };
    Ok(CaseFilter {
        status,
        category: q.category.clone(),
        region: q.region.clone(),
        assignee: q
            .assignee
            .as_deref()
            .map(|a| uuid_param("assignee", a).map(AccountId::from_uuid))
            .transpose()?,
        batch: q
            .batch
            .as_deref()
            .map(|b| uuid_param("batch", b).map(BatchId::from_uuid))
            .transpose()?,
        currency,
        min_amount: q
            .min_amount
            .as_deref()
            .map(|a| decimal_param("min_amount", a))
            .transpose()?,
        max_amount: q
            .max_amount
            .as_deref()
            .map(|a| decimal_param("max_amount", a))
            .transpose()?,
        exclude_categories: Vec::new(),
    })
}

/// The Commission's work queue, filtered and paged by id.
#[utoipa::path(get, path = "/v1/cases", tag = "commission", security(("bearer" = [])),
    params(CaseQuery), responses((status = 200, body = CasePage)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<CaseQuery>,
) -> ApiResult<Json<CasePage>> {
    let mut filter = case_filter(&q, award_currency(&state))?;
    filter.exclude_categories = NeedToKnow::of(state.store.as_ref(), &auth.principal)
        .await?
        .hidden_categories();
    let page = crate::http::json::PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .request()?;
    let page = state.store.cases(&filter, page).await?;
    Ok(Json(CasePage {
        next_cursor: page.next_cursor,
        items: page.items.into_iter().map(CaseView::from).collect(),
    }))
}

#[utoipa::path(get, path = "/v1/cases/{id}", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = CaseView), (status = 404, body = crate::error::ProblemBody)))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<CaseId>,
) -> ApiResult<impl IntoResponse> {
    let case = known_case(&state, &auth, id).await?;
    Ok((etag(case.version), Json(CaseView::from(case))))
}

/// Loads a case the caller may learn of (see `app::cases::known_case`).
pub(crate) async fn known_case(
    state: &AppState,
    auth: &Authorized,
    id: CaseId,
) -> ApiResult<CaseRecord> {
    Ok(app::cases::known_case(&state.app, &auth.actor(), id).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    #[schema(value_type = String, format = Uuid)]
    pub assessor: AccountId,
}

/// Checks that the account exists, is active and holds the assessor role.
async fn ensure_assessor(state: &AppState, account: AccountId, field: &str) -> ApiResult<()> {
    match state.store.account(account).await {
        Ok(a) if a.roles.contains(&kernel::Role::Assessor) => Ok(()),
        Ok(_) => Err(ApiError::invalid_field(
            field,
            "not_an_assessor",
            "That account does not hold the assessor role.",
        )),
        Err(StoreError::NotFound) => Err(ApiError::invalid_field(
            field,
            "unknown_account",
            "No such account.",
        )),
        Err(e) => Err(e.into()),
    }
}

async fn assign_one(
    state: &AppState,
    auth: &Authorized,
    id: CaseId,
    expected_version: Option<i64>,
    assessor: AccountId,
) -> ApiResult<CaseRecord> {
    let case = known_case(state, auth, id).await?;
    if expected_version.is_some_and(|v| v != case.version) {
        return Err(ApiError::precondition_failed());
    }
    if case.batch_id.is_some() {
        return Err(ApiError::conflict("The case is in a batch."));
    }
    if case.status != CaseStatus::Assigned {
        case.status
            .apply(CaseAction::Assign)
            .map_err(|e| domain_conflict(&e.to_string(), e.code()))?;
    }
    match state
        .store
        .assign_case(&auth.audit(None), id, expected_version, assessor)
        .await
    {
        // Changed between the read and the write: the other writer won.
        Err(StoreError::Conflict(_)) if expected_version.is_some() => {
            Err(ApiError::precondition_failed())
        }
        other => Ok(other?),
    }
}

fn domain_conflict(detail: &str, code: &'static str) -> ApiError {
    ApiError::conflict(detail.to_owned()).with("code", code)
}

/// Gives one case to an assessor. Needs `If-Match`: of two people assigning
/// the same case, one wins and the other gets 412.
#[utoipa::path(post, path = "/v1/cases/{id}/assignment", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("If-Match" = String, Header)), request_body = Assign,
    responses((status = 200, body = CaseView), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn assign(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<CaseId>,
    headers: HeaderMap,
    Json(body): Json<Assign>,
) -> ApiResult<impl IntoResponse> {
    let version = if_match_version(&headers)?;
    ensure_assessor(&state, body.assessor, "assessor").await?;
    let case = assign_one(&state, &auth, id, Some(version), body.assessor).await?;
    Ok((etag(case.version), Json(CaseView::from(case))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAssign {
    #[schema(value_type = String, format = Uuid)]
    pub assessor: AccountId,
    #[schema(value_type = Vec<String>)]
    pub cases: Vec<CaseId>,
}

#[derive(Serialize, ToSchema)]
pub struct AssignResult {
    #[schema(value_type = String, format = Uuid)]
    pub case_id: CaseId,
    /// HTTP status this assignment would have had on its own.
    pub status: u16,
    pub version: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub problem: Option<Value>,
}

/// Many cases to one assessor (up to 1,000), each assigned or refused on
/// its own.
#[utoipa::path(post, path = "/v1/cases/assignments", tag = "commission", security(("bearer" = [])),
    request_body = BulkAssign, responses((status = 200, body = Vec<AssignResult>)))]
pub async fn assign_many(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<BulkAssign>,
) -> ApiResult<Json<Vec<AssignResult>>> {
    if body.cases.is_empty() || body.cases.len() > 1000 {
        return Err(ApiError::invalid_field(
            "cases",
            "length",
            "Between 1 and 1,000 cases.",
        ));
    }
    ensure_assessor(&state, body.assessor, "assessor").await?;
    let mut results = Vec::with_capacity(body.cases.len());
    for id in body.cases {
        results.push(
            match assign_one(&state, &auth, id, None, body.assessor).await {
                Ok(case) => AssignResult {
                    case_id: id,
                    status: 200,
                    version: Some(case.version),
                    problem: None,
                },
                Err(e) => AssignResult {
                    case_id: id,
                    status: e.status.as_u16(),
                    version: None,
                    problem: serde_json::to_value(e.body(auth.request_id.clone())).ok(),
                },
            },
        );
    }
    Ok(Json(results))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Distribute {
    #[schema(value_type = Vec<String>)]
    pub assessors: Vec<AccountId>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub currency: Option<String>,
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
    /// Most cases to hand out (default and maximum 10,000).
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct Distribution {
    pub assigned: usize,
    /// Cases per assessor.
    #[schema(value_type = Object)]
    pub per_assessor: BTreeMap<String, usize>,
}

/// Round-robin: spreads the cases awaiting assessment that match the filter
/// evenly over the assessors (oldest case first).
#[utoipa::path(post, path = "/v1/cases/distribute", tag = "commission", security(("bearer" = [])),
    request_body = Distribute, responses((status = 200, body = Distribution)))]
pub async fn distribute(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<Distribute>,
) -> ApiResult<Json<Distribution>> {
    if body.assessors.is_empty() || body.assessors.len() > 500 {
        return Err(ApiError::invalid_field(
            "assessors",
            "length",
            "Between 1 and 500 assessors.",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, a) in body.assessors.iter().enumerate() {
        if !seen.insert(*a) {
            return Err(ApiError::invalid_field(
                &format!("assessors[{i}]"),
                "duplicate",
                "Each assessor once.",
            ));
        }
        ensure_assessor(&state, *a, &format!("assessors[{i}]")).await?;
    }
    let filter = case_filter(
        &CaseQuery {
            category: body.category.clone(),
            region: body.region.clone(),
            currency: body.currency.clone(),
            min_amount: body.min_amount.clone(),
            max_amount: body.max_amount.clone(),
            ..CaseQuery::default()
        },
        award_currency(&state),
    )?;
    let mut filter = filter;
    filter.exclude_categories = NeedToKnow::of(state.store.as_ref(), &auth.principal)
        .await?
        .hidden_categories();
    let limit = body.limit.unwrap_or(10_000).clamp(1, 10_000);
    let done = state
        .store
        .distribute_cases(&auth.audit(None), &filter, &body.assessors, limit)
        .await?;
    let mut per_assessor: BTreeMap<String, usize> =
        body.assessors.iter().map(|a| (a.to_string(), 0)).collect();
    for (_, a) in &done {
        *per_assessor.entry(a.to_string()).or_default() += 1;
    }
    Ok(Json(Distribution {
        assigned: done.len(),
        per_assessor,
    }))
}

// ---------------------------------------------------------------- rules

#[derive(Serialize, ToSchema)]
pub struct RuleView {
    /// The rule as published (`commission::ValuationRule`).
    #[schema(value_type = Object)]
    pub rule: ValuationRule,
    /// Used by an assessment: frozen for good (there is no edit at all).
    pub used: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<RuleRecord> for RuleView {
    fn from(r: RuleRecord) -> Self {
        Self {
            rule: r.rule,
            used: r.used,
            created_at: r.created_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RuleQuery {
    pub category: Option<String>,
}

/// The published valuation rules, every version. Public: claimants may see
/// how their category is valued.
#[utoipa::path(get, path = "/v1/valuation-rules", tag = "commission",
    params(RuleQuery), responses((status = 200, body = Vec<RuleView>)))]
pub async fn rules(
    State(state): State<AppState>,
    Query(q): Query<RuleQuery>,
) -> ApiResult<Json<Vec<RuleView>>> {
    let rules = state.store.valuation_rules(q.category.as_deref()).await?;
    Ok(Json(rules.into_iter().map(RuleView::from).collect()))
}

fn rule_error(e: &commission::RuleError) -> ApiError {
    ApiError::invalid_field("rule", e.code(), e.to_string())
}

/// Publishes a new version of a category's rule. Versions are never
/// edited; a change is a new version.
#[utoipa::path(post, path = "/v1/valuation-rules", tag = "commission", security(("bearer" = [])),
    request_body(content = Object, description = "A `commission::ValuationRule`"),
    responses((status = 201, body = RuleView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn publish_rule(
    State(state): State<AppState>,
    auth: Authorized,
    Json(rule): Json<ValuationRule>,
) -> ApiResult<impl IntoResponse> {
    rule.validate().map_err(|e| rule_error(&e))?;
    let award = award_currency(&state);
    if rule.currency != award {
        return Err(ApiError::invalid_field(
            "currency",
            "not_award_currency",
            format!("Rules value in the award currency, {award}."),
        ));
    }
    let record = state
        .store
        .put_valuation_rule(&auth.audit(None), &rule)
        .await?;
    Ok((StatusCode::CREATED, Json(RuleView::from(record))))
}

// ---------------------------------------------------------------- rates

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordRate {
    #[schema(example = "UAH")]
    pub from: String,
    #[schema(example = "EUR")]
    pub to: String,
    #[schema(example = "2022-03-14")]
    pub date: String,
    #[schema(example = "0.0306")]
    pub rate: String,
    /// Who published it, e.g. `NBU` or `ECB`.
    pub source: String,
}

fn parse_rate(r: &RecordRate) -> Result<AssessmentRate, Vec<FieldError>> {
    let mut errors = Vec::new();
    let from = Currency::from_code(r.from.trim())
        .map_err(|e| errors.push(FieldError::new("from", "invalid", e.to_string())))
        .ok();
    let to = Currency::from_code(r.to.trim())
        .map_err(|e| errors.push(FieldError::new("to", "invalid", e.to_string())))
        .ok();
    let date = Date::parse(
        r.date.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| {
        errors.push(FieldError::new(
            "date",
            "invalid",
            "Not a date (YYYY-MM-DD).",
        ));
    })
    .ok();
    let rate = r
        .rate
        .trim()
        .parse::<Decimal>()
        .ok()
        .filter(|d| *d > Decimal::ZERO);
    if rate.is_none() {
        errors.push(FieldError::new(
            "rate",
            "invalid",
            "A decimal greater than zero.",
        ));
    }
    if r.source.trim().is_empty() || r.source.len() > 200 {
        errors.push(FieldError::new(
            "source",
            "required",
            "Name who published the rate.",
        ));
    }
    if from.is_some() && from == to {
        errors.push(FieldError::new(
            "to",
            "same_currency",
            "The currencies must differ.",
        ));
    }
    match (from, to, date, rate, errors.is_empty()) {
        (Some(from), Some(to), Some(date), Some(rate), true) => Ok(AssessmentRate {
            from,
            to,
            date,
            rate,
            source: r.source.trim().to_owned(),
        }),
        _ => Err(errors),
    }
}

/// Records an exchange rate for assessments (kept apart from the tracker's
/// funding rates). A rate once recorded for a pair and date is not replaced.
#[utoipa::path(post, path = "/v1/exchange-rates", tag = "commission", security(("bearer" = [])),
    request_body = RecordRate,
    responses((status = 201, body = RecordRate), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn record_rate(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<RecordRate>,
) -> ApiResult<impl IntoResponse> {
    let rate = parse_rate(&body)
        .map_err(|errors| ApiError::validation("The exchange rate is not valid.", errors))?;
    let stored = state
        .store
        .record_assessment_rates(&auth.audit(None), std::slice::from_ref(&rate))
        .await?;
    if stored.first() != Some(&true) {
        return Err(ApiError::conflict(format!(
            "A {}/{} rate for {} is already recorded.",
            rate.from, rate.to, rate.date
        )));
    }
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub recorded: usize,
    /// Lines whose pair and date already had a rate (left unchanged).
    pub already_recorded: Vec<usize>,
}

/// Bulk import, `text/csv` with lines `from,to,date,rate,source` (a header
/// line is optional). All or nothing: any invalid line answers 422 with one
/// error per line (`line[N].field`) and records nothing.
#[utoipa::path(post, path = "/v1/exchange-rates/import", tag = "commission", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResult), (status = 422, body = crate::error::ProblemBody)))]
pub async fn import_rates(
    State(state): State<AppState>,
    auth: Authorized,
    body: String,
) -> ApiResult<Json<ImportResult>> {
    let mut rates = Vec::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in body.lines().enumerate() {
        let number = n + 1;
        let line = line.trim();
        if line.is_empty() || (number == 1 && line.to_ascii_lowercase().starts_with("from")) {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() != 5 {
            errors.push(FieldError::new(
                format!("line[{number}]"),
                "columns",
                "Expected from,to,date,rate,source.",
            ));
            continue;
        }
        let r = RecordRate {
            from: cols[0].into(),
            to: cols[1].into(),
            date: cols[2].into(),
            rate: cols[3].into(),
            source: cols[4].into(),
        };
        match parse_rate(&r) {
            Ok(rate) => {
                rates.push(rate);
                lines.push(number);
            }
            Err(es) => errors.extend(es.into_iter().map(|e| {
                FieldError::new(format!("line[{number}].{}", e.field), e.code, e.message)
            })),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(
            format!(
                "{} error(s) in the file; nothing was recorded.",
                errors.len()
            ),
            errors,
        ));
    }
    if rates.is_empty() || rates.len() > 100_000 {
        return Err(ApiError::invalid_field(
            "body",
            "length",
            "Between 1 and 100,000 rates.",
        ));
    }
    let stored = state
        .store
        .record_assessment_rates(&auth.audit(None), &rates)
        .await?;
    Ok(Json(ImportResult {
        recorded: stored.iter().filter(|s| **s).count(),
        already_recorded: lines
            .into_iter()
            .zip(stored)
            .filter(|(_, s)| !s)
            .map(|(l, _)| l)
            .collect(),
    }))
}

/// The recorded rates into `to` that answer for valuation dates in
/// `from..=until` (see `commission::rate_book`).
pub async fn rate_book(
    state: &AppState,
    to: Currency,
    from: Date,
    until: Date,
) -> Result<RateBook, StoreError> {
    let (oldest, newest) = RateBook::dates_needed(from, until);
    let rates = state.store.assessment_rates(to, oldest, newest).await?;
    Ok(RateBook::new(rates.into_iter().map(|r| {
        (
            r.from,
            r.to,
            RecordedRate {
                rate: r.rate,
                date: r.date,
                source: r.source,
            },
        )
    })))
}

/// The inputs of a case for assessment: its stored facts, plus quantities
/// and a manual entry from the request.
pub fn inputs_of(
    case: &CaseRecord,
    quantities: &BTreeMap<String, Decimal>,
    manual: Option<ManualEntry>,
) -> AssessmentInputs {
    let f = &case.facts;
    let submission = f
        .submission_date
        .or(f.incident_date)
        .unwrap_or(case.created_at.date());
    let mut all = f.quantities.clone();
    all.extend(quantities.iter().map(|(k, v)| (k.clone(), *v)));
    AssessmentInputs {
        claimed: f.claimed.clone(),
        quantities: all,
        region: f.region.clone().map(RegionCode),
        incident_date: f.incident_date.unwrap_or(submission),
        submission_date: submission,
        manual,
    }
}

/// The problem for a refused assessment. A missing rate names the
/// currencies and the date.
pub fn assessment_problem(e: &AssessmentError) -> ApiError {
    match e {
        AssessmentError::MissingRate { from, to, on } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing-exchange-rate",
            "No recorded exchange rate",
            format!(
                "No {from}/{to} exchange rate is recorded for {on} (or the {RATE_LOOKBACK_DAYS} days before); record one with POST /v1/exchange-rates."
            ),
        )
        .with("currency", from.code())
        .with("to", to.code())
        .with("date", on.to_string()),
        other => ApiError::validation(
            other.to_string(),
            vec![FieldError::new("assessment", other.code(), other.to_string())],
        ),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assess {
    /// A rule version of the case's category; default the latest.
    pub rule_version: Option<u32>,
    /// Quantities by unit name (e.g. `floor_area_m2`), added to those the
    /// claim gives.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub quantities: BTreeMap<String, Decimal>,
    /// For manual rules or cases above a threshold: amount and justification.
    #[schema(value_type = Option<Object>)]
    pub manual: Option<ManualEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct AssessmentView {
    #[schema(value_type = String, format = Uuid)]
    pub id: commission::AssessmentId,
    #[schema(value_type = String, format = Uuid)]
    pub case_id: CaseId,
    #[schema(value_type = String, format = Uuid)]
    pub assessor: AccountId,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub batch_id: Option<BatchId>,
    /// Rule snapshot, inputs, routing, breakdown, conversions and result.
    #[schema(value_type = Object)]
    pub assessment: Assessment,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<AssessmentRecord> for AssessmentView {
    fn from(a: AssessmentRecord) -> Self {
        Self {
            id: a.id,
            case_id: a.case_id,
            assessor: a.assessor,
            batch_id: a.batch_id,
            assessment: a.assessment,
            created_at: a.created_at,
        }
    }
}

/// Assesses an assigned case individually with its category's rule (or a
/// named version), or records a manual amount where the rule asks for one.
/// Needs the case's `If-Match`.
#[utoipa::path(post, path = "/v1/cases/{id}/assessments", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("If-Match" = String, Header)), request_body = Assess,
    responses((status = 201, body = AssessmentView), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
pub async fn assess(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<CaseId>,
    headers: HeaderMap,
    Json(body): Json<Assess>,
) -> ApiResult<impl IntoResponse> {
    let version = if_match_version(&headers)?;
    let case = known_case(&state, &auth, id).await?;
    if case.version != version {
        return Err(ApiError::precondition_failed());
    }
    if case.batch_id.is_some() {
        return Err(ApiError::conflict(
            "The case is in a batch; it is assessed with the batch.",
        ));
    }
    case.status
        .apply(CaseAction::RecordAssessment)
        .map_err(|e| domain_conflict(&e.to_string(), e.code()))?;
    let rule = match state
        .store
        .valuation_rule(&case.category, body.rule_version)
        .await
    {
        Ok(r) => r.rule,
        Err(StoreError::NotFound) => {
            return Err(ApiError::invalid_field(
                "rule_version",
                "no_rule",
                format!("No valuation rule is published for {}.", case.category),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let inputs = inputs_of(&case, &body.quantities, body.manual);
    let on = commission::valuation_date(&rule, &inputs);
    let rates = rate_book(&state, rule.currency, on, on).await?;
    let assessment =
        commission::assess(&rule, &inputs, &rates).map_err(|e| assessment_problem(&e))?;
    let (case, record) = match state
        .store
        .record_assessment(
            &auth.audit(None),
            id,
            Some(version),
            auth.principal.account,
            &assessment,
        )
        .await
    {
        Err(StoreError::Conflict(_)) => return Err(ApiError::precondition_failed()),
        other => other?,
    };
    Ok((
        StatusCode::CREATED,
        etag(case.version),
        Json(AssessmentView::from(record)),
    ))
}

/// Every assessment of the case, oldest first, each with what it was
/// computed from.
#[utoipa::path(get, path = "/v1/cases/{id}/assessments", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<AssessmentView>)))]
pub async fn assessments(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<CaseId>,
) -> ApiResult<Json<Vec<AssessmentView>>> {
    known_case(&state, &auth, id).await?;
    let list = state.store.assessments(id).await?;
    Ok(Json(list.into_iter().map(AssessmentView::from).collect()))
}

/// JSON of a money amount.
pub fn money_json(m: &Money) -> Value {
    json!({ "amount": m.amount().to_string(), "currency": m.currency().code() })
}

/// A refused assessment as stored on the case by the batch job.
pub fn assessment_error_json(e: &AssessmentError) -> Value {
    match e {
        AssessmentError::MissingRate { from, to, on } => json!({
            "code": e.code(), "message": e.to_string(),
            "currency": from.code(), "to": to.code(), "date": on.to_string(),
        }),
        other => json!({ "code": other.code(), "message": other.to_string() }),
    }
}
