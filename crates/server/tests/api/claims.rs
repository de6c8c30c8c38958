//! The Register through HTTP: filing, pre-screen, review, Board decisions,
//! duplicates, sensitive claims, and who may see what.

use crate::support::{TestApp, json, problem};
use kernel::access::Clearance;
use kernel::{Currency, Money, Role};
use register::{
    ClaimDraft, Claimant, Contact, CountryCode, Incident, Location, Loss, NaturalPerson,
    RegionCode, Rnokpp,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use store::NewAccount;
use time::macros::date;

/// Valid RNOKPP numbers (check digit holds).
const TAX_NUMBERS: [&str; 2] = ["3184710691", "2245134075"];

fn person(tax: &str) -> NaturalPerson {
    NaturalPerson {
        given_name: "Олена".into(),
        family_name: "Коваленко".into(),
        patronymic: Some("Петрівна".into()),
        date_of_birth: Some(date!(1980 - 05 - 17)),
        tax_number: Some(Rnokpp::parse(tax).unwrap()),
        nationalities: vec![CountryCode::ukraine()],
        contact: Contact {
            email: Some("olena@example.ua".into()),
            phone: None,
            address: None,
        },
    }
}

/// A complete, eligible claim for a destroyed house (A3.1).
pub(crate) fn house(tax: &str, cadastral: &str) -> Value {
    let draft = ClaimDraft {
        claimant: Some(Claimant::NaturalPerson(person(tax))),
        representation: None,
        category: Some(register::CategoryCode::parse("A3.1").unwrap()),
        incident: Some(Incident::On {
            date: date!(2022 - 03 - 14),
        }),
        location: Location {
            region: Some(RegionCode::parse("UA-32").unwrap()),
            settlement: Some("Ірпінь".into()),
            address: Some("вул. Університетська 1".into()),
            cadastral_number: Some(cadastral.parse().unwrap()),
            occupied_territory: true,
            country: None,
        },
        narrative: "The house was hit by artillery and burned down.".into(),
        losses: vec![Loss {
            description: "House".into(),
            amount: Money::new(Decimal::new(8_500_000, 2), Currency::EUR),
            valuation_basis: Some("valuation report".into()),
        }],
        external_references: vec![],
        language: None,
        category_fields: [
            ("property_type", json!("house")),
            ("floor_area_m2", json!("112.5")),
            (
                "ownership_document",
                json!("Certificate of ownership 45/2010"),
            ),
            ("damage_extent", json!("destroyed")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    };
    serde_json::to_value(draft).unwrap()
}

const CADASTRAL: [&str; 3] = [
    "3210900000:01:001:0001",
    "3210900000:01:001:0002",
    "3210900000:01:001:0003",
];

async fn file(app: &TestApp, token: &str, claim: &Value) -> Value {
    let (status, body) = json(
        app.post("/v1/claims")
            .bearer_auth(token)
            .json(claim)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn submit(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    json(
        app.post(&format!("/v1/claims/{id}/submit"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn etag(v: &Value) -> String {
    format!("\"v{}\"", v["version"])
}

both! {
    async fn a_claim_goes_from_draft_to_recorded(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, board) = app.account("Board", &[Role::Board]).await;

        let draft = file(&app, &claimant, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        assert_eq!(draft["status"], "draft");
        assert!(draft["reference"].is_null());
        assert_eq!(draft["totals"], json!([{"amount": "85000.00", "currency": "EUR"}]));
        let id = draft["id"].as_str().unwrap().to_owned();

        let (status, edited) = json(
            app.request(reqwest::Method::PATCH, &format!("/v1/claims/{id}"))
                .bearer_auth(&claimant)
                .header("if-match", etag(&draft))
                .json(&json!({"narrative": "Artillery fire destroyed the house on 14 March."}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{edited}");
        assert_eq!(edited["claim"]["narrative"], "Artillery fire destroyed the house on 14 March.");
        assert_eq!(edited["claim"]["location"]["settlement"], "Ірпінь", "the rest is kept");

        let (status, submitted) = submit(&app, &claimant, &id).await;
        assert_eq!(status, 200, "{submitted}");
        assert_eq!(submitted["status"], "submitted");
        let year = time::OffsetDateTime::now_utc().year();
        assert_eq!(submitted["reference"], format!("RD-{year}-0000001"));

        let post = |path: String, token: &str, body: Value| {
            app.post(&path).bearer_auth(token.to_owned()).json(&body)
        };
        let (s, _) = json(post(format!("/v1/claims/{id}/review"), &registrar, json!({})).send().await.unwrap()).await;
        assert_eq!(s, 200);
        let (s, asked) = json(
            post(format!("/v1/claims/{id}/information-requests"), &registrar, json!({"message": "Please send the ownership certificate."}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((s, asked["status"].as_str()), (200, Some("information_requested")));
        let (_, messages) = json(app.get(&format!("/v1/claims/{id}/messages")).bearer_auth(&claimant).send().await.unwrap()).await;
        let messages = messages["items"].clone();
        assert_eq!(messages[0]["kind"], "request");
        assert_eq!(messages[0]["text"], "Please send the ownership certificate.");
        let (s, answered) = json(
            post(format!("/v1/claims/{id}/responses"), &claimant, json!({"message": "Uploaded as evidence."})).send().await.unwrap(),
        )
        .await;
        assert_eq!((s, answered["status"].as_str()), (200, Some("under_review")));
        let (s, recommended) = json(
            post(format!("/v1/claims/{id}/recommendation"), &registrar, json!({"outcome": "recorded", "reasons": "Eligible A3.1 claim."}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200, "{recommended}");
        assert_eq!(recommended["recommendation"]["outcome"], "recorded");

        let decide = |tag: Option<String>| {
            let mut r = post(format!("/v1/claims/{id}/decision"), &board, json!({"outcome": "recorded", "reasons": "Meets the criteria."}));
            if let Some(t) = tag {
                r = r.header("if-match", t);
            }
            r
        };
        problem(decide(None).send().await.unwrap(), 428, "precondition-required").await;
        problem(decide(Some("\"v1\"".into())).send().await.unwrap(), 412, "precondition-failed").await;
        let (s, recorded) = json(decide(Some(etag(&recommended))).send().await.unwrap()).await;
        assert_eq!(s, 200, "{recorded}");
        assert_eq!(recorded["status"], "recorded");
        assert!(recorded["decided_at"].is_string());
        // Only one decision per claim.
        let again = problem(decide(Some(etag(&recorded))).send().await.unwrap(), 409, "conflict").await;
        assert_eq!(again["current_status"], "recorded");

        let history_url = format!("/v1/claims/{id}/history");
        let history_of = |token: &str| app.get(&history_url).bearer_auth(token).send();
        let staff_history = json(history_of(&registrar).await.unwrap()).await.1["items"].clone();
        let actions: Vec<&str> = staff_history.as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
        assert_eq!(
            actions,
            ["claim.created", "claim.draft_updated", "claim.submitted", "claim.review_started",
             "claim.information_requested", "claim.information_provided", "claim.recommended", "claim.recorded"]
        );
        assert!(staff_history.as_array().unwrap().iter().all(|h| h["actor"].is_string()));
        // The claimant reads the steps, not the secretariat's internal
        // advice, and no staff account ids.
        let history = json(history_of(&claimant).await.unwrap()).await.1["items"].clone();
        let actions: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
        assert_eq!(
            actions,
            ["claim.created", "claim.draft_updated", "claim.submitted", "claim.review_started",
             "claim.information_requested", "claim.information_provided", "claim.recorded"]
        );
        for h in history.as_array().unwrap() {
            let by_claimant = ["claim.created", "claim.draft_updated", "claim.submitted", "claim.information_provided"]
                .contains(&h["action"].as_str().unwrap());
            assert_eq!(h["actor"].is_string(), by_claimant, "{h}");
        }
        let last = history.as_array().unwrap().last().unwrap();
        assert_eq!((last["from"].as_str(), last["to"].as_str()), (Some("under_review"), Some("recorded")));
        assert_eq!(last["actor_role"], "board");
        // Nor does the claim itself show the recommendation or who decided.
        let (_, own) = json(app.get(&format!("/v1/claims/{id}")).bearer_auth(&claimant).send().await.unwrap()).await;
        assert!(own.get("recommendation").is_none(), "{own}");
        assert!(own.get("duplicate_flagged").is_none(), "{own}");
        assert_eq!(own["decision"], json!({"outcome": "recorded", "reasons": "Meets the criteria."}));
        let (_, staff) = json(app.get(&format!("/v1/claims/{id}")).bearer_auth(&registrar).send().await.unwrap()).await;
        assert_eq!(staff["recommendation"]["outcome"], "recorded");
    }

    async fn a_claimant_never_reaches_another_claimants_claim(app: TestApp) {
        let (_, owner) = app.account("Owner", &[Role::Claimant]).await;
        let (_, other) = app.account("Other", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, depositary) = app.account("Depositary", &[Role::Depositary]).await;
        let draft = file(&app, &owner, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        let id = draft["id"].as_str().unwrap();

        let attempts: Vec<(reqwest::Method, String, Value)> = vec![
            (reqwest::Method::GET, format!("/v1/claims/{id}"), Value::Null),
            (reqwest::Method::PATCH, format!("/v1/claims/{id}"), json!({"narrative": "mine now"})),
            (reqwest::Method::POST, format!("/v1/claims/{id}/submit"), json!({})),
            (reqwest::Method::POST, format!("/v1/claims/{id}/withdraw"), json!({})),
            (reqwest::Method::POST, format!("/v1/claims/{id}/responses"), json!({"message": "x"})),
            (reqwest::Method::GET, format!("/v1/claims/{id}/history"), Value::Null),
            (reqwest::Method::GET, format!("/v1/claims/{id}/messages"), Value::Null),
        ];
        for (method, path, body) in &attempts {
            let mut req = app.request(method.clone(), path).bearer_auth(&other).header("if-match", "\"v1\"");
            if !body.is_null() {
                req = req.json(body);
            }
            problem(req.send().await.unwrap(), 404, "not-found").await;
        }
        let (_, list) = json(app.get("/v1/claims").bearer_auth(&other).send().await.unwrap()).await;
        assert_eq!(list["items"], json!([]), "another's claim is not listed");
        let (_, list) = json(app.get(&format!("/v1/claims?q={}", "Коваленко")).bearer_auth(&other).send().await.unwrap()).await;
        assert_eq!(list["items"], json!([]), "nor found by name");
        // The owner still has it, untouched.
        let (s, mine) = json(app.get(&format!("/v1/claims/{id}")).bearer_auth(&owner).send().await.unwrap()).await;
        assert_eq!((s, mine["version"].as_i64()), (200, Some(1)));
        // Staff whose function needs it may read; others may not.
        assert_eq!(app.get(&format!("/v1/claims/{id}")).bearer_auth(&registrar).send().await.unwrap().status(), 200);
        problem(app.get(&format!("/v1/claims/{id}")).bearer_auth(&depositary).send().await.unwrap(), 403, "forbidden").await;
        // Claimants do not review or decide.
        problem(app.post(&format!("/v1/claims/{id}/review")).bearer_auth(&owner).send().await.unwrap(), 403, "forbidden").await;
    }

    async fn the_prescreen_reports_every_failure_at_once(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let mut claim = house(TAX_NUMBERS[0], CADASTRAL[0]);
        claim["incident"] = json!({"kind": "on", "date": "2021-06-01"});
        claim["location"]["region"] = json!("UA-99");
        claim["losses"] = json!([]);
        claim["category_fields"].as_object_mut().unwrap().remove("property_type");
        let draft = file(&app, &claimant, &claim).await;
        let (status, body) = submit(&app, &claimant, draft["id"].as_str().unwrap()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["type"], "/problems/claim-not-eligible");
        let codes: Vec<(String, String)> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
            .collect();
        for expected in [
            ("incident", "incident_before_start_date"),
            ("location.region", "unknown_region"),
            ("losses", "no_losses"),
            ("category_fields.property_type", "required_field_missing"),
        ] {
            assert!(
                codes.iter().any(|(f, c)| f.starts_with(expected.0) && c == expected.1),
                "{expected:?} missing from {codes:?}"
            );
        }
        // Nothing was submitted.
        let (_, after) = json(app.get(&format!("/v1/claims/{}", draft["id"].as_str().unwrap())).bearer_auth(&claimant).send().await.unwrap()).await;
        assert_eq!(after["status"], "draft");
    }

    async fn wrong_amounts_are_refused_even_in_a_draft(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let mut claim = house(TAX_NUMBERS[0], CADASTRAL[0]);
        claim["losses"] = json!([
            {"description": "over-precise", "amount": {"amount": "1.001", "currency": "EUR"}},
            {"description": "negative", "amount": {"amount": "-5.00", "currency": "EUR"}},
            {"description": "yen with cents", "amount": {"amount": "10.5", "currency": "JPY"}},
            {"description": "fine", "amount": {"amount": "12.50", "currency": "UAH"}}
        ]);
        let p = problem(app.post("/v1/claims").bearer_auth(&claimant).json(&claim).send().await.unwrap(), 422, "validation").await;
        let errors: Vec<(&str, &str)> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            errors,
            [
                ("losses[0].amount", "amount_too_precise"),
                ("losses[1].amount", "amount_not_positive"),
                ("losses[2].amount", "amount_too_precise")
            ]
        );
        for bad in [
            json!({"amount": "1e3", "currency": "EUR"}),
            json!({"amount": 12.5, "currency": "EUR"}),
            json!({"amount": "99999999999999999999999999999999", "currency": "EUR"}),
            json!({"amount": "5", "currency": "XYZ"}),
        ] {
            claim["losses"] = json!([{"description": "x", "amount": bad}]);
            problem(app.post("/v1/claims").bearer_auth(&claimant).json(&claim).send().await.unwrap(), 422, "validation").await;
        }
        let (_, list) = json(app.get("/v1/claims").bearer_auth(&claimant).send().await.unwrap()).await;
        assert_eq!(list["items"], json!([]), "nothing was filed");
    }

    async fn closed_categories_and_wrong_claimant_types_are_refused(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let mut wrong_type = house(TAX_NUMBERS[0], CADASTRAL[0]);
        wrong_type["category"] = json!("C3.3");
        let p = problem(app.post("/v1/claims").bearer_auth(&claimant).json(&wrong_type).send().await.unwrap(), 422, "claim-not-eligible").await;
        let codes: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&"claimant_type_mismatch"), "{p}");
        assert!(codes.contains(&"category_not_open"), "C3.3 is not accepting claims: {p}");
        let mut unknown = house(TAX_NUMBERS[0], CADASTRAL[0]);
        unknown["category"] = json!("A9.9");
        let p = problem(app.post("/v1/claims").bearer_auth(&claimant).json(&unknown).send().await.unwrap(), 422, "validation").await;
        assert_eq!(p["errors"][0]["code"], "unknown_category");
    }

    async fn concurrent_submissions_get_gap_free_reference_numbers(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let mut ids = Vec::new();
        for i in 0..16 {
            let mut claim = house(TAX_NUMBERS[0], CADASTRAL[0]);
            claim["incident"] = json!({"kind": "on", "date": format!("2022-04-{:02}", i + 1)});
            ids.push(file(&app, &claimant, &claim).await["id"].as_str().unwrap().to_owned());
        }
        let app = std::sync::Arc::new(app);
        let mut tasks = Vec::new();
        for id in ids {
            let (app, token) = (app.clone(), claimant.clone());
            tasks.push(tokio::spawn(async move { submit(&app, &token, &id).await }));
        }
        let mut sequences = Vec::new();
        for t in tasks {
            let (status, body) = t.await.unwrap();
            assert_eq!(status, 200, "{body}");
            let reference = body["reference"].as_str().unwrap().to_owned();
            sequences.push(reference.rsplit('-').next().unwrap().parse::<u64>().unwrap());
        }
        sequences.sort_unstable();
        assert_eq!(sequences, (1..=16).collect::<Vec<_>>(), "no gaps, no repeats");
    }

    async fn probable_duplicates_are_flagged_and_resolved_not_rejected(app: TestApp) {
        let (_, first) = app.account("First", &[Role::Claimant]).await;
        let (_, second) = app.account("Second", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let a = file(&app, &first, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        assert_eq!(submit(&app, &first, a["id"].as_str().unwrap()).await.0, 200);
        // Another claimant, the same property.
        let b = file(&app, &second, &house(TAX_NUMBERS[1], CADASTRAL[0])).await;
        let (status, b) = submit(&app, &second, b["id"].as_str().unwrap()).await;
        assert_eq!(status, 200, "flags never reject: {b}");
        assert!(b.get("duplicate_flagged").is_none(), "a claimant is not told of other claims: {b}");
        let staff_view = |id: String| {
            let app = &app;
            let registrar = registrar.clone();
            async move {
                json(app.get(&format!("/v1/claims/{id}")).bearer_auth(&registrar).send().await.unwrap()).await.1
            }
        };
        assert_eq!(staff_view(b["id"].as_str().unwrap().to_owned()).await["duplicate_flagged"], true);
        // A third, unrelated claim is not flagged.
        let mut later = house(TAX_NUMBERS[1], CADASTRAL[2]);
        later["incident"] = json!({"kind": "on", "date": "2023-05-01"});
        let c = file(&app, &second, &later).await;
        let (_, c) = submit(&app, &second, c["id"].as_str().unwrap()).await;
        let c = staff_view(c["id"].as_str().unwrap().to_owned()).await;
        assert_eq!(c["duplicate_flagged"], false, "{c}");

        let (_, flagged) = json(app.get("/v1/claims?duplicate=true").bearer_auth(&registrar).send().await.unwrap()).await;
        assert_eq!(flagged["items"].as_array().unwrap().len(), 2, "both claims of the pair: {flagged}");
        let (_, flags) = json(
            app.get(&format!("/v1/claims/{}/duplicates", b["id"].as_str().unwrap())).bearer_auth(&registrar).send().await.unwrap(),
        )
        .await;
        let flags = flags["items"].clone();
        let flag = flags.as_array().unwrap().iter().find(|f| f["reason"] == "same_cadastral_number").expect("cadastral flag");
        assert_eq!(flag["other_claim"], a["id"]);
        problem(
            app.get(&format!("/v1/claims/{}/duplicates", b["id"].as_str().unwrap())).bearer_auth(&second).send().await.unwrap(),
            403,
            "forbidden",
        )
        .await;
        for f in flags.as_array().unwrap() {
            let (s, resolved) = json(
                app.post(&format!("/v1/duplicate-flags/{}/resolve", f["id"].as_str().unwrap()))
                    .bearer_auth(&registrar)
                    .json(&json!({"outcome": "not_duplicate", "reason": "Different flats in one building."}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!((s, resolved["outcome"].as_str()), (200, Some("not_duplicate")));
        }
        let again = app
            .post(&format!("/v1/duplicate-flags/{}/resolve", flag["id"].as_str().unwrap()))
            .bearer_auth(&registrar)
            .json(&json!({"outcome": "confirmed", "reason": "second thoughts"}))
            .send()
            .await
            .unwrap();
        problem(again, 409, "conflict").await;
        let (_, flagged) = json(app.get("/v1/claims?duplicate=true").bearer_auth(&registrar).send().await.unwrap()).await;
        assert_eq!(flagged["items"], json!([]));
    }

    async fn sensitive_claims_need_clearance_and_are_sealed_at_rest(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, plain) = app.account("Registrar", &[Role::Registrar]).await;
        let (cleared_id, cleared) = app
            .account_with(NewAccount {
                display_name: "Cleared registrar".into(),
                roles: vec![Role::Registrar],
                clearances: vec![Clearance::Sensitive],
                participant: None,
                external_subject: None,
            })
            .await;
        let mut claim = house(TAX_NUMBERS[0], CADASTRAL[0]);
        claim["category"] = json!("A2.4");
        claim["category_fields"] = json!({});
        claim["narrative"] = json!("What happened in the basement.");
        let draft = file(&app, &claimant, &claim).await;
        let id = draft["id"].as_str().unwrap();
        assert!(draft.get("sensitive").is_none(), "the claimant's view: {draft}");
        assert_eq!(draft["claim"]["narrative"], "What happened in the basement.", "the claimant reads their own");

        problem(app.get(&format!("/v1/claims/{id}")).bearer_auth(&plain).send().await.unwrap(), 404, "not-found").await;
        let (_, list) = json(app.get("/v1/claims").bearer_auth(&plain).send().await.unwrap()).await;
        assert_eq!(list["items"], json!([]));
        let (s, seen) = json(app.get(&format!("/v1/claims/{id}")).bearer_auth(&cleared).send().await.unwrap()).await;
        assert_eq!(s, 200);
        assert_eq!(seen["claim"]["narrative"], "What happened in the basement.");
        let (_, list) = json(app.get("/v1/claims").bearer_auth(&cleared).send().await.unwrap()).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);

        // At rest, the narrative is not in the clear.
        let stored = app.state.store.claim(id.parse().unwrap()).await.unwrap();
        assert!(stored.content.get("narrative").is_none());
        let sealed = stored.sealed.expect("sealed");
        assert!(!sealed.bytes.windows(8).any(|w| w == b"basement"));
        // The cleared read is on record.
        let log = app
            .state
            .store
            .audit_entries(
                &store::AuditFilter { action: Some("claim.read".into()), ..Default::default() },
                kernel::PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(log.items.len(), 1);
        assert_eq!(log.items[0].actor, Some(cleared_id));
    }

    async fn illegal_transitions_name_the_current_status(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let draft = file(&app, &claimant, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        let id = draft["id"].as_str().unwrap();
        let p = problem(app.post(&format!("/v1/claims/{id}/review")).bearer_auth(&registrar).send().await.unwrap(), 409, "conflict").await;
        assert_eq!(p["current_status"], "draft");
        assert_eq!(submit(&app, &claimant, id).await.0, 200);
        let p = problem(app.post(&format!("/v1/claims/{id}/submit")).bearer_auth(&claimant).send().await.unwrap(), 409, "conflict").await;
        assert_eq!(p["current_status"], "submitted");
        assert!(p["detail"].as_str().unwrap().contains("submitted"), "{p}");
        let (s, w) = json(app.post(&format!("/v1/claims/{id}/withdraw")).bearer_auth(&claimant).json(&json!({"reason": "settled"})).send().await.unwrap()).await;
        assert_eq!((s, w["status"].as_str()), (200, Some("withdrawn")));
        let p = problem(app.post(&format!("/v1/claims/{id}/withdraw")).bearer_auth(&claimant).send().await.unwrap(), 409, "conflict").await;
        assert_eq!(p["current_status"], "withdrawn");
    }

    async fn the_board_decides_many_claims_at_once(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, board) = app.account("Board", &[Role::Board]).await;
        let mut ids = Vec::new();
        for (i, cadastral) in CADASTRAL.iter().enumerate() {
            let mut claim = house(TAX_NUMBERS[0], cadastral);
            claim["incident"] = json!({"kind": "on", "date": format!("2023-01-0{}", i + 1)});
            let d = file(&app, &claimant, &claim).await;
            let id = d["id"].as_str().unwrap().to_owned();
            assert_eq!(submit(&app, &claimant, &id).await.0, 200);
            ids.push(id);
        }
        // The secretariat takes two up for review in one call; a stale
        // version, a claim already taken up and an unknown one are refused
        // item by item, and a claimant may not take claims up at all.
        let (s, taken) = json(app.post("/v1/claims/reviews").bearer_auth(&registrar)
            .json(&json!({"items": [
                {"claim_id": ids[0], "if_match": "\"v2\""},
                {"claim_id": ids[1]},
                {"claim_id": ids[2], "if_match": "\"v1\""},
                {"claim_id": ids[0]},
                {"claim_id": uuid::Uuid::now_v7()}
            ]})).send().await.unwrap()).await;
        assert_eq!(s, 200, "{taken}");
        let statuses: Vec<u64> = taken.as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses, [200, 200, 412, 409, 404], "{taken}");
        assert_eq!(taken[0]["claim_status"], "under_review");
        assert_eq!(taken[3]["problem"]["current_status"], "under_review");
        problem(app.post("/v1/claims/reviews").bearer_auth(&claimant)
            .json(&json!({"items": [{"claim_id": ids[2]}]})).send().await.unwrap(), 403, "forbidden").await;
        let too_many: Vec<Value> = (0..1001).map(|_| json!({"claim_id": ids[2]})).collect();
        problem(app.post("/v1/claims/reviews").bearer_auth(&registrar)
            .json(&json!({"items": too_many})).send().await.unwrap(), 422, "validation").await;
        let (s, results) = json(
            app.post("/v1/claims/decisions")
                .bearer_auth(&board)
                .json(&json!({"meeting_reference": "Board 2026/14", "items": [
                    {"claim_id": ids[0], "outcome": "recorded", "reasons": "eligible"},
                    {"claim_id": ids[1], "outcome": "recorded", "reasons": "stale", "if_match": "\"v99\""},
                    {"claim_id": ids[1], "outcome": "rejected", "reasons": "outside the mandate"},
                    {"claim_id": ids[2], "outcome": "recorded", "reasons": "not reviewed yet"},
                    {"claim_id": uuid::Uuid::now_v7(), "outcome": "recorded", "reasons": "unknown"}
                ]}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200, "{results}");
        let statuses: Vec<u64> = results.as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses, [200, 412, 200, 409, 404]);
        assert_eq!(results[0]["claim_status"], "recorded");
        assert_eq!(results[2]["claim_status"], "rejected");
        assert_eq!(results[3]["problem"]["current_status"], "submitted");
    }

    async fn creating_with_the_same_idempotency_key_files_one_claim(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let claim = house(TAX_NUMBERS[0], CADASTRAL[0]);
        let send = || app.post("/v1/claims").bearer_auth(&claimant).header("idempotency-key", "file-once").json(&claim);
        let (s1, first) = json(send().send().await.unwrap()).await;
        let (s2, second) = json(send().send().await.unwrap()).await;
        assert_eq!((s1, s2), (201, 201));
        assert_eq!(first["id"], second["id"]);
        let (_, list) = json(app.get("/v1/claims").bearer_auth(&claimant).send().await.unwrap()).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }

    async fn staff_filter_the_work_queue(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let a = file(&app, &claimant, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        let (_, a) = submit(&app, &claimant, a["id"].as_str().unwrap()).await;
        let mut kyiv = house(TAX_NUMBERS[1], CADASTRAL[1]);
        kyiv["location"]["region"] = json!("UA-30");
        file(&app, &claimant, &kyiv).await;
        let count = |q: &'static str| {
            let app = &app;
            let registrar = registrar.clone();
            async move {
                let (s, body) = json(app.get(&format!("/v1/claims?{q}")).bearer_auth(&registrar).send().await.unwrap()).await;
                assert_eq!(s, 200, "{q}: {body}");
                body["items"].as_array().unwrap().len()
            }
        };
        assert_eq!(count("").await, 2);
        assert_eq!(count("status=submitted").await, 1);
        assert_eq!(count("status=draft&region=UA-30").await, 1);
        assert_eq!(count("category=A3.1").await, 2);
        assert_eq!(count("region=UA-48").await, 0);
        assert_eq!(count("submitted_from=2020-01-01").await, 1);
        assert_eq!(count("submitted_to=2020-01-01").await, 0);
        let reference = a["reference"].as_str().unwrap().to_owned();
        let (_, by_ref) = json(app.get(&format!("/v1/claims?q={reference}")).bearer_auth(&registrar).send().await.unwrap()).await;
        assert_eq!(by_ref["items"][0]["id"], a["id"]);
        assert_eq!(count("q=%D0%BA%D0%BE%D0%B2%D0%B0%D0%BB").await, 2, "surname prefix, in Cyrillic, any case");
        assert_eq!(count("limit=1").await, 1);
        problem(app.get("/v1/claims?status=lost").bearer_auth(&registrar).send().await.unwrap(), 422, "validation").await;
        problem(app.get("/v1/claims?submitted_from=yesterday").bearer_auth(&registrar).send().await.unwrap(), 422, "validation").await;
        // SQL in a filter is only ever a value.
        assert_eq!(count("q=%27%20OR%201%3D1%20--").await, 0);
        assert_eq!(count("category=A3.1%27%20OR%20%271%27%3D%271").await, 0);
    }

    async fn the_catalogue_is_public_and_admins_change_it(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (s, categories) = json(app.get("/v1/categories").send().await.unwrap()).await;
        let categories = categories["items"].clone();
        assert_eq!(s, 200);
        let list = categories.as_array().unwrap();
        assert!(list.len() >= 27, "seeded from the CSV");
        let a31 = list.iter().find(|c| c["code"] == "A3.1").unwrap().clone();
        assert_eq!(a31["claimant_type"], "natural_person");
        assert!(a31["required_fields"].as_array().unwrap().len() >= 2);
        let (s, regions) = json(app.get("/v1/regions").send().await.unwrap()).await;
        let regions = regions["items"].clone();
        assert_eq!(s, 200);
        assert!(regions.as_array().unwrap().iter().any(|r| r["code"] == "UA-32"));

        // Close A3.1 with a filing deadline in the past: new claims are refused.
        let mut changed = a31.clone();
        changed.as_object_mut().unwrap().remove("version");
        changed["filing_deadline"] = json!("2024-12-31");
        let put = |tag: Option<&str>| {
            let mut r = app.request(reqwest::Method::PUT, "/v1/categories/A3.1").bearer_auth(&admin).json(&changed);
            if let Some(t) = tag {
                r = r.header("if-match", t);
            }
            r
        };
        problem(put(None).send().await.unwrap(), 428, "precondition-required").await;
        let tag = format!("\"v{}\"", a31["version"]);
        let (s, updated) = json(put(Some(&tag)).send().await.unwrap()).await;
        assert_eq!(s, 200, "{updated}");
        problem(put(Some(&tag)).send().await.unwrap(), 412, "precondition-failed").await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let p = problem(app.post("/v1/claims").bearer_auth(&claimant).json(&house(TAX_NUMBERS[0], CADASTRAL[0])).send().await.unwrap(), 422, "claim-not-eligible").await;
        assert_eq!(p["errors"][0]["code"], "category_not_open");
        problem(app.request(reqwest::Method::PUT, "/v1/categories/A3.1").bearer_auth(&claimant).json(&changed).send().await.unwrap(), 403, "forbidden").await;
    }
}

/// Every page of `GET /v1/claims?{query}`, `limit` a page, as claim ids;
/// with a date filter, checks that submission times never go back.
async fn walk(app: &TestApp, token: &str, query: &str, limit: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let mut last_submitted = String::new();
    loop {
        let url = match &cursor {
            Some(c) => format!("/v1/claims?{query}&limit={limit}&cursor={c}"),
            None => format!("/v1/claims?{query}&limit={limit}"),
        };
        let (status, page) = json(app.get(&url).bearer_auth(token).send().await.unwrap()).await;
        assert_eq!(status, 200, "{url}: {page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        for item in items {
            ids.push(item["id"].as_str().unwrap().to_owned());
            if let Some(at) = item["submitted_at"]
                .as_str()
                .filter(|_| query.contains("submitted_"))
            {
                assert!(at >= last_submitted.as_str(), "{at} after {last_submitted}");
                at.clone_into(&mut last_submitted);
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return ids,
        }
    }
}

both! {
    async fn date_filters_page_through_claims_in_submission_order(app: TestApp) {
        use kernel::Clock as _;
        use time::format_description::well_known::Rfc3339;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let start = app.clock.now().replace_nanosecond(0).unwrap();
        app.clock.set(start);
        let mut ids = Vec::new();
        for i in 0..7 {
            let d = file(&app, &claimant, &house(TAX_NUMBERS[i % 2], CADASTRAL[i % 3])).await;
            ids.push(d["id"].as_str().unwrap().to_owned());
        }
        // (claim, hour of submission): out of creation order, claims 6 and
        // 0 in the same instant; claim 2 stays a draft.
        let plan = [(4, 1), (1, 2), (6, 3), (0, 3), (3, 4), (5, 5)];
        for (i, hour) in plan {
            app.clock.set(start + time::Duration::hours(hour));
            assert_eq!(submit(&app, &claimant, &ids[i]).await.0, 200);
        }
        let mut expected: Vec<(i64, &str)> = plan.iter().map(|&(i, h)| (h, ids[i].as_str())).collect();
        expected.sort_unstable();
        let expected: Vec<String> = expected.into_iter().map(|(_, id)| id.to_owned()).collect();
        assert_ne!(expected[2..4], [ids[6].clone(), ids[0].clone()], "the tie is broken by id");
        let at = |hour: i64| (start + time::Duration::hours(hour)).format(&Rfc3339).unwrap();

        let from = format!("submitted_from={}", at(0));
        for limit in [1, 2, 4, 50] {
            assert_eq!(walk(&app, &registrar, &from, limit).await, expected, "limit {limit}");
        }
        assert_eq!(walk(&app, &claimant, &from, 2).await, expected, "the claimant's own list");
        let to = format!("submitted_to={}", at(5));
        assert_eq!(walk(&app, &registrar, &to, 2).await, expected[..5], "before hour 5");
        let window = format!("submitted_from={}&submitted_to={}", at(2), at(4));
        assert_eq!(walk(&app, &registrar, &window, 2).await, expected[1..4], "hours 2 and 3");
        let by_date = format!("submitted_from={}", start.date());
        assert_eq!(walk(&app, &registrar, &format!("{by_date}&status=submitted"), 3).await, expected);

        // Without a date: id order (creation order), the draft included.
        let mut by_id = ids.clone();
        by_id.sort();
        assert_eq!(walk(&app, &registrar, "", 3).await, by_id);
        problem(app.get(&format!("/v1/claims?{from}&cursor=not-a-cursor")).bearer_auth(&registrar).send().await.unwrap(), 422, "validation").await;
    }
}
