//! The classic attacks on access, each refused and each refusal logged
//! under the request id that the answer carries.
//!
//! Covered elsewhere and not repeated: the authorization matrix
//! (authorization.rs); another claimant's claim by its id, through every
//! claim route (claims.rs `a_claimant_never_reaches_another_claimants_claim`)
//! and its evidence (evidence.rs
//! `only_the_filer_uploads_and_only_those_who_see_the_claim_read`); revoked
//! and expired Redress tokens (accounts.rs
//! `revoked_and_expired_tokens_stop_working`); JWTs that are expired, of
//! `alg: none`, signed by another key, for another audience, or HS256 with
//! the public key (accounts.rs `jwt::jwts_from_the_identity_provider_map_to_accounts`);
//! a representative pledging for another state (convention.rs
//! `pledges_contributions_and_totals`). CSRF on console forms belongs with
//! the console's pages.

use crate::accounts::jwt::{app_trusting, claims, provider, sign};
use crate::claims::house;
use crate::evidence::{PDF, file_claim, upload};
use crate::support::{json, problem};
use kernel::Role;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, OnceLock};
use store::NewAccount;

/// Everything the service logs in this test process, at info and above.
#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::fmt()
            .with_writer(Capture(buffer.clone()))
            .with_ansi(false)
            .with_env_filter("server=info,app=info")
            .finish();
        // One subscriber per process; whichever test comes first sets it.
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
    .clone()
}

/// Asserts that a line logged for `request_id` contains `words`.
fn assert_logged(request_id: &str, words: &str) {
    let buffer = log_buffer();
    let text = String::from_utf8_lossy(
        &buffer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
    .into_owned();
    assert!(
        text.lines()
            .any(|l| l.contains(request_id) && l.contains(words)),
        "no log line for {request_id} with {words:?}"
    );
}

fn request_id(tag: &str) -> String {
    format!("attack-{tag}-{}", uuid::Uuid::now_v7())
}

/// An id a guesser would try: the same UUIDv7 with its last digit changed.
fn neighbour(id: &str) -> String {
    let mut chars: Vec<char> = id.chars().collect();
    let last = chars.len() - 1;
    chars[last] = if chars[last] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

both! {
    async fn guessed_claim_and_evidence_ids_find_nothing_and_are_logged(app: TestApp) {
        log_buffer();
        let (_, owner) = app.account("Owner", &[Role::Claimant]).await;
        let (_, thief) = app.account("Thief", &[Role::Claimant]).await;
        let claim = file_claim(&app, &owner, &house("3184710691", "3210900000:01:001:0001")).await;
        let (_, receipt) = json(upload(&app, &owner, &claim, "deed.pdf", "application/pdf", PDF).await).await;
        let evidence = receipt["id"].as_str().unwrap().to_owned();
        let own_claim = file_claim(&app, &thief, &house("2245134075", "3210900000:01:001:0002")).await;

        // The owner's evidence id under the thief's own claim, and ids next
        // to real ones: nothing.
        let guesses = [
            format!("/v1/claims/{own_claim}/evidence/{evidence}"),
            format!("/v1/claims/{}", neighbour(&claim)),
            format!("/v1/claims/{claim}/evidence/{}", neighbour(&evidence)),
            format!("/v1/claims/{own_claim}/evidence/{}", neighbour(&evidence)),
            "/v1/claims/00000000-0000-0000-0000-000000000000".to_owned(),
        ];
        for path in &guesses {
            problem(app.get(path).bearer_auth(&thief).send().await.unwrap(), 404, "not-found").await;
        }
        // The real claim: 404 too, as if it did not exist, and logged.
        let id = request_id("claim");
        let r = app.get(&format!("/v1/claims/{claim}/evidence/{evidence}")).bearer_auth(&thief).header("x-request-id", &id).send().await.unwrap();
        problem(r, 404, "not-found").await;
        assert_logged(&id, "not visible");
        // The thief's lists do not name it, whatever the filter.
        for query in ["", "?q=RD-", "?q=Коваленко", "?status=draft", "?category=A3.1"] {
            let (_, list) = json(app.get(&format!("/v1/claims{query}")).bearer_auth(&thief).send().await.unwrap()).await;
            let ids: Vec<&str> = list["items"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
            assert!(!ids.contains(&claim.as_str()), "{query}: {list}");
        }
        // The owner's file is still there, untouched.
        let got = app.get(&format!("/v1/claims/{claim}/evidence/{evidence}")).bearer_auth(&owner).send().await.unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.unwrap().as_ref(), PDF);
    }

    async fn a_revoked_token_cannot_replay_an_answered_request(app: TestApp) {
        log_buffer();
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (account, _) = app.account("Olena", &[Role::Claimant]).await;
        let (_, issued) = json(
            app.post(&format!("/v1/accounts/{account}/tokens")).bearer_auth(&admin).json(&json!({"label": "laptop"})).send().await.unwrap(),
        )
        .await;
        let token = issued["token"].as_str().unwrap().to_owned();
        let send = |rid: &str| {
            app.post("/v1/claims")
                .bearer_auth(&token)
                .header("idempotency-key", "replay-me")
                .header("x-request-id", rid)
                .json(&house("3184710691", "3210900000:01:001:0001"))
        };
        let (status, first) = json(send(&request_id("first")).send().await.unwrap()).await;
        assert_eq!(status, 201, "{first}");
        let (status, _) = json(
            app.post(&format!("/v1/accounts/{account}/tokens/{}/revoke", issued["id"].as_str().unwrap())).bearer_auth(&admin).send().await.unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        // The kept answer is not handed to a token that no longer works,
        // nor is the claim readable with it.
        let id = request_id("replay");
        let r = send(&id).send().await.unwrap();
        assert!(r.headers().get("idempotent-replayed").is_none());
        let p = problem(r, 401, "unauthenticated").await;
        assert!(p["detail"].as_str().unwrap().contains("revoked"), "{p}");
        assert_logged(&id, "authentication refused");
        let claim = first["id"].as_str().unwrap();
        problem(app.get(&format!("/v1/claims/{claim}")).bearer_auth(&token).send().await.unwrap(), 401, "unauthenticated").await;
    }

    async fn a_state_representative_records_for_no_other_state(app: TestApp) {
        log_buffer();
        app.clock.set(time::macros::datetime!(2026-06-30 12:00 UTC));
        let (_, france) = app
            .account_with(NewAccount {
                display_name: "Representative of FR".into(),
                roles: vec![Role::State],
                clearances: vec![],
                participant: Some("FR".into()),
                external_subject: None,
            })
            .await;
        let (_, nobody) = app.account("Representative of nothing", &[Role::State]).await;
        let pledge = |participant: Value| json!({"participant": participant, "amount": {"amount": "1000.00", "currency": "EUR"}, "date": "2026-02-01"});
        for (token, participant) in [
            (&france, json!("DE")),
            (&france, json!("de")),
            (&france, json!(" DE ")),
            (&france, json!("EU")),
            (&nobody, json!("FR")),
            (&nobody, Value::Null),
        ] {
            let id = request_id("pledge");
            let r = app.post("/v1/convention/pledges").bearer_auth(token).header("x-request-id", &id).json(&pledge(participant.clone())).send().await.unwrap();
            let p = problem(r, 422, "validation").await;
            assert_eq!(p["errors"][0]["field"], "participant", "{participant}: {p}");
            if p["errors"][0]["code"] == "not_own_participant" {
                assert_logged(&id, "another participant");
            }
        }
        // Contributions and treaty actions are the depositary's alone.
        for path in ["/v1/convention/contributions", "/v1/convention/actions"] {
            let id = request_id("state");
            let r = app.post(path).bearer_auth(&france).header("x-request-id", &id).json(&pledge(json!("FR"))).send().await.unwrap();
            problem(r, 403, "forbidden").await;
            assert_logged(&id, "access denied by policy");
        }
        let (_, funding) = json(app.get("/v1/convention/funding").send().await.unwrap()).await;
        assert!(
            !funding.to_string().contains("1000.00"),
            "no refused pledge counted: {funding}"
        );
    }

    async fn sql_injection_in_every_list_filter_is_inert(app: TestApp) {
        let (_, owner) = app.account("Owner", &[Role::Claimant]).await;
        file_claim(&app, &owner, &house("3184710691", "3210900000:01:001:0001")).await;
        // One account that may call every list.
        let (_, staff) = app
            .account_with(NewAccount {
                display_name: "Everything".into(),
                roles: vec![
                    Role::Admin, Role::Registrar, Role::Board, Role::Assessor, Role::Commissioner,
                    Role::Council, Role::Depositary, Role::Auditor,
                ],
                clearances: vec![kernel::access::Clearance::Sensitive],
                participant: None,
                external_subject: None,
            })
            .await;
        let (_, spec) = json(app.get("/openapi.json").send().await.unwrap()).await;
        let payloads = [
            "' OR '1'='1",
            "'; DROP TABLE claims; --",
            "1) OR 1=1 --",
            "%' OR 1=1 --",
            "x' UNION SELECT token_hash, 1, 1 FROM tokens --",
            "'; SELECT pg_sleep(5); --",
            "$$; DELETE FROM audit_log; $$",
            "\\' OR 1=1 #",
            "a\u{0}b",
        ];
        let mut sent = 0;
        for (path, item) in spec["paths"].as_object().unwrap() {
            let Some(get) = item.get("get") else { continue };
            let params: Vec<&str> = get["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect();
            if params.is_empty() || path.contains('{') {
                continue;
            }
            for param in &params {
                for payload in payloads {
                    let started = std::time::Instant::now();
                    let r = app
                        .get(path)
                        .query(&[(*param, payload)])
                        .bearer_auth(&staff)
                        .send()
                        .await
                        .unwrap();
                    let status = r.status().as_u16();
                    let body = r.text().await.unwrap();
                    assert!(status < 500, "{path}?{param}={payload:?}: {status} {body}");
                    assert!(started.elapsed() < std::time::Duration::from_secs(4), "{path}?{param}: slow");
                    if status == 200 && (*param == "q" || body.starts_with('{')) {
                        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                        if let Some(items) = v["items"].as_array() {
                            assert!(
                                *param != "q" || items.is_empty(),
                                "{path}?q={payload:?} matched: {body}"
                            );
                        }
                    }
                    sent += 1;
                }
            }
        }
        assert!(sent > 50, "only {sent} requests: the spec lists too few filters");
        // Nothing was changed: the claim is there, the chain intact.
        let (_, list) = json(app.get("/v1/claims").bearer_auth(&staff).send().await.unwrap()).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        let (status, verified) = json(app.get("/v1/audit/verify").bearer_auth(&staff).send().await.unwrap()).await;
        assert_eq!(status, 200, "{verified}");
        assert!(verified.to_string().contains("intact"), "{verified}");
    }
}

/// JWT forgeries not covered in accounts.rs, each refused with 401 and
/// logged.
#[tokio::test]
async fn forged_jwts_are_refused_and_logged() {
    log_buffer();
    let dir = tempfile::tempdir().unwrap();
    let idp = provider("k1");
    let app = app_trusting(&idp, &dir).await;
    for (name, subject, roles) in [
        ("Claimant via SSO", "sso|olena", vec![Role::Claimant]),
        ("Admin via SSO", "sso|admin", vec![Role::Admin]),
    ] {
        app.account_with(NewAccount {
            display_name: name.into(),
            roles,
            clearances: vec![],
            participant: None,
            external_subject: Some(subject.into()),
        })
        .await;
    }
    let b64 = |bytes: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    let good = sign(&idp, "k1", &claims(&app, "sso|olena", 300));
    let [header, payload, signature]: [&str; 3] =
        good.split('.').collect::<Vec<_>>().try_into().unwrap();

    let mut no_expiry = claims(&app, "sso|olena", 300);
    no_expiry.as_object_mut().unwrap().remove("exp");
    let mut not_yet = claims(&app, "sso|olena", 3_600);
    not_yet["nbf"] = json!(not_yet["exp"].as_i64().unwrap() - 60);
    let mut string_expiry = claims(&app, "sso|olena", 300);
    string_expiry["exp"] = json!("99999999999");
    let mut other_issuer = claims(&app, "sso|admin", 300);
    other_issuer["iss"] = json!("https://evil.example.org");
    // The claimant's signature over an admin's payload.
    let escalated = b64(serde_json::to_string(&claims(&app, "sso|admin", 300))
        .unwrap()
        .as_bytes());
    let forgeries = [
        ("no exp", sign(&idp, "k1", &no_expiry)),
        ("nbf in the future", sign(&idp, "k1", &not_yet)),
        ("exp as a string", sign(&idp, "k1", &string_expiry)),
        ("another issuer", sign(&idp, "k1", &other_issuer)),
        (
            "payload swapped",
            format!("{header}.{escalated}.{signature}"),
        ),
        ("signature dropped", format!("{header}.{payload}.")),
        (
            "alg None",
            format!("{}.{payload}.", b64(br#"{"alg":"None","typ":"JWT"}"#)),
        ),
        (
            "alg RS256 over an EdDSA key",
            format!(
                "{}.{payload}.{signature}",
                b64(br#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#)
            ),
        ),
        (
            "unknown kid",
            sign(&provider("k2"), "k2", &claims(&app, "sso|olena", 300)),
        ),
    ];
    assert_eq!(
        app.get("/v1/me")
            .bearer_auth(&good)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    for (what, token) in forgeries {
        let id = request_id("jwt");
        let r = app
            .get("/v1/me")
            .bearer_auth(&token)
            .header("x-request-id", &id)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{what}");
        problem(r, 401, "unauthenticated").await;
        assert_logged(&id, "authentication refused");
    }
}
