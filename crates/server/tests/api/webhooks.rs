//! Webhooks: subscriptions, signed deliveries to a local receiver, retries,
//! disabled subscriptions, the outbox committing with its change, and the
//! refusal of non-public targets at subscription and at every delivery.

use crate::decisions::{
    adopted, assessed_cases, decide as decide_on, decision_version, put_in_force, world,
};
use crate::reports::{act, decide, file, review, submit};
use crate::support::{TestApp, json, problem};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use kernel::{Clock as _, PageRequest, Role};
use serde_json::{Value, json};
use server::webhooks::target::{AllowList, Resolver, SystemResolver};
use sha2::Sha256;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Lets webhooks reach receivers on 127.0.0.1, as an operator with an
/// internal receiver would (`webhook_allow_private`).
fn allow_loopback(s: &mut server::config::Settings) {
    s.webhook_allow_private = AllowList::parse(["127.0.0.1/32"]).unwrap();
}

/// A resolver whose answers the test sets, as a DNS server under the
/// subscriber's control would; other names go to the system's resolver.
#[derive(Clone, Default)]
struct Names(Arc<Mutex<HashMap<String, Vec<IpAddr>>>>);

impl Names {
    fn install(app: &TestApp) -> Self {
        let names = Self::default();
        app.state.webhooks.set_resolver(Arc::new(names.clone()));
        names
    }

    /// `name` resolves to these addresses from now on (none: it does not
    /// resolve).
    fn set(&self, name: &str, ips: &[&str]) {
        let ips = ips.iter().map(|ip| ip.parse().unwrap()).collect();
        self.0.lock().unwrap().insert(name.to_owned(), ips);
    }
}

impl Resolver for Names {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>> {
        let known = self.0.lock().unwrap().get(host).cloned();
        Box::pin(async move {
            match known {
                Some(ips) => Ok(ips),
                None => SystemResolver.lookup(host, port).await,
            }
        })
    }
}

#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
}

/// A receiver on 127.0.0.1 that answers 500 to its first `fail_first`
/// requests and 204 afterwards, keeping every request. Reachable only
/// where the test's settings allow loopback.
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

/// The delivery log's newest entry once it has an attempt (waits up to
/// 15 s).
async fn attempted(app: &TestApp, admin: &str, id: &str) -> Value {
    for _ in 0..150 {
        let log = deliveries(app, admin, id).await;
        if log[0]["attempts"].as_i64().unwrap_or_default() >= 1 {
            return log[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no attempt was recorded for subscription {id}");
}

/// A port on 127.0.0.1 that counts the connections made to it.
async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, count)
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
    configured(allow_loopback);

    async fn events_about_sensitive_claims_reach_only_subscriptions_that_include_them(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, cleared_admin) = app.cleared_account("Cleared admin", &[Role::Admin]).await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (plain_receiver, plain_url) = Receiver::start(0).await;
        let (sensitive_receiver, sensitive_url) = Receiver::start(0).await;
        // Asking for sensitive events needs the clearance.
        let (s, refused) = act(&app, &admin, "/v1/webhooks",
            json!({"url": sensitive_url, "event_types": ["claim.submitted"], "include_sensitive": true})).await;
        assert_eq!(s, 403, "{refused}");
        let (plain, _) = subscribe(&app, &admin, &plain_url, &["claim.submitted"]).await;
        let (s, created) = act(&app, &cleared_admin, "/v1/webhooks",
            json!({"url": sensitive_url, "event_types": ["claim.submitted"], "include_sensitive": true})).await;
        assert_eq!(s, 201, "{created}");
        assert_eq!(created["include_sensitive"], true);
        let sensitive_sub = created["id"].as_str().unwrap().to_owned();

        let house = file(&app, &claimant, 0).await;
        let mut violence = crate::claims::house("2245134075", "3210900000:01:001:0099");
        violence["category"] = json!("A2.4");
        violence["category_fields"] = json!({});
        let (s, v) = json(app.post("/v1/claims").bearer_auth(&claimant).json(&violence).send().await.unwrap()).await;
        assert_eq!(s, 201, "{v}");
        let violence = v["id"].as_str().unwrap().to_owned();
        assert_eq!(submit(&app, &claimant, &violence).await.0, 200);
        assert_eq!(submit(&app, &claimant, &house).await.0, 200);

        let got = sensitive_receiver.wait_for(2).await;
        let ids: Vec<String> = got.iter().map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["data"]["claim_id"].as_str().unwrap().to_owned()).collect();
        assert!(ids.contains(&violence) && ids.contains(&house), "{ids:?}");
        let got = plain_receiver.wait_for(1).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let got_later = plain_receiver.received();
        assert_eq!(got.len(), 1);
        assert_eq!(got_later.len(), 1, "only the house claim reaches the plain subscription");
        assert!(!got_later[0].body.contains(&violence));
        // Nor does an admin without the clearance learn of the subscription.
        let (_, list) = json(app.get("/v1/webhooks").bearer_auth(&admin).send().await.unwrap()).await;
        let list = list["items"].clone();
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["id"], plain.as_str());
        for path in [format!("/v1/webhooks/{sensitive_sub}"), format!("/v1/webhooks/{sensitive_sub}/deliveries")] {
            problem(app.get(&path).bearer_auth(&admin).send().await.unwrap(), 404, "not-found").await;
        }
        problem(app.request(reqwest::Method::DELETE, &format!("/v1/webhooks/{sensitive_sub}")).bearer_auth(&admin).send().await.unwrap(), 404, "not-found").await;
        let (s, _) = json(app.get(&format!("/v1/webhooks/{sensitive_sub}")).bearer_auth(&cleared_admin).send().await.unwrap()).await;
        assert_eq!(s, 200);
    }

    async fn a_submitted_claim_reaches_the_subscriber_signed(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (receiver, url) = Receiver::start(0).await;
        let (sub, secret) = subscribe(&app, &admin, &url, &["claim.submitted"]).await;
        let (_, list) = json(app.get("/v1/webhooks").bearer_auth(&admin).send().await.unwrap()).await;
        let list = list["items"].clone();
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

    async fn member_states_follow_the_convention_through_signed_events(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (receiver, url) = Receiver::start(0).await;
        let (_, secret) = subscribe(&app, &admin, &url, &[
            "convention.participant_added", "convention.entry_into_force_date_changed",
            "convention.entered_into_force", "convention.standing_revised"]).await;
        let (_, depositary) = app.account("Depositary", &[Role::Depositary]).await;
        app.clock.set(time::macros::datetime!(2026-06-30 12:00 UTC));
        let (s, body) = act(&app, &depositary, "/v1/convention/actions", json!({
            "participant": "JP", "kind": "signature", "date": "2026-03-01",
            "new_participant": {"name": "Japan", "name_uk": "Японія", "kind": "state"}})).await;
        assert_eq!(s, 201, "{body}");
        let got = receiver.wait_for(1).await;
        verify(&secret, &got[0]);
        let added: Value = serde_json::from_str(&got[0].body).unwrap();
        assert_eq!(added["type"], "convention.participant_added", "{added}");
        assert_eq!(added["data"]["event"]["participant"], "JP", "{added}");

        // Brought into force: the date appears, then is reached.
        put_in_force(&app).await;
        let (s, _) = json(app.get("/v1/convention").send().await.unwrap()).await;
        assert_eq!(s, 200);
        let got = receiver.wait_for(3).await;
        let mut types: Vec<String> = got.iter().map(|r| {
            verify(&secret, r);
            serde_json::from_str::<Value>(&r.body).unwrap()["type"].as_str().unwrap().to_owned()
        }).collect();
        // Deliveries carry no order guarantee; each event arrives once.
        types.sort();
        assert_eq!(types, ["convention.entered_into_force", "convention.entry_into_force_date_changed",
            "convention.participant_added"]);

        // A reasoned correction that undoes it is announced as a revision.
        app.clock.set(time::macros::datetime!(2026-10-10 10:00 UTC));
        let (_, chart) = json(app.get("/v1/convention/participants").send().await.unwrap()).await;
        let party = chart["items"].as_array().unwrap().iter().find(|p| p["consent"] == "ratification").unwrap()["code"].clone();
        let (s, body) = act(&app, &depositary, "/v1/convention/actions", json!({
            "participant": party, "kind": "denunciation", "date": "2026-06-15",
            "correction": true, "reason": "A denunciation deposited in June was found late."})).await;
        assert_eq!(s, 201, "{body}");
        let got = receiver.wait_for(4).await;
        assert_eq!(got.len(), 4);
        let revised = got.iter().find(|r| r.body.contains("convention.standing_revised")).expect("the revision");
        verify(&secret, revised);
        let revised: Value = serde_json::from_str(&revised.body).unwrap();
        assert_eq!(revised["type"], "convention.standing_revised", "{revised}");
        assert_eq!(revised["data"]["event"]["previous"], "2026-09-01", "{revised}");
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
        let before = events(&app, "convention.entered_into_force").await.len();
        let event = store::NewConventionEvent {
            event: ratification::ConventionEvent::EnteredIntoForce { on: time::macros::date!(2031 - 01 - 01) },
            dedupe_key: Some("test-entry".into()),
        };
        for _ in 0..2 {
            app.state.store.append_convention_event(&store::AuditContext::system(), event.clone()).await.unwrap();
        }
        let changed = events(&app, "convention.entered_into_force").await;
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


    async fn a_subscription_by_name_is_posted_to_the_address_checked(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let names = Names::install(&app);
        let (receiver, url) = Receiver::start(0).await;
        let port = reqwest::Url::parse(&url).unwrap().port().unwrap();
        // Not a name any DNS knows: only the address resolved and checked
        // by the server can have carried the post.
        names.set("hooks.example", &["127.0.0.1"]);
        let hook = format!("http://hooks.example:{port}/hook");
        let (sub, secret) = subscribe(&app, &admin, &hook, &["claim.submitted"]).await;
        let id = file(&app, &claimant, 0).await;
        assert_eq!(submit(&app, &claimant, &id).await.0, 200);
        let got = receiver.wait_for(1).await;
        verify(&secret, &got[0]);
        assert_eq!(header(&got[0], "host"), format!("hooks.example:{port}"));
        let log = attempted(&app, &admin, &sub).await;
        assert_eq!(log["status"], "delivered", "{log}");
    }

    async fn redirects_are_not_followed(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (elsewhere, elsewhere_url) = Receiver::start(0).await;
        let redirect = axum::Router::new().route(
            "/hook",
            axum::routing::post(move || {
                let to = elsewhere_url.clone();
                async move { (StatusCode::TEMPORARY_REDIRECT, [("location", to)]) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, redirect).await;
        });
        let (sub, _) = subscribe(&app, &admin, &url, &["claim.submitted"]).await;
        let id = file(&app, &claimant, 0).await;
        assert_eq!(submit(&app, &claimant, &id).await.0, 200);
        let log = attempted(&app, &admin, &sub).await;
        assert_eq!(log["status"], "pending", "{log}");
        assert_eq!(log["last_status_code"], 307, "{log}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(elsewhere.received().is_empty(), "the redirect was followed");
    }
}

both! {
    async fn targets_that_are_not_public_are_refused_at_subscription(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let names = Names::install(&app);
        names.set("loopback.example", &["127.0.0.1"]);
        names.set("internal.example", &["203.0.113.9", "10.0.0.7"]);
        names.set("mapped.example", &["::ffff:127.0.0.1"]);
        for url in [
            "http://127.0.0.1/hook",
            "http://localhost/hook",
            "http://[::1]/hook",
            "http://127.1/hook",
            "http://2130706433/hook",
            "http://0x7f000001/hook",
            "http://0177.0.0.1/hook",
            "http://0.0.0.0/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[::]/hook",
            "https://127.0.0.1:5432/hook",
            "http://loopback.example:8080/hook",
            "http://mapped.example/hook",
            "http://internal.example/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:169.254.169.254]/hook",
            "http://10.0.0.1/hook",
            "http://172.16.0.1/hook",
            "http://172.31.255.254/hook",
            "http://192.168.1.1/hook",
            "http://100.64.0.1/hook",
            "http://[::ffff:10.0.0.1]/hook",
            "http://224.0.0.1/hook",
            "http://[ff02::1]/hook",
            "http://[fd00::1]/hook",
            "http://[fc00::1]/hook",
            "http://[fe80::1]/hook",
            "http://[64:ff9b::7f00:1]/hook",
        ] {
            let r = app
                .post("/v1/webhooks")
                .bearer_auth(&admin)
                .json(&json!({"url": url, "event_types": ["claim.submitted"]}))
                .send()
                .await
                .unwrap();
            let body = problem(r, 422, "validation").await;
            assert_eq!(body["errors"][0]["field"], "url", "{url}: {body}");
            assert_eq!(body["errors"][0]["code"], "address_not_allowed", "{url}: {body}");
        }
        let (_, list) = json(app.get("/v1/webhooks").bearer_auth(&admin).send().await.unwrap()).await;
        let list = list["items"].clone();
        assert_eq!(list, json!([]), "nothing was subscribed");

        // Public addresses are accepted, and so are names that do not
        // resolve yet: every delivery resolves and checks them again.
        names.set("hooks.example", &["93.184.216.34"]);
        names.set("later.example", &[]);
        for url in ["https://93.184.216.34/hook", "https://hooks.example/hook", "https://later.example/hook"] {
            subscribe(&app, &admin, url, &["claim.submitted"]).await;
        }
    }

    async fn a_name_that_turns_to_loopback_is_refused_at_delivery(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let names = Names::install(&app);
        let (open, connections) = counting_listener().await;
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        names.set("open.example", &["93.184.216.34"]);
        names.set("closed.example", &["93.184.216.34"]);
        let (open_sub, _) = subscribe(&app, &admin, &format!("http://open.example:{open}/hook"), &["claim.submitted"]).await;
        let (closed_sub, _) = subscribe(&app, &admin, &format!("http://closed.example:{closed}/hook"), &["claim.submitted"]).await;
        // Between subscription and delivery both names start pointing at
        // this machine, one at an open port and one at a closed one.
        names.set("open.example", &["127.0.0.1"]);
        names.set("closed.example", &["93.184.216.34", "127.0.0.1"]);

        let id = file(&app, &claimant, 0).await;
        assert_eq!(submit(&app, &claimant, &id).await.0, 200);
        let open_log = attempted(&app, &admin, &open_sub).await;
        let closed_log = attempted(&app, &admin, &closed_sub).await;
        let seen = |log: &Value| {
            json!([
                log["status"], log["attempts"], log["last_status_code"], log["last_error"],
                log["attempt_log"][0]["status_code"], log["attempt_log"][0]["error"],
            ])
        };
        let refused = "target address 127.0.0.1 is not allowed (loopback)";
        assert_eq!(seen(&open_log), json!(["pending", 1, null, refused, null, refused]), "{open_log}");
        assert_eq!(seen(&closed_log), seen(&open_log), "an open port looks like a closed one: {closed_log}");
        assert_eq!(connections.load(Ordering::SeqCst), 0, "no connection was made");

        // Still refused on the retry.
        app.clock.advance(time::Duration::seconds(31));
        for _ in 0..150 {
            if deliveries(&app, &admin, &open_sub).await[0]["attempts"] == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = deliveries(&app, &admin, &open_sub).await;
        assert_eq!(log[0]["attempts"], 2, "{log}");
        assert_eq!(log[0]["attempt_log"][1]["error"], refused, "{log}");
        assert_eq!(connections.load(Ordering::SeqCst), 0, "no connection was made");
    }
}
