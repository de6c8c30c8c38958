//! Decision letters and their public verification through HTTP: the
//! letter says what the decision says, staff and the claimant get the same
//! letter, verification confirms it without personal data, and codes that
//! do not exist and codes that cannot exist look alike.

use crate::decisions::{adopted, assessed_cases, decide, world};
use crate::support::{TestApp, json, problem};
use kernel::Role;
use serde_json::{Value, json};
use store::AuditFilter;

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let (s, body) = json(app.get(path).bearer_auth(token).send().await.unwrap()).await;
    assert_eq!(s, 200, "{path}: {body}");
    body
}

/// The letter's page as `token` gets it from `path`.
async fn page(app: &TestApp, token: &str, path: &str) -> String {
    let r = app
        .get(path)
        .bearer_auth(token)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    r.text().await.unwrap()
}

/// The text of the element with `id` on a page.
fn by_id(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no #{id}"))
        + id.len()
        + 6;
    html[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// An approved award on a fresh case: the decision, and the claim's id.
async fn approved(app: &TestApp, w: &crate::decisions::World, case: &str) -> (Value, String) {
    let rec = adopted(app, w, case).await;
    let (s, issued) = decide(
        app,
        &w.council,
        &rec,
        json!({"action": "approve", "meeting_reference": "C/2026/9"}),
    )
    .await;
    assert_eq!(s, 200, "{issued}");
    let claim = get(app, &w.assessor, &format!("/v1/cases/{case}")).await["claim_id"]
        .as_str()
        .unwrap()
        .to_owned();
    (issued["decision"].clone(), claim)
}

async fn reads_of(app: &TestApp, claim: &str) -> usize {
    let filter = AuditFilter {
        action: Some("claim.read".into()),
        target_id: Some(claim.to_owned()),
        ..AuditFilter::default()
    };
    app.state
        .store
        .audit_entries(&filter, kernel::PageRequest::new(Some(500), None))
        .await
        .unwrap()
        .items
        .iter()
        .filter(|e| e.summary["read"] == "decision_letter")
        .count()
}

both! {
    async fn a_final_decision_has_one_letter_that_the_public_can_verify(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 2).await;
        let (decision, claim) = approved(&app, &w, &cases[0]).await;
        let id = decision["id"].as_str().unwrap();
        let number = decision["number"].as_str().unwrap();
        assert_eq!(number, "ICC-DEC-2026-000001");

        // Staff's letter, as a page: what the decision says.
        let letter = page(&app, &w.council, &format!("/v1/decisions/{id}/letter")).await;
        for text in [
            number,
            "2026-09-01",
            "76500.00 EUR",
            "C/2026/9",
            "Panel 1 (housing)",
            "Commissioner 0: за / in favour",
            "Commissioner 1: за / in favour",
            "Рада затвердила / Approved by the Council",
            "Оцінка / Assessment",
            "A3.1 v1",
            "присудження / award",
        ] {
            assert!(letter.contains(text), "{text} missing from the letter");
        }
        for (member, _) in &w.members {
            assert!(!letter.contains(&member.to_string()), "a voter named by id");
        }
        let code = by_id(&letter, "verification-code");
        let hash = by_id(&letter, "content-hash");
        assert_eq!(code.len(), 30, "{code}");
        assert_eq!(hash.len(), 64, "{hash}");

        // The PDF, by format or by Accept.
        for request in [
            app.get(&format!("/v1/decisions/{id}/letter?format=pdf")),
            app.get(&format!("/v1/decisions/{id}/letter")).header("accept", "application/pdf"),
        ] {
            let r = request.bearer_auth(&w.council).send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["content-type"], "application/pdf");
            assert_eq!(
                r.headers()["content-disposition"],
                "attachment; filename=\"ICC-DEC-2026-000001.pdf\""
            );
            let bytes = r.bytes().await.unwrap();
            assert!(bytes.starts_with(b"%PDF-"));
            assert!(bytes.windows(10).any(|w| w == b"/ToUnicode"), "extractable text");
        }
        problem(
            app.get(&format!("/v1/decisions/{id}/letter?format=docx"))
                .bearer_auth(&w.council).send().await.unwrap(),
            422,
            "validation",
        )
        .await;

        // The claimant gets the same letter for their claim; another
        // claimant is told the claim does not exist.
        let mine = page(&app, &w.claimant, &format!("/v1/claims/{claim}/decision-letter")).await;
        assert_eq!(by_id(&mine, "verification-code"), code);
        assert_eq!(by_id(&mine, "content-hash"), hash);
        let (_, stranger) = app.account("Stranger", &[Role::Claimant]).await;
        problem(
            app.get(&format!("/v1/claims/{claim}/decision-letter"))
                .bearer_auth(&stranger).send().await.unwrap(),
            404,
            "not-found",
        )
        .await;
        // Every download is on record as a read of the claim.
        assert_eq!(reads_of(&app, &claim).await, 4);

        // Verification: public, the decision's facts, no one's name.
        let (status, v) = json(app.get(&format!("/v1/verify/{code}")).send().await.unwrap()).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["number"], number);
        assert_eq!(v["decided_on"], "2026-09-01");
        assert_eq!(v["outcome"], "award");
        assert_eq!(v["amount"], json!({"amount": "76500.00", "currency": "EUR"}));
        assert_eq!(v["content_hash"], hash);
        assert_eq!(v["content_hash_matches"], true);
        assert_eq!(v["superseded_by"], Value::Null);
        let text = v.to_string();
        for private in ["Claimant", "Commissioner", "Panel 1", "A3.1", &claim, &cases[0], "RD-"] {
            assert!(!text.contains(private), "{private} in {text}");
        }
        let typed = code.to_lowercase().replace('-', "");
        let (status, again) = json(app.get(&format!("/v1/verify/{typed}")).send().await.unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(again, v);
        // The page says the same, also without names.
        let response = app.get(&format!("/verify/{code}")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let verify_page = response.text().await.unwrap();
        assert!(verify_page.contains(number) && verify_page.contains(&hash));
        assert!(!verify_page.contains("Commissioner") && !verify_page.contains("Claimant"));

        // A code never issued and a code that cannot be one look alike.
        let unknown = "0".repeat(26);
        let never = problem(app.get(&format!("/v1/verify/{unknown}")).send().await.unwrap(), 404, "not-found").await;
        let malformed = problem(app.get("/v1/verify/not-a-code").send().await.unwrap(), 404, "not-found").await;
        let strip = |mut body: Value| {
            body.as_object_mut().unwrap().remove("instance");
            body
        };
        assert_eq!(strip(never), strip(malformed));
        let mut pages = Vec::new();
        for path in [format!("/verify/{unknown}"), "/verify/not-a-code".to_owned()] {
            let response = app.get(&path).send().await.unwrap();
            assert_eq!(response.status(), 404, "{path}");
            let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
            let text = response.text().await.unwrap();
            pages.push(text.replace(&request_id, "").replace(&path, ""));
        }
        assert_eq!(pages[0], pages[1]);

        // A decision not yet final has no letter.
        let rec = adopted(&app, &w, &cases[1]).await;
        let open = get(&app, &w.council, &format!("/v1/recommendations/{rec}/decision")).await;
        problem(
            app.get(&format!("/v1/decisions/{}/letter", open["id"].as_str().unwrap()))
                .bearer_auth(&w.council).send().await.unwrap(),
            409,
            "conflict",
        )
        .await;
        let claim2 = get(&app, &w.assessor, &format!("/v1/cases/{}", cases[1])).await["claim_id"]
            .as_str().unwrap().to_owned();
        problem(
            app.get(&format!("/v1/claims/{claim2}/decision-letter"))
                .bearer_auth(&w.claimant).send().await.unwrap(),
            404,
            "not-found",
        )
        .await;
    }

    async fn two_first_downloads_at_once_get_one_code(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 1).await;
        let (decision, claim) = approved(&app, &w, &cases[0]).await;
        let id = decision["id"].as_str().unwrap();
        let staff = format!("/v1/decisions/{id}/letter");
        let mine = format!("/v1/claims/{claim}/decision-letter");
        let (a, b) = tokio::join!(page(&app, &w.council, &staff), page(&app, &w.claimant, &mine));
        assert_eq!(by_id(&a, "verification-code"), by_id(&b, "verification-code"));
        let issued = app
            .state
            .store
            .audit_entries(
                &AuditFilter {
                    action: Some("decision.letter_issued".into()),
                    ..AuditFilter::default()
                },
                kernel::PageRequest::new(Some(50), None),
            )
            .await
            .unwrap();
        assert_eq!(issued.items.len(), 1, "issued once");
    }

    async fn a_correction_letter_names_what_it_supersedes(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 1).await;
        let (decision, claim) = approved(&app, &w, &cases[0]).await;
        let first = decision["id"].as_str().unwrap().to_owned();
        let original = page(&app, &w.council, &format!("/v1/decisions/{first}/letter")).await;
        let original_code = by_id(&original, "verification-code");
        let (s, corrected) = json(
            app.post(&format!("/v1/decisions/{first}/corrections"))
                .bearer_auth(&w.council)
                .json(&json!({"reason": "computational_error",
                    "explanation": "The floor area is 102.9 m², not 112.5 m².",
                    "amount": {"amount": "70000.00", "currency": "EUR"}}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 201, "{corrected}");
        // The claimant's letter is now the correction's.
        let letter = page(&app, &w.claimant, &format!("/v1/claims/{claim}/decision-letter")).await;
        for text in [
            "ICC-DEC-2026-000002",
            "Замінює рішення / Supersedes decision",
            "ICC-DEC-2026-000001",
            "помилка в розрахунку / computational error",
            "The floor area is 102.9 m², not 112.5 m².",
            "70000.00 EUR",
        ] {
            assert!(letter.contains(text), "{text} missing from the correction's letter");
        }
        // The original letter stays as issued, marked superseded, and its
        // verification says by which decision.
        let again = page(&app, &w.council, &format!("/v1/decisions/{first}/letter")).await;
        assert_eq!(by_id(&again, "verification-code"), original_code);
        assert!(again.contains("This decision was superseded by decision ICC-DEC-2026-000002"));
        let (s, v) = json(app.get(&format!("/v1/verify/{original_code}")).send().await.unwrap()).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["number"], "ICC-DEC-2026-000001");
        assert_eq!(v["superseded_by"], "ICC-DEC-2026-000002");
        assert_eq!(v["amount"]["amount"], "76500.00");
        let code = by_id(&letter, "verification-code");
        let (_, v) = json(app.get(&format!("/v1/verify/{code}")).send().await.unwrap()).await;
        assert_eq!(v["supersedes"], "ICC-DEC-2026-000001");
        assert_eq!(v["amount"]["amount"], "70000.00");
    }
}
