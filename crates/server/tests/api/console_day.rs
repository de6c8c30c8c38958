//! The Commission's day in the console: the Register takes many claims up
//! at once, the Council decides its queue at one meeting, and the case page
//! names people and marks what a correction superseded.

use crate::decisions::{adopted, assessed_cases, eur, post, world};
use crate::support::{TestApp, json};
use crate::web::{sign_in, text};
use kernel::Role;
use kernel::{Currency, Money};
use reqwest::header::LOCATION;
use rust_decimal::Decimal;
use serde_json::json;
use store::cases::{CaseFacts, SyntheticCase};
use time::macros::date;

/// Every value of a form field in a page, in order.
fn values(html: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

async fn submitted_claim(app: &TestApp, claimant: &str, cadastral: &str) -> String {
    let (s, draft) = json(
        app.post("/v1/claims")
            .bearer_auth(claimant)
            .json(&crate::claims::house("3184710691", cadastral))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{draft}");
    let id = draft["id"].as_str().unwrap().to_owned();
    let r = app
        .post(&format!("/v1/claims/{id}/submit"))
        .bearer_auth(claimant)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    id
}

crate::both! {
    async fn the_register_takes_many_claims_up_from_the_queue(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, board) = app.account("Board", &[Role::Board]).await;
        let a = submitted_claim(&app, &claimant, "3210900000:01:001:0001").await;
        let b = submitted_claim(&app, &claimant, "3210900000:01:001:0002").await;

        // The Board lists claims but does not take them up: no boxes, no form.
        let boards = sign_in(&app, &board).await;
        let (status, _, html) = text(boards.get(&app, "/console/claims?status=submitted").await).await;
        assert_eq!(status, 200);
        assert!(values(&html, "claim").is_empty() && !html.contains("take-up-form"), "{html}");
        let refused = boards.post(&app, "/console/claims/reviews", &[("claim", "x:1")]).await;
        assert_eq!(refused.status(), 403);

        let browser = sign_in(&app, &registrar).await;
        let (_, _, html) = text(browser.get(&app, "/console/claims?status=submitted").await).await;
        let ticked = values(&html, "claim");
        assert_eq!(ticked.len(), 2, "{html}");
        let mut fields: Vec<(&str, &str)> = ticked.iter().map(|v| ("claim", v.as_str())).collect();
        // One of them listed at a version that is no longer current.
        let stale = format!("{a}:1");
        fields[0] = ("claim", stale.as_str());
        let done = browser.post(&app, "/console/claims/reviews", &fields).await;
        assert_eq!(done.status(), 303);
        assert_eq!(done.headers()[LOCATION], "/console/claims?status=submitted&taken_up=1&refused=1");
        let (_, _, html) = text(browser.get(&app, "/console/claims?status=submitted&taken_up=1&refused=1").await).await;
        assert!(html.contains("Taken up for review"), "{html}");
        let status = |id: String| {
            let token = registrar.clone();
            let app = &app;
            async move {
                let (_, claim) = json(app.get(&format!("/v1/claims/{id}")).bearer_auth(token).send().await.unwrap()).await;
                claim["status"].as_str().unwrap().to_owned()
            }
        };
        assert_eq!(status(a.clone()).await, "submitted", "the stale item was left alone");
        assert_eq!(status(b.clone()).await, "under_review");
        // A claimant's session may not post the form at all.
        let claimants = sign_in(&app, &claimant).await;
        let refused = claimants.post(&app, "/console/claims/reviews", &[("claim", &format!("{a}:2"))]).await;
        assert_eq!(refused.status(), 403);
        assert_eq!(status(a).await, "submitted");
    }

    async fn the_council_decides_its_queue_at_one_meeting(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 2).await;
        for case in &cases {
            adopted(&app, &w, case).await;
        }
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let registrars = sign_in(&app, &registrar).await;
        let (status, _, html) = text(registrars.get(&app, "/console/council").await).await;
        assert_eq!(status, 403, "{html}");
        assert!(!html.contains("href=\"/console/council\""), "no link to a page the role may not open");

        let council = sign_in(&app, &w.council).await;
        let (status, _, html) = text(council.get(&app, "/console/council").await).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("href=\"/console/council\""), "the Council's link in the navigation");
        let items = values(&html, "item");
        assert_eq!(items.len(), 2, "{html}");
        assert!(html.contains("76\u{202f}500.00 EUR"), "the recommended award: {html}");
        // No meeting named: refused, nothing decided.
        let mut fields: Vec<(&str, &str)> = items.iter().map(|v| ("item", v.as_str())).collect();
        fields.push(("step", "approve"));
        let refused = council.post(&app, "/console/council/decisions", &fields).await;
        assert_eq!(refused.status(), 422);
        fields.push(("meeting_reference", "C/2026/21"));
        let done = council.post(&app, "/console/council/decisions", &fields).await;
        assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
        assert_eq!(done.headers()[LOCATION], "/console/council?status=awaiting_council&decided=2&refused=0");
        let (_, _, html) = text(council.get(&app, "/console/council").await).await;
        assert!(html.contains("council-empty"), "the queue is empty: {html}");
        let (_, awards) = json(app.get("/v1/awards").bearer_auth(&w.council).send().await.unwrap()).await;
        assert_eq!(awards["items"].as_array().unwrap().len(), 2, "{awards}");

        // The case page names the voters and the assessor, never their ids,
        // and marks the decision a correction superseded.
        let (_, decisions) = json(app.get(&format!("/v1/cases/{}/decisions", cases[0])).bearer_auth(&w.council).send().await.unwrap()).await;
        let first = decisions["items"][0]["id"].as_str().unwrap().to_owned();
        let (s, corrected) = post(&app, &w.council, &format!("/v1/decisions/{first}/corrections"),
            json!({"reason": "clerical_error", "explanation": "The region was misrecorded.", "amount": eur("70000.00")})).await;
        assert_eq!(s, 201, "{corrected}");
        let (_, _, html) = text(council.get(&app, &format!("/console/cases/{}", cases[0])).await).await;
        for (id, name) in [(w.members[0].0, "Commissioner 0"), (w.members[1].0, "Commissioner 1"), (w.assessor_id, "Assessor")] {
            assert!(html.contains(name), "{name} by name: {html}");
            assert!(!html.contains(&id.to_string()), "{name}'s account id is not shown");
        }
        assert!(html.contains("superseded by ICC-DEC-2026-000003"), "{html}");
        assert!(html.contains("Corrects decision ICC-DEC-2026-000001 · clerical error: The region was misrecorded."), "{html}");
        assert!(!html.contains("on this claim"), "a case page speaks of the case");
    }

    async fn the_committee_and_the_assembly_are_recorded_from_the_case_page(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 2).await;
        let mut recs = Vec::new();
        for case in &cases {
            recs.push(adopted(&app, &w, case).await);
        }
        let council = sign_in(&app, &w.council).await;
        // The form the case page shows now, and its decision's version.
        let step = |case: String, rec: String, fields: Vec<(&'static str, String)>| {
            let council = council.clone();
            let app = &app;
            async move {
                let (_, _, html) = text(council.get(app, &format!("/console/cases/{case}")).await).await;
                let version = values(&html, "version").pop().expect("a decision form");
                let mut all: Vec<(&str, &str)> = vec![("version", version.as_str())];
                all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
                let r = council.post(app, &format!("/console/recommendations/{rec}/decision"), &all).await;
                assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
                html
            }
        };
        let status = |rec: String| {
            let app = &app;
            let token = w.council.clone();
            async move {
                let (_, d) = json(app.get(&format!("/v1/recommendations/{rec}/decision")).bearer_auth(token).send().await.unwrap()).await;
                d["status"].as_str().unwrap().to_owned()
            }
        };

        // To the Review Committee, which varies the award; then approved.
        step(cases[0].clone(), recs[0].clone(), vec![("step", "refer_to_review_committee".into()), ("reasons", "The floor area is disputed.".into())]).await;
        assert_eq!(status(recs[0].clone()).await, "with_review_committee");
        let html = step(cases[0].clone(), recs[0].clone(), vec![("step", "review_varied".into()), ("amount", "70000.00".into()),
            ("reasons", "The floor area is 102.9 m².".into())]).await;
        assert!(html.contains("value=\"review_upheld\"") && !html.contains("value=\"approve\""), "only the Committee's outcomes while with it");
        assert_eq!(status(recs[0].clone()).await, "reviewed_by_committee");
        step(cases[0].clone(), recs[0].clone(), vec![("step", "approve".into()), ("meeting_reference", "C/2026/22".into())]).await;
        assert_eq!(status(recs[0].clone()).await, "final");
        let (_, awards) = json(app.get("/v1/awards").bearer_auth(&w.council).send().await.unwrap()).await;
        assert_eq!(awards["items"][0]["amount"], eur("70000.00"), "the varied award: {awards}");

        // Upheld by the Committee, referred on to the Assembly, whose vote
        // is recorded; then approved.
        let html = step(cases[1].clone(), recs[1].clone(), vec![("step", "refer_to_review_committee".into()), ("reasons", "A question of principle.".into())]).await;
        assert!(!html.contains("value=\"refer_to_assembly\""), "the Assembly only after the Committee");
        step(cases[1].clone(), recs[1].clone(), vec![("step", "review_upheld".into()), ("reasons", "The recommendation stands.".into())]).await;
        step(cases[1].clone(), recs[1].clone(), vec![("step", "refer_to_assembly".into()), ("reasons", "A question of principle.".into())]).await;
        assert_eq!(status(recs[1].clone()).await, "with_assembly");
        let (_, _, html) = text(council.get(&app, &format!("/console/cases/{}", cases[1])).await).await;
        let version = values(&html, "version").pop().unwrap();
        let bad = council.post(&app, &format!("/console/recommendations/{}/decision", recs[1]),
            &[("version", version.as_str()), ("step", "assembly_vote"), ("in_favour", "many"), ("against", "1")]).await;
        assert_eq!(bad.status(), 422);
        assert_eq!(status(recs[1].clone()).await, "with_assembly", "nothing recorded");
        step(cases[1].clone(), recs[1].clone(), vec![("step", "assembly_vote".into()), ("in_favour", "30".into()), ("against", "10".into()),
            ("abstentions", "2".into())]).await;
        assert_eq!(status(recs[1].clone()).await, "adopted_by_assembly");
        step(cases[1].clone(), recs[1].clone(), vec![("step", "approve".into())]).await;
        assert_eq!(status(recs[1].clone()).await, "final");
    }

    async fn a_batch_is_selected_assessed_and_voted_on_from_the_console(app: TestApp) {
        let w = world(&app, false).await;
        let cases: Vec<SyntheticCase> = (0..12)
            .map(|i| SyntheticCase {
                category: "A3.1".into(),
                region: Some("UA-32".into()),
                claimant_key: Some(format!("console-batch-{i}")),
                facts: CaseFacts {
                    claimed: vec![Money::new(Decimal::new(8_500_000, 2), Currency::EUR)],
                    quantities: [("floor_area_m2".to_owned(), Decimal::new(1125, 1))].into_iter().collect(),
                    region: Some("UA-32".into()),
                    incident_date: Some(date!(2022 - 03 - 14)),
                    submission_date: Some(date!(2025 - 06 - 02)),
                },
            })
            .collect();
        app.state.store.insert_synthetic_cases(w.claimant_id, &cases).await.unwrap();
        let assessor = sign_in(&app, &w.assessor).await;
        let (_, _, html) = text(assessor.get(&app, "/console/cases").await).await;
        assert!(html.contains("action=\"/console/batches\""), "the assessor may select a batch");
        let member = sign_in(&app, &w.members[0].1).await;
        let (_, _, html) = text(member.get(&app, "/console/cases").await).await;
        assert!(!html.contains("action=\"/console/batches\""), "a Commissioner may not");
        let refused = member.post(&app, "/console/batches", &[("category", "A3.1")]).await;
        assert_eq!(refused.status(), 403);

        let created = assessor.post(&app, "/console/batches", &[("category", "A3.1"), ("region", "UA-32"), ("max_cases", "")]).await;
        assert_eq!(created.status(), 303, "{}", created.text().await.unwrap());
        let location = created.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(location.ends_with("?done=batch_created"), "{location}");
        let page = location.split('?').next().unwrap().to_owned();
        let (_, _, html) = text(assessor.get(&app, &location).await).await;
        assert!(html.contains("The batch was created") && html.contains("data-status=\"selected\""), "{html}");
        assert!(!html.contains("http-equiv=\"refresh\""), "nothing to follow yet");
        // Started from the page: while it runs the page follows it.
        app.state.jobs.pause(true);
        let started = assessor.post(&app, &format!("{page}/assess"), &[]).await;
        assert_eq!(started.status(), 303, "{}", started.text().await.unwrap());
        let (_, _, html) = text(assessor.get(&app, &page).await).await;
        assert!(html.contains("data-status=\"assessing\"") && html.contains("http-equiv=\"refresh\""), "{html}");
        while server::jobs::run_once(&app.state.app, &app.state.jobs, "test", None).await.unwrap().is_some() {}
        let (_, _, html) = text(assessor.get(&app, &page).await).await;
        assert!(html.contains("value=\"100\""), "the job done: {html}");
        assert!(!html.contains("http-equiv=\"refresh\""), "no more reloading once done");
        let again = assessor.post(&app, &format!("{page}/assess"), &[]).await;
        assert_eq!(again.status(), 409, "assessed once");

        // Reviewed, released and recommended as a whole (through the API);
        // then each of two members votes on all of it from the batch page.
        let bid = page.rsplit('/').next().unwrap().to_owned();
        let (_, reviewer) = app.account("Reviewer", &[Role::Assessor]).await;
        let (_, batch) = json(app.get(&format!("/v1/batches/{bid}")).bearer_auth(&w.council).send().await.unwrap()).await;
        for c in batch["sample"].as_array().unwrap() {
            let (s, b) = post(&app, &reviewer, &format!("/v1/batches/{bid}/sample/{}", c.as_str().unwrap()),
                json!({"finding": "confirmed"})).await;
            assert_eq!(s, 200, "{b}");
        }
        let (_, batch) = json(app.get(&format!("/v1/batches/{bid}")).bearer_auth(&w.council).send().await.unwrap()).await;
        let (s, out) = json(app.post(&format!("/v1/batches/{bid}/release")).bearer_auth(&w.council)
            .header("if-match", format!("\"v{}\"", batch["version"])).send().await.unwrap()).await;
        assert_eq!(s, 200, "{out}");
        let (s, recs) = post(&app, &w.members[0].1, &format!("/v1/batches/{bid}/recommendations"),
            json!({"panel": w.panel, "outcome": "award"})).await;
        assert_eq!(s, 201, "{recs}");
        let count = recs.as_array().unwrap().len();
        for (i, (_, token)) in w.members[..2].iter().enumerate() {
            let member = sign_in(&app, token).await;
            let (_, _, html) = text(member.get(&app, &page).await).await;
            let listed = values(&html, "recommendation");
            assert_eq!(listed.len(), count, "every open recommendation of the batch: {html}");
            let mut fields: Vec<(&str, &str)> = listed.iter().map(|r| ("recommendation", r.as_str())).collect();
            fields.push(("choice", "in_favour"));
            let voted = member.post(&app, &format!("{page}/votes"), &fields).await;
            assert_eq!(voted.status(), 303, "{}", voted.text().await.unwrap());
            let (_, _, html) = text(member.get(&app, &format!("{page}?done=batch_voted")).await).await;
            assert!(html.contains("Your vote is recorded on each recommendation of the batch."));
            assert!(!html.contains("id=\"batch-vote\""), "nothing left for member {i} to vote on");
        }
        let (_, adopted) = json(app.get(&format!("/v1/recommendations?batch={bid}&status=adopted&limit=500"))
            .bearer_auth(&w.council).send().await.unwrap()).await;
        assert_eq!(adopted["items"].as_array().unwrap().len(), count, "{adopted}");
    }

    async fn payment_rounds_are_previewed_confirmed_and_paid_from_the_console(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 1).await;
        let rec = adopted(&app, &w, &cases[0]).await;
        let (s, issued) = crate::decisions::decide(&app, &w.council, &rec, json!({"action": "approve"})).await;
        assert_eq!(s, 200, "{issued}");
        let award = issued["award"]["id"].as_str().unwrap().to_owned();

        // Who may not: a registrar neither sees nor previews rounds.
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let registrars = sign_in(&app, &registrar).await;
        assert_eq!(registrars.get(&app, "/console/payment-rounds").await.status(), 403);
        assert_eq!(registrars.post(&app, "/console/payment-rounds", &[("available", "1")]).await.status(), 403);

        let council = sign_in(&app, &w.council).await;
        let (status, _, html) = text(council.get(&app, "/console/payment-rounds").await).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("href=\"/console/payment-rounds\""), "in the navigation");
        let refused = council.post(&app, "/console/payment-rounds", &[("available", "ten")]).await;
        assert_eq!(refused.status(), 422);
        let previewed = council.post(&app, "/console/payment-rounds", &[("available", "10 000.00"), ("priority_amount", "")]).await;
        assert_eq!(previewed.status(), 303, "{}", previewed.text().await.unwrap());
        let page = previewed.headers()[LOCATION].to_str().unwrap().to_owned();
        let (_, _, html) = text(council.get(&app, &page).await).await;
        assert!(html.contains("data-status=\"preview\"") && html.contains("10\u{202f}000.00 EUR"), "{html}");
        assert!(values(&html, "reference").is_empty(), "no payment before the round is confirmed");

        let confirmed = council.post(&app, &format!("{page}/confirm"), &[]).await;
        assert_eq!(confirmed.status(), 303);
        let (_, _, html) = text(council.get(&app, &format!("{page}?done=confirmed")).await).await;
        assert!(html.contains("data-status=\"confirmed\"") && html.contains("its awards are payable"), "{html}");
        // The bank file is offered; the claimant without bank details is
        // listed as held back, not left out silently. This instance has no
        // debtor account configured, so the file itself is refused.
        assert!(html.contains("id=\"bank-file\""), "{html}");
        assert!(html.contains("no bank details on file"), "{html}");
        let file = council.get(&app, &format!("{page}/pain001")).await;
        assert_eq!(file.status(), 409);
        assert_eq!(registrars.get(&app, &format!("{page}/pain001")).await.status(), 403);
        let version = values(&html, "version").pop().expect("a payment form");
        let pay = format!("{page}/awards/{award}/payments");
        let over = council.post(&app, &pay, &[("version", version.as_str()), ("amount", "10000.01"),
            ("paid_on", "2026-09-01"), ("reference", "R1-0001")]).await;
        assert_eq!(over.status(), 422, "beyond the allotment");
        let paid = council.post(&app, &pay, &[("version", version.as_str()), ("amount", "10000.00"),
            ("paid_on", "2026-09-01"), ("reference", "R1-0001")]).await;
        assert_eq!(paid.status(), 303, "{}", paid.text().await.unwrap());
        let stale = council.post(&app, &pay, &[("version", version.as_str()), ("amount", "1.00"),
            ("paid_on", "2026-09-01"), ("reference", "R1-0002")]).await;
        assert_eq!(stale.status(), 412, "on the version the page showed");
        let (_, a) = json(app.get(&format!("/v1/awards/{award}")).bearer_auth(&w.council).send().await.unwrap()).await;
        assert_eq!(a["status"], "partially_paid", "{a}");
        assert_eq!(a["payments"][0]["reference"], "R1-0001", "{a}");
    }
}
