//! Panels, their recommendations and votes, and the Council's decisions and corrections.
//!
//! Every use case that recommends or decides passes the go-live gate first
//! ([`acting_in_force`]). Each change is one conditional update in the
//! store, so of two people acting on the same record at once one wins and
//! the other is refused (a conflict, or a stale version), never both.

use crate::batches::known_batch;
use crate::cases::known_case;
use crate::error::{AppError, AppResult, ErrorClass};
use crate::gate::acting_in_force;
use crate::need_to_know::NeedToKnow;
use crate::{Actor, App, enum_filter, id_filter};
use commission::{
    AssemblyVote, AwardId, BatchId, BatchStatus, CaseForPanel, CaseId, CaseStatus, ClaimantKind,
    CorrectionReason, CouncilAction, Decision, DecisionError, DecisionId, DecisionNumber,
    DismissalCode, ErrorCode, Outcome, Panel, PanelId, Recommendation, RecommendationError,
    RecommendationId, RecommendationStatus, ReviewOutcome, Vote, VoteChoice, VoteError, VoteTally,
};
use kernel::id::AccountId;
use kernel::{Money, Page, PageRequest, Role};
use register::ClaimId;
use store::StoreError;
use store::cases::{CaseFilter, CaseRecord};
use store::decisions::{
    Approval, Correction, DecisionFilter, DecisionRecord, Issued, PanelRecord,
    RecommendationFilter, RecommendationRecord,
};
use time::Date;

/// A refusal by the domain's rules because of the record's state.
pub(crate) fn domain_conflict(e: &(impl ErrorCode + std::fmt::Display)) -> AppError {
    AppError::conflict(e.to_string()).with("code", e.code())
}

/// A refusal by the domain's rules because of a value the caller gave.
pub(crate) fn domain_invalid(field: &str, e: &(impl ErrorCode + std::fmt::Display)) -> AppError {
    AppError::invalid_field(field, e.code(), e.to_string()).with("code", e.code())
}

// ---------------------------------------------------------------- panels

/// The panels, oldest first, paged by id.
pub async fn panels(app: &App, page: PageRequest) -> AppResult<Page<PanelRecord>> {
    Ok(app.store.panels(page).await?)
}

/// Every panel, oldest first (for choosing one in a form).
pub async fn all_panels(app: &App) -> AppResult<Vec<PanelRecord>> {
    let mut all = Vec::new();
    let mut page = PageRequest::new(Some(PageRequest::MAX_LIMIT), None);
    loop {
        let next = app.store.panels(page).await?;
        all.extend(next.items);
        match next.next_cursor.as_deref().and_then(kernel::Cursor::decode) {
            Some(c) => page = PageRequest::new(Some(PageRequest::MAX_LIMIT), Some(c)),
            None => return Ok(all),
        }
    }
}

/// A panel the Council forms.
#[derive(Clone, Debug)]
pub struct NewPanel {
    pub name: String,
    /// Commissioners' accounts.
    pub members: Vec<AccountId>,
    /// Category codes the panel handles.
    pub categories: Vec<String>,
    /// Batches assigned to the panel; their categories are added.
    pub batches: Vec<BatchId>,
}

/// The Council forms a panel of Commissioners for categories or batches.
/// Gated: the Council exists only once the convention is in force.
pub async fn form_panel(app: &App, actor: &Actor, new: NewPanel) -> AppResult<PanelRecord> {
    let actor = &acting_in_force(app, actor).await?;
    for (i, m) in new.members.iter().enumerate() {
        match app.store.account(*m).await {
            Ok(a) if a.roles.contains(&Role::Commissioner) => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(AppError::invalid_field(
                    &format!("members[{i}]"),
                    "not_a_commissioner",
                    "Not a Commissioner's account.",
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut categories = new.categories;
    for (i, b) in new.batches.iter().enumerate() {
        let batch = match known_batch(app, actor, *b).await {
            Ok((batch, _)) => batch,
            Err(e) if e.class == ErrorClass::NotFound => {
                return Err(AppError::invalid_field(
                    &format!("batches[{i}]"),
                    "unknown",
                    "No such batch.",
                ));
            }
            Err(e) => return Err(e),
        };
        if !categories.contains(&batch.category) {
            categories.push(batch.category);
        }
    }
    let panel = Panel {
        id: PanelId::new(),
        name: new.name.trim().to_owned(),
        members: new.members,
        categories,
    };
    panel.validate().map_err(|e| domain_invalid("panel", &e))?;
    Ok(app
        .store
        .create_panel(&actor.audit(None), &panel, &new.batches)
        .await?)
}

// ------------------------------------------------------- recommendations

/// What a panel member proposes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposedOutcome {
    /// An award: at the assessed amount unless `amount` is given, which then
    /// needs `variation_reasons`.
    Award {
        amount: Option<Money>,
        variation_reasons: Option<String>,
    },
    /// A dismissal, with codes from the list and text.
    Dismissal {
        codes: Vec<DismissalCode>,
        text: String,
    },
}

impl ProposedOutcome {
    /// The outcome named `award` or `dismissal`, with what that outcome
    /// takes of the rest.
    pub fn named(
        name: &str,
        amount: Option<Money>,
        variation_reasons: Option<String>,
        codes: Vec<DismissalCode>,
        text: Option<String>,
    ) -> AppResult<Self> {
        match name {
            "award" => Ok(Self::Award {
                amount,
                variation_reasons,
            }),
            "dismissal" => Ok(Self::Dismissal {
                codes,
                text: text.unwrap_or_default(),
            }),
            _ => Err(AppError::invalid_field(
                "outcome",
                "invalid",
                "award or dismissal",
            )),
        }
    }
}

/// A recommendation as a panel member proposes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub panel: PanelId,
    pub outcome: ProposedOutcome,
}

fn recommendation_problem(e: &RecommendationError) -> AppError {
    match e {
        RecommendationError::NotAMember { .. } => {
            AppError::forbidden(e.to_string()).with("code", e.code())
        }
        RecommendationError::ConflictOfInterest(_) | RecommendationError::AssessmentRequired => {
            domain_conflict(e)
        }
        _ => domain_invalid("outcome", e),
    }
}

fn vote_problem(e: &VoteError) -> AppError {
    match e {
        VoteError::NotAMember { .. } => AppError::forbidden(e.to_string()).with("code", e.code()),
        _ => domain_conflict(e),
    }
}

/// The panel as it applies to a case: a batch assigned to the panel is
/// handled whatever its category.
fn panel_for(panel: &PanelRecord, case: &CaseRecord) -> Panel {
    let mut p = panel.panel.clone();
    if case.batch_id.is_some_and(|b| panel.batches.contains(&b)) && !p.handles(&case.category) {
        p.categories.push(case.category.clone());
    }
    p
}

/// The panel a proposal names; an unknown one is the proposal's fault.
async fn proposed_panel(app: &App, id: PanelId) -> AppResult<PanelRecord> {
    match app.store.panel(id).await {
        Err(StoreError::NotFound) => Err(AppError::invalid_field(
            "panel",
            "unknown",
            "No such panel.",
        )),
        other => Ok(other?),
    }
}

/// The recommendation `actor` proposes on one case, checked by the domain
/// (membership, four eyes, an assessment to stand on).
async fn propose(
    app: &App,
    actor: &Actor,
    panel: &PanelRecord,
    case: &CaseRecord,
    outcome: &ProposedOutcome,
) -> AppResult<Recommendation> {
    let assessed = app
        .store
        .assessments(case.id)
        .await?
        .last()
        .map(|a| a.assessment.result);
    let involvement = app.store.case_involvement(case.id).await?;
    let outcome = match outcome {
        ProposedOutcome::Award {
            amount,
            variation_reasons,
        } => {
            let Some(amount) = amount.or(assessed) else {
                return Err(recommendation_problem(
                    &RecommendationError::AssessmentRequired,
                ));
            };
            Outcome::Award {
                amount,
                variation_reasons: variation_reasons.clone(),
            }
        }
        ProposedOutcome::Dismissal { codes, text } => Outcome::Dismissal {
            codes: codes.clone(),
            text: text.clone(),
        },
    };
    Recommendation::propose(
        RecommendationId::new(),
        &panel_for(panel, case),
        actor.principal.account,
        &CaseForPanel {
            case: case.id,
            category: &case.category,
            assessed_amount: assessed,
            involvement: &involvement,
        },
        outcome,
    )
    .map_err(|e| recommendation_problem(&e))
}

/// A panel member proposes a recommendation on one case. Gated.
pub async fn recommend(
    app: &App,
    actor: &Actor,
    case: CaseId,
    proposal: Proposal,
) -> AppResult<RecommendationRecord> {
    let actor = &acting_in_force(app, actor).await?;
    let case = known_case(app, actor, case).await?;
    let panel = proposed_panel(app, proposal.panel).await?;
    let recommendation = propose(app, actor, &panel, &case, &proposal.outcome).await?;
    app.store
        .create_recommendations(&actor.audit(None), &[recommendation], None)
        .await?
        .pop()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no recommendation was stored")))
}

/// The refusal of an amount proposed for a batch: each of its cases is
/// recommended at its own assessed amount.
pub fn batch_amount_refused() -> AppError {
    AppError::invalid_field(
        "amount",
        "not_allowed",
        "A batch is recommended at each case's assessed amount.",
    )
}

/// A panel member proposes one recommendation per case of a released batch
/// waiting for the panel: an award at each case's assessed amount, or a
/// dismissal. Gated.
pub async fn recommend_batch(
    app: &App,
    actor: &Actor,
    batch: BatchId,
    proposal: Proposal,
) -> AppResult<Vec<RecommendationRecord>> {
    let actor = &acting_in_force(app, actor).await?;
    let (record, _) = known_batch(app, actor, batch).await?;
    if record.status != BatchStatus::Released {
        return Err(AppError::conflict(format!(
            "Only a released batch goes to the panel; this one is {:?}.",
            record.status
        ))
        .with("code", "batch_not_released"));
    }
    if matches!(
        proposal.outcome,
        ProposedOutcome::Award {
            amount: Some(_),
            ..
        }
    ) {
        return Err(batch_amount_refused());
    }
    let panel = proposed_panel(app, proposal.panel).await?;
    let filter = CaseFilter {
        batch: Some(batch),
        status: Some(CaseStatus::ReadyForPanel),
        ..CaseFilter::default()
    };
    let mut recommendations = Vec::new();
    let mut after = None;
    loop {
        let page = app
            .store
            .cases(
                &filter,
                PageRequest::new(Some(PageRequest::MAX_LIMIT), after),
            )
            .await?;
        for case in &page.items {
            recommendations.push(propose(app, actor, &panel, case, &proposal.outcome).await?);
        }
        match page
            .next_cursor
            .as_deref()
            .and_then(kernel::page::Cursor::decode)
        {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    if recommendations.is_empty() {
        return Err(AppError::conflict(
            "No case of the batch is waiting for the panel.",
        ));
    }
    Ok(app
        .store
        .create_recommendations(&actor.audit(None), &recommendations, Some(batch))
        .await?)
}

/// A recommendation, and what became of it.
#[derive(Clone, Debug)]
pub struct Recommended {
    pub record: RecommendationRecord,
    /// The count of the votes, after a vote.
    pub tally: Option<VoteTally>,
    /// The decision before the Council once the panel adopted it: its
    /// version is the one the Council decides on.
    pub decision: Option<DecisionRecord>,
}

/// The decision on a recommendation, if there is one yet.
async fn decision_on(app: &App, id: RecommendationId) -> AppResult<Option<DecisionRecord>> {
    match app.store.decision_for_recommendation(id).await {
        Ok(d) => Ok(Some(d)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// One recommendation with its votes and its decision.
pub async fn recommendation(
    app: &App,
    actor: &Actor,
    id: RecommendationId,
) -> AppResult<Recommended> {
    let record = app.store.recommendation(id).await?;
    known_case(app, actor, record.recommendation.case).await?;
    Ok(Recommended {
        decision: decision_on(app, id).await?,
        record,
        tally: None,
    })
}

/// Filters of the recommendation list as people write them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecommendationCriteria {
    /// `open`, `adopted` or `rejected`.
    pub status: Option<String>,
    /// A case id.
    pub case: Option<String>,
    /// A panel id.
    pub panel: Option<String>,
    /// A batch id.
    pub batch: Option<String>,
}

/// Recommendations the caller may know of, oldest first, filtered and
/// paged by id, each with the decision on it if there is one.
pub async fn recommendations(
    app: &App,
    actor: &Actor,
    criteria: &RecommendationCriteria,
    page: PageRequest,
) -> AppResult<Page<Recommended>> {
    let filter = RecommendationFilter {
        status: enum_filter("status", criteria.status.as_deref())?,
        case: id_filter("case", criteria.case.as_deref())?.map(CaseId::from_uuid),
        panel: id_filter("panel", criteria.panel.as_deref())?.map(PanelId::from_uuid),
        batch: id_filter("batch", criteria.batch.as_deref())?.map(BatchId::from_uuid),
        exclude_categories: NeedToKnow::of(app.store.as_ref(), &actor.principal)
            .await?
            .hidden_categories(),
    };
    let records = app.store.recommendations(&filter, page).await?;
    let mut items = Vec::with_capacity(records.items.len());
    for record in records.items {
        items.push(Recommended {
            decision: decision_on(app, record.recommendation.id).await?,
            record,
            tally: None,
        });
    }
    Ok(Page {
        items,
        next_cursor: records.next_cursor,
    })
}

/// The decision before the Council on a recommendation: not found until
/// the panel adopted it.
pub async fn decision_on_recommendation(
    app: &App,
    actor: &Actor,
    id: RecommendationId,
) -> AppResult<DecisionRecord> {
    recommendation(app, actor, id)
        .await?
        .decision
        .ok_or_else(|| StoreError::NotFound.into())
}

/// Every recommendation made on a case the caller may see, oldest first,
/// each with the decision on it if there is one.
pub async fn case_recommendations(
    app: &App,
    actor: &Actor,
    case: CaseId,
) -> AppResult<Vec<Recommended>> {
    known_case(app, actor, case).await?;
    let mut out = Vec::new();
    for record in app.store.case_recommendations(case).await? {
        out.push(Recommended {
            decision: decision_on(app, record.recommendation.id).await?,
            record,
            tally: None,
        });
    }
    Ok(out)
}

/// A panel member's votes on many recommendations at once (a batch's, up
/// to 1,000), each cast or refused on its own as [`vote`] would. Gated.
pub async fn vote_many(
    app: &App,
    actor: &Actor,
    votes: Vec<(RecommendationId, VoteChoice)>,
) -> AppResult<Vec<(RecommendationId, AppResult<Recommended>)>> {
    if votes.is_empty() || votes.len() > crate::claims::BULK_MAX {
        return Err(AppError::invalid_field(
            "items",
            "length",
            "Between 1 and 1,000 votes.",
        ));
    }
    // Refused as a whole before the gate opens, like a single vote.
    let actor = &acting_in_force(app, actor).await?;
    let mut results = Vec::with_capacity(votes.len());
    for (recommendation, choice) in votes {
        let result = vote(app, actor, recommendation, choice).await;
        results.push((recommendation, result));
    }
    Ok(results)
}

/// A panel member votes once; a member who assessed the case or reviewed
/// it in a sample may not. Adopted at a majority of the members, which puts
/// a decision before the Council. Gated.
pub async fn vote(
    app: &App,
    actor: &Actor,
    id: RecommendationId,
    choice: VoteChoice,
) -> AppResult<Recommended> {
    let actor = &acting_in_force(app, actor).await?;
    let record = app.store.recommendation(id).await?;
    let mut recommendation = record.recommendation;
    let case = known_case(app, actor, recommendation.case).await?;
    let panel = panel_for(&app.store.panel(recommendation.panel).await?, &case);
    let involvement = app.store.case_involvement(recommendation.case).await?;
    let tally = recommendation
        .cast_vote(
            &panel,
            &involvement,
            Vote {
                member: actor.principal.account,
                choice,
            },
        )
        .map_err(|e| vote_problem(&e))?;
    let open = if recommendation.status == RecommendationStatus::Adopted {
        Some(Decision::open(DecisionId::new(), &recommendation).map_err(|e| domain_conflict(&e))?)
    } else {
        None
    };
    let saved = app
        .store
        .record_vote(
            &actor.audit(None),
            &recommendation,
            record.version,
            open.as_ref(),
        )
        .await?;
    Ok(Recommended {
        record: saved,
        tally: Some(tally),
        decision: decision_on(app, id).await?,
    })
}

// ------------------------------------------------------------- decisions

/// What the Council does with a recommendation before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CouncilStep {
    /// A final decision, numbered `ICC-DEC-<year>-<sequence>`, taken on
    /// `decided_on` (today if not given); an award follows an award.
    Approve {
        decided_on: Option<Date>,
    },
    ReturnToPanel {
        reasons: String,
    },
    ReferToReviewCommittee {
        grounds: String,
    },
    RecordReviewOutcome {
        outcome: ReviewOutcome,
    },
    ReferToAssembly {
        grounds: String,
    },
    RecordAssemblyVote {
        vote: AssemblyVote,
    },
}

/// The kind of claimant of a claim, for the priority tier of its award.
async fn claimant_kind(app: &App, claim: ClaimId) -> AppResult<ClaimantKind> {
    let claim = app.store.claim(claim).await?;
    crate::awards::claimant_kind_of_claim(&claim.content)
}

/// The Council's step on the decision before it on a recommendation, at
/// the decision's version the caller saw.
async fn decide_one(
    app: &App,
    actor: &Actor,
    id: RecommendationId,
    expected_version: i64,
    meeting_reference: Option<String>,
    step: CouncilStep,
) -> AppResult<Issued> {
    let record = match app.store.decision_for_recommendation(id).await {
        Err(StoreError::NotFound) => {
            let recommendation = app.store.recommendation(id).await?;
            known_case(app, actor, recommendation.recommendation.case).await?;
            return Err(domain_conflict(&DecisionError::RecommendationNotAdopted {
                status: recommendation.recommendation.status,
            }));
        }
        other => other?,
    };
    NeedToKnow::of(app.store.as_ref(), &actor.principal)
        .await?
        .check_category(&record.category)?;
    if expected_version != record.version {
        return Err(AppError::precondition_failed());
    }
    let meeting_reference = meeting_reference.filter(|m| !m.trim().is_empty());
    let action = match step {
        CouncilStep::Approve { decided_on } => {
            let decided_on = decided_on.unwrap_or_else(|| app.clock.today());
            // The number itself is taken in the approving transaction; this
            // one only lets the domain check the step and the year.
            let probe = DecisionNumber::new(u16::try_from(decided_on.year()).unwrap_or(0), 1)
                .map_err(|e| domain_invalid("decided_on", &e))?;
            record
                .decision
                .apply(CouncilAction::Approve {
                    number: probe,
                    decided_on,
                })
                .map_err(|e| domain_conflict(&e))?;
            let award = match record.decision.outcome {
                Outcome::Award { .. } => {
                    Some((AwardId::new(), claimant_kind(app, record.claim_id).await?))
                }
                Outcome::Dismissal { .. } => None,
            };
            let approval = Approval {
                decision: record.decision.id,
                expected_version,
                decided_on,
                meeting_reference,
                award,
            };
            return app
                .store
                .approve(&actor.audit(None), &approval)
                .await
                .map_err(AppError::stale_or);
        }
        CouncilStep::ReturnToPanel { reasons } => CouncilAction::ReturnToPanel { reasons },
        CouncilStep::ReferToReviewCommittee { grounds } => {
            CouncilAction::ReferToReviewCommittee { grounds }
        }
        CouncilStep::RecordReviewOutcome { outcome } => {
            CouncilAction::RecordReviewOutcome { outcome }
        }
        CouncilStep::ReferToAssembly { grounds } => CouncilAction::ReferToAssembly { grounds },
        CouncilStep::RecordAssemblyVote { vote } => CouncilAction::RecordAssemblyVote { vote },
    };
    let next = record
        .decision
        .apply(action)
        .map_err(|e| domain_conflict(&e))?;
    let saved = app
        .store
        .council_step(
            &actor.audit(None),
            &next,
            expected_version,
            meeting_reference.as_deref(),
        )
        .await
        .map_err(AppError::stale_or)?;
    Ok(Issued {
        decision: saved,
        award: None,
    })
}

/// The Council approves (a final decision with its number, and the award),
/// returns to the panel, refers to a Review Committee, records its outcome,
/// refers on to the Assembly or records the Assembly's vote, on the
/// decision at `expected_version`: of two approvals at once one wins and
/// the other is stale (or in conflict). Gated.
pub async fn decide(
    app: &App,
    actor: &Actor,
    recommendation: RecommendationId,
    expected_version: i64,
    step: CouncilStep,
    meeting_reference: Option<String>,
) -> AppResult<Issued> {
    let actor = &acting_in_force(app, actor).await?;
    decide_one(
        app,
        actor,
        recommendation,
        expected_version,
        meeting_reference,
        step,
    )
    .await
}

/// The most recommendations the Council decides in one list.
pub const MAX_BULK_ITEMS: usize = 1000;

/// One item of the Council's list at a meeting.
#[derive(Debug)]
pub struct BulkItem {
    pub recommendation: RecommendationId,
    /// The decision's version the Council saw.
    pub expected_version: i64,
    /// The step, or why the door could not read it: such an item is
    /// refused in its place, like any item the Council may not decide.
    pub step: AppResult<CouncilStep>,
}

/// What became of one item of the list.
#[derive(Debug)]
pub struct BulkOutcome {
    pub recommendation: RecommendationId,
    pub result: AppResult<Issued>,
}

/// The Council decides many recommendations at one meeting (up to
/// [`MAX_BULK_ITEMS`]), each decided or refused on its own, in order.
/// Gated.
pub async fn decide_many(
    app: &App,
    actor: &Actor,
    meeting_reference: String,
    items: Vec<BulkItem>,
) -> AppResult<Vec<BulkOutcome>> {
    let actor = &acting_in_force(app, actor).await?;
    if items.is_empty() || items.len() > MAX_BULK_ITEMS {
        return Err(AppError::invalid_field(
            "items",
            "length",
            "Between 1 and 1,000 items.",
        ));
    }
    if meeting_reference.trim().is_empty() {
        return Err(AppError::invalid_field(
            "meeting_reference",
            "required",
            "The meeting's reference.",
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let result = match item.step {
            Ok(step) => {
                decide_one(
                    app,
                    actor,
                    item.recommendation,
                    item.expected_version,
                    Some(meeting_reference.clone()),
                    step,
                )
                .await
            }
            Err(e) => Err(e),
        };
        out.push(BulkOutcome {
            recommendation: item.recommendation,
            result,
        });
    }
    Ok(out)
}

/// One decision.
pub async fn decision(app: &App, actor: &Actor, id: DecisionId) -> AppResult<DecisionRecord> {
    let d = app.store.decision(id).await?;
    NeedToKnow::of(app.store.as_ref(), &actor.principal)
        .await?
        .check_category(&d.category)?;
    Ok(d)
}

/// Filters of the decision list as people write them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecisionCriteria {
    /// A decision status, e.g. `final`.
    pub status: Option<String>,
    /// A case id.
    pub case: Option<String>,
    pub category: Option<String>,
}

/// The Council's decisions the caller may know of (open, final, superseded
/// and corrections), oldest first, filtered and paged by id.
pub async fn decisions(
    app: &App,
    actor: &Actor,
    criteria: &DecisionCriteria,
    page: PageRequest,
) -> AppResult<Page<DecisionRecord>> {
    let filter = DecisionFilter {
        status: enum_filter("status", criteria.status.as_deref())?,
        case: id_filter("case", criteria.case.as_deref())?.map(CaseId::from_uuid),
        category: criteria.category.clone(),
        exclude_categories: NeedToKnow::of(app.store.as_ref(), &actor.principal)
            .await?
            .hidden_categories(),
    };
    Ok(app.store.decisions(&filter, page).await?)
}

/// Every decision on a case, corrections and what they superseded
/// included, oldest first.
pub async fn case_decisions(
    app: &App,
    actor: &Actor,
    case: CaseId,
) -> AppResult<Vec<DecisionRecord>> {
    known_case(app, actor, case).await?;
    Ok(app.store.case_decisions(case).await?)
}

/// The decisions on a case, oldest first, paged by id.
pub async fn case_decision_page(
    app: &App,
    actor: &Actor,
    case: CaseId,
    page: PageRequest,
) -> AppResult<Page<DecisionRecord>> {
    let all = case_decisions(app, actor, case).await?;
    Ok(Page::from_all(all, page, |d| d.decision.id.0))
}

/// What a correction puts right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Corrected {
    /// The amount of an award.
    Amount(Money),
    /// The outcome in full.
    Outcome(Outcome),
}

/// A correcting decision as the Council takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCorrection {
    pub reason: CorrectionReason,
    pub explanation: String,
    pub corrected: Corrected,
    pub meeting_reference: Option<String>,
    /// Today if not given.
    pub decided_on: Option<Date>,
}

/// A correction (clerical or computational error): a new final decision
/// with its own number that supersedes the decision in force; the award
/// follows it. Gated.
pub async fn correct(
    app: &App,
    actor: &Actor,
    id: DecisionId,
    correction: NewCorrection,
) -> AppResult<Issued> {
    let actor = &acting_in_force(app, actor).await?;
    let previous = app.store.decision(id).await?;
    NeedToKnow::of(app.store.as_ref(), &actor.principal)
        .await?
        .check_category(&previous.category)?;
    if let Some(by) = previous.superseded_by {
        return Err(AppError::conflict(format!(
            "This decision is superseded by {by}; correct the decision in force."
        ))
        .with("code", "superseded"));
    }
    let outcome = match correction.corrected {
        Corrected::Amount(amount) => Outcome::Award {
            amount,
            variation_reasons: Some(correction.explanation.clone()),
        },
        Corrected::Outcome(outcome) => outcome,
    };
    let decided_on = correction.decided_on.unwrap_or_else(|| app.clock.today());
    // As for an approval, the number is taken when the correction is stored.
    let probe = DecisionNumber::new(
        u16::try_from(decided_on.year()).unwrap_or(0),
        DecisionNumber::MAX_SEQUENCE,
    )
    .map_err(|e| domain_invalid("decided_on", &e))?;
    let new_id = DecisionId::new();
    previous
        .decision
        .correct(
            new_id,
            probe,
            decided_on,
            correction.reason,
            &correction.explanation,
            outcome.clone(),
        )
        .map_err(|e| domain_conflict(&e))?;
    Ok(app
        .store
        .correct(
            &actor.audit(None),
            &Correction {
                id: new_id,
                previous: id,
                decided_on,
                reason: correction.reason,
                explanation: correction.explanation,
                outcome,
                meeting_reference: correction.meeting_reference,
            },
        )
        .await?)
}

/// The final decisions on a claim, as its claimant sees them (staff see
/// those of any claim they may read); none before the claim has a case.
pub async fn claim_decisions(
    app: &App,
    actor: &Actor,
    claim: ClaimId,
) -> AppResult<Vec<DecisionRecord>> {
    crate::claims::visible_noting(app, actor, claim, serde_json::json!({"read": "decisions"}))
        .await?;
    let case = match app.store.case_for_claim(claim).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    Ok(app
        .store
        .case_decisions(case.id)
        .await?
        .into_iter()
        .filter(|d| d.decision.is_final())
        .collect())
}

/// The final decisions on a claim as [`claim_decisions`] shows them,
/// oldest first, paged by id.
pub async fn claim_decision_page(
    app: &App,
    actor: &Actor,
    claim: ClaimId,
    page: PageRequest,
) -> AppResult<Page<DecisionRecord>> {
    let all = claim_decisions(app, actor, claim).await?;
    Ok(Page::from_all(all, page, |d| d.decision.id.0))
}

/// One entry of the public register of decisions: what was decided, where
/// and when, and nothing that names a claimant or a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicEntry {
    pub number: Option<DecisionNumber>,
    pub decided_on: Option<Date>,
    pub category: String,
    pub region: Option<String>,
    /// `award` or `dismissal`.
    pub outcome: &'static str,
    pub amount: Option<Money>,
    pub dismissal_codes: Vec<DismissalCode>,
    /// The number of the decision this one corrects.
    pub supersedes: Option<DecisionNumber>,
    pub superseded: bool,
}

impl From<DecisionRecord> for PublicEntry {
    fn from(d: DecisionRecord) -> Self {
        let (outcome, dismissal_codes) = match &d.decision.outcome {
            Outcome::Award { .. } => ("award", Vec::new()),
            Outcome::Dismissal { codes, .. } => ("dismissal", codes.clone()),
        };
        Self {
            number: d.decision.number,
            decided_on: d.decision.decided_on,
            category: d.category,
            region: d.region,
            outcome,
            amount: d.decision.outcome.amount(),
            dismissal_codes,
            supersedes: d.decision.supersedes.map(|s| s.number),
            superseded: d.superseded_by.is_some(),
        }
    }
}

/// The whole public register, oldest first (the tracker's page totals it).
pub async fn whole_public_register(app: &App) -> AppResult<Vec<PublicEntry>> {
    let mut all = Vec::new();
    let mut page = PageRequest::new(Some(PageRequest::MAX_LIMIT), None);
    loop {
        let next = public_register(app, page).await?;
        all.extend(next.items);
        match next.next_cursor.as_deref().and_then(kernel::Cursor::decode) {
            Some(c) => page = PageRequest::new(Some(PageRequest::MAX_LIMIT), Some(c)),
            None => return Ok(all),
        }
    }
}

/// How many final decisions the Commission has taken.
pub async fn final_decision_count(app: &App) -> AppResult<u64> {
    Ok(app.reads.final_decision_count().await?)
}

/// The public, anonymised register of final decisions, oldest first,
/// paged by id.
pub async fn public_register(app: &App, page: PageRequest) -> AppResult<Page<PublicEntry>> {
    let filter = DecisionFilter {
        status: Some(commission::DecisionStatus::Final),
        ..DecisionFilter::default()
    };
    Ok(app
        .store
        .decisions(&filter, page)
        .await?
        .map(PublicEntry::from))
}
