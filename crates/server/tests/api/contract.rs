//! The API's conventions (docs/api.md), held by tests: money at the
//! currency's minor unit in every answer, CSV and page; and the status
//! names and error codes docs/commission.md documents, against the code.

use crate::decisions::{adopted, assessed_cases, decide, put_in_force, world};
use crate::support::{TestApp, json};
use kernel::Currency;
use serde_json::{Value, json};

/// Every amount in `value` with its path: `{"amount", "currency"}` objects
/// and, in the awards report, the totals keyed by their currency.
fn amounts(path: &str, value: &Value, out: &mut Vec<(String, String, String)>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(a)), Some(Value::String(c))) =
                (map.get("amount"), map.get("currency"))
            {
                out.push((path.to_owned(), a.clone(), c.clone()));
            }
            for (k, v) in map {
                let here = format!("{path}.{k}");
                if Currency::from_code(k).is_ok() {
                    for field in ["awarded", "paid", "outstanding"] {
                        if let Some(Value::String(a)) = v.get(field) {
                            out.push((format!("{here}.{field}"), a.clone(), k.clone()));
                        }
                    }
                }
                amounts(&here, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                amounts(&format!("{path}[{i}]"), v, out);
            }
        }
        _ => {}
    }
}

/// Whether `amount` has exactly the minor unit of places of `currency`.
fn at_minor_unit(amount: &str, currency: &str) -> bool {
    let places = Currency::from_code(currency).map_or(2, Currency::minor_units) as usize;
    let digits = amount.strip_prefix('-').unwrap_or(amount);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && fraction.len() == places
        && (places > 0 || !digits.contains('.'))
}

/// Fails, naming the path, on an amount not at its currency's minor unit.
fn assert_money_scale(what: &str, value: &Value) {
    let mut found = Vec::new();
    amounts("", value, &mut found);
    for (path, amount, currency) in &found {
        assert!(
            at_minor_unit(amount, currency),
            "{what}{path}: {amount:?} {currency} is not at the minor unit of {currency}"
        );
    }
}

#[test]
fn the_scale_check_refuses_what_the_issue_found() {
    assert!(at_minor_unit("0.00", "EUR") && at_minor_unit("68000.00", "EUR"));
    assert!(at_minor_unit("12", "JPY") && at_minor_unit("1.000", "KWD"));
    for (bad, c) in [
        ("0", "EUR"),
        ("68000.000", "EUR"),
        ("50000000", "EUR"),
        ("12.0", "JPY"),
    ] {
        assert!(!at_minor_unit(bad, c), "{bad} {c}");
    }
    let caught = std::panic::catch_unwind(|| {
        assert_money_scale("", &json!({"paid": {"amount": "0", "currency": "EUR"}}));
    });
    assert!(
        caught.is_err(),
        "a money field with the wrong scale fails the test"
    );
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let (s, body) = json(app.get(path).bearer_auth(token).send().await.unwrap()).await;
    assert_eq!(s, 200, "{path}: {body}");
    body
}

both! {
    async fn money_carries_the_currency_minor_unit_everywhere(app: TestApp) {
        let w = world(&app, false).await;
        let before = get(&app, &w.council, "/v1/commission/status").await;
        assert_money_scale("/v1/commission/status", &before);
        let cases = assessed_cases(&app, &w, 1).await;
        let case = &cases[0];
        put_in_force(&app).await;
        let rec = adopted(&app, &w, case).await;
        let (s, issued) = decide(&app, &w.council, &rec, json!({"action": "approve"})).await;
        assert_eq!(s, 200, "{issued}");
        assert_money_scale("decision", &issued);
        let award = issued["award"]["id"].as_str().unwrap().to_owned();
        let (s, round) = json(app.post("/v1/payment-rounds").bearer_auth(&w.council)
            .json(&json!({"available": {"amount": "10000", "currency": "EUR"},
                "priority_amount": {"amount": "2500", "currency": "EUR"}})).send().await.unwrap()).await;
        assert_eq!(s, 201, "{round}");
        assert_money_scale("round", &round);
        let round_id = round["id"].as_str().unwrap().to_owned();
        let (s, confirmed) = json(app.post(&format!("/v1/payment-rounds/{round_id}/confirm"))
            .bearer_auth(&w.council).json(&json!({})).send().await.unwrap()).await;
        assert_eq!(s, 200, "{confirmed}");
        let a = get(&app, &w.council, &format!("/v1/awards/{award}")).await;
        let (s, paid) = json(app.post(&format!("/v1/awards/{award}/payments")).bearer_auth(&w.council)
            .header("if-match", format!("\"v{}\"", a["version"]))
            .json(&json!({"amount": {"amount": "1000", "currency": "EUR"}, "paid_on": "2026-09-01", "reference": "R1"}))
            .send().await.unwrap()).await;
        assert_eq!(s, 201, "{paid}");
        assert_eq!(paid["paid"]["amount"], "1000.00", "{paid}");

        let claim = get(&app, &w.assessor, &format!("/v1/cases/{case}")).await["claim_id"].as_str().unwrap().to_owned();
        let mut checked = 0;
        for (token, path) in [
            (&w.assessor, format!("/v1/cases/{case}")),
            (&w.assessor, format!("/v1/cases/{case}/assessments")),
            (&w.council, format!("/v1/recommendations/{rec}")),
            (&w.council, format!("/v1/recommendations/{rec}/decision")),
            (&w.council, format!("/v1/cases/{case}/decisions")),
            (&w.council, "/v1/awards".to_owned()),
            (&w.council, format!("/v1/awards/{award}")),
            (&w.council, format!("/v1/payment-rounds/{round_id}")),
            (&w.council, "/v1/reports/awards".to_owned()),
            (&w.council, "/v1/decisions/public".to_owned()),
            (&w.council, "/v1/valuation-rules".to_owned()),
            (&w.council, "/v1/convention".to_owned()),
            (&w.council, "/v1/convention/funding".to_owned()),
            (&w.council, "/v1/commission/status".to_owned()),
            (&w.claimant, format!("/v1/claims/{claim}/decisions")),
        ] {
            let body = get(&app, token, &path).await;
            let mut found = Vec::new();
            amounts("", &body, &mut found);
            assert!(!found.is_empty() || path.contains("status"), "{path} shows money: {body}");
            checked += found.len();
            assert_money_scale(&path, &body);
            if path == "/v1/awards" {
                assert_eq!(body[0]["paid"]["amount"], "1000.00", "{body}");
            }
        }

        assert!(checked > 40, "{checked} amounts checked");

        // The CSV export of awards.
        let csv = app.get("/v1/exports/awards").bearer_auth(&w.council).header("accept", "text/csv")
            .send().await.unwrap().text().await.unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
        for column in ["amount", "paid", "outstanding"] {
            assert!(at_minor_unit(cell(column), "EUR"), "CSV {column}: {}", cell(column));
        }

        // The case page: every amount with its two places.
        let browser = crate::web::sign_in(&app, &w.assessor).await;
        let page = crate::web::client().get(format!("{}/console/cases/{case}", app.base))
            .header("cookie", &browser.cookie).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("76\u{202f}500.00 EUR"), "the result at the minor unit");
        assert!(!page.contains(".000 EUR"), "no amount with three places on the case page");
    }
}
