//! A claimant's view of a claim from filing to the last payment: at every
//! stage, `GET /v1/claims/{id}/award` and the claimant's page say the same
//! thing, and the page's "what happens next" fits where the claim really
//! is; the award shown is the one in force after a correction, with each
//! payment and the balance.

use crate::decisions::{World, decide, eur, get, on_award, pay, post, world};
use crate::support::{TestApp, json, problem};
use crate::web::{Browser, sign_in, text};
use kernel::Role;
use serde_json::{Value, json};
use time::macros::datetime;

/// What the claimant's page says next, in English, for each stage.
fn next_text(stage: &str) -> &'static str {
    match stage {
        "draft" => "Complete and submit your claim.",
        "submitted" => "the Register will take your claim up for review.",
        "under_review" => "the Register is reviewing your claim.",
        "information_requested" => "Answer the request for information below",
        "rejected" => "Your claim was not recorded.",
        "withdrawn" => "You withdrew this claim.",
        "awaiting_assessment" => "Your claim is recorded. The Claims Commission will assess it.",
        "being_assessed" => "the Claims Commission is assessing your claim.",
        "before_panel" => "a panel of Commissioners will recommend a decision.",
        "before_council" => "the Council of the Commission is deciding.",
        "dismissed" => "The Commission decided not to award compensation.",
        "awarded" => "The Commission awarded compensation.",
        "payable" => "Your award is cleared for payment.",
        "partially_paid" => "Part of your award has been paid.",
        "paid" => "Your award has been paid in full.",
        "payee_unreachable" => "We could not reach the payee.",
        other => panic!("no text for {other}"),
    }
}

/// The claim's stage through the API and the page agree, and the page
/// says what the stage means; answers the API's view.
async fn at_stage(app: &TestApp, token: &str, page: &Browser, claim: &str, stage: &str) -> Value {
    let view = get(app, token, &format!("/v1/claims/{claim}/award")).await;
    assert_eq!(view["stage"], stage, "{view}");
    let (status, _, html) = text(page.get(app, &format!("/my/claims/{claim}")).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!("data-stage=\"{stage}\"")),
        "{stage}: {html}"
    );
    assert!(html.contains(next_text(stage)), "{stage}: {html}");
    for other in ["Your claim is recorded. The Claims Commission will assess it."] {
        if stage != "awaiting_assessment" {
            assert!(!html.contains(other), "{stage} still says {other:?}");
        }
    }
    view
}

/// The claim filed (a draft) by the world's claimant.
async fn draft(app: &TestApp, w: &World, cadastral: &str) -> String {
    let (s, body) = post(
        app,
        &w.claimant,
        "/v1/claims",
        crate::claims::house("3184710691", cadastral),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (s, v) = post(app, token, path, body).await;
    assert!(s == 200 || s == 201, "{path}: {s} {v}");
    v
}

/// The Board's decision on the registrar's recommendation.
async fn board(app: &TestApp, registrar: &str, board: &str, claim: &str, outcome: &str) {
    let rec = ok(
        app,
        registrar,
        &format!("/v1/claims/{claim}/recommendation"),
        json!({"outcome": outcome, "reasons": "As the file shows."}),
    )
    .await;
    let (s, body) = json(
        app.post(&format!("/v1/claims/{claim}/decision"))
            .bearer_auth(board)
            .header("if-match", format!("\"v{}\"", rec["version"]))
            .json(&json!({"outcome": outcome, "reasons": "As recommended."}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
}

/// A change to a case on its current version.
async fn on_case(app: &TestApp, token: &str, case: &str, path: &str, body: Value) -> Value {
    let current = get(app, token, &format!("/v1/cases/{case}")).await;
    let (s, v) = json(
        app.post(path)
            .bearer_auth(token)
            .header("if-match", format!("\"v{}\"", current["version"]))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(s == 200 || s == 201, "{path}: {s} {v}");
    v
}

both! {
    async fn the_claimant_is_told_the_real_stage_from_filing_to_the_last_payment(app: TestApp) {
        let w = world(&app, false).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, board_member) = app.account("Board", &[Role::Board]).await;
        let page = sign_in(&app, &w.claimant).await;
        let claimant = &w.claimant;

        let claim = draft(&app, &w, "3210900000:01:001:0001").await;
        at_stage(&app, claimant, &page, &claim, "draft").await;
        ok(&app, claimant, &format!("/v1/claims/{claim}/submit"), json!({})).await;
        at_stage(&app, claimant, &page, &claim, "submitted").await;
        ok(&app, &registrar, &format!("/v1/claims/{claim}/review"), json!({})).await;
        at_stage(&app, claimant, &page, &claim, "under_review").await;
        ok(&app, &registrar, &format!("/v1/claims/{claim}/information-requests"),
            json!({"message": "Please send the ownership certificate."})).await;
        at_stage(&app, claimant, &page, &claim, "information_requested").await;
        ok(&app, claimant, &format!("/v1/claims/{claim}/responses"), json!({"message": "Sent."})).await;
        at_stage(&app, claimant, &page, &claim, "under_review").await;
        board(&app, &registrar, &board_member, &claim, "recorded").await;
        let view = at_stage(&app, claimant, &page, &claim, "awaiting_assessment").await;
        assert_eq!(view["award"], Value::Null, "{view}");

        let case = app.state.store
            .case_for_claim(register::ClaimId::from_uuid(claim.parse().unwrap()))
            .await.unwrap().id.to_string();
        on_case(&app, &w.assessor, &case, &format!("/v1/cases/{case}/assignment"),
            json!({"assessor": w.assessor_id})).await;
        at_stage(&app, claimant, &page, &claim, "being_assessed").await;
        on_case(&app, &w.assessor, &case, &format!("/v1/cases/{case}/assessments"), json!({})).await;
        at_stage(&app, claimant, &page, &claim, "before_panel").await;
        let rec = ok(&app, &w.members[0].1, &format!("/v1/cases/{case}/recommendations"),
            json!({"panel": w.panel, "outcome": "award"})).await;
        let rec = rec["id"].as_str().unwrap().to_owned();
        for (_, member) in &w.members[..2] {
            ok(&app, member, &format!("/v1/recommendations/{rec}/votes"), json!({"choice": "in_favour"})).await;
        }
        at_stage(&app, claimant, &page, &claim, "before_council").await;
        let (s, issued) = decide(&app, &w.council, &rec, json!({"action": "approve"})).await;
        assert_eq!(s, 200, "{issued}");
        let award = issued["award"]["id"].as_str().unwrap().to_owned();
        let first = issued["decision"]["id"].as_str().unwrap().to_owned();
        let view = at_stage(&app, claimant, &page, &claim, "awarded").await;
        assert_eq!(view["decision_number"], issued["decision"]["number"], "{view}");
        assert_eq!(view["award"]["amount"], issued["award"]["amount"], "{view}");
        assert_eq!(view["award"]["outstanding"], issued["award"]["amount"], "{view}");
        assert_eq!(view["award"]["payees"], json!([{"kind": "claimant", "name": null, "share": null, "account": null}]));

        // A round allots 10,000 EUR; the award is payable, then part paid.
        app.clock.set(datetime!(2026-09-04 09:00 UTC));
        // Days later: the claimant signs in again.
        let page = sign_in(&app, &w.claimant).await;
        let round = ok(&app, &w.council, "/v1/payment-rounds", json!({"available": eur("10000.00")})).await;
        ok(&app, &w.council, &format!("/v1/payment-rounds/{}/confirm", round["id"].as_str().unwrap()), json!({})).await;
        at_stage(&app, claimant, &page, &claim, "payable").await;
        let (s, paid) = json(pay(&app, &w.council, &award,
            json!({"amount": eur("10000.00"), "paid_on": "2026-09-03", "reference": "R1-0001"})).await).await;
        assert_eq!(s, 201, "{paid}");
        let view = at_stage(&app, claimant, &page, &claim, "partially_paid").await;
        assert_eq!(view["award"]["paid"], eur("10000.00"), "{view}");
        assert_eq!(view["award"]["payments"][0]["reference"], "R1-0001", "{view}");
        let (_, _, html) = text(page.get(&app, &format!("/my/claims/{claim}")).await).await;
        // Money in the page carries its currency and minor unit.
        let html = html.replace(['\u{a0}', '\u{202f}'], " ");
        assert!(html.contains("R1-0001") && html.contains("10 000.00 EUR"), "{html}");

        // Unreachable, then reached again.
        let mark = format!("/v1/awards/{award}/payee-unreachable");
        let (s, a) = json(on_award(&app, &w.council, &award, reqwest::Method::POST, &mark, None).await).await;
        assert_eq!(s, 200, "{a}");
        at_stage(&app, claimant, &page, &claim, "payee_unreachable").await;
        let (s, a) = json(on_award(&app, &w.council, &award, reqwest::Method::DELETE, &mark, None).await).await;
        assert_eq!(s, 200, "{a}");
        at_stage(&app, claimant, &page, &claim, "partially_paid").await;

        // A correction: the claimant sees the award in force, not the first.
        let corrected = ok(&app, &w.council, &format!("/v1/decisions/{first}/corrections"),
            json!({"reason": "computational_error", "explanation": "The floor area was misread.",
                   "amount": eur("20000.00")})).await;
        let view = at_stage(&app, claimant, &page, &claim, "partially_paid").await;
        assert_eq!(view["decision_number"], corrected["decision"]["number"], "{view}");
        assert_eq!(view["award"]["amount"], eur("20000.00"), "{view}");
        assert_eq!(view["award"]["outstanding"], eur("10000.00"), "{view}");
        let round = ok(&app, &w.council, "/v1/payment-rounds", json!({"available": eur("10000.00")})).await;
        ok(&app, &w.council, &format!("/v1/payment-rounds/{}/confirm", round["id"].as_str().unwrap()), json!({})).await;
        let (s, paid) = json(pay(&app, &w.council, &award,
            json!({"amount": eur("10000.00"), "paid_on": "2026-09-04", "reference": "R2-0001"})).await).await;
        assert_eq!(s, 201, "{paid}");
        let view = at_stage(&app, claimant, &page, &claim, "paid").await;
        assert_eq!(view["award"]["outstanding"], eur("0.00"), "{view}");
        assert_eq!(view["award"]["payments"].as_array().unwrap().len(), 2, "{view}");

        // In Ukrainian too.
        let (_, _, html) = text(page.get(&app, &format!("/my/claims/{claim}?lang=uk")).await).await;
        assert!(html.contains("Компенсацію виплачено повністю."), "{html}");

        // Nobody else's: another claimant gets "not found" from both doors.
        let (_, other) = app.account("Someone else", &[Role::Claimant]).await;
        problem(app.get(&format!("/v1/claims/{claim}/award")).bearer_auth(&other).send().await.unwrap(),
            404, "not-found").await;
        let others = sign_in(&app, &other).await;
        let (status, _, html) = text(others.get(&app, &format!("/my/claims/{claim}")).await).await;
        assert_eq!(status, 404);
        assert!(!html.contains("R1-0001"));
        problem(app.get(&format!("/v1/claims/{claim}/award")).send().await.unwrap(), 401, "unauthenticated").await;
    }

    async fn a_rejected_a_withdrawn_and_a_dismissed_claim_say_so(app: TestApp) {
        let w = world(&app, false).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, board_member) = app.account("Board", &[Role::Board]).await;
        let page = sign_in(&app, &w.claimant).await;
        let claimant = &w.claimant;

        let rejected = draft(&app, &w, "3210900000:01:001:0002").await;
        ok(&app, claimant, &format!("/v1/claims/{rejected}/submit"), json!({})).await;
        ok(&app, &registrar, &format!("/v1/claims/{rejected}/review"), json!({})).await;
        board(&app, &registrar, &board_member, &rejected, "rejected").await;
        at_stage(&app, claimant, &page, &rejected, "rejected").await;

        let withdrawn = draft(&app, &w, "3210900000:01:001:0003").await;
        ok(&app, claimant, &format!("/v1/claims/{withdrawn}/submit"), json!({})).await;
        ok(&app, claimant, &format!("/v1/claims/{withdrawn}/withdraw"), json!({"reason": "settled"})).await;
        at_stage(&app, claimant, &page, &withdrawn, "withdrawn").await;

        let dismissed = draft(&app, &w, "3210900000:01:001:0004").await;
        ok(&app, claimant, &format!("/v1/claims/{dismissed}/submit"), json!({})).await;
        ok(&app, &registrar, &format!("/v1/claims/{dismissed}/review"), json!({})).await;
        board(&app, &registrar, &board_member, &dismissed, "recorded").await;
        let case = app.state.store
            .case_for_claim(register::ClaimId::from_uuid(dismissed.parse().unwrap()))
            .await.unwrap().id.to_string();
        on_case(&app, &w.assessor, &case, &format!("/v1/cases/{case}/assignment"),
            json!({"assessor": w.assessor_id})).await;
        on_case(&app, &w.assessor, &case, &format!("/v1/cases/{case}/assessments"), json!({})).await;
        let rec = ok(&app, &w.members[0].1, &format!("/v1/cases/{case}/recommendations"),
            json!({"panel": w.panel, "outcome": "dismissal", "codes": ["not_substantiated"],
                   "text": "The loss is not shown."})).await;
        let rec = rec["id"].as_str().unwrap().to_owned();
        for (_, member) in &w.members[..2] {
            ok(&app, member, &format!("/v1/recommendations/{rec}/votes"), json!({"choice": "in_favour"})).await;
        }
        let (s, issued) = decide(&app, &w.council, &rec, json!({"action": "approve"})).await;
        assert_eq!(s, 200, "{issued}");
        let view = at_stage(&app, claimant, &page, &dismissed, "dismissed").await;
        assert_eq!(view["award"], Value::Null, "{view}");
        assert_eq!(view["decision_number"], issued["decision"]["number"], "{view}");
    }

    async fn a_claimant_switches_e_mail_notices_off_and_on_from_the_claim_page(app: TestApp) {
        let w = world(&app, false).await;
        let claim = draft(&app, &w, "3210900000:01:001:0005").await;
        let page = sign_in(&app, &w.claimant).await;
        let (_, _, html) = text(page.get(&app, &format!("/my/claims/{claim}")).await).await;
        assert!(html.contains("data-email=\"on\""), "{html}");
        let off = page.post(&app, &format!("/my/claims/{claim}/notifications"), &[("email", "off")]).await;
        assert_eq!(off.status(), 303);
        let settings = get(&app, &w.claimant, &format!("/v1/claims/{claim}/notifications")).await;
        assert_eq!(settings["email"], false, "{settings}");
        let (_, _, html) = text(page.get(&app, &format!("/my/claims/{claim}?done=notices")).await).await;
        assert!(html.contains("data-email=\"off\"") && html.contains("Your choice about e-mail notices is saved."), "{html}");
        let bad = page.post(&app, &format!("/my/claims/{claim}/notifications"), &[("email", "maybe")]).await;
        assert_eq!(bad.status(), 422);
        // Nobody else's switch to pull.
        let (_, other) = app.account("Someone else", &[Role::Claimant]).await;
        let others = sign_in(&app, &other).await;
        let refused = others.post(&app, &format!("/my/claims/{claim}/notifications"), &[("email", "on")]).await;
        assert_eq!(refused.status(), 404);
        let on = page.post(&app, &format!("/my/claims/{claim}/notifications"), &[("email", "on")]).await;
        assert_eq!(on.status(), 303);
        assert_eq!(get(&app, &w.claimant, &format!("/v1/claims/{claim}/notifications")).await["email"], true);
    }
}
