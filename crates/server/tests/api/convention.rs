//! The ratification tracker and the Commission's go-live gate, through HTTP.

use crate::support::{TestApp, json, problem};
use kernel::Role;
use serde_json::{Value, json};
use store::NewAccount;
use time::macros::datetime;

async fn depositary(app: &TestApp) -> String {
    app.account("Depositary", &[Role::Depositary]).await.1
}

async fn state_representative(app: &TestApp, participant: &str) -> String {
    app.account_with(NewAccount {
        display_name: format!("Representative of {participant}"),
        roles: vec![Role::State],
        clearances: vec![],
        participant: Some(participant.into()),
        external_subject: None,
    })
    .await
    .1
}

async fn record(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
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

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = json(app.get(path).send().await.unwrap()).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// The codes of the seeded participants, in the chart's order.
async fn codes(app: &TestApp) -> Vec<String> {
    get(app, "/v1/convention/participants").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_owned())
        .collect()
}

/// 25 ratifications (the last on 12 May 2026) whose contributions, known
/// from 20 May 2026, reach half of the assumed 2025 budget (25 × 150,000
/// of 7,384,300 EUR): the conditions are met on 20 May, so the convention
/// enters into force on 1 September 2026.
async fn reach_the_conditions(app: &TestApp, token: &str) {
    let codes = codes(app).await;
    for (i, code) in codes.iter().take(25).enumerate() {
        let date = if i == 24 {
            "2026-05-12".to_owned()
        } else {
            format!("2026-03-{:02}", i + 1)
        };
        let (status, body) = record(
            app,
            token,
            "/v1/convention/actions",
            json!({"participant": code, "kind": "ratification", "date": date}),
        )
        .await;
        assert_eq!(status, 201, "{code}: {body}");
    }
    for code in codes.iter().take(25) {
        let (status, body) = record(
            app,
            token,
            "/v1/convention/weights",
            weight(code, "150000.00", "2026-05-20"),
        )
        .await;
        assert_eq!(status, 201, "{code}: {body}");
    }
}

/// A participant's contribution to the Register of Damage's 2025 budget.
fn weight(code: &str, value: &str, date: &str) -> Value {
    json!({"participant": code, "basis": "rd4u-2025-budget", "value": value, "unit": "EUR",
        "source": "Register of Damage: contributions to the 2025 budget", "date": date})
}

both! {
    async fn seeded_participants_and_the_chart(app: TestApp) {
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["participants"], 36);
        assert_eq!(overview["signatories"], 36);
        assert_eq!(overview["in_force"], false);
        assert_eq!(overview["counted_consents"], 0);
        assert_eq!(overview["threshold"], 25);
        assert_eq!(overview["entry_into_force"], Value::Null);
        assert_eq!(overview["rule_is_assumed_reading"], true);
        assert_eq!(overview["missing"][0]["condition"], "consents");
        assert_eq!(overview["missing"][0]["needed"], 25);
        // The assumed reading: half of the Register of Damage's 2025 budget
        // (EUR 7,384,300, assumed) from the contributions of ratifying
        // signatories.
        assert_eq!(overview["missing"][1], json!({
            "condition": "weighted", "basis": "rd4u-2025-budget", "needed": "3692150.00",
            "unit": "EUR", "description": overview["missing"][1]["description"]}));
        assert_eq!(overview["weighted"][0]["share"], "0.5");
        assert_eq!(overview["weighted"][0]["total"], "7384300.00");
        assert_eq!(overview["weighted"][0]["total_assumed"], true);
        assert_eq!(overview["weighted"][0]["counted"], "0.00");
        assert_eq!(overview["weighted"][0]["met"], false);
        assert_eq!(overview["funding"]["target"], json!({"amount": "50000000.00", "currency": "EUR"}));

        let chart = get(&app, "/v1/convention/participants").await;
        let chart = chart["items"].clone();
        let greece = chart
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "GR")
            .unwrap();
        assert_eq!(greece["signed_on"], "2025-12-19");
        assert_eq!(greece["consent"], Value::Null);
        assert_eq!(greece["council_of_europe_member"], true);

        let response = app
            .get("/v1/convention/participants")
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = response.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("code,name,name_uk,kind,council_of_europe_member,signed_on,consent"));
        assert!(lines.len() > 36, "header and 36 rows: {}", lines.len());
        assert!(lines.iter().any(|l| l.starts_with("EU,European Union,Європейський Союз,organisation,false,2025-12-16")));

        // The seed is audited once, by the system.
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        let (status, log) = json(
            app.get("/v1/audit?action=convention.seeded")
                .bearer_auth(&auditor)
                .send()
                .await
                .unwrap(),
        )
        .await;
        if status == 200 {
            let items = log["items"].as_array().unwrap();
            assert!(items.iter().any(|e| e["action"] == "convention.seeded" && e["actor_role"] == "system"), "{log}");
        }
    }

    async fn entry_into_force_and_the_gate(app: TestApp) {
        app.clock.set(datetime!(2026-06-30 12:00 UTC));
        let token = depositary(&app).await;
        reach_the_conditions(&app, &token).await;

        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["counted_consents"], 25);
        assert_eq!(overview["in_force"], false);
        assert_eq!(overview["conditions_met_on"], "2026-05-20");
        assert_eq!(overview["entry_into_force"], "2026-09-01");
        assert_eq!(overview["entry_into_force_is"], "projected");
        assert_eq!(overview["missing"], json!([]));
        assert_eq!(overview["funding"]["determination_date"], Value::Null);
        assert_eq!(overview["weighted"][0]["counted"], "3750000.00");
        assert_eq!(overview["weighted"][0]["share_reached"], "0.5078");
        assert_eq!(overview["weighted"][0]["met"], true);

        // Before the date the gate is closed, with the figures: a status
        // resource answers 200 whatever the status.
        let (status, body) = json(app.get("/v1/commission/status").send().await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["may_act"], false, "{body}");
        assert_eq!(body["reason"], "commission_not_in_force", "{body}");
        assert_eq!(body["counted_consents"], 25);
        assert_eq!(body["threshold"], 25);
        assert_eq!(body["projected_entry_into_force"], "2026-09-01");
        assert_eq!(body["missing"], json!([]));
        assert!(app::gate::commission_may_act(&app.state.app).await.is_err());

        app.clock.set(datetime!(2026-08-31 23:59 UTC));
        let (status, body) = json(app.get("/v1/commission/status").send().await.unwrap()).await;
        assert_eq!((status, &body["may_act"]), (200, &json!(false)), "{body}");

        // On the date it opens, without a restart.
        app.clock.set(datetime!(2026-09-01 00:00 UTC));
        let (status, body) = json(app.get("/v1/commission/status").send().await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["may_act"], true);
        assert_eq!(body["reason"], Value::Null);
        assert_eq!(body["missing"], json!([]));
        assert_eq!(body["entry_into_force"], "2026-09-01");
        assert!(app::gate::commission_may_act(&app.state.app).await.is_ok());
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["in_force"], true);
        assert_eq!(overview["entry_into_force_is"], "past");

        // Each participant bound by then enters into force with it.
        let chart = get(&app, "/v1/convention/participants").await;
        let chart = chart["items"].clone();
        let bound: Vec<&Value> = chart
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["consent"] == "ratification")
            .collect();
        assert_eq!(bound.len(), 25);
        assert!(bound.iter().all(|p| p["entry_into_force"] == "2026-09-01" && p["consent_symbol"] == "R"));

        // Events: the date appeared with the last weight, and entry into
        // force was stored once when the date was reached.
        get(&app, "/v1/convention").await;
        let events = get(&app, "/v1/convention/events").await;
        let kinds: Vec<&str> = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["entry_into_force_date_changed", "entered_into_force"], "{events}");
        assert_eq!(events["events"][0]["event"]["previous"], Value::Null);
        assert_eq!(events["events"][0]["event"]["current"], "2026-09-01");
        assert_eq!(events["events"][1]["event"]["on"], "2026-09-01");
    }

    async fn the_gate_stays_closed_while_contributions_fall_short_of_half_the_budget(app: TestApp) {
        app.clock.set(datetime!(2026-12-31 12:00 UTC));
        let token = depositary(&app).await;
        for code in codes(&app).await.iter().take(25) {
            let (status, body) = record(
                &app,
                &token,
                "/v1/convention/actions",
                json!({"participant": code, "kind": "acceptance", "date": "2026-04-01"}),
            )
            .await;
            assert_eq!(status, 201, "{body}");
            // 25 × 100,000 = 2,500,000 EUR: under half of 7,384,300.
            let (status, body) = record(&app, &token, "/v1/convention/weights", weight(code, "100000.00", "2026-04-01")).await;
            assert_eq!(status, 201, "{body}");
        }
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["counted_consents"], 25);
        assert_eq!(overview["in_force"], false);
        assert_eq!(overview["entry_into_force"], Value::Null);
        assert_eq!(overview["weighted"][0]["counted"], "2500000.00");
        assert_eq!(overview["weighted"][0]["share_reached"], "0.3385");
        assert_eq!(overview["missing"].as_array().unwrap().len(), 1, "{overview}");
        assert_eq!(overview["missing"][0]["condition"], "weighted");
        assert_eq!(overview["missing"][0]["needed"], "1192150.00");
        let (status, body) = json(app.get("/v1/commission/status").send().await.unwrap()).await;
        assert_eq!((status, &body["may_act"]), (200, &json!(false)), "{body}");
        assert_eq!(body["missing"][0]["condition"], "weighted", "{body}");
        assert_eq!(body["missing"][0]["needed"], "1192150.00", "{body}");
        assert_eq!(body["projected_entry_into_force"], Value::Null);

        // One more contribution that carries the share over half: the
        // conditions are met on its date, 1 December, so the convention
        // enters into force on the first day of the month after three
        // months.
        let codes = codes(&app).await;
        let (status, body) = record(&app, &token, "/v1/convention/weights", weight(&codes[0], "1300000.00", "2026-12-01")).await;
        assert_eq!(status, 201, "{body}");
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["conditions_met_on"], "2026-12-01", "{overview}");
        assert_eq!(overview["entry_into_force"], "2027-04-01");
        assert_eq!(overview["missing"], json!([]));
    }

    async fn bad_treaty_actions_are_clear_problems(app: TestApp) {
        app.clock.set(datetime!(2026-06-30 12:00 UTC));
        let token = depositary(&app).await;
        // Greece signed on 19 December 2025.
        let body = problem(
            app.post("/v1/convention/actions")
                .bearer_auth(&token)
                .json(&json!({"participant": "GR", "kind": "ratification", "date": "2025-12-18"}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "date");
        assert_eq!(body["errors"][0]["code"], "consent_before_signature");

        let (status, _) = record(
            &app,
            &token,
            "/v1/convention/actions",
            json!({"participant": "GR", "kind": "ratification", "date": "2026-02-01"}),
        )
        .await;
        assert_eq!(status, 201);
        let body = problem(
            app.post("/v1/convention/actions")
                .bearer_auth(&token)
                .json(&json!({"participant": "GR", "kind": "approval", "date": "2026-03-01"}))
                .send()
                .await
                .unwrap(),
            409,
            "conflict",
        )
        .await;
        assert_eq!(body["code"], "second_consent");

        // Malformed fields, all reported at once.
        let body = problem(
            app.post("/v1/convention/actions")
                .bearer_auth(&token)
                .json(&json!({"participant": "UK", "kind": "consent", "date": "16/12/2025"}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["participant", "kind", "date"]);

        // A participant not in the record, and a date in the future.
        let body = problem(
            app.post("/v1/convention/actions")
                .bearer_auth(&token)
                .json(&json!({"participant": "BR", "kind": "accession", "date": "2026-03-01"}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(body["errors"][0]["code"], "unknown_participant");
        let body = problem(
            app.post("/v1/convention/actions")
                .bearer_auth(&token)
                .json(&json!({"participant": "UA", "kind": "ratification", "date": "2026-07-01"}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(body["errors"][0]["code"], "future_date");
    }

    async fn staff_only_and_by_role(app: TestApp) {
        let action = json!({"participant": "UA", "kind": "ratification", "date": "2026-02-01"});
        problem(
            app.post("/v1/convention/actions").json(&action).send().await.unwrap(),
            401,
            "unauthenticated",
        )
        .await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        for path in [
            "/v1/convention/actions",
            "/v1/convention/pledges",
            "/v1/convention/funding-determinations",
            "/v1/convention/contributions",
            "/v1/convention/exchange-rates",
        ] {
            problem(
                app.post(path).bearer_auth(&claimant).json(&action).send().await.unwrap(),
                403,
                "forbidden",
            )
            .await;
        }
        // A state representative pledges, but records no treaty action.
        let france = state_representative(&app, "FR").await;
        problem(
            app.post("/v1/convention/actions").bearer_auth(&france).json(&action).send().await.unwrap(),
            403,
            "forbidden",
        )
        .await;
        // The public reads need no token.
        for path in [
            "/v1/convention",
            "/v1/convention/participants",
            "/v1/convention/timeline",
            "/v1/convention/funding",
            "/v1/convention/events",
        ] {
            assert_eq!(app.get(path).send().await.unwrap().status(), 200, "{path}");
        }
    }

    async fn pledges_contributions_and_totals(app: TestApp) {
        app.clock.set(datetime!(2026-06-30 12:00 UTC));
        let token = depositary(&app).await;
        let france = state_representative(&app, "FR").await;

        // A state representative pledges for its own participant only.
        let (status, pledge) = record(
            &app,
            &france,
            "/v1/convention/pledges",
            json!({"amount": {"amount": "5000000.00", "currency": "EUR"}, "date": "2026-02-01"}),
        )
        .await;
        assert_eq!(status, 201, "{pledge}");
        assert_eq!(pledge["participant"], "FR");
        assert_eq!(pledge["amount"], json!({"amount": "5000000.00", "currency": "EUR"}));
        let body = problem(
            app.post("/v1/convention/pledges")
                .bearer_auth(&france)
                .json(&json!({"participant": "DE", "amount": {"amount": "1", "currency": "EUR"}, "date": "2026-02-01"}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "participant");
        assert_eq!(body["errors"][0]["code"], "not_own_participant");

        // An unknown currency names its field.
        let body = problem(
            app.post("/v1/convention/pledges")
                .bearer_auth(&token)
                .json(&json!({"participant": "GB", "amount": {"amount": "10", "currency": "XYZ"}, "date": "2026-02-01"}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "amount.currency");
        assert_eq!(body["errors"][0]["code"], "unknown_currency");
        let body = problem(
            app.post("/v1/convention/pledges")
                .bearer_auth(&token)
                .json(&json!({"participant": "GB", "amount": {"amount": "-10", "currency": "GBP"}, "date": "2026-02-01"}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(body["errors"][0]["code"], "non_positive_amount");

        // The depositary pledges for anyone; a GBP pledge needs a rate.
        let (status, _) = record(
            &app,
            &token,
            "/v1/convention/pledges",
            json!({"participant": "GB", "amount": {"amount": "1000000", "currency": "GBP"}, "date": "2026-02-01"}),
        )
        .await;
        assert_eq!(status, 201);
        let funding = get(&app, "/v1/convention/funding").await;
        assert_eq!(funding["totals_unavailable"]["code"], "missing_exchange_rate");
        let (status, rate) = record(
            &app,
            &token,
            "/v1/convention/exchange-rates",
            json!({"from": "GBP", "to": "EUR", "rate": "1.1725", "date": "2026-01-30", "source": "ECB"}),
        )
        .await;
        assert_eq!(status, 201, "{rate}");
        problem(
            app.post("/v1/convention/exchange-rates")
                .bearer_auth(&token)
                .json(&json!({"from": "GBP", "to": "EUR", "rate": "1.1725", "date": "2026-01-30", "source": "ECB"}))
                .send()
                .await
                .unwrap(),
            409,
            "conflict",
        )
        .await;
        let (status, contribution) = record(
            &app,
            &token,
            "/v1/convention/contributions",
            json!({"participant": "FR", "amount": {"amount": "10000000", "currency": "EUR"}, "date": "2026-03-01", "note": "first instalment"}),
        )
        .await;
        assert_eq!(status, 201, "{contribution}");

        let funding = get(&app, "/v1/convention/funding").await;
        assert_eq!(funding["totals_unavailable"], Value::Null, "{funding}");
        assert_eq!(funding["pledged"], json!({"amount": "6172500.00", "currency": "EUR"}));
        assert_eq!(funding["confirmed"], json!({"amount": "10000000.00", "currency": "EUR"}));
        assert_eq!(funding["confirmed_share"], "0.20");
        assert_eq!(funding["target_met"], false);
        assert_eq!(funding["pledges"], 2);
        assert_eq!(funding["contributions"], 1);
    }

    async fn corrections_supersede_and_the_timeline_shows_both(app: TestApp) {
        app.clock.set(datetime!(2026-06-30 12:00 UTC));
        let token = depositary(&app).await;
        let (_, first) = record(
            &app,
            &token,
            "/v1/convention/actions",
            json!({"participant": "UA", "kind": "ratification", "date": "2026-03-02"}),
        )
        .await;
        let (status, fix) = record(
            &app,
            &token,
            "/v1/convention/actions",
            json!({"participant": "UA", "kind": "ratification", "date": "2026-03-03",
                   "supersedes": first["id"], "reason": "date misread from the instrument"}),
        )
        .await;
        assert_eq!(status, 201, "{fix}");
        // The corrected entry cannot be corrected a second time.
        let body = problem(
            app.post("/v1/convention/actions")
                .bearer_auth(&token)
                .json(&json!({"participant": "UA", "kind": "ratification", "date": "2026-03-04", "supersedes": first["id"]}))
                .send()
                .await
                .unwrap(),
            409,
            "conflict",
        )
        .await;
        assert_eq!(body["code"], "already_superseded");

        let timeline = get(&app, "/v1/convention/timeline").await;
        let entries = timeline["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 39, "36 signatures, the assumed budget total, the entry and its correction");
        let original = entries.iter().find(|e| e["id"] == first["id"]).unwrap();
        assert_eq!(original["superseded"], true);
        assert_eq!(original["superseded_by"], fix["id"]);
        let corrected = entries.iter().find(|e| e["id"] == fix["id"]).unwrap();
        assert_eq!(corrected["superseded"], false);
        assert_eq!(corrected["supersedes"], first["id"]);
        assert_eq!(corrected["participant_name"], "Ukraine");
        let dates: Vec<&str> = entries.iter().map(|e| e["date"].as_str().unwrap()).collect();
        let mut sorted = dates.clone();
        sorted.sort_unstable();
        assert_eq!(dates, sorted, "date order");

        let chart = get(&app, "/v1/convention/participants").await;
        let chart = chart["items"].clone();
        let ukraine = chart.as_array().unwrap().iter().find(|p| p["code"] == "UA").unwrap();
        assert_eq!(ukraine["consent_on"], "2026-03-03");
        assert_eq!(get(&app, "/v1/convention").await["counted_consents"], 1);
    }
}

both! {
    configured(|s| {
        s.convention_rule = ratification::EntryIntoForceRule::council_determination_reading();
    });
    async fn the_council_determination_reading_stays_available(app: TestApp) {
        app.clock.set(datetime!(2026-12-31 12:00 UTC));
        let token = depositary(&app).await;
        for code in codes(&app).await.iter().take(25) {
            let (status, body) = record(&app, &token, "/v1/convention/actions",
                json!({"participant": code, "kind": "acceptance", "date": "2026-04-01"})).await;
            assert_eq!(status, 201, "{body}");
        }
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["rule_is_assumed_reading"], false);
        assert_eq!(overview["missing"], json!([{"condition": "funding_determination",
            "description": overview["missing"][0]["description"]}]));
        let (status, body) = record(&app, &token, "/v1/convention/funding-determinations",
            json!({"date": "2026-05-20", "text": "Council decision 2026/1: commitments are sufficient"})).await;
        assert_eq!(status, 201, "{body}");
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["entry_into_force"], "2026-09-01");
        assert_eq!(overview["in_force"], true);
    }
}
