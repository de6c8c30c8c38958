//! The base every capability stands on: health, readiness, errors, metrics,
//! API description.

use crate::support::{TestApp, json, problem};
use kernel::Role;

both! {
    async fn health_and_readiness_answer(app: TestApp) {
        let (status, body) = json(app.get("/health").send().await.unwrap()).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
        let (status, body) = json(app.get("/ready").send().await.unwrap()).await;
        assert_eq!(status, 200);
        let expected = match app.db {
            crate::support::Db::Sqlite => "sqlite",
            crate::support::Db::Postgres => "postgres",
        };
        assert_eq!(body["database"], expected);
    }

    async fn request_ids_are_echoed_or_made(app: TestApp) {
        let r = app.get("/health").header("x-request-id", "abc-123").send().await.unwrap();
        assert_eq!(r.headers()["x-request-id"], "abc-123");
        let r = app.get("/health").send().await.unwrap();
        assert_eq!(r.headers()["x-request-id"].len(), 36, "a UUID is made when none is sent");
    }

    async fn unknown_routes_and_methods_are_problems(app: TestApp) {
        problem(app.get("/no/such/thing").send().await.unwrap(), 404, "not-found").await;
        problem(app.post("/health").send().await.unwrap(), 405, "method-not-allowed").await;
    }

    async fn unreadable_bodies_are_problems(app: TestApp) {
        let (_, admin) = app.account("Admin", &[kernel::Role::Admin]).await;
        let send = |body: &'static str, content_type: &'static str| {
            app.post("/v1/accounts")
                .bearer_auth(&admin)
                .header("content-type", content_type)
                .body(body)
        };
        let p = problem(send("{not json", "application/json").send().await.unwrap(), 400, "malformed-request").await;
        assert!(p["detail"].as_str().unwrap().contains("not valid JSON"), "{p}");
        problem(send("{}", "text/plain").send().await.unwrap(), 415, "unsupported-media-type").await;
        let p = problem(
            send(r#"{"display_name": 7, "roles": []}"#, "application/json").send().await.unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "display_name", "{p}");
        let p = problem(
            send(r#"{"display_name": "x", "roles": ["emperor"]}"#, "application/json").send().await.unwrap(),
            422,
            "validation",
        )
        .await;
        assert!(p["errors"][0]["field"].as_str().unwrap().starts_with("roles"), "{p}");
    }

    async fn oversized_bodies_are_refused(app: TestApp) {
        let (_, admin) = app.account("Admin", &[kernel::Role::Admin]).await;
        let huge = format!(r#"{{"display_name": "{}", "roles": ["claimant"]}}"#, "x".repeat(2 * 1024 * 1024));
        let r = app
            .post("/v1/accounts")
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap();
        problem(r, 413, "payload-too-large").await;
    }

    async fn metrics_count_requests_by_route(app: TestApp) {
        app.get("/health").send().await.unwrap();
        let text = app.get("/metrics").send().await.unwrap().text().await.unwrap();
        assert!(
            text.contains(r#"http_requests_total{method="GET",route="/health",status="200"}"#),
            "{text}"
        );
        assert!(text.contains("http_request_duration_seconds_bucket"), "histogram, not summary");
    }

    async fn metrics_show_the_backlogs_and_the_gate_from_the_database(app: TestApp) {
        let sample = |text: &str, series: &str| -> i64 {
            let line = text.lines().find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
                .unwrap_or_else(|| panic!("{series} in {text}"));
            line.rsplit(' ').next().unwrap().parse().unwrap()
        };
        let scrape = || async { app.get("/metrics").send().await.unwrap().text().await.unwrap() };
        let text = scrape().await;
        assert_eq!(sample(&text, "redress_operational_scrape_ok"), 1, "{text}");
        // Every known status is a series from the start, at 0.
        assert_eq!(sample(&text, r#"redress_claims{status="draft"}"#), 0);
        assert_eq!(sample(&text, r#"redress_cases{status="awaiting_assessment"}"#), 0);
        assert_eq!(sample(&text, r#"redress_jobs{status="failed"}"#), 0);
        assert_eq!(sample(&text, r#"redress_webhook_deliveries{status="pending"}"#), 0);
        assert_eq!(sample(&text, r#"redress_notices{status="failed"}"#), 0);
        assert_eq!(sample(&text, "redress_notices_retrying"), 0);
        assert_eq!(sample(&text, "redress_commission_may_act"), 0);
        assert_eq!(sample(&text, "redress_convention_consents_threshold"), 25);

        // Two drafts, one submitted; the convention put in force.
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        for cadastral in ["3210900000:01:001:0001", "3210900000:01:001:0002"] {
            let (s, draft) = json(app.post("/v1/claims").bearer_auth(&claimant)
                .json(&crate::claims::house("3184710691", cadastral)).send().await.unwrap()).await;
            assert_eq!(s, 201, "{draft}");
            if cadastral.ends_with('1') {
                let id = draft["id"].as_str().unwrap();
                let r = app.post(&format!("/v1/claims/{id}/submit")).bearer_auth(&claimant).send().await.unwrap();
                assert_eq!(r.status(), 200);
            }
        }
        crate::decisions::put_in_force(&app).await;
        let text = scrape().await;
        assert_eq!(sample(&text, r#"redress_claims{status="draft"}"#), 1, "{text}");
        assert_eq!(sample(&text, r#"redress_claims{status="submitted"}"#), 1, "{text}");
        assert_eq!(sample(&text, "redress_commission_may_act"), 1, "{text}");
        // The submission's notice waits in the outbox (no SMTP server here).
        assert_eq!(sample(&text, r#"redress_notices{status="pending"}"#), 1, "{text}");
        assert_eq!(sample(&text, "redress_convention_counted_consents"), 25, "{text}");
    }

    async fn api_description_and_docs_are_served(app: TestApp) {
        let (status, spec) = json(app.get("/openapi.json").send().await.unwrap()).await;
        assert_eq!(status, 200);
        assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(spec["paths"]["/v1/accounts"]["post"].is_object());
        let docs = app.get("/docs/").send().await.unwrap();
        assert_eq!(docs.status(), 200);
        let html = docs.text().await.unwrap();
        assert!(html.contains("swagger-ui"), "docs page served from the binary");
        assert!(!html.contains("cdn."), "no CDN: the docs must work offline");
    }
}

#[tokio::test]
async fn readiness_fails_quickly_when_the_database_is_gone() {
    let Some(app) = TestApp::spawn(crate::support::Db::Postgres).await else {
        eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = app.state.settings.database.url().to_owned();
    let name = url.rsplit('/').next().unwrap().to_owned();
    let server = store_postgres::testing::server_url().unwrap();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&server)
        .await
        .unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let body = problem(app.get("/ready").send().await.unwrap(), 503, "unavailable").await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "no hanging request"
    );
    assert!(
        !body["detail"].as_str().unwrap().contains(&name),
        "no internals leak: {body}"
    );
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health").send().await.unwrap().status(), 200);
}

#[test]
fn openapi_description_is_reviewed() {
    let spec = server::http::openapi();
    let json = serde_json::to_value(&spec).unwrap();
    insta::assert_json_snapshot!("openapi", json);
}

#[test]
fn migrations_match_between_backends() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let names = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(backend))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite,
        names("postgres"),
        "same versions and names in both migration folders"
    );
}
