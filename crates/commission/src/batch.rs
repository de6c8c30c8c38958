//! Batches: mass claims assessed by formula and decided on a sample.
//!
//! A batch of like cases is assessed by its category's rule; a random sample
//! is reviewed by hand, and the whole batch is released or returned for
//! reassessment on the sample's error rate. The sample must be redrawable by
//! anyone who doubts it, so it comes from a seeded generator written out
//! here (SplitMix64) rather than a library whose output may change between
//! versions: the same sorted case ids, share, minimum and seed give the same
//! sample forever.
//!
//! Before release, the duplicate guard flags claimants who already hold an
//! award in another category; the UNCC later had to recover overpayments
//! from claimants paid in several categories.

use crate::ErrorCode;
use crate::case::CaseId;
use kernel::Money;
use kernel::id::AccountId;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use uuid::Uuid;

kernel::typed_id!(
    /// A batch of cases assessed together.
    BatchId
);

/// Where a batch stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// Cases chosen; assessment not started.
    Selected,
    /// The rule is being applied to the cases.
    Assessing,
    /// Every case has an assessment; no sample yet.
    Assessed,
    /// A sample was drawn and is being reviewed.
    InReview,
    /// Released on the sample's findings: its cases go to the panel.
    Released,
    /// Returned for reassessment on the sample's findings.
    Returned,
}

impl BatchStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Selected => "selected",
            Self::Assessing => "assessing",
            Self::Assessed => "assessed",
            Self::InReview => "in_review",
            Self::Released => "released",
            Self::Returned => "returned",
        }
    }

    /// The status after `action`, or an error naming the current status.
    pub fn apply(self, action: BatchAction) -> Result<Self, BatchError> {
        use BatchAction as A;
        use BatchStatus as S;
        Ok(match (self, action) {
            // A returned batch is reassessed as a whole, then sampled afresh.
            (S::Selected | S::Returned, A::StartAssessment) => S::Assessing,
            (S::Assessing, A::CompleteAssessment) => S::Assessed,
            (S::Assessed, A::DrawSample) => S::InReview,
            (S::InReview, A::Release) => S::Released,
            (S::InReview, A::Return) => S::Returned,
            (from, action) => return Err(BatchError::IllegalTransition { from, action }),
        })
    }
}

impl fmt::Display for BatchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happens to a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchAction {
    StartAssessment,
    CompleteAssessment,
    DrawSample,
    Release,
    Return,
}

impl fmt::Display for BatchAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::StartAssessment => "start assessment",
            Self::CompleteAssessment => "complete assessment",
            Self::DrawSample => "draw a sample",
            Self::Release => "be released",
            Self::Return => "be returned",
        })
    }
}

/// Why a batch operation was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("a batch that is {from} cannot {action}")]
    IllegalTransition {
        from: BatchStatus,
        action: BatchAction,
    },
    #[error("the sample share {share} is outside 0 to 1")]
    InvalidShare { share: Decimal },
    #[error("the error threshold {threshold} is outside 0 to 1")]
    InvalidErrorThreshold { threshold: Decimal },
    #[error("sampled case {case} has no review finding")]
    FindingMissing { case: CaseId },
    #[error("case {case} has a finding but was not sampled")]
    NotSampled { case: CaseId },
    #[error("case {case} has more than one finding")]
    DuplicateFinding { case: CaseId },
    #[error("case {case}: a correction needs a non-negative amount and a reason")]
    InvalidCorrection { case: CaseId },
    #[error("{} case(s) have unresolved cross-category duplicate flags", cases.len())]
    UnresolvedDuplicates { cases: Vec<CaseId> },
}

impl ErrorCode for BatchError {
    fn code(&self) -> &'static str {
        match self {
            Self::IllegalTransition { .. } => "illegal_batch_transition",
            Self::InvalidShare { .. } => "invalid_sample_share",
            Self::InvalidErrorThreshold { .. } => "invalid_error_threshold",
            Self::FindingMissing { .. } => "finding_missing",
            Self::NotSampled { .. } => "not_sampled",
            Self::DuplicateFinding { .. } => "duplicate_finding",
            Self::InvalidCorrection { .. } => "invalid_correction",
            Self::UnresolvedDuplicates { .. } => "unresolved_duplicates",
        }
    }
}

/// How a batch is sampled. Stored with the batch so the sample can be redrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingPlan {
    /// Share of the batch to review, 0 to 1.
    pub share: Decimal,
    /// At least this many cases (or the whole batch if smaller).
    pub minimum: usize,
    pub seed: u64,
}

impl SamplingPlan {
    /// One case in twenty is reviewed unless the batch says otherwise.
    pub const DEFAULT_SHARE: Decimal = Decimal::from_parts(5, 0, 0, false, 2);
    /// Fewer reviewed cases than this say little about a batch, however
    /// small the share.
    pub const DEFAULT_MINIMUM: usize = 10;

    pub fn new(share: Decimal, minimum: usize, seed: u64) -> Result<Self, BatchError> {
        if share < Decimal::ZERO || share > Decimal::ONE {
            return Err(BatchError::InvalidShare { share });
        }
        Ok(Self {
            share,
            minimum,
            seed,
        })
    }

    pub fn draw(&self, case_ids: &[Uuid]) -> Vec<Uuid> {
        draw_sample(case_ids, self.share, self.minimum, self.seed)
    }
}

/// How a batch is sampled and judged on its sample: stored with the batch,
/// so the sample can be redrawn and the decision retraced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPlan {
    pub sampling: SamplingPlan,
    /// Highest sample error rate at which the batch is still released, 0 to 1.
    pub error_threshold: Decimal,
}

impl ReviewPlan {
    /// A batch whose sample shows more than one error in twenty is
    /// reassessed unless it says otherwise.
    pub const DEFAULT_ERROR_THRESHOLD: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

    /// The plan of a new batch: what its creator chose, the defaults for
    /// the rest. The share is checked before the threshold.
    pub fn new(
        share: Option<Decimal>,
        minimum: Option<usize>,
        error_threshold: Option<Decimal>,
        seed: u64,
    ) -> Result<Self, BatchError> {
        let sampling = SamplingPlan::new(
            share.unwrap_or(SamplingPlan::DEFAULT_SHARE),
            minimum.unwrap_or(SamplingPlan::DEFAULT_MINIMUM),
            seed,
        )?;
        let threshold = error_threshold.unwrap_or(Self::DEFAULT_ERROR_THRESHOLD);
        if threshold < Decimal::ZERO || threshold > Decimal::ONE {
            return Err(BatchError::InvalidErrorThreshold { threshold });
        }
        Ok(Self {
            sampling,
            error_threshold: threshold,
        })
    }

    /// Release or return, on the findings of a complete review.
    pub fn decide(&self, findings: &[SampleFinding]) -> ReleaseDecision {
        batch_release_decision(sample_error_rate(findings), self.error_threshold)
    }
}

/// `max(minimum, ceil(share × n))`, at most `n`. A share outside 0 to 1 is
/// clamped into it.
pub fn sample_size(n: usize, share: Decimal, minimum: usize) -> usize {
    let share = share.clamp(Decimal::ZERO, Decimal::ONE);
    let by_share = Decimal::from(n)
        .checked_mul(share)
        .and_then(|d| d.ceil().to_usize())
        .unwrap_or(n);
    by_share.max(minimum).min(n)
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny generator whose every
/// output is fixed by its definition. Its constants must never change, or
/// stored seeds would redraw different samples.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound > 0`), without modulo bias: draws below
    /// `2^64 mod bound` are rejected.
    fn below(&mut self, bound: u64) -> u64 {
        let reject_under = bound.wrapping_neg() % bound;
        loop {
            let r = self.next();
            if r >= reject_under {
                return r % bound;
            }
        }
    }
}

/// Draws a reproducible random sample of a batch's cases.
///
/// The ids are sorted (and duplicates dropped) first, so the sample depends
/// on the set of cases and not on the order a query returned them in; then a
/// partial Fisher-Yates shuffle driven by SplitMix64 from `seed` picks
/// [`sample_size`] of them. The sample is returned sorted.
pub fn draw_sample(case_ids: &[Uuid], share: Decimal, minimum: usize, seed: u64) -> Vec<Uuid> {
    let mut pool: Vec<Uuid> = case_ids.to_vec();
    pool.sort_unstable();
    pool.dedup();
    let size = sample_size(pool.len(), share, minimum);
    let mut rng = SplitMix64(seed);
    for i in 0..size {
        let remaining = (pool.len() - i) as u64;
        // `below` returns less than `remaining`, which came from a usize.
        let offset = usize::try_from(rng.below(remaining)).unwrap_or(0);
        pool.swap(i, i + offset);
    }
    pool.truncate(size);
    pool.sort_unstable();
    pool
}

/// What the reviewer found on one sampled case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// The assessment stands.
    Confirmed,
    /// The assessment was wrong; this is the right amount.
    Corrected { amount: Money, reason: String },
}

/// A review finding on a sampled case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleFinding {
    pub case: CaseId,
    pub reviewer: AccountId,
    #[serde(flatten)]
    pub finding: Finding,
}

impl SampleFinding {
    pub fn is_error(&self) -> bool {
        matches!(self.finding, Finding::Corrected { .. })
    }
}

/// The share of reviewed cases whose assessment was corrected; zero when
/// nothing was reviewed (use [`check_findings`] first to be sure the review is
/// complete).
pub fn sample_error_rate(findings: &[SampleFinding]) -> Decimal {
    if findings.is_empty() {
        return Decimal::ZERO;
    }
    let errors = findings.iter().filter(|f| f.is_error()).count();
    Decimal::from(errors) / Decimal::from(findings.len())
}

/// Checks the review is complete: exactly one finding per sampled case, none
/// for other cases, and every correction with an amount and a reason.
pub fn check_findings(sample: &[CaseId], findings: &[SampleFinding]) -> Result<(), BatchError> {
    let sampled: BTreeSet<CaseId> = sample.iter().copied().collect();
    let mut seen = BTreeSet::new();
    for f in findings {
        if !sampled.contains(&f.case) {
            return Err(BatchError::NotSampled { case: f.case });
        }
        if !seen.insert(f.case) {
            return Err(BatchError::DuplicateFinding { case: f.case });
        }
        let invalid = match &f.finding {
            Finding::Confirmed => false,
            Finding::Corrected { amount, reason } => {
                amount.is_negative() || reason.trim().is_empty()
            }
        };
        if invalid {
            return Err(BatchError::InvalidCorrection { case: f.case });
        }
    }
    match sampled.difference(&seen).next() {
        Some(case) => Err(BatchError::FindingMissing { case: *case }),
        None => Ok(()),
    }
}

/// What happens to a batch after its sample is reviewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseDecision {
    /// The error rate is within the threshold: the batch goes on, with the
    /// sampled cases at their corrected amounts.
    Release,
    /// Too many errors: the whole batch is assessed again.
    ReturnForReassessment,
}

impl ReleaseDecision {
    pub const fn action(self) -> BatchAction {
        match self {
            Self::Release => BatchAction::Release,
            Self::ReturnForReassessment => BatchAction::Return,
        }
    }
}

/// Release when the error rate is at most the threshold.
pub fn batch_release_decision(error_rate: Decimal, threshold: Decimal) -> ReleaseDecision {
    if error_rate <= threshold {
        ReleaseDecision::Release
    } else {
        ReleaseDecision::ReturnForReassessment
    }
}

/// The Register's duplicate key for a claimant (the same person or entity
/// across claims and categories).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClaimantKey(pub String);

/// A case whose claimant also has an assessed award elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateFlag {
    pub case: CaseId,
    pub claimant: ClaimantKey,
    /// The case's own category.
    pub category: String,
    /// Other categories the claimant has an assessed award in, or an
    /// assessed case in the same batch, sorted.
    pub other_categories: Vec<String>,
    /// Whether the claimant already has an award in this very category.
    pub same_category: bool,
}

/// Flags the cases of a batch whose claimant already has an assessed award
/// in another category (or the same one), counting both earlier awards and
/// the batch's own other cases. `batch` holds `(case, claimant, category)`;
/// `assessed` holds `(claimant, category)` for every award already assessed
/// outside the batch. Flags come back in case-id order.
pub fn flag_cross_category_duplicates(
    batch: &[(CaseId, ClaimantKey, String)],
    assessed: &[(ClaimantKey, String)],
) -> Vec<DuplicateFlag> {
    let mut categories: BTreeMap<&ClaimantKey, Vec<&str>> = BTreeMap::new();
    for (claimant, category) in assessed {
        categories.entry(claimant).or_default().push(category);
    }
    let mut in_batch: BTreeMap<&ClaimantKey, Vec<(CaseId, &str)>> = BTreeMap::new();
    for (case, claimant, category) in batch {
        in_batch
            .entry(claimant)
            .or_default()
            .push((*case, category));
    }
    let mut flags: Vec<DuplicateFlag> = batch
        .iter()
        .filter_map(|(case, claimant, category)| {
            let earlier = categories.get(claimant).map_or(&[][..], Vec::as_slice);
            let same_category = earlier.iter().any(|c| c == category)
                || in_batch
                    .get(claimant)
                    .is_some_and(|v| v.iter().any(|(c, k)| c != case && k == category));
            let others: BTreeSet<String> = earlier
                .iter()
                .copied()
                .chain(
                    in_batch
                        .get(claimant)
                        .into_iter()
                        .flatten()
                        .filter(|(c, _)| c != case)
                        .map(|(_, k)| *k),
                )
                .filter(|k| k != category)
                .map(str::to_owned)
                .collect();
            (same_category || !others.is_empty()).then(|| DuplicateFlag {
                case: *case,
                claimant: claimant.clone(),
                category: category.clone(),
                other_categories: others.into_iter().collect(),
                same_category,
            })
        })
        .collect();
    flags.sort_by_key(|f| f.case);
    flags
}

/// A batch may be released only once every flagged case has been cleared
/// (checked by hand and either confirmed or taken out of the batch).
pub fn ensure_duplicates_resolved(
    flags: &[DuplicateFlag],
    cleared: &[CaseId],
) -> Result<(), BatchError> {
    let cleared: BTreeSet<&CaseId> = cleared.iter().collect();
    let open: Vec<CaseId> = flags
        .iter()
        .map(|f| f.case)
        .filter(|c| !cleared.contains(c))
        .collect();
    if open.is_empty() {
        Ok(())
    } else {
        Err(BatchError::UnresolvedDuplicates { cases: open })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::Currency;
    use rust_decimal_macros::dec;

    fn ids(n: u128) -> Vec<Uuid> {
        (1..=n).map(Uuid::from_u128).collect()
    }

    fn case(n: u128) -> CaseId {
        CaseId::from_uuid(Uuid::from_u128(n))
    }

    #[test]
    fn splitmix64_matches_its_published_sequence() {
        let mut rng = SplitMix64(0);
        assert_eq!(rng.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn a_stored_seed_redraws_the_same_sample() {
        // Pinned: if this changes, every stored sample would redraw differently.
        let sample = draw_sample(&ids(20), dec!(0.1), 3, 2027);
        let expected = draw_sample(&ids(20), dec!(0.1), 3, 2027);
        assert_eq!(sample, expected);
        assert_eq!(sample.len(), 3);
        let pinned: Vec<u128> = sample.iter().map(Uuid::as_u128).collect();
        assert_eq!(pinned, PINNED_SAMPLE);
    }

    const PINNED_SAMPLE: [u128; 3] = [4, 8, 17];

    #[test]
    fn order_of_the_ids_does_not_matter() {
        let mut shuffled = ids(50);
        shuffled.reverse();
        assert_eq!(
            draw_sample(&shuffled, dec!(0.2), 0, 7),
            draw_sample(&ids(50), dec!(0.2), 0, 7)
        );
    }

    #[test]
    fn size_is_the_larger_of_share_and_minimum_capped_at_the_batch() {
        assert_eq!(sample_size(1000, dec!(0.05), 10), 50);
        assert_eq!(sample_size(1000, dec!(0.001), 10), 10);
        assert_eq!(sample_size(5, dec!(0.1), 10), 5);
        assert_eq!(sample_size(101, dec!(0.1), 0), 11);
        assert_eq!(sample_size(0, dec!(0.5), 3), 0);
        assert_eq!(sample_size(10, dec!(7), 0), 10);
        assert_eq!(
            SamplingPlan::new(dec!(1.5), 1, 1).unwrap_err().code(),
            "invalid_sample_share"
        );
    }

    #[test]
    fn a_new_batch_plan_fills_in_the_defaults() {
        let plan = ReviewPlan::new(None, None, None, 7).unwrap();
        assert_eq!(plan.sampling.share, dec!(0.05));
        assert_eq!(plan.sampling.minimum, 10);
        assert_eq!(plan.error_threshold, dec!(0.05));
        assert_eq!(plan.sampling.seed, 7);
        let chosen = ReviewPlan::new(Some(dec!(0.01)), Some(20), Some(dec!(0)), 7).unwrap();
        assert_eq!(
            (
                chosen.sampling.share,
                chosen.sampling.minimum,
                chosen.error_threshold
            ),
            (dec!(0.01), 20, dec!(0))
        );
        assert!(ReviewPlan::new(Some(dec!(1)), None, Some(dec!(1)), 7).is_ok());
    }

    #[test]
    fn a_share_or_threshold_outside_0_to_1_is_refused_share_first() {
        let err = |share, threshold| {
            ReviewPlan::new(share, None, threshold, 1)
                .unwrap_err()
                .code()
        };
        assert_eq!(err(Some(dec!(-0.1)), None), "invalid_sample_share");
        assert_eq!(err(None, Some(dec!(1.01))), "invalid_error_threshold");
        assert_eq!(err(None, Some(dec!(-0.01))), "invalid_error_threshold");
        assert_eq!(err(Some(dec!(2)), Some(dec!(2))), "invalid_sample_share");
    }

    #[test]
    fn a_plan_decides_on_its_threshold() {
        let plan = ReviewPlan::new(None, None, Some(dec!(0.1)), 1).unwrap();
        let findings: Vec<_> = (1..=20).map(|n| finding(n, n <= 2)).collect();
        assert_eq!(plan.decide(&findings), ReleaseDecision::Release);
        let findings: Vec<_> = (1..=20).map(|n| finding(n, n <= 3)).collect();
        assert_eq!(
            plan.decide(&findings),
            ReleaseDecision::ReturnForReassessment
        );
        assert_eq!(plan.decide(&[]), ReleaseDecision::Release);
    }

    proptest::proptest! {
        /// Every share and threshold within 0 to 1 makes a plan that keeps
        /// them; every other is refused.
        #[test]
        fn plans_keep_what_is_within_0_to_1(
            share in -2000_i64..3000,
            threshold in -2000_i64..3000,
            minimum in 0_usize..100,
        ) {
            let (share, threshold) = (Decimal::new(share, 3), Decimal::new(threshold, 3));
            let within = |d: Decimal| d >= Decimal::ZERO && d <= Decimal::ONE;
            match ReviewPlan::new(Some(share), Some(minimum), Some(threshold), 3) {
                Ok(plan) => {
                    proptest::prop_assert!(within(share) && within(threshold));
                    proptest::prop_assert_eq!(
                        (plan.sampling.share, plan.sampling.minimum, plan.error_threshold),
                        (share, minimum, threshold)
                    );
                }
                Err(BatchError::InvalidShare { .. }) => proptest::prop_assert!(!within(share)),
                Err(BatchError::InvalidErrorThreshold { .. }) => {
                    proptest::prop_assert!(within(share) && !within(threshold));
                }
                Err(other) => proptest::prop_assert!(false, "{other}"),
            }
        }
    }

    fn finding(n: u128, corrected: bool) -> SampleFinding {
        SampleFinding {
            case: case(n),
            reviewer: AccountId::new(),
            finding: if corrected {
                Finding::Corrected {
                    amount: Money::new(dec!(1000), Currency::EUR),
                    reason: "floor area was 64 m2, not 84".into(),
                }
            } else {
                Finding::Confirmed
            },
        }
    }

    #[test]
    fn error_rate_and_release() {
        let findings: Vec<_> = (1..=20).map(|n| finding(n, n <= 2)).collect();
        let rate = sample_error_rate(&findings);
        assert_eq!(rate, dec!(0.1));
        assert_eq!(
            batch_release_decision(rate, dec!(0.1)),
            ReleaseDecision::Release
        );
        assert_eq!(
            batch_release_decision(rate, dec!(0.05)),
            ReleaseDecision::ReturnForReassessment
        );
        assert_eq!(sample_error_rate(&[]), Decimal::ZERO);
        assert_eq!(
            BatchStatus::InReview.apply(ReleaseDecision::ReturnForReassessment.action()),
            Ok(BatchStatus::Returned)
        );
    }

    #[test]
    fn findings_serialize_flat() {
        let f = finding(1, true);
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["finding"], "corrected");
        assert_eq!(v["amount"]["amount"], "1000.00");
        assert_eq!(serde_json::from_value::<SampleFinding>(v).unwrap(), f);
        let confirmed: SampleFinding = serde_json::from_str(&format!(
            r#"{{"case":"{}","reviewer":"{}","finding":"confirmed"}}"#,
            case(2),
            AccountId::new()
        ))
        .unwrap();
        assert!(!confirmed.is_error());
    }

    #[test]
    fn findings_must_cover_exactly_the_sample() {
        let sample = [case(1), case(2)];
        assert_eq!(
            check_findings(&sample, &[finding(1, false), finding(2, true)]),
            Ok(())
        );
        assert_eq!(
            check_findings(&sample, &[finding(1, false)])
                .unwrap_err()
                .code(),
            "finding_missing"
        );
        assert_eq!(
            check_findings(&sample, &[finding(3, false)])
                .unwrap_err()
                .code(),
            "not_sampled"
        );
        assert_eq!(
            check_findings(&sample, &[finding(1, false), finding(1, true)])
                .unwrap_err()
                .code(),
            "duplicate_finding"
        );
        let mut bad = finding(1, true);
        bad.finding = Finding::Corrected {
            amount: Money::new(dec!(1), Currency::EUR),
            reason: String::new(),
        };
        assert_eq!(
            check_findings(&sample, &[bad]).unwrap_err().code(),
            "invalid_correction"
        );
    }

    #[test]
    fn batch_lifecycle_and_illegal_transitions() {
        let mut s = BatchStatus::Selected;
        for a in [
            BatchAction::StartAssessment,
            BatchAction::CompleteAssessment,
            BatchAction::DrawSample,
            BatchAction::Return,
            BatchAction::StartAssessment,
        ] {
            s = s.apply(a).unwrap();
        }
        assert_eq!(s, BatchStatus::Assessing);
        let err = BatchStatus::Released
            .apply(BatchAction::DrawSample)
            .unwrap_err();
        assert_eq!(err.code(), "illegal_batch_transition");
        assert_eq!(
            err.to_string(),
            "a batch that is released cannot draw a sample"
        );
    }

    #[test]
    fn duplicate_guard_flags_other_categories_and_repeats() {
        let k = |s: &str| ClaimantKey(s.into());
        let batch = vec![
            (case(1), k("anna"), "A2.3".to_owned()),
            (case(2), k("boris"), "A2.3".to_owned()),
            (case(3), k("chrystia"), "A2.3".to_owned()),
            (case(4), k("chrystia"), "A3.1".to_owned()),
            (case(5), k("dmytro"), "A2.3".to_owned()),
        ];
        let assessed = vec![
            (k("anna"), "A1.1".to_owned()),
            (k("dmytro"), "A2.3".to_owned()),
        ];
        let flags = flag_cross_category_duplicates(&batch, &assessed);
        let flagged: Vec<CaseId> = flags.iter().map(|f| f.case).collect();
        assert_eq!(flagged, vec![case(1), case(3), case(4), case(5)]);
        assert_eq!(flags[0].other_categories, vec!["A1.1".to_owned()]);
        assert_eq!(flags[1].other_categories, vec!["A3.1".to_owned()]);
        assert!(flags[3].same_category && flags[3].other_categories.is_empty());

        let err = ensure_duplicates_resolved(&flags, &[case(1), case(3)]).unwrap_err();
        assert_eq!(
            err,
            BatchError::UnresolvedDuplicates {
                cases: vec![case(4), case(5)]
            }
        );
        assert_eq!(err.code(), "unresolved_duplicates");
        assert_eq!(
            ensure_duplicates_resolved(&flags, &[case(1), case(3), case(4), case(5)]),
            Ok(())
        );
    }
}
