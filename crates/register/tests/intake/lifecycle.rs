use register::{ClaimAction, ClaimStatus, transition};

#[test]
fn information_can_be_requested_more_than_once() {
    let mut s = ClaimStatus::UnderReview;
    for _ in 0..3 {
        s = transition(s, ClaimAction::RequestInformation).unwrap();
        s = transition(s, ClaimAction::RespondToRequest).unwrap();
    }
    assert_eq!(s, ClaimStatus::UnderReview);
}

#[test]
fn a_claim_cannot_be_submitted_twice() {
    let s = transition(ClaimStatus::Draft, ClaimAction::Submit).unwrap();
    let err = transition(s, ClaimAction::Submit).unwrap_err();
    assert_eq!(err.from, ClaimStatus::Submitted);
    assert_eq!(err.to_string(), "cannot submit a claim that is submitted");
}
