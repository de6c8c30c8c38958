//! The Council's handling of a recommendation, up to a final decision.
//!
//! The Council approves a panel's recommendation (a final decision, with a
//! number), returns it to the panel with reasons, or refers it to an ad hoc
//! Review Committee. After the committee reports, the Council approves,
//! returns, or refers the matter on to the Assembly, which adopts it by two
//! thirds of the votes cast.
//!
//! Final decisions are binding and not open to appeal, so a final decision is
//! never changed: [`Decision::apply`] refuses every action on one, and a
//! clerical or computational error is put right by a *new* final decision
//! that names the one it supersedes ([`Decision::correct`]).

use crate::ErrorCode;
use crate::case::CaseId;
use crate::panel::{Outcome, Recommendation, RecommendationId, RecommendationStatus};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use time::Date;

use DecisionStatus as S;

kernel::typed_id!(
    /// The Council's handling of one recommendation, and the final decision
    /// it ends in.
    DecisionId
);

/// A final decision's public number, `ICC-DEC-2027-000001`: the year, then a
/// sequence that restarts at 1 each year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DecisionNumber {
    year: u16,
    sequence: u32,
}

/// Why a decision number is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecisionNumberError {
    #[error("{0:?} is not a decision number like ICC-DEC-2027-000001")]
    Malformed(String),
    #[error("the year must have four digits")]
    Year,
    #[error("the sequence must be between 1 and 999999")]
    Sequence,
}

impl ErrorCode for DecisionNumberError {
    fn code(&self) -> &'static str {
        "invalid_decision_number"
    }
}

impl DecisionNumber {
    const PREFIX: &'static str = "ICC-DEC-";
    pub const MAX_SEQUENCE: u32 = 999_999;

    pub fn new(year: u16, sequence: u32) -> Result<Self, DecisionNumberError> {
        if !(1000..=9999).contains(&year) {
            return Err(DecisionNumberError::Year);
        }
        if !(1..=Self::MAX_SEQUENCE).contains(&sequence) {
            return Err(DecisionNumberError::Sequence);
        }
        Ok(Self { year, sequence })
    }

    pub const fn year(self) -> u16 {
        self.year
    }

    pub const fn sequence(self) -> u32 {
        self.sequence
    }

    /// The number to issue in `year` after the last one issued (if any).
    pub fn next(last: Option<Self>, year: u16) -> Result<Self, DecisionNumberError> {
        match last {
            Some(last) if last.year == year => Self::new(year, last.sequence + 1),
            _ => Self::new(year, 1),
        }
    }
}

impl fmt::Display for DecisionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:04}-{:06}", Self::PREFIX, self.year, self.sequence)
    }
}

impl FromStr for DecisionNumber {
    type Err = DecisionNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || DecisionNumberError::Malformed(s.to_owned());
        let rest = s.strip_prefix(Self::PREFIX).ok_or_else(malformed)?;
        let (year, sequence) = rest.split_once('-').ok_or_else(malformed)?;
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(sequence, 6) {
            return Err(malformed());
        }
        let year = year.parse().map_err(|_| malformed())?;
        let sequence = sequence.parse().map_err(|_| malformed())?;
        Self::new(year, sequence)
    }
}

impl Serialize for DecisionNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DecisionNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Where a recommendation stands before the Council.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    AwaitingCouncil,
    WithReviewCommittee,
    /// The committee reported; the Council acts on its report.
    ReviewedByCommittee,
    WithAssembly,
    /// The Assembly adopted it; the Council issues the final decision.
    AdoptedByAssembly,
    /// Binding; carries a decision number.
    Final,
    /// Sent back; the panel makes a new recommendation.
    ReturnedToPanel,
    /// Not adopted by the Assembly; the case goes back to the panel.
    RejectedByAssembly,
}

impl DecisionStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingCouncil => "awaiting_council",
            Self::WithReviewCommittee => "with_review_committee",
            Self::ReviewedByCommittee => "reviewed_by_committee",
            Self::WithAssembly => "with_assembly",
            Self::AdoptedByAssembly => "adopted_by_assembly",
            Self::Final => "final",
            Self::ReturnedToPanel => "returned_to_panel",
            Self::RejectedByAssembly => "rejected_by_assembly",
        }
    }
}

impl fmt::Display for DecisionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the Review Committee found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// The recommendation stands.
    Upheld { reasons: String },
    /// The recommendation should be changed to this outcome.
    Varied { outcome: Outcome, reasons: String },
}

impl ReviewOutcome {
    fn reasons(&self) -> &str {
        match self {
            Self::Upheld { reasons } | Self::Varied { reasons, .. } => reasons,
        }
    }
}

/// The Assembly's vote. Abstentions are recorded but are not votes cast.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssemblyVote {
    pub in_favour: u32,
    pub against: u32,
    #[serde(default)]
    pub abstentions: u32,
}

impl AssemblyVote {
    pub fn votes_cast(&self) -> u64 {
        u64::from(self.in_favour) + u64::from(self.against)
    }

    /// At least two thirds of the votes cast are in favour (and some were cast).
    pub fn adopted(&self) -> bool {
        let cast = self.votes_cast();
        cast > 0 && 3 * u64::from(self.in_favour) >= 2 * cast
    }
}

/// What the Council (or, through it, a committee or the Assembly) does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CouncilAction {
    /// Approve: the decision becomes final under `number`. After an Assembly
    /// adoption this issues the decision the Assembly adopted.
    Approve {
        number: DecisionNumber,
        #[serde(with = "crate::iso_date")]
        decided_on: Date,
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

impl CouncilAction {
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Approve { .. } => "approve",
            Self::ReturnToPanel { .. } => "return_to_panel",
            Self::ReferToReviewCommittee { .. } => "refer_to_review_committee",
            Self::RecordReviewOutcome { .. } => "record_review_outcome",
            Self::ReferToAssembly { .. } => "refer_to_assembly",
            Self::RecordAssemblyVote { .. } => "record_assembly_vote",
        }
    }
}

/// Why a correction is made. Only errors of these kinds are corrected:
/// a final decision is not reopened on the merits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionReason {
    ClericalError,
    ComputationalError,
}

/// The link from a correcting decision to the one it replaces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supersession {
    pub decision: DecisionId,
    pub number: DecisionNumber,
    pub reason: CorrectionReason,
    pub explanation: String,
}

/// A recommendation's course through the Council, ending (if approved) in a
/// final decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id: DecisionId,
    pub case: CaseId,
    pub recommendation: RecommendationId,
    /// As recommended, or as varied by the Review Committee.
    pub outcome: Outcome,
    pub status: DecisionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<DecisionNumber>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iso_date::option"
    )]
    pub decided_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly_vote: Option<AssemblyVote>,
    /// Set on a correcting decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Supersession>,
    /// Every action taken, in order, with its reasons.
    #[serde(default)]
    pub history: Vec<CouncilAction>,
}

/// Why a Council action was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("only an adopted recommendation goes to the Council; this one is {status}")]
    RecommendationNotAdopted { status: RecommendationStatus },
    #[error("a decision that is {from} cannot take the action {action}")]
    IllegalTransition {
        from: DecisionStatus,
        action: &'static str,
    },
    #[error("decision {number} is final and cannot be changed; issue a correcting decision")]
    DecisionFinal { number: DecisionNumber },
    #[error("{what} must be given")]
    ReasonsRequired { what: &'static str },
    #[error("only a final decision can be corrected; this one is {status}")]
    NotFinal { status: DecisionStatus },
    #[error("a correction needs a new decision number, not {number}")]
    NumberReused { number: DecisionNumber },
}

impl ErrorCode for DecisionError {
    fn code(&self) -> &'static str {
        match self {
            Self::RecommendationNotAdopted { .. } => "recommendation_not_adopted",
            Self::IllegalTransition { .. } => "illegal_decision_transition",
            Self::DecisionFinal { .. } => "decision_final",
            Self::ReasonsRequired { .. } => "reasons_required",
            Self::NotFinal { .. } => "not_final",
            Self::NumberReused { .. } => "number_reused",
        }
    }
}

fn required(text: &str, what: &'static str) -> Result<(), DecisionError> {
    if text.trim().is_empty() {
        Err(DecisionError::ReasonsRequired { what })
    } else {
        Ok(())
    }
}

impl Decision {
    /// Puts an adopted recommendation before the Council.
    pub fn open(id: DecisionId, recommendation: &Recommendation) -> Result<Self, DecisionError> {
        if recommendation.status != RecommendationStatus::Adopted {
            return Err(DecisionError::RecommendationNotAdopted {
                status: recommendation.status,
            });
        }
        Ok(Self {
            id,
            case: recommendation.case,
            recommendation: recommendation.id,
            outcome: recommendation.outcome.clone(),
            status: DecisionStatus::AwaitingCouncil,
            number: None,
            decided_on: None,
            review: None,
            assembly_vote: None,
            supersedes: None,
            history: Vec::new(),
        })
    }

    pub fn is_final(&self) -> bool {
        self.status == DecisionStatus::Final
    }

    /// The decision after `action`. `self` is left as it was.
    pub fn apply(&self, action: CouncilAction) -> Result<Self, DecisionError> {
        if let (S::Final, Some(number)) = (self.status, self.number) {
            return Err(DecisionError::DecisionFinal { number });
        }
        let illegal = || DecisionError::IllegalTransition {
            from: self.status,
            action: action.name(),
        };
        let mut next = self.clone();
        match (&action, self.status) {
            (
                CouncilAction::Approve { number, decided_on },
                S::AwaitingCouncil | S::ReviewedByCommittee | S::AdoptedByAssembly,
            ) => {
                next.status = S::Final;
                next.number = Some(*number);
                next.decided_on = Some(*decided_on);
            }
            (
                CouncilAction::ReturnToPanel { reasons },
                S::AwaitingCouncil | S::ReviewedByCommittee,
            ) => {
                required(reasons, "reasons for returning to the panel")?;
                next.status = S::ReturnedToPanel;
            }
            (CouncilAction::ReferToReviewCommittee { grounds }, S::AwaitingCouncil) => {
                required(grounds, "grounds for referral")?;
                next.status = S::WithReviewCommittee;
            }
            (CouncilAction::RecordReviewOutcome { outcome }, S::WithReviewCommittee) => {
                required(outcome.reasons(), "the Review Committee's reasons")?;
                if let ReviewOutcome::Varied { outcome, .. } = outcome {
                    next.outcome = outcome.clone();
                }
                next.review = Some(outcome.clone());
                next.status = S::ReviewedByCommittee;
            }
            (CouncilAction::ReferToAssembly { grounds }, S::ReviewedByCommittee) => {
                required(grounds, "grounds for referral")?;
                next.status = S::WithAssembly;
            }
            (CouncilAction::RecordAssemblyVote { vote }, S::WithAssembly) => {
                next.assembly_vote = Some(*vote);
                next.status = if vote.adopted() {
                    S::AdoptedByAssembly
                } else {
                    S::RejectedByAssembly
                };
            }
            _ => return Err(illegal()),
        }
        next.history.push(action);
        Ok(next)
    }

    /// A new final decision correcting this one. This decision is not
    /// touched; the new one records what it supersedes and why.
    pub fn correct(
        &self,
        id: DecisionId,
        number: DecisionNumber,
        decided_on: Date,
        reason: CorrectionReason,
        explanation: &str,
        outcome: Outcome,
    ) -> Result<Self, DecisionError> {
        let (S::Final, Some(previous)) = (self.status, self.number) else {
            return Err(DecisionError::NotFinal {
                status: self.status,
            });
        };
        required(explanation, "an explanation of the correction")?;
        if number == previous {
            return Err(DecisionError::NumberReused { number });
        }
        Ok(Self {
            id,
            case: self.case,
            recommendation: self.recommendation,
            outcome,
            status: S::Final,
            number: Some(number),
            decided_on: Some(decided_on),
            review: None,
            assembly_vote: None,
            supersedes: Some(Supersession {
                decision: self.id,
                number: previous,
                reason,
                explanation: explanation.to_owned(),
            }),
            history: Vec::new(),
        })
    }
}

/// The decision in force among a case's final decisions: the one no other
/// supersedes. `None` if there is no final decision.
pub fn in_force(decisions: &[Decision]) -> Option<&Decision> {
    decisions.iter().filter(|d| d.is_final()).find(|d| {
        !decisions.iter().any(|other| {
            other
                .supersedes
                .as_ref()
                .is_some_and(|s| s.decision == d.id)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panel::{Vote, VoteChoice};
    use kernel::id::AccountId;
    use kernel::{Currency, Money};
    use rust_decimal_macros::dec;
    use time::macros::date;

    fn adopted() -> Recommendation {
        Recommendation {
            id: RecommendationId::new(),
            case: CaseId::new(),
            panel: crate::panel::PanelId::new(),
            proposed_by: AccountId::new(),
            assessed_amount: Some(Money::new(dec!(2500), Currency::EUR)),
            outcome: Outcome::Award {
                amount: Money::new(dec!(2500), Currency::EUR),
                variation_reasons: None,
            },
            votes: vec![Vote {
                member: AccountId::new(),
                choice: VoteChoice::InFavour,
            }],
            status: RecommendationStatus::Adopted,
        }
    }

    fn number(seq: u32) -> DecisionNumber {
        DecisionNumber::new(2027, seq).unwrap()
    }

    fn approve(seq: u32) -> CouncilAction {
        CouncilAction::Approve {
            number: number(seq),
            decided_on: date!(2027 - 06 - 01),
        }
    }

    #[test]
    fn decision_numbers_format_and_parse() {
        let n = number(1);
        assert_eq!(n.to_string(), "ICC-DEC-2027-000001");
        assert_eq!("ICC-DEC-2027-000001".parse::<DecisionNumber>(), Ok(n));
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            "\"ICC-DEC-2027-000001\""
        );
        assert_eq!(
            serde_json::from_str::<DecisionNumber>("\"ICC-DEC-2027-000001\"").unwrap(),
            n
        );
        for bad in [
            "ICC-DEC-2027-1",
            "ICC-DEC-27-000001",
            "icc-dec-2027-000001",
            "ICC-DEC-2027-000000",
            "ICC-DEC-2027-+00001",
            "ICC-DEC-2027-0000001",
        ] {
            let err = bad.parse::<DecisionNumber>().unwrap_err();
            assert_eq!(err.code(), "invalid_decision_number", "{bad}");
        }
        assert_eq!(DecisionNumber::next(Some(number(41)), 2027), Ok(number(42)));
        assert_eq!(
            DecisionNumber::next(Some(number(41)), 2028),
            DecisionNumber::new(2028, 1)
        );
        assert_eq!(
            DecisionNumber::next(Some(number(999_999)), 2027),
            Err(DecisionNumberError::Sequence)
        );
        assert!(number(2) > number(1));
    }

    #[test]
    fn council_approves_and_the_decision_is_then_frozen() {
        let d = Decision::open(DecisionId::new(), &adopted()).unwrap();
        let done = d.apply(approve(1)).unwrap();
        assert!(done.is_final());
        assert_eq!(done.number, Some(number(1)));
        let err = done
            .apply(CouncilAction::ReturnToPanel {
                reasons: "second thoughts".into(),
            })
            .unwrap_err();
        assert_eq!(err.code(), "decision_final");
        assert_eq!(
            d.status,
            DecisionStatus::AwaitingCouncil,
            "apply does not mutate"
        );
    }

    #[test]
    fn review_committee_then_assembly() {
        let d = Decision::open(DecisionId::new(), &adopted()).unwrap();
        let d = d
            .apply(CouncilAction::ReferToReviewCommittee {
                grounds: "inconsistent with panel 2's practice".into(),
            })
            .unwrap();
        let varied = Outcome::Award {
            amount: Money::new(dec!(2000), Currency::EUR),
            variation_reasons: Some("align with schedule".into()),
        };
        let d = d
            .apply(CouncilAction::RecordReviewOutcome {
                outcome: ReviewOutcome::Varied {
                    outcome: varied.clone(),
                    reasons: "schedule B applies".into(),
                },
            })
            .unwrap();
        assert_eq!(d.outcome, varied);
        let d = d
            .apply(CouncilAction::ReferToAssembly {
                grounds: "question of principle".into(),
            })
            .unwrap();
        let not_enough = d
            .apply(CouncilAction::RecordAssemblyVote {
                vote: AssemblyVote {
                    in_favour: 19,
                    against: 10,
                    abstentions: 20,
                },
            })
            .unwrap();
        assert_eq!(not_enough.status, DecisionStatus::RejectedByAssembly);
        assert_eq!(
            not_enough.apply(approve(2)).unwrap_err().code(),
            "illegal_decision_transition"
        );
        let adopted = d
            .apply(CouncilAction::RecordAssemblyVote {
                vote: AssemblyVote {
                    in_favour: 20,
                    against: 10,
                    abstentions: 20,
                },
            })
            .unwrap();
        assert_eq!(adopted.status, DecisionStatus::AdoptedByAssembly);
        let done = adopted.apply(approve(2)).unwrap();
        assert!(done.is_final());
        assert_eq!(done.history.len(), 5);
    }

    #[test]
    fn two_thirds_of_votes_cast() {
        let v = |f, a, x| AssemblyVote {
            in_favour: f,
            against: a,
            abstentions: x,
        };
        assert!(v(2, 1, 100).adopted());
        assert!(!v(1, 1, 0).adopted());
        assert!(!v(0, 0, 10).adopted());
        assert!(v(u32::MAX, 0, 0).adopted());
    }

    #[test]
    fn transition_errors() {
        let mut not_adopted = adopted();
        not_adopted.status = RecommendationStatus::Open;
        assert_eq!(
            Decision::open(DecisionId::new(), &not_adopted)
                .unwrap_err()
                .code(),
            "recommendation_not_adopted"
        );
        let d = Decision::open(DecisionId::new(), &adopted()).unwrap();
        assert_eq!(
            d.apply(CouncilAction::ReturnToPanel {
                reasons: " ".into()
            })
            .unwrap_err()
            .code(),
            "reasons_required"
        );
        let err = d
            .apply(CouncilAction::ReferToAssembly {
                grounds: "x".into(),
            })
            .unwrap_err();
        assert_eq!(err.code(), "illegal_decision_transition");
        assert_eq!(
            err.to_string(),
            "a decision that is awaiting_council cannot take the action refer_to_assembly"
        );
        let returned = d
            .apply(CouncilAction::ReturnToPanel {
                reasons: "assessment ignores the medical report".into(),
            })
            .unwrap();
        assert_eq!(returned.status, DecisionStatus::ReturnedToPanel);
        assert!(returned.apply(approve(3)).is_err());
    }

    #[test]
    fn corrections_supersede_without_editing() {
        let original = Decision::open(DecisionId::new(), &adopted())
            .unwrap()
            .apply(approve(7))
            .unwrap();
        let fixed = Outcome::Award {
            amount: Money::new(dec!(2550), Currency::EUR),
            variation_reasons: None,
        };
        let correction = original
            .correct(
                DecisionId::new(),
                number(8),
                date!(2027 - 07 - 01),
                CorrectionReason::ComputationalError,
                "exchange rate of the wrong date applied",
                fixed.clone(),
            )
            .unwrap();
        assert_eq!(correction.supersedes.as_ref().unwrap().number, number(7));
        assert_eq!(correction.outcome, fixed);
        let all = [original.clone(), correction.clone()];
        assert_eq!(in_force(&all).map(|d| d.id), Some(correction.id));

        let open = Decision::open(DecisionId::new(), &adopted()).unwrap();
        let args = |d: &Decision, n, why: &str| {
            d.correct(
                DecisionId::new(),
                number(n),
                date!(2027 - 07 - 01),
                CorrectionReason::ClericalError,
                why,
                fixed.clone(),
            )
        };
        assert_eq!(args(&open, 9, "x").unwrap_err().code(), "not_final");
        assert_eq!(
            args(&original, 9, "").unwrap_err().code(),
            "reasons_required"
        );
        assert_eq!(args(&original, 7, "x").unwrap_err().code(), "number_reused");
    }
}
