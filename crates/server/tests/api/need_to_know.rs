//! Need-to-know for sensitive claims, over every route.
//!
//! A claimant files a house claim (A3.1) and a sexual-violence claim (A2.4)
//! with the same tax number, so the Register flags them as probable
//! duplicates. Cleared staff take the A2.4 claim through the whole process:
//! evidence, recording, a case, an assessment, a batch with its job, a
//! panel's recommendation, the Council's decision, an award and a payment
//! round. Then staff of every role *without* the sensitive clearance call
//! every route that names one of those records, and must learn nothing: a
//! single record is "not found", lists and exports leave it out, the
//! duplicate flag on the house claim says only that someone cleared must
//! resolve it, and the audit log keeps the entries' places but not what
//! they name.

use crate::decisions::{decide, put_in_force};
use crate::support::{TestApp, json};
use crate::web::sign_in;
use kernel::id::AccountId;
use kernel::{Currency, Money, Permission, Role};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use server::authz::ROUTES;
use store::cases::{CaseFacts, SyntheticCase};

const TAX: &str = "3184710691";

/// The records that lead to the sensitive claim, by the kind of id a route
/// takes.
struct Sensitive {
    claim: String,
    evidence: String,
    flag: String,
    case: String,
    batch: String,
    batch_case: String,
    job: String,
    recommendation: String,
    decision: String,
    award: String,
    round: String,
}

impl Sensitive {
    fn all(&self) -> Vec<&str> {
        vec![
            &self.claim,
            &self.evidence,
            &self.flag,
            &self.case,
            &self.batch,
            &self.batch_case,
            &self.job,
            &self.recommendation,
            &self.decision,
            &self.award,
            &self.round,
        ]
    }

    /// The route with its ids filled in, or `None` for routes that name no
    /// claim (accounts, webhooks, imports, the catalogue, the convention).
    fn fill(&self, path: &str) -> Option<String> {
        let exempt = [
            "/v1/accounts/",
            "/v1/webhooks/",
            "/v1/imports/",
            "/v1/categories/",
            "/v1/convention/",
            // A letter's verification code names no record; the public
            // page shows nothing of the claim.
            "/v1/verify/",
        ];
        if exempt.iter().any(|p| path.starts_with(p)) {
            return None;
        }
        let first = if path.starts_with("/v1/claims/") {
            &self.claim
        } else if path.starts_with("/v1/duplicate-flags/") {
            &self.flag
        } else if path.starts_with("/v1/cases/") {
            &self.case
        } else if path.starts_with("/v1/batches/") {
            &self.batch
        } else if path.starts_with("/v1/jobs/") {
            &self.job
        } else if path.starts_with("/v1/recommendations/") {
            &self.recommendation
        } else if path.starts_with("/v1/decisions/") {
            &self.decision
        } else if path.starts_with("/v1/awards/") {
            &self.award
        } else if path.starts_with("/v1/payment-rounds/") {
            &self.round
        } else {
            panic!("{path}: say which record this route names (need_to_know.rs)");
        };
        Some(
            path.replace("{id}", first)
                .replace("{evidence_id}", &self.evidence)
                .replace("{case_id}", &self.batch_case),
        )
    }
}

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .request(method, path)
        .bearer_auth(token)
        .header("if-match", "\"v1\"");
    if let Some(body) = body {
        request = request.json(&body);
    }
    json(request.send().await.unwrap()).await
}

/// A body each changing route accepts, so that the answer is about the
/// record, not about a malformed request.
fn body_for(method: &Method, path: &str, panel: &str, assessor: AccountId) -> Option<Value> {
    let eur = |a: &str| json!({"amount": a, "currency": "EUR"});
    let body = match (method.as_str(), path) {
        ("PATCH", "/v1/claims/{id}") | ("POST", "/v1/cases/{id}/assessments") => json!({}),
        ("POST", "/v1/claims/{id}/responses" | "/v1/claims/{id}/information-requests") => {
            json!({"message": "x"})
        }
        ("POST", "/v1/claims/{id}/recommendation" | "/v1/claims/{id}/decision") => {
            json!({"outcome": "recorded", "reasons": "x"})
        }
        ("POST", "/v1/duplicate-flags/{id}/resolve") => {
            json!({"outcome": "not_duplicate", "reason": "x"})
        }
        ("POST", "/v1/cases/{id}/assignment") => json!({"assessor": assessor}),
        ("POST", "/v1/cases/{id}/recommendations" | "/v1/batches/{id}/recommendations") => {
            json!({"panel": panel, "outcome": "award"})
        }
        ("POST", "/v1/batches/{id}/sample/{case_id}") => json!({"finding": "confirmed"}),
        ("POST", "/v1/batches/{id}/duplicates/{case_id}/clear") => json!({"reason": "x"}),
        ("POST", "/v1/recommendations/{id}/votes") => json!({"choice": "in_favour"}),
        ("POST", "/v1/recommendations/{id}/decision") => json!({"action": "approve"}),
        ("POST", "/v1/decisions/{id}/corrections") => {
            json!({"reason": "clerical_error", "explanation": "x", "amount": eur("1.00")})
        }
        ("POST", "/v1/awards/{id}/payments") => {
            json!({"amount": eur("1.00"), "paid_on": "2026-09-01", "reference": "x"})
        }
        ("PUT", "/v1/awards/{id}/payees") => json!({"payee": "claimant"}),
        _ => return None,
    };
    Some(body)
}

/// One uncleared account per staff role.
async fn uncleared_staff(app: &TestApp) -> Vec<(Role, String)> {
    let mut staff = Vec::new();
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Claimant) {
        let (_, token) = app
            .account_with(store::NewAccount {
                display_name: format!("Uncleared {role}"),
                roles: vec![role],
                clearances: vec![],
                participant: (role == Role::State).then(|| "NL".to_owned()),
                external_subject: None,
            })
            .await;
        staff.push((role, token));
    }
    staff
}

struct World {
    sensitive: Sensitive,
    house: String,
    panel: String,
    assessor: AccountId,
    cleared_registrar: String,
    cleared_auditor: String,
}

async fn ok(app: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> Value {
    let (s, body) = call(app, token, method, path, body).await;
    assert!((200..300).contains(&s), "{path}: {s} {body}");
    body
}

/// Both claims, and the sensitive one taken all the way by cleared staff.
async fn world(app: &TestApp) -> World {
    put_in_force(app).await;
    let (_, registrar) = app
        .cleared_account("Cleared registrar", &[Role::Registrar])
        .await;
    let (_, board) = app.cleared_account("Cleared board", &[Role::Board]).await;
    let (_, council) = app
        .cleared_account("Cleared council", &[Role::Council])
        .await;
    let (_, auditor) = app
        .cleared_account("Cleared auditor", &[Role::Auditor])
        .await;
    let (assessor_id, assessor) = app
        .cleared_account("Cleared assessor", &[Role::Assessor])
        .await;
    let mut members = Vec::new();
    for i in 0..3 {
        members.push(
            app.cleared_account(&format!("Cleared commissioner {i}"), &[Role::Commissioner])
                .await,
        );
    }
    let (claimant_id, claimant) = app.account("Claimant", &[Role::Claimant]).await;

    // The sensitive claim first, so that the house claim's flag names it.
    let mut violence = crate::claims::house(TAX, "3210900000:01:001:0001");
    violence["category"] = json!("A2.4");
    violence["category_fields"] = json!({});
    violence["narrative"] = json!("What happened in the basement.");
    let claim = ok(app, &claimant, Method::POST, "/v1/claims", Some(violence)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, evidence) = json(
        crate::evidence::upload(
            app,
            &claimant,
            &claim,
            "statement.pdf",
            "application/pdf",
            crate::evidence::PDF,
        )
        .await,
    )
    .await;
    assert_eq!(s, 201, "{evidence}");
    ok(
        app,
        &claimant,
        Method::POST,
        &format!("/v1/claims/{claim}/submit"),
        None,
    )
    .await;
    let house = ok(
        app,
        &claimant,
        Method::POST,
        "/v1/claims",
        Some(crate::claims::house(TAX, "3210900000:01:001:0002")),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        app,
        &claimant,
        Method::POST,
        &format!("/v1/claims/{house}/submit"),
        None,
    )
    .await;
    let flags = ok(
        app,
        &registrar,
        Method::GET,
        &format!("/v1/claims/{house}/duplicates"),
        None,
    )
    .await;
    let flags = flags["items"].clone();
    let flag = flags
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["other_claim"] == claim.as_str() || f["claim"] == claim.as_str())
        .unwrap_or_else(|| panic!("the two claims are flagged: {flags}"));
    assert_eq!(flag["reason"], "same_claimant_other_category");
    let flag = flag["id"].as_str().unwrap().to_owned();

    // Recorded by cleared staff: a case.
    ok(
        app,
        &registrar,
        Method::POST,
        &format!("/v1/claims/{claim}/review"),
        None,
    )
    .await;
    let version = ok(
        app,
        &board,
        Method::GET,
        &format!("/v1/claims/{claim}"),
        None,
    )
    .await["version"]
        .clone();
    let (s, body) = json(
        app.post(&format!("/v1/claims/{claim}/decision"))
            .bearer_auth(&board)
            .header("if-match", format!("\"v{version}\""))
            .json(&json!({"outcome": "recorded", "reasons": "Meets the criteria."}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let case = app
        .state
        .store
        .case_for_claim(register::ClaimId::from_uuid(claim.parse().unwrap()))
        .await
        .unwrap()
        .id
        .to_string();

    // Assessed at a fixed sum, recommended by a panel, decided by the Council.
    ok(
        app,
        &council,
        Method::POST,
        "/v1/valuation-rules",
        Some(json!({"category": "A2.4",
        "kind": "fixed", "per_claimant": {"amount": "10000", "currency": "EUR"}})),
    )
    .await;
    let c = ok(
        app,
        &assessor,
        Method::GET,
        &format!("/v1/cases/{case}"),
        None,
    )
    .await;
    let (s, c) = json(
        app.post(&format!("/v1/cases/{case}/assignment"))
            .bearer_auth(&assessor)
            .header("if-match", format!("\"v{}\"", c["version"]))
            .json(&json!({"assessor": assessor_id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    let (s, a) = json(
        app.post(&format!("/v1/cases/{case}/assessments"))
            .bearer_auth(&assessor)
            .header("if-match", format!("\"v{}\"", c["version"]))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    let ids: Vec<AccountId> = members.iter().map(|m| m.0).collect();
    let panel = ok(
        app,
        &council,
        Method::POST,
        "/v1/panels",
        Some(json!({"name": "Panel A2", "members": ids, "categories": ["A2.4"]})),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let recommendation = ok(
        app,
        &members[0].1,
        Method::POST,
        &format!("/v1/cases/{case}/recommendations"),
        Some(json!({"panel": panel, "outcome": "award"})),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for m in &members[..2] {
        ok(
            app,
            &m.1,
            Method::POST,
            &format!("/v1/recommendations/{recommendation}/votes"),
            Some(json!({"choice": "in_favour"})),
        )
        .await;
    }
    let (s, issued) = decide(app, &council, &recommendation, json!({"action": "approve"})).await;
    assert_eq!(s, 200, "{issued}");
    let decision = issued["decision"]["id"].as_str().unwrap().to_owned();
    let award = issued["award"]["id"].as_str().unwrap().to_owned();
    let round = ok(
        app,
        &council,
        Method::POST,
        "/v1/payment-rounds",
        Some(json!({"available": {"amount": "1000000.00", "currency": "EUR"}})),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A batch of another A2.4 case, assessed by a job.
    let batch_case = app
        .state
        .store
        .insert_synthetic_cases(
            claimant_id,
            &[SyntheticCase {
                category: "A2.4".into(),
                region: Some("UA-32".into()),
                claimant_key: Some("rnokpp:2245134075".into()),
                facts: CaseFacts {
                    claimed: vec![Money::new(Decimal::new(1_000_000, 2), Currency::EUR)],
                    quantities: std::collections::BTreeMap::default(),
                    region: Some("UA-32".into()),
                    incident_date: Some(time::macros::date!(2022 - 03 - 14)),
                    submission_date: Some(time::macros::date!(2025 - 06 - 02)),
                },
            }],
        )
        .await
        .unwrap()
        .remove(0)
        .to_string();
    let batch = ok(
        app,
        &assessor,
        Method::POST,
        "/v1/batches",
        Some(json!({"category": "A2.4"})),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let job = ok(
        app,
        &assessor,
        Method::POST,
        &format!("/v1/batches/{batch}/assess"),
        None,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    World {
        sensitive: Sensitive {
            claim,
            evidence: evidence["id"].as_str().unwrap().to_owned(),
            flag,
            case,
            batch,
            batch_case,
            job,
            recommendation,
            decision,
            award,
            round,
        },
        house,
        panel,
        assessor: assessor_id,
        cleared_registrar: registrar,
        cleared_auditor: auditor,
    }
}

fn mentions_none(text: &str, ids: &[&str], what: &str) {
    for id in ids {
        if let Some(at) = text.find(id) {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(400)
                .map_or(0, |(i, _)| i);
            let to = text[at..]
                .char_indices()
                .nth(200)
                .map_or(text.len(), |(i, _)| at + i);
            panic!("{what} names {id}: ...{}...", &text[from..to]);
        }
    }
}

both! {
    async fn sensitive_claims_are_unknown_on_every_route_to_staff_without_the_clearance(app: TestApp) {
        let w = world(&app).await;
        let s = &w.sensitive;
        let staff = uncleared_staff(&app).await;

        // Every route that takes the id of a record leading to the claim.
        let mut checked = 0;
        for (method, path, action) in ROUTES {
            if !path.contains('{') {
                continue;
            }
            let Some(concrete) = s.fill(path) else { continue };
            let method = Method::from_bytes(method.as_str().as_bytes()).unwrap();
            for (role, token) in &staff {
                if kernel::permission(*role, *action) == Permission::Deny {
                    continue;
                }
                let (status, body) = if path.ends_with("/evidence") && method == Method::POST {
                    json(crate::evidence::upload(&app, token, &s.claim, "x.pdf", "application/pdf", crate::evidence::PDF).await).await
                } else {
                    let body = body_for(&method, path, &w.panel, w.assessor);
                    call(&app, token, method.clone(), &concrete, body).await
                };
                assert_eq!(status, 404, "uncleared {role}: {method} {concrete} ({path}): {body}");
                checked += 1;
            }
        }
        assert!(checked > 60, "routes checked: {checked}");

        // Bulk routes that take ids in their body refuse each such item.
        for (role, token) in &staff {
            if kernel::permission(*role, kernel::Action::AssignCases) != Permission::Deny {
                let (status, results) = call(&app, token, Method::POST, "/v1/cases/assignments",
                    Some(json!({"assessor": w.assessor, "cases": [s.case]}))).await;
                assert_eq!((status, results[0]["status"].as_u64()), (200, Some(404)), "{role}: {results}");
            }
            if kernel::permission(*role, kernel::Action::DecideRecommendation) != Permission::Deny {
                let (status, results) = call(&app, token, Method::POST, "/v1/recommendations/decisions",
                    Some(json!({"meeting_reference": "C/1", "items": [{"recommendation": s.recommendation, "if_match": "\"v1\"", "action": "approve"}]}))).await;
                assert_eq!((status, results[0]["status"].as_u64()), (200, Some(404)), "{role}: {results}");
            }
            if kernel::permission(*role, kernel::Action::DecideClaim) != Permission::Deny {
                let (status, results) = call(&app, token, Method::POST, "/v1/claims/decisions",
                    Some(json!({"meeting_reference": "B/1", "items": [{"claim_id": s.claim, "if_match": "\"v1\"", "outcome": "recorded", "reasons": "x"}]}))).await;
                assert_eq!(status, 200, "{role}: {results}");
                assert_eq!(results[0]["status"].as_u64(), Some(404), "{role}: {results}");
            }
        }

        // Lists, exports, reports and the audit log leave the records out.
        let ids = s.all();
        let reads = [
            "/v1/claims?limit=200".to_owned(),
            "/v1/cases?limit=200".to_owned(),
            "/v1/awards".to_owned(),
            "/v1/panels".to_owned(),
            "/v1/decisions/public".to_owned(),
            "/v1/decisions?limit=500".to_owned(),
            "/v1/recommendations?limit=500".to_owned(),
            "/v1/batches?limit=500".to_owned(),
            "/v1/jobs?limit=500".to_owned(),
            "/v1/payment-rounds?limit=500".to_owned(),
            "/v1/reports/claims".to_owned(),
            "/v1/reports/processing".to_owned(),
            "/v1/reports/awards".to_owned(),
            "/v1/exports/claims".to_owned(),
            "/v1/exports/awards".to_owned(),
            "/v1/audit?limit=1000".to_owned(),
            format!("/v1/audit?target_type=claim&target_id={}", s.claim),
            format!("/v1/claims/{}", w.house),
            format!("/v1/claims/{}/duplicates", w.house),
            format!("/v1/claims/{}/history", w.house),
        ];
        for path in &reads {
            let route = path.split('?').next().unwrap().replace(&w.house, "{id}");
            let action = ROUTES.iter().find(|(m, p, _)| *m == Method::GET && *p == route)
                .map_or_else(|| panic!("{route} is routed"), |r| r.2);
            for (role, token) in &staff {
                if kernel::permission(*role, action) == Permission::Deny {
                    continue;
                }
                let response = app.get(path).bearer_auth(token).send().await.unwrap();
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                assert_eq!(status, 200, "uncleared {role}: {path}: {text}");
                mentions_none(&text, &ids, &format!("uncleared {role}: {path}"));
                if path.ends_with("/duplicates") {
                    let flags: Value = serde_json::from_str(&text).unwrap();
                    let flags = flags["items"].clone();
                    assert_eq!(flags.as_array().unwrap().len(), 1, "{text}");
                    assert_eq!(flags[0]["restricted"], true, "{text}");
                    assert!(flags[0].get("reason").is_none() && flags[0].get("matched").is_none(), "{text}");
                }
            }
        }

        // The pages too.
        let registrar = staff.iter().find(|(r, _)| *r == Role::Registrar).unwrap();
        let browser = sign_in(&app, &registrar.1).await;
        let page = browser.get(&app, &format!("/console/claims/{}", w.house)).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        mentions_none(&html, &ids, "the house claim's page");
        assert!(html.contains("someone with the sensitive clearance must resolve"), "{html}");
        for path in [format!("/console/claims/{}", s.claim)] {
            assert_eq!(browser.get(&app, &path).await.status(), 404, "{path}");
        }
        let council = staff.iter().find(|(r, _)| *r == Role::Council).unwrap();
        let browser = sign_in(&app, &council.1).await;
        for path in [format!("/console/cases/{}", s.case), format!("/console/batches/{}", s.batch)] {
            assert_eq!(browser.get(&app, &path).await.status(), 404, "{path}");
        }
        let html = browser.get(&app, "/console/cases").await.text().await.unwrap();
        mentions_none(&html, &ids, "the case queue");

        // Cleared staff see all of it: the checks above can fail.
        let (_, flags) = call(&app, &w.cleared_registrar, Method::GET, &format!("/v1/claims/{}/duplicates", w.house), None).await;
        let flags = flags["items"].clone();
        assert!(flags.to_string().contains(&s.claim), "{flags}");
        let (_, audit) = call(&app, &w.cleared_auditor, Method::GET, "/v1/audit?limit=1000", None).await;
        for id in [&s.claim, &s.case, &s.decision, &s.award] {
            assert!(audit.to_string().contains(id.as_str()), "the cleared auditor reads {id}");
        }
        // The uncleared auditor's log has the same entries, some redacted.
        let auditor = staff.iter().find(|(r, _)| *r == Role::Auditor).unwrap();
        let (_, redacted) = call(&app, &auditor.1, Method::GET, "/v1/audit?limit=1000", None).await;
        assert_eq!(redacted["items"].as_array().unwrap().len(), audit["items"].as_array().unwrap().len());
        assert!(redacted["items"].as_array().unwrap().iter().any(|e| e["summary"]["restricted"] == true));
    }

    async fn only_cleared_staff_resolve_a_flag_on_a_sensitive_claim(app: TestApp) {
        let w = world(&app).await;
        let (_, plain) = app.account("Uncleared registrar", &[Role::Registrar]).await;
        let path = format!("/v1/duplicate-flags/{}/resolve", w.sensitive.flag);
        let body = json!({"outcome": "not_duplicate", "reason": "Different harm."});
        let before = app.state.store.audit_entries(&store::AuditFilter {
            action: Some("duplicate_flag.resolved".into()), ..store::AuditFilter::default()
        }, kernel::PageRequest::new(Some(10), None)).await.unwrap().items.len();
        let (s, _) = call(&app, &plain, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(s, 404);
        let after = app.state.store.audit_entries(&store::AuditFilter {
            action: Some("duplicate_flag.resolved".into()), ..store::AuditFilter::default()
        }, kernel::PageRequest::new(Some(10), None)).await.unwrap().items.len();
        assert_eq!(before, after, "nothing resolved, nothing on record");
        let (s, resolved) = call(&app, &w.cleared_registrar, Method::POST, &path, Some(body)).await;
        assert_eq!((s, resolved["outcome"].as_str()), (200, Some("not_duplicate")), "{resolved}");
        // Once resolved, the uncleared registrar still sees only that it was.
        let (_, flags) = call(&app, &plain, Method::GET, &format!("/v1/claims/{}/duplicates", w.house), None).await;
        let flags = flags["items"].clone();
        assert_eq!(flags[0], json!({"restricted": true, "resolved": true,
            "detail": "A possible duplicate that someone with the sensitive clearance must resolve."}));
    }
}
