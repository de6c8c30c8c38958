//! The Commission's casework API: work queues, assignment, valuation rules,
//! exchange rates for assessments, and individual assessments.
//!
//! A case exists for every recorded claim (the store creates it when the
//! Board records the claim). Handlers read the request, call
//! `app::cases`, and present its outcome.

use crate::authz::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::{
    Json, PageParams, Path, Query, etag, etag_text, if_match_version, key_page_request,
};
use crate::state::AppState;
use app::cases::{CaseCriteria, RateText};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use commission::{Assessment, BatchId, CaseAction, CaseId, CaseStatus, ManualEntry, ValuationRule};
use kernel::Money;
use kernel::id::AccountId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use store::cases::{AssessmentRate, AssessmentRecord, CaseRecord, RuleRecord};
use time::OffsetDateTime;
use utoipa::ToSchema;

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
    #[schema(value_type = Option<crate::views::schema::Money>)]
    pub claimed: Option<Money>,
    #[schema(value_type = crate::views::schema::CaseStatus, example = "awaiting_assessment")]
    pub status: CaseStatus,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub assignee: Option<AccountId>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub batch_id: Option<BatchId>,
    /// Why the batch job could not assess the case, if it could not.
    #[schema(value_type = Option<crate::views::schema::AssessmentError>)]
    pub assessment_error: Option<Value>,
    #[schema(value_type = Vec<crate::views::schema::CaseAction>)]
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

impl CaseQuery {
    /// The filters, as written.
    fn criteria(&self) -> CaseCriteria {
        CaseCriteria {
            status: self.status.clone(),
            category: self.category.clone(),
            region: self.region.clone(),
            assignee: self.assignee.clone(),
            batch: self.batch.clone(),
            currency: self.currency.clone(),
            min_amount: self.min_amount.clone(),
            max_amount: self.max_amount.clone(),
        }
    }
}

/// The Commission's work queue, filtered and paged by id.
#[utoipa::path(get, path = "/v1/cases", tag = "commission", security(("bearer" = [])),
    params(CaseQuery), responses((status = 200, body = CasePage)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<CaseQuery>,
) -> ApiResult<Json<CasePage>> {
    let filter = q.criteria().read()?;
    let page = crate::extract::PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .request()?;
    let page = app::cases::list_cases(&state.app, &auth.actor(), filter, page).await?;
    Ok(Json(CasePage {
        next_cursor: page.next_cursor,
        items: page.items.into_iter().map(CaseView::from).collect(),
    }))
}

/// Read one case, with the actions its status allows.
#[utoipa::path(get, path = "/v1/cases/{id}", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = CaseView), (status = 404, body = crate::error::ProblemBody)))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<CaseId>,
) -> ApiResult<impl IntoResponse> {
    let case = app::cases::known_case(&state.app, &auth.actor(), id).await?;
    Ok((etag(case.version), Json(CaseView::from(case))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assessor": "01a24b20-5b67-757f-9050-b4742f615871"}))]
pub struct Assign {
    #[schema(value_type = String, format = Uuid)]
    pub assessor: AccountId,
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
    let case = app::cases::assign(&state.app, &auth.actor(), id, version, body.assessor).await?;
    Ok((etag(case.version), Json(CaseView::from(case))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assessor": "01a24b20-5b67-757f-9050-b4742f615871", "cases": ["01a24b20-5b68-7693-b452-d9f72f4ede13", "01a24b20-6c01-7a10-8d3e-0c2b1f9e4a77"]}))]
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
    /// The case's new ETag (`"v4"`), when assigned.
    #[schema(example = "\"v4\"")]
    pub etag: Option<String>,
    /// The problem, when the case was not assigned.
    #[schema(value_type = Option<crate::error::ProblemBody>)]
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
    let results =
        app::cases::assign_many(&state.app, &auth.actor(), body.assessor, &body.cases).await?;
    Ok(Json(
        results
            .into_iter()
            .map(|(case_id, outcome)| match outcome {
                Ok(case) => AssignResult {
                    case_id,
                    status: 200,
                    etag: Some(etag_text(case.version)),
                    problem: None,
                },
                Err(e) => {
                    let e = ApiError::from(e);
                    AssignResult {
                        case_id,
                        status: e.status.as_u16(),
                        etag: None,
                        problem: serde_json::to_value(e.body(auth.request_id.clone())).ok(),
                    }
                }
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assessors": ["01a24b20-5b67-757f-9050-b4742f615871", "01a24b20-5b68-7693-b452-d9f72f4ede13"], "category": "A3.1"}))]
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
    /// Cases per assessor (by account id).
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
    let command = app::cases::Distribute {
        assessors: body.assessors,
        criteria: CaseCriteria {
            category: body.category,
            region: body.region,
            currency: body.currency,
            min_amount: body.min_amount,
            max_amount: body.max_amount,
            ..CaseCriteria::default()
        },
        limit: body.limit,
    };
    let done = app::cases::distribute(&state.app, &auth.actor(), &command).await?;
    Ok(Json(Distribution {
        assigned: done.assigned.len(),
        per_assessor: done
            .per_assessor
            .into_iter()
            .map(|(a, n)| (a.to_string(), n))
            .collect(),
    }))
}

// ---------------------------------------------------------------- rules

#[derive(Serialize, ToSchema)]
pub struct RuleView {
    /// The rule as published.
    #[schema(value_type = crate::views::schema::ValuationRule)]
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
    /// A category code.
    pub category: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

page_of!(
    /// A page of valuation rule versions.
    RulePage,
    RuleView
);

/// List the published valuation rules, every version, by category then
/// version, cursor-paged. Public: claimants may see how their category is
/// valued.
#[utoipa::path(get, path = "/v1/valuation-rules", tag = "commission",
    params(RuleQuery), responses((status = 200, body = RulePage),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn rules(
    State(state): State<AppState>,
    Query(q): Query<RuleQuery>,
) -> ApiResult<Json<RulePage>> {
    let page = key_page_request(q.limit, q.cursor.as_deref())?;
    let rules = app::cases::valuation_rules(&state.app, q.category.as_deref(), &page).await?;
    Ok(Json(rules.into()))
}

/// Publishes a new version of a category's rule. The server assigns the
/// version, the next of the category (1 for its first rule): a body naming
/// a `version` is refused (422, field `version`, code `read_only`).
/// Versions are never edited; a change is a new version.
#[utoipa::path(post, path = "/v1/valuation-rules", tag = "commission", security(("bearer" = [])),
    request_body(content = crate::views::schema::RuleDraft,
        description = "A valuation rule without its version"),
    responses((status = 201, body = RuleView), (status = 409, body = crate::error::ProblemBody),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn publish_rule(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    if body.get("version").is_some() {
        return Err(ApiError::invalid_field(
            "version",
            "read_only",
            "Rule versions are assigned by the server: leave `version` out.",
        ));
    }
    let draft: commission::RuleDraft = crate::extract::from_value(&body)?;
    let record = app::cases::publish_rule(&state.app, &auth.actor(), draft).await?;
    Ok((StatusCode::CREATED, Json(RuleView::from(record))))
}

// ---------------------------------------------------------------- rates

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "UAH", "to": "EUR", "date": "2022-03-14", "rate": "0.0306", "source": "NBU"}))]
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

impl RecordRate {
    fn text(&self) -> RateText {
        RateText {
            from: self.from.clone(),
            to: self.to.clone(),
            date: self.date.clone(),
            rate: self.rate.clone(),
            source: self.source.clone(),
        }
    }
}

/// A recorded exchange rate for assessments.
#[derive(Serialize, ToSchema)]
pub struct RateView {
    #[schema(example = "UAH")]
    pub from: String,
    #[schema(example = "EUR")]
    pub to: String,
    #[schema(example = "2022-03-14", format = Date)]
    pub date: String,
    /// Units of `to` for one unit of `from`.
    #[schema(example = "0.0306")]
    pub rate: String,
    /// Who published it, e.g. `NBU` or `ECB`.
    pub source: String,
}

impl From<AssessmentRate> for RateView {
    fn from(r: AssessmentRate) -> Self {
        Self {
            from: r.from.code().to_owned(),
            to: r.to.code().to_owned(),
            date: r.date.to_string(),
            rate: r.rate.normalize().to_string(),
            source: r.source,
        }
    }
}

page_of!(
    /// A page of recorded exchange rates.
    RatePage,
    RateView
);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RateQuery {
    /// ISO 4217 code of the currency converted from.
    pub from: Option<String>,
    /// ISO 4217 code of the currency converted into.
    pub to: Option<String>,
    /// Rates dated on or after this day (`YYYY-MM-DD`).
    pub since: Option<String>,
    /// Rates dated on or before this day (`YYYY-MM-DD`).
    pub until: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List the exchange rates recorded for assessments, by currency pair then
/// date, filtered and cursor-paged.
#[utoipa::path(get, path = "/v1/exchange-rates", tag = "commission", security(("bearer" = [])),
    params(RateQuery), responses((status = 200, body = RatePage),
        (status = 422, body = crate::error::ProblemBody)))]
pub async fn rates(
    State(state): State<AppState>,
    Query(q): Query<RateQuery>,
) -> ApiResult<Json<RatePage>> {
    let page = key_page_request(q.limit, q.cursor.as_deref())?;
    let criteria = app::cases::RateCriteria {
        from: q.from,
        to: q.to,
        since: q.since,
        until: q.until,
    };
    let list = app::cases::exchange_rates(&state.app, &criteria, &page).await?;
    Ok(Json(list.into()))
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
    app::cases::record_rate(&state.app, &auth.actor(), &body.text()).await?;
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
    request_body(content = String, content_type = "text/csv",
        example = "from,to,date,rate,source\nUAH,EUR,2022-03-14,0.0306,NBU\nUSD,EUR,2022-03-14,0.9123,ECB\n"),
    responses((status = 200, body = ImportResult), (status = 422, body = crate::error::ProblemBody)))]
pub async fn import_rates(
    State(state): State<AppState>,
    auth: Authorized,
    body: String,
) -> ApiResult<Json<ImportResult>> {
    let imported = app::cases::import_rates(&state.app, &auth.actor(), &body).await?;
    Ok(Json(ImportResult {
        recorded: imported.recorded,
        already_recorded: imported.already_recorded,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quantities": {"floor_area_m2": "112.5"}}))]
pub struct Assess {
    /// A rule version of the case's category; default the latest.
    pub rule_version: Option<u32>,
    /// Quantities by unit name (e.g. `floor_area_m2`), added to those the
    /// claim gives.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    pub quantities: BTreeMap<String, Decimal>,
    /// For manual rules or cases above a threshold: amount and justification.
    #[schema(value_type = Option<crate::views::schema::ManualEntry>)]
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
    #[schema(value_type = crate::views::schema::Assessment)]
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
    let command = app::cases::AssessCase {
        rule_version: body.rule_version,
        quantities: body.quantities,
        manual: body.manual,
    };
    let assessed = app::cases::assess(&state.app, &auth.actor(), id, version, command).await?;
    Ok((
        StatusCode::CREATED,
        etag(assessed.case.version),
        Json(AssessmentView::from(assessed.assessment)),
    ))
}

page_of!(
    /// A page of a case's assessments.
    AssessmentPage,
    AssessmentView
);

/// List the assessments of the case, oldest first, each with what it was
/// computed from, cursor-paged.
#[utoipa::path(get, path = "/v1/cases/{id}/assessments", tag = "commission", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses((status = 200, body = AssessmentPage)))]
pub async fn assessments(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<CaseId>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<AssessmentPage>> {
    let list =
        app::cases::assessment_page(&state.app, &auth.actor(), id, params.request()?).await?;
    Ok(Json(list.into()))
}
