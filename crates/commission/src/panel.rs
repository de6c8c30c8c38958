//! Panels, recommendations and the panel vote.
//!
//! A panel of Commissioners examines a case and recommends an award or a
//! dismissal to the Council. A recommendation is adopted when a majority of
//! the panel's *members* vote in favour, not a majority of the votes cast: a
//! thinly attended vote must not carry a recommendation, and a member who may
//! not vote (see [`crate::four_eyes`]) counts against adoption by not voting.
//!
//! An award that departs from the assessed amount must say why; a dismissal
//! gives reason codes from a fixed list (so decisions can be counted and
//! published by ground) plus free text.

use crate::ErrorCode;
use crate::case::CaseId;
use crate::four_eyes::{CaseInvolvement, ConflictOfInterest};
use kernel::id::AccountId;
use kernel::{Currency, Money};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

kernel::typed_id!(
    /// A panel of Commissioners.
    PanelId
);
kernel::typed_id!(
    /// A panel's recommendation on one case.
    RecommendationId
);

/// A panel of Commissioners and the categories it handles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Panel {
    pub id: PanelId,
    pub name: String,
    pub members: Vec<AccountId>,
    /// Category codes the panel handles.
    pub categories: Vec<String>,
}

/// Why a panel is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PanelError {
    #[error("a panel needs a name")]
    EmptyName,
    #[error("a panel needs at least one member")]
    NoMembers,
    #[error("account {account} is listed twice")]
    DuplicateMember { account: AccountId },
    #[error("a panel needs at least one category")]
    NoCategories,
}

impl ErrorCode for PanelError {
    fn code(&self) -> &'static str {
        match self {
            Self::EmptyName => "empty_name",
            Self::NoMembers => "no_members",
            Self::DuplicateMember { .. } => "duplicate_member",
            Self::NoCategories => "no_categories",
        }
    }
}

impl Panel {
    pub fn validate(&self) -> Result<(), PanelError> {
        if self.name.trim().is_empty() {
            return Err(PanelError::EmptyName);
        }
        if self.members.is_empty() {
            return Err(PanelError::NoMembers);
        }
        let mut seen = BTreeSet::new();
        for m in &self.members {
            if !seen.insert(*m) {
                return Err(PanelError::DuplicateMember { account: *m });
            }
        }
        if self.categories.is_empty() {
            return Err(PanelError::NoCategories);
        }
        Ok(())
    }

    pub fn is_member(&self, account: AccountId) -> bool {
        self.members.contains(&account)
    }

    pub fn handles(&self, category: &str) -> bool {
        self.categories.iter().any(|c| c == category)
    }

    /// Votes in favour needed to adopt: more than half of the members.
    pub fn majority(&self) -> usize {
        self.members.len() / 2 + 1
    }
}

/// Grounds for dismissing a claim. The list is closed so dismissals can be
/// counted by ground; anything else is `Other` with the text explaining it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DismissalCode {
    /// The damage occurred outside the period the Commission covers.
    OutsideTemporalScope,
    /// The damage occurred outside the territory the Commission covers.
    OutsideTerritory,
    /// Not caused by the internationally wrongful acts in question.
    NoCausalLink,
    /// The loss is not shown to the applicable standard of proof.
    NotSubstantiated,
    /// The claimant is not eligible (e.g. excluded nationality).
    ClaimantNotEligible,
    /// The person filing may not claim for the claimant.
    NoStanding,
    /// The same loss is claimed in another claim.
    DuplicateClaim,
    /// The loss has already been compensated from another source.
    AlreadyCompensated,
    Other,
}

/// What a panel recommends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Award {
        amount: Money,
        /// Required when `amount` differs from the assessed amount.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        variation_reasons: Option<String>,
    },
    Dismissal {
        codes: Vec<DismissalCode>,
        text: String,
    },
}

impl Outcome {
    /// The awarded amount, if any.
    pub fn amount(&self) -> Option<Money> {
        match self {
            Self::Award { amount, .. } => Some(*amount),
            Self::Dismissal { .. } => None,
        }
    }
}

/// How a member voted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteChoice {
    InFavour,
    Against,
    Abstain,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub member: AccountId,
    pub choice: VoteChoice,
}

/// Where a recommendation's vote stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationStatus {
    /// Voting is open.
    Open,
    /// A majority of members voted in favour; it goes to the Council.
    Adopted,
    /// A majority in favour can no longer be reached.
    Rejected,
}

impl fmt::Display for RecommendationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Open => "open",
            Self::Adopted => "adopted",
            Self::Rejected => "rejected",
        })
    }
}

/// The count of a recommendation's votes against its panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteTally {
    pub members: usize,
    /// Votes in favour needed to adopt.
    pub majority: usize,
    pub in_favour: usize,
    pub against: usize,
    pub abstentions: usize,
    /// Members who have not voted and may still vote.
    pub eligible_not_voted: usize,
    pub status: RecommendationStatus,
}

/// A panel's recommendation on a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub id: RecommendationId,
    pub case: CaseId,
    pub panel: PanelId,
    pub proposed_by: AccountId,
    /// The assessment's result, for comparison; `None` if the case has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessed_amount: Option<Money>,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(default)]
    pub votes: Vec<Vote>,
    pub status: RecommendationStatus,
}

/// Why a recommendation could not be proposed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecommendationError {
    #[error("account {account} is not a member of this panel")]
    NotAMember { account: AccountId },
    #[error("this panel does not handle category {category}")]
    CategoryNotHandled { category: String },
    #[error(transparent)]
    ConflictOfInterest(#[from] ConflictOfInterest),
    #[error("an award needs an assessment of the case")]
    AssessmentRequired,
    #[error("an award must be greater than zero")]
    NotPositive,
    #[error("the award is in {found}, the assessment in {expected}")]
    CurrencyMismatch { expected: Currency, found: Currency },
    #[error("an award of a different amount than assessed ({assessed}) needs reasons")]
    VariationReasonsRequired { assessed: Money },
    #[error("a dismissal needs at least one reason code")]
    DismissalCodesRequired,
    #[error("a dismissal needs an explanation")]
    DismissalTextRequired,
}

impl ErrorCode for RecommendationError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotAMember { .. } => "not_a_member",
            Self::CategoryNotHandled { .. } => "category_not_handled",
            Self::ConflictOfInterest(e) => e.code(),
            Self::AssessmentRequired => "assessment_required",
            Self::NotPositive => "not_positive",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::VariationReasonsRequired { .. } => "variation_reasons_required",
            Self::DismissalCodesRequired => "dismissal_codes_required",
            Self::DismissalTextRequired => "dismissal_text_required",
        }
    }
}

/// Why a vote was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VoteError {
    #[error("this recommendation belongs to another panel")]
    WrongPanel,
    #[error("account {account} is not a member of this panel")]
    NotAMember { account: AccountId },
    #[error("account {account} has already voted")]
    AlreadyVoted { account: AccountId },
    #[error(transparent)]
    ConflictOfInterest(#[from] ConflictOfInterest),
    #[error("voting is closed: the recommendation is {status}")]
    VotingClosed { status: RecommendationStatus },
}

impl ErrorCode for VoteError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongPanel => "wrong_panel",
            Self::NotAMember { .. } => "not_a_member",
            Self::AlreadyVoted { .. } => "already_voted",
            Self::ConflictOfInterest(e) => e.code(),
            Self::VotingClosed { .. } => "voting_closed",
        }
    }
}

/// The inputs of [`Recommendation::propose`] that come from the case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseForPanel<'a> {
    pub case: CaseId,
    pub category: &'a str,
    pub assessed_amount: Option<Money>,
    pub involvement: &'a CaseInvolvement,
}

impl Recommendation {
    /// A member's proposal, open for the panel's vote. The proposer does not
    /// vote by proposing.
    pub fn propose(
        id: RecommendationId,
        panel: &Panel,
        proposer: AccountId,
        case: &CaseForPanel<'_>,
        outcome: Outcome,
    ) -> Result<Self, RecommendationError> {
        if !panel.is_member(proposer) {
            return Err(RecommendationError::NotAMember { account: proposer });
        }
        if !panel.handles(case.category) {
            return Err(RecommendationError::CategoryNotHandled {
                category: case.category.to_owned(),
            });
        }
        case.involvement.ensure_may_recommend(proposer)?;
        match &outcome {
            Outcome::Award {
                amount,
                variation_reasons,
            } => {
                let assessed = case
                    .assessed_amount
                    .ok_or(RecommendationError::AssessmentRequired)?;
                if amount.currency() != assessed.currency() {
                    return Err(RecommendationError::CurrencyMismatch {
                        expected: assessed.currency(),
                        found: amount.currency(),
                    });
                }
                if !amount.is_positive() {
                    return Err(RecommendationError::NotPositive);
                }
                let has_reasons = variation_reasons
                    .as_deref()
                    .is_some_and(|r| !r.trim().is_empty());
                if amount.amount() != assessed.amount() && !has_reasons {
                    return Err(RecommendationError::VariationReasonsRequired { assessed });
                }
            }
            Outcome::Dismissal { codes, text } => {
                if codes.is_empty() {
                    return Err(RecommendationError::DismissalCodesRequired);
                }
                if text.trim().is_empty() {
                    return Err(RecommendationError::DismissalTextRequired);
                }
            }
        }
        Ok(Self {
            id,
            case: case.case,
            panel: panel.id,
            proposed_by: proposer,
            assessed_amount: case.assessed_amount,
            outcome,
            votes: Vec::new(),
            status: RecommendationStatus::Open,
        })
    }

    /// Records a member's vote and returns the new tally; the status moves
    /// to adopted or rejected as soon as the outcome is certain.
    pub fn cast_vote(
        &mut self,
        panel: &Panel,
        involvement: &CaseInvolvement,
        vote: Vote,
    ) -> Result<VoteTally, VoteError> {
        if panel.id != self.panel {
            return Err(VoteError::WrongPanel);
        }
        if self.status != RecommendationStatus::Open {
            return Err(VoteError::VotingClosed {
                status: self.status,
            });
        }
        if !panel.is_member(vote.member) {
            return Err(VoteError::NotAMember {
                account: vote.member,
            });
        }
        if self.votes.iter().any(|v| v.member == vote.member) {
            return Err(VoteError::AlreadyVoted {
                account: vote.member,
            });
        }
        involvement.ensure_may_vote(vote.member)?;
        self.votes.push(vote);
        let tally = self.tally(panel, involvement);
        self.status = tally.status;
        Ok(tally)
    }

    /// Counts the votes of current panel members.
    pub fn tally(&self, panel: &Panel, involvement: &CaseInvolvement) -> VoteTally {
        let count = |choice: VoteChoice| {
            self.votes
                .iter()
                .filter(|v| v.choice == choice && panel.is_member(v.member))
                .count()
        };
        let in_favour = count(VoteChoice::InFavour);
        let eligible_not_voted = panel
            .members
            .iter()
            .filter(|m| !self.votes.iter().any(|v| v.member == **m))
            .filter(|m| involvement.ensure_may_vote(**m).is_ok())
            .count();
        let majority = panel.majority();
        let status = if in_favour >= majority {
            RecommendationStatus::Adopted
        } else if in_favour + eligible_not_voted < majority {
            RecommendationStatus::Rejected
        } else {
            RecommendationStatus::Open
        };
        VoteTally {
            members: panel.members.len(),
            majority,
            in_favour,
            against: count(VoteChoice::Against),
            abstentions: count(VoteChoice::Abstain),
            eligible_not_voted,
            status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn eur(a: rust_decimal::Decimal) -> Money {
        Money::new(a, Currency::EUR)
    }

    fn panel(n: usize) -> Panel {
        Panel {
            id: PanelId::new(),
            name: "Panel 1 (personal injury)".into(),
            members: (0..n).map(|_| AccountId::new()).collect(),
            categories: vec!["A2.3".into()],
        }
    }

    fn case(inv: &CaseInvolvement) -> CaseForPanel<'_> {
        CaseForPanel {
            case: CaseId::new(),
            category: "A2.3",
            assessed_amount: Some(eur(dec!(2500))),
            involvement: inv,
        }
    }

    fn as_assessed() -> Outcome {
        Outcome::Award {
            amount: eur(dec!(2500)),
            variation_reasons: None,
        }
    }

    #[test]
    fn panel_validation() {
        let p = panel(3);
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.majority(), 2);
        assert_eq!(panel(4).majority(), 3);
        let mut bad = p.clone();
        bad.name = String::new();
        assert_eq!(bad.validate().unwrap_err().code(), "empty_name");
        let mut bad = p.clone();
        bad.members.clear();
        assert_eq!(bad.validate().unwrap_err().code(), "no_members");
        let mut bad = p.clone();
        bad.members.push(bad.members[0]);
        assert_eq!(bad.validate().unwrap_err().code(), "duplicate_member");
        let mut bad = p;
        bad.categories.clear();
        assert_eq!(bad.validate().unwrap_err().code(), "no_categories");
    }

    #[test]
    fn proposal_errors() {
        let p = panel(3);
        let assessor = p.members[0];
        let inv = CaseInvolvement {
            assessed_by: vec![assessor],
            sample_reviewed_by: vec![],
        };
        let c = case(&inv);
        let propose =
            |who, outcome| Recommendation::propose(RecommendationId::new(), &p, who, &c, outcome);
        let code = |r: Result<Recommendation, RecommendationError>| r.unwrap_err().code();

        assert_eq!(
            code(propose(AccountId::new(), as_assessed())),
            "not_a_member"
        );
        assert_eq!(
            code(propose(assessor, as_assessed())),
            "conflict_of_interest"
        );
        let member = p.members[1];
        assert!(propose(member, as_assessed()).is_ok());
        assert_eq!(
            code(propose(
                member,
                Outcome::Award {
                    amount: eur(dec!(2000)),
                    variation_reasons: Some("  ".into())
                }
            )),
            "variation_reasons_required"
        );
        assert!(
            propose(
                member,
                Outcome::Award {
                    amount: eur(dec!(2000)),
                    variation_reasons: Some("injury partly pre-existing".into())
                }
            )
            .is_ok()
        );
        assert_eq!(
            code(propose(
                member,
                Outcome::Award {
                    amount: eur(dec!(0)),
                    variation_reasons: Some("x".into())
                }
            )),
            "not_positive"
        );
        assert_eq!(
            code(propose(
                member,
                Outcome::Award {
                    amount: Money::new(dec!(2500), Currency::USD),
                    variation_reasons: None
                }
            )),
            "currency_mismatch"
        );
        assert_eq!(
            code(propose(
                member,
                Outcome::Dismissal {
                    codes: vec![],
                    text: "x".into()
                }
            )),
            "dismissal_codes_required"
        );
        assert_eq!(
            code(propose(
                member,
                Outcome::Dismissal {
                    codes: vec![DismissalCode::OutsideTemporalScope],
                    text: String::new()
                }
            )),
            "dismissal_text_required"
        );
        let unassessed = CaseForPanel {
            assessed_amount: None,
            ..c.clone()
        };
        assert_eq!(
            Recommendation::propose(
                RecommendationId::new(),
                &p,
                member,
                &unassessed,
                as_assessed()
            )
            .unwrap_err()
            .code(),
            "assessment_required"
        );
        let other_category = CaseForPanel {
            category: "A3.1",
            ..c.clone()
        };
        assert_eq!(
            Recommendation::propose(
                RecommendationId::new(),
                &p,
                member,
                &other_category,
                as_assessed()
            )
            .unwrap_err()
            .code(),
            "category_not_handled"
        );
    }

    #[test]
    fn majority_of_members_not_of_votes_cast() {
        let p = panel(5);
        let inv = CaseInvolvement::default();
        let mut r = Recommendation::propose(
            RecommendationId::new(),
            &p,
            p.members[0],
            &case(&inv),
            as_assessed(),
        )
        .unwrap();
        let vote = |i: usize, choice| Vote {
            member: p.members[i],
            choice,
        };
        // Two in favour and nobody against is still not a majority of five.
        r.cast_vote(&p, &inv, vote(0, VoteChoice::InFavour))
            .unwrap();
        let t = r
            .cast_vote(&p, &inv, vote(1, VoteChoice::InFavour))
            .unwrap();
        assert_eq!(t.status, RecommendationStatus::Open);
        let t = r.cast_vote(&p, &inv, vote(2, VoteChoice::Abstain)).unwrap();
        assert_eq!(t.status, RecommendationStatus::Open);
        let t = r
            .cast_vote(&p, &inv, vote(3, VoteChoice::InFavour))
            .unwrap();
        assert_eq!(t.status, RecommendationStatus::Adopted);
        assert_eq!(t.in_favour, 3);
        assert_eq!(
            r.cast_vote(&p, &inv, vote(4, VoteChoice::Against))
                .unwrap_err()
                .code(),
            "voting_closed"
        );
    }

    #[test]
    fn vote_errors_and_rejection() {
        let p = panel(3);
        let inv = CaseInvolvement {
            assessed_by: vec![],
            sample_reviewed_by: vec![p.members[2]],
        };
        let mut r = Recommendation::propose(
            RecommendationId::new(),
            &p,
            p.members[0],
            &case(&inv),
            as_assessed(),
        )
        .unwrap();
        let vote = |member, choice| Vote { member, choice };
        assert_eq!(
            r.cast_vote(&p, &inv, vote(AccountId::new(), VoteChoice::InFavour))
                .unwrap_err()
                .code(),
            "not_a_member"
        );
        assert_eq!(
            r.cast_vote(&p, &inv, vote(p.members[2], VoteChoice::InFavour))
                .unwrap_err()
                .code(),
            "conflict_of_interest"
        );
        r.cast_vote(&p, &inv, vote(p.members[0], VoteChoice::InFavour))
            .unwrap();
        assert_eq!(
            r.cast_vote(&p, &inv, vote(p.members[0], VoteChoice::Against))
                .unwrap_err()
                .code(),
            "already_voted"
        );
        // One for, one against, the third barred: two of three cannot be reached.
        let t = r
            .cast_vote(&p, &inv, vote(p.members[1], VoteChoice::Against))
            .unwrap();
        assert_eq!(t.status, RecommendationStatus::Rejected);
        assert_eq!(t.eligible_not_voted, 0);

        let other = panel(3);
        assert_eq!(
            r.cast_vote(&other, &inv, vote(other.members[0], VoteChoice::InFavour))
                .unwrap_err()
                .code(),
            "wrong_panel"
        );
    }

    #[test]
    fn recommendation_json_is_flat() {
        let p = panel(1);
        let inv = CaseInvolvement::default();
        let r = Recommendation::propose(
            RecommendationId::new(),
            &p,
            p.members[0],
            &case(&inv),
            Outcome::Dismissal {
                codes: vec![DismissalCode::NoCausalLink],
                text: "Damage predates the events".into(),
            },
        )
        .unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["outcome"], "dismissal");
        assert_eq!(v["codes"][0], "no_causal_link");
        assert_eq!(v["status"], "open");
        let back: Recommendation = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }
}
