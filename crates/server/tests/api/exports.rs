//! Bulk exports of claims: streamed across store pages, CSV formula
//! injection neutralised, personal data and sensitive claims only for
//! those who may see them.

use crate::support::{TestApp, json, problem};
use kernel::Role;
use kernel::access::Clearance;
use serde_json::{Value, json as j};
use server::import::{Format, Options, Rejects};
use store::{AuditContext, NewAccount};

/// Imports `n` draft claims filed by `filed_by`; `edit` changes the i-th.
async fn claims(
    app: &TestApp,
    filed_by: kernel::id::AccountId,
    n: usize,
    edit: impl Fn(usize, &mut Value),
) {
    let mut data = String::new();
    for i in 0..n {
        let mut claim = crate::claims::house("3184710691", "3210900000:01:001:0001");
        edit(i, &mut claim);
        data += &j!({"external_id": format!("exp-{i}"), "claim": claim}).to_string();
        data.push('\n');
    }
    let options = Options::new(Format::Jsonl, Some(filed_by));
    let summary = server::import::run(
        &app.state.app,
        &AuditContext::system(),
        None,
        data.as_bytes(),
        &options,
        Rejects::Discard,
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.imported, n as u64, "{summary:?}");
}

async fn export(app: &TestApp, token: &str, query: &str, accept: Option<&str>) -> (u16, String) {
    let mut request = app
        .get(&format!("/v1/exports/claims{query}"))
        .bearer_auth(token);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

both! {
    async fn csv_neutralises_formulas_and_every_row_streams_across_pages(app: TestApp) {
        let (claimant_id, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registry", &[Role::Registrar]).await;
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        let n = server::http::exports::EXPORT_PAGE as usize + 20;
        claims(&app, claimant_id, n, |i, c| {
            if i == 7 {
                c["claimant"]["family_name"] = j!("=SUM(A1)");
                c["claimant"]["given_name"] = j!("@cmd");
            }
        })
        .await;

        let (status, text) = export(&app, &registrar, "", Some("text/csv")).await;
        assert_eq!(status, 200, "{text}");
        let (header, rows) = csv_rows(&text);
        assert_eq!(rows.len(), n);
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let formula: Vec<&Vec<String>> = rows.iter().filter(|r| r[col("family_name")].contains("SUM")).collect();
        assert_eq!(formula.len(), 1);
        assert_eq!(formula[0][col("family_name")], "'=SUM(A1)");
        assert_eq!(formula[0][col("given_name")], "'@cmd");
        assert!(formula[0][col("claimant_name")].starts_with("'=SUM(A1)"), "{:?}", formula[0]);
        assert_eq!(rows[0][col("tax_number")], "3184710691");
        assert_eq!(rows[0][col("total_claimed")], "85000.00 EUR");

        // JSON Lines by default: every claim once.
        let (status, text) = export(&app, &registrar, "", None).await;
        assert_eq!(status, 200);
        let ids: std::collections::HashSet<String> = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), n);
        // Filters are those of the claims list.
        let (_, text) = export(&app, &registrar, "?status=submitted", None).await;
        assert_eq!(text.lines().count(), 0);
        let (status, _) = export(&app, &registrar, "?status=nonsense", None).await;
        assert_eq!(status, 422);

        // Minimal: no personal data; the auditor only gets that.
        let (_, text) = export(&app, &registrar, "?fields=minimal", None).await;
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert!(first.get("tax_number").is_none() && first.get("family_name").is_none(), "{first}");
        assert_eq!(first["status"], "draft");
        let (status, text) = export(&app, &auditor, "", Some("text/csv")).await;
        assert_eq!(status, 200);
        let (header, rows) = csv_rows(&text);
        assert_eq!(rows.len(), n);
        assert!(!header.iter().any(|h| h == "tax_number" || h == "claimant_name"), "{header:?}");
        problem(app.get("/v1/exports/claims?fields=full").bearer_auth(&auditor).send().await.unwrap(), 403, "forbidden").await;

        // Claimants export nothing.
        problem(app.get("/v1/exports/claims").bearer_auth(&claimant).send().await.unwrap(), 403, "forbidden").await;

        // The export is on record.
        let (_, log) = json(app.get("/v1/audit?action=claims.exported").bearer_auth(&auditor).send().await.unwrap()).await;
        assert!(log["items"].as_array().is_some_and(|i| i.len() >= 4), "{log}");
    }

    async fn sensitive_claims_are_exported_only_to_cleared_staff(app: TestApp) {
        let (claimant_id, _) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, plain) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, cleared) = app
            .account_with(NewAccount {
                display_name: "Cleared registrar".into(),
                roles: vec![Role::Registrar],
                clearances: vec![Clearance::Sensitive],
                participant: None,
                external_subject: None,
            })
            .await;
        claims(&app, claimant_id, 2, |i, c| {
            if i == 1 {
                c["category"] = j!("A2.4");
                c["category_fields"] = j!({});
                c["narrative"] = j!("What happened in the basement.");
            }
        })
        .await;
        let (status, text) = export(&app, &plain, "", None).await;
        assert_eq!(status, 200);
        let rows: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["sensitive"], false);
        let (_, text) = export(&app, &cleared, "", Some("text/csv")).await;
        let (header, rows) = csv_rows(&text);
        assert_eq!(rows.len(), 2);
        let sensitive = header.iter().position(|h| h == "sensitive").unwrap();
        let tax = header.iter().position(|h| h == "tax_number").unwrap();
        let row = rows.iter().find(|r| r[sensitive] == "true").expect("the sensitive claim");
        assert_eq!(row[tax], "3184710691", "sealed parts are opened for the cleared: {row:?}");
    }
}

both! {
    async fn awards_export_streams_the_ledger_with_payees_for_the_council_only(app: TestApp) {
        use crate::decisions::{adopted, assessed_cases, decide, put_in_force, world};
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 2).await;
        put_in_force(&app).await;
        for case in &cases {
            let rec = adopted(&app, &w, case).await;
            let (s, issued) = decide(&app, &w.council, &rec, j!({"action": "approve"})).await;
            assert_eq!(s, 200, "{issued}");
        }
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        let (_, registrar) = app.account("Registry", &[Role::Registrar]).await;

        let response = app.get("/v1/exports/awards").bearer_auth(&w.council).header("accept", "text/csv").send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let (header, rows) = csv_rows(&response.text().await.unwrap());
        assert_eq!(rows.len(), 2);
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        assert_eq!(rows[0][col("amount")], "76500.00");
        assert_eq!(rows[0][col("currency")], "EUR");
        assert_eq!(rows[0][col("payee_kind")], "claimant");

        let response = app.get("/v1/exports/awards").bearer_auth(&auditor).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let text = response.text().await.unwrap();
        let rows: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].get("payees").is_none(), "{}", rows[0]);
        assert_eq!(rows[0]["status"], "awarded");
        problem(app.get("/v1/exports/awards?fields=full").bearer_auth(&auditor).send().await.unwrap(), 403, "forbidden").await;
        problem(app.get("/v1/exports/awards").bearer_auth(&registrar).send().await.unwrap(), 403, "forbidden").await;
        problem(app.get("/v1/exports/awards").bearer_auth(&w.claimant).send().await.unwrap(), 403, "forbidden").await;
    }
}
