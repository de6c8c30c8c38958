//! Findings of the attack review, each refused as the review asked: where
//! sign-in may lead, forms that carry their token in the URL, cross-site
//! sign-in, guessing tokens, the client address behind a proxy, caching
//! and framing headers, forged request ids, the metrics endpoint, and
//! claims with endless lists. (Need-to-know for sensitive claims has its
//! own module; sessions that end with their credentials are in `web`;
//! slow clients are tested on the real binary in `tests/e2e`.)

use crate::support::{Db, TestApp, json, problem};
use crate::web::{client, field, set_cookie, sign_in};
use kernel::Role;
use reqwest::header::LOCATION;
use serde_json::json;

/// Posts the sign-in form with `next` (and optional extra headers) the way
/// a browser does after loading the form.
async fn sign_in_to(
    app: &TestApp,
    token: &str,
    next: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let http = client();
    let form = http
        .get(format!("{}/sign-in", app.base))
        .send()
        .await
        .unwrap();
    let pre = set_cookie(form.headers(), "redress_sign_in")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = field(&form.text().await.unwrap(), "csrf").unwrap();
    let mut request = http
        .post(format!("{}/sign-in", app.base))
        .header("cookie", &pre)
        .form(&[("token", token), ("csrf", &csrf), ("next", next)]);
    for (k, v) in extra {
        request = request.header(*k, *v);
    }
    request.send().await.unwrap()
}

both! {
    async fn sign_in_leads_only_to_the_console_or_the_claimants_pages(app: TestApp) {
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        // The form does not carry a hostile `next` along.
        let page = client()
            .get(format!("{}/sign-in?next=%2F%09%2Fevil.example", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(field(&page.text().await.unwrap(), "next").as_deref(), Some(""));
        for (next, expected) in [
            ("/\t/evil.example", "/console"),
            ("//evil.example", "/console"),
            ("https://evil.example/", "/console"),
            ("/console\r\nSet-Cookie: x=1", "/console"),
            ("/console\n", "/console"),
            ("/console\u{b}", "/console"),
            ("/sign-out", "/console"),
            ("/console/claims?status=submitted", "/console/claims?status=submitted"),
            ("/my", "/my"),
        ] {
            let done = sign_in_to(&app, &registrar, next, &[]).await;
            assert_eq!(done.status(), 303, "{next:?}: {}", done.text().await.unwrap());
            assert_eq!(done.headers()[LOCATION], expected, "{next:?}");
            assert!(set_cookie(done.headers(), "redress_session").is_some(), "{next:?}: signed in");
        }
    }

    async fn a_cross_site_sign_in_is_refused(app: TestApp) {
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let forged = sign_in_to(&app, &registrar, "/console", &[("sec-fetch-site", "cross-site")]).await;
        assert_eq!(forged.status(), 403);
        assert!(set_cookie(forged.headers(), "redress_session").is_none());
        let sibling = sign_in_to(&app, &registrar, "/console", &[("sec-fetch-site", "same-site")]).await;
        assert_eq!(sibling.status(), 403);
        let same = sign_in_to(&app, &registrar, "/console", &[("sec-fetch-site", "same-origin")]).await;
        assert_eq!(same.status(), 303);
    }

    async fn the_form_token_counts_only_in_the_body_of_an_ordinary_form(app: TestApp) {
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let browser = sign_in(&app, &registrar).await;
        // The token in the URL (as only the streamed upload form may carry
        // it) is refused on the sign-out form.
        let forged = client()
            .post(format!("{}/sign-out?csrf={}", app.base, browser.csrf))
            .header("cookie", &browser.cookie)
            .form(&[("nothing", "here")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        assert_eq!(browser.get(&app, "/console").await.status(), 200, "still signed in");
        let done = browser.post(&app, "/sign-out", &[]).await;
        assert_eq!(done.status(), 303);
        assert_eq!(browser.get(&app, "/console").await.status(), 303, "signed out");
    }

    async fn answers_with_personal_data_are_never_cached_and_the_docs_are_not_framed(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let created = app
            .post("/v1/claims")
            .bearer_auth(&claimant)
            .json(&crate::claims::house("3184710691", "3210900000:01:001:0001"))
            .send()
            .await
            .unwrap();
        assert_eq!(created.headers()["cache-control"], "no-store");
        let id = created.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        for path in [format!("/v1/claims/{id}"), "/v1/claims".to_owned(), "/v1/me".to_owned()] {
            let read = app.get(&path).bearer_auth(&claimant).send().await.unwrap();
            assert_eq!(read.status(), 200);
            assert_eq!(read.headers()["cache-control"], "no-store", "{path}");
        }
        let docs = app.get("/docs/").send().await.unwrap();
        assert_eq!(docs.status(), 200);
        assert_eq!(docs.headers()["x-frame-options"], "DENY");
        let csp = docs.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
    }

    async fn a_request_id_is_echoed_only_when_it_is_a_safe_short_token(app: TestApp) {
        let id_of = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
        let kept = app.get("/health").header("x-request-id", "lb-7f3a:42.x_y").send().await.unwrap();
        assert_eq!(id_of(&kept), "lb-7f3a:42.x_y");
        for hostile in ["<script>alert(1)</script>", "a b", &"x".repeat(65), "\"quoted\""] {
            let answered = app.get("/v1/nothing-here").header("x-request-id", hostile).send().await.unwrap();
            let id = id_of(&answered);
            assert_ne!(id, hostile);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "a fresh id: {id}");
            let body = problem(answered, 404, "not-found").await;
            assert_eq!(body["instance"], id.as_str());
        }
    }

    async fn claims_keep_their_lists_within_documented_limits(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let mut claim = crate::claims::house("3184710691", "3210900000:01:001:0001");
        let loss = json!({"description": "x", "amount": {"amount": "1.00", "currency": "EUR"}});
        claim["losses"] = json!(vec![loss.clone(); 10_000]);
        let refused = problem(
            app.post("/v1/claims").bearer_auth(&claimant).json(&claim).send().await.unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "losses", "{refused}");
        assert_eq!(refused["errors"][0]["code"], "too_many_items", "{refused}");
        // At the limit it is accepted; one more through an edit is refused.
        claim["losses"] = json!(vec![loss.clone(); register::MAX_LOSSES]);
        let (s, created) = json(app.post("/v1/claims").bearer_auth(&claimant).json(&claim).send().await.unwrap()).await;
        assert_eq!(s, 201, "{created}");
        let id = created["id"].as_str().unwrap();
        let refused = problem(
            app.request(reqwest::Method::PATCH, &format!("/v1/claims/{id}"))
                .bearer_auth(&claimant)
                .header("if-match", format!("\"v{}\"", created["version"]))
                .json(&json!({"external_references": vec![json!({"register": "drrp", "id": "1"}); register::MAX_EXTERNAL_REFERENCES + 1]}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "external_references", "{refused}");
    }
}

/// Tokens tried and refused from one address are limited; requests that
/// carry no credential, and other addresses, are not.
async fn failed_authentications_are_limited_per_client_address(db: Db) {
    let Some(app) = TestApp::spawn_with(db, |s| {
        s.auth_failure_limit_per_minute = 5;
    })
    .await
    else {
        return;
    };
    let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
    let mut statuses = Vec::new();
    for i in 0..20 {
        let r = app
            .get("/v1/claims")
            .bearer_auth(format!("rdt_bad{i}"))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // A request without a credential is not a failed guess.
    let anonymous = app.get("/v1/claims").send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    // A good token still works: only failures are limited.
    let good = app
        .get("/v1/claims")
        .bearer_auth(&registrar)
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), 200);
    // The sign-in form counts too.
    let page = sign_in_to(&app, "rdt_nope", "/console", &[]).await;
    assert_eq!(page.status(), 429);
}

/// Behind a trusted proxy each client has its own anonymous bucket; a
/// client talking to the service directly cannot choose its address.
async fn the_client_address_comes_from_trusted_proxies_only(db: Db) {
    let from = |app: &TestApp, client: &str| {
        app.get("/v1/convention")
            .header("x-forwarded-for", client)
            .send()
    };
    let Some(behind_proxy) = TestApp::spawn_with(db, |s| {
        s.anonymous_rate_limit_per_minute = 3;
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await
    else {
        return;
    };
    for _ in 0..3 {
        assert_eq!(
            from(&behind_proxy, "203.0.113.1").await.unwrap().status(),
            200
        );
    }
    assert_eq!(
        from(&behind_proxy, "203.0.113.1").await.unwrap().status(),
        429
    );
    assert_eq!(
        from(&behind_proxy, "203.0.113.2").await.unwrap().status(),
        200,
        "another client behind the proxy has its own quota"
    );
    // A client cannot move into another bucket by forging the header: the
    // proxy appends the real address, which is read from the right.
    assert_eq!(
        from(&behind_proxy, "198.51.100.7, 203.0.113.1")
            .await
            .unwrap()
            .status(),
        429
    );

    let direct = TestApp::spawn_with(db, |s| {
        s.anonymous_rate_limit_per_minute = 3;
    })
    .await
    .unwrap();
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        assert_eq!(from(&direct, client).await.unwrap().status(), 200);
    }
    assert_eq!(
        from(&direct, "203.0.113.4").await.unwrap().status(),
        429,
        "without a trusted proxy the header is ignored"
    );
}

async fn metrics_can_require_a_scrape_token(db: Db) {
    let Some(open) = TestApp::spawn(db).await else {
        return;
    };
    assert_eq!(open.get("/metrics").send().await.unwrap().status(), 200);
    let closed = TestApp::spawn_with(db, |s| {
        s.metrics_token = Some("scrape-secret".to_owned().into());
    })
    .await
    .unwrap();
    problem(
        closed.get("/metrics").send().await.unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    problem(
        closed
            .get("/metrics")
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    let scraped = closed
        .get("/metrics")
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped
            .text()
            .await
            .unwrap()
            .contains("http_requests_total")
    );
}

/// The tests above that need settings of their own, on both databases.
macro_rules! on_both {
    ($($name:ident),*) => {
        mod configured {
            $(
                mod $name {
                    #[tokio::test]
                    async fn sqlite() {
                        super::super::$name(crate::support::Db::Sqlite).await;
                    }

                    #[tokio::test]
                    async fn postgres() {
                        super::super::$name(crate::support::Db::Postgres).await;
                    }
                }
            )*
        }
    };
}

on_both!(
    failed_authentications_are_limited_per_client_address,
    the_client_address_comes_from_trusted_proxies_only,
    metrics_can_require_a_scrape_token
);
