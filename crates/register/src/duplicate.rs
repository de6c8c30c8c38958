//! Probable duplicates, found by shared keys.
//!
//! Earlier mass-claims programmes paid some losses twice: one claimant paid
//! in several categories, family members filing for the same loss, the same
//! property claimed by each co-owner. The UN Compensation Commission later
//! had to recover US$80.3 million. So every submitted claim is compared
//! with earlier claims that share a key:
//!
//! - the same claimant (RNOKPP or EDRPOU) in the same category with
//!   overlapping incident dates;
//! - the same claimant in another category with overlapping dates (the
//!   cross-category check; claims on unrelated dates are ordinary);
//! - the same cadastral number, whoever the claimant;
//! - the same record of a national register (property ids);
//! - the same evidence file (by hash) on another claim.
//!
//! A match raises a [`DuplicateFlag`], never a rejection: staff look at it
//! and resolve it as a confirmed duplicate or not a duplicate, with a
//! reason. The store finds candidates by [`DuplicateKeys::index_keys`] and
//! hands their keys to [`find_duplicates`].

use crate::category::CategoryCode;
use crate::claim::{CadastralNumber, ClaimDraft, ClaimId, ExternalReference, Incident};
use crate::claimant::ClaimantKey;
use crate::dates::iso_date;
use crate::evidence::EvidenceHash;
use kernel::id::AccountId;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::Date;

kernel::typed_id!(
    /// A probable-duplicate flag.
    DuplicateFlagId
);

/// What duplicate detection knows about one claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateKeys {
    pub claim: ClaimId,
    #[serde(default)]
    pub claimant: Option<ClaimantKey>,
    #[serde(default)]
    pub category: Option<CategoryCode>,
    #[serde(default)]
    pub incident: Option<Incident>,
    #[serde(default)]
    pub cadastral_number: Option<CadastralNumber>,
    /// Normalised (see [`ExternalReference::normalized`]).
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
    #[serde(default)]
    pub evidence_hashes: Vec<EvidenceHash>,
}

impl DuplicateKeys {
    /// The keys of a claim with the hashes of its evidence files.
    pub fn of_claim(
        claim: ClaimId,
        draft: &ClaimDraft,
        evidence_hashes: impl IntoIterator<Item = EvidenceHash>,
    ) -> Self {
        let mut external_references: Vec<ExternalReference> = draft
            .external_references
            .iter()
            .map(ExternalReference::normalized)
            .filter(|r| !r.register.is_empty() && !r.id.is_empty())
            .collect();
        external_references.sort();
        external_references.dedup();
        let mut evidence_hashes: Vec<EvidenceHash> = evidence_hashes.into_iter().collect();
        evidence_hashes.sort();
        evidence_hashes.dedup();
        Self {
            claim,
            claimant: draft
                .claimant
                .as_ref()
                .and_then(crate::claimant::Claimant::key),
            category: draft.category.clone(),
            incident: draft.incident,
            cadastral_number: draft.location.cadastral_number.clone(),
            external_references,
            evidence_hashes,
        }
    }

    /// Strings a store indexes claims by; any claim sharing one of them is a
    /// candidate. Formats: `claimant:rnokpp:<n>`, `claimant:edrpou:<n>`,
    /// `cadastral:<n>`, `external:<register>:<id>`, `evidence:<sha256>`.
    pub fn index_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(claimant) = &self.claimant {
            keys.push(format!("claimant:{claimant}"));
        }
        if let Some(n) = &self.cadastral_number {
            keys.push(format!("cadastral:{n}"));
        }
        for r in &self.external_references {
            let r = r.normalized();
            keys.push(format!("external:{}:{}", r.register, r.id));
        }
        for h in &self.evidence_hashes {
            keys.push(format!("evidence:{h}"));
        }
        keys
    }
}

/// Why two claims look like duplicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    SameClaimantSameCategoryOverlappingDates,
    SameClaimantOtherCategory,
    SameCadastralNumber,
    SameExternalPropertyId,
    SameEvidenceHash,
}

impl DuplicateReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SameClaimantSameCategoryOverlappingDates => {
                "same_claimant_same_category_overlapping_dates"
            }
            Self::SameClaimantOtherCategory => "same_claimant_other_category",
            Self::SameCadastralNumber => "same_cadastral_number",
            Self::SameExternalPropertyId => "same_external_property_id",
            Self::SameEvidenceHash => "same_evidence_hash",
        }
    }
}

impl fmt::Display for DuplicateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason a candidate looks like a duplicate of the new claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateMatch {
    pub other_claim: ClaimId,
    pub reason: DuplicateReason,
    /// The shared key, e.g. `rnokpp:3184710691` or a cadastral number.
    pub matched: String,
}

/// Compares a new claim's keys with each candidate's. A candidate may match
/// for several reasons; each gives its own match. The claim itself is
/// skipped if it appears among the candidates.
pub fn find_duplicates(claim: &DuplicateKeys, candidates: &[DuplicateKeys]) -> Vec<DuplicateMatch> {
    let mut found = Vec::new();
    for other in candidates.iter().filter(|c| c.claim != claim.claim) {
        let mut hit = |reason, matched: String| {
            found.push(DuplicateMatch {
                other_claim: other.claim,
                reason,
                matched,
            });
        };
        let overlapping = match (&claim.incident, &other.incident) {
            (Some(a), Some(b)) => a.overlaps(b),
            _ => false,
        };
        if let (Some(a), Some(b)) = (&claim.claimant, &other.claimant)
            && a == b
            && overlapping
        {
            if claim.category == other.category {
                hit(
                    DuplicateReason::SameClaimantSameCategoryOverlappingDates,
                    a.to_string(),
                );
            } else {
                hit(DuplicateReason::SameClaimantOtherCategory, a.to_string());
            }
        }
        if let (Some(a), Some(b)) = (&claim.cadastral_number, &other.cadastral_number)
            && a == b
        {
            hit(DuplicateReason::SameCadastralNumber, a.to_string());
        }
        let theirs: Vec<ExternalReference> = other
            .external_references
            .iter()
            .map(ExternalReference::normalized)
            .collect();
        for r in claim
            .external_references
            .iter()
            .map(ExternalReference::normalized)
        {
            if theirs.contains(&r) {
                hit(
                    DuplicateReason::SameExternalPropertyId,
                    format!("{}:{}", r.register, r.id),
                );
            }
        }
        for h in &claim.evidence_hashes {
            if other.evidence_hashes.contains(h) {
                hit(DuplicateReason::SameEvidenceHash, h.to_string());
            }
        }
    }
    found
}

/// How staff settled a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateOutcome {
    /// The claims are the same loss; the later one is handled accordingly
    /// (withdrawal, rejection or merger is a separate decision).
    Confirmed,
    /// The match is coincidental (co-owners' shares, separate losses).
    NotDuplicate,
}

/// A staff decision on a flag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateResolution {
    pub outcome: DuplicateOutcome,
    /// Why, in a sentence a reviewer can check later.
    pub reason: String,
    pub resolved_by: AccountId,
    #[serde(with = "iso_date")]
    pub resolved_on: Date,
}

/// A probable duplicate awaiting, or having received, a staff decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateFlag {
    pub id: DuplicateFlagId,
    /// The claim whose submission raised the flag.
    pub claim: ClaimId,
    pub other_claim: ClaimId,
    pub reason: DuplicateReason,
    pub matched: String,
    #[serde(with = "iso_date")]
    pub raised_on: Date,
    #[serde(default)]
    pub resolution: Option<DuplicateResolution>,
}

/// Why a flag cannot be resolved as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("the flag was already resolved on {0}")]
    AlreadyResolved(Date),
    #[error("a resolution needs a reason")]
    ReasonMissing,
}

impl DuplicateFlag {
    /// A new, open flag for `claim` from one match.
    pub fn raise(claim: ClaimId, found: DuplicateMatch, today: Date) -> Self {
        Self {
            id: DuplicateFlagId::new(),
            claim,
            other_claim: found.other_claim,
            reason: found.reason,
            matched: found.matched,
            raised_on: today,
            resolution: None,
        }
    }

    pub fn is_open(&self) -> bool {
        self.resolution.is_none()
    }

    /// Records a staff decision. A flag is resolved once: changing one's
    /// mind is a new flag or a decision on the claim, so the record of who
    /// decided what stays intact.
    pub fn resolve(
        &mut self,
        outcome: DuplicateOutcome,
        reason: &str,
        resolved_by: AccountId,
        resolved_on: Date,
    ) -> Result<(), ResolveError> {
        if let Some(done) = &self.resolution {
            return Err(ResolveError::AlreadyResolved(done.resolved_on));
        }
        if reason.trim().is_empty() {
            return Err(ResolveError::ReasonMissing);
        }
        self.resolution = Some(DuplicateResolution {
            outcome,
            reason: reason.trim().to_owned(),
            resolved_by,
            resolved_on,
        });
        Ok(())
    }
}
