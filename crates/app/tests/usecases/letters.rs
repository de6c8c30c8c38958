//! Decision letters: what a letter holds, who gets it, and what its public
//! verification confirms.

use crate::decisions::{approved_house, commission, eur};
use app::ErrorClass;
use app::letters::{claim_letter, content_hash, decision_letter, verify};
use commission::{CouncilAction, Outcome, VoteChoice};
use kernel::{Action, Role};

both! {
    async fn a_letter_holds_the_decision_and_verifies_without_names(w: World) {
        let c = commission(&w).await;
        let issued = approved_house(&w, &c).await;
        let d = &issued.decision;
        let number = d.decision.number.unwrap();

        let letter = decision_letter(&w.app, &c.council, d.decision.id, "pdf").await.unwrap();
        let content = &letter.content;
        assert_eq!(content.number, number);
        assert_eq!(content.decided_on, "2026-09-01");
        assert_eq!(content.meeting_reference.as_deref(), Some("C/2026/9"));
        assert_eq!(content.outcome.amount(), Some(eur(20_000)));
        assert!(matches!(content.outcome, Outcome::Award { .. }));
        let panel = content.panel.as_ref().unwrap();
        assert_eq!(panel.panel, "Panel 1");
        assert_eq!(panel.proposed_by, "Commissioner 0");
        let votes: Vec<_> = panel.votes.iter().map(|v| (v.member.as_str(), v.choice)).collect();
        assert_eq!(votes, [("Commissioner 0", VoteChoice::InFavour), ("Commissioner 1", VoteChoice::InFavour)]);
        assert!(matches!(content.council.as_slice(), [CouncilAction::Approve { .. }]));
        let assessment = content.assessment.as_ref().unwrap();
        assert_eq!(assessment.result, eur(20_000));
        assert_eq!(assessment.rule, "A3.1 v1");
        assert!(content.supersedes.is_none());
        assert_eq!(letter.content_hash, content_hash(&content.canonical().unwrap()));
        assert_eq!(letter.superseded_by, None);

        // The claimant's letter is the same letter; another claimant's
        // request is answered as for a claim that does not exist.
        let mine = claim_letter(&w.app, &c.claimant, d.claim_id, "html").await.unwrap();
        assert_eq!((mine.code.clone(), mine.content_hash.clone()), (letter.code.clone(), letter.content_hash.clone()));
        let other = w.actor("Other", &[Role::Claimant], false, Action::ReadClaim).await;
        let refused = claim_letter(&w.app, &other, d.claim_id, "html").await.unwrap_err();
        assert_eq!(refused.class, ErrorClass::NotFound);

        // Verification: the decision's facts, however the code is typed.
        let v = verify(&w.app, &letter.code.grouped().to_lowercase()).await.unwrap();
        assert_eq!(v.number, number);
        assert_eq!(v.outcome, "award");
        assert_eq!(v.amount, Some(eur(20_000)));
        assert_eq!(v.content_hash, letter.content_hash);
        assert!(v.hash_matches);
        assert_eq!(v.superseded_by, None);
        for code in ["", "not a code", &"0".repeat(26)] {
            let refused = verify(&w.app, code).await.unwrap_err();
            assert_eq!(refused.class, ErrorClass::NotFound, "{code:?}");
        }
    }
}
