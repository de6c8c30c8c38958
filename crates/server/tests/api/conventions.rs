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
                assert_eq!(body["items"][0]["paid"]["amount"], "1000.00", "{body}");
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

// ------------------------------------------------------------ the docs

/// The variant names serde gives an enumeration, as clients see them.
fn variant_names<T: serde::de::DeserializeOwned>() -> Vec<String> {
    use serde::de::{self, Visitor};
    struct Names(Vec<String>);
    #[derive(Debug)]
    struct Done;
    impl std::fmt::Display for Done {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("names read")
        }
    }
    impl std::error::Error for Done {}
    impl de::Error for Done {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Self
        }
    }
    impl<'de> de::Deserializer<'de> for &mut Names {
        type Error = Done;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Done> {
            Err(Done)
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            variants: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Done> {
            self.0 = variants.iter().map(|v| (*v).to_owned()).collect();
            Err(Done)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map struct identifier ignored_any
        }
    }
    let mut names = Names(Vec::new());
    let _ = T::deserialize(&mut names);
    assert!(
        !names.0.is_empty(),
        "{} is an enumeration",
        std::any::type_name::<T>()
    );
    names.0
}

fn repo_file(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The backticked first cells of the table whose header starts with
/// `| {header} |` in `doc`.
fn table_names(doc: &str, header: &str) -> Vec<String> {
    let start = format!("| {header} |");
    let mut lines = doc.lines().skip_while(|l| !l.starts_with(&start));
    assert!(lines.next().is_some(), "a table `{start}`");
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cell = l.trim_start_matches('|').split('|').next()?.trim();
            Some(cell.strip_prefix('`')?.strip_suffix('`')?.to_owned())
        })
        .collect()
}

/// Every Rust source of the workspace's crates, whitespace removed.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((
                    path.display().to_string(),
                    text.split_whitespace().collect(),
                ));
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    for krate in std::fs::read_dir(&root).unwrap().flatten() {
        let src = krate.path().join("src");
        if src.is_dir() {
            walk(&src, &mut out);
        }
    }
    out
}

#[test]
fn the_statuses_in_commission_md_are_the_codes() {
    let doc = repo_file("docs/commission.md");
    let check = |header: &str, mut code: Vec<String>| {
        let mut documented = table_names(&doc, header);
        documented.sort();
        code.sort();
        assert_eq!(
            documented, code,
            "docs/commission.md, table `{header}` against the code"
        );
    };
    check("case status", variant_names::<commission::CaseStatus>());
    check("batch status", variant_names::<commission::BatchStatus>());
    check(
        "recommendation status",
        variant_names::<commission::RecommendationStatus>(),
    );
    check(
        "decision status",
        variant_names::<commission::DecisionStatus>(),
    );
    check("award status", variant_names::<commission::AwardStatus>());
    check(
        "payment round status",
        variant_names::<store::decisions::RoundStatus>(),
    );
}

#[test]
fn the_codes_and_problem_types_in_the_docs_are_issued_by_the_server() {
    let sources = sources();
    let issued = |literal: &str| {
        let quoted = format!("\"{literal}\"");
        sources
            .iter()
            .any(|(path, text)| !path.contains("/tests/") && text.contains(&quoted))
    };
    let commission = repo_file("docs/commission.md");
    for code in table_names(&commission, "code") {
        assert!(
            issued(&code),
            "docs/commission.md documents code `{code}`, which no source issues"
        );
    }

    // Problem types: docs/problems.md lists exactly those the server issues.
    let problems = repo_file("docs/problems.md");
    let listed: std::collections::BTreeSet<String> = table_names(&problems, "`type`")
        .into_iter()
        .chain(problems.lines().filter_map(|l| {
            let cell = l.strip_prefix("| `/problems/")?;
            Some(format!("/problems/{}", cell.split('`').next()?))
        }))
        .filter_map(|t| t.strip_prefix("/problems/").map(str::to_owned))
        .collect();
    assert!(listed.len() > 20, "{listed:?}");
    for kind in &listed {
        assert!(
            issued(kind),
            "docs/problems.md lists /problems/{kind}, which no source issues"
        );
    }
    // The OpenAPI document names the same types, so a client can switch on
    // them.
    let spec = serde_json::to_value(server::http::openapi()).unwrap();
    let described: std::collections::BTreeSet<String> =
        spec["components"]["schemas"]["ProblemType"]["enum"]
            .as_array()
            .expect("the problem types are an enum")
            .iter()
            .filter_map(|t| t.as_str()?.strip_prefix("/problems/").map(str::to_owned))
            .collect();
    assert_eq!(
        described, listed,
        "the OpenAPI ProblemType against docs/problems.md"
    );
    let mut in_code = std::collections::BTreeSet::new();
    for (path, text) in &sources {
        for (at, _) in text.match_indices("::new(") {
            let before = &text[..at];
            let constructor = before.ends_with("ApiError")
                || before.ends_with("AppError")
                || (before.ends_with("Self") && path.ends_with("error.rs"));
            let args = &text[at + 6..];
            let Some((first, rest)) = args.split_once(',') else {
                continue;
            };
            if !constructor
                || !(first.starts_with("StatusCode::") || first.starts_with("ErrorClass::"))
            {
                continue;
            }
            if let Some(kind) = rest
                .strip_prefix('"')
                .and_then(|r| r.split_once('"'))
                .map(|(k, _)| k)
            {
                in_code.insert(kind.to_owned());
            }
        }
    }
    in_code.insert(ratification::NotInForce::PROBLEM_TYPE.to_owned());
    assert!(in_code.len() > 15, "{in_code:?}");
    let unlisted: Vec<&String> = in_code.iter().filter(|k| !listed.contains(*k)).collect();
    assert!(
        unlisted.is_empty(),
        "the server issues problem types docs/problems.md does not list: {unlisted:?}"
    );
    for line in commission.lines() {
        for (at, _) in line.match_indices("/problems/") {
            let kind: String = line[at + 10..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            assert!(
                listed.contains(&kind),
                "docs/commission.md names /problems/{kind}, not in docs/problems.md"
            );
        }
    }
}
