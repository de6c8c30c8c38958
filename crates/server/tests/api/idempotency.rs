//! `Idempotency-Key` on state-changing requests, through `POST /v1/accounts`.

use crate::support::{TestApp, json, problem};
use kernel::{Clock, Role};
use serde_json::{Value, json};
use server::http::idempotency::{Fingerprinted, fingerprint};
use store::Begin;

/// Sends a JSON body byte for byte as given, with an optional key.
async fn create(app: &TestApp, token: &str, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app
        .post("/v1/accounts")
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap());
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

/// How many accounts have this display name.
async fn named(app: &TestApp, token: &str, name: &str) -> usize {
    let (status, page) = json(
        app.get("/v1/accounts?limit=500")
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["display_name"] == name)
        .count()
}

fn replayed(response: &reqwest::Response) -> Option<&str> {
    response
        .headers()
        .get("idempotent-replayed")
        .and_then(|v| v.to_str().ok())
}

/// The fingerprint the server computes for `POST /v1/accounts` with `body`.
fn create_fingerprint(body: &Value) -> [u8; 32] {
    fingerprint(
        &axum::http::Method::POST,
        "/v1/accounts",
        &"/v1/accounts".parse().unwrap(),
        Fingerprinted::Body(&serde_json::to_vec(body).unwrap()),
    )
}

/// Runs the futures concurrently; their outputs in the same order.
async fn spawn_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

both! {
    async fn same_key_and_body_replays_the_first_answer(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let body = json!({"display_name": "Oksana Bondar", "roles": ["registrar"]});
        let first = create(&app, &admin, Some("create-oksana"), &body).await;
        assert_eq!(replayed(&first), None);
        let first_etag = first.headers()["etag"].clone();
        let first_text = first.text().await.unwrap();

        let again = create(&app, &admin, Some("create-oksana"), &body).await;
        assert_eq!(again.status(), 201);
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(again.headers()["etag"], first_etag);
        assert_eq!(again.headers()["content-type"], "application/json");
        assert_eq!(again.text().await.unwrap(), first_text, "the same answer");
        assert_eq!(named(&app, &admin, "Oksana Bondar").await, 1, "created once");
    }

    async fn same_key_with_another_body_is_refused(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let first = json!({"display_name": "Petro Marchenko", "roles": ["board"]});
        assert_eq!(create(&app, &admin, Some("k-1"), &first).await.status(), 201);
        let other = json!({"display_name": "Petro Marchenko", "roles": ["assessor"]});
        let p = problem(
            create(&app, &admin, Some("k-1"), &other).await,
            422,
            "idempotency-key-reused",
        )
        .await;
        assert!(p["detail"].as_str().unwrap().contains("different request"), "{p}");
        assert_eq!(named(&app, &admin, "Petro Marchenko").await, 1);
    }

    async fn keys_are_per_account(app: TestApp) {
        let (_, one) = app.account("Admin one", &[Role::Admin]).await;
        let (_, two) = app.account("Admin two", &[Role::Admin]).await;
        let a = json!({"display_name": "Made by one", "roles": ["claimant"]});
        let b = json!({"display_name": "Made by two", "roles": ["claimant"]});
        let (status, made_a) = json(create(&app, &one, Some("shared-key"), &a).await).await;
        assert_eq!(status, 201, "{made_a}");
        let second = create(&app, &two, Some("shared-key"), &b).await;
        assert_eq!(replayed(&second), None);
        let (status, made_b) = json(second).await;
        assert_eq!(status, 201, "{made_b}");
        assert_ne!(made_a["id"], made_b["id"]);
        assert_eq!(named(&app, &one, "Made by one").await, 1);
        assert_eq!(named(&app, &one, "Made by two").await, 1);
    }

    async fn a_request_in_flight_is_refused_until_its_lease_runs_out(app: TestApp) {
        let (admin_id, admin) = app.account("Admin", &[Role::Admin]).await;
        let body = json!({"display_name": "Iryna Tkachenko", "roles": ["auditor"]});
        // Another instance holds the key for this very request.
        let begun = app
            .state
            .store
            .begin_request(
                admin_id,
                "busy",
                &create_fingerprint(&body),
                app.clock.now(),
                time::Duration::seconds(30),
            )
            .await
            .unwrap();
        assert_eq!(begun, Begin::Proceed);
        let refused = create(&app, &admin, Some("busy"), &body).await;
        assert_eq!(refused.headers()["retry-after"], "1");
        problem(refused, 409, "idempotency-in-flight").await;
        assert_eq!(named(&app, &admin, "Iryna Tkachenko").await, 0);

        // That instance died: once the lease has run out, the retry runs.
        app.clock.advance(time::Duration::seconds(31));
        let (status, made) = json(create(&app, &admin, Some("busy"), &body).await).await;
        assert_eq!(status, 201, "{made}");
        let again = create(&app, &admin, Some("busy"), &body).await;
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(json(again).await, (201, made));
        assert_eq!(named(&app, &admin, "Iryna Tkachenko").await, 1);
    }

    async fn a_change_committed_before_a_crash_is_not_made_again(app: TestApp) {
        let (admin_id, admin) = app.account("Admin", &[Role::Admin]).await;
        let body = json!({"display_name": "Mykola Bondar", "roles": ["auditor"]});
        // An instance took the key, made the change, and died before it
        // could keep the answer.
        let begun = app
            .state
            .store
            .begin_request(
                admin_id,
                "crashed",
                &create_fingerprint(&body),
                app.clock.now(),
                time::Duration::seconds(30),
            )
            .await
            .unwrap();
        assert_eq!(begun, Begin::Proceed);
        let ctx = store::AuditContext {
            actor: Some(admin_id),
            actor_role: Some("admin".into()),
            idempotency_key: Some("crashed".into()),
            ..store::AuditContext::default()
        };
        let made = app
            .state
            .store
            .create_account(
                &ctx,
                store::NewAccount {
                    display_name: "Mykola Bondar".into(),
                    roles: vec![Role::Auditor],
                    clearances: vec![],
                    participant: None,
                    external_subject: None,
                },
            )
            .await
            .unwrap();
        app.clock.advance(time::Duration::seconds(31));

        // The retry is pointed at what was made, and does not make it again.
        let plain = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let send = || {
            plain
                .post(format!("{}/v1/accounts", app.base))
                .bearer_auth(&admin)
                .header("content-type", "application/json")
                .header("idempotency-key", "crashed")
                .body(serde_json::to_vec(&body).unwrap())
                .send()
        };
        let retry = send().await.unwrap();
        assert_eq!(retry.status(), 303);
        let location = format!("/v1/accounts/{}", made.id);
        assert_eq!(retry.headers()["location"], location.as_str());
        // Later retries get the same answer, kept.
        let again = send().await.unwrap();
        assert_eq!(again.status(), 303);
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(again.headers()["location"], location.as_str());
        // A client that follows the redirect reads the account.
        let (status, followed) = json(create(&app, &admin, Some("crashed"), &body).await).await;
        assert_eq!(status, 200, "{followed}");
        assert_eq!(followed["id"], made.id.to_string());
        assert_eq!(named(&app, &admin, "Mykola Bondar").await, 1);
    }

    async fn a_refused_request_keeps_nothing_and_the_corrected_retry_runs(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let send = |key: &'static str, content_type: &'static str, body: Vec<u8>| {
            app.post("/v1/accounts").bearer_auth(&admin).header("content-type", content_type)
                .header("idempotency-key", key).body(body).send()
        };
        // An empty body (`curl -d @missing-file`), then the corrected body.
        problem(send("typo", "application/json", Vec::new()).await.unwrap(), 400, "malformed-request").await;
        // The wrong content type.
        let good = serde_json::to_vec(&json!({"display_name": "Iryna Savchuk", "roles": ["registrar"]})).unwrap();
        problem(send("typo", "text/plain", good.clone()).await.unwrap(), 415, "unsupported-media-type").await;
        // A body that fails validation, with and without running the use case.
        let missing = serde_json::to_vec(&json!({"roles": ["registrar"]})).unwrap();
        let p = problem(send("typo", "application/json", missing).await.unwrap(), 422, "validation").await;
        assert_eq!(p["errors"][0]["field"], "display_name", "{p}");
        let empty = serde_json::to_vec(&json!({"display_name": "", "roles": []})).unwrap();
        problem(send("typo", "application/json", empty).await.unwrap(), 422, "validation").await;
        // An unknown resource, under the same key.
        problem(app.post(&format!("/v1/accounts/{}/suspend", uuid::Uuid::now_v7())).bearer_auth(&admin)
            .header("idempotency-key", "typo").header("if-match", "\"v1\"").json(&json!({"reason": "left"})).send().await.unwrap(), 404, "not-found").await;
        // The corrected retry with the same key runs, and is then kept.
        let made = send("typo", "application/json", good.clone()).await.unwrap();
        assert_eq!(replayed(&made), None);
        let (status, made) = json(made).await;
        assert_eq!(status, 201, "{made}");
        let again = send("typo", "application/json", good).await.unwrap();
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(json(again).await, (201, made));
        assert_eq!(named(&app, &admin, "Iryna Savchuk").await, 1, "created once");
    }

    async fn a_refusal_against_the_state_is_not_kept_either(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (status, made) = json(create(&app, &admin, None, &json!({"display_name": "Taras", "roles": ["claimant"]})).await).await;
        assert_eq!(status, 201, "{made}");
        let id = made["id"].as_str().unwrap();
        let suspend = |etag: String| app.post(&format!("/v1/accounts/{id}/suspend")).bearer_auth(&admin)
            .header("idempotency-key", "stop-taras").header("if-match", etag)
            .json(&json!({"reason": "left"})).send();
        // A stale If-Match: refused, and nothing is kept under the key.
        let first = suspend("\"v99\"".to_owned()).await.unwrap();
        assert_eq!(replayed(&first), None);
        problem(first, 412, "precondition-failed").await;
        // With the current ETag, the same request under the same key runs.
        let second = suspend(format!("\"v{}\"", made["version"])).await.unwrap();
        assert_eq!(replayed(&second), None);
        let (status, body) = json(second).await;
        assert_eq!((status, &body["status"]), (200, &json!("suspended")), "{body}");
    }

    async fn concurrent_retries_run_once(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let body = json!({"display_name": "Raced", "roles": ["claimant"]});
        let bytes = serde_json::to_vec(&body).unwrap();
        let sends = (0..6).map(|_| {
            app.post("/v1/accounts")
                .bearer_auth(&admin)
                .header("content-type", "application/json")
                .header("idempotency-key", "race")
                .body(bytes.clone())
                .send()
        });
        let statuses: Vec<u16> = spawn_all(sends)
            .await
            .into_iter()
            .map(|r| r.unwrap().status().as_u16())
            .collect();
        // Each got the answer (first or replayed) or was told to retry.
        assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
        assert!(statuses.contains(&201), "{statuses:?}");
        assert_eq!(named(&app, &admin, "Raced").await, 1);
    }

    async fn without_a_key_every_request_runs(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let body = json!({"display_name": "Andrii Melnyk", "roles": ["claimant"]});
        for _ in 0..2 {
            let r = create(&app, &admin, None, &body).await;
            assert_eq!(replayed(&r), None);
            assert_eq!(r.status(), 201);
        }
        assert_eq!(named(&app, &admin, "Andrii Melnyk").await, 2);
    }

    async fn a_malformed_key_is_a_validation_problem(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let body = json!({"display_name": "Nobody", "roles": ["claimant"]});
        let long = "k".repeat(256);
        for key in [long.as_str(), "tab\tinside"] {
            let p = problem(create(&app, &admin, Some(key), &body).await, 422, "validation").await;
            assert_eq!(p["errors"][0]["field"], "Idempotency-Key", "{p}");
        }
        assert_eq!(named(&app, &admin, "Nobody").await, 0);
    }

    async fn the_intake_keeps_its_answer_in_its_own_commit(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let claim = crate::claims::house("3184710691", "3210900000:01:001:0001");
        let bytes = serde_json::to_vec(&claim).unwrap();
        let file = |key: &'static str, body: Vec<u8>| {
            app.post("/v1/claims")
                .bearer_auth(&claimant)
                .header("content-type", "application/json")
                .header("idempotency-key", key)
                .body(body)
                .send()
        };
        let first = file("file-1", bytes.clone()).await.unwrap();
        assert_eq!((first.status().as_u16(), replayed(&first)), (201, None));
        let location = first.headers()["location"].clone();
        let etag = first.headers()["etag"].clone();
        let first_text = first.text().await.unwrap();
        let again = file("file-1", bytes.clone()).await.unwrap();
        assert_eq!((again.status().as_u16(), replayed(&again)), (201, Some("true")));
        assert_eq!(again.headers()["location"], location);
        assert_eq!(again.headers()["etag"], etag);
        assert_eq!(again.text().await.unwrap(), first_text, "the same answer");
        // The same key with another claim is refused, and files nothing.
        let mut other = claim.clone();
        other["narrative"] = json!("Another house.");
        problem(
            file("file-1", serde_json::to_vec(&other).unwrap()).await.unwrap(),
            422,
            "idempotency-key-reused",
        )
        .await;
        let (_, list) = json(app.get("/v1/claims").bearer_auth(&claimant).send().await.unwrap()).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

        // Submitted by six retries at once: once, with one reference; every
        // answer is the first one or "in flight".
        let id = serde_json::from_str::<Value>(&first_text).unwrap()["id"].as_str().unwrap().to_owned();
        let submits = (0..6).map(|_| {
            app.post(&format!("/v1/claims/{id}/submit"))
                .bearer_auth(&claimant)
                .header("idempotency-key", "submit-1")
                .send()
        });
        let answers: Vec<reqwest::Response> =
            spawn_all(submits).await.into_iter().map(Result::unwrap).collect();
        let mut bodies = Vec::new();
        for answer in answers {
            let status = answer.status().as_u16();
            assert!(status == 200 || status == 409, "{status}");
            if status == 200 {
                bodies.push(answer.text().await.unwrap());
            }
        }
        assert!(!bodies.is_empty());
        assert!(bodies.iter().all(|b| *b == bodies[0]), "one answer: {bodies:?}");
        let again = app
            .post(&format!("/v1/claims/{id}/submit"))
            .bearer_auth(&claimant)
            .header("idempotency-key", "submit-1")
            .send()
            .await
            .unwrap();
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(again.text().await.unwrap(), bodies[0]);
        let (_, history) = json(
            app.get(&format!("/v1/claims/{id}/history"))
                .bearer_auth(&claimant)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let submitted = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["action"] == "claim.submitted")
            .count();
        assert_eq!(submitted, 1, "{history}");
    }

    async fn keys_live_for_a_day(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let body = json!({"display_name": "Daily", "roles": ["claimant"]});
        assert_eq!(create(&app, &admin, Some("day"), &body).await.status(), 201);
        app.clock.advance(time::Duration::hours(23));
        let r = create(&app, &admin, Some("day"), &body).await;
        assert_eq!(replayed(&r), Some("true"));
        app.clock.advance(time::Duration::hours(1));
        assert_eq!(app.state.store.purge_expired(app.clock.now()).await.unwrap(), 1);
        let r = create(&app, &admin, Some("day"), &body).await;
        assert_eq!((r.status().as_u16(), replayed(&r)), (201, None));
        assert_eq!(named(&app, &admin, "Daily").await, 2);
    }
}
