//! Webhooks: subscriptions, signed deliveries to a local receiver, retries,
//! disabled subscriptions, and the outbox committing with its change.

use crate::decisions::{
    adopted, assessed_cases, decide as decide_on, decision_version, put_in_force, world,
};
use crate::reports::{act, decide, file, review, submit};
use crate::support::{TestApp, json};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use kernel::{Clock as _, PageRequest, Role};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
}

/// A receiver on 127.0.0.1 that answers 500 to its first `fail_first`
/// requests and 204 afterwards, keeping every request.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    fail_first: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start(fail_first: usize) -> (Self, String) {
        let receiver = Self {
            got: Arc::default(),
            fail_first: Arc::new(Mutex::new(fail_first)),
        };
        let r = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let r = r.clone();
                async move {
                    r.got.lock().unwrap().push(Received { headers, body });
                    let mut fail = r.fail_first.lock().unwrap();
                    if *fail > 0 {
                        *fail -= 1;
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::NO_CONTENT
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (receiver, url)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits up to 15 s for at least `n` requests.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..150 {
            if self.received().len() >= n {
                return self.received();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver got {} requests, expected {n}",
            self.received().len()
        );
    }
}

fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Verifies a delivery as a receiver would, per Standard Webhooks.
fn verify(secret: &str, r: &Received) {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}.{}.{}",
            header(r, "webhook-id"),
            header(r, "webhook-timestamp"),
            r.body
        )
        .as_bytes(),
    );
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let signatures: Vec<&str> = header(r, "webhook-signature").split(' ').collect();
    assert!(
        signatures.contains(&expected.as_str()),
        "signature {signatures:?} != {expected}"
    );
}

async fn subscribe(app: &TestApp, admin: &str, url: &str, types: &[&str]) -> (String, String) {
    let (s, created) = act(
        app,
        admin,
        "/v1/webhooks",
        json!({"url": url, "event_types": types}),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    (created["id"].as_str().unwrap().to_owned(), secret)
}

async fn deliveries(app: &TestApp, admin: &str, id: &str) -> Value {
    let (s, log) = json(
        app.get(&format!("/v1/webhooks/{id}/deliveries"))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{log}");
    log["items"].clone()
}

async fn events(app: &TestApp, event_type: &str) -> Vec<Value> {
    let page = app
        .state
        .store
        .outbox_events(PageRequest::new(Some(500), None))
        .await
        .unwrap();
    page.items
        .into_iter()
        .filter(|e| e.event_type == event_type)
        .map(|e| e.payload)
        .collect()
}

both! {
    async fn a_submitted_claim_reaches_the_subscriber_signed(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (receiver, url) = Receiver::start(0).await;
        let (sub, secret) = subscribe(&app, &admin, &url, &["claim.submitted"]).await;
        let (_, list) = json(app.get("/v1/webhooks").bearer_auth(&admin).send().await.unwrap()).await;
        assert_eq!(list[0]["url"], url);
        assert!(list[0].get("secret").is_none(), "the secret is shown once: {list}");

        let id = file(&app, &claimant, 0).await;
        assert_eq!(submit(&app, &claimant, &id).await.0, 200);
        let got = receiver.wait_for(1).await;
        let r = &got[0];
        verify(&secret, r);
        assert!(header(r, "webhook-id").starts_with("msg_"));
        let ts: i64 = header(r, "webhook-timestamp").parse().unwrap();
        assert!((ts - app.clock.now().unix_timestamp()).abs() < 5);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["type"], "claim.submitted");
        assert_eq!(body["data"]["claim_id"], id);
        assert_eq!(body["data"]["category"], "A3.1");
        assert!(body["data"]["reference"].is_string());

        // Delivered once; the log says so.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(receiver.received().len(), 1);
        let log = deliveries(&app, &admin, &sub).await;
        assert_eq!(log[0]["status"], "delivered", "{log}");
        assert_eq!(log[0]["attempts"], 1);
        assert_eq!(log[0]["attempt_log"][0]["status_code"], 204);

        // Admins only; bad URLs and event types are refused.
        assert_eq!(app.get("/v1/webhooks").bearer_auth(&claimant).send().await.unwrap().status(), 403);
        let (s, _) = act(&app, &admin, "/v1/webhooks", json!({"url": "ftp://example.org/x", "event_types": ["claim.submitted"]})).await;
        assert_eq!(s, 422);
        let (s, _) = act(&app, &admin, "/v1/webhooks", json!({"url": url, "event_types": ["claim.eaten"]})).await;
        assert_eq!(s, 422);
    }

    async fn a_failed_delivery_is_retried_with_backoff(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (receiver, url) = Receiver::start(1).await;
        let (sub, secret) = subscribe(&app, &admin, &url, &["claim.submitted"]).await;
        let id = file(&app, &claimant, 0).await;
        assert_eq!(submit(&app, &claimant, &id).await.0, 200);
        receiver.wait_for(1).await;
        // The first attempt failed; the retry waits for its backoff.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(receiver.received().len(), 1);
        let log = deliveries(&app, &admin, &sub).await;
        assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_i64()), (Some("pending"), Some(1)), "{log}");
        assert_eq!(log[0]["last_status_code"], 500);

        app.clock.advance(time::Duration::seconds(31));
        let got = receiver.wait_for(2).await;
        assert_eq!(header(&got[0], "webhook-id"), header(&got[1], "webhook-id"), "the same message");
        verify(&secret, &got[1]);
        let log = deliveries(&app, &admin, &sub).await;
        assert_eq!(log[0]["status"], "delivered", "{log}");
        assert_eq!(log[0]["attempts"], 2);
        assert_eq!(log[0]["attempt_log"].as_array().unwrap().len(), 2);
    }

    async fn a_disabled_subscription_receives_nothing(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (on, on_url) = Receiver::start(0).await;
        let (off, off_url) = Receiver::start(0).await;
        subscribe(&app, &admin, &on_url, &["claim.submitted"]).await;
        let (off_id, _) = subscribe(&app, &admin, &off_url, &["claim.submitted"]).await;
        let (s, disabled) = json(
            app.request(reqwest::Method::DELETE, &format!("/v1/webhooks/{off_id}")).bearer_auth(&admin).send().await.unwrap(),
        )
        .await;
        assert_eq!((s, disabled["enabled"].as_bool()), (200, Some(false)), "{disabled}");

        let id = file(&app, &claimant, 0).await;
        assert_eq!(submit(&app, &claimant, &id).await.0, 200);
        on.wait_for(1).await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert!(off.received().is_empty());
        assert_eq!(deliveries(&app, &admin, &off_id).await, json!([]));
    }

    async fn events_commit_with_their_change_and_only_then(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, board) = app.account("Board", &[Role::Board]).await;
        let id = file(&app, &claimant, 0).await;
        assert!(events(&app, "claim.submitted").await.is_empty(), "a draft announces nothing");
        assert_eq!(submit(&app, &claimant, &id).await.0, 200);
        assert_eq!(events(&app, "claim.submitted").await.len(), 1);
        // A refused change writes no event.
        assert_eq!(submit(&app, &claimant, &id).await.0, 409);
        assert_eq!(decide(&app, &board, &id, "recorded").await.0, 409);
        assert_eq!(events(&app, "claim.submitted").await.len(), 1);
        assert!(events(&app, "claim.recorded").await.is_empty());

        review(&app, &registrar, &id).await;
        let (s, _) = act(&app, &registrar, &format!("/v1/claims/{id}/information-requests"), json!({"message": "Send the deed."})).await;
        assert_eq!(s, 200);
        let asked = events(&app, "claim.information_requested").await;
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0]["data"]["claim_id"], id);
        let (s, _) = act(&app, &claimant, &format!("/v1/claims/{id}/responses"), json!({"message": "Uploaded."})).await;
        assert_eq!(s, 200);
        assert_eq!(decide(&app, &board, &id, "recorded").await.0, 200);
        let recorded = events(&app, "claim.recorded").await;
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0]["data"]["to"], "recorded");

        // A convention event is announced once, even when noticed twice.
        let before = events(&app, "convention.status_changed").await.len();
        let event = store::NewConventionEvent {
            event: ratification::ConventionEvent::EnteredIntoForce { on: time::macros::date!(2031 - 01 - 01) },
            dedupe_key: Some("test-entry".into()),
        };
        for _ in 0..2 {
            app.state.store.append_convention_event(&store::AuditContext::system(), event.clone()).await.unwrap();
        }
        let changed = events(&app, "convention.status_changed").await;
        assert_eq!(changed.len(), before + 1);
        assert_eq!(changed.last().unwrap()["data"]["kind"], "entered_into_force");
    }

    async fn a_final_decision_is_announced_with_its_change(app: TestApp) {
        let w = world(&app, false).await;
        let cases = assessed_cases(&app, &w, 1).await;
        put_in_force(&app).await;
        let rec = adopted(&app, &w, &cases[0]).await;
        assert!(events(&app, "decision.issued").await.is_empty(), "adoption is no decision");
        // A refused approval (stale If-Match) announces nothing.
        let version = decision_version(&app, &w.council, &rec).await;
        let r = app.post(&format!("/v1/recommendations/{rec}/decision")).bearer_auth(&w.council)
            .header("if-match", format!("\"v{}\"", version + 1)).json(&json!({"action": "approve"})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
        assert!(events(&app, "decision.issued").await.is_empty());
        let (s, issued) = decide_on(&app, &w.council, &rec, json!({"action": "approve"})).await;
        assert_eq!(s, 200, "{issued}");
        let got = events(&app, "decision.issued").await;
        assert_eq!(got.len(), 1);
        let data = &got[0]["data"];
        assert_eq!(data["decision_id"], issued["decision"]["id"], "{data}");
        assert_eq!(data["number"], "ICC-DEC-2026-000001");
        assert_eq!(data["case_id"], cases[0].as_str());
        assert_eq!(data["outcome"], "award");
        assert_eq!(data["supersedes"], Value::Null);
        // A correction is a new final decision: announced too, with what it supersedes.
        let first = issued["decision"]["id"].as_str().unwrap();
        let (s, corrected) = act(&app, &w.council, &format!("/v1/decisions/{first}/corrections"),
            json!({"reason": "clerical_error", "explanation": "Typo in the area.", "amount": {"amount": "70000.00", "currency": "EUR"}})).await;
        assert_eq!(s, 201, "{corrected}");
        let got = events(&app, "decision.issued").await;
        assert_eq!(got.len(), 2);
        assert_eq!(got[1]["data"]["number"], "ICC-DEC-2026-000002");
        assert_eq!(got[1]["data"]["supersedes"], first);
        assert!(!got.iter().any(|e| e.to_string().contains("Claimant")), "no names: {got:?}");
    }

}
