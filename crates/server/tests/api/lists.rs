//! The lists of every resource kind through HTTP: each is a page
//! (`{items, next_cursor}`), follows its cursor to the end without repeating
//! or skipping an item, applies its filters, and refuses a filter or a
//! cursor it cannot read with the field named.

use crate::decisions::{adopted, assessed_cases, decide, put_in_force, world};
use crate::support::{TestApp, json, problem};
use kernel::Role;
use serde_json::{Value, json};

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let (s, body) = json(app.get(path).bearer_auth(token).send().await.unwrap()).await;
    assert_eq!(s, 200, "{path}: {body}");
    body
}

/// Every item of a list, read page by page with `limit`, checking that each
/// page but the last is full and carries a cursor.
async fn walk(app: &TestApp, token: &str, path: &str, limit: usize) -> Vec<Value> {
    let joiner = if path.contains('?') { '&' } else { '?' };
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            None => format!("{path}{joiner}limit={limit}"),
            Some(c) => format!("{path}{joiner}limit={limit}&cursor={c}"),
        };
        let page = get(app, token, &url).await;
        let items = page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{url}: {page}"));
        assert!(items.len() <= limit, "{url}: {page}");
        all.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), limit, "only the last page is short: {url}");
                cursor = Some(next.to_owned());
            }
            None => return all,
        }
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn refused(app: &TestApp, token: &str, path: &str, field: &str) {
    let p = problem(
        app.get(path).bearer_auth(token).send().await.unwrap(),
        422,
        "validation",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], field, "{path}: {p}");
}

both! {
    async fn the_commissions_records_are_listed_page_by_page(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 3).await;
        put_in_force(&app).await;
        let mut recommendations = Vec::new();
        for case in &cases {
            recommendations.push(adopted(&app, &w, case).await);
        }
        // Two of three approved: two final decisions and awards, one open.
        for rec in &recommendations[..2] {
            let (s, issued) = decide(&app, &w.council, rec, json!({"action": "approve"})).await;
            assert_eq!(s, 200, "{issued}");
        }

        // Recommendations: three, in id order over pages of two; by case.
        let all = walk(&app, &w.council, "/v1/recommendations", 2).await;
        let mut sorted = recommendations.clone();
        sorted.sort();
        assert_eq!(ids(&all), sorted);
        let one = get(&app, &w.council, &format!("/v1/recommendations?case={}", cases[2])).await;
        assert_eq!(ids(one["items"].as_array().unwrap()), [recommendations[2].clone()]);
        assert_eq!(one["next_cursor"], Value::Null);
        let adopted_ones = get(&app, &w.council, &format!("/v1/recommendations?status=adopted&panel={}", w.panel)).await;
        assert_eq!(adopted_ones["items"].as_array().unwrap().len(), 3, "{adopted_ones}");
        refused(&app, &w.council, "/v1/recommendations?status=maybe", "status").await;
        refused(&app, &w.council, "/v1/recommendations?case=nope", "case").await;

        // Decisions: two final, one before the Council.
        let decisions = walk(&app, &w.council, "/v1/decisions", 1).await;
        assert_eq!(decisions.len(), 3);
        let finals = get(&app, &w.council, "/v1/decisions?status=final").await;
        assert_eq!(finals["items"].as_array().unwrap().len(), 2, "{finals}");
        let open = get(&app, &w.council, "/v1/decisions?status=awaiting_council").await;
        assert_eq!(open["items"].as_array().unwrap().len(), 1, "{open}");
        let on_case = get(&app, &w.council, &format!("/v1/decisions?case={}", cases[0])).await;
        assert_eq!(on_case["items"][0]["case_id"], cases[0].as_str(), "{on_case}");
        refused(&app, &w.council, "/v1/decisions?status=final-ish", "status").await;

        // The public register pages the final ones; the awards ledger too.
        let public = walk(&app, &w.council, "/v1/decisions/public", 1).await;
        assert_eq!(public.len(), 2);
        assert!(public.iter().all(|d| d.get("claim_id").is_none()));
        let awards = walk(&app, &w.council, "/v1/awards", 1).await;
        assert_eq!(awards.len(), 2);
        let awarded = get(&app, &w.council, "/v1/awards?status=awarded&currency=EUR&category=A3.1").await;
        assert_eq!(awarded["items"].as_array().unwrap().len(), 2, "{awarded}");
        let none = get(&app, &w.council, "/v1/awards?status=paid").await;
        assert_eq!(none, json!({"items": [], "next_cursor": null}));
        refused(&app, &w.council, "/v1/awards?currency=EURO", "currency").await;
        refused(&app, &w.council, "/v1/awards?cursor=%25%25", "cursor").await;

        // Payment rounds: a preview, listed and filtered by status.
        let (s, round) = json(app.post("/v1/payment-rounds").bearer_auth(&w.council)
            .json(&json!({"available": {"amount": "1000.00", "currency": "EUR"}})).send().await.unwrap()).await;
        assert_eq!(s, 201, "{round}");
        let rounds = get(&app, &w.council, "/v1/payment-rounds?status=preview").await;
        assert_eq!(ids(rounds["items"].as_array().unwrap()), [round["id"].as_str().unwrap()]);
        let confirmed = get(&app, &w.council, "/v1/payment-rounds?status=confirmed").await;
        assert_eq!(confirmed["items"], json!([]));

        // Panels.
        let panels = walk(&app, &w.council, "/v1/panels", 1).await;
        assert_eq!(ids(&panels), std::slice::from_ref(&w.panel));

        // A claimant reads none of these lists.
        for path in ["/v1/recommendations", "/v1/decisions", "/v1/awards", "/v1/payment-rounds", "/v1/batches", "/v1/jobs", "/v1/exchange-rates"] {
            problem(app.get(path).bearer_auth(&w.claimant).send().await.unwrap(), 403, "forbidden").await;
        }
    }

    async fn batches_and_their_jobs_are_listed(app: TestApp) {
        let w = world(&app, false).await;
        // Cases awaiting assessment, taken into a batch and assessed by a job.
        let cases: Vec<store::cases::SyntheticCase> = (0..3)
            .map(|i| store::cases::SyntheticCase {
                category: "A3.1".into(),
                region: Some("UA-32".into()),
                claimant_key: Some(format!("batch-{i}")),
                facts: store::cases::CaseFacts::default(),
            })
            .collect();
        app.state.store.insert_synthetic_cases(w.claimant_id, &cases).await.unwrap();
        let (s, batch) = json(app.post("/v1/batches").bearer_auth(&w.assessor)
            .json(&json!({"category": "A3.1"})).send().await.unwrap()).await;
        assert_eq!(s, 201, "{batch}");
        let listed = get(&app, &w.assessor, "/v1/batches?status=selected&category=A3.1").await;
        let item = &listed["items"][0];
        assert_eq!(item["id"], batch["id"], "{listed}");
        assert_eq!(item["case_count"], 3);
        assert!(item.get("findings").is_none(), "a list item is a summary: {item}");
        assert_eq!(get(&app, &w.assessor, "/v1/batches?status=released").await["items"], json!([]));
        refused(&app, &w.assessor, "/v1/batches?status=cooking", "status").await;

        let bid = batch["id"].as_str().unwrap();
        let (s, job) = json(app.post(&format!("/v1/batches/{bid}/assess")).bearer_auth(&w.assessor)
            .send().await.unwrap()).await;
        assert_eq!(s, 202, "{job}");
        let jobs = get(&app, &w.assessor, "/v1/jobs").await;
        assert_eq!(ids(jobs["items"].as_array().unwrap()), [job["id"].as_str().unwrap()]);
        assert_eq!(jobs["items"][0]["subject_id"], batch["id"]);
        refused(&app, &w.assessor, "/v1/jobs?status=later", "status").await;

        // Import jobs are listed apart, to those who import.
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let imports = get(&app, &registrar, "/v1/imports").await;
        assert_eq!(imports, json!({"items": [], "next_cursor": null}));
        problem(app.get("/v1/imports").bearer_auth(&w.assessor).send().await.unwrap(), 403, "forbidden").await;
    }

    async fn recorded_exchange_rates_and_rule_versions_read_back(app: TestApp) {
        let (_, assessor) = app.account("Assessor", &[Role::Assessor]).await;
        let (_, council) = app.account("Council", &[Role::Council]).await;
        let rates = "from,to,date,rate,source\n\
            UAH,EUR,2022-03-11,0.0306,NBU\nUAH,EUR,2022-03-10,0.0301,NBU\n\
            USD,EUR,2022-03-11,0.91,ECB\nPLN,EUR,2022-03-11,0.21,ECB\n";
        let (s, imported) = json(app.post("/v1/exchange-rates/import").bearer_auth(&assessor)
            .header("content-type", "text/csv").body(rates).send().await.unwrap()).await;
        assert_eq!((s, imported["recorded"].as_u64()), (200, Some(4)), "{imported}");
        // By pair, then date, over pages of three.
        let all = walk(&app, &assessor, "/v1/exchange-rates", 3).await;
        let keys: Vec<String> = all.iter()
            .map(|r| format!("{}/{}/{}", r["from"].as_str().unwrap(), r["to"].as_str().unwrap(), r["date"].as_str().unwrap()))
            .collect();
        assert_eq!(keys, ["PLN/EUR/2022-03-11", "UAH/EUR/2022-03-10", "UAH/EUR/2022-03-11", "USD/EUR/2022-03-11"]);
        assert_eq!(all[2], json!({"from": "UAH", "to": "EUR", "date": "2022-03-11", "rate": "0.0306", "source": "NBU"}));
        let uah = get(&app, &assessor, "/v1/exchange-rates?from=UAH&since=2022-03-11").await;
        assert_eq!(uah["items"].as_array().unwrap().len(), 1, "{uah}");
        assert_eq!(uah["items"][0]["rate"], "0.0306");
        refused(&app, &assessor, "/v1/exchange-rates?until=11%20March", "until").await;
        refused(&app, &assessor, "/v1/exchange-rates?from=hryvnia", "from").await;

        // Rule versions: by category, then version, public.
        for (category, version) in [("A3.1", 1), ("A3.1", 2), ("A2.5", 1)] {
            let (s, body) = json(app.post("/v1/valuation-rules").bearer_auth(&council)
                .json(&json!({"category": category, "kind": "manual"})).send().await.unwrap()).await;
            assert_eq!(body["rule"]["version"], version, "the server assigns the next version: {body}");
            assert_eq!(s, 201, "{body}");
        }
        let mut all = Vec::new();
        let mut url = "/v1/valuation-rules?limit=2".to_owned();
        loop {
            let (s, page) = json(app.get(&url).send().await.unwrap()).await;
            assert_eq!(s, 200, "{page}");
            all.extend(page["items"].as_array().unwrap().iter().map(|r| {
                format!("{}/{}", r["rule"]["category"].as_str().unwrap(), r["rule"]["version"])
            }));
            match page["next_cursor"].as_str() {
                Some(c) => url = format!("/v1/valuation-rules?limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(all, ["A2.5/1", "A3.1/1", "A3.1/2"]);
        let (_, a31) = json(app.get("/v1/valuation-rules?category=A3.1&limit=1").send().await.unwrap()).await;
        assert_eq!(a31["items"].as_array().unwrap().len(), 1);
        assert!(a31["next_cursor"].is_string());
    }
}
