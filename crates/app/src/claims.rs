//! The Register's claims: filing, the pre-screen at submission, the
//! secretariat's review, the Board's decisions, duplicates and history.
//!
//! Every use case that names a claim loads it through [`visible`]: a claim
//! the caller may not see is "not found", as if it did not exist. Every
//! claim that comes in, through the API, an import or the fuzzer, passes
//! the same checks ([`Intake`]).

use crate::error::{AppError, AppResult, FieldError};
use crate::need_to_know::NeedToKnow;
use crate::{Actor, App};
use kernel::access::Clearance;
use kernel::id::AccountId;
use kernel::{Page, PageRequest, Permission};
use register::{
    Category, ClaimAction, ClaimDraft, ClaimId, ClaimStatus, DuplicateFlagId, DuplicateKeys,
    EligibilityConfig, EligibilityFailure,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use store::claims::{
    ClaimChange, ClaimColumns, ClaimFilter, ClaimMessage, ClaimRecord, ClaimSummaryRecord,
    DraftContent, DuplicateFlagRecord, MessageKind, Submission, Visibility,
};
use store::{AuditFilter, Change, KeptAnswer, StoreError};
use time::{Date, OffsetDateTime};

/// The parts of a sensitive claim kept only in encrypted form.
const SEALED_FIELDS: [&str; 2] = ["narrative", "category_fields"];

/// The longest free text (reasons, messages) accepted.
const TEXT_MAX_CHARS: usize = 10_000;

/// The Board's outcome for a claim under review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardOutcome {
    Recorded,
    Rejected,
}

/// The status's name as clients read it (`under_review`).
pub fn status_name(status: ClaimStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

// ---------------------------------------------------------------- who sees

/// Whether the actor reads claims only as their filer (the policy's `own`
/// for reading claims), whatever the action at hand: such a caller gets the
/// claimant's views, without staff's internal advice or account ids.
pub fn reads_as_claimant(actor: &Actor) -> bool {
    actor.principal.permission(kernel::Action::ReadClaim) == Permission::Own
}

/// Loads a claim the caller may see; anything else is "not found".
pub async fn visible(app: &App, actor: &Actor, id: ClaimId) -> AppResult<ClaimRecord> {
    visible_noting(app, actor, id, json!({ "sensitive": true })).await
}

/// A claim filed by `account`; any other is "not found". For the
/// claimant's own pages, which show only what the person filed, whatever
/// else their roles let them see.
pub async fn filed_by(app: &App, account: AccountId, id: ClaimId) -> AppResult<ClaimRecord> {
    match app.store.claim(id).await {
        Ok(record) if record.filed_by == account => Ok(record),
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::not_found()),
        Err(e) => Err(e.into()),
    }
}

/// The one rule on who sees a claim: the filer, or staff the policy allows,
/// and for a sensitive claim only staff with the sensitive clearance, whose
/// every read is on record with `read_detail` as its summary.
pub async fn visible_noting(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    read_detail: Value,
) -> AppResult<ClaimRecord> {
    let record = app.store.claim(id).await?;
    let own = record.filed_by == actor.principal.account;
    if !sees(actor, &record) {
        // Answered as if it did not exist; logged, since it is what guessing
        // ids looks like.
        tracing::warn!(
            account = %actor.principal.account,
            claim = %id,
            "claim not visible to the caller; answered 404"
        );
        return Err(AppError::not_found());
    }
    if record.sensitive && !own {
        app.store
            .record_event(
                &actor.audit(None),
                Change {
                    action: "claim.read",
                    target_type: "claim",
                    target_id: id.to_string(),
                    summary: read_detail,
                },
            )
            .await?;
    }
    Ok(record)
}

/// Whether the actor may see the claim, by the rule [`visible_noting`]
/// applies (without noting the read).
pub(crate) fn sees(actor: &Actor, record: &ClaimRecord) -> bool {
    let own = record.filed_by == actor.principal.account;
    match actor.permission {
        Permission::Own => own,
        Permission::Allow => {
            !record.sensitive || own || actor.principal.has_clearance(Clearance::Sensitive)
        }
        Permission::Deny => false,
    }
}

/// The filters of a claims list as a caller writes them.
#[derive(Clone, Debug, Default)]
pub struct ListParams {
    /// draft, submitted, under_review, information_requested, recorded,
    /// rejected, withdrawn
    pub status: Option<String>,
    pub category: Option<String>,
    pub region: Option<String>,
    /// Submitted on or after (YYYY-MM-DD or RFC 3339).
    pub submitted_from: Option<String>,
    /// Submitted before (YYYY-MM-DD or RFC 3339).
    pub submitted_to: Option<String>,
    /// Only claims with open duplicate flags.
    pub duplicate: Option<bool>,
    /// A reference number, or the start of a claimant's name.
    pub q: Option<String>,
}

fn parse_instant(field: &str, text: &str) -> AppResult<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        // Compared in UTC, where 9999-12-31T23:59:59-23:59 has no date.
        return t.checked_to_offset(time::UtcOffset::UTC).ok_or_else(|| {
            AppError::invalid_field(
                field,
                "out_of_range",
                "A time between years 0 and 9999 in UTC.",
            )
        });
    }
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map(|d| d.midnight().assume_utc())
    .map_err(|_| {
        AppError::invalid_field(field, "format", "A date (YYYY-MM-DD) or an RFC 3339 time.")
    })
}

/// The filter the parameters describe; a status or time that cannot be
/// read is refused with its field.
pub fn filter(params: &ListParams) -> AppResult<ClaimFilter> {
    let status = params
        .status
        .as_deref()
        .map(|s| {
            serde_json::from_value::<ClaimStatus>(Value::String(s.to_owned())).map_err(|_| {
                AppError::invalid_field(
                    "status",
                    "unknown",
                    format!("{s:?} is not a claim status."),
                )
            })
        })
        .transpose()?;
    Ok(ClaimFilter {
        status,
        category: params.category.clone(),
        region: params.region.clone(),
        submitted_from: params
            .submitted_from
            .as_deref()
            .map(|t| parse_instant("submitted_from", t))
            .transpose()?,
        submitted_to: params
            .submitted_to
            .as_deref()
            .map(|t| parse_instant("submitted_to", t))
            .transpose()?,
        duplicate: params.duplicate,
        q: params.q.clone().filter(|t| !t.trim().is_empty()),
    })
}

/// Claims the caller may see, with filters: a claimant's own, staff all
/// but sensitive ones unless they hold the clearance.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &ClaimFilter,
    page: PageRequest,
) -> AppResult<Page<ClaimSummaryRecord>> {
    let visibility = match actor.permission {
        Permission::Own => Visibility::FiledBy(actor.principal.account),
        _ if actor.principal.has_clearance(Clearance::Sensitive) => Visibility::All,
        _ => Visibility::NonSensitive,
    };
    Ok(app.store.claim_summaries(visibility, filter, page).await?)
}

// ---------------------------------------------------------------- content

/// Splits a draft into what is stored in the clear and, for sensitive
/// categories, what is sealed.
pub fn draft_content(
    app: &App,
    draft: &ClaimDraft,
    category: Option<&Category>,
) -> AppResult<DraftContent> {
    let mut content = serde_json::to_value(draft).map_err(AppError::internal)?;
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
        let bytes = serde_json::to_vec(&secret).map_err(AppError::internal)?;
        Some(app.sealer.seal(&bytes).map_err(AppError::internal)?)
    } else {
        None
    };
    let totals = draft
        .total_claimed()
        .map(|t| serde_json::to_value(t).unwrap_or_else(|_| json!([])))
        .map_err(|e| AppError::invalid_field("losses", "amount_invalid", e.to_string()))?;
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
            contact_email: draft.claimant_email().map(str::to_owned),
            language: draft.language(),
        },
    })
}

/// The name a claim is listed and searched under. People are listed
/// surname first, as Ukrainian registers do, so a prefix search by surname
/// finds them.
pub fn listed_name(claimant: &register::Claimant) -> String {
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
pub fn open_content(app: &App, record: &ClaimRecord) -> AppResult<Value> {
    let mut content = record.content.clone();
    if let (Some(sealed), Some(obj)) = (&record.sealed, content.as_object_mut()) {
        let bytes = app.sealer.open(sealed).map_err(AppError::internal)?;
        let secret: Map<String, Value> =
            serde_json::from_slice(&bytes).map_err(AppError::internal)?;
        obj.extend(secret);
    }
    Ok(content)
}

/// The claim's content as a draft, sealed parts opened.
pub fn draft_of(app: &App, record: &ClaimRecord) -> AppResult<ClaimDraft> {
    serde_json::from_value(open_content(app, record)?).map_err(AppError::internal)
}

// ---------------------------------------------------------------- intake

/// The checks every claim passes on its way in, whichever door it comes
/// through (`POST /v1/claims` and its submission, an import, the fuzzer's
/// dry check), with the deployment's configuration: the earliest date of
/// damage, the catalogue's categories and their claimant types, the
/// regions.
#[derive(Clone, Debug)]
pub struct Intake {
    eligibility: EligibilityConfig,
    today: Date,
}

impl Intake {
    /// The rules as this deployment configures them, on `today`.
    pub fn new(eligibility_start: Date, today: Date) -> Self {
        Self {
            eligibility: EligibilityConfig {
                start_date: eligibility_start,
                ..EligibilityConfig::default()
            },
            today,
        }
    }

    /// The rules of the running application, today.
    pub fn of(app: &App) -> Self {
        Self::new(app.config.eligibility_start, app.clock.today())
    }

    /// The checks at filing: amounts exact and positive, lists within their
    /// limits, and, when the draft names a category, that the catalogue has
    /// it (`found`), it accepts claims today and it fits the claimant.
    /// Returns the category.
    pub fn filing(
        &self,
        draft: &ClaimDraft,
        found: Option<Category>,
    ) -> AppResult<Option<Category>> {
        check_draft(draft)?;
        let Some(code) = &draft.category else {
            return Ok(None);
        };
        match found {
            Some(category) => self.fits(draft, category).map(Some),
            None => Err(unknown_category(code.as_str())),
        }
    }

    /// The eligibility pre-screen at submission: every failure at once.
    pub fn submission(
        &self,
        draft: &ClaimDraft,
        category: Option<&Category>,
        regions: &[register::Region],
    ) -> AppResult<()> {
        register::prescreen(draft, category, regions, &self.eligibility, self.today)
            .map_err(|failures| not_eligible(failures_to_errors(failures)))
    }

    /// Whether `category` accepts claims today and fits the draft's claimant.
    fn fits(&self, draft: &ClaimDraft, category: Category) -> AppResult<Category> {
        let mut errors = Vec::new();
        if let Err(closed) = category.accepts_claims(self.today) {
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
}

/// Amounts must be exact in their currency and positive even in a draft: a
/// wrong figure is an error to fix now, not a gap to fill later. Lists
/// must stay within their limits (`register::MAX_LOSSES` and the others,
/// docs/register.md).
pub fn check_draft(draft: &ClaimDraft) -> AppResult<()> {
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
        Err(AppError::validation(
            "Some amounts or lists are not valid.",
            errors,
        ))
    }
}

/// The refusal of a category the catalogue does not have.
pub fn unknown_category(code: &str) -> AppError {
    AppError::invalid_field(
        "category",
        "unknown_category",
        format!("There is no category {code}."),
    )
}

/// The catalogue's category `code`, if it has one.
pub async fn category(app: &App, code: &str) -> AppResult<Option<Category>> {
    Ok(crate::catalogue::snapshot(app)
        .await?
        .category(code)
        .map(|record| record.category.clone()))
}

/// The draft's category from the catalogue, when it names one.
async fn category_of(app: &App, draft: &ClaimDraft) -> AppResult<Option<Category>> {
    match &draft.category {
        Some(code) => category(app, code.as_str()).await,
        None => Ok(None),
    }
}

/// The 422 of a claim that fails the pre-screen, every failure named.
pub fn not_eligible(errors: Vec<FieldError>) -> AppError {
    let mut e = AppError::validation(
        "The claim does not pass the eligibility pre-screen.",
        errors,
    );
    e.kind = "claim-not-eligible";
    e.title = "The claim is not eligible as it stands";
    e
}

fn failures_to_errors(failures: Vec<EligibilityFailure>) -> Vec<FieldError> {
    failures
        .into_iter()
        .map(|f| FieldError::new(f.field, f.reason.to_string(), f.message))
        .collect()
}

/// The claim's content checked at filing, ready to store.
async fn admitted(app: &App, draft: &ClaimDraft) -> AppResult<DraftContent> {
    let category = Intake::of(app).filing(draft, category_of(app, draft).await?)?;
    draft_content(app, draft, category.as_ref())
}

// ---------------------------------------------------------------- filing

/// Files a new claim as a draft for the actor. With `answer`, the request's
/// answer is kept under its idempotency key in the same commit
/// (`StoreError::KeyTaken` comes back as [`AppError::key_taken`]).
pub async fn file(
    app: &App,
    actor: &Actor,
    draft: ClaimDraft,
    answer: Option<&KeptAnswer<'_, ClaimRecord>>,
) -> AppResult<ClaimRecord> {
    let content = admitted(app, &draft).await?;
    Ok(app
        .store
        .create_claim(&actor.audit(None), actor.principal.account, content, answer)
        .await?)
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

/// Edits a draft at the version the caller last saw, with a JSON Merge
/// Patch (RFC 7396).
pub async fn edit(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    expected_version: i64,
    patch: &Value,
) -> AppResult<ClaimRecord> {
    let record = visible(app, actor, id).await?;
    if record.status != ClaimStatus::Draft {
        return Err(AppError::conflict(format!(
            "Only a draft can be edited; this claim is {}.",
            status_name(record.status)
        ))
        .with("current_status", record.status));
    }
    if expected_version != record.version {
        return Err(AppError::precondition_failed());
    }
    let mut content = open_content(app, &record)?;
    merge_patch(&mut content, patch);
    let draft: ClaimDraft = serde_json::from_value(content).map_err(|e| {
        AppError::invalid_field(
            "",
            "invalid",
            format!("The patched claim is not valid: {e}"),
        )
    })?;
    let content = admitted(app, &draft).await?;
    app.store
        .update_draft(&actor.audit(None), id, expected_version, content)
        .await
        .map_err(AppError::stale_or)
}

/// An illegal status change: a conflict naming the current status.
fn illegal(record: &ClaimRecord, action: ClaimAction) -> AppError {
    let message = register::transition(record.status, action)
        .err()
        .map_or_else(
            || "This change is not possible now.".to_owned(),
            |e| e.to_string(),
        );
    AppError::conflict(message).with("current_status", record.status)
}

/// Submits a draft: the eligibility pre-screen runs, a reference number is
/// given, and probable duplicates are flagged for staff. With
/// `expected_version`, a draft changed since is not submitted.
///
/// It reads the claim with its evidence hashes and the duplicate
/// candidates; the catalogue and regions come from memory. Everything it
/// writes (and, with `answer`, the answer kept under the idempotency key)
/// is one commit.
pub async fn submit(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    expected_version: Option<i64>,
    answer: Option<&KeptAnswer<'_, ClaimRecord>>,
) -> AppResult<ClaimRecord> {
    let (record, hashes) = match app.store.claim_with_evidence_hashes(id).await {
        Ok(found) => found,
        Err(StoreError::NotFound) => return Err(AppError::not_found()),
        Err(e) => return Err(e.into()),
    };
    if !sees(actor, &record) {
        return Err(AppError::not_found());
    }
    if record.sensitive && record.filed_by != actor.principal.account {
        // Staff reading a sensitive claim: the read goes on record.
        visible(app, actor, id).await?;
    }
    let stale = expected_version.is_some_and(|v| v != record.version);
    if answer.is_some() && (record.status != ClaimStatus::Draft || stale) {
        // Perhaps submitted by this very request before (a retry): its key
        // decides, the usual way.
        return Err(AppError::key_taken());
    }
    if record.status != ClaimStatus::Draft {
        return Err(illegal(&record, ClaimAction::Submit));
    }
    if stale {
        return Err(AppError::precondition_failed());
    }
    let draft = draft_of(app, &record)?;
    let catalogue = crate::catalogue::snapshot(app).await?;
    let category = draft
        .category
        .as_ref()
        .and_then(|code| catalogue.category(code.as_str()))
        .map(|record| record.category.clone());
    Intake::of(app).submission(&draft, category.as_ref(), &catalogue.regions)?;
    let evidence_hashes = hashes
        .iter()
        .map(|h| register::EvidenceHash::parse(h).map_err(AppError::internal))
        .collect::<AppResult<Vec<_>>>()?;
    let keys = DuplicateKeys::of_claim(id, &draft, evidence_hashes);
    let candidates = app.store.duplicate_candidates(&keys.index_keys()).await?;
    let flags = register::find_duplicates(&keys, &candidates);
    app.store
        .submit_claim(
            &actor.audit(None),
            &record,
            Submission { keys, flags },
            answer,
        )
        .await
        .map_err(|e| match e {
            // Changed since it was read: the caller's version is stale (with
            // `If-Match`) or the claim moved on (without).
            StoreError::Conflict(_) if expected_version.is_some() => {
                AppError::precondition_failed()
            }
            other => other.into(),
        })
}

// ---------------------------------------------------------------- review

fn required_text(field: &str, text: &str) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > TEXT_MAX_CHARS {
        return Err(AppError::invalid_field(
            field,
            "length",
            "Between 1 and 10,000 characters.",
        ));
    }
    Ok(text.to_owned())
}

/// Applies a lifecycle action that the domain allows from the current status.
async fn act(
    app: &App,
    actor: &Actor,
    record: &ClaimRecord,
    action: ClaimAction,
    expected_version: Option<i64>,
    mut change: ClaimChange,
) -> AppResult<ClaimRecord> {
    let to = register::transition(record.status, action).map_err(|_| illegal(record, action))?;
    change.from = record.status;
    change.to = to;
    // The why of the audit entry: the message sent with the step, or the
    // Board's reasons.
    let reason = change
        .message
        .as_ref()
        .map(|(_, t)| t.clone())
        .or_else(|| reasons_of(change.decision.as_ref()));
    app.store
        .change_claim(&actor.audit(reason), record.id, expected_version, change)
        .await
        .map_err(|e| AppError::from_change(e, expected_version))
}

fn reasons_of(statement: Option<&Value>) -> Option<String> {
    statement
        .and_then(|s| s.get("reasons"))
        .and_then(Value::as_str)
        .map(str::to_owned)
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

/// The claimant withdraws the claim before the Board decides, with an
/// optional reason kept in its history.
pub async fn withdraw(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    reason: Option<String>,
) -> AppResult<ClaimRecord> {
    let record = visible(app, actor, id).await?;
    let mut c = change("claim.withdrawn");
    c.message = reason.map(|r| (MessageKind::Response, r));
    act(app, actor, &record, ClaimAction::Withdraw, None, c).await
}

/// The claimant answers a request for information; the claim returns to
/// review.
pub async fn respond(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    message: &str,
) -> AppResult<ClaimRecord> {
    let text = required_text("message", message)?;
    let record = visible(app, actor, id).await?;
    let mut c = change("claim.information_provided");
    c.message = Some((MessageKind::Response, text));
    act(app, actor, &record, ClaimAction::RespondToRequest, None, c).await
}

/// The secretariat takes the claim up for review.
pub async fn start_review(app: &App, actor: &Actor, id: ClaimId) -> AppResult<ClaimRecord> {
    start_review_at(app, actor, id, None).await
}

/// Takes a claim up for review on the version the caller saw, when given:
/// a claim changed since is not taken up (precondition failed).
pub async fn start_review_at(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    expected_version: Option<i64>,
) -> AppResult<ClaimRecord> {
    let record = visible(app, actor, id).await?;
    if expected_version.is_some_and(|v| v != record.version) {
        return Err(AppError::precondition_failed());
    }
    act(
        app,
        actor,
        &record,
        ClaimAction::StartReview,
        None,
        change("claim.review_started"),
    )
    .await
}

/// The secretariat asks the claimant for more information; they see the
/// message.
pub async fn request_information(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    message: &str,
) -> AppResult<ClaimRecord> {
    let text = required_text("message", message)?;
    let record = visible(app, actor, id).await?;
    let mut c = change("claim.information_requested");
    c.message = Some((MessageKind::Request, text));
    act(
        app,
        actor,
        &record,
        ClaimAction::RequestInformation,
        None,
        c,
    )
    .await
}

/// The secretariat recommends recording or rejecting; the Board decides.
pub async fn recommend(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    outcome: BoardOutcome,
    reasons: &str,
) -> AppResult<ClaimRecord> {
    let reasons = required_text("reasons", reasons)?;
    let record = visible(app, actor, id).await?;
    if record.status != ClaimStatus::UnderReview {
        return Err(AppError::conflict(format!(
            "A recommendation is made during review; this claim is {}.",
            status_name(record.status)
        ))
        .with("current_status", record.status));
    }
    let mut c = change("claim.recommended");
    c.from = ClaimStatus::UnderReview;
    c.to = ClaimStatus::UnderReview;
    c.recommendation = Some(json!({
        "outcome": outcome,
        "reasons": reasons,
        "by": actor.principal.account,
        "at": app.clock.now().unix_timestamp(),
    }));
    let reason = reasons_of(c.recommendation.as_ref());
    Ok(app
        .store
        .change_claim(&actor.audit(reason), id, None, c)
        .await?)
}

/// The Board records or rejects a claim under review. With
/// `expected_version` (the version the Board decided on), of two decisions
/// on the same claim exactly one is taken; without, the current version.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    expected_version: Option<i64>,
    outcome: BoardOutcome,
    reasons: &str,
) -> AppResult<ClaimRecord> {
    let reasons = required_text("reasons", reasons)?;
    let record = visible(app, actor, id).await?;
    if expected_version.is_some_and(|v| v != record.version) {
        return Err(AppError::precondition_failed());
    }
    let (action, audit_action) = match outcome {
        BoardOutcome::Recorded => (ClaimAction::Record, "claim.recorded"),
        BoardOutcome::Rejected => (ClaimAction::Reject, "claim.rejected"),
    };
    let mut c = change(audit_action);
    c.decision = Some(json!({
        "outcome": outcome,
        "reasons": reasons,
        "by": actor.principal.account,
    }));
    let version = expected_version.or(Some(record.version));
    act(app, actor, &record, action, version, c).await
}

/// One of many Board decisions taken at a meeting.
#[derive(Clone, Debug)]
pub struct BoardDecision {
    pub claim: ClaimId,
    pub outcome: BoardOutcome,
    pub reasons: String,
    pub expected_version: Option<i64>,
}

/// The most Board decisions taken in one call.
pub const BULK_MAX: usize = 1000;

/// Many Board decisions at once, each taken or refused on its own; the
/// meeting is named in each decision's reasons.
pub async fn decide_many(
    app: &App,
    actor: &Actor,
    meeting_reference: Option<&str>,
    decisions: Vec<BoardDecision>,
) -> AppResult<Vec<(ClaimId, AppResult<ClaimRecord>)>> {
    if decisions.is_empty() || decisions.len() > BULK_MAX {
        return Err(AppError::invalid_field(
            "items",
            "length",
            "Between 1 and 1,000 decisions.",
        ));
    }
    let mut results = Vec::with_capacity(decisions.len());
    for d in decisions {
        let reasons = match meeting_reference {
            Some(m) => format!("{} (meeting {m})", d.reasons.trim()),
            None => d.reasons.clone(),
        };
        let result = decide(app, actor, d.claim, d.expected_version, d.outcome, &reasons).await;
        results.push((d.claim, result));
    }
    Ok(results)
}

/// Takes many claims up for review at once (up to 1,000), each taken up or
/// refused on its own (a claim already under review, withdrawn, changed
/// since the caller saw it, or not visible), in the order given.
pub async fn start_review_many(
    app: &App,
    actor: &Actor,
    claims: Vec<(ClaimId, Option<i64>)>,
) -> AppResult<Vec<(ClaimId, AppResult<ClaimRecord>)>> {
    if claims.is_empty() || claims.len() > BULK_MAX {
        return Err(AppError::invalid_field(
            "items",
            "length",
            "Between 1 and 1,000 claims.",
        ));
    }
    let mut results = Vec::with_capacity(claims.len());
    for (claim, expected) in claims {
        let result = start_review_at(app, actor, claim, expected).await;
        results.push((claim, result));
    }
    Ok(results)
}

// ---------------------------------------------------------------- history

/// One step of a claim's history, from the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub at: OffsetDateTime,
    pub action: String,
    pub actor: Option<kernel::id::AccountId>,
    pub actor_role: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

/// Every change to a claim the caller may see, oldest first. A claimant
/// reads the steps and their reasons, without the secretariat's internal
/// recommendation or the account ids of the staff who acted.
pub async fn history(app: &App, actor: &Actor, id: ClaimId) -> AppResult<Vec<Step>> {
    let record = visible(app, actor, id).await?;
    let steps = steps(app, id).await?;
    Ok(if reads_as_claimant(actor) {
        for_claimant(steps, record.filed_by)
    } else {
        steps
    })
}

fn for_claimant(steps: Vec<Step>, claimant: kernel::id::AccountId) -> Vec<Step> {
    steps
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

/// A page of the changes to a claim, oldest first, paged by the audit
/// log's ids: reads are left out, so a page may hold fewer steps than its
/// limit (only the absence of `next_cursor` ends the history).
pub async fn history_page(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    page: PageRequest,
) -> AppResult<Page<Step>> {
    let record = visible(app, actor, id).await?;
    let entries = step_page(app, id, page).await?;
    Ok(if reads_as_claimant(actor) {
        Page {
            items: for_claimant(entries.items, record.filed_by),
            next_cursor: entries.next_cursor,
        }
    } else {
        entries
    })
}

/// One page of the audit log of a claim as steps (reads left out).
async fn step_page(app: &App, id: ClaimId, page: PageRequest) -> AppResult<Page<Step>> {
    let filter = AuditFilter {
        target_type: Some("claim".into()),
        target_id: Some(id.to_string()),
        ..AuditFilter::default()
    };
    let text =
        |summary: &Value, key: &str| summary.get(key).and_then(Value::as_str).map(str::to_owned);
    let batch = app.store.audit_entries(&filter, page).await?;
    Ok(Page {
        items: batch
            .items
            .into_iter()
            .filter(|e| e.action != "claim.read")
            .map(|e| Step {
                at: e.at,
                from: text(&e.summary, "from"),
                to: text(&e.summary, "to"),
                action: e.action,
                actor: e.actor,
                actor_role: e.actor_role,
                reason: e.reason,
            })
            .collect(),
        next_cursor: batch.next_cursor,
    })
}

/// Every change to a claim, oldest first, from the audit log (reads of
/// sensitive claims left out).
async fn steps(app: &App, id: ClaimId) -> AppResult<Vec<Step>> {
    let mut entries = Vec::new();
    let mut page = PageRequest::new(Some(PageRequest::MAX_LIMIT), None);
    loop {
        let batch = step_page(app, id, page).await?;
        entries.extend(batch.items);
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
pub async fn messages(app: &App, actor: &Actor, id: ClaimId) -> AppResult<Vec<ClaimMessage>> {
    visible(app, actor, id).await?;
    Ok(app.store.claim_messages(id).await?)
}

/// The requests for information and answers, oldest first, paged by id.
pub async fn message_page(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    page: PageRequest,
) -> AppResult<Page<ClaimMessage>> {
    let all = messages(app, actor, id).await?;
    Ok(Page::from_all(all, page, |m| m.id))
}

// ---------------------------------------------------------------- duplicates

/// A probable-duplicate flag as the caller may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlagSeen {
    /// Both claims are ones the caller may see.
    Open(DuplicateFlagRecord),
    /// The other claim is one the caller may not see: only that a
    /// possible duplicate exists, and whether it was resolved.
    Restricted { resolved: bool },
}

impl FlagSeen {
    fn of(flag: DuplicateFlagRecord, need: &NeedToKnow) -> Self {
        if !flag.involves_sensitive() || need.is_cleared() {
            Self::Open(flag)
        } else {
            Self::Restricted {
                resolved: flag.outcome.is_some(),
            }
        }
    }
}

/// The probable-duplicate flags raised on or against a claim the caller
/// may see; a flag whose other claim is sensitive shows only that it
/// exists, unless the caller holds the sensitive clearance.
pub async fn duplicate_flags(app: &App, actor: &Actor, id: ClaimId) -> AppResult<Vec<FlagSeen>> {
    visible(app, actor, id).await?;
    let need = NeedToKnow::of(app.store.as_ref(), &actor.principal).await?;
    Ok(app
        .store
        .duplicate_flags(id)
        .await?
        .into_iter()
        .map(|f| FlagSeen::of(f, &need))
        .collect())
}

/// The duplicate flags of a claim as [`duplicate_flags`] shows them,
/// paged by the flags' ids.
pub async fn duplicate_flag_page(
    app: &App,
    actor: &Actor,
    id: ClaimId,
    page: PageRequest,
) -> AppResult<Page<FlagSeen>> {
    visible(app, actor, id).await?;
    let need = NeedToKnow::of(app.store.as_ref(), &actor.principal).await?;
    let flags = app.store.duplicate_flags(id).await?;
    Ok(Page::from_all(flags, page, |f| f.id.0).map(|f| FlagSeen::of(f, &need)))
}

/// What a resolution of a duplicate flag found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagOutcome {
    Confirmed,
    NotDuplicate,
}

/// Resolves a duplicate flag once, with a reason. Flags never reject a
/// claim by themselves. A flag on a sensitive claim is resolved only by
/// staff with the sensitive clearance; to anyone else it does not exist.
pub async fn resolve_flag(
    app: &App,
    actor: &Actor,
    id: DuplicateFlagId,
    outcome: FlagOutcome,
    reason: &str,
) -> AppResult<DuplicateFlagRecord> {
    let flag = app.store.duplicate_flag(id).await?;
    let need = NeedToKnow::of(app.store.as_ref(), &actor.principal).await?;
    if flag.involves_sensitive() && !need.is_cleared() {
        tracing::warn!(
            account = %actor.principal.account,
            flag = %id,
            "duplicate flag on a sensitive claim; answered 404 to a caller without the clearance"
        );
        return Err(AppError::not_found());
    }
    let reason = required_text("reason", reason)?;
    let outcome = match outcome {
        FlagOutcome::Confirmed => "confirmed",
        FlagOutcome::NotDuplicate => "not_duplicate",
    };
    Ok(app
        .store
        .resolve_duplicate_flag(&actor.audit(Some(reason.clone())), id, outcome, &reason)
        .await?)
}
