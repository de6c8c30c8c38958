//! Cases: a recorded claim as the Commission handles it.
//!
//! The Register hands over a recorded claim; from then on the case moves
//! through assessment, the panel and the Council. The status is changed only
//! through [`CaseStatus::apply`], so an action that makes no sense in the
//! current status is refused with an error naming that status rather than
//! silently skipping a step of the procedure.

use crate::ErrorCode;
use serde::{Deserialize, Serialize};
use std::fmt;

kernel::typed_id!(
    /// A claim under the Commission's review.
    CaseId
);

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Received from the Register, not yet given to an assessor or a batch.
    AwaitingAssessment,
    /// Given to an assessor (individual) or placed in a batch.
    Assigned,
    /// An assessment is recorded; for batched cases, the batch is not yet released.
    Assessed,
    /// Assessment accepted (batch released or individual assessment checked);
    /// waiting for the panel.
    ReadyForPanel,
    /// The panel adopted a recommendation; the Council has it.
    Recommended,
    /// A final decision was issued. Corrections are new decisions and leave
    /// the case decided.
    Decided,
}

impl CaseStatus {
    pub const ALL: [Self; 6] = [
        Self::AwaitingAssessment,
        Self::Assigned,
        Self::Assessed,
        Self::ReadyForPanel,
        Self::Recommended,
        Self::Decided,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingAssessment => "awaiting_assessment",
            Self::Assigned => "assigned",
            Self::Assessed => "assessed",
            Self::ReadyForPanel => "ready_for_panel",
            Self::Recommended => "recommended",
            Self::Decided => "decided",
        }
    }

    /// The status after `action`, or an error naming the current status.
    pub fn apply(self, action: CaseAction) -> Result<Self, IllegalCaseTransition> {
        use CaseAction as A;
        use CaseStatus as S;
        let next = match (self, action) {
            // A batch returned on its sample's findings, or an assessment
            // found wrong on checking, is assessed again by the same route.
            (S::AwaitingAssessment, A::Assign) | (S::Assessed, A::ReturnForReassessment) => {
                S::Assigned
            }
            (S::Assigned, A::Unassign) => S::AwaitingAssessment,
            (S::Assigned, A::RecordAssessment) => S::Assessed,
            // The Council's return sends the case back for a new recommendation.
            (S::Assessed, A::AcceptAssessment) | (S::Recommended, A::ReturnToPanel) => {
                S::ReadyForPanel
            }
            (S::ReadyForPanel, A::Recommend) => S::Recommended,
            (S::Recommended, A::Decide) => S::Decided,
            (from, action) => return Err(IllegalCaseTransition { from, action }),
        };
        Ok(next)
    }

    /// The actions allowed in this status (for showing what can be done next).
    pub fn allowed_actions(self) -> Vec<CaseAction> {
        CaseAction::ALL
            .into_iter()
            .filter(|a| self.apply(*a).is_ok())
            .collect()
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happens to a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseAction {
    Assign,
    Unassign,
    RecordAssessment,
    AcceptAssessment,
    ReturnForReassessment,
    Recommend,
    ReturnToPanel,
    Decide,
}

impl CaseAction {
    pub const ALL: [Self; 8] = [
        Self::Assign,
        Self::Unassign,
        Self::RecordAssessment,
        Self::AcceptAssessment,
        Self::ReturnForReassessment,
        Self::Recommend,
        Self::ReturnToPanel,
        Self::Decide,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Assign => "assign",
            Self::Unassign => "unassign",
            Self::RecordAssessment => "record_assessment",
            Self::AcceptAssessment => "accept_assessment",
            Self::ReturnForReassessment => "return_for_reassessment",
            Self::Recommend => "recommend",
            Self::ReturnToPanel => "return_to_panel",
            Self::Decide => "decide",
        }
    }
}

impl fmt::Display for CaseAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action refused because of the case's current status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a case that is {from} cannot {action}")]
pub struct IllegalCaseTransition {
    pub from: CaseStatus,
    pub action: CaseAction,
}

impl ErrorCode for IllegalCaseTransition {
    fn code(&self) -> &'static str {
        "illegal_case_transition"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ordinary_path_reaches_a_decision() {
        let mut status = CaseStatus::AwaitingAssessment;
        for action in [
            CaseAction::Assign,
            CaseAction::RecordAssessment,
            CaseAction::AcceptAssessment,
            CaseAction::Recommend,
            CaseAction::Decide,
        ] {
            status = status.apply(action).unwrap();
        }
        assert_eq!(status, CaseStatus::Decided);
    }

    #[test]
    fn returns_go_back_one_stage() {
        assert_eq!(
            CaseStatus::Assessed.apply(CaseAction::ReturnForReassessment),
            Ok(CaseStatus::Assigned)
        );
        assert_eq!(
            CaseStatus::Recommended.apply(CaseAction::ReturnToPanel),
            Ok(CaseStatus::ReadyForPanel)
        );
    }

    #[test]
    fn illegal_transition_names_the_current_status() {
        let err = CaseStatus::Decided
            .apply(CaseAction::Recommend)
            .unwrap_err();
        assert_eq!(err.from, CaseStatus::Decided);
        assert_eq!(err.to_string(), "a case that is decided cannot recommend");
        assert_eq!(err.code(), "illegal_case_transition");
        assert!(CaseStatus::Decided.allowed_actions().is_empty());
        assert!(
            CaseStatus::AwaitingAssessment
                .apply(CaseAction::Decide)
                .is_err()
        );
    }

    #[test]
    fn statuses_serialize_in_snake_case() {
        for status in CaseStatus::ALL {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
    }
}
