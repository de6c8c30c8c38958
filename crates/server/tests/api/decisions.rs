//! The Commission's decisions through HTTP: the whole path from a recorded
//! claim to a payment round (and the same path refused before the
//! convention is in force), the approval race, four eyes on the panel vote,
//! and corrections that supersede.

use crate::support::{TestApp, json, problem};
use kernel::id::AccountId;
use kernel::{Currency, Money, Role};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use store::cases::{CaseFacts, SyntheticCase};
use time::macros::{date, datetime};

const A31_RULE: &str = r#"{"category":"A3.1","kind":"per_unit","unit":"floor_area_m2",
    "rate":{"amount":"850","currency":"EUR"},"factors":[{"name":"depreciation","value":"0.8"}],
    "cap":{"amount":"150000","currency":"EUR"}}"#;

pub(crate) async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    json(
        app.post(path)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub(crate) async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let (s, body) = json(app.get(path).bearer_auth(token).send().await.unwrap()).await;
    assert_eq!(s, 200, "{path}: {body}");
    body
}

/// 25 ratifications whose contributions reach half of the 2025 budget on
/// 20 May 2026; the convention enters into force on 1 September 2026 and
/// the clock is moved there. Once recorded, only the clock moves.
pub(crate) async fn put_in_force(app: &TestApp) {
    let (_, overview) = json(app.get("/v1/convention").send().await.unwrap()).await;
    if overview["entry_into_force"] == "2026-09-01" {
        app.clock.set(datetime!(2026-09-01 09:00 UTC));
        return;
    }
    app.clock.set(datetime!(2026-06-30 12:00 UTC));
    let depositary = app.account("Depositary", &[Role::Depositary]).await.1;
    let (_, participants) =
        json(app.get("/v1/convention/participants").send().await.unwrap()).await;
    let participants = participants["items"].clone();
    let codes: Vec<String> = participants
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_owned())
        .collect();
    for (i, code) in codes.iter().take(25).enumerate() {
        let date = if i == 24 {
            "2026-05-12".to_owned()
        } else {
            format!("2026-03-{:02}", i + 1)
        };
        let (s, body) = post(
            app,
            &depositary,
            "/v1/convention/actions",
            json!({"participant": code, "kind": "ratification", "date": date}),
        )
        .await;
        assert_eq!(s, 201, "{code}: {body}");
    }
    // Their contributions reach half of the 2025 budget (25 × 150,000 EUR
    // of the assumed 7,384,300 EUR) on 20 May 2026.
    for code in codes.iter().take(25) {
        let (s, body) = post(
            app,
            &depositary,
            "/v1/convention/weights",
            json!({
            "participant": code, "basis": "rd4u-2025-budget", "value": "150000.00",
            "unit": "EUR", "source": "Register of Damage: contributions to the 2025 budget",
            "date": "2026-05-20"}),
        )
        .await;
        assert_eq!(s, 201, "{code}: {body}");
    }
    app.clock.set(datetime!(2026-09-01 09:00 UTC));
}

pub(crate) struct World {
    pub(crate) council: String,
    pub(crate) assessor_id: AccountId,
    pub(crate) assessor: String,
    pub(crate) members: Vec<(AccountId, String)>,
    pub(crate) claimant_id: AccountId,
    pub(crate) claimant: String,
    pub(crate) panel: String,
}

/// A Council member, an assessor, three Commissioners (the assessor also
/// a Commissioner when `assessor_on_panel`), and a panel for A3.1, which
/// the Council forms once the convention is in force (so it is put in
/// force first).
pub(crate) async fn world(app: &TestApp, assessor_on_panel: bool) -> World {
    put_in_force(app).await;
    let (_, council) = app.account("Council", &[Role::Council]).await;
    let roles: &[Role] = if assessor_on_panel {
        &[Role::Assessor, Role::Commissioner]
    } else {
        &[Role::Assessor]
    };
    let (assessor_id, assessor) = app.account("Assessor", roles).await;
    let mut members = Vec::new();
    for i in 0..3 {
        members.push(
            app.account(&format!("Commissioner {i}"), &[Role::Commissioner])
                .await,
        );
    }
    if assessor_on_panel {
        members[2] = (assessor_id, assessor.clone());
    }
    let (claimant_id, claimant) = app.account("Claimant", &[Role::Claimant]).await;
    let (s, body) = post(
        app,
        &council,
        "/v1/valuation-rules",
        serde_json::from_str(A31_RULE).unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let ids: Vec<AccountId> = members.iter().map(|m| m.0).collect();
    let (s, panel) = post(
        app,
        &council,
        "/v1/panels",
        json!({"name": "Panel 1 (housing)", "members": ids, "categories": ["A3.1"]}),
    )
    .await;
    assert_eq!(s, 201, "{panel}");
    World {
        council,
        assessor_id,
        assessor,
        members,
        claimant_id,
        claimant,
        panel: panel["id"].as_str().unwrap().to_owned(),
    }
}

/// Recorded claims of the claimant with their cases, assessed
/// individually by the world's assessor (850 × 112.5 × 0.8 = 76,500 EUR).
pub(crate) async fn assessed_cases(app: &TestApp, w: &World, n: usize) -> Vec<String> {
    let cases: Vec<SyntheticCase> = (0..n)
        .map(|i| SyntheticCase {
            category: "A3.1".into(),
            region: Some("UA-32".into()),
            claimant_key: Some(format!("claimant-{i}")),
            facts: CaseFacts {
                claimed: vec![Money::new(Decimal::new(8_500_000, 2), Currency::EUR)],
                quantities: [("floor_area_m2".to_owned(), Decimal::new(1125, 1))]
                    .into_iter()
                    .collect(),
                region: Some("UA-32".into()),
                incident_date: Some(date!(2022 - 03 - 14)),
                submission_date: Some(date!(2025 - 06 - 02)),
            },
        })
        .collect();
    let ids: Vec<String> = app
        .state
        .store
        .insert_synthetic_cases(w.claimant_id, &cases)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.to_string())
        .collect();
    for id in &ids {
        let case = get(app, &w.assessor, &format!("/v1/cases/{id}")).await;
        let (s, body) = json(
            app.post(&format!("/v1/cases/{id}/assignment"))
                .bearer_auth(&w.assessor)
                .header("if-match", format!("\"v{}\"", case["version"]))
                .json(&json!({"assessor": w.assessor_id}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        let (s, body) = json(
            app.post(&format!("/v1/cases/{id}/assessments"))
                .bearer_auth(&w.assessor)
                .header("if-match", format!("\"v{}\"", body["version"]))
                .json(&json!({}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 201, "{body}");
    }
    ids
}

/// The version of the decision before the Council on a recommendation.
pub(crate) async fn decision_version(app: &TestApp, token: &str, rec: &str) -> i64 {
    let r = get(app, token, &format!("/v1/recommendations/{rec}")).await;
    r["decision"]["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no decision: {r}"))
}

/// The version an item's `if_match` names.
fn last_version(item: &Value) -> i64 {
    item["if_match"].as_str().unwrap().trim_matches('"')[1..]
        .parse()
        .unwrap()
}

/// The Council's step on a recommendation, with the `If-Match` of the
/// resource it changes: the ETag `GET` on the same path answers with.
pub(crate) async fn decide(app: &TestApp, token: &str, rec: &str, body: Value) -> (u16, Value) {
    let path = format!("/v1/recommendations/{rec}/decision");
    let current = app.get(&path).bearer_auth(token).send().await.unwrap();
    assert_eq!(current.status(), 200, "{path}");
    let etag = current.headers()["etag"].to_str().unwrap().to_owned();
    json(
        app.post(&path)
            .bearer_auth(token)
            .header("if-match", etag)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A payment recorded on an award, with its current `If-Match`.
pub(crate) async fn pay(app: &TestApp, token: &str, award: &str, body: Value) -> reqwest::Response {
    let version = get(app, token, &format!("/v1/awards/{award}")).await["version"].clone();
    app.post(&format!("/v1/awards/{award}/payments"))
        .bearer_auth(token)
        .header("if-match", format!("\"v{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A change to an award, with its current `If-Match`.
pub(crate) async fn on_award(
    app: &TestApp,
    token: &str,
    award: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let version = get(app, token, &format!("/v1/awards/{award}")).await["version"].clone();
    let mut req = app
        .request(method, path)
        .bearer_auth(token)
        .header("if-match", format!("\"v{version}\""));
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

pub(crate) fn eur(v: &str) -> Value {
    json!({"amount": v, "currency": "EUR"})
}

/// Proposed by the first member, adopted by the first two: returns the
/// recommendation's id.
pub(crate) async fn adopted(app: &TestApp, w: &World, case: &str) -> String {
    let (s, rec) = post(
        app,
        &w.members[0].1,
        &format!("/v1/cases/{case}/recommendations"),
        json!({"panel": w.panel, "outcome": "award"}),
    )
    .await;
    assert_eq!(s, 201, "{rec}");
    assert_eq!(rec["outcome"]["amount"], eur("76500.00"), "{rec}");
    let id = rec["id"].as_str().unwrap().to_owned();
    let (s, v) = post(
        app,
        &w.members[0].1,
        &format!("/v1/recommendations/{id}/votes"),
        json!({"choice": "in_favour"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "open", "one vote of three is no majority: {v}");
    let (s, v) = post(
        app,
        &w.members[1].1,
        &format!("/v1/recommendations/{id}/votes"),
        json!({"choice": "in_favour"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "adopted", "{v}");
    id
}

/// A claim filed by `claimant`, submitted, and recorded by the Board: the
/// id of its case.
async fn recorded_case(app: &TestApp, claimant: &str, claim: Value) -> String {
    let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
    let (_, board) = app.account("Board", &[Role::Board]).await;
    let (s, draft) = post(app, claimant, "/v1/claims", claim).await;
    assert_eq!(s, 201, "{draft}");
    let id = draft["id"].as_str().unwrap().to_owned();
    let (s, body) = post(app, claimant, &format!("/v1/claims/{id}/submit"), json!({})).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = post(
        app,
        &registrar,
        &format!("/v1/claims/{id}/review"),
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (s, rec) = post(
        app,
        &registrar,
        &format!("/v1/claims/{id}/recommendation"),
        json!({"outcome": "recorded", "reasons": "Eligible."}),
    )
    .await;
    assert_eq!(s, 200, "{rec}");
    let (s, body) = json(
        app.post(&format!("/v1/claims/{id}/decision"))
            .bearer_auth(&board)
            .header("if-match", format!("\"v{}\"", rec["version"]))
            .json(&json!({"outcome": "recorded", "reasons": "Meets the criteria."}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    app.state
        .store
        .case_for_claim(register::ClaimId::from_uuid(id.parse().unwrap()))
        .await
        .unwrap()
        .id
        .to_string()
}

/// A recorded case assessed by the world's assessor with its category's
/// rule, recommended as an award by `panel`, adopted, and approved: the
/// award.
async fn approved_award(app: &TestApp, w: &World, panel: &str, case: &str) -> Value {
    let before = get(app, &w.assessor, &format!("/v1/cases/{case}")).await;
    let (status, assigned) = json(
        app.post(&format!("/v1/cases/{case}/assignment"))
            .bearer_auth(&w.assessor)
            .header("if-match", format!("\"v{}\"", before["version"]))
            .json(&json!({"assessor": w.assessor_id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{assigned}");
    let (status, assessment) = json(
        app.post(&format!("/v1/cases/{case}/assessments"))
            .bearer_auth(&w.assessor)
            .header("if-match", format!("\"v{}\"", assigned["version"]))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{assessment}");
    let (status, rec) = post(
        app,
        &w.members[0].1,
        &format!("/v1/cases/{case}/recommendations"),
        json!({"panel": panel, "outcome": "award"}),
    )
    .await;
    assert_eq!(status, 201, "{rec}");
    let rec = rec["id"].as_str().unwrap().to_owned();
    for (_, member) in &w.members[..2] {
        let (status, vote) = post(
            app,
            member,
            &format!("/v1/recommendations/{rec}/votes"),
            json!({"choice": "in_favour"}),
        )
        .await;
        assert_eq!(status, 200, "{vote}");
    }
    let (status, issued) = decide(app, &w.council, &rec, json!({"action": "approve"})).await;
    assert_eq!(status, 200, "{issued}");
    issued["award"].clone()
}

fn amount_of(money: &Value) -> Decimal {
    money["amount"].as_str().unwrap().parse().unwrap()
}

both! {
    async fn the_whole_path_from_recorded_claim_to_payment_round(app: TestApp) {
        // Before the convention is in force, no panel is formed, nothing is
        // recommended, decided or paid: the Council and its panels do not
        // exist yet.
        let (_, council) = app.account("Council", &[Role::Council]).await;
        let (commissioner_id, commissioner) = app.account("Commissioner", &[Role::Commissioner]).await;
        let refused = problem(app.post("/v1/panels").bearer_auth(&council)
            .json(&json!({"name": "Panel 0", "members": [commissioner_id], "categories": ["A3.1"]}))
            .send().await.unwrap(), 409, "commission-not-in-force").await;
        assert_eq!(refused["threshold"], 25, "{refused}");
        let (_, panels) = json(app.get("/v1/panels").bearer_auth(&council).send().await.unwrap()).await;
        assert_eq!(panels["items"], json!([]), "a refused act leaves nothing behind: {panels}");
        let somewhere = uuid::Uuid::now_v7();
        problem(app.post(&format!("/v1/cases/{somewhere}/recommendations")).bearer_auth(&commissioner)
            .json(&json!({"panel": somewhere, "outcome": "award"})).send().await.unwrap(), 409, "commission-not-in-force").await;
        problem(app.post(&format!("/v1/recommendations/{somewhere}/votes")).bearer_auth(&commissioner)
            .json(&json!({"choice": "in_favour"})).send().await.unwrap(), 409, "commission-not-in-force").await;
        problem(app.post("/v1/payment-rounds").bearer_auth(&council)
            .json(&json!({"available": eur("1000")})).send().await.unwrap(), 409, "commission-not-in-force").await;

        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 1).await;
        let case = &cases[0];
        let rec = adopted(&app, &w, case).await;
        assert_eq!(get(&app, &w.assessor, &format!("/v1/cases/{case}")).await["status"], "recommended");
        // Each member votes once.
        let (s, again) = post(&app, &w.members[1].1, &format!("/v1/recommendations/{rec}/votes"), json!({"choice": "in_favour"})).await;
        assert_eq!(s, 409, "{again}");

        // The Council names the version it decides on.
        problem(app.post(&format!("/v1/recommendations/{rec}/decision")).bearer_auth(&w.council)
            .json(&json!({"action": "approve"})).send().await.unwrap(), 428, "precondition-required").await;
        let (s, issued) = decide(&app, &w.council, &rec,
            json!({"action": "approve", "meeting_reference": "C/2026/9"})).await;
        assert_eq!(s, 200, "{issued}");
        assert_eq!(issued["decision"]["number"], "ICC-DEC-2026-000001", "{issued}");
        assert_eq!(issued["decision"]["status"], "final");
        assert_eq!(issued["award"]["amount"], eur("76500.00"));
        assert_eq!(issued["award"]["status"], "awarded");
        let award = issued["award"]["id"].as_str().unwrap().to_owned();
        assert_eq!(get(&app, &w.assessor, &format!("/v1/cases/{case}")).await["status"], "decided");
        // A final decision is not decided again.
        let (s, body) = decide(&app, &w.council, &rec, json!({"action": "approve"})).await;
        assert_eq!(s, 409, "{body}");

        // The claimant sees the decision on their claim; the public register has no names.
        let claim = get(&app, &w.assessor, &format!("/v1/cases/{case}")).await["claim_id"].as_str().unwrap().to_owned();
        let mine = get(&app, &w.claimant, &format!("/v1/claims/{claim}/decisions")).await;
        let mine = mine["items"].clone();
        assert_eq!(mine[0]["number"], "ICC-DEC-2026-000001", "{mine}");
        assert_eq!(mine[0]["outcome"]["amount"], eur("76500.00"));
        let (_, other) = app.account("Someone else", &[Role::Claimant]).await;
        problem(app.get(&format!("/v1/claims/{claim}/decisions")).bearer_auth(&other).send().await.unwrap(), 404, "not-found").await;
        let (s, public) = json(app.get("/v1/decisions/public").send().await.unwrap()).await;
        let public = public["items"].clone();
        assert_eq!(s, 200, "{public}");
        assert_eq!(public[0]["category"], "A3.1");
        assert_eq!(public[0]["region"], "UA-32");
        assert_eq!(public[0]["amount"], eur("76500.00"));
        assert_eq!(public[0]["decided_on"], "2026-09-01");
        assert!(!public.to_string().contains(&claim), "{public}");

        // A payment round: priority tier, then pro rata; confirmed, it makes the award payable.
        app.clock.set(datetime!(2026-09-04 09:00 UTC));
        problem(pay(&app, &w.council, &award,
            json!({"amount": eur("100"), "paid_on": "2026-09-02", "reference": "T-1"})).await,
            409, "conflict").await;
        let (s, round) = post(&app, &w.council, "/v1/payment-rounds",
            json!({"available": eur("10000.00"), "priority_amount": eur("2500.00")})).await;
        assert_eq!(s, 201, "{round}");
        assert_eq!(round["status"], "preview");
        assert_eq!(round["preview"]["lines"][0]["priority"], eur("2500.00"), "{round}");
        assert_eq!(round["preview"]["total"], eur("10000.00"), "{round}");
        let id = round["id"].as_str().unwrap();
        let (s, confirmed) = post(&app, &w.council, &format!("/v1/payment-rounds/{id}/confirm"), json!({})).await;
        assert_eq!(s, 200, "{confirmed}");
        assert_eq!(confirmed["status"], "confirmed");
        let (s, again) = post(&app, &w.council, &format!("/v1/payment-rounds/{id}/confirm"), json!({})).await;
        assert_eq!(s, 409, "{again}");
        assert_eq!(get(&app, &w.council, &format!("/v1/awards/{award}")).await["status"], "payable");

        // Payments recorded by staff, never above the outstanding balance,
        // each on the version of the award it was entered against.
        let payment = json!({"amount": eur("10000.00"), "paid_on": "2026-09-02", "reference": "R1-0001"});
        problem(app.post(&format!("/v1/awards/{award}/payments")).bearer_auth(&w.council)
            .json(&payment).send().await.unwrap(), 428, "precondition-required").await;
        let version = get(&app, &w.council, &format!("/v1/awards/{award}")).await["version"].as_i64().unwrap();
        problem(app.post(&format!("/v1/awards/{award}/payments")).bearer_auth(&w.council)
            .header("if-match", format!("\"v{}\"", version - 1))
            .json(&payment).send().await.unwrap(), 412, "precondition-failed").await;
        let (s, paid) = json(pay(&app, &w.council, &award, payment).await).await;
        assert_eq!(s, 201, "{paid}");
        assert_eq!(paid["status"], "partially_paid");
        assert_eq!(paid["outstanding"], eur("66500.00"));
        assert_eq!(paid["allotted"], eur("10000.00"));
        let over = problem(pay(&app, &w.council, &award,
            json!({"amount": eur("66500.01"), "paid_on": "2026-09-03", "reference": "R1-0002"})).await,
            422, "validation").await;
        assert_eq!(over["code"], "overpayment", "{over}");
        assert_eq!(over["errors"][0]["field"], "amount", "{over}");
        // Nothing beyond what the confirmed round allotted.
        let beyond = problem(pay(&app, &w.council, &award,
            json!({"amount": eur("0.01"), "paid_on": "2026-09-03", "reference": "R1-0002"})).await,
            422, "validation").await;
        assert_eq!(beyond["code"], "exceeds_allotment", "{beyond}");
        assert_eq!(beyond["errors"][0]["field"], "amount", "{beyond}");
        // Nor a payment dated after today.
        let future = problem(pay(&app, &w.council, &award,
            json!({"amount": eur("1.00"), "paid_on": "2026-09-05", "reference": "R1-0002"})).await,
            422, "validation").await;
        assert_eq!(future["code"], "future_date", "{future}");
        assert_eq!(future["errors"][0]["field"], "paid_on", "{future}");
        // A second round allots the rest.
        let (s, round) = post(&app, &w.council, "/v1/payment-rounds",
            json!({"available": eur("66500.00")})).await;
        assert_eq!(s, 201, "{round}");
        let id = round["id"].as_str().unwrap();
        let (s, confirmed) = post(&app, &w.council, &format!("/v1/payment-rounds/{id}/confirm"), json!({})).await;
        assert_eq!(s, 200, "{confirmed}");
        let (s, paid) = json(pay(&app, &w.council, &award,
            json!({"amount": eur("66500.00"), "paid_on": "2026-09-03", "reference": "R1-0002"})).await).await;
        assert_eq!(s, 201, "{paid}");
        assert_eq!(paid["status"], "paid");

        let report = get(&app, &w.council, "/v1/reports/awards").await;
        assert_eq!(report["by_category"]["A3.1"]["EUR"]["awarded"], "76500.00", "{report}");
        assert_eq!(report["by_region"]["UA-32"]["EUR"]["count"], 1);
        assert_eq!(report["by_status"]["paid"]["EUR"]["paid"], "76500.00");
        // Claimants see no ledger.
        problem(app.get("/v1/awards").bearer_auth(&w.claimant).send().await.unwrap(), 403, "forbidden").await;
    }

    async fn the_claimant_kind_is_the_claimants_type_not_a_word_in_the_claim(app: TestApp) {
        put_in_force(&app).await;
        let w = world(&app, false).await;
        let ids: Vec<AccountId> = w.members.iter().map(|m| m.0).collect();
        let (s, infrastructure) = post(&app, &w.council, "/v1/panels",
            json!({"name": "Panel 2 (infrastructure)", "members": ids, "categories": ["B1.1", "C1.1"]})).await;
        assert_eq!(s, 201, "{infrastructure}");
        let infrastructure = infrastructure["id"].as_str().unwrap().to_owned();
        for category in ["B1.1", "C1.1"] {
            let (s, body) = post(&app, &w.council, "/v1/valuation-rules", json!({"category": category,
                "kind": "fixed", "per_claimant": {"amount": "20000", "currency": "EUR"}})).await;
            assert_eq!(s, 201, "{body}");
        }

        // A natural person whose address and e-mail say "State".
        let mut person = crate::claims::house("3184710691", "3210900000:01:001:0001");
        person["claimant"]["contact"] = json!({"email": "State.Office@example.org",
            "address": "12 State Street, Irpin"});
        let person_case = recorded_case(&app, &w.claimant, person).await;
        // A State body and a legal entity, each for their damaged infrastructure.
        let mut state = crate::claims::house("3184710691", "3210900000:01:001:0002");
        state["category"] = json!("B1.1");
        state["claimant"] = json!({"claimant_type": "state", "name": "Irpin City Council",
            "code": "20077720", "contact": {"email": "rada@example.ua"}});
        state["category_fields"] = json!({"facility_name": "Water pumping station No. 2",
            "sector": "water", "damage_extent": "destroyed"});
        let state_case = recorded_case(&app, &w.claimant, state).await;
        let mut entity = crate::claims::house("3184710691", "3210900000:01:001:0003");
        entity["category"] = json!("C1.1");
        entity["claimant"] = json!({"claimant_type": "legal_entity", "name": "Ukrposhta",
            "edrpou": "21560045", "contact": {"email": "info@example.ua"}});
        entity["category_fields"] = json!({"facility_name": "Sorting centre",
            "sector": "transport", "damage_extent": "damaged"});
        let entity_case = recorded_case(&app, &w.claimant, entity).await;

        let person_award = approved_award(&app, &w, &w.panel, &person_case).await;
        assert_eq!(person_award["claimant_kind"], "individual", "{person_award}");
        let state_award = approved_award(&app, &w, &infrastructure, &state_case).await;
        assert_eq!(state_award["claimant_kind"], "state", "{state_award}");
        let entity_award = approved_award(&app, &w, &infrastructure, &entity_case).await;
        assert_eq!(entity_award["claimant_kind"], "legal_entity", "{entity_award}");

        // The person is paid first, in the individuals' priority tier.
        let (s, round) = post(&app, &w.council, "/v1/payment-rounds",
            json!({"available": eur("30000.00"), "priority_amount": eur("10000.00")})).await;
        assert_eq!(s, 201, "{round}");
        let lines = round["preview"]["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 3, "{round}");
        let line = |award: &Value| lines.iter().find(|l| l["award"] == award["id"])
            .unwrap_or_else(|| panic!("{award} is in the round: {round}"));
        let person_line = line(&person_award);
        assert_eq!(person_line["claimant_kind"], "individual", "{round}");
        assert_eq!(amount_of(&person_line["priority"]), Decimal::new(10_000, 0), "{round}");
        for other in [&state_award, &entity_award] {
            let l = line(other);
            assert_eq!(l["claimant_kind"], other["claimant_kind"], "{round}");
            assert_eq!(amount_of(&l["priority"]), Decimal::ZERO, "no priority for {l}");
        }
        assert!(amount_of(&person_line["amount"]) > amount_of(&line(&state_award)["amount"]), "{round}");
    }

    async fn two_approvals_at_once_one_wins(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 3).await;
        put_in_force(&app).await;
        let rec = adopted(&app, &w, &cases[0]).await;
        let (_, council2) = app.account("Council 2", &[Role::Council]).await;
        let path = format!("/v1/recommendations/{rec}/decision");
        // Both read the same version and approve on it.
        let version = decision_version(&app, &w.council, &rec).await;
        let send = |token: String| {
            let req = app.post(&path).bearer_auth(token)
                .header("if-match", format!("\"v{version}\"")).json(&json!({"action": "approve"}));
            async move { json(req.send().await.unwrap()).await }
        };
        let (one, two) = tokio::join!(send(w.council.clone()), send(council2));
        let mut statuses = [one.0, two.0];
        statuses.sort_unstable();
        assert!(statuses == [200, 409] || statuses == [200, 412], "{one:?} {two:?}");
        let winner = if one.0 == 200 { &one.1 } else { &two.1 };
        assert_eq!(winner["decision"]["number"], "ICC-DEC-2026-000001");
        let awards = get(&app, &w.council, "/v1/awards").await;
        let awards = awards["items"].clone();
        assert_eq!(awards.as_array().unwrap().len(), 1, "{awards}");
        // The loser's number was not used up: the next decision takes 000002.
        let rec2 = adopted(&app, &w, &cases[1]).await;
        let (status, second) = decide(&app, &w.council, &rec2, json!({"action": "approve"})).await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(second["decision"]["number"], "ICC-DEC-2026-000002");
        // A stale If-Match is refused, a missing one too.
        let rec3 = adopted(&app, &w, &cases[2]).await;
        let current = decision_version(&app, &w.council, &rec3).await;
        problem(app.post(&format!("/v1/recommendations/{rec3}/decision")).bearer_auth(&w.council)
            .header("if-match", format!("\"v{}\"", current + 1)).json(&json!({"action": "approve"})).send().await.unwrap(),
            412, "precondition-failed").await;
        problem(app.post(&format!("/v1/recommendations/{rec3}/decision")).bearer_auth(&w.council)
            .json(&json!({"action": "approve"})).send().await.unwrap(), 428, "precondition-required").await;
        // Nothing was decided by the refused requests.
        assert_eq!(decision_version(&app, &w.council, &rec3).await, current);
    }

    async fn the_assessor_cannot_vote_on_the_case(app: TestApp) {
        let w = world(&app, true).await;
        let cases = assessed_cases(&app, &w, 1).await;
        put_in_force(&app).await;
        let case = &cases[0];
        // Nor recommend it.
        let (s, body) = post(&app, &w.assessor, &format!("/v1/cases/{case}/recommendations"),
            json!({"panel": w.panel, "outcome": "award"})).await;
        assert_eq!(s, 409, "{body}");
        assert_eq!(body["code"], "conflict_of_interest");
        let (s, rec) = post(&app, &w.members[0].1, &format!("/v1/cases/{case}/recommendations"),
            json!({"panel": w.panel, "outcome": "award"})).await;
        assert_eq!(s, 201, "{rec}");
        let id = rec["id"].as_str().unwrap();
        let (s, body) = post(&app, &w.assessor, &format!("/v1/recommendations/{id}/votes"), json!({"choice": "in_favour"})).await;
        assert_eq!(s, 409, "{body}");
        assert_eq!(body["code"], "conflict_of_interest", "{body}");
        let rec = get(&app, &w.council, &format!("/v1/recommendations/{id}")).await;
        assert_eq!(rec["votes"], json!([]));
        // The two other members still make the majority of three.
        for m in &w.members[..2] {
            let (s, v) = post(&app, &m.1, &format!("/v1/recommendations/{id}/votes"), json!({"choice": "in_favour"})).await;
            assert_eq!(s, 200, "{v}");
        }
        assert_eq!(get(&app, &w.council, &format!("/v1/recommendations/{id}")).await["status"], "adopted");
    }

    async fn a_correction_supersedes_the_earlier_decision(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 1).await;
        put_in_force(&app).await;
        let case = &cases[0];
        let rec = adopted(&app, &w, case).await;
        let (s, issued) = decide(&app, &w.council, &rec, json!({"action": "approve"})).await;
        assert_eq!(s, 200, "{issued}");
        let first = issued["decision"]["id"].as_str().unwrap().to_owned();
        let award = issued["award"]["id"].as_str().unwrap().to_owned();
        // No correction without an explanation.
        let (s, body) = post(&app, &w.council, &format!("/v1/decisions/{first}/corrections"),
            json!({"reason": "computational_error", "explanation": " ", "amount": eur("70000.00")})).await;
        assert_eq!(s, 409, "{body}");
        let (s, corrected) = post(&app, &w.council, &format!("/v1/decisions/{first}/corrections"),
            json!({"reason": "computational_error", "explanation": "The floor area is 102.9 m², not 112.5 m².",
                   "amount": eur("70000.00"), "meeting_reference": "C/2026/11"})).await;
        assert_eq!(s, 201, "{corrected}");
        assert_eq!(corrected["decision"]["number"], "ICC-DEC-2026-000002");
        assert_eq!(corrected["decision"]["supersedes"]["decision"], first);
        assert_eq!(corrected["decision"]["supersedes"]["number"], "ICC-DEC-2026-000001");
        assert_eq!(corrected["award"]["id"], award);
        assert_eq!(corrected["award"]["amount"], eur("70000.00"));
        // The history shows both; the earlier one is unchanged but superseded.
        let history = get(&app, &w.council, &format!("/v1/cases/{case}/decisions")).await;
        let history = history["items"].clone();
        let list = history.as_array().unwrap();
        assert_eq!(list.len(), 2, "{history}");
        assert_eq!(list[0]["id"], first);
        assert_eq!(list[0]["outcome"]["amount"], eur("76500.00"));
        assert_eq!(list[0]["superseded_by"], corrected["decision"]["id"]);
        assert_eq!(list[1]["superseded_by"], Value::Null);
        // The superseded decision is not corrected again.
        let (s, body) = post(&app, &w.council, &format!("/v1/decisions/{first}/corrections"),
            json!({"reason": "clerical_error", "explanation": "again", "amount": eur("60000.00")})).await;
        assert_eq!(s, 409, "{body}");
        let claim = get(&app, &w.assessor, &format!("/v1/cases/{case}")).await["claim_id"].as_str().unwrap().to_owned();
        let mine = get(&app, &w.claimant, &format!("/v1/claims/{claim}/decisions")).await;
        let mine = mine["items"].clone();
        assert_eq!(mine.as_array().unwrap().len(), 2);
        assert_eq!(mine[0]["superseded"], true);
        assert_eq!(mine[1]["superseded"], false);
    }

    async fn a_released_batch_goes_through_the_panel_and_the_council_in_bulk(app: TestApp) {
        let w = world(&app, false).await;
        let (_, reviewer) = app.account("Reviewer", &[Role::Assessor]).await;
        let cases: Vec<SyntheticCase> = (0..20)
            .map(|i| SyntheticCase {
                category: "A3.1".into(),
                region: Some("UA-32".into()),
                claimant_key: Some(format!("batch-claimant-{i}")),
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
        let (s, batch) = post(&app, &w.assessor, "/v1/batches",
            json!({"category": "A3.1", "region": "UA-32", "sample_share": "0.01", "sample_minimum": 2})).await;
        assert_eq!(s, 201, "{batch}");
        assert_eq!(batch["case_count"], 20, "{batch}");
        let bid = batch["id"].as_str().unwrap().to_owned();
        app.state.jobs.pause(true);
        let (s, job) = post(&app, &w.assessor, &format!("/v1/batches/{bid}/assess"), json!({})).await;
        assert_eq!(s, 202, "{job}");
        while server::jobs::run_once(&app.state.app, &app.state.jobs, "test", None).await.unwrap().is_some() {}
        let batch = get(&app, &w.assessor, &format!("/v1/batches/{bid}")).await;
        assert_eq!(batch["status"], "in_review", "{batch}");
        for c in batch["sample"].as_array().unwrap() {
            let (s, b) = post(&app, &reviewer, &format!("/v1/batches/{bid}/sample/{}", c.as_str().unwrap()),
                json!({"finding": "confirmed"})).await;
            assert_eq!(s, 200, "{b}");
        }
        let batch = get(&app, &w.council, &format!("/v1/batches/{bid}")).await;
        let (s, out) = json(app.post(&format!("/v1/batches/{bid}/release")).bearer_auth(&w.council)
            .header("if-match", format!("\"v{}\"", batch["version"])).send().await.unwrap()).await;
        assert_eq!(s, 200, "{out}");
        assert_eq!(out["batch"]["status"], "released", "{out}");

        put_in_force(&app).await;
        // The panel recommends the whole batch at each case's assessed amount.
        let (s, recs) = post(&app, &w.members[0].1, &format!("/v1/batches/{bid}/recommendations"),
            json!({"panel": w.panel, "outcome": "award"})).await;
        assert_eq!(s, 201, "{recs}");
        let recs: Vec<String> = recs.as_array().unwrap().iter().map(|r| {
            assert_eq!(r["batch_id"], bid.as_str());
            assert_eq!(r["outcome"]["amount"], eur("76500.00"), "{r}");
            r["id"].as_str().unwrap().to_owned()
        }).collect();
        assert_eq!(recs.len(), 20);
        // Two of three members adopt each, one call per member for the
        // whole batch; adoption puts a decision before the Council.
        let ballot: Vec<Value> = recs.iter()
            .map(|rec| json!({"recommendation": rec, "choice": "in_favour"})).collect();
        let (s, first) = post(&app, &w.members[0].1, "/v1/recommendations/votes", json!({"items": ballot})).await;
        assert_eq!(s, 200, "{first}");
        assert!(first.as_array().unwrap().iter().all(|r| r["status"] == 200 && r["result"]["status"] == "open"), "{first}");
        // Each member votes once: the same ballot again is refused item by item.
        let (s, again) = post(&app, &w.members[0].1, "/v1/recommendations/votes", json!({"items": ballot[..2]})).await;
        assert_eq!(s, 200, "{again}");
        assert!(again.as_array().unwrap().iter().all(|r| r["status"] == 409 && r["result"].is_null()), "{again}");
        // Someone who is not on the panel may not vote at all; an empty ballot is invalid.
        problem(app.post("/v1/recommendations/votes").bearer_auth(&w.claimant).json(&json!({"items": ballot[..1]}))
            .send().await.unwrap(), 403, "forbidden").await;
        problem(app.post("/v1/recommendations/votes").bearer_auth(&w.members[1].1).json(&json!({"items": []}))
            .send().await.unwrap(), 422, "validation").await;
        let (s, second) = post(&app, &w.members[1].1, "/v1/recommendations/votes", json!({"items": ballot})).await;
        assert_eq!(s, 200, "{second}");
        let second = second.as_array().unwrap();
        assert_eq!(second.len(), 20);
        let mut items = Vec::new();
        for (rec, r) in recs.iter().zip(second) {
            assert_eq!(r["recommendation"], rec.as_str(), "in the order given: {r}");
            let last = &r["result"];
            assert_eq!(last["status"], "adopted", "{last}");
            assert_eq!(last["decision"]["status"], "awaiting_council", "{last}");
            items.push(json!({"recommendation": rec, "if_match": format!("\"v{}\"", last["decision"]["version"]), "action": "approve"}));
        }
        // One item at a stale version is refused on its own.
        let mut stale = items[0].clone();
        stale["if_match"] = json!(format!("\"v{}\"", last_version(&items[0]) + 1));
        let (s, out) = post(&app, &w.council, "/v1/recommendations/decisions",
            json!({"meeting_reference": "C/2026/12", "items": [stale]})).await;
        assert_eq!(s, 200, "{out}");
        assert_eq!(out[0]["status"], 412, "{out}");
        let (s, out) = post(&app, &w.council, "/v1/recommendations/decisions",
            json!({"meeting_reference": "C/2026/12", "items": items})).await;
        assert_eq!(s, 200, "{out}");
        let out = out.as_array().unwrap();
        assert_eq!(out.len(), 20);
        for (i, r) in out.iter().enumerate() {
            assert_eq!(r["status"], 200, "{r}");
            assert_eq!(r["result"]["decision"]["number"], format!("ICC-DEC-2026-{:06}", i + 1), "{r}");
            assert_eq!(r["result"]["decision"]["meeting_reference"], "C/2026/12");
            assert_eq!(r["result"]["award"]["amount"], eur("76500.00"));
        }
        let awards = get(&app, &w.council, "/v1/awards").await;
        let awards = awards["items"].clone();
        assert_eq!(awards.as_array().unwrap().len(), 20, "{awards}");
        let ready = get(&app, &w.council, &format!("/v1/cases?batch={bid}&status=decided&limit=500")).await;
        assert_eq!(ready["items"].as_array().unwrap().len(), 20);
    }


    async fn payees_are_set_and_an_unreachable_payee_holds_payments(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 1).await;
        put_in_force(&app).await;
        let rec = adopted(&app, &w, &cases[0]).await;
        let (s, issued) = decide(&app, &w.council, &rec, json!({"action": "approve"})).await;
        assert_eq!(s, 200, "{issued}");
        let award = issued["award"]["id"].as_str().unwrap().to_owned();
        assert_eq!(issued["award"]["payees"], json!({"payee": "claimant"}));
        let path = format!("/v1/awards/{award}/payees");
        let put = reqwest::Method::PUT;
        // Heirs' shares must sum to exactly 1.
        let p = problem(on_award(&app, &w.council, &award, put.clone(), &path, Some(json!({"payee": "heirs", "heirs": [
            {"name": "Olena K.", "share": "0.5"}, {"name": "Petro K.", "share": "0.3"}]}))).await, 422, "validation").await;
        assert_eq!(p["code"], "shares_do_not_sum_to_one", "{p}");
        let p = problem(on_award(&app, &w.council, &award, put.clone(), &path, Some(json!({"payee": "representative", "name": " "}))).await,
            422, "validation").await;
        assert_eq!(p["code"], "empty_name", "{p}");
        // Without If-Match: 428.
        problem(app.request(put.clone(), &path).bearer_auth(&w.council).json(&json!({"payee": "claimant"}))
            .send().await.unwrap(), 428, "precondition-required").await;
        let (s, a) = json(on_award(&app, &w.council, &award, put.clone(), &path, Some(json!({"payee": "heirs", "heirs": [
            {"name": "Olena K.", "share": "0.5"}, {"name": "Petro K.", "share": "0.25"}, {"name": "Ivan K.", "share": "0.25"}]}))).await).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["payees"]["heirs"].as_array().unwrap().len(), 3, "{a}");
        let (s, a) = json(on_award(&app, &w.council, &award, put.clone(), &path, Some(json!({"payee": "representative", "name": "Advokat M."}))).await).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["payees"], json!({"payee": "representative", "name": "Advokat M."}));
        // Only staff who record payments set payees.
        problem(app.request(put.clone(), &path).bearer_auth(&w.claimant).header("if-match", "\"v1\"")
            .json(&json!({"payee": "claimant"})).send().await.unwrap(), 403, "forbidden").await;

        // Unreachable: the status says so and no payment is recorded.
        let mark = format!("/v1/awards/{award}/payee-unreachable");
        problem(app.post(&mark).bearer_auth(&w.council).send().await.unwrap(), 428, "precondition-required").await;
        let (s, a) = json(on_award(&app, &w.council, &award, reqwest::Method::POST, &mark, None).await).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "payee_unreachable", "{a}");
        let (s, again) = json(on_award(&app, &w.council, &award, reqwest::Method::POST, &mark, None).await).await;
        assert_eq!(s, 409, "{again}");
        let (s, round) = post(&app, &w.council, "/v1/payment-rounds", json!({"available": eur("1000.00")})).await;
        assert_eq!(s, 201, "{round}");
        assert_eq!(round["preview"]["lines"], json!([]), "an unreachable payee is left out of a round: {round}");
        // Reversed: the award is as before.
        let (s, a) = json(on_award(&app, &w.council, &award, reqwest::Method::DELETE, &mark, None).await).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "awarded", "{a}");
        let (s, again) = json(on_award(&app, &w.council, &award, reqwest::Method::DELETE, &mark, None).await).await;
        assert_eq!(s, 409, "{again}");
        assert_eq!(again["code"], "payee_reachable");
        // New payee details also make an unreachable payee reachable.
        let (s, _) = json(on_award(&app, &w.council, &award, reqwest::Method::POST, &mark, None).await).await;
        assert_eq!(s, 200);
        let (s, a) = json(on_award(&app, &w.council, &award, put.clone(), &path, Some(json!({"payee": "claimant"}))).await).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["status"], "awarded", "{a}");

        // Each change is audited.
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        let (s, log) = json(app.get(&format!("/v1/audit?target_type=award&target_id={award}&limit=500")).bearer_auth(&auditor).send().await.unwrap()).await;
        assert_eq!(s, 200, "{log}");
        let text = log.to_string();
        for action in ["award.payees_changed", "award.payee_unreachable", "award.payee_reached"] {
            assert!(text.contains(action), "{action}: {log}");
        }
    }

}
