//! Payees' bank details and payment files through HTTP: IBAN and BIC
//! checked with the field at fault, sealed at rest (neither database holds
//! an account number in the clear), shown in full only to whoever manages
//! payments; and the pain.001 file of a confirmed round with its blocked
//! payees. With `REDRESS_PAIN001_OUT` set, the file is also written there
//! (scripts/validate-pain001.sh checks it against the schema).

use crate::decisions::{World, adopted, assessed_cases, decide, world};
use crate::support::{Db, TestApp, json, problem};
use kernel::Role;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const UA_IBAN: &str = "UA21 3223 1300 0002 6007 2335 6600 1";
const UA_BIC: &str = "PBANUA2X";
const DE_IBAN: &str = "DE89 3704 0044 0532 0130 00";
const DE_BIC: &str = "COBADEFFXXX";
/// Parts of the accounts that no masked form shows.
const SECRETS: [&str; 4] = [
    "3223130000026007233566",
    "3223 1300 0002 6007",
    "370400440532013000",
    "3704 0044 0532",
];

fn with_debtor(settings: &mut server::config::Settings) {
    settings.payment_debtor = Some(app::awards::Debtor {
        name: "International Claims Commission for Ukraine".into(),
        account: commission::BankAccount::new("NL91 ABNA 0417 1643 00", "ABNANL2A").unwrap(),
    });
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let (s, body) = json(app.get(path).bearer_auth(token).send().await.unwrap()).await;
    assert_eq!(s, 200, "{path}: {body}");
    body
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

/// `PUT /v1/awards/{id}/payees` with the award's current `If-Match`.
async fn put_payees(app: &TestApp, token: &str, award: &str, body: Value) -> reqwest::Response {
    let version = get(app, token, &format!("/v1/awards/{award}")).await["version"].clone();
    app.request(reqwest::Method::PUT, &format!("/v1/awards/{award}/payees"))
        .bearer_auth(token)
        .header("if-match", format!("\"v{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// `n` awards of 76,500 EUR, approved by the Council.
async fn awards(app: &TestApp, w: &World, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for case in assessed_cases(app, w, n).await {
        let rec = adopted(app, w, &case).await;
        let (s, issued) = decide(app, &w.council, &rec, json!({"action": "approve"})).await;
        assert_eq!(s, 200, "{issued}");
        ids.push(issued["award"]["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// Every place the database keeps text: no account number in the clear.
async fn assert_nothing_in_the_clear(app: &TestApp) {
    let url = app.state.settings.database.url().to_owned();
    let mut stored: Vec<String> = Vec::new();
    match app.db {
        Db::Sqlite => {
            // The whole database file and its write-ahead log, every table.
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap()
                .to_owned();
            for file in [path.clone(), format!("{path}-wal")] {
                if let Ok(bytes) = std::fs::read(&file) {
                    stored.push(String::from_utf8_lossy(&bytes).into_owned());
                }
            }
            assert!(!stored.is_empty(), "no database file at {path}");
        }
        Db::Postgres => {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
                .await
                .unwrap();
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT body::text FROM awards \
                 UNION ALL SELECT encode(bank_sealed, 'escape') FROM awards \
                     WHERE bank_sealed IS NOT NULL \
                 UNION ALL SELECT summary::text FROM audit_log",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            stored.extend(rows.into_iter().map(|r| r.0));
        }
    }
    let all = stored.join("\n");
    assert!(
        all.contains("UA21 **** **** 6001"),
        "the masked form is kept"
    );
    for secret in SECRETS {
        assert!(!all.contains(secret), "{secret} is stored in the clear");
    }
}

fn amounts(xml: &str, element: &str) -> Vec<Decimal> {
    let open = format!("<{element}");
    xml.match_indices(&open)
        .map(|(at, _)| {
            let rest = &xml[at..];
            let start = rest.find('>').unwrap() + 1;
            let end = rest.find("</").unwrap();
            rest[start..end].parse().unwrap()
        })
        .collect()
}

fn texts<'a>(xml: &'a str, element: &str) -> Vec<&'a str> {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    xml.match_indices(&open)
        .map(|(at, _)| {
            let rest = &xml[at + open.len()..];
            &rest[..rest.find(&close).unwrap()]
        })
        .collect()
}

both! {
    configured(with_debtor);

    async fn bank_details_are_checked_sealed_and_shown_masked_except_to_payments(app: TestApp) {
        let w = world(&app, false).await;
        let award = awards(&app, &w, 1).await.remove(0);

        // Refusals name the field at fault with a stable code.
        let cases = [
            (json!({"payee": "claimant", "iban": "UA21 3223 1300 0002 6007 2335 6600 2", "bic": UA_BIC}),
                "iban", "invalid_iban"),
            (json!({"payee": "claimant", "iban": UA_IBAN, "bic": "PBANUA"}), "bic", "invalid_bic"),
            (json!({"payee": "claimant", "iban": UA_IBAN}), "bic", "missing_bic"),
            (json!({"payee": "representative", "name": "Advokat M.", "bic": UA_BIC}), "iban", "missing_iban"),
            (json!({"payee": "heirs", "heirs": [
                {"name": "Olena K.", "share": "0.5", "iban": UA_IBAN, "bic": UA_BIC},
                {"name": "Petro K.", "share": "0.5", "iban": DE_IBAN, "bic": UA_BIC}]}),
                "heirs[1].bic", "bic_mismatch"),
        ];
        for (body, field, code) in cases {
            let p = problem(put_payees(&app, &w.council, &award, body.clone()).await, 422, "validation").await;
            assert_eq!(p["code"], code, "{body}: {p}");
            assert_eq!(p["errors"][0]["field"], field, "{body}: {p}");
            assert_eq!(p["errors"][0]["code"], code, "{body}: {p}");
        }
        // Every payee at fault is named.
        let p = problem(put_payees(&app, &w.council, &award, json!({"payee": "heirs", "heirs": [
            {"name": "Olena K.", "share": "0.5", "iban": "XX00", "bic": UA_BIC},
            {"name": "Petro K.", "share": "0.5", "iban": UA_IBAN, "bic": DE_BIC}]})).await, 422, "validation").await;
        let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["heirs[0].iban", "heirs[1].bic"], "{p}");

        // Set: the Council (who manages payments) sees the accounts in full.
        let (s, a) = json(put_payees(&app, &w.council, &award, json!({"payee": "heirs", "heirs": [
            {"name": "Olena K.", "share": "0.5", "iban": UA_IBAN, "bic": "pbanua2x"},
            {"name": "Petro K.", "share": "0.25", "iban": DE_IBAN, "bic": DE_BIC},
            {"name": "Ivan K.", "share": "0.25"}]})).await).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["bank_details"], "full", "{a}");
        assert_eq!(a["payees"]["heirs"][0]["iban"], "UA213223130000026007233566001", "{a}");
        assert_eq!(a["payees"]["heirs"][0]["bic"], "PBANUA2X", "{a}");
        assert_eq!(a["payees"]["heirs"][1]["iban"], "DE89370400440532013000", "{a}");
        assert!(a["payees"]["heirs"][2].get("iban").is_none(), "{a}");
        let full = get(&app, &w.council, &format!("/v1/awards/{award}")).await;
        assert_eq!(full["payees"], a["payees"]);

        // Everyone else sees them masked (an auditor, a Commissioner), in
        // one award and in the awards list.
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        for token in [&auditor, &w.members[0].1] {
            let masked = get(&app, token, &format!("/v1/awards/{award}")).await;
            assert_eq!(masked["bank_details"], "masked", "{masked}");
            assert_eq!(masked["payees"]["heirs"][0]["iban"], "UA21 **** **** 6001", "{masked}");
            assert_eq!(masked["payees"]["heirs"][0]["bic"], "PBANUA**", "{masked}");
            assert_eq!(masked["payees"]["heirs"][1]["iban"], "DE89 **** **** 3000", "{masked}");
            assert_eq!(masked["payees"]["heirs"][1]["bic"], "COBADE*****", "{masked}");
            assert!(masked["payees"]["heirs"][2].get("iban").is_none(), "{masked}");
            let list = get(&app, token, "/v1/awards").await;
            assert_eq!(list["items"][0]["payees"], masked["payees"], "{list}");
        }
        let listed = get(&app, &w.council, "/v1/awards").await;
        assert_eq!(listed["items"][0]["payees"]["heirs"][0]["iban"], "UA213223130000026007233566001");

        // A payee change without bank details takes them off file.
        let (s, a) = json(put_payees(&app, &w.council, &award, json!({"payee": "claimant", "iban": DE_IBAN, "bic": DE_BIC})).await).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["payees"], json!({"payee": "claimant", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}));
        let (s, a) = json(put_payees(&app, &w.council, &award, json!({"payee": "representative", "name": "Advokat M."})).await).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["payees"], json!({"payee": "representative", "name": "Advokat M."}));
        let stored = app.state.store.award(award.parse().unwrap()).await.unwrap();
        assert!(stored.bank_details.is_none());
        let (s, _) = json(put_payees(&app, &w.council, &award, json!({"payee": "heirs", "heirs": [
            {"name": "Olena K.", "share": "0.5", "iban": UA_IBAN, "bic": UA_BIC},
            {"name": "Petro K.", "share": "0.5", "iban": DE_IBAN, "bic": DE_BIC}]})).await).await;
        assert_eq!(s, 200);

        // At rest: sealed bytes and the masked form, in both databases.
        let stored = app.state.store.award(award.parse().unwrap()).await.unwrap();
        let sealed = stored.bank_details.expect("sealed");
        assert!(!sealed.bytes.windows(10).any(|w| w == b"0532013000"));
        assert_nothing_in_the_clear(&app).await;
        // Audited, masked.
        let (s, log) = json(app.get(&format!("/v1/audit?target_type=award&target_id={award}&limit=500"))
            .bearer_auth(&auditor).send().await.unwrap()).await;
        assert_eq!(s, 200, "{log}");
        assert!(log.to_string().contains("award.payees_changed"));
        assert!(log.to_string().contains("UA21 **** **** 6001"), "{log}");
    }

    async fn a_confirmed_round_has_a_pain001_file_and_lists_its_blocked_payees(app: TestApp) {
        let w = world(&app, false).await;
        let ids = awards(&app, &w, 2).await;
        let (heirs_award, claimant_award) = (&ids[0], &ids[1]);
        let (s, _) = json(put_payees(&app, &w.council, heirs_award, json!({"payee": "heirs", "heirs": [
            {"name": "Olena K. & Sons <Ltd>", "share": "0.5", "iban": UA_IBAN, "bic": UA_BIC},
            {"name": "Petro K.", "share": "0.25", "iban": DE_IBAN, "bic": DE_BIC},
            {"name": "Ivan K.", "share": "0.25"}]})).await).await;
        assert_eq!(s, 200);
        let (s, _) = json(put_payees(&app, &w.council, claimant_award,
            json!({"payee": "claimant", "iban": DE_IBAN, "bic": DE_BIC})).await).await;
        assert_eq!(s, 200);

        // 1,000.03 EUR over two awards of 76,500: 500.02 and 500.01; the
        // heirs' 500.02 (or 500.01) split 0.5 / 0.25 / 0.25.
        let (s, round) = post(&app, &w.council, "/v1/payment-rounds",
            json!({"available": {"amount": "1000.03", "currency": "EUR"}})).await;
        assert_eq!(s, 201, "{round}");
        let id = round["id"].as_str().unwrap().to_owned();
        let file = format!("/v1/payment-rounds/{id}/pain001");
        let p = problem(app.get(&file).bearer_auth(&w.council).send().await.unwrap(), 409, "conflict").await;
        assert_eq!(p["code"], "round_not_confirmed", "{p}");
        // A preview already shows who would be blocked.
        let preview = get(&app, &w.council, &format!("/v1/payment-rounds/{id}/transfers")).await;
        assert_eq!(preview["blocked"].as_array().unwrap().len(), 1, "{preview}");

        let (s, confirmed) = post(&app, &w.council, &format!("/v1/payment-rounds/{id}/confirm"), json!({})).await;
        assert_eq!(s, 200, "{confirmed}");
        let allotted: Decimal = confirmed["preview"]["total"]["amount"].as_str().unwrap().parse().unwrap();
        assert_eq!(allotted, Decimal::new(100_003, 2));
        let heirs_allotment: Decimal = confirmed["preview"]["lines"].as_array().unwrap().iter()
            .find(|l| l["award"] == heirs_award.as_str()).unwrap()["amount"]["amount"]
            .as_str().unwrap().parse().unwrap();

        // Only the payments role issues the file.
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        problem(app.get(&file).bearer_auth(&auditor).send().await.unwrap(), 403, "forbidden").await;

        let response = app.get(&file).bearer_auth(&w.council).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/xml");
        assert_eq!(response.headers()["x-redress-blocked-payees"], "1");
        let xml = response.text().await.unwrap();
        if let Ok(path) = std::env::var("REDRESS_PAIN001_OUT") {
            let path = format!("{path}.{}.xml", match app.db { Db::Sqlite => "sqlite", Db::Postgres => "postgres" });
            std::fs::write(&path, &xml).unwrap();
        }
        assert!(xml.contains("urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"), "{xml}");
        // Three transfers: two heirs and the claimant; the control sums are
        // the sums of the amounts, each at the minor unit.
        let instructed = amounts(&xml, "InstdAmt");
        assert_eq!(instructed.len(), 3, "{xml}");
        assert!(instructed.iter().all(|a| a.scale() == 2), "{instructed:?}");
        let sum: Decimal = instructed.iter().sum();
        assert_eq!(texts(&xml, "NbOfTxs"), ["3", "3"]);
        assert_eq!(amounts(&xml, "CtrlSum"), [sum, sum]);
        // The blocked heir's quarter is what is missing from the allotment.
        let blocked_part = allotted - sum;
        let exact_quarter = heirs_allotment / Decimal::from(4);
        assert!((blocked_part - exact_quarter).abs() < Decimal::new(1, 2), "{blocked_part} {exact_quarter}");
        // End-to-end ids name the award and the payee's position.
        let simple = |id: &str| id.replace('-', "");
        let e2e = texts(&xml, "EndToEndId");
        assert_eq!(e2e.len(), 3);
        assert!(e2e.contains(&format!("{}001", simple(heirs_award)).as_str()), "{e2e:?}");
        assert!(e2e.contains(&format!("{}002", simple(heirs_award)).as_str()), "{e2e:?}");
        assert!(e2e.contains(&format!("{}001", simple(claimant_award)).as_str()), "{e2e:?}");
        // Accounts in full, the debtor's from the configuration, names escaped.
        let ibans = texts(&xml, "IBAN");
        assert_eq!(ibans[0], "NL91ABNA0417164300");
        assert!(ibans.contains(&"UA213223130000026007233566001"));
        assert!(xml.contains("<Nm>Olena K. &amp; Sons &lt;Ltd&gt;</Nm>"), "{xml}");
        assert!(xml.contains("<BICFI>ABNANL2A</BICFI>"));
        // The claimant in person is named as on the claim.
        assert!(texts(&xml, "Nm").iter().all(|n| !n.is_empty()));

        // The blocked payee is listed with why, on the round and on its transfers.
        let transfers = get(&app, &w.council, &format!("/v1/payment-rounds/{id}/transfers")).await;
        assert_eq!(transfers["transactions"], 3, "{transfers}");
        assert_eq!(transfers["blocked"], json!([{
            "award_id": heirs_award, "position": 2, "payee": "Ivan K.",
            "amount": {"amount": blocked_part.to_string(), "currency": "EUR"}, "reason": "no_bank_details"}]));
        let control: Decimal = transfers["control_sum"]["amount"].as_str().unwrap().parse().unwrap();
        let held: Decimal = transfers["blocked_sum"]["amount"].as_str().unwrap().parse().unwrap();
        assert_eq!(control + held, allotted, "nothing is left out silently");
        assert_eq!(transfers["transfers"][0]["iban"], "UA21 **** **** 6001", "masked in JSON: {transfers}");
        let shown = get(&app, &auditor, &format!("/v1/payment-rounds/{id}")).await;
        assert_eq!(shown["transfers"]["blocked"], transfers["blocked"], "{shown}");
        assert_eq!(shown["transfers"]["transactions"], 3);

        // The export is on record, with the blocked payee and no account.
        let (s, log) = json(app.get(&format!("/v1/audit?target_type=payment_round&target_id={id}&limit=500"))
            .bearer_auth(&auditor).send().await.unwrap()).await;
        assert_eq!(s, 200, "{log}");
        let text = log.to_string();
        assert!(text.contains("payment_round.file_issued"), "{log}");
        assert!(text.contains("no_bank_details"), "{log}");
        assert_nothing_in_the_clear(&app).await;

        // An unreachable payee is blocked from the next file too.
        let version = get(&app, &w.council, &format!("/v1/awards/{claimant_award}")).await["version"].clone();
        let (s, _) = json(app.post(&format!("/v1/awards/{claimant_award}/payee-unreachable")).bearer_auth(&w.council)
            .header("if-match", format!("\"v{version}\"")).send().await.unwrap()).await;
        assert_eq!(s, 200);
        let response = app.get(&file).bearer_auth(&w.council).send().await.unwrap();
        assert_eq!(response.headers()["x-redress-blocked-payees"], "2");
        let transfers = get(&app, &w.council, &format!("/v1/payment-rounds/{id}/transfers")).await;
        assert!(transfers.to_string().contains("payee_unreachable"), "{transfers}");
    }
}

both! {
    async fn without_a_debtor_account_no_file_is_issued(app: TestApp) {
        let w = world(&app, false).await;
        let award = awards(&app, &w, 1).await.remove(0);
        let (s, _) = json(put_payees(&app, &w.council, &award,
            json!({"payee": "claimant", "iban": DE_IBAN, "bic": DE_BIC})).await).await;
        assert_eq!(s, 200);
        let (s, round) = post(&app, &w.council, "/v1/payment-rounds",
            json!({"available": {"amount": "100.00", "currency": "EUR"}})).await;
        assert_eq!(s, 201, "{round}");
        let id = round["id"].as_str().unwrap();
        let (s, _) = post(&app, &w.council, &format!("/v1/payment-rounds/{id}/confirm"), json!({})).await;
        assert_eq!(s, 200);
        let p = problem(app.get(&format!("/v1/payment-rounds/{id}/pain001")).bearer_auth(&w.council)
            .send().await.unwrap(), 409, "conflict").await;
        assert_eq!(p["code"], "no_debtor_account", "{p}");
    }
}
