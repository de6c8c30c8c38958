use super::*;
use kernel::id::AccountId;
use register::{
    ClaimId, DuplicateFlag, DuplicateKeys, DuplicateOutcome, DuplicateReason, EvidenceHash,
    ResolveError, find_duplicates,
};

fn hash(c: char) -> EvidenceHash {
    EvidenceHash::parse(&c.to_string().repeat(64)).unwrap()
}

fn keys(draft: &ClaimDraft, hashes: &[EvidenceHash]) -> DuplicateKeys {
    DuplicateKeys::of_claim(ClaimId::new(), draft, hashes.iter().cloned())
}

fn reasons(new: &DuplicateKeys, candidates: &[DuplicateKeys]) -> Vec<DuplicateReason> {
    find_duplicates(new, candidates)
        .into_iter()
        .map(|m| m.reason)
        .collect()
}

/// The house claim stripped of the keys that are not the claimant's.
fn bare_claim() -> ClaimDraft {
    let mut draft = house_claim();
    draft.location.cadastral_number = None;
    draft.external_references.clear();
    draft
}

#[test]
fn index_keys_name_every_lookup_key() {
    let k = keys(&house_claim(), &[hash('a')]);
    assert_eq!(
        k.index_keys(),
        vec![
            "claimant:rnokpp:3184710691".to_owned(),
            "cadastral:3210900000:01:001:0001".to_owned(),
            "external:drrp:123456789".to_owned(),
            format!("evidence:{}", "a".repeat(64)),
        ]
    );
}

#[test]
fn same_claimant_same_category_overlapping_dates() {
    let first = keys(&bare_claim(), &[]);
    let second = keys(&bare_claim(), &[]);
    let found = find_duplicates(&second, std::slice::from_ref(&first));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].other_claim, first.claim);
    assert_eq!(
        found[0].reason,
        DuplicateReason::SameClaimantSameCategoryOverlappingDates
    );
    assert_eq!(found[0].matched, "rnokpp:3184710691");

    let mut later = bare_claim();
    later.incident = Some(Incident::On {
        date: date!(2023 - 01 - 01),
    });
    assert!(reasons(&keys(&later, &[]), &[first]).is_empty());
}

#[test]
fn same_claimant_in_another_category_is_flagged_when_dates_overlap() {
    let first = keys(&bare_claim(), &[]);
    let mut other = bare_claim();
    other.category = Some(code("A3.3"));
    other.incident = Some(Incident::Between {
        from: date!(2022 - 03 - 01),
        to: date!(2022 - 12 - 31),
    });
    assert_eq!(
        reasons(&keys(&other, &[]), std::slice::from_ref(&first)),
        vec![DuplicateReason::SameClaimantOtherCategory]
    );
    other.incident = Some(Incident::On {
        date: date!(2024 - 01 - 01),
    });
    assert!(reasons(&keys(&other, &[]), &[first]).is_empty());
}

#[test]
fn claimants_without_a_tax_number_are_not_matched_by_claimant() {
    let mut a = bare_claim();
    if let Some(Claimant::NaturalPerson(p)) = a.claimant.as_mut() {
        p.tax_number = None;
    }
    let first = keys(&a, &[]);
    assert!(reasons(&keys(&a, &[]), &[first]).is_empty());
}

#[test]
fn property_keys_match_across_claimants() {
    let first = keys(&house_claim(), &[]);
    let mut co_owner = house_claim();
    if let Some(Claimant::NaturalPerson(p)) = co_owner.claimant.as_mut() {
        p.tax_number = Some(Rnokpp::parse("1759013776").unwrap());
    }
    co_owner.external_references[0].register = " DRRP ".into();
    assert_eq!(
        reasons(&keys(&co_owner, &[]), &[first]),
        vec![
            DuplicateReason::SameCadastralNumber,
            DuplicateReason::SameExternalPropertyId
        ]
    );
}

#[test]
fn the_same_evidence_file_on_two_claims_is_flagged_but_not_on_the_same_claim() {
    let mut a = bare_claim();
    if let Some(Claimant::NaturalPerson(p)) = a.claimant.as_mut() {
        p.tax_number = None;
    }
    let first = keys(&a, &[hash('a'), hash('b')]);
    let second = keys(&a, &[hash('b'), hash('b')]);
    assert_eq!(second.evidence_hashes.len(), 1);
    let found = find_duplicates(&second, std::slice::from_ref(&first));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].reason, DuplicateReason::SameEvidenceHash);
    assert!(find_duplicates(&first, std::slice::from_ref(&first)).is_empty());
}

#[test]
fn flags_are_resolved_once_with_a_reason() {
    let first = keys(&bare_claim(), &[]);
    let second = keys(&bare_claim(), &[]);
    let found = find_duplicates(&second, &[first]).remove(0);
    let mut flag = DuplicateFlag::raise(second.claim, found, TODAY);
    assert!(flag.is_open());
    let registrar = AccountId::new();
    assert_eq!(
        flag.resolve(DuplicateOutcome::NotDuplicate, "  ", registrar, TODAY),
        Err(ResolveError::ReasonMissing)
    );
    flag.resolve(
        DuplicateOutcome::NotDuplicate,
        "Second house on the same street",
        registrar,
        TODAY,
    )
    .unwrap();
    assert!(!flag.is_open());
    assert_eq!(
        flag.resolve(
            DuplicateOutcome::Confirmed,
            "changed my mind",
            registrar,
            TODAY
        ),
        Err(ResolveError::AlreadyResolved(TODAY))
    );
    let json = serde_json::to_value(&flag).unwrap();
    assert_eq!(
        json["reason"],
        "same_claimant_same_category_overlapping_dates"
    );
    assert_eq!(json["resolution"]["outcome"], "not_duplicate");
    assert_eq!(serde_json::from_value::<DuplicateFlag>(json).unwrap(), flag);
}
