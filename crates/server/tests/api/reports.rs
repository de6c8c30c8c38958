//! Reports: claim counts and processing times, and who may read them.

use crate::claims::house;
use crate::support::{TestApp, json};
use kernel::{Clock as _, Role};
use serde_json::{Value, json};
use time::Duration;

const TAX: &str = "3184710691";

/// Files a claim (the `n`th, so duplicate keys differ) and returns its id.
pub(crate) async fn file(app: &TestApp, claimant: &str, n: usize) -> String {
    let mut claim = house(TAX, &format!("3210900000:01:001:{:04}", n + 1));
    claim["incident"] = json!({"kind": "on", "date": format!("2023-01-{:02}", n + 1)});
    let (s, body) = json(
        app.post("/v1/claims")
            .bearer_auth(claimant)
            .json(&claim)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn act(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
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

pub(crate) async fn submit(app: &TestApp, claimant: &str, id: &str) -> (u16, Value) {
    act(app, claimant, &format!("/v1/claims/{id}/submit"), json!({})).await
}

pub(crate) async fn review(app: &TestApp, registrar: &str, id: &str) {
    let (s, b) = act(
        app,
        registrar,
        &format!("/v1/claims/{id}/review"),
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
}

pub(crate) async fn decide(app: &TestApp, board: &str, id: &str, outcome: &str) -> (u16, Value) {
    act(
        app,
        board,
        "/v1/claims/decisions",
        json!({"meeting_reference": "Board 1", "items": [
            {"claim_id": id, "outcome": outcome, "reasons": "as found"}
        ]}),
    )
    .await
    .1
    .as_array()
    .map(|r| {
        (
            u16::try_from(r[0]["status"].as_u64().unwrap()).unwrap(),
            r[0].clone(),
        )
    })
    .unwrap()
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 0.01)
}

both! {
    async fn counts_and_processing_times_are_exact(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, board) = app.account("Board", &[Role::Board]).await;
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let month = app.clock.now().format(&time::macros::format_description!("[year]-[month]")).unwrap();

        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(file(&app, &claimant, n).await);
        }
        // Four submitted now; the fifth stays a draft.
        for id in &ids[..4] {
            assert_eq!(submit(&app, &claimant, id).await.0, 200);
        }
        for id in &ids[..3] {
            review(&app, &registrar, id).await;
        }
        app.clock.advance(Duration::days(1));
        assert_eq!(decide(&app, &board, &ids[0], "recorded").await.0, 200);
        app.clock.advance(Duration::days(2));
        assert_eq!(decide(&app, &board, &ids[1], "recorded").await.0, 200);
        assert_eq!(decide(&app, &board, &ids[2], "rejected").await.0, 200);

        let (s, counts) = json(app.get("/v1/reports/claims").bearer_auth(&auditor).send().await.unwrap()).await;
        assert_eq!(s, 200, "{counts}");
        assert_eq!(counts["total"], 5);
        assert_eq!(counts["by_status"], json!({"draft": 1, "submitted": 1, "recorded": 2, "rejected": 1}));
        assert_eq!(counts["by_category"], json!({"A3.1": 5}));
        assert_eq!(counts["by_region"], json!({"UA-32": 5}));
        assert_eq!(counts["by_submission_month"], json!({ month: 4 }));

        let (s, report) = json(app.get("/v1/reports/processing").bearer_auth(&registrar).send().await.unwrap()).await;
        assert_eq!(s, 200, "{report}");
        let day = 86_400.0;
        let rec = &report["by_category"]["A3.1"]["to_recording"];
        assert_eq!(rec["count"], 2, "{report}");
        // Durations 1 and 3 days: median 2, p90 = 1 + 0.9 * 2 = 2.8 days.
        assert!(close(&rec["median_seconds"], 2.0 * day), "{report}");
        assert!(close(&rec["p90_seconds"], 2.8 * day), "{report}");
        let dec = &report["by_category"]["A3.1"]["to_decision"];
        assert_eq!(dec["count"], 3, "{report}");
        // 1, 3, 3 days: median 3, p90 at rank 1.8 = 3 days.
        assert!(close(&dec["median_seconds"], 3.0 * day), "{report}");
        assert!(close(&dec["p90_seconds"], 3.0 * day), "{report}");
        assert_eq!(report["backlog"]["submitted"]["count"], 1);
        assert!(report["backlog"]["submitted"]["oldest_submitted_at"].is_string(), "{report}");
        assert_eq!(report["backlog"]["under_review"]["count"], 0);

        // States see the aggregate figures; claimants and admins do not.
        let (_, state) = app.account("State", &[Role::State]).await;
        assert_eq!(app.get("/v1/reports/claims").bearer_auth(&state).send().await.unwrap().status(), 200);
        for token in [&claimant, &admin] {
            for path in ["/v1/reports/claims", "/v1/reports/processing"] {
                assert_eq!(app.get(path).bearer_auth(token).send().await.unwrap().status(), 403, "{path}");
            }
        }
        assert_eq!(app.get("/v1/reports/claims").send().await.unwrap().status(), 401);
    }

    async fn the_maintained_counts_equal_a_scan_of_the_claims(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, board) = app.account("Board", &[Role::Board]).await;
        let store = app.state.store.clone();
        let check = |when: &'static str| {
            let store = store.clone();
            async move {
                let kept = store.claim_counts().await.unwrap();
                let scanned = store.claim_counts_by_scan().await.unwrap();
                assert_eq!(kept, scanned, "after {when}");
                kept
            }
        };
        let mut ids = Vec::new();
        for n in 0..8 {
            ids.push(file(&app, &claimant, n).await);
        }
        check("creation").await;
        // A draft edit that moves a claim to another region.
        let (_, draft) = json(app.get(&format!("/v1/claims/{}", ids[7])).bearer_auth(&claimant).send().await.unwrap()).await;
        let (s, edited) = json(
            app.request(reqwest::Method::PATCH, &format!("/v1/claims/{}", ids[7]))
                .bearer_auth(&claimant)
                .header("if-match", format!("\"v{}\"", draft["version"]))
                .json(&json!({"location": {"region": "UA-30"}}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200, "{edited}");
        check("a draft edit").await;
        for id in &ids[..3] {
            assert_eq!(submit(&app, &claimant, id).await.0, 200);
        }
        // The next submissions fall in another month.
        app.clock.advance(Duration::days(40));
        for id in &ids[3..7] {
            assert_eq!(submit(&app, &claimant, id).await.0, 200);
        }
        check("submission").await;
        for id in &ids[..5] {
            review(&app, &registrar, id).await;
        }
        let (s, asked) = act(&app, &registrar, &format!("/v1/claims/{}/information-requests", ids[4]), json!({"message": "More, please."})).await;
        assert_eq!(s, 200, "{asked}");
        check("review").await;
        assert_eq!(decide(&app, &board, &ids[0], "recorded").await.0, 200);
        assert_eq!(decide(&app, &board, &ids[1], "recorded").await.0, 200);
        assert_eq!(decide(&app, &board, &ids[2], "rejected").await.0, 200);
        let (s, w) = act(&app, &claimant, &format!("/v1/claims/{}/withdraw", ids[5]), json!({"reason": "settled"})).await;
        assert_eq!(s, 200, "{w}");
        let counts = check("decisions and withdrawals").await;
        assert_eq!(counts.total, 8);
        assert_eq!(counts.by_submission_month.len(), 2, "{counts:?}");
        assert_eq!(counts.by_submission_month.values().sum::<i64>(), 7, "{counts:?}");
        assert_eq!(counts.by_region.get("UA-30"), Some(&1), "{counts:?}");
        assert_eq!(counts.by_status.get("withdrawn"), Some(&1), "{counts:?}");
        assert_eq!(counts.by_status.get("draft"), Some(&1), "{counts:?}");
        assert_eq!(counts.by_status.get("information_requested"), Some(&1), "{counts:?}");
    }

    async fn an_empty_register_reports_zeros(app: TestApp) {
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        let (_, counts) = json(app.get("/v1/reports/claims").bearer_auth(&auditor).send().await.unwrap()).await;
        assert_eq!(counts["total"], 0);
        let (_, report) = json(app.get("/v1/reports/processing").bearer_auth(&auditor).send().await.unwrap()).await;
        assert_eq!(report["by_category"], json!({}));
        assert_eq!(report["backlog"]["submitted"]["count"], 0);
    }
}
