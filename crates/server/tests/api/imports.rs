//! Bulk import of claims (the pipeline behind `redress import claims`), on
//! both backends: mixed rows, re-runs, broken encoding, wrong header,
//! truncated last line, over-long lines.

use crate::support::TestApp;
use kernel::Role;
use serde_json::{Value, json};
use server::import::{Format, ImportError, Options, Rejects, Summary};
use store::AuditContext;
use store::imports::ImportReject;

fn row(external_id: &str, claim: &Value, submit: bool) -> String {
    format!(
        "{}\n",
        json!({"external_id": external_id, "claim": claim, "submit": submit})
    )
}

async fn import(
    app: &TestApp,
    filed_by: kernel::id::AccountId,
    format: Format,
    data: &[u8],
    max_line: usize,
) -> Result<(Summary, Vec<ImportReject>), ImportError> {
    let mut report: Vec<u8> = Vec::new();
    let mut options = Options::new(format, Some(filed_by));
    options.max_line_bytes = max_line;
    options.chunk_rows = 2;
    let summary = server::import::run(
        &app.state.app,
        &AuditContext::system(),
        None,
        data,
        &options,
        Rejects::Writer(&mut report),
        |_, _| {},
    )
    .await?;
    let rejects = String::from_utf8(report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    Ok((summary, rejects))
}

both! {
    async fn mixed_rows_are_imported_or_reported_and_reruns_import_nothing(app: TestApp) {
        let (registrar, _) = app.account("Registry", &[Role::Registrar]).await;
        let good = crate::claims::house("3184710691", "3210900000:01:001:0001");
        let mut bad_amount = good.clone();
        bad_amount["losses"][0]["amount"]["amount"] = json!("-5.00");
        let mut unknown_category = good.clone();
        unknown_category["category"] = json!("A9.9");
        let mut draft = good.clone();
        draft["claimant"]["tax_number"] = json!("2245134075");
        draft["location"]["cadastral_number"] = json!("3210900000:01:001:0002");
        let mut data = String::new();
        data += &row("ext-1", &good, true);
        data += &row("ext-2", &bad_amount, false);
        data += "{not json\n";
        data += &row("ext-3", &unknown_category, false);
        data += "\n";
        data += &row("ext-4", &draft, false);
        data.push_str(&json!({"claim": good}).to_string());
        data.push('\n');
        let (summary, rejects) =
            import(&app, registrar, Format::Jsonl, data.as_bytes(), 1 << 20).await.unwrap();
        assert_eq!(
            summary,
            Summary { read: 6, imported: 2, skipped: 0, rejected: 4 },
            "{rejects:?}"
        );
        let lines: Vec<(u64, &str)> = rejects.iter().map(|r| (r.line, r.code.as_str())).collect();
        assert_eq!(
            lines,
            vec![
                (2, "amount_not_positive"),
                (3, "json_invalid"),
                (4, "unknown_category"),
                (7, "required"),
            ]
        );
        assert_eq!(rejects[0].field.as_deref(), Some("claim.losses[0].amount"));
        assert_eq!(rejects[3].field.as_deref(), Some("external_id"));

        // The submitted row got a reference number, the draft did not.
        let page = app
            .state
            .store
            .claims(
                store::claims::Visibility::All,
                &store::claims::ClaimFilter::default(),
                kernel::PageRequest::new(Some(50), None),
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items.iter().filter(|c| c.reference.is_some()).count(), 1);

        // Again: nothing new.
        let (again, _) =
            import(&app, registrar, Format::Jsonl, data.as_bytes(), 1 << 20).await.unwrap();
        assert_eq!(again, Summary { read: 6, imported: 0, skipped: 2, rejected: 4 });

        // The maintained report counts took in the imported claims, once.
        let kept = app.state.store.claim_counts().await.unwrap();
        assert_eq!(kept, app.state.store.claim_counts_by_scan().await.unwrap());
        assert_eq!((kept.total, kept.by_submission_month.values().sum::<i64>()), (2, 1));

        // Every imported claim has its audit entry; the chain holds.
        let report = app.state.store.verify_chain().await.unwrap();
        assert!(matches!(report, store::audit::ChainReport::Intact { .. }), "{report:?}");
    }

    async fn duplicates_are_flagged_against_stored_claims_and_the_chunks_own_rows(app: TestApp) {
        let (registrar, _) = app.account("Registry", &[Role::Registrar]).await;
        let first = crate::claims::house("3184710691", "3210900000:01:001:0001");
        let (summary, _) =
            import(&app, registrar, Format::Jsonl, row("dup-a", &first, true).as_bytes(), 1 << 20)
                .await
                .unwrap();
        assert_eq!(summary.imported, 1);

        // Chunks of two rows: two rows of the same claim side by side; then
        // a row on the stored claim's land plot and a third copy of the
        // first pair, validated while the first chunk may still be being
        // written; then the land-plot row again with its external id.
        let same_plot = crate::claims::house("2245134075", "3210900000:01:001:0001");
        let other = crate::claims::house("1234567899", "3210900000:01:001:0009");
        let mut data = String::new();
        data += &row("dup-c", &other, true);
        data += &row("dup-d", &other, true);
        data += &row("dup-b", &same_plot, true);
        data += &row("dup-e", &other, true);
        data += &row("dup-b", &same_plot, true);
        let (summary, rejects) =
            import(&app, registrar, Format::Jsonl, data.as_bytes(), 1 << 20).await.unwrap();
        assert_eq!(
            summary,
            Summary { read: 5, imported: 4, skipped: 1, rejected: 0 },
            "{rejects:?}"
        );
        let page = app
            .state
            .store
            .claims(
                store::claims::Visibility::All,
                &store::claims::ClaimFilter::default(),
                kernel::PageRequest::new(Some(50), None),
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 5);
        let mut references: Vec<_> = page.items.iter().filter_map(|c| c.reference.clone()).collect();
        references.sort();
        references.dedup();
        assert_eq!(references.len(), 5, "every submitted row has its own number");
        // A pair may be flagged for several reasons, and is listed from
        // both sides: count the pairs.
        let mut pairs = std::collections::BTreeSet::new();
        for claim in &page.items {
            for f in app.state.store.duplicate_flags(claim.id).await.unwrap() {
                assert!(page.items.iter().any(|c| c.id == f.other_claim));
                pairs.insert(if f.claim < f.other_claim {
                    (f.claim, f.other_claim)
                } else {
                    (f.other_claim, f.claim)
                });
            }
        }
        let flagged_pairs = pairs.len();
        // dup-d matches dup-c (same chunk), dup-b matches dup-a (stored),
        // dup-e matches dup-c and dup-d (the chunk before): four pairs, and
        // every claim is marked.
        let flagged: Vec<bool> = page.items.iter().map(|c| c.duplicate_flagged).collect();
        assert_eq!(flagged_pairs, 4);
        assert!(flagged.iter().all(|f| *f), "{flagged:?}");
    }

    async fn bad_bytes_are_rejected_rows_and_lose_no_valid_row(app: TestApp) {
        let (registrar, _) = app.account("Registry", &[Role::Registrar]).await;
        let good = crate::claims::house("3184710691", "3210900000:01:001:0001");
        let mut data: Vec<u8> = Vec::new();
        data.extend_from_slice(row("ok-1", &good, false).as_bytes());
        data.extend_from_slice(b"{\"external_id\": \"bad\xff\xfe\"}\n");
        data.extend_from_slice(format!("{}\n", "x".repeat(5000)).as_bytes());
        data.extend_from_slice(row("ok-2", &good, false).as_bytes());
        data.extend_from_slice(b"{\"external_id\": \"cut\", \"claim\": {\"narr");
        let (summary, rejects) =
            import(&app, registrar, Format::Jsonl, &data, 2000).await.unwrap();
        assert_eq!(summary, Summary { read: 5, imported: 2, skipped: 0, rejected: 3 });
        let codes: Vec<(u64, &str)> = rejects.iter().map(|r| (r.line, r.code.as_str())).collect();
        assert_eq!(
            codes,
            vec![(2, "encoding_invalid"), (3, "line_too_long"), (5, "truncated_line")]
        );
    }

    async fn csv_with_a_wrong_header_is_refused_before_any_row(app: TestApp) {
        let (registrar, _) = app.account("Registry", &[Role::Registrar]).await;
        let data = "id,name\nx,y\n";
        let err = import(&app, registrar, Format::Csv, data.as_bytes(), 1 << 20)
            .await
            .unwrap_err();
        assert!(matches!(err, ImportError::Header(_)), "{err}");
        assert!(err.to_string().contains("external_id,filed_by,submit"), "{err}");

        let example = include_str!("../../../../docs/examples/claims.csv");
        let (summary, rejects) =
            import(&app, registrar, Format::Csv, example.as_bytes(), 1 << 20).await.unwrap();
        assert_eq!(summary, Summary { read: 1, imported: 1, skipped: 0, rejected: 0 }, "{rejects:?}");
    }
}

/// Polls an import job until it is no longer running.
async fn finished(app: &TestApp, token: &str, location: &str) -> Value {
    for _ in 0..200 {
        let (status, job) =
            crate::support::json(app.get(location).bearer_auth(token).send().await.unwrap()).await;
        assert_eq!(status, 200, "{job}");
        if job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import at {location} did not finish");
}

async fn upload(
    app: &TestApp,
    token: &str,
    content_type: &str,
    query: &str,
    data: String,
) -> (Value, String) {
    let response = app
        .post(&format!("/v1/imports{query}"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(data)
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let (status, job) = crate::support::json(response).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(
        location,
        format!("/v1/imports/{}", job["id"].as_str().unwrap())
    );
    (job, location)
}

both! {
    async fn imports_through_the_api_run_as_jobs_with_a_rejects_report(app: TestApp) {
        let (_, registrar) = app.account("Registry", &[Role::Registrar]).await;
        let (claimant_id, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let good = crate::claims::house("3184710691", "3210900000:01:001:0001");
        let mut bad_amount = good.clone();
        bad_amount["losses"][0]["amount"]["amount"] = json!("-5.00");
        let mut other = good.clone();
        other["claimant"]["tax_number"] = json!("2245134075");
        other["location"]["cadastral_number"] = json!("3210900000:01:001:0002");
        let mut data = String::new();
        data += &row("api-1", &good, true);
        data += &row("api-2", &bad_amount, false);
        data += "{not json\n";
        data += &row("api-3", &other, false);
        // A body well over the router's 1 MiB JSON limit: blank lines are ignored.
        data += &"\n".repeat(1_100_000);
        let query = format!("?filed_by={claimant_id}");

        crate::support::problem(
            app.post("/v1/imports").bearer_auth(&claimant).header("content-type", "application/x-ndjson").body(data.clone()).send().await.unwrap(),
            403,
            "forbidden",
        )
        .await;

        let (job, location) = upload(&app, &registrar, "application/x-ndjson", &query, data.clone()).await;
        assert_eq!(job["status"], "running");
        let done = finished(&app, &registrar, &location).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(
            (done["read"].as_i64(), done["imported"].as_i64(), done["skipped"].as_i64(), done["rejected"].as_i64()),
            (Some(4), Some(2), Some(0), Some(2)),
            "{done}"
        );
        let report = app.get(&format!("{location}/rejects")).bearer_auth(&registrar).send().await.unwrap();
        assert_eq!(report.status().as_u16(), 200);
        let text = report.text().await.unwrap();
        let rejects: Vec<ImportReject> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let lines: Vec<(u64, &str)> = rejects.iter().map(|r| (r.line, r.code.as_str())).collect();
        assert_eq!(lines, vec![(2, "amount_not_positive"), (3, "json_invalid")]);
        assert_eq!(rejects[0].field.as_deref(), Some("claim.losses[0].amount"));

        // The same file again: nothing new.
        let (_, location) = upload(&app, &registrar, "application/x-ndjson", &query, data).await;
        let again = finished(&app, &registrar, &location).await;
        assert_eq!(
            (again["status"].as_str(), again["imported"].as_i64(), again["skipped"].as_i64(), again["rejected"].as_i64()),
            (Some("completed"), Some(0), Some(2), Some(2)),
            "{again}"
        );
        let page = app
            .state
            .store
            .claims(
                store::claims::Visibility::All,
                &store::claims::ClaimFilter::default(),
                kernel::PageRequest::new(Some(50), None),
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2);

        // CSV by its content type; a wrong header fails the job with the reason.
        let example = include_str!("../../../../docs/examples/claims.csv");
        let (_, location) = upload(&app, &registrar, "text/csv", &query, example.to_owned()).await;
        let csv = finished(&app, &registrar, &location).await;
        assert_eq!((csv["status"].as_str(), csv["imported"].as_i64()), (Some("completed"), Some(1)), "{csv}");
        let (_, location) = upload(&app, &registrar, "text/csv; charset=utf-8", &query, "id,name\nx,y\n".into()).await;
        let wrong = finished(&app, &registrar, &location).await;
        assert_eq!(wrong["status"], "failed", "{wrong}");
        assert!(wrong["error"].as_str().unwrap().contains("external_id,filed_by"), "{wrong}");

        // Not an import job, or none at all.
        crate::support::problem(
            app.get(&format!("/v1/imports/{}", uuid::Uuid::now_v7())).bearer_auth(&registrar).send().await.unwrap(),
            404,
            "not-found",
        )
        .await;
    }
}

/// `POST /v1/imports` counts the body as it arrives and refuses one over
/// `import_max_bytes`, leaving no job and no spooled file behind.
mod upload_limit {
    use crate::support::{Db, TestApp};
    use kernel::Role;

    const LIMIT: u64 = 4096;

    async fn run(app: TestApp) {
        let (_, registrar) = app.account("Registry", &[Role::Registrar]).await;
        let spool = app.state.settings.database.data_dir.join("imports");
        crate::support::problem(
            app.post("/v1/imports")
                .bearer_auth(&registrar)
                .header("content-type", "application/x-ndjson")
                .body("\n".repeat(usize::try_from(LIMIT).unwrap() + 1))
                .send()
                .await
                .unwrap(),
            413,
            "payload-too-large",
        )
        .await;
        let left = std::fs::read_dir(&spool).map_or(0, Iterator::count);
        assert_eq!(left, 0, "the partial upload is deleted");

        // Exactly at the limit is taken.
        let response = app
            .post("/v1/imports")
            .bearer_auth(&registrar)
            .header("content-type", "application/x-ndjson")
            .body("\n".repeat(usize::try_from(LIMIT).unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 202);
    }

    fn small(s: &mut server::config::Settings) {
        s.import_max_bytes = LIMIT;
    }

    #[tokio::test]
    async fn sqlite() {
        run(TestApp::spawn_with(Db::Sqlite, small).await.unwrap()).await;
    }

    #[tokio::test]
    async fn postgres() {
        let Some(app) = TestApp::spawn_with(Db::Postgres, small).await else {
            eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
            return;
        };
        run(app).await;
    }
}

/// The codes a refusal names: each field's, or the problem's type.
fn codes_of(problem: &Value) -> Vec<String> {
    let mut codes: Vec<String> = match problem["errors"].as_array() {
        Some(errors) if !errors.is_empty() => errors
            .iter()
            .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
            .collect(),
        _ => vec![
            problem["type"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("/problems/")
                .to_owned(),
        ],
    };
    codes.sort();
    codes.dedup();
    codes
}

/// One set of claims through the API (filed, then submitted) and through
/// an import of the same claims to submit, on a deployment whose earliest
/// date of damage is later than the default: both take and refuse the same
/// claims for the same reasons, and so does the import's dry check.
async fn intake_is_one_path(db: crate::support::Db) {
    let Some(app) = TestApp::spawn_with(db, |s| {
        s.eligibility_start = time::macros::date!(2023 - 01 - 01);
    })
    .await
    else {
        return;
    };
    let (filed_by, claimant) = app.account("Claimant", &[Role::Claimant]).await;
    let mut base = crate::claims::house("3184710691", "3210900000:01:001:0001");
    base["incident"] = json!({"kind": "on", "date": "2023-05-01"});
    let variant = |i: usize, change: &dyn Fn(&mut Value)| {
        let mut claim = base.clone();
        // Each claim its own property and tax number, so that none is a
        // duplicate of another (flags never refuse, but keep it simple).
        claim["location"]["cadastral_number"] = json!(format!("3210900000:01:001:{:04}", i + 10));
        change(&mut claim);
        claim
    };
    let cases: Vec<(&str, Value)> = vec![
        ("valid", variant(0, &|_| {})),
        (
            "before the configured start",
            variant(1, &|c| {
                c["incident"] = json!({"kind": "on", "date": "2022-06-01"});
            }),
        ),
        (
            "unknown category",
            variant(2, &|c| c["category"] = json!("A9.9")),
        ),
        (
            "category for legal entities",
            variant(3, &|c| c["category"] = json!("C3.1")),
        ),
        (
            "category not open",
            variant(4, &|c| c["category"] = json!("B1.5")),
        ),
        (
            "amount too precise",
            variant(5, &|c| {
                c["losses"][0]["amount"]["amount"] = json!("100.001");
            }),
        ),
        (
            "too many losses",
            variant(6, &|c| {
                c["losses"] = json!(vec![c["losses"][0].clone(); register::MAX_LOSSES + 1]);
            }),
        ),
        (
            "missing form field",
            variant(7, &|c| {
                c["category_fields"]
                    .as_object_mut()
                    .unwrap()
                    .remove("floor_area_m2");
            }),
        ),
        (
            "unknown region",
            variant(8, &|c| c["location"]["region"] = json!("UA-99")),
        ),
    ];

    // Through the API.
    let mut by_api = Vec::new();
    for (_, claim) in &cases {
        let created = app
            .post("/v1/claims")
            .bearer_auth(&claimant)
            .json(claim)
            .send()
            .await
            .unwrap();
        let (status, body) = crate::support::json(created).await;
        let outcome = if status == 201 {
            let id = body["id"].as_str().unwrap();
            let (status, body) = crate::support::json(
                app.post(&format!("/v1/claims/{id}/submit"))
                    .bearer_auth(&claimant)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            if status == 200 {
                Ok(())
            } else {
                Err(codes_of(&body))
            }
        } else {
            assert!(status == 422 || status == 400, "{status} {body}");
            Err(codes_of(&body))
        };
        by_api.push(outcome);
    }

    // Through the import, the same claims to submit.
    let mut data = String::new();
    for (i, (_, claim)) in cases.iter().enumerate() {
        data += &row(&format!("parity-{i}"), claim, true);
    }
    let (_, rejects) = import(&app, filed_by, Format::Jsonl, data.as_bytes(), 1 << 20)
        .await
        .unwrap();
    let by_import: Vec<Result<(), Vec<String>>> = (0..cases.len())
        .map(|i| {
            let mut codes: Vec<String> = rejects
                .iter()
                .filter(|r| r.external_id.as_deref() == Some(&format!("parity-{i}")))
                .map(|r| r.code.clone())
                .collect();
            codes.sort();
            codes.dedup();
            if codes.is_empty() { Ok(()) } else { Err(codes) }
        })
        .collect();

    // And the dry check the fuzzer runs, with the same configuration.
    let config = app.state.app.config.clone();
    let catalogue = register::seed::categories().unwrap();
    let regions = register::seed::regions().unwrap();
    let today = kernel::Clock::today(&app.clock);
    for (i, (name, claim)) in cases.iter().enumerate() {
        assert_eq!(
            by_api[i], by_import[i],
            "{name}: the API and the import disagree"
        );
        let dry =
            server::import::dry_check(claim.clone(), true, &config, &catalogue, &regions, today);
        assert_eq!(dry, by_api[i].is_ok(), "{name}: the dry check disagrees");
    }
    assert_eq!(by_api[0], Ok(()), "the valid claim is taken");
    assert!(by_api[1..].iter().all(Result::is_err), "{by_api:?}");
    assert!(
        by_api[1]
            .as_ref()
            .unwrap_err()
            .iter()
            .any(|c| c.contains("before")),
        "the configured start refuses: {:?}",
        by_api[1]
    );
    assert_eq!(by_api[3], Err(vec!["claimant_type_mismatch".to_owned()]));
}

#[tokio::test]
async fn intake_is_one_path_on_sqlite() {
    intake_is_one_path(crate::support::Db::Sqlite).await;
}

#[tokio::test]
async fn intake_is_one_path_on_postgres() {
    intake_is_one_path(crate::support::Db::Postgres).await;
}
