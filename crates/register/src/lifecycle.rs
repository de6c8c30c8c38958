//! The life of a claim, from draft to the Board's decision.
//!
//! ```text
//! draft ──submit──▶ submitted ──start_review──▶ under_review ──record──▶ recorded
//!                       │                         │    ▲   └──reject───▶ rejected
//!                       │        request_information   respond_to_request
//!                       │                         ▼    │
//!                       │                    information_requested
//!                       └──────── withdraw (from any of the three) ──────▶ withdrawn
//! ```
//!
//! `recorded`, `rejected` and `withdrawn` are final: a correction is a new
//! decision or a new claim, never a change of status.
//!
//! A draft cannot be withdrawn: it was never filed, so the claimant simply
//! deletes it ([`ClaimStatus::is_deletable`]) and nothing about it is kept
//! in the record. Withdrawal is for claims the Register has received and
//! is open until the Board decides.
//!
//! Who may take which action is the server's authorization policy; the
//! intended actor is documented on each [`ClaimAction`].

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a claim stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Being written; not yet filed.
    Draft,
    /// Filed and pre-screened; waiting for the secretariat.
    Submitted,
    /// The secretariat is examining it and preparing a recommendation.
    UnderReview,
    /// Waiting for the claimant to answer a request for information.
    InformationRequested,
    /// The Board found it eligible and recorded it. Final.
    Recorded,
    /// The Board found it ineligible, with reasons. Final.
    Rejected,
    /// The claimant withdrew it. Final.
    Withdrawn,
}

impl ClaimStatus {
    pub const ALL: [Self; 7] = [
        Self::Draft,
        Self::Submitted,
        Self::UnderReview,
        Self::InformationRequested,
        Self::Recorded,
        Self::Rejected,
        Self::Withdrawn,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::UnderReview => "under_review",
            Self::InformationRequested => "information_requested",
            Self::Recorded => "recorded",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// In words, for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Draft => "a draft",
            Self::Submitted => "submitted",
            Self::UnderReview => "under review",
            Self::InformationRequested => "waiting for requested information",
            Self::Recorded => "recorded",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// No action leads out of a final status.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Recorded | Self::Rejected | Self::Withdrawn)
    }

    /// Only drafts may be deleted; everything filed stays on record.
    pub const fn is_deletable(self) -> bool {
        matches!(self, Self::Draft)
    }

    /// Whether the claimant may still change the content. Only drafts are
    /// editable; after submission new information arrives as a response to
    /// a request, so what the Board decides on is what was filed.
    pub const fn is_editable(self) -> bool {
        matches!(self, Self::Draft)
    }

    /// The actions that are legal from this status.
    pub fn allowed_actions(self) -> Vec<ClaimAction> {
        ClaimAction::ALL
            .into_iter()
            .filter(|&a| transition(self, a).is_ok())
            .collect()
    }
}

impl fmt::Display for ClaimStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClaimStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown claim status {s:?}"))
    }
}

/// Something done to a claim that changes its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimAction {
    /// File the draft, after the pre-screen passes. Actor: the claimant or
    /// their representative. The server assigns the reference number.
    Submit,
    /// Take the claim up for examination. Actor: registrar (secretariat).
    StartReview,
    /// Ask the claimant for more information. Actor: registrar, on its own
    /// initiative or the Board's.
    RequestInformation,
    /// Answer a request for information. Actor: the claimant or their
    /// representative. Returns the claim to review.
    RespondToRequest,
    /// Record the claim as eligible. Actor: the Board.
    Record,
    /// Reject the claim, with reasons. Actor: the Board.
    Reject,
    /// Withdraw the claim before the Board decides. Actor: the claimant or
    /// their representative.
    Withdraw,
}

impl ClaimAction {
    pub const ALL: [Self; 7] = [
        Self::Submit,
        Self::StartReview,
        Self::RequestInformation,
        Self::RespondToRequest,
        Self::Record,
        Self::Reject,
        Self::Withdraw,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::StartReview => "start_review",
            Self::RequestInformation => "request_information",
            Self::RespondToRequest => "respond_to_request",
            Self::Record => "record",
            Self::Reject => "reject",
            Self::Withdraw => "withdraw",
        }
    }

    /// In words, as in "cannot ... a claim".
    const fn verb(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::StartReview => "start reviewing",
            Self::RequestInformation => "request information on",
            Self::RespondToRequest => "respond to a request on",
            Self::Record => "record",
            Self::Reject => "reject",
            Self::Withdraw => "withdraw",
        }
    }
}

impl fmt::Display for ClaimAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClaimAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown claim action {s:?}"))
    }
}

/// An action that does not apply to a claim in its current status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("cannot {} a claim that is {}", .action.verb(), .from.describe())]
pub struct IllegalTransition {
    pub from: ClaimStatus,
    pub action: ClaimAction,
}

/// The status a claim moves to when `action` is taken in status `from`.
// One arm per edge of the diagram reads better than arms merged by target.
#[allow(clippy::match_same_arms)]
pub fn transition(
    from: ClaimStatus,
    action: ClaimAction,
) -> Result<ClaimStatus, IllegalTransition> {
    use ClaimAction as A;
    use ClaimStatus as S;
    match (from, action) {
        (S::Draft, A::Submit) => Ok(S::Submitted),
        (S::Submitted, A::StartReview) => Ok(S::UnderReview),
        (S::UnderReview, A::RequestInformation) => Ok(S::InformationRequested),
        (S::InformationRequested, A::RespondToRequest) => Ok(S::UnderReview),
        (S::UnderReview, A::Record) => Ok(S::Recorded),
        (S::UnderReview, A::Reject) => Ok(S::Rejected),
        (S::Submitted | S::UnderReview | S::InformationRequested, A::Withdraw) => Ok(S::Withdrawn),
        _ => Err(IllegalTransition { from, action }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_records_a_claim() {
        let mut s = ClaimStatus::Draft;
        for a in [
            ClaimAction::Submit,
            ClaimAction::StartReview,
            ClaimAction::RequestInformation,
            ClaimAction::RespondToRequest,
            ClaimAction::Record,
        ] {
            s = transition(s, a).unwrap();
        }
        assert_eq!(s, ClaimStatus::Recorded);
    }

    #[test]
    fn withdrawal_is_possible_only_between_filing_and_decision() {
        for s in ClaimStatus::ALL {
            let ok = transition(s, ClaimAction::Withdraw).is_ok();
            let expected = matches!(
                s,
                ClaimStatus::Submitted
                    | ClaimStatus::UnderReview
                    | ClaimStatus::InformationRequested
            );
            assert_eq!(ok, expected, "{s}");
        }
        assert!(ClaimStatus::Draft.is_deletable());
        assert!(!ClaimStatus::Submitted.is_deletable());
    }

    #[test]
    fn the_board_decides_only_claims_under_review() {
        for s in [
            ClaimStatus::Submitted,
            ClaimStatus::InformationRequested,
            ClaimStatus::Draft,
        ] {
            assert!(transition(s, ClaimAction::Record).is_err());
            assert!(transition(s, ClaimAction::Reject).is_err());
        }
        assert_eq!(
            transition(ClaimStatus::UnderReview, ClaimAction::Reject),
            Ok(ClaimStatus::Rejected)
        );
    }

    #[test]
    fn illegal_transitions_name_the_current_status() {
        let err = transition(ClaimStatus::Recorded, ClaimAction::Withdraw).unwrap_err();
        assert_eq!(err.to_string(), "cannot withdraw a claim that is recorded");
        let err = transition(ClaimStatus::Draft, ClaimAction::StartReview).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot start reviewing a claim that is a draft"
        );
        assert_eq!(
            serde_json::to_value(err).unwrap(),
            serde_json::json!({"from": "draft", "action": "start_review"})
        );
    }

    #[test]
    fn names_round_trip() {
        for s in ClaimStatus::ALL {
            assert_eq!(s.as_str().parse::<ClaimStatus>(), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for a in ClaimAction::ALL {
            assert_eq!(a.as_str().parse::<ClaimAction>(), Ok(a));
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
    }

    #[test]
    fn allowed_actions_follow_the_table() {
        assert_eq!(
            ClaimStatus::Draft.allowed_actions(),
            vec![ClaimAction::Submit]
        );
        assert_eq!(
            ClaimStatus::UnderReview.allowed_actions(),
            vec![
                ClaimAction::RequestInformation,
                ClaimAction::Record,
                ClaimAction::Reject,
                ClaimAction::Withdraw
            ]
        );
        for s in ClaimStatus::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(s.allowed_actions().is_empty());
        }
    }
}
