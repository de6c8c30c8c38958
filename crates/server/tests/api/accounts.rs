//! Accounts, tokens and authentication.

use crate::support::{TestApp, json, problem};
use kernel::Role;
use serde_json::json;
use std::sync::Arc;
use store::{AccountStatus, AuditContext};

both! {
    async fn admins_create_accounts_and_tokens(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let r = app
            .post("/v1/accounts")
            .bearer_auth(&admin)
            .json(&json!({"display_name": "  Mykola Shevchenko ", "roles": ["registrar", "board", "registrar"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["etag"], "\"v1\"");
        let (status, account) = json(r).await;
        assert_eq!(status, 201, "{account}");
        assert_eq!(account["display_name"], "Mykola Shevchenko");
        assert_eq!(account["roles"], json!(["registrar", "board"]));
        let id = account["id"].as_str().unwrap();

        let (status, issued) = json(
            app.post(&format!("/v1/accounts/{id}/tokens"))
                .bearer_auth(&admin)
                .json(&json!({"label": "desk", "expires_in_days": 30}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 201, "{issued}");
        let token = issued["token"].as_str().unwrap();
        assert!(token.starts_with("rdt_"));

        let (status, me) = json(app.get("/v1/me").bearer_auth(token).send().await.unwrap()).await;
        assert_eq!((status, me["id"].as_str()), (200, Some(id)));

        // The secret is shown once: listings never carry it.
        let (_, tokens) = json(
            app.get(&format!("/v1/accounts/{id}/tokens")).bearer_auth(&admin).send().await.unwrap(),
        )
        .await;
        let tokens = tokens["items"].clone();
        assert_eq!(tokens.as_array().unwrap().len(), 1);
        assert!(tokens[0].get("token").is_none());
        assert!(tokens[0]["last_used_at"].is_string(), "use is recorded: {tokens}");

        let (_, page) = json(app.get("/v1/accounts?limit=1").bearer_auth(&admin).send().await.unwrap()).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let cursor = page["next_cursor"].as_str().unwrap();
        let (_, next) = json(
            app.get(&format!("/v1/accounts?limit=1&cursor={cursor}")).bearer_auth(&admin).send().await.unwrap(),
        )
        .await;
        assert_eq!(next["items"][0]["id"], id);
        problem(
            app.get("/v1/accounts?cursor=garbage").bearer_auth(&admin).send().await.unwrap(),
            422,
            "validation",
        )
        .await;
    }

    async fn account_validation_reports_every_field(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let p = problem(
            app.post("/v1/accounts")
                .bearer_auth(&admin)
                .json(&json!({"display_name": "", "roles": [], "participant": "NL"}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["display_name", "roles", "participant"], "{p}");
        let p = problem(
            app.post("/v1/accounts")
                .bearer_auth(&admin)
                .json(&json!({"display_name": "Kingdom", "roles": ["state"]}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(p["errors"][0]["code"], "required");
        let (status, _) = json(
            app.post("/v1/accounts")
                .bearer_auth(&admin)
                .json(&json!({"display_name": "Kingdom of the Netherlands", "roles": ["state"], "participant": "NL"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 201);
    }

    async fn suspension_needs_if_match_and_stops_tokens(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (id, token) = app.account("Claimant", &[Role::Claimant]).await;
        let path = format!("/v1/accounts/{id}/suspend");
        let body = json!({"reason": "left the programme"});
        problem(app.post(&path).bearer_auth(&admin).json(&body).send().await.unwrap(), 428, "precondition-required").await;
        problem(
            app.post(&path).bearer_auth(&admin).header("if-match", "\"v9\"").json(&body).send().await.unwrap(),
            412,
            "precondition-failed",
        )
        .await;
        let r = app.post(&path).bearer_auth(&admin).header("if-match", "\"v1\"").json(&body).send().await.unwrap();
        assert_eq!(r.headers()["etag"], "\"v2\"");
        assert_eq!(json(r).await.1["status"], "suspended");
        // The same stale version loses now.
        problem(
            app.post(&path).bearer_auth(&admin).header("if-match", "\"v1\"").json(&body).send().await.unwrap(),
            412,
            "precondition-failed",
        )
        .await;
        problem(app.get("/v1/me").bearer_auth(&token).send().await.unwrap(), 403, "forbidden").await;

        let r = app
            .post(&format!("/v1/accounts/{id}/reactivate"))
            .bearer_auth(&admin)
            .header("if-match", "\"v2\"")
            .json(&json!({"reason": "returned"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(app.get("/v1/me").bearer_auth(&token).send().await.unwrap().status(), 200);
    }

    async fn bad_credentials_get_401_with_a_challenge(app: TestApp) {
        for header in [
            None,
            Some("Bearer rdt_unknown"),
            Some("Bearer not-a-token"),
            Some("Basic dXNlcjpwYXNz"),
            Some("Bearer "),
            Some("Bearer a.b.c"),
        ] {
            let mut req = app.get("/v1/me");
            if let Some(h) = header {
                req = req.header("authorization", h);
            }
            let r = req.send().await.unwrap();
            assert_eq!(
                r.headers().get("www-authenticate").and_then(|v| v.to_str().ok()),
                Some("Bearer realm=\"redress\""),
                "{header:?}"
            );
            problem(r, 401, "unauthenticated").await;
        }
    }

    async fn revoked_and_expired_tokens_stop_working(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (id, _) = app.account("Registrar", &[Role::Registrar]).await;
        let issue = |days: Option<u32>| {
            app.post(&format!("/v1/accounts/{id}/tokens"))
                .bearer_auth(&admin)
                .json(&json!({"label": "t", "expires_in_days": days}))
        };
        let (_, short) = json(issue(Some(1)).send().await.unwrap()).await;
        let (_, revocable) = json(issue(None).send().await.unwrap()).await;
        let short_token = short["token"].as_str().unwrap();
        let revocable_token = revocable["token"].as_str().unwrap();
        assert_eq!(app.get("/v1/me").bearer_auth(short_token).send().await.unwrap().status(), 200);

        // Used once before it is revoked, so that this instance has it in
        // memory (PostgreSQL) and must forget it.
        assert_eq!(app.get("/v1/me").bearer_auth(revocable_token).send().await.unwrap().status(), 200);
        let token_id = revocable["id"].as_str().unwrap();
        let (status, revoked) = json(
            app.post(&format!("/v1/accounts/{id}/tokens/{token_id}/revoke"))
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        assert!(revoked["revoked_at"].is_string());
        let p = problem(app.get("/v1/me").bearer_auth(revocable_token).send().await.unwrap(), 401, "unauthenticated").await;
        assert!(p["detail"].as_str().unwrap().contains("revoked"));

        app.clock.advance(time::Duration::days(2));
        let p = problem(app.get("/v1/me").bearer_auth(short_token).send().await.unwrap(), 401, "unauthenticated").await;
        assert!(p["detail"].as_str().unwrap().contains("expired"));

        // Revoking through another account's path finds nothing.
        let (other, _) = app.account("Other", &[Role::Claimant]).await;
        problem(
            app.post(&format!("/v1/accounts/{other}/tokens/{token_id}/revoke"))
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap(),
            404,
            "not-found",
        )
        .await;
    }

    async fn tokens_revoked_or_suspended_elsewhere_stop_working_here(app: TestApp) {
        let (revoked_id, revoked) = app.account("Registrar", &[Role::Registrar]).await;
        let (suspended_id, suspended) = app.account("Assessor", &[Role::Assessor]).await;
        for token in [&revoked, &suspended] {
            // Twice: the second answer may come from memory.
            for _ in 0..2 {
                assert_eq!(app.get("/v1/me").bearer_auth(token).send().await.unwrap().status(), 200);
            }
        }
        // Another instance on the same database, or `redress` on the
        // command line, makes the change.
        let elsewhere = server::open_store(&app.state.settings.database, Arc::new(app.clock.clone()))
            .await
            .unwrap();
        let ctx = AuditContext::system();
        let token_id = elsewhere.tokens(revoked_id).await.unwrap()[0].id;
        elsewhere.revoke_token(&ctx, revoked_id, token_id).await.unwrap();
        elsewhere
            .set_account_status(&ctx, suspended_id, AccountStatus::Suspended, None)
            .await
            .unwrap();
        // SQLite keeps nothing in memory, so the answer changes at once;
        // on PostgreSQL it changes when the notification arrives.
        for (token, status) in [(&revoked, 401), (&suspended, 403)] {
            let mut last = 0;
            for _ in 0..400 {
                last = app.get("/v1/me").bearer_auth(token).send().await.unwrap().status().as_u16();
                if last == status {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert_eq!(last, status, "a token changed elsewhere must stop working here");
        }
    }

    async fn account_changes_are_audited_with_actor_and_request_id(app: TestApp) {
        let (admin_id, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        let (_, created) = json(
            app.post("/v1/accounts")
                .bearer_auth(&admin)
                .header("x-request-id", "req-42")
                .header("idempotency-key", "key-1")
                .json(&json!({"display_name": "Board member", "roles": ["board"]}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let id = created["id"].as_str().unwrap();
        let (status, log) = json(
            app.get(&format!("/v1/audit?target_type=account&target_id={id}"))
                .bearer_auth(&auditor)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        let entry = &log["items"][0];
        assert_eq!(entry["action"], "account.created");
        assert_eq!(entry["actor"], admin_id.to_string());
        assert_eq!(entry["actor_role"], "admin");
        assert_eq!(entry["request_id"], "req-42");
        assert_eq!(entry["idempotency_key"], "key-1");
        // Admins manage accounts but do not read the audit log.
        problem(app.get("/v1/audit").bearer_auth(&admin).send().await.unwrap(), 403, "forbidden").await;
    }
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let app = TestApp::spawn_with(crate::support::Db::Sqlite, |s| {
        s.rate_limit_per_minute = 3;
        s.anonymous_rate_limit_per_minute = 2;
    })
    .await
    .unwrap();
    let (_, token) = app.account("Claimant", &[Role::Claimant]).await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/v1/me")
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let r = app.get("/v1/me").bearer_auth(&token).send().await.unwrap();
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    problem(r, 429, "rate-limited").await;
    // Another token has its own allowance.
    let (_, other) = app.account("Other", &[Role::Claimant]).await;
    assert_eq!(
        app.get("/v1/me")
            .bearer_auth(&other)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Anonymous calls are limited per address.
    for _ in 0..2 {
        assert_eq!(app.get("/health").send().await.unwrap().status(), 200);
    }
    problem(
        app.get("/health").send().await.unwrap(),
        429,
        "rate-limited",
    )
    .await;
}

pub(crate) mod jwt {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use kernel::Clock as _;
    use ring::signature::{Ed25519KeyPair, KeyPair as _};
    use store::NewAccount;

    pub(crate) struct Provider {
        pkcs8: Vec<u8>,
        jwks: String,
    }

    pub(crate) fn provider(kid: &str) -> Provider {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .unwrap()
            .as_ref()
            .to_vec();
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).unwrap();
        let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"}]});
        Provider {
            pkcs8,
            jwks: jwks.to_string(),
        }
    }

    pub(crate) fn sign(p: &Provider, kid: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&p.pkcs8)).unwrap()
    }

    pub(crate) async fn app_trusting(p: &Provider, dir: &tempfile::TempDir) -> TestApp {
        let path = dir.path().join("jwks.json");
        std::fs::write(&path, &p.jwks).unwrap();
        TestApp::spawn_with(crate::support::Db::Sqlite, |s| {
            s.jwt = Some(server::config::JwtSettings {
                issuer: "https://sso.example.org".into(),
                audience: "redress".into(),
                jwks: path,
                account_claim: "sub".into(),
            });
        })
        .await
        .unwrap()
    }

    pub(crate) fn claims(app: &TestApp, sub: &str, exp_in: i64) -> serde_json::Value {
        let now = app.clock.now().unix_timestamp();
        json!({"iss": "https://sso.example.org", "aud": "redress", "sub": sub, "exp": now + exp_in, "iat": now})
    }

    /// Serves `body` at any path on 127.0.0.1, counting requests.
    async fn serve_jwks(body: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().fallback(move || {
            let body = body.clone();
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move { ([("content-type", "application/json")], body) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, hits)
    }

    #[tokio::test]
    async fn the_jwks_can_come_from_the_providers_url() {
        let idp = provider("k9");
        let (url, hits) = serve_jwks(idp.jwks.clone()).await;
        let app = TestApp::spawn_with(crate::support::Db::Sqlite, |s| {
            s.jwt = Some(server::config::JwtSettings {
                issuer: "https://sso.example.org".into(),
                audience: "redress".into(),
                jwks: url.clone().into(),
                account_claim: "sub".into(),
            });
        })
        .await
        .unwrap();
        assert_eq!(
            hits.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "fetched at start"
        );
        app.account_with(NewAccount {
            display_name: "Via URL".into(),
            roles: vec![Role::Auditor],
            clearances: vec![],
            participant: None,
            external_subject: Some("sso|url".into()),
        })
        .await;
        let token = sign(&idp, "k9", &claims(&app, "sso|url", 300));
        assert_eq!(
            app.get("/v1/me")
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let verifier = app.state.auth.jwt.clone().unwrap();
        assert!(verifier.refreshes());
        verifier.refresh().await.unwrap();
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);

        // No keys, no start: an unreachable JWKS URL is a start-up error.
        let settings_with = |jwks: &str| server::config::JwtSettings {
            issuer: "i".into(),
            audience: "a".into(),
            jwks: jwks.into(),
            account_claim: "sub".into(),
        };
        assert!(
            server::jwt::JwtVerifier::load(&settings_with("http://127.0.0.1:1/jwks"))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn jwts_from_the_identity_provider_map_to_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let idp = provider("k1");
        let app = app_trusting(&idp, &dir).await;
        let (id, _) = app
            .account_with(NewAccount {
                display_name: "Registrar via SSO".into(),
                roles: vec![Role::Registrar],
                clearances: vec![],
                participant: None,
                external_subject: Some("sso|olena".into()),
            })
            .await;
        let good = sign(&idp, "k1", &claims(&app, "sso|olena", 300));
        let (status, me) = json(app.get("/v1/me").bearer_auth(&good).send().await.unwrap()).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["id"], id.to_string());

        // Expired (by the service clock).
        app.clock.advance(time::Duration::minutes(10));
        let p = problem(
            app.get("/v1/me").bearer_auth(&good).send().await.unwrap(),
            401,
            "unauthenticated",
        )
        .await;
        assert!(p["detail"].as_str().unwrap().contains("expired"), "{p}");

        // Unknown subject.
        let stranger = sign(&idp, "k1", &claims(&app, "sso|nobody", 300));
        problem(
            app.get("/v1/me")
                .bearer_auth(&stranger)
                .send()
                .await
                .unwrap(),
            401,
            "unauthenticated",
        )
        .await;

        // Signed by another key.
        let forger = provider("k1");
        let forged = sign(&forger, "k1", &claims(&app, "sso|olena", 300));
        problem(
            app.get("/v1/me").bearer_auth(&forged).send().await.unwrap(),
            401,
            "unauthenticated",
        )
        .await;

        // Wrong audience.
        let mut wrong = claims(&app, "sso|olena", 300);
        wrong["aud"] = json!("someone-else");
        problem(
            app.get("/v1/me")
                .bearer_auth(sign(&idp, "k1", &wrong))
                .send()
                .await
                .unwrap(),
            401,
            "unauthenticated",
        )
        .await;

        // alg: none, with the payload of a valid token.
        let payload = good.split('.').nth(1).unwrap();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{none_header}.{payload}.");
        problem(
            app.get("/v1/me")
                .bearer_auth(&unsigned)
                .send()
                .await
                .unwrap(),
            401,
            "unauthenticated",
        )
        .await;
        // HS256 signed with the public key as secret (key confusion).
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(&app, "sso|olena", 300),
            &EncodingKey::from_secret(idp.jwks.as_bytes()),
        )
        .unwrap();
        problem(
            app.get("/v1/me").bearer_auth(&hs).send().await.unwrap(),
            401,
            "unauthenticated",
        )
        .await;
    }
}
