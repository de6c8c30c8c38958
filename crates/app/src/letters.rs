//! Decision letters and their public verification.
//!
//! Every final decision has one letter: what was decided, by whom and why,
//! assembled here as plain data ([`LetterContent`]) for the doors to print
//! (a web page, a PDF). The letter is kept as first issued, with the
//! SHA-256 of its canonical content and an unguessable verification code,
//! so a letter printed today and one printed next year are the same
//! document, and anyone holding one can check it on the public page by its
//! code: the number, the date, the outcome and the hash, and nothing that
//! names a person or describes the claim.
//!
//! A letter is issued lazily, on its first download; the store keeps the
//! first of two concurrent issues, so both get the same code. Every
//! download is on record as a read of the claim.

use crate::claims::sees;
use crate::decisions::{decision, domain_conflict};
use crate::error::{AppError, AppResult};
use crate::{Actor, App};
use commission::{
    CorrectionReason, CouncilAction, DecisionError, DecisionId, DecisionNumber, DecisionStatus,
    Outcome, VerificationCode, VoteChoice,
};
use kernel::Money;
use register::ClaimId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::decisions::{DecisionRecord, LetterRecord, NewLetter};
use store::{Change, StoreError};
use time::OffsetDateTime;

/// A panel member's vote, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteLine {
    pub member: String,
    pub choice: VoteChoice,
}

/// The panel's part: who recommended what, and how the members voted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelPart {
    pub panel: String,
    pub proposed_by: String,
    pub recommended: Outcome,
    pub assessed_amount: Option<Money>,
    pub votes: Vec<VoteLine>,
}

/// One step of an assessment's breakdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakdownLine {
    pub label: String,
    pub result: Money,
}

/// The case's assessment, as its breakdown shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentPart {
    /// The valuation rule applied: its category and version.
    pub rule: String,
    pub steps: Vec<BreakdownLine>,
    pub result: Money,
}

/// What a correcting decision supersedes, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupersededPart {
    pub number: DecisionNumber,
    pub reason: CorrectionReason,
    pub explanation: String,
}

/// A letter's content as issued: what its hash is taken over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterContent {
    pub number: DecisionNumber,
    /// `YYYY-MM-DD`.
    pub decided_on: String,
    /// The claim's reference number in the Register.
    pub claim_reference: Option<String>,
    pub category: String,
    pub meeting_reference: Option<String>,
    pub panel: Option<PanelPart>,
    /// The Council's steps on the case, oldest first: those on earlier
    /// recommendations that did not end in this decision, then this one's.
    pub council: Vec<CouncilAction>,
    pub assessment: Option<AssessmentPart>,
    /// What was decided, with its reasons.
    pub outcome: Outcome,
    pub supersedes: Option<SupersededPart>,
}

impl LetterContent {
    /// The canonical text the hash is taken over (fields in declaration
    /// order, no spaces).
    pub fn canonical(&self) -> AppResult<String> {
        serde_json::to_string(self).map_err(AppError::internal)
    }
}

/// SHA-256 of `text`, in lowercase hex.
pub fn content_hash(text: &str) -> String {
    use std::fmt::Write as _;
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// A decision letter, for a door to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub decision: DecisionId,
    pub case: commission::CaseId,
    pub content: LetterContent,
    pub code: VerificationCode,
    pub content_hash: String,
    pub issued_at: OffsetDateTime,
    /// The decision that corrected this one since, if any (not part of the
    /// content: the letter stays as issued).
    pub superseded_by: Option<DecisionNumber>,
}

/// What the public verification page confirms: no names, no claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub code: VerificationCode,
    pub number: DecisionNumber,
    pub decided_on: String,
    /// `award` or `dismissal`.
    pub outcome: &'static str,
    pub amount: Option<Money>,
    pub content_hash: String,
    /// Whether the kept content still hashes to the hash issued.
    pub hash_matches: bool,
    pub supersedes: Option<DecisionNumber>,
    pub superseded_by: Option<DecisionNumber>,
}

fn outcome_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Award { .. } => "award",
        Outcome::Dismissal { .. } => "dismissal",
    }
}

async fn name_of(app: &App, account: kernel::id::AccountId) -> AppResult<String> {
    match app.store.account(account).await {
        Ok(a) => Ok(a.display_name),
        Err(StoreError::NotFound) => Ok(String::new()),
        Err(e) => Err(e.into()),
    }
}

/// The letter's content, from the decision and the case as they stand.
async fn assemble(app: &App, record: &DecisionRecord) -> AppResult<LetterContent> {
    let d = &record.decision;
    let (Some(number), Some(decided_on)) = (d.number, d.decided_on) else {
        return Err(domain_conflict(&DecisionError::NotFinal {
            status: d.status,
        }));
    };
    let claim = app.store.claim(record.claim_id).await?;
    let recommendation = app.store.recommendation(d.recommendation).await?;
    let r = &recommendation.recommendation;
    let mut votes = Vec::with_capacity(r.votes.len());
    for v in &r.votes {
        votes.push(VoteLine {
            member: name_of(app, v.member).await?,
            choice: v.choice,
        });
    }
    let panel = PanelPart {
        panel: app.store.panel(r.panel).await?.panel.name,
        proposed_by: name_of(app, r.proposed_by).await?,
        recommended: r.outcome.clone(),
        assessed_amount: r.assessed_amount,
        votes,
    };
    let mut council = Vec::new();
    let case_decisions = app.store.case_decisions(d.case).await?;
    for earlier in &case_decisions {
        let e = &earlier.decision;
        if e.id != d.id
            && !e.is_final()
            && matches!(
                e.status,
                DecisionStatus::ReturnedToPanel | DecisionStatus::RejectedByAssembly
            )
        {
            council.extend(e.history.iter().cloned());
        }
    }
    council.extend(d.history.iter().cloned());
    let assessment = app
        .store
        .assessments(d.case)
        .await?
        .pop()
        .map(|a| AssessmentPart {
            rule: format!(
                "{} v{}",
                a.assessment.rule.category, a.assessment.rule.version
            ),
            steps: a
                .assessment
                .breakdown
                .iter()
                .map(|s| BreakdownLine {
                    label: s.label.clone(),
                    result: s.result,
                })
                .collect(),
            result: a.assessment.result,
        });
    Ok(LetterContent {
        number,
        decided_on: decided_on.to_string(),
        claim_reference: claim.reference,
        category: record.category.clone(),
        meeting_reference: record.meeting_reference.clone(),
        panel: Some(panel),
        council,
        assessment,
        outcome: d.outcome.clone(),
        supersedes: d.supersedes.as_ref().map(|s| SupersededPart {
            number: s.number,
            reason: s.reason,
            explanation: s.explanation.clone(),
        }),
    })
}

async fn number_of(app: &App, id: Option<DecisionId>) -> AppResult<Option<DecisionNumber>> {
    match id {
        Some(id) => Ok(app.store.decision(id).await?.decision.number),
        None => Ok(None),
    }
}

fn letter_of(
    kept: LetterRecord,
    case: commission::CaseId,
    superseded_by: Option<DecisionNumber>,
) -> AppResult<Letter> {
    let content = serde_json::from_str(&kept.content).map_err(AppError::internal)?;
    let code = kept
        .code
        .parse()
        .map_err(|e| AppError::internal(anyhow::anyhow!("stored letter code: {e}")))?;
    Ok(Letter {
        decision: kept.decision,
        case,
        content,
        code,
        content_hash: kept.content_hash,
        issued_at: kept.issued_at,
        superseded_by,
    })
}

/// The letter of a final decision, issued now if it was not before; the
/// download is recorded as a read of the claim (`format` says which form).
async fn issue(
    app: &App,
    actor: &Actor,
    record: &DecisionRecord,
    format: &str,
) -> AppResult<Letter> {
    if !record.decision.is_final() {
        return Err(domain_conflict(&DecisionError::NotFinal {
            status: record.decision.status,
        }));
    }
    let read = Change {
        action: "claim.read",
        target_type: "claim",
        target_id: record.claim_id.to_string(),
        summary: serde_json::json!({
            "read": "decision_letter",
            "decision": record.decision.number,
            "format": format,
        }),
    };
    let kept = match app.store.letter(record.decision.id).await {
        Ok(kept) => {
            app.store.record_event(&actor.audit(None), read).await?;
            kept
        }
        Err(StoreError::NotFound) => {
            let content = assemble(app, record).await?.canonical()?;
            let code = VerificationCode::from_random(rand::random());
            let new = NewLetter {
                decision: record.decision.id,
                code: code.as_str().to_owned(),
                content_hash: content_hash(&content),
                content,
            };
            app.store
                .issue_letter(&actor.audit(None), &new, read)
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    letter_of(
        kept,
        record.decision.case,
        number_of(app, record.superseded_by).await?,
    )
}

/// The letter of a final decision, for staff who may read the decision
/// (need-to-know applies). A decision not yet final has no letter (409).
pub async fn decision_letter(
    app: &App,
    actor: &Actor,
    id: DecisionId,
    format: &str,
) -> AppResult<Letter> {
    let record = decision(app, actor, id).await?;
    issue(app, actor, &record, format).await
}

/// The letter of the decision in force on a claim, for whoever may see
/// the claim (its filer; staff as for the claim). Not found while the claim
/// has no final decision, exactly as for a claim the caller may not see.
pub async fn claim_letter(
    app: &App,
    actor: &Actor,
    claim: ClaimId,
    format: &str,
) -> AppResult<Letter> {
    let record = match app.store.claim(claim).await {
        Ok(r) if sees(actor, &r) => r,
        Ok(_) | Err(StoreError::NotFound) => return Err(AppError::not_found()),
        Err(e) => return Err(e.into()),
    };
    let case = match app.store.case_for_claim(record.id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(AppError::not_found()),
        Err(e) => return Err(e.into()),
    };
    let decisions = app.store.case_decisions(case.id).await?;
    let in_force = decisions
        .iter()
        .find(|d| d.decision.is_final() && d.superseded_by.is_none())
        .ok_or_else(AppError::not_found)?;
    issue(app, actor, in_force, format).await
}

/// What the public page confirms about the letter a code names. A code
/// that is malformed and one that names nothing answer the same "not
/// found", so the page tells nothing about codes that were never issued.
pub async fn verify(app: &App, code: &str) -> AppResult<Verification> {
    let code: VerificationCode = code.parse().map_err(|_| AppError::not_found())?;
    let kept = match app.store.letter_by_code(code.as_str()).await {
        Ok(k) => k,
        Err(StoreError::NotFound) => return Err(AppError::not_found()),
        Err(e) => return Err(e.into()),
    };
    let record = app.store.decision(kept.decision).await?;
    let content: LetterContent = serde_json::from_str(&kept.content).map_err(AppError::internal)?;
    Ok(Verification {
        code,
        number: content.number,
        decided_on: content.decided_on,
        outcome: outcome_name(&content.outcome),
        amount: content.outcome.amount(),
        hash_matches: content_hash(&kept.content) == kept.content_hash,
        content_hash: kept.content_hash,
        supersedes: content.supersedes.map(|s| s.number),
        superseded_by: number_of(app, record.superseded_by).await?,
    })
}
