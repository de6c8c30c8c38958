//! Commission casework: cases, assignment, valuation rules, exchange rates,
//! individual assessment.
//!
//! A case exists for every recorded claim (the store creates it when the
//! Board records the claim). The rules of a case's path, of assessment and
//! of which exchange rate answers for a date live in `commission`; here
//! they meet the store.

use crate::error::FieldError;
use crate::need_to_know::NeedToKnow;
use crate::{Actor, App, AppError, AppResult, ErrorClass, currency_filter};
use commission::{
    AssessmentError, AssessmentInputs, BatchId, CaseAction, CaseId, CaseStatus, ErrorCode,
    ManualEntry, RATE_LOOKBACK_DAYS, RateBook, RecordedRate, RegionCode, RuleDraft,
};
use kernel::id::AccountId;
use kernel::{Currency, KeyPageRequest, Page, PageRequest};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use store::StoreError;
use store::cases::{
    AssessmentRate, AssessmentRecord, CaseFilter, CaseRecord, RateFilter, RuleRecord,
};
use time::Date;

/// Loads a case the caller may learn of: a case of a sensitive category is
/// "not found" to staff without the clearance.
pub async fn known_case(app: &App, actor: &Actor, id: CaseId) -> AppResult<CaseRecord> {
    let case = app.store.case(id).await?;
    NeedToKnow::of(app.store.as_ref(), &actor.principal)
        .await?
        .check_category(&case.category)?;
    Ok(case)
}

// ------------------------------------------------------------- filters

/// Case filters as people write them (a query string, a form, a batch's
/// selection), before they are read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseCriteria {
    /// A case status, e.g. `awaiting_assessment`.
    pub status: Option<String>,
    pub category: Option<String>,
    pub region: Option<String>,
    /// An account id.
    pub assignee: Option<String>,
    /// A batch id.
    pub batch: Option<String>,
    /// The currency of the amount range; the award currency when a range is
    /// given without one.
    pub currency: Option<String>,
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
}

fn uuid_field(field: &str, text: &str) -> AppResult<uuid::Uuid> {
    text.parse()
        .map_err(|_| AppError::invalid_field(field, "invalid", "Not an id."))
}

fn decimal_field(field: &str, text: &str) -> AppResult<Decimal> {
    text.trim()
        .parse()
        .map_err(|_| AppError::invalid_field(field, "invalid", "Not a decimal amount."))
}

impl CaseCriteria {
    /// The filter these criteria name; the first field that cannot be read
    /// is refused.
    pub fn read(&self) -> AppResult<CaseFilter> {
        let status = self
            .status
            .as_deref()
            .map(|s| {
                store::cases::case_status_of(s).ok_or_else(|| {
                    AppError::invalid_field("status", "invalid", "Unknown case status.")
                })
            })
            .transpose()?;
        let currency = self
            .currency
            .as_deref()
            .map(|c| {
                Currency::from_code(c)
                    .map_err(|e| AppError::invalid_field("currency", "invalid", e.to_string()))
            })
            .transpose()?;
        Ok(CaseFilter {
            status,
            category: self.category.clone(),
            region: self.region.clone(),
            assignee: self
                .assignee
                .as_deref()
                .map(|a| uuid_field("assignee", a).map(AccountId::from_uuid))
                .transpose()?,
            batch: self
                .batch
                .as_deref()
                .map(|b| uuid_field("batch", b).map(BatchId::from_uuid))
                .transpose()?,
            currency,
            min_amount: self
                .min_amount
                .as_deref()
                .map(|a| decimal_field("min_amount", a))
                .transpose()?,
            max_amount: self
                .max_amount
                .as_deref()
                .map(|a| decimal_field("max_amount", a))
                .transpose()?,
            exclude_categories: Vec::new(),
        })
    }
}

/// An amount range without a currency is in the award currency.
pub(crate) fn in_award_currency(app: &App, mut filter: CaseFilter) -> CaseFilter {
    let ranged = filter.min_amount.is_some() || filter.max_amount.is_some();
    if ranged && filter.currency.is_none() {
        filter.currency = Some(app.config.award_currency);
    }
    filter
}

/// The filter as the caller may apply it: in the award currency unless it
/// says otherwise, and without the categories the caller may not learn of.
async fn as_known(app: &App, actor: &Actor, filter: CaseFilter) -> AppResult<CaseFilter> {
    let mut filter = in_award_currency(app, filter);
    filter.exclude_categories = NeedToKnow::of(app.store.as_ref(), &actor.principal)
        .await?
        .hidden_categories();
    Ok(filter)
}

// ------------------------------------------------------------ the queue

/// The Commission's work queue, filtered and paged by id; cases the caller
/// may not learn of are left out.
pub async fn list_cases(
    app: &App,
    actor: &Actor,
    filter: CaseFilter,
    page: PageRequest,
) -> AppResult<Page<CaseRecord>> {
    let filter = as_known(app, actor, filter).await?;
    Ok(app.store.cases(&filter, page).await?)
}

// ----------------------------------------------------------- assignment

/// Checks that the account exists, is active and holds the assessor role;
/// `field` names it in the refusal.
async fn ensure_assessor(app: &App, account: AccountId, field: &str) -> AppResult<()> {
    match app.store.account(account).await {
        Ok(a) if a.roles.contains(&kernel::Role::Assessor) => Ok(()),
        Ok(_) => Err(AppError::invalid_field(
            field,
            "not_an_assessor",
            "That account does not hold the assessor role.",
        )),
        Err(StoreError::NotFound) => Err(AppError::invalid_field(
            field,
            "unknown_account",
            "No such account.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// A refusal by the case's lifecycle, with its domain code.
fn case_conflict(e: commission::IllegalCaseTransition) -> AppError {
    AppError::conflict(e.to_string()).with("code", e.code())
}

async fn assign_case(
    app: &App,
    actor: &Actor,
    id: CaseId,
    expected_version: Option<i64>,
    assessor: AccountId,
) -> AppResult<CaseRecord> {
    let case = known_case(app, actor, id).await?;
    if expected_version.is_some_and(|v| v != case.version) {
        return Err(AppError::precondition_failed());
    }
    if case.batch_id.is_some() {
        return Err(AppError::conflict("The case is in a batch."));
    }
    // Assigning an assigned case hands it to someone else.
    if case.status != CaseStatus::Assigned {
        case.status
            .apply(CaseAction::Assign)
            .map_err(case_conflict)?;
    }
    app.store
        .assign_case(&actor.audit(None), id, expected_version, assessor)
        .await
        .map_err(|e| AppError::from_change(e, expected_version))
}

/// Gives one case to an assessor, at the version the caller last saw: of
/// two people assigning the same case, one wins and the other is stale.
pub async fn assign(
    app: &App,
    actor: &Actor,
    id: CaseId,
    expected_version: i64,
    assessor: AccountId,
) -> AppResult<CaseRecord> {
    ensure_assessor(app, assessor, "assessor").await?;
    assign_case(app, actor, id, Some(expected_version), assessor).await
}

/// Most cases one bulk assignment takes.
pub const MAX_BULK_ASSIGNMENT: usize = 1000;

/// Many cases to one assessor, each assigned or refused on its own (in the
/// order given).
pub async fn assign_many(
    app: &App,
    actor: &Actor,
    assessor: AccountId,
    cases: &[CaseId],
) -> AppResult<Vec<(CaseId, AppResult<CaseRecord>)>> {
    if cases.is_empty() || cases.len() > MAX_BULK_ASSIGNMENT {
        return Err(AppError::invalid_field(
            "cases",
            "length",
            "Between 1 and 1,000 cases.",
        ));
    }
    ensure_assessor(app, assessor, "assessor").await?;
    let mut results = Vec::with_capacity(cases.len());
    for id in cases {
        results.push((*id, assign_case(app, actor, *id, None, assessor).await));
    }
    Ok(results)
}

/// A round-robin hand-out of the queue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Distribute {
    /// In the order they take turns, each once.
    pub assessors: Vec<AccountId>,
    /// Which cases awaiting assessment; status and batch are ignored.
    pub criteria: CaseCriteria,
    /// Most cases to hand out (default and maximum 10,000).
    pub limit: Option<u32>,
}

/// What a hand-out did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distribution {
    pub assigned: Vec<(CaseId, AccountId)>,
    /// Cases per assessor, every assessor named (0 when the queue ran out).
    pub per_assessor: BTreeMap<AccountId, usize>,
}

/// Most assessors one hand-out takes, and most cases.
pub const MAX_DISTRIBUTION_ASSESSORS: usize = 500;
pub const MAX_DISTRIBUTION_CASES: u32 = 10_000;

/// Spreads the cases awaiting assessment that match the criteria evenly
/// over the assessors (oldest case first), in one change.
pub async fn distribute(app: &App, actor: &Actor, command: &Distribute) -> AppResult<Distribution> {
    let assessors = &command.assessors;
    if assessors.is_empty() || assessors.len() > MAX_DISTRIBUTION_ASSESSORS {
        return Err(AppError::invalid_field(
            "assessors",
            "length",
            "Between 1 and 500 assessors.",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, a) in assessors.iter().enumerate() {
        let field = format!("assessors[{i}]");
        if !seen.insert(*a) {
            return Err(AppError::invalid_field(
                &field,
                "duplicate",
                "Each assessor once.",
            ));
        }
        ensure_assessor(app, *a, &field).await?;
    }
    let criteria = CaseCriteria {
        status: None,
        assignee: None,
        batch: None,
        ..command.criteria.clone()
    };
    let filter = as_known(app, actor, criteria.read()?).await?;
    let limit = command
        .limit
        .unwrap_or(MAX_DISTRIBUTION_CASES)
        .clamp(1, MAX_DISTRIBUTION_CASES);
    let assigned = app
        .store
        .distribute_cases(&actor.audit(None), &filter, assessors, limit)
        .await?;
    let mut per_assessor: BTreeMap<AccountId, usize> = assessors.iter().map(|a| (*a, 0)).collect();
    for (_, a) in &assigned {
        *per_assessor.entry(*a).or_default() += 1;
    }
    Ok(Distribution {
        assigned,
        per_assessor,
    })
}

// ---------------------------------------------------------------- rules

/// The published valuation rules, every version, of one category or all,
/// in (category, version) order, paged by that key.
pub async fn valuation_rules(
    app: &App,
    category: Option<&str>,
    page: &KeyPageRequest,
) -> AppResult<Page<RuleRecord>> {
    Ok(app.store.valuation_rules(category, page).await?)
}

/// Publishes a new version of a category's rule: the server assigns the
/// version, the next of the category (1 for its first rule). Versions are
/// never edited; a change is a new version. Rules value in the award
/// currency.
pub async fn publish_rule(app: &App, actor: &Actor, draft: RuleDraft) -> AppResult<RuleRecord> {
    let award = app.config.award_currency;
    if draft.currency != award {
        return Err(AppError::invalid_field(
            "currency",
            "not_award_currency",
            format!("Rules value in the award currency, {award}."),
        ));
    }
    // Two publications at once may pick the same next version: the store
    // refuses the second, which takes the version after.
    let mut attempts = 0;
    loop {
        let next = match app.store.valuation_rule(&draft.category, None).await {
            Ok(latest) => latest.rule.version.checked_add(1).ok_or_else(|| {
                AppError::invalid_field("category", "too_many_versions", "No version is left.")
            })?,
            Err(StoreError::NotFound) => 1,
            Err(e) => return Err(e.into()),
        };
        let rule = draft.clone().versioned(next);
        rule.validate()
            .map_err(|e| AppError::invalid_field("rule", e.code(), e.to_string()))?;
        match app
            .store
            .put_valuation_rule(&actor.audit(None), &rule)
            .await
        {
            Err(StoreError::Conflict(_)) if attempts < 3 => attempts += 1,
            other => return Ok(other?),
        }
    }
}

// ---------------------------------------------------------------- rates

/// An exchange rate as published, typed in or listed in a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateText {
    /// ISO 4217, e.g. `UAH`.
    pub from: String,
    pub to: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Units of `to` per unit of `from`, a decimal.
    pub rate: String,
    /// Who published it, e.g. `NBU` or `ECB`.
    pub source: String,
}

impl RateText {
    /// The rate, or every field that is wrong with it.
    pub fn read(&self) -> Result<AssessmentRate, Vec<FieldError>> {
        let mut errors = Vec::new();
        let from = Currency::from_code(self.from.trim())
            .map_err(|e| errors.push(FieldError::new("from", "invalid", e.to_string())))
            .ok();
        let to = Currency::from_code(self.to.trim())
            .map_err(|e| errors.push(FieldError::new("to", "invalid", e.to_string())))
            .ok();
        let date = Date::parse(
            self.date.trim(),
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
        let rate = self
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
        if self.source.trim().is_empty() || self.source.len() > 200 {
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
                source: self.source.trim().to_owned(),
            }),
            _ => Err(errors),
        }
    }
}

/// Filters of the list of recorded exchange rates as people write them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateCriteria {
    /// ISO 4217.
    pub from: Option<String>,
    /// ISO 4217.
    pub to: Option<String>,
    /// Dated on or after (`YYYY-MM-DD`).
    pub since: Option<String>,
    /// Dated on or before (`YYYY-MM-DD`).
    pub until: Option<String>,
}

fn date_filter(field: &str, text: Option<&str>) -> AppResult<Option<Date>> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    text.map(|t| {
        Date::parse(t, format)
            .map_err(|_| AppError::invalid_field(field, "invalid", "Not a date (YYYY-MM-DD)."))
    })
    .transpose()
}

/// The exchange rates recorded for assessments, in (from, to, date) order,
/// filtered and paged by that key.
pub async fn exchange_rates(
    app: &App,
    criteria: &RateCriteria,
    page: &KeyPageRequest,
) -> AppResult<Page<AssessmentRate>> {
    let filter = RateFilter {
        from: currency_filter("from", criteria.from.as_deref())?,
        to: currency_filter("to", criteria.to.as_deref())?,
        since: date_filter("since", criteria.since.as_deref())?,
        until: date_filter("until", criteria.until.as_deref())?,
    };
    Ok(app.store.assessment_rate_list(&filter, page).await?)
}

/// Records an exchange rate for assessments (kept apart from the tracker's
/// funding rates). A rate once recorded for a pair and date is not
/// replaced: what was assessed with it must stay recomputable.
pub async fn record_rate(app: &App, actor: &Actor, rate: &RateText) -> AppResult<AssessmentRate> {
    let rate = rate
        .read()
        .map_err(|errors| AppError::validation("The exchange rate is not valid.", errors))?;
    let stored = app
        .store
        .record_assessment_rates(&actor.audit(None), std::slice::from_ref(&rate))
        .await?;
    if stored.first() != Some(&true) {
        return Err(AppError::conflict(format!(
            "A {}/{} rate for {} is already recorded.",
            rate.from, rate.to, rate.date
        )));
    }
    Ok(rate)
}

/// What an import of rates did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RatesImported {
    pub recorded: usize,
    /// Lines whose pair and date already had a rate (left unchanged).
    pub already_recorded: Vec<usize>,
}

/// Most rates one import takes.
pub const MAX_RATES_IMPORTED: usize = 100_000;

/// Imports rates from CSV lines `from,to,date,rate,source` (a header line
/// is optional). All or nothing: any invalid line refuses the whole file,
/// with one error per line (`line[N].field`).
pub async fn import_rates(app: &App, actor: &Actor, csv: &str) -> AppResult<RatesImported> {
    let mut rates = Vec::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in csv.lines().enumerate() {
        let number = n + 1;
        let line = line.trim();
        if line.is_empty() || (number == 1 && line.to_ascii_lowercase().starts_with("from")) {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        let [from, to, date, rate, source] = cols[..] else {
            errors.push(FieldError::new(
                format!("line[{number}]"),
                "columns",
                "Expected from,to,date,rate,source.",
            ));
            continue;
        };
        let text = RateText {
            from: from.into(),
            to: to.into(),
            date: date.into(),
            rate: rate.into(),
            source: source.into(),
        };
        match text.read() {
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
        return Err(AppError::validation(
            format!(
                "{} error(s) in the file; nothing was recorded.",
                errors.len()
            ),
            errors,
        ));
    }
    if rates.is_empty() || rates.len() > MAX_RATES_IMPORTED {
        return Err(AppError::invalid_field(
            "body",
            "length",
            "Between 1 and 100,000 rates.",
        ));
    }
    let stored = app
        .store
        .record_assessment_rates(&actor.audit(None), &rates)
        .await?;
    Ok(RatesImported {
        recorded: stored.iter().filter(|s| **s).count(),
        already_recorded: lines
            .into_iter()
            .zip(stored)
            .filter(|(_, s)| !s)
            .map(|(l, _)| l)
            .collect(),
    })
}

/// The recorded rates into `to` that answer for valuation dates in
/// `from..=until`, by the rate book's lookback.
pub(crate) async fn rate_book(
    app: &App,
    to: Currency,
    from: Date,
    until: Date,
) -> AppResult<RateBook> {
    let (oldest, newest) = RateBook::dates_needed(from, until);
    let rates = app.store.assessment_rates(to, oldest, newest).await?;
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

// ----------------------------------------------------------- assessment

/// The inputs of a case for assessment: its stored facts, plus quantities
/// and a manual entry from the assessor. A case without dates is valued as
/// of its submission, and a claim that names no incident date as of the
/// day it was submitted.
pub(crate) fn inputs_of(
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

/// The refusal of an assessment the rule could not make. A missing rate
/// names the currencies and the date, so someone can record it.
pub(crate) fn assessment_refusal(e: &AssessmentError) -> AppError {
    match e {
        AssessmentError::MissingRate { from, to, on } => AppError::new(
            ErrorClass::Invalid,
            "missing-exchange-rate",
            "No recorded exchange rate",
            format!(
                "No {from}/{to} exchange rate is recorded for {on} (or the {RATE_LOOKBACK_DAYS} days before); record one with POST /v1/exchange-rates."
            ),
        )
        .with("currency", from.code())
        .with("to", to.code())
        .with("date", on.to_string()),
        other => AppError::validation(
            other.to_string(),
            vec![FieldError::new("assessment", other.code(), other.to_string())],
        ),
    }
}

/// A refused assessment as the batch job stores it on the case.
pub(crate) fn assessment_error_json(e: &AssessmentError) -> Value {
    match e {
        AssessmentError::MissingRate { from, to, on } => json!({
            "code": e.code(), "message": e.to_string(),
            "currency": from.code(), "to": to.code(), "date": on.to_string(),
        }),
        other => json!({ "code": other.code(), "message": other.to_string() }),
    }
}

/// What an assessor brings to an individual assessment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssessCase {
    /// A rule version of the case's category; default the latest.
    pub rule_version: Option<u32>,
    /// Quantities by unit name, added to those the claim gives.
    pub quantities: BTreeMap<String, Decimal>,
    /// For manual rules or cases above a threshold: amount and justification.
    pub manual: Option<ManualEntry>,
}

/// An assessment recorded, with the case it moved on.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessed {
    pub case: CaseRecord,
    pub assessment: AssessmentRecord,
}

/// Assesses an assigned case individually, at the version the caller last
/// saw, with its category's rule (or a named version), or records a manual
/// amount where the rule asks for one. A case in a batch is assessed with
/// the batch.
pub async fn assess(
    app: &App,
    actor: &Actor,
    id: CaseId,
    expected_version: i64,
    command: AssessCase,
) -> AppResult<Assessed> {
    let case = known_case(app, actor, id).await?;
    if case.version != expected_version {
        return Err(AppError::precondition_failed());
    }
    if case.batch_id.is_some() {
        return Err(AppError::conflict(
            "The case is in a batch; it is assessed with the batch.",
        ));
    }
    case.status
        .apply(CaseAction::RecordAssessment)
        .map_err(case_conflict)?;
    let rule = match app
        .store
        .valuation_rule(&case.category, command.rule_version)
        .await
    {
        Ok(r) => r.rule,
        Err(StoreError::NotFound) => {
            return Err(AppError::invalid_field(
                "rule_version",
                "no_rule",
                format!("No valuation rule is published for {}.", case.category),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let inputs = inputs_of(&case, &command.quantities, command.manual);
    let on = commission::valuation_date(&rule, &inputs);
    let rates = rate_book(app, rule.currency, on, on).await?;
    let assessment =
        commission::assess(&rule, &inputs, &rates).map_err(|e| assessment_refusal(&e))?;
    let (case, assessment) = app
        .store
        .record_assessment(
            &actor.audit(None),
            id,
            Some(expected_version),
            actor.principal.account,
            &assessment,
        )
        .await
        .map_err(AppError::stale_or)?;
    Ok(Assessed { case, assessment })
}

/// Every assessment of the case, oldest first, each with what it was
/// computed from.
pub async fn assessments(app: &App, actor: &Actor, id: CaseId) -> AppResult<Vec<AssessmentRecord>> {
    known_case(app, actor, id).await?;
    Ok(app.store.assessments(id).await?)
}

/// The assessments of the case, oldest first, paged by id.
pub async fn assessment_page(
    app: &App,
    actor: &Actor,
    id: CaseId,
    page: PageRequest,
) -> AppResult<Page<AssessmentRecord>> {
    let all = assessments(app, actor, id).await?;
    Ok(Page::from_all(all, page, |a| a.id.0))
}
