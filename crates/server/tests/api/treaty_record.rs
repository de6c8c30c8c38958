//! The treaty record as the depositary keeps it: new participants joining
//! with their signature, weights and basis totals and their bad input, a
//! past that only a reasoned correction can change, the record as it stood
//! on a day, and the timeline as an Atom feed.

use crate::decisions::{adopted, assessed_cases, decide, world};
use crate::support::{TestApp, json, problem};
use kernel::Role;
use serde_json::{Value, json};
use time::macros::datetime;

async fn depositary(app: &TestApp) -> String {
    app.account("Depositary", &[Role::Depositary]).await.1
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
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

async fn refused(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Value,
    status: u16,
    kind: &str,
) -> Value {
    problem(
        app.post(path)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
        status,
        kind,
    )
    .await
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = json(app.get(path).send().await.unwrap()).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn text(app: &TestApp, path: &str, accept: &str) -> (String, String) {
    let response = app.get(path).header("accept", accept).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (content_type, response.text().await.unwrap())
}

fn japan() -> Value {
    json!({"participant": "JP", "kind": "signature", "date": "2026-03-01",
        "new_participant": {"name": "Japan", "name_uk": "Японія", "kind": "state"}})
}

fn field_codes(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

both! {
    async fn a_state_that_signs_later_joins_the_record_with_its_signature(app: TestApp) {
        app.clock.set(datetime!(2026-06-30 12:00 UTC));
        let token = depositary(&app).await;
        // Not in the record yet: a plain signature names an unknown participant.
        let body = refused(&app, &token, "/v1/convention/actions",
            json!({"participant": "JP", "kind": "signature", "date": "2026-03-01"}), 422, "validation").await;
        assert_eq!(body["errors"][0]["code"], "unknown_participant", "{body}");

        let (status, body) = post(&app, &token, "/v1/convention/actions", japan()).await;
        assert_eq!(status, 201, "{body}");
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["participants"], 37);
        assert_eq!(overview["signatories"], 37);

        let chart = get(&app, "/v1/convention/participants").await;
        let jp = chart["items"].as_array().unwrap().iter().find(|p| p["code"] == "JP").expect("JP in the chart");
        assert_eq!(jp["name"], "Japan");
        assert_eq!(jp["name_uk"], "Японія");
        assert_eq!(jp["signed_on"], "2026-03-01");
        assert_eq!(jp["council_of_europe_member"], false);
        let (content_type, csv) = text(&app, "/v1/convention/participants", "text/csv").await;
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        assert!(csv.lines().any(|l| l.starts_with("JP,Japan,Японія,")), "{csv}");

        let (_, page) = text(&app, "/", "text/html").await;
        assert!(page.contains("Japan"), "the tracker lists Japan");
        // What is missing names the instruments the rule counts: under the
        // assumed reading an accession does not.
        assert!(page.contains("more consents to be bound (ratification, acceptance or approval)"), "{page}");
        let (_, page) = text(&app, "/?lang=uk", "text/html").await;
        assert!(page.contains("Японія"), "the Ukrainian tracker names it in Ukrainian");
        assert!(page.contains("Франція") && page.contains("Європейський Союз"), "and the first signatories too");

        // Joining is audited and announced, once.
        let events = get(&app, "/v1/convention/events").await;
        let added: Vec<&Value> = events["events"].as_array().unwrap().iter()
            .filter(|e| e["kind"] == "participant_added").collect();
        assert_eq!(added.len(), 1, "{events}");
        assert_eq!(added[0]["event"]["participant"], "JP");
        let timeline = get(&app, "/v1/convention/timeline").await;
        assert!(timeline["entries"].as_array().unwrap().iter()
            .any(|e| e["participant"] == "JP" && e["kind"] == "signature"), "{timeline}");

        // A second participant with the same code is a conflict, and the
        // record is unchanged.
        let body = refused(&app, &token, "/v1/convention/actions", japan(), 409, "conflict").await;
        assert_eq!(body["code"], "participant_exists", "{body}");
        assert_eq!(get(&app, "/v1/convention").await["participants"], 37);

        // Bad codes and details, each with its field.
        let mut bad = japan();
        bad["participant"] = json!("J1");
        let body = refused(&app, &token, "/v1/convention/actions", bad, 422, "validation").await;
        assert_eq!(body["errors"][0]["field"], "participant", "{body}");
        let mut bad = japan();
        bad["participant"] = json!("KR");
        bad["new_participant"]["kind"] = json!("empire");
        bad["new_participant"]["name"] = json!(" ");
        let body = refused(&app, &token, "/v1/convention/actions", bad, 422, "validation").await;
        let fields: Vec<String> = field_codes(&body).into_iter().map(|(f, _)| f).collect();
        assert!(fields.contains(&"new_participant.name".to_owned()), "{body}");
        assert!(fields.contains(&"new_participant.kind".to_owned()), "{body}");
        // Japan is no member state of the Council of Europe.
        let mut bad = japan();
        bad["participant"] = json!("KR");
        bad["new_participant"]["council_of_europe_member"] = json!(true);
        let body = refused(&app, &token, "/v1/convention/actions", bad, 422, "validation").await;
        assert_eq!(body["errors"][0]["field"], "new_participant.council_of_europe_member", "{body}");
        // A participant joins with its signature, or with an accession the
        // rule admits (the default reading does, though only signatories'
        // consents count towards entry into force), never with a ratification.
        let mut bad = japan();
        bad["participant"] = json!("KR");
        bad["kind"] = json!("ratification");
        let body = refused(&app, &token, "/v1/convention/actions", bad, 422, "validation").await;
        assert_eq!(body["errors"][0]["code"], "joins_by_signature_or_accession", "{body}");
        assert_eq!(get(&app, "/v1/convention").await["participants"], 37);
        let mut korea = japan();
        korea["participant"] = json!("KR");
        korea["kind"] = json!("accession");
        korea["date"] = json!("2026-04-01");
        korea["new_participant"] = json!({"name": "Republic of Korea", "name_uk": "Республіка Корея", "kind": "state"});
        let (status, body) = post(&app, &token, "/v1/convention/actions", korea).await;
        assert_eq!(status, 201, "{body}");
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["participants"], 38);
        assert_eq!(overview["counted_consents"], 0, "an accession does not count: {overview}");

        // The new signatory ratifies like any other, and counts.
        let (status, body) = post(&app, &token, "/v1/convention/actions",
            json!({"participant": "JP", "kind": "acceptance", "date": "2026-06-01"})).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(get(&app, "/v1/convention").await["counted_consents"], 1);
    }

    async fn weights_and_totals_refuse_what_is_not_a_figure(app: TestApp) {
        app.clock.set(datetime!(2026-06-30 12:00 UTC));
        let token = depositary(&app).await;
        let weight = |participant: &str, basis: &str, value: Value| json!({
            "participant": participant, "basis": basis, "value": value, "unit": "EUR",
            "source": "Register of Damage: contributions to the 2025 budget", "date": "2026-05-20"});
        let cases = [
            (weight("UA", "rd4u-2025-budget", json!("-1.00")), "value"),
            (weight("UA", "rd4u-2025-budget", json!("a lot")), "value"),
            (weight("UA", "rd4u-2025-budget", json!("1e400")), "value"),
            (weight("ZZ", "rd4u-2025-budget", json!("10.00")), "participant"),
            (weight("U1", "rd4u-2025-budget", json!("10.00")), "participant"),
            (weight("UA", "world-tonnage", json!("10.00")), "basis"),
        ];
        for (body, field) in cases {
            let problem = refused(&app, &token, "/v1/convention/weights", body.clone(), 422, "validation").await;
            assert_eq!(problem["errors"][0]["field"], field, "{body} -> {problem}");
            assert!(problem["errors"][0]["code"].is_string());
        }
        let mut wrong_unit = weight("UA", "rd4u-2025-budget", json!("10.00"));
        wrong_unit["unit"] = json!("USD");
        let problem = refused(&app, &token, "/v1/convention/weights", wrong_unit, 422, "validation").await;
        assert_eq!(problem["errors"][0]["field"], "unit", "{problem}");
        let mut future = weight("UA", "rd4u-2025-budget", json!("10.00"));
        future["date"] = json!("2026-07-01");
        let problem = refused(&app, &token, "/v1/convention/weights", future, 422, "validation").await;
        assert_eq!(problem["errors"][0]["field"], "date", "{problem}");
        assert_eq!(get(&app, "/v1/convention/weights").await["weights"], json!([]));

        // Totals: positive figures on a known basis.
        let total = |basis: &str, value: &str| json!({"basis": basis, "value": value, "unit": "EUR",
            "source": "Register of Damage: budget 2025", "date": "2026-01-15"});
        for (body, field) in [
            (total("rd4u-2025-budget", "0"), "value"),
            (total("rd4u-2025-budget", "-7384300.00"), "value"),
            (total("rd4u-2025-budget", "seven million"), "value"),
            (total("rd 4u", "100.00"), "basis"),
        ] {
            let problem = refused(&app, &token, "/v1/convention/basis-totals", body.clone(), 422, "validation").await;
            assert_eq!(problem["errors"][0]["field"], field, "{body} -> {problem}");
        }
        // A recorded total replaces the assumed one and moves what is needed.
        let (status, body) = post(&app, &token, "/v1/convention/basis-totals", total("rd4u-2025-budget", "8000000.00")).await;
        assert_eq!(status, 201, "{body}");
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["weighted"][0]["total"], "8000000.00", "{overview}");
        assert_eq!(overview["weighted"][0]["total_assumed"], false);
        let needed = overview["missing"].as_array().unwrap().iter().find(|m| m["condition"] == "weighted").unwrap();
        assert_eq!(needed["needed"], "4000000.00");

        // A figure in a currency reads back at its minor unit.
        let (status, body) = post(&app, &token, "/v1/convention/weights", weight("UA", "rd4u-2025-budget", json!("400000"))).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["value"], "400000.00", "{body}");
        let recorded = get(&app, "/v1/convention/weights").await;
        assert_eq!(recorded["weights"][0]["value"], "400000.00", "{recorded}");
        assert_eq!(recorded["basis_totals"].as_array().unwrap().iter()
            .find(|t| t["value"] == "8000000.00").map(|t| &t["unit"]), Some(&json!("EUR")), "{recorded}");

        // Staff of the Register cannot write the treaty record.
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (status, _) = post(&app, &registrar, "/v1/convention/weights", weight("UA", "rd4u-2025-budget", json!("10.00"))).await;
        assert_eq!(status, 403);
    }

    async fn a_backdated_denunciation_does_not_silently_undo_entry_into_force(app: TestApp) {
        // The Commission acts once the convention is in force (1 September 2026).
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 1).await;
        let rec = adopted(&app, &w, &cases[0]).await;
        let (status, issued) = decide(&app, &w.council, &rec, json!({"action": "approve"})).await;
        assert_eq!(status, 200, "{issued}");
        let decision = issued["decision"]["id"].as_str().unwrap().to_owned();

        app.clock.set(datetime!(2026-10-10 10:00 UTC));
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["in_force"], true);
        let token = depositary(&app).await;
        let party = get(&app, "/v1/convention/participants").await["items"].as_array().unwrap().iter()
            .find(|p| p["consent"] == "ratification").unwrap()["code"].as_str().unwrap().to_owned();
        let denunciation = json!({"participant": party, "kind": "denunciation", "date": "2026-06-15"});

        // Dated before the entry into force it would undo: refused.
        let body = refused(&app, &token, "/v1/convention/actions", denunciation.clone(), 409, "conflict").await;
        assert_eq!(body["code"], "revises_entry_into_force", "{body}");
        assert_eq!(body["entry_into_force"], "2026-09-01");
        assert_eq!(get(&app, "/v1/convention").await["in_force"], true);
        // A correction must say why.
        let mut correction = denunciation.clone();
        correction["correction"] = json!(true);
        let body = refused(&app, &token, "/v1/convention/actions", correction.clone(), 422, "validation").await;
        assert_eq!(body["errors"][0]["field"], "reason", "{body}");

        // As a reasoned correction it is recorded and announced.
        correction["reason"] = json!("The instrument of denunciation, deposited on 15 June, was found on 9 October.");
        let (status, body) = post(&app, &token, "/v1/convention/actions", correction).await;
        assert_eq!(status, 201, "{body}");
        let overview = get(&app, "/v1/convention").await;
        assert_eq!(overview["in_force"], false, "{overview}");
        assert_eq!(overview["counted_consents"], 24);
        let events = get(&app, "/v1/convention/events").await;
        let revised = events["events"].as_array().unwrap().iter()
            .find(|e| e["kind"] == "standing_revised").expect("a standing_revised event");
        assert_eq!(revised["event"]["previous"], "2026-09-01", "{revised}");
        assert_eq!(revised["event"]["current"], Value::Null);
        let (_, page) = text(&app, "/", "text/html").await;
        assert!(page.contains("2026-06-15") || page.contains("15 June 2026"), "the tracker shows the revision");

        // Decisions already made stay final; new acts wait for the gate.
        let (status, kept) = json(app.get(&format!("/v1/decisions/{decision}")).bearer_auth(&w.council).send().await.unwrap()).await;
        assert_eq!(status, 200, "{kept}");
        assert_eq!(kept["status"], "final", "{kept}");
        let status = get(&app, "/v1/commission/status").await;
        assert_eq!(status["may_act"], false, "{status}");
        let body = refused(&app, &w.council, "/v1/payment-rounds",
            json!({"available": {"amount": "1000.00", "currency": "EUR"}}), 409, "commission-not-in-force").await;
        assert_eq!(body["counted_consents"], 24, "{body}");

        // What the record said before the correction is still answerable.
        let then = get(&app, "/v1/convention?as_recorded_on=2026-10-05").await;
        assert_eq!(then["in_force"], true, "{then}");
        assert_eq!(then["entry_into_force"], "2026-09-01");
        assert_eq!(then["counted_consents"], 25);
        let before = get(&app, "/v1/convention?as_recorded_on=2026-01-01").await;
        assert_eq!(before["counted_consents"], 0, "{before}");
        let now = get(&app, "/v1/convention?as_recorded_on=2026-10-10").await;
        assert_eq!(now["in_force"], false);
        for bad in ["2026-13-01", "yesterday"] {
            problem(app.get(&format!("/v1/convention?as_recorded_on={bad}")).send().await.unwrap(), 422, "validation").await;
        }
    }

    async fn the_timeline_is_an_atom_feed_a_reader_can_follow(app: TestApp) {
        app.clock.set(datetime!(2026-06-30 12:00 UTC));
        let token = depositary(&app).await;
        let (status, body) = post(&app, &token, "/v1/convention/actions", japan()).await;
        assert_eq!(status, 201, "{body}");
        let (content_type, xml) = text(&app, "/v1/convention/timeline.atom", "application/atom+xml").await;
        assert!(content_type.starts_with("application/atom+xml"), "{content_type}");
        let feed = feed_rs::parser::parse(xml.as_bytes()).expect("a feed a reader parses");
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
        let timeline = get(&app, "/v1/convention/timeline").await;
        assert_eq!(feed.entries.len(), timeline["entries"].as_array().unwrap().len());
        let newest = &feed.entries[0];
        let title = &newest.title.as_ref().unwrap().content;
        assert!(title.contains("Japan (JP)") && title.contains("signature"), "{title}");
        assert!(newest.id.contains(timeline["entries"].as_array().unwrap().last().unwrap()["id"].as_str().unwrap()));
        assert!(feed.updated.is_some());
    }

    async fn each_act_keeps_the_standing_it_relied_on(app: TestApp) {
        let w = world(&app, false).await;
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        let (status, page) = json(app.get("/v1/audit?action=panel.formed").bearer_auth(&auditor).send().await.unwrap()).await;
        assert_eq!(status, 200, "{page}");
        let formed = page["items"].as_array().unwrap().iter()
            .find(|e| e["target_id"] == w.panel.as_str()).expect("the panel's entry");
        assert_eq!(formed["summary"]["standing"]["entry_into_force"], "2026-09-01", "{formed}");
        assert_eq!(formed["summary"]["standing"]["counted_consents"], 25);
    }
}

both! {
    configured(|s| {
        s.convention_rule = ratification::EntryIntoForceRule {
            accession_open: false,
            ..ratification::EntryIntoForceRule::convention_default()
        };
    });
    async fn a_rule_that_admits_no_accession_refuses_one(app: TestApp) {
        app.clock.set(datetime!(2026-06-30 12:00 UTC));
        let token = depositary(&app).await;
        let mut korea = japan();
        korea["participant"] = json!("KR");
        korea["kind"] = json!("accession");
        let body = refused(&app, &token, "/v1/convention/actions", korea, 422, "validation").await;
        assert_eq!(body["errors"][0]["field"], "kind", "{body}");
        assert_eq!(body["errors"][0]["code"], "accession_closed", "{body}");
        assert_eq!(get(&app, "/v1/convention").await["participants"], 36);
    }
}
