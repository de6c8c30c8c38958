//! Where a claim stands, as its claimant is told: one stage that follows
//! the claim from the Register through the Commission to the last payment,
//! and the award as the claimant may see it.
//!
//! A claimant's "what happens next" must never lag behind the record (a
//! paid award still announced as "to be assessed"), so the stage is
//! derived from the claim, its case, its decision in force and its award
//! every time it is shown, never stored.

use crate::claims::visible_noting;
use crate::error::AppResult;
use crate::{Actor, App};
use commission::{AwardStatus, CaseStatus, Outcome};
use register::{ClaimId, ClaimStatus};
use serde_json::json;
use store::StoreError;
use store::decisions::{AwardRecord, DecisionRecord};

/// A claim's stage on its way from filing to the last payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Draft,
    Submitted,
    UnderReview,
    InformationRequested,
    Rejected,
    Withdrawn,
    /// Recorded by the Board; the Commission has not started on it.
    AwaitingAssessment,
    /// With an assessor or in a batch being assessed.
    BeingAssessed,
    /// Assessed; a panel of Commissioners is to recommend a decision.
    BeforePanel,
    /// A panel recommended a decision; the Council (and where it asks, its
    /// Review Committee or the Assembly) decides.
    BeforeCouncil,
    /// The final decision awards nothing.
    Dismissed,
    /// The final decision awards compensation; not yet cleared for payment.
    Awarded,
    /// Cleared for payment; nothing paid yet.
    Payable,
    PartiallyPaid,
    Paid,
    /// A balance is outstanding but the payee could not be reached.
    PayeeUnreachable,
}

impl Stage {
    pub const ALL: [Self; 16] = [
        Self::Draft,
        Self::Submitted,
        Self::UnderReview,
        Self::InformationRequested,
        Self::Rejected,
        Self::Withdrawn,
        Self::AwaitingAssessment,
        Self::BeingAssessed,
        Self::BeforePanel,
        Self::BeforeCouncil,
        Self::Dismissed,
        Self::Awarded,
        Self::Payable,
        Self::PartiallyPaid,
        Self::Paid,
        Self::PayeeUnreachable,
    ];

    /// The stage of a claim with its case's status, the outcome of the
    /// decision in force and its award's status, as far as each exists.
    /// The furthest fact wins: a decided case speaks through its decision,
    /// an award through its payments.
    pub fn of(
        claim: ClaimStatus,
        case: Option<CaseStatus>,
        decision: Option<&Outcome>,
        award: Option<AwardStatus>,
    ) -> Self {
        match claim {
            ClaimStatus::Draft => return Self::Draft,
            ClaimStatus::Submitted => return Self::Submitted,
            ClaimStatus::UnderReview => return Self::UnderReview,
            ClaimStatus::InformationRequested => return Self::InformationRequested,
            ClaimStatus::Rejected => return Self::Rejected,
            ClaimStatus::Withdrawn => return Self::Withdrawn,
            ClaimStatus::Recorded => {}
        }
        match (case, decision, award) {
            // An award decided but not yet on the ledger reads as awarded.
            (_, _, Some(AwardStatus::Awarded)) | (_, Some(Outcome::Award { .. }), None) => {
                Self::Awarded
            }
            (_, _, Some(AwardStatus::Payable)) => Self::Payable,
            (_, _, Some(AwardStatus::PartiallyPaid)) => Self::PartiallyPaid,
            (_, _, Some(AwardStatus::Paid)) => Self::Paid,
            (_, _, Some(AwardStatus::PayeeUnreachable)) => Self::PayeeUnreachable,
            (_, Some(Outcome::Dismissal { .. }), None) => Self::Dismissed,
            (None | Some(CaseStatus::AwaitingAssessment), None, None) => Self::AwaitingAssessment,
            (Some(CaseStatus::Assigned), None, None) => Self::BeingAssessed,
            // An assessment on record goes to a panel next; a batch's sample
            // review in between is the Commission's own check, not a step
            // the claimant waits on differently.
            (Some(CaseStatus::Assessed | CaseStatus::ReadyForPanel), None, None) => {
                Self::BeforePanel
            }
            (Some(CaseStatus::Recommended | CaseStatus::Decided), None, None) => {
                Self::BeforeCouncil
            }
        }
    }

    /// The stage's stable name (`before_council`), as the API and the
    /// texts of the claimant's page know it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::UnderReview => "under_review",
            Self::InformationRequested => "information_requested",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::AwaitingAssessment => "awaiting_assessment",
            Self::BeingAssessed => "being_assessed",
            Self::BeforePanel => "before_panel",
            Self::BeforeCouncil => "before_council",
            Self::Dismissed => "dismissed",
            Self::Awarded => "awarded",
            Self::Payable => "payable",
            Self::PartiallyPaid => "partially_paid",
            Self::Paid => "paid",
            Self::PayeeUnreachable => "payee_unreachable",
        }
    }
}

/// A claim's stage with the decision in force on it and its award, for a
/// reader of the claim.
#[derive(Clone, Debug)]
pub struct ClaimProgress {
    pub stage: Stage,
    /// The final decision in force (a corrected one gives way to its
    /// correction).
    pub decision: Option<DecisionRecord>,
    /// The award following the decision in force, with its payments.
    pub award: Option<AwardRecord>,
}

/// Where a claim stands, for whoever may read it (its claimant among
/// them); a claim the caller may not read is "not found". Sensitive reads
/// are on record like every other read of the claim.
pub async fn claim_progress(app: &App, actor: &Actor, id: ClaimId) -> AppResult<ClaimProgress> {
    let claim = visible_noting(app, actor, id, json!({"read": "progress"})).await?;
    let case = match app.store.case_for_claim(id).await {
        Ok(case) => Some(case),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let (decision, award) = match &case {
        None => (None, None),
        Some(case) => {
            let decision = app
                .store
                .case_decisions(case.id)
                .await?
                .into_iter()
                .rfind(|d| d.decision.is_final() && d.superseded_by.is_none());
            let award = match app.store.award_for_case(case.id).await {
                Ok(a) => Some(a),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            };
            (decision, award)
        }
    };
    let stage = Stage::of(
        claim.status,
        case.as_ref().map(|c| c.status),
        decision.as_ref().map(|d| &d.decision.outcome),
        award.as_ref().map(|a| a.award.status()),
    );
    Ok(ClaimProgress {
        stage,
        decision,
        award,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::{Currency, Money};
    use rust_decimal::Decimal;

    fn award() -> Outcome {
        Outcome::Award {
            amount: Money::new(Decimal::new(100, 0), Currency::EUR),
            variation_reasons: None,
        }
    }

    #[test]
    fn before_the_board_records_it_the_claim_status_is_the_stage() {
        for status in ClaimStatus::ALL {
            let stage = Stage::of(status, None, None, None);
            if status == ClaimStatus::Recorded {
                // Recorded, the claim's stages are the Commission's.
                assert_eq!(stage, Stage::AwaitingAssessment);
            } else {
                assert_eq!(stage.code(), status.to_string(), "{status}");
            }
        }
    }

    #[test]
    fn the_commission_s_progress_follows_the_case_then_the_decision_then_the_award() {
        let recorded = ClaimStatus::Recorded;
        let cases = [
            (None, Stage::AwaitingAssessment),
            (
                Some(CaseStatus::AwaitingAssessment),
                Stage::AwaitingAssessment,
            ),
            (Some(CaseStatus::Assigned), Stage::BeingAssessed),
            (Some(CaseStatus::Assessed), Stage::BeforePanel),
            (Some(CaseStatus::ReadyForPanel), Stage::BeforePanel),
            (Some(CaseStatus::Recommended), Stage::BeforeCouncil),
        ];
        for (case, stage) in cases {
            assert_eq!(Stage::of(recorded, case, None, None), stage, "{case:?}");
        }
        let decided = Some(CaseStatus::Decided);
        let dismissal = Outcome::Dismissal {
            codes: vec![],
            text: "No damage shown.".into(),
        };
        assert_eq!(
            Stage::of(recorded, decided, Some(&dismissal), None),
            Stage::Dismissed
        );
        assert_eq!(
            Stage::of(recorded, decided, Some(&award()), None),
            Stage::Awarded
        );
        for (status, stage) in [
            (AwardStatus::Awarded, Stage::Awarded),
            (AwardStatus::Payable, Stage::Payable),
            (AwardStatus::PartiallyPaid, Stage::PartiallyPaid),
            (AwardStatus::Paid, Stage::Paid),
            (AwardStatus::PayeeUnreachable, Stage::PayeeUnreachable),
        ] {
            assert_eq!(
                Stage::of(recorded, decided, Some(&award()), Some(status)),
                stage
            );
        }
    }

    #[test]
    fn every_stage_has_its_own_name() {
        let names: std::collections::BTreeSet<_> = Stage::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(names.len(), Stage::ALL.len());
    }
}
