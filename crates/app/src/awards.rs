//! Awards, their payees and payments, and payment rounds.

use crate::error::{AppError, AppResult};
use commission::ClaimantKind;
use register::{Claimant, ClaimantType};
use serde::Deserialize as _;

/// The Commission's kind of claimant for the Register's type of claimant:
/// a round pays individuals first, up to its priority amount.
pub fn claimant_kind(claimant_type: ClaimantType) -> ClaimantKind {
    match claimant_type {
        ClaimantType::NaturalPerson => ClaimantKind::Individual,
        ClaimantType::LegalEntity => ClaimantKind::LegalEntity,
        ClaimantType::State => ClaimantKind::State,
    }
}

/// The kind of claimant of a claim, read from its claimant as filed (the
/// claim's content in the clear: the claimant is never among the sealed
/// parts of a sensitive claim). A claim without a claimant on record (the
/// synthetic claims of load tests) is an individual's.
pub fn claimant_kind_of_claim(content: &serde_json::Value) -> AppResult<ClaimantKind> {
    let claimant = match content.get("claimant") {
        None | Some(serde_json::Value::Null) => return Ok(ClaimantKind::Individual),
        Some(claimant) => claimant,
    };
    // An unreadable claimant is a damaged record, not a reason to guess a
    // priority tier.
    let claimant = Claimant::deserialize(claimant).map_err(AppError::internal)?;
    Ok(claimant_kind(claimant.claimant_type()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_of_claimant_has_its_kind() {
        assert_eq!(
            claimant_kind(ClaimantType::NaturalPerson),
            ClaimantKind::Individual
        );
        assert_eq!(
            claimant_kind(ClaimantType::LegalEntity),
            ClaimantKind::LegalEntity
        );
        assert_eq!(claimant_kind(ClaimantType::State), ClaimantKind::State);
    }

    #[test]
    fn the_kind_is_the_claimants_type_whatever_words_the_claim_holds() {
        let person = json!({
            "claimant": {
                "claimant_type": "natural_person",
                "given_name": "State",
                "family_name": "Legal_Entity",
                "contact": {"email": "State.Office@example.org", "address": "12 State Street"},
            },
            "narrative": "The legal_entity next door and the \"state\" road were shelled.",
        });
        assert_eq!(
            claimant_kind_of_claim(&person).unwrap(),
            ClaimantKind::Individual
        );
        let state = json!({"claimant": {"claimant_type": "state", "name": "Irpin City Council",
            "code": "20077720", "contact": {"email": "rada@example.ua"}}});
        assert_eq!(claimant_kind_of_claim(&state).unwrap(), ClaimantKind::State);
        let entity = json!({"claimant": {"claimant_type": "legal_entity", "name": "Ukrposhta",
            "edrpou": "21560045"}});
        assert_eq!(
            claimant_kind_of_claim(&entity).unwrap(),
            ClaimantKind::LegalEntity
        );
    }

    #[test]
    fn a_claim_without_a_claimant_is_an_individuals_and_an_unreadable_one_is_refused() {
        assert_eq!(
            claimant_kind_of_claim(&json!({})).unwrap(),
            ClaimantKind::Individual
        );
        assert_eq!(
            claimant_kind_of_claim(&json!({"claimant": null})).unwrap(),
            ClaimantKind::Individual
        );
        let broken = claimant_kind_of_claim(&json!({"claimant": {"claimant_type": "martian"}}));
        assert_eq!(
            broken.err().map(|e| e.class),
            Some(crate::ErrorClass::Internal)
        );
    }
}
