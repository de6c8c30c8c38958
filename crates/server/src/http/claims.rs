//! The Register's claims API: filing, the pre-screen at submission, the
//! secretariat's review, the Board's decisions, duplicates and history.
//!
//! Handlers check ownership and the sensitive clearance on every claim they
//! touch: a claim the caller may not see answers 404, as if it did not
//! exist.

use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::authz::Authorized;
use crate::http::json::{Json, Path, Query, etag, if_match_version};
use crate::state::AppState;
use app::need_to_know::NeedToKnow;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use kernel::access::Clearance;
use kernel::{Page, PageRequest, Permission};
use register::{
    Category, ClaimAction, ClaimDraft, ClaimId, ClaimStatus, DuplicateFlagId, DuplicateKeys,
    EligibilityConfig, EligibilityFailure,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use store::claims::{
    ClaimChange, ClaimColumns, ClaimFilter, ClaimRecord, ClaimSummaryRecord, DraftContent,
    MessageKind, Submission, Visibility,
};
use store::{AuditFilter, StoreError};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// The parts of a sensitive claim kept only in encrypted form.
const SEALED_FIELDS: [&str; 2] = ["narrative", "category_fields"];

fn status_name(status: ClaimStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A claim as its filer and the staff see it.
#[derive(Serialize, ToSchema)]
pub struct ClaimView {
    #[schema(value_type = String, format = Uuid)]
    pub id: ClaimId,
    pub reference: Option<String>,
    #[schema(value_type = String, example = "draft")]
    pub status: ClaimStatus,
    pub category: Option<String>,
    pub sensitive: bool,
    /// The claim as filed (see `POST /v1/claims`).
    #[schema(value_type = Object)]
    pub claim: Value,
    /// Total claimed per currency, derived from the losses.
    #[schema(value_type = Vec<Object>)]
    pub totals: Value,
    pub duplicate_flagged: bool,
    #[schema(value_type = Option<Object>)]
    pub recommendation: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub decision: Option<Value>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A claim as its claimant sees it: what they filed, where it stands, and
/// the Board's decision with its reasons. Staff's internal advice (the
/// secretariat's recommendation), duplicate flags and staff account ids
/// are never part of it.
// `deny_unknown_fields` marks the schema closed, so that the staff view (a
// superset) never also validates as this one.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimantView {
    #[schema(value_type = String, format = Uuid)]
    pub id: ClaimId,
    pub reference: Option<String>,
    #[schema(value_type = String, example = "draft")]
    pub status: ClaimStatus,
    pub category: Option<String>,
    /// The claim as filed (see `POST /v1/claims`).
    #[schema(value_type = Object)]
    pub claim: Value,
    /// Total claimed per currency, derived from the losses.
    #[schema(value_type = Vec<Object>)]
    pub totals: Value,
    /// The Board's decision on recording, once made.
    pub decision: Option<BoardDecisionView>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// The Board's decision as the claimant reads it.
#[derive(Serialize, ToSchema)]
pub struct BoardDecisionView {
    /// recorded or rejected
    pub outcome: String,
    pub reasons: String,
}

/// A claim as the caller may see it: the claimant's view for the filer
/// acting as claimant, the staff view otherwise.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ClaimAnswer {
    Staff(ClaimView),
    Claimant(ClaimantView),
}

/// One line of a claims list.
#[derive(Serialize, ToSchema)]
pub struct ClaimSummary {
    #[schema(value_type = String, format = Uuid)]
    pub id: ClaimId,
    pub reference: Option<String>,
    #[schema(value_type = String)]
    pub status: ClaimStatus,
    pub category: Option<String>,
    pub region: Option<String>,
    pub claimant_name: Option<String>,
    pub sensitive: bool,
    pub duplicate_flagged: bool,
    #[schema(value_type = Vec<Object>)]
    pub totals: Value,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<OffsetDateTime>,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ClaimPage {
    pub items: Vec<ClaimSummary>,
    pub next_cursor: Option<String>,
}

impl From<ClaimSummaryRecord> for ClaimSummary {
    fn from(c: ClaimSummaryRecord) -> Self {
        Self {
            id: c.id,
            reference: c.reference,
            status: c.status,
            category: c.category,
            region: c.region,
            claimant_name: c.claimant_name,
            sensitive: c.sensitive,
            duplicate_flagged: c.duplicate_flagged,
            totals: c.totals,
            submitted_at: c.submitted_at,
            version: c.version,
        }
    }
}

/// Splits a draft into what is stored in the clear and, for sensitive
/// categories, what is sealed.
pub(crate) fn draft_content(
    state: &AppState,
    draft: &ClaimDraft,
    category: Option<&Category>,
) -> ApiResult<DraftContent> {
    let mut content = serde_json::to_value(draft).map_err(ApiError::internal)?;
    let sensitive = category.is_some_and(|c| c.sensitive);
    let sealed = if sensitive {
        let mut secret = Map::new();
        if let Some(obj) = content.as_object_mut() {
            for field in SEALED_FIELDS {
                if let Some(v) = obj.remove(field) {
                    secret.insert(field.to_owned(), v);
                }
            }
        }
        let bytes = serde_json::to_vec(&secret).map_err(ApiError::internal)?;
        Some(state.sealer.seal(&bytes).map_err(ApiError::internal)?)
    } else {
        None
    };
    let totals = draft
        .total_claimed()
        .map(|t| serde_json::to_value(t).unwrap_or_else(|_| json!([])))
        .map_err(|e| ApiError::invalid_field("losses", "amount_invalid", e.to_string()))?;
    let (incident_from, incident_to) = match &draft.incident {
        Some(register::Incident::On { date }) => (Some(*date), Some(*date)),
        Some(register::Incident::Between { from, to }) => (Some(*from), Some(*to)),
        None => (None, None),
    };
    Ok(DraftContent {
        content,
        sealed,
        columns: ClaimColumns {
            category: draft.category.as_ref().map(|c| c.as_str().to_owned()),
            sensitive,
            claimant_name: draft.claimant.as_ref().map(listed_name),
            claimant_search: draft
                .claimant
                .as_ref()
                .map(|c| listed_name(c).to_lowercase()),
            claimant_key: draft
                .claimant
                .as_ref()
                .and_then(register::Claimant::key)
                .map(|k| k.to_string()),
            region: draft
                .location
                .region
                .as_ref()
                .map(|r| r.as_str().to_owned()),
            incident_from,
            incident_to,
            totals,
        },
    })
}

/// The name a claim is listed and searched under. People are listed
/// surname first, as Ukrainian registers do, so a prefix search by surname
/// finds them.
pub(crate) fn listed_name(claimant: &register::Claimant) -> String {
    match claimant {
        register::Claimant::NaturalPerson(p) => [
            Some(p.family_name.as_str()),
            Some(p.given_name.as_str()),
            p.patronymic.as_deref(),
        ]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" "),
        other => other.display_name(),
    }
}

/// The claim's full content, sealed parts opened.
pub(crate) fn open_content(state: &AppState, record: &ClaimRecord) -> ApiResult<Value> {
    let mut content = record.content.clone();
    if let (Some(sealed), Some(obj)) = (&record.sealed, content.as_object_mut()) {
        let bytes = state.sealer.open(sealed).map_err(ApiError::internal)?;
        let secret: Map<String, Value> =
            serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
        obj.extend(secret);
    }
    Ok(content)
}

fn draft_of(state: &AppState, record: &ClaimRecord) -> ApiResult<ClaimDraft> {
    serde_json::from_value(open_content(state, record)?).map_err(ApiError::internal)
}

/// Whether the caller reads claims only as their filer (the policy's `own`
/// for reading claims), whatever the action at hand: such a caller gets
/// the claimant's views.
pub(crate) fn reads_as_claimant(auth: &Authorized) -> bool {
    auth.principal.permission(kernel::Action::ReadClaim) == Permission::Own
}

/// The claim in the view the caller is entitled to: the claimant's view
/// for a caller who reads claims only as their filer, the staff view
/// otherwise.
fn view(state: &AppState, auth: &Authorized, record: ClaimRecord) -> ApiResult<ClaimAnswer> {
    if reads_as_claimant(auth) {
        claimant_view(state, record).map(ClaimAnswer::Claimant)
    } else {
        staff_view(state, record).map(ClaimAnswer::Staff)
    }
}

pub(crate) fn claimant_view(state: &AppState, record: ClaimRecord) -> ApiResult<ClaimantView> {
    let claim = open_content(state, &record)?;
    let decision = record.decision.as_ref().map(|d| BoardDecisionView {
        outcome: d
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        reasons: d
            .get("reasons")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    });
    Ok(ClaimantView {
        id: record.id,
        reference: record.reference,
        status: record.status,
        category: record.category,
        claim,
        totals: record.totals,
        decision,
        submitted_at: record.submitted_at,
        decided_at: record.decided_at,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    })
}

fn staff_view(state: &AppState, record: ClaimRecord) -> ApiResult<ClaimView> {
    let claim = open_content(state, &record)?;
    Ok(ClaimView {
        id: record.id,
        reference: record.reference,
        status: record.status,
        category: record.category,
        sensitive: record.sensitive,
        claim,
        totals: record.totals,
        duplicate_flagged: record.duplicate_flagged,
        recommendation: record.recommendation,
        decision: record.decision,
        submitted_at: record.submitted_at,
        decided_at: record.decided_at,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    })
}

/// Loads a claim the caller may see; anything else is "not found".
async fn visible_claim(state: &AppState, auth: &Authorized, id: ClaimId) -> ApiResult<ClaimRecord> {
    visible_claim_noting(state, auth, id, json!({ "sensitive": true })).await
}

/// Loads a claim the caller may see (see `app::claims::visible_claim_noting`).
pub(crate) async fn visible_claim_noting(
    state: &AppState,
    auth: &Authorized,
    id: ClaimId,
    read_detail: Value,
) -> ApiResult<ClaimRecord> {
    Ok(app::claims::visible_claim_noting(&state.app, &auth.actor(), id, read_detail).await?)
}

/// Amounts must be exact in their currency and positive even in a draft: a
/// wrong figure is an error to fix now, not a gap to fill later. Lists
/// must stay within their limits (`register::MAX_LOSSES` and the others,
/// docs/register.md).
pub(crate) fn check_amounts(draft: &ClaimDraft) -> ApiResult<()> {
    let mut errors: Vec<FieldError> = draft
        .oversized_lists()
        .into_iter()
        .map(|too_many| {
            FieldError::new(
                too_many.field,
                "too_many_items",
                format!(
                    "At most {} items are allowed here; the claim has {}.",
                    too_many.limit, too_many.found
                ),
            )
        })
        .collect();
    for (i, loss) in draft.losses.iter().enumerate() {
        let money = loss.amount;
        if kernel::Money::exact(money.amount(), money.currency()).is_err() {
            errors.push(FieldError::new(
                format!("losses[{i}].amount"),
                "amount_too_precise",
                format!(
                    "{} has more decimal places than {} allows ({}).",
                    money.amount(),
                    money.currency(),
                    money.currency().minor_units()
                ),
            ));
        } else if !money.is_positive() {
            errors.push(FieldError::new(
                format!("losses[{i}].amount"),
                "amount_not_positive",
                "A loss is a positive amount.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(
            "Some amounts or lists are not valid.",
            errors,
        ))
    }
}

/// Checks a draft's category: it exists, accepts claims and fits the
/// claimant. Refused with 422 problems that say why.
pub(crate) async fn check_category(
    state: &AppState,
    draft: &ClaimDraft,
) -> ApiResult<Option<Category>> {
    let Some(code) = &draft.category else {
        return Ok(None);
    };
    let category = lookup_category(state, code.as_str()).await?;
    category_fits(state, draft, category).map(Some)
}

/// The catalogue's category `code`; 422 when there is none.
pub(crate) async fn lookup_category(state: &AppState, code: &str) -> ApiResult<Category> {
    match state.store.category(code).await {
        Ok(record) => Ok(record.category),
        Err(StoreError::NotFound) => Err(ApiError::invalid_field(
            "category",
            "unknown_category",
            format!("There is no category {code}."),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Whether `category` accepts claims today and fits the draft's claimant.
pub(crate) fn category_fits(
    state: &AppState,
    draft: &ClaimDraft,
    category: Category,
) -> ApiResult<Category> {
    let mut errors = Vec::new();
    if let Err(closed) = category.accepts_claims(state.clock.today()) {
        errors.push(FieldError::new(
            "category",
            "category_not_open",
            closed.to_string(),
        ));
    }
    if let Some(claimant) = &draft.claimant
        && claimant.claimant_type() != category.claimant_type
    {
        errors.push(FieldError::new(
            "claimant",
            "claimant_type_mismatch",
            format!(
                "Category {} is for claimants of another type.",
                category.code.as_str()
            ),
        ));
    }
    if errors.is_empty() {
        Ok(category)
    } else {
        Err(not_eligible(errors))
    }
}

pub(crate) fn not_eligible(errors: Vec<FieldError>) -> ApiError {
    let mut e = ApiError::validation(
        "The claim does not pass the eligibility pre-screen.",
        errors,
    );
    e.kind = "claim-not-eligible";
    e.title = "The claim is not eligible as it stands";
    e
}

pub(crate) fn failures_to_errors(failures: Vec<EligibilityFailure>) -> Vec<FieldError> {
    failures
        .into_iter()
        .map(|f| FieldError::new(f.field, f.reason.to_string(), f.message))
        .collect()
}

/// An illegal status change: 409 naming the current status.
fn illegal(record: &ClaimRecord, action: ClaimAction) -> ApiError {
    let message = register::transition(record.status, action)
        .err()
        .map_or_else(
            || "This change is not possible now.".to_owned(),
            |e| e.to_string(),
        );
    ApiError::conflict(message).with("current_status", record.status)
}

/// Files a new claim as a draft.
#[utoipa::path(post, path = "/v1/claims", tag = "register", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header)),
    request_body(content = Object, description = "A claim draft: claimant, representation, category, incident, location, narrative, losses, external_references, category_fields; every part optional until submission"),
    responses((status = 201, body = ClaimAnswer), (status = 422, body = crate::error::ProblemBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized,
    Json(draft): Json<ClaimDraft>,
) -> ApiResult<impl IntoResponse> {
    check_amounts(&draft)?;
    let category = check_category(&state, &draft).await?;
    let content = draft_content(&state, &draft, category.as_ref())?;
    let record = state
        .store
        .create_claim(&auth.audit(None), auth.principal.account, content)
        .await?;
    let location = format!("/v1/claims/{}", record.id);
    let version = record.version;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        etag(version),
        Json(view(&state, &auth, record)?),
    ))
}

#[utoipa::path(get, path = "/v1/claims/{id}", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ClaimAnswer), (status = 404, body = crate::error::ProblemBody)))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
) -> ApiResult<impl IntoResponse> {
    let record = visible_claim(&state, &auth, id).await?;
    Ok((etag(record.version), Json(view(&state, &auth, record)?)))
}

/// Merges `patch` into `target` (RFC 7396 JSON Merge Patch).
fn merge_patch(target: &mut Value, patch: &Value) {
    if let Value::Object(patch) = patch {
        if !target.is_object() {
            *target = Value::Object(Map::new());
        }
        if let Value::Object(target) = target {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
    } else {
        *target = patch.clone();
    }
}

/// Edits a draft with a JSON Merge Patch (RFC 7396). Needs `If-Match`.
#[utoipa::path(patch, path = "/v1/claims/{id}", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("If-Match" = String, Header)),
    request_body(content = Object, description = "JSON Merge Patch of the draft"),
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn edit(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    headers: HeaderMap,
    Json(patch): Json<Value>,
) -> ApiResult<impl IntoResponse> {
    let record = visible_claim(&state, &auth, id).await?;
    let version = if_match_version(&headers)?;
    if record.status != ClaimStatus::Draft {
        return Err(ApiError::conflict(format!(
            "Only a draft can be edited; this claim is {}.",
            status_name(record.status)
        ))
        .with("current_status", record.status));
    }
    if version != record.version {
        return Err(ApiError::precondition_failed());
    }
    let mut content = open_content(&state, &record)?;
    merge_patch(&mut content, &patch);
    let draft: ClaimDraft = serde_json::from_value(content).map_err(|e| {
        ApiError::invalid_field(
            "",
            "invalid",
            format!("The patched claim is not valid: {e}"),
        )
    })?;
    check_amounts(&draft)?;
    let category = check_category(&state, &draft).await?;
    let content = draft_content(&state, &draft, category.as_ref())?;
    let updated = state
        .store
        .update_draft(&auth.audit(None), id, version, content)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::precondition_failed(),
            other => other.into(),
        })?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

/// Submits a draft: the eligibility pre-screen runs, a reference number is
/// given, and probable duplicates are flagged for staff.
#[utoipa::path(post, path = "/v1/claims/{id}/submit", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody),
        (status = 422, description = "Pre-screen failures, all at once", body = crate::error::ProblemBody)))]
pub async fn submit(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let record = visible_claim(&state, &auth, id).await?;
    if record.status != ClaimStatus::Draft {
        return Err(illegal(&record, ClaimAction::Submit));
    }
    if headers.contains_key(header::IF_MATCH) && if_match_version(&headers)? != record.version {
        return Err(ApiError::precondition_failed());
    }
    let draft = draft_of(&state, &record)?;
    let category = match &draft.category {
        Some(code) => match state.store.category(code.as_str()).await {
            Ok(c) => Some(c.category),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let regions = state.store.regions().await?;
    let config = EligibilityConfig {
        start_date: state.settings.eligibility_start,
        ..EligibilityConfig::default()
    };
    register::prescreen(
        &draft,
        category.as_ref(),
        &regions,
        &config,
        state.clock.today(),
    )
    .map_err(|failures| not_eligible(failures_to_errors(failures)))?;
    let evidence_hashes = state
        .store
        .evidence_hashes(id)
        .await?
        .iter()
        .map(|h| register::EvidenceHash::parse(h).map_err(ApiError::internal))
        .collect::<ApiResult<Vec<_>>>()?;
    let keys = DuplicateKeys::of_claim(id, &draft, evidence_hashes);
    let candidates = state.store.duplicate_candidates(&keys.index_keys()).await?;
    let flags = register::find_duplicates(&keys, &candidates);
    let submitted = state
        .store
        .submit_claim(
            &auth.audit(None),
            id,
            record.version,
            Submission { keys, flags },
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(detail) => ApiError::conflict(detail),
            other => other.into(),
        })?;
    Ok((
        etag(submitted.version),
        Json(view(&state, &auth, submitted)?),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why: kept in the claim's history.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub message: String,
}

fn required_text(field: &str, text: &str) -> ApiResult<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(ApiError::invalid_field(
            field,
            "length",
            "Between 1 and 10,000 characters.",
        ));
    }
    Ok(text.to_owned())
}

/// Applies a lifecycle action that the domain allows from the current status.
async fn act(
    state: &AppState,
    auth: &Authorized,
    record: &ClaimRecord,
    action: ClaimAction,
    expected_version: Option<i64>,
    mut change: ClaimChange,
) -> ApiResult<ClaimRecord> {
    let to = register::transition(record.status, action).map_err(|_| illegal(record, action))?;
    change.from = record.status;
    change.to = to;
    state
        .store
        .change_claim(
            &auth.audit(change.message.as_ref().map(|(_, t)| t.clone())),
            record.id,
            expected_version,
            change,
        )
        .await
        .map_err(|e| match (e, expected_version) {
            (StoreError::Conflict(_), Some(_)) => ApiError::precondition_failed(),
            (StoreError::Conflict(detail), None) => ApiError::conflict(detail),
            (other, _) => other.into(),
        })
}

fn change(action: &'static str) -> ClaimChange {
    ClaimChange {
        from: ClaimStatus::Draft,
        to: ClaimStatus::Draft,
        action,
        recommendation: None,
        decision: None,
        message: None,
    }
}

/// The claimant withdraws the claim before the Board decides.
#[utoipa::path(post, path = "/v1/claims/{id}/withdraw", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Reason,
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    // The reason is optional, and so is the body.
    let reason: Reason = if body.iter().all(u8::is_ascii_whitespace) {
        Reason::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::malformed(format!("The body is not valid JSON: {e}")))?
    };
    let record = visible_claim(&state, &auth, id).await?;
    let mut c = change("claim.withdrawn");
    c.message = reason.reason.map(|r| (MessageKind::Response, r));
    let updated = act(&state, &auth, &record, ClaimAction::Withdraw, None, c).await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

/// The claimant answers a request for information; the claim returns to review.
#[utoipa::path(post, path = "/v1/claims/{id}/responses", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Message,
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody)))]
pub async fn respond(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Json(body): Json<Message>,
) -> ApiResult<impl IntoResponse> {
    let text = required_text("message", &body.message)?;
    let record = visible_claim(&state, &auth, id).await?;
    let mut c = change("claim.information_provided");
    c.message = Some((MessageKind::Response, text));
    let updated = act(
        &state,
        &auth,
        &record,
        ClaimAction::RespondToRequest,
        None,
        c,
    )
    .await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

/// The secretariat takes the claim up for review.
#[utoipa::path(post, path = "/v1/claims/{id}/review", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody)))]
pub async fn start_review(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
) -> ApiResult<impl IntoResponse> {
    let record = visible_claim(&state, &auth, id).await?;
    let updated = act(
        &state,
        &auth,
        &record,
        ClaimAction::StartReview,
        None,
        change("claim.review_started"),
    )
    .await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

/// Asks the claimant for more information; they see the message.
#[utoipa::path(post, path = "/v1/claims/{id}/information-requests", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Message,
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody)))]
pub async fn request_information(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Json(body): Json<Message>,
) -> ApiResult<impl IntoResponse> {
    let text = required_text("message", &body.message)?;
    let record = visible_claim(&state, &auth, id).await?;
    let mut c = change("claim.information_requested");
    c.message = Some((MessageKind::Request, text));
    let updated = act(
        &state,
        &auth,
        &record,
        ClaimAction::RequestInformation,
        None,
        c,
    )
    .await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Recorded,
    Rejected,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recommend {
    pub outcome: Outcome,
    pub reasons: String,
}

/// The secretariat recommends recording or rejecting; the Board decides.
#[utoipa::path(post, path = "/v1/claims/{id}/recommendation", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = Recommend,
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody)))]
pub async fn recommend(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    Json(body): Json<Recommend>,
) -> ApiResult<impl IntoResponse> {
    let reasons = required_text("reasons", &body.reasons)?;
    let record = visible_claim(&state, &auth, id).await?;
    if record.status != ClaimStatus::UnderReview {
        return Err(ApiError::conflict(format!(
            "A recommendation is made during review; this claim is {}.",
            status_name(record.status)
        ))
        .with("current_status", record.status));
    }
    let mut c = change("claim.recommended");
    c.from = ClaimStatus::UnderReview;
    c.to = ClaimStatus::UnderReview;
    c.recommendation = Some(json!({
        "outcome": body.outcome,
        "reasons": reasons,
        "by": auth.principal.account,
        "at": state.clock.now().unix_timestamp(),
    }));
    let updated = state
        .store
        .change_claim(&auth.audit(None), id, None, c)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(detail) => ApiError::conflict(detail),
            other => other.into(),
        })?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

// Renamed in the description: schema names are global, and the Council's
// `decisions::Decide` would otherwise replace this one.
#[derive(Deserialize, ToSchema)]
#[schema(as = ClaimDecide)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    pub outcome: Outcome,
    pub reasons: String,
}

async fn decide_one(
    state: &AppState,
    auth: &Authorized,
    id: ClaimId,
    expected_version: Option<i64>,
    outcome: Outcome,
    reasons: &str,
) -> ApiResult<ClaimRecord> {
    let reasons = required_text("reasons", reasons)?;
    let record = visible_claim(state, auth, id).await?;
    if expected_version.is_some_and(|v| v != record.version) {
        return Err(ApiError::precondition_failed());
    }
    let (action, audit_action) = match outcome {
        Outcome::Recorded => (ClaimAction::Record, "claim.recorded"),
        Outcome::Rejected => (ClaimAction::Reject, "claim.rejected"),
    };
    let mut c = change(audit_action);
    c.decision = Some(json!({
        "outcome": outcome,
        "reasons": reasons,
        "by": auth.principal.account,
    }));
    let version = expected_version.or(Some(record.version));
    act(state, auth, &record, action, version, c).await
}

/// The Board records or rejects a claim under review. Needs `If-Match`:
/// of two decisions on the same claim, exactly one succeeds.
#[utoipa::path(post, path = "/v1/claims/{id}/decision", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("If-Match" = String, Header)), request_body = Decide,
    responses((status = 200, body = ClaimAnswer), (status = 409, body = crate::error::ProblemBody),
        (status = 412, body = crate::error::ProblemBody), (status = 428, body = crate::error::ProblemBody)))]
pub async fn decide(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
    headers: HeaderMap,
    Json(body): Json<Decide>,
) -> ApiResult<impl IntoResponse> {
    let version = if_match_version(&headers)?;
    let updated = decide_one(
        &state,
        &auth,
        id,
        Some(version),
        body.outcome,
        &body.reasons,
    )
    .await?;
    Ok((etag(updated.version), Json(view(&state, &auth, updated)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecision {
    #[schema(value_type = String, format = Uuid)]
    pub claim_id: ClaimId,
    pub outcome: Outcome,
    pub reasons: String,
    /// The version decided on; when given, a claim changed since is not decided.
    pub version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecisions {
    /// The Board meeting the decisions were taken at.
    pub meeting: Option<String>,
    pub decisions: Vec<BulkDecision>,
}

// Renamed in the description, apart from `decisions::BulkResult`.
#[derive(Serialize, ToSchema)]
#[schema(as = ClaimBulkResult)]
pub struct BulkResult {
    #[schema(value_type = String, format = Uuid)]
    pub claim_id: ClaimId,
    /// HTTP status this decision would have had on its own.
    pub status: u16,
    #[schema(value_type = Option<String>)]
    pub claim_status: Option<ClaimStatus>,
    /// The problem, when the decision was not taken.
    #[schema(value_type = Option<Object>)]
    pub problem: Option<Value>,
}

/// Many Board decisions at once (up to 1,000), each taken or refused on
/// its own, with a result per claim.
#[utoipa::path(post, path = "/v1/claims/decisions", tag = "register", security(("bearer" = [])),
    request_body = BulkDecisions,
    responses((status = 200, body = Vec<BulkResult>), (status = 422, body = crate::error::ProblemBody)))]
pub async fn decide_many(
    State(state): State<AppState>,
    auth: Authorized,
    Json(body): Json<BulkDecisions>,
) -> ApiResult<Json<Vec<BulkResult>>> {
    if body.decisions.is_empty() || body.decisions.len() > 1000 {
        return Err(ApiError::invalid_field(
            "decisions",
            "length",
            "Between 1 and 1,000 decisions.",
        ));
    }
    let mut results = Vec::with_capacity(body.decisions.len());
    for d in body.decisions {
        let reasons = match &body.meeting {
            Some(m) => format!("{} (meeting {m})", d.reasons.trim()),
            None => d.reasons.clone(),
        };
        let result = decide_one(&state, &auth, d.claim_id, d.version, d.outcome, &reasons).await;
        results.push(match result {
            Ok(record) => BulkResult {
                claim_id: d.claim_id,
                status: 200,
                claim_status: Some(record.status),
                problem: None,
            },
            Err(e) => BulkResult {
                claim_id: d.claim_id,
                status: e.status.as_u16(),
                claim_status: None,
                problem: serde_json::to_value(e.body(auth.request_id.clone())).ok(),
            },
        });
    }
    Ok(Json(results))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// draft, submitted, under_review, information_requested, recorded, rejected, withdrawn
    pub status: Option<String>,
    pub category: Option<String>,
    /// ISO 3166-2:UA code, e.g. UA-48
    pub region: Option<String>,
    /// Submitted on or after (YYYY-MM-DD or RFC 3339). With this or
    /// `submitted_to`, claims come in submission order (oldest submission
    /// first; drafts, never submitted, are left out).
    pub submitted_from: Option<String>,
    /// Submitted before (YYYY-MM-DD or RFC 3339). With this or
    /// `submitted_from`, claims come in submission order.
    pub submitted_to: Option<String>,
    /// Only claims with open duplicate flags.
    pub duplicate: Option<bool>,
    /// A reference number, or the start of a claimant's name.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

fn parse_instant(field: &str, text: &str) -> ApiResult<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        // Compared in UTC, where 9999-12-31T23:59:59-23:59 has no date.
        return t.checked_to_offset(time::UtcOffset::UTC).ok_or_else(|| {
            ApiError::invalid_field(
                field,
                "out_of_range",
                "A time between years 0 and 9999 in UTC.",
            )
        });
    }
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map(|d| d.midnight().assume_utc())
    .map_err(|_| {
        ApiError::invalid_field(field, "format", "A date (YYYY-MM-DD) or an RFC 3339 time.")
    })
}

/// The filters of `GET /v1/claims` (also used by the claims export).
pub(crate) fn claim_filter(q: &ListQuery) -> ApiResult<ClaimFilter> {
    let status = q
        .status
        .as_deref()
        .map(|s| {
            serde_json::from_value::<ClaimStatus>(Value::String(s.to_owned())).map_err(|_| {
                ApiError::invalid_field(
                    "status",
                    "unknown",
                    format!("{s:?} is not a claim status."),
                )
            })
        })
        .transpose()?;
    Ok(ClaimFilter {
        status,
        category: q.category.clone(),
        region: q.region.clone(),
        submitted_from: q
            .submitted_from
            .as_deref()
            .map(|t| parse_instant("submitted_from", t))
            .transpose()?,
        submitted_to: q
            .submitted_to
            .as_deref()
            .map(|t| parse_instant("submitted_to", t))
            .transpose()?,
        duplicate: q.duplicate,
        q: q.q.clone().filter(|t| !t.trim().is_empty()),
    })
}

/// Claims the caller may see, oldest first, with filters.
///
/// Oldest first means in order of creation, or in order of submission
/// when `submitted_from` or `submitted_to` is given. Follow `next_cursor`
/// with the same filters to get every matching claim exactly once.
#[utoipa::path(get, path = "/v1/claims", tag = "register", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = ClaimPage), (status = 422, body = crate::error::ProblemBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<ClaimPage>> {
    let page = crate::http::json::PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .request()?;
    let filter = claim_filter(&q)?;
    let visibility = match auth.permission {
        Permission::Own => Visibility::FiledBy(auth.principal.account),
        _ if auth.principal.has_clearance(Clearance::Sensitive) => Visibility::All,
        _ => Visibility::NonSensitive,
    };
    let claims: Page<ClaimSummaryRecord> = state
        .store
        .claim_summaries(visibility, &filter, page)
        .await?;
    let page = claims.map(ClaimSummary::from);
    Ok(Json(ClaimPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub action: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub actor: Option<kernel::id::AccountId>,
    pub actor_role: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

/// Every change to the claim: who, when, from, to, why. Read from the
/// audit log.
#[utoipa::path(get, path = "/v1/claims/{id}/history", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = crate::error::ProblemBody)))]
pub async fn history(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    let record = visible_claim(&state, &auth, id).await?;
    let history = claim_history(&state, id).await?;
    Ok(Json(if reads_as_claimant(&auth) {
        for_claimant(history, record.filed_by)
    } else {
        history
    }))
}

/// A claim's history as its claimant reads it: the steps and their
/// reasons, without the secretariat's internal recommendation or the
/// account ids of the staff who acted.
pub(crate) fn for_claimant(
    history: Vec<HistoryEntry>,
    claimant: kernel::id::AccountId,
) -> Vec<HistoryEntry> {
    history
        .into_iter()
        .filter(|e| e.action != "claim.recommended")
        .map(|mut e| {
            if e.actor != Some(claimant) {
                e.actor = None;
            }
            e
        })
        .collect()
}

/// Every change to a claim, oldest first, from the audit log (reads of
/// sensitive claims left out). The caller checks visibility.
pub(crate) async fn claim_history(state: &AppState, id: ClaimId) -> ApiResult<Vec<HistoryEntry>> {
    let filter = AuditFilter {
        target_type: Some("claim".into()),
        target_id: Some(id.to_string()),
        ..AuditFilter::default()
    };
    let mut entries = Vec::new();
    let mut page = PageRequest::new(Some(PageRequest::MAX_LIMIT), None);
    loop {
        let batch = state.store.audit_entries(&filter, page).await?;
        entries.extend(
            batch
                .items
                .into_iter()
                .filter(|e| e.action != "claim.read")
                .map(|e| HistoryEntry {
                    at: e.at,
                    from: e
                        .summary
                        .get("from")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    to: e
                        .summary
                        .get("to")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    action: e.action,
                    actor: e.actor,
                    actor_role: e.actor_role,
                    reason: e.reason,
                }),
        );
        match batch
            .next_cursor
            .as_deref()
            .and_then(kernel::Cursor::decode)
        {
            Some(c) => page = PageRequest::new(Some(PageRequest::MAX_LIMIT), Some(c)),
            None => break,
        }
    }
    Ok(entries)
}

/// Requests for information and the claimant's answers.
#[utoipa::path(get, path = "/v1/claims/{id}/messages", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<Object>), (status = 404, body = crate::error::ProblemBody)))]
pub async fn messages(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
) -> ApiResult<Json<Vec<store::claims::ClaimMessage>>> {
    visible_claim(&state, &auth, id).await?;
    Ok(Json(state.store.claim_messages(id).await?))
}

/// A probable-duplicate flag as the caller may see it.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum DuplicateFlagView {
    /// Both claims are ones the caller may see.
    Open(DuplicateFlagDetail),
    /// The other claim is one the caller may not see: that a possible
    /// duplicate exists, and nothing about it.
    Restricted(RestrictedFlag),
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateFlagDetail {
    #[schema(value_type = String, format = Uuid)]
    pub id: DuplicateFlagId,
    #[schema(value_type = String, format = Uuid)]
    pub claim: ClaimId,
    #[schema(value_type = String, format = Uuid)]
    pub other_claim: ClaimId,
    /// same_claimant_other_category, same_external_reference, ...
    pub reason: String,
    /// The key both claims share, e.g. `rnokpp:...`.
    pub matched: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub raised_at: OffsetDateTime,
    /// confirmed or not_duplicate, once resolved.
    pub outcome: Option<String>,
    pub resolution_reason: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub resolved_by: Option<kernel::id::AccountId>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<OffsetDateTime>,
}

#[derive(Serialize, ToSchema)]
pub struct RestrictedFlag {
    /// Always true: the flag's other claim is not named.
    pub restricted: bool,
    pub detail: &'static str,
    /// Whether someone with the clearance has resolved it.
    pub resolved: bool,
}

/// What staff without the sensitive clearance read instead of a flag whose
/// other claim is sensitive.
pub const RESTRICTED_FLAG: &str =
    "A possible duplicate that someone with the sensitive clearance must resolve.";

impl DuplicateFlagView {
    /// The flag as `need` allows: in full when both claims may be seen.
    pub fn of(flag: store::claims::DuplicateFlagRecord, need: &NeedToKnow) -> Self {
        if !flag.involves_sensitive() || need.is_cleared() {
            Self::Open(DuplicateFlagDetail {
                id: flag.id,
                claim: flag.claim,
                other_claim: flag.other_claim,
                reason: flag.reason,
                matched: flag.matched,
                raised_at: flag.raised_at,
                outcome: flag.outcome,
                resolution_reason: flag.resolution_reason,
                resolved_by: flag.resolved_by,
                resolved_at: flag.resolved_at,
            })
        } else {
            Self::Restricted(RestrictedFlag {
                restricted: true,
                detail: RESTRICTED_FLAG,
                resolved: flag.outcome.is_some(),
            })
        }
    }
}

/// The flags of a claim the caller may see, each as [`DuplicateFlagView`]
/// allows.
pub(crate) async fn visible_flags(
    state: &AppState,
    auth: &Authorized,
    id: ClaimId,
) -> ApiResult<Vec<DuplicateFlagView>> {
    let need = NeedToKnow::of(state.store.as_ref(), &auth.principal).await?;
    Ok(state
        .store
        .duplicate_flags(id)
        .await?
        .into_iter()
        .map(|f| DuplicateFlagView::of(f, &need))
        .collect())
}

/// Probable-duplicate flags raised on or against this claim. A flag whose
/// other claim is sensitive shows only that it exists, unless the caller
/// has the sensitive clearance.
#[utoipa::path(get, path = "/v1/claims/{id}/duplicates", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<DuplicateFlagView>), (status = 404, body = crate::error::ProblemBody)))]
pub async fn duplicates(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<ClaimId>,
) -> ApiResult<Json<Vec<DuplicateFlagView>>> {
    visible_claim(&state, &auth, id).await?;
    Ok(Json(visible_flags(&state, &auth, id).await?))
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum FlagOutcome {
    Confirmed,
    NotDuplicate,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveFlag {
    pub outcome: FlagOutcome,
    pub reason: String,
}

/// Resolves a duplicate flag once, with a reason. Flags never reject a
/// claim by themselves. A flag on a sensitive claim is resolved only by
/// staff with the sensitive clearance; to anyone else it does not exist.
#[utoipa::path(post, path = "/v1/duplicate-flags/{id}/resolve", tag = "register", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = ResolveFlag,
    responses((status = 200, body = DuplicateFlagDetail), (status = 404, body = crate::error::ProblemBody),
        (status = 409, body = crate::error::ProblemBody)))]
pub async fn resolve_flag(
    State(state): State<AppState>,
    auth: Authorized,
    Path(id): Path<DuplicateFlagId>,
    Json(body): Json<ResolveFlag>,
) -> ApiResult<Json<DuplicateFlagView>> {
    let flag = state.store.duplicate_flag(id).await?;
    let need = NeedToKnow::of(state.store.as_ref(), &auth.principal).await?;
    if flag.involves_sensitive() && !need.is_cleared() {
        tracing::warn!(
            account = %auth.principal.account,
            flag = %id,
            "duplicate flag on a sensitive claim; answered 404 to a caller without the clearance"
        );
        return Err(ApiError::not_found());
    }
    let reason = required_text("reason", &body.reason)?;
    let outcome = match body.outcome {
        FlagOutcome::Confirmed => "confirmed",
        FlagOutcome::NotDuplicate => "not_duplicate",
    };
    let record = state
        .store
        .resolve_duplicate_flag(&auth.audit(Some(reason.clone())), id, outcome, &reason)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(detail) => ApiError::conflict(detail),
            other => other.into(),
        })?;
    Ok(Json(DuplicateFlagView::of(record, &need)))
}
