//! Four eyes: nobody checks their own work.
//!
//! The account that assessed a case may not review it in a sample, recommend
//! it or vote on it; an account that reviewed it in a sample may not vote on
//! it either. The server collects who touched the case into a
//! [`CaseInvolvement`] and asks here before each of those acts, so the rule
//! lives in one place and every refusal says why.

use crate::ErrorCode;
use kernel::id::AccountId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The accounts that have already acted on a case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseInvolvement {
    /// Accounts that recorded an assessment of the case (every assessment,
    /// including superseded ones: having assessed it once is enough).
    #[serde(default)]
    pub assessed_by: Vec<AccountId>,
    /// Accounts that reviewed the case as part of a batch sample.
    #[serde(default)]
    pub sample_reviewed_by: Vec<AccountId>,
}

/// What an account did that bars it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Involvement {
    Assessed,
    ReviewedSample,
}

impl fmt::Display for Involvement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Assessed => "assessed",
            Self::ReviewedSample => "reviewed in a sample",
        })
    }
}

/// The act an account was barred from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BarredAct {
    ReviewSample,
    Recommend,
    Vote,
}

impl fmt::Display for BarredAct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ReviewSample => "review it in a sample",
            Self::Recommend => "recommend on it",
            Self::Vote => "vote on it",
        })
    }
}

/// An account asked to act on a case it already acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("account {account} {involvement} this case and may not {act}")]
pub struct ConflictOfInterest {
    pub account: AccountId,
    pub involvement: Involvement,
    pub act: BarredAct,
}

impl ErrorCode for ConflictOfInterest {
    fn code(&self) -> &'static str {
        "conflict_of_interest"
    }
}

impl CaseInvolvement {
    fn check(
        &self,
        account: AccountId,
        act: BarredAct,
        bars: &[Involvement],
    ) -> Result<(), ConflictOfInterest> {
        for involvement in bars {
            let list = match involvement {
                Involvement::Assessed => &self.assessed_by,
                Involvement::ReviewedSample => &self.sample_reviewed_by,
            };
            if list.contains(&account) {
                return Err(ConflictOfInterest {
                    account,
                    involvement: *involvement,
                    act,
                });
            }
        }
        Ok(())
    }

    /// The assessor of a case may not review it in the batch sample.
    pub fn ensure_may_review_sample(&self, reviewer: AccountId) -> Result<(), ConflictOfInterest> {
        self.check(reviewer, BarredAct::ReviewSample, &[Involvement::Assessed])
    }

    /// The assessor of a case may not propose the panel's recommendation on it.
    pub fn ensure_may_recommend(&self, member: AccountId) -> Result<(), ConflictOfInterest> {
        self.check(member, BarredAct::Recommend, &[Involvement::Assessed])
    }

    /// Neither the assessor nor a sample reviewer of a case may vote on it.
    pub fn ensure_may_vote(&self, member: AccountId) -> Result<(), ConflictOfInterest> {
        self.check(
            member,
            BarredAct::Vote,
            &[Involvement::Assessed, Involvement::ReviewedSample],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assessor_may_not_review_recommend_or_vote() {
        let assessor = AccountId::new();
        let reviewer = AccountId::new();
        let other = AccountId::new();
        let inv = CaseInvolvement {
            assessed_by: vec![assessor],
            sample_reviewed_by: vec![reviewer],
        };
        let err = inv.ensure_may_review_sample(assessor).unwrap_err();
        assert_eq!(err.involvement, Involvement::Assessed);
        assert_eq!(err.act, BarredAct::ReviewSample);
        assert_eq!(err.code(), "conflict_of_interest");
        assert!(inv.ensure_may_recommend(assessor).is_err());
        assert!(inv.ensure_may_vote(assessor).is_err());

        assert!(inv.ensure_may_review_sample(reviewer).is_ok());
        assert!(inv.ensure_may_recommend(reviewer).is_ok());
        let err = inv.ensure_may_vote(reviewer).unwrap_err();
        assert_eq!(err.involvement, Involvement::ReviewedSample);
        assert!(
            err.to_string()
                .ends_with("reviewed in a sample this case and may not vote on it")
        );

        assert!(inv.ensure_may_review_sample(other).is_ok());
        assert!(inv.ensure_may_recommend(other).is_ok());
        assert!(inv.ensure_may_vote(other).is_ok());
    }
}
