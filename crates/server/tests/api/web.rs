//! The web pages through HTTP: sessions and their cookies, CSRF refusals,
//! who may open what, the security headers, and that public pages show no
//! personal data. (The browser tests in `browser/` drive the same pages in
//! Chromium.)

use crate::claims::house;
use crate::support::{TestApp, json};
use kernel::Role;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::json;

/// A signed-in browser: its cookie and the session's form token.
#[derive(Clone, Debug)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

/// A client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of `name="{field}" value="..."` in a page.
pub fn field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// `name=value` of the `Set-Cookie` for `name`.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

/// Signs in through the form, as a browser does.
pub async fn sign_in(app: &TestApp, token: &str) -> Browser {
    let http = client();
    let form = http
        .get(format!("{}/sign-in", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let pre = cookie_pair(&set_cookie(form.headers(), "redress_sign_in").expect("sign-in cookie"));
    let html = form.text().await.unwrap();
    let csrf = field(&html, "csrf").expect("csrf field");
    let done = http
        .post(format!("{}/sign-in", app.base))
        .header("cookie", &pre)
        .form(&[("token", token), ("csrf", &csrf), ("next", "/console")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
    let cookie =
        cookie_pair(&set_cookie(done.headers(), "redress_session").expect("session cookie"));
    let console = http
        .get(format!("{}/console", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), 200);
    let html = console.text().await.unwrap();
    Browser {
        cookie,
        csrf: field(&html, "csrf").expect("the sign-out form's token"),
    }
}

impl Browser {
    pub async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        client()
            .get(format!("{}{path}", app.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form with the session's token.
    pub async fn post(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        client()
            .post(format!("{}{path}", app.base))
            .header("cookie", &self.cookie)
            .form(&all)
            .send()
            .await
            .unwrap()
    }
}

pub(crate) async fn text(response: reqwest::Response) -> (u16, HeaderMap, String) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// A submitted claim under review, filed by `claimant`.
async fn claim_under_review(app: &TestApp, claimant: &str, registrar: &str, tax: &str) -> String {
    let cadastral = if tax.starts_with('3') {
        "3210900000:01:001:0001"
    } else {
        "3210900000:01:001:0002"
    };
    let (status, body) = json(
        app.post("/v1/claims")
            .bearer_auth(claimant)
            .json(&house(tax, cadastral))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let submitted = app
        .post(&format!("/v1/claims/{id}/submit"))
        .bearer_auth(claimant)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    let reviewed = app
        .post(&format!("/v1/claims/{id}/review"))
        .bearer_auth(registrar)
        .send()
        .await
        .unwrap();
    assert_eq!(reviewed.status(), 200);
    id
}

async fn claim_status(app: &TestApp, token: &str, id: &str) -> String {
    let (_, body) = json(
        app.get(&format!("/v1/claims/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    body["status"].as_str().unwrap_or_default().to_owned()
}

fn assert_page_headers(headers: &HeaderMap) {
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("style-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

const OLENA_TAX: &str = "3184710691";
const OTHER_TAX: &str = "2245134075";

both! {
    async fn the_tracker_shows_the_count_and_no_personal_data(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        claim_under_review(&app, &claimant, &registrar, OLENA_TAX).await;

        let (_, convention) = json(app.get("/v1/convention").send().await.unwrap()).await;
        let count = convention["counted_consents"].as_u64().unwrap();
        let threshold = convention["threshold"].as_u64().unwrap();

        let (status, headers, html) = text(app.get("/").send().await.unwrap()).await;
        assert_eq!(status, 200);
        assert_page_headers(&headers);
        assert_eq!(headers["cache-control"], "no-cache");
        assert!(html.contains(&format!("{count} of {threshold}")), "the count as the API has it");
        assert!(html.contains("<svg class=\"chart\""), "the chart is drawn by the server");
        assert!(!html.contains("<script"), "no script at all");
        assert!(!html.contains("style="), "no inline style");
        for page in ["/", "/decisions", "/participants.csv", "/sign-in"] {
            let (status, _, body) = text(app.get(page).send().await.unwrap()).await;
            assert_eq!(status, 200, "{page}");
            for personal in ["Коваленко", "Олена", OLENA_TAX, "olena@example.ua", "Університетська"] {
                assert!(!body.contains(personal), "{page} shows {personal}");
            }
        }

        // The CSV is the API's.
        let api_csv = app
            .get("/v1/convention/participants")
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let page_csv = app.get("/participants.csv").send().await.unwrap();
        assert!(page_csv.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
        assert_eq!(page_csv.text().await.unwrap(), api_csv);

        // Sorting is by links; the chosen column says so.
        let (_, _, sorted) = text(app.get("/?sort=signed&dir=desc").send().await.unwrap()).await;
        assert!(sorted.contains(r#"aria-sort="descending"><a href="/?sort=signed&#38;dir=asc#participants""#), "{sorted}");
    }

    async fn pages_speak_ukrainian_when_asked(app: TestApp) {
        let (_, _, html) = text(
            app.get("/").header("accept-language", "uk-UA,uk;q=0.9,en;q=0.5").send().await.unwrap(),
        )
        .await;
        assert!(html.contains("<html lang=\"uk\">"));
        assert!(html.contains("Згоди на обов'язковість") || html.contains("Згоди на обов&#39;язковість"));
        let switched = app.get("/?lang=en").header("accept-language", "uk").send().await.unwrap();
        let set = set_cookie(switched.headers(), "lang").expect("the choice is remembered");
        assert!(set.starts_with("lang=en"));
        let (_, _, html) = text(switched).await;
        assert!(html.contains("<html lang=\"en\">"));
        let (_, _, html) = text(
            app.get("/").header("accept-language", "uk").header("cookie", "lang=en").send().await.unwrap(),
        )
        .await;
        assert!(html.contains("<html lang=\"en\">"), "the cookie wins over the header");
    }

    async fn signing_in_gives_a_strict_session_cookie_and_signing_out_ends_it(app: TestApp) {
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let http = client();
        // Without a session, a personal page sends the browser to sign in.
        let away = http.get(format!("{}/console/claims?status=submitted", app.base)).send().await.unwrap();
        assert_eq!(away.status(), 303);
        assert_eq!(away.headers()[LOCATION], "/sign-in?next=/console/claims%3Fstatus%3Dsubmitted");

        // The cookie: HttpOnly, SameSite=Strict, expiring; Secure behind TLS.
        let form = http.get(format!("{}/sign-in", app.base)).send().await.unwrap();
        let pre = cookie_pair(&set_cookie(form.headers(), "redress_sign_in").unwrap());
        let csrf = field(&form.text().await.unwrap(), "csrf").unwrap();
        let done = http
            .post(format!("{}/sign-in", app.base))
            .header("cookie", &pre)
            .header("x-forwarded-proto", "https")
            .form(&[("token", registrar.as_str()), ("csrf", &csrf), ("next", "//evil.example")])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 303);
        assert_eq!(done.headers()[LOCATION], "/console", "never to another site");
        let set = set_cookie(done.headers(), "redress_session").unwrap();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800", "Secure"] {
            assert!(set.contains(attribute), "{set} lacks {attribute}");
        }
        let secret = cookie_pair(&set);
        assert!(secret.len() > 40, "256 random bits");
        // Only its hash is stored.
        let value = secret.trim_start_matches("redress_session=");
        assert!(app.state.store.web_session(&server::auth::hash_token(value)).await.is_ok());

        let browser = sign_in(&app, &registrar).await;
        let plain = set_cookie(
            &http.post(format!("{}/sign-in", app.base)).send().await.unwrap().headers().clone(),
            "redress_session",
        );
        assert!(plain.is_none(), "a refused sign-in sets no session");
        let (status, headers, html) = text(browser.get(&app, "/console/claims").await).await;
        assert_eq!(status, 200);
        assert_page_headers(&headers);
        assert_eq!(headers["cache-control"], "no-store", "personal pages are never cached");
        assert!(html.contains("Registrar"));

        // Signing out ends the session in the database, for every instance.
        let out = browser.post(&app, "/sign-out", &[]).await;
        assert_eq!(out.status(), 303);
        assert!(set_cookie(out.headers(), "redress_session").unwrap().contains("Max-Age=0"));
        assert_eq!(browser.get(&app, "/console").await.status(), 303);
    }

    async fn a_bad_token_or_a_forged_sign_in_is_refused(app: TestApp) {
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let http = client();
        let form = http.get(format!("{}/sign-in", app.base)).send().await.unwrap();
        let pre = cookie_pair(&set_cookie(form.headers(), "redress_sign_in").unwrap());
        let csrf = field(&form.text().await.unwrap(), "csrf").unwrap();
        let wrong = http
            .post(format!("{}/sign-in", app.base))
            .header("cookie", &pre)
            .form(&[("token", "rdt_not-a-token"), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        let (status, _, html) = text(wrong).await;
        assert_eq!(status, 401);
        assert!(html.contains("The bearer token is not valid."), "the reason, readable");
        // A sign-in form posted from elsewhere has no matching cookie.
        let forged = http
            .post(format!("{}/sign-in", app.base))
            .form(&[("token", registrar.as_str()), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        assert!(set_cookie(forged.headers(), "redress_session").is_none());
    }

    async fn forms_without_the_session_token_are_refused(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let id = claim_under_review(&app, &claimant, &registrar, OLENA_TAX).await;
        let browser = sign_in(&app, &registrar).await;
        let path = format!("/console/claims/{id}/information-requests");

        let missing = client()
            .post(format!("{}{path}", app.base))
            .header("cookie", &browser.cookie)
            .form(&[("message", "Send the deed.")])
            .send()
            .await
            .unwrap();
        let (status, headers, html) = text(missing).await;
        assert_eq!(status, 403);
        assert_page_headers(&headers);
        assert!(html.contains("This form has expired or did not come from this site."));
        let wrong = client()
            .post(format!("{}{path}", app.base))
            .header("cookie", &browser.cookie)
            .form(&[("csrf", "x".repeat(43).as_str()), ("message", "Send the deed.")])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 403);
        let cross_site = client()
            .post(format!("{}{path}", app.base))
            .header("cookie", &browser.cookie)
            .header("sec-fetch-site", "cross-site")
            .form(&[("csrf", browser.csrf.as_str()), ("message", "Send the deed.")])
            .send()
            .await
            .unwrap();
        assert_eq!(cross_site.status(), 403);
        // Another session's token is no good either.
        let (_, colleague) = app.account("Colleague", &[Role::Registrar]).await;
        let other = sign_in(&app, &colleague).await;
        assert_ne!(other.csrf, browser.csrf);
        let (_, other_token) = (other.cookie.clone(), other.csrf.clone());
        let mixed = client()
            .post(format!("{}{path}", app.base))
            .header("cookie", &browser.cookie)
            .form(&[("csrf", other_token.as_str()), ("message", "Send the deed.")])
            .send()
            .await
            .unwrap();
        assert_eq!(mixed.status(), 403);
        assert_eq!(claim_status(&app, &registrar, &id).await, "under_review", "nothing changed");

        // With the token it goes through, and the claim page says so.
        let sent = browser.post(&app, &path, &[("message", "Send the deed.")]).await;
        assert_eq!(sent.status(), 303);
        assert_eq!(sent.headers()[LOCATION], format!("/console/claims/{id}?done=information_requested"));
        assert_eq!(claim_status(&app, &registrar, &id).await, "information_requested");
        let (_, _, html) = text(browser.get(&app, &format!("/console/claims/{id}?done=information_requested")).await).await;
        assert!(html.contains("The request for information was sent to the claimant."));
        assert!(html.contains("Send the deed."));
        assert!(html.contains("claim.information_requested"), "in the history");

        // A refused action shows the problem in words, on the claim page.
        let again = browser.post(&app, &path, &[("message", "Again.")]).await;
        let (status, _, html) = text(again).await;
        assert_eq!(status, 409);
        assert!(html.contains("That did not work"), "{html}");
        let empty = browser.post(&app, &format!("/console/claims/{id}/recommendation"), &[("reasons", "")]).await;
        assert_eq!(empty.status(), 422);
    }

    async fn a_claimant_sees_only_their_own_claims(app: TestApp) {
        let (_, olena) = app.account("Olena", &[Role::Claimant]).await;
        let (_, petro) = app.account("Petro", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let id = claim_under_review(&app, &olena, &registrar, OLENA_TAX).await;
        let petros = sign_in(&app, &petro).await;

        let (_, _, list) = text(petros.get(&app, "/my").await).await;
        assert!(!list.contains(&id));
        for path in [
            format!("/my/claims/{id}"),
            format!("/console/claims/{id}"),
            format!("/my/claims/{id}/evidence/{}", uuid::Uuid::now_v7()),
        ] {
            let (status, headers, html) = text(petros.get(&app, &path).await).await;
            assert_eq!(status, 404, "{path}");
            assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
            assert!(!html.contains("Коваленко"));
        }
        let answer = petros.post(&app, &format!("/my/claims/{id}/responses"), &[("message", "mine")]).await;
        assert_eq!(answer.status(), 404);
        // Staff pages refuse a claimant's role outright.
        for path in ["/console/dashboard"] {
            let (status, _, html) = text(petros.get(&app, path).await).await;
            assert_eq!(status, 403, "{path}");
            assert!(html.contains("Your role does not allow this page."));
        }
        let decide = petros.post(&app, &format!("/console/claims/{id}/decision"), &[("outcome", "recorded"), ("reasons", "x")]).await;
        assert_eq!(decide.status(), 403);

        let olenas = sign_in(&app, &olena).await;
        let (status, _, html) = text(olenas.get(&app, &format!("/my/claims/{id}")).await).await;
        assert_eq!(status, 200);
        assert!(html.contains("Nothing for you to do: the Register is reviewing your claim."));
    }

    async fn a_claimant_answers_a_request_with_a_file(app: TestApp) {
        let (_, olena) = app.account("Olena", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let id = claim_under_review(&app, &olena, &registrar, OTHER_TAX).await;
        let staff = sign_in(&app, &registrar).await;
        let sent = staff
            .post(&app, &format!("/console/claims/{id}/information-requests"), &[("message", "Please send the ownership certificate.")])
            .await;
        assert_eq!(sent.status(), 303);

        let browser = sign_in(&app, &olena).await;
        let (_, _, list) = text(browser.get(&app, "/my").await).await;
        assert!(list.contains(&format!("/my/claims/{id}")));
        let (_, _, page) = text(browser.get(&app, &format!("/my/claims/{id}")).await).await;
        assert!(page.contains("Please send the ownership certificate."));
        assert!(page.contains("Answer the request for information below"));

        // The upload form's token rides in its action URL; without it, refused.
        let boundary = "redress-web-test";
        let file = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"certificate.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let upload = |query: String| {
            client()
                .post(format!("{}/my/claims/{id}/evidence{query}", app.base))
                .header("cookie", &browser.cookie)
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body.clone())
                .send()
        };
        assert_eq!(upload(String::new()).await.unwrap().status(), 403);
        let done = upload(format!("?csrf={}", browser.csrf)).await.unwrap();
        assert_eq!(done.status(), 303);
        assert_eq!(done.headers()[LOCATION], format!("/my/claims/{id}?done=uploaded"));
        let (_, _, page) = text(browser.get(&app, &format!("/my/claims/{id}?done=uploaded")).await).await;
        assert!(page.contains("certificate.pdf"));
        let (_, receipts) = json(
            app.get(&format!("/v1/claims/{id}/evidence")).bearer_auth(&olena).send().await.unwrap(),
        )
        .await;
        let sha = receipts["items"][0]["sha256"].as_str().unwrap().to_owned();
        assert!(page.contains(&sha), "the receipt's hash");
        let evidence_id = receipts["items"][0]["id"].as_str().unwrap();
        let download = browser.get(&app, &format!("/my/claims/{id}/evidence/{evidence_id}")).await;
        assert_eq!(download.status(), 200);
        assert_eq!(download.bytes().await.unwrap().as_ref(), file);
        let staff_download = staff.get(&app, &format!("/console/claims/{id}/evidence/{evidence_id}")).await;
        assert_eq!(staff_download.status(), 200);

        // A refused file is explained on the page.
        let mut exe = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.exe\"\r\nContent-Type: application/x-msdownload\r\n\r\nMZ"
        )
        .into_bytes();
        exe.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let refused = client()
            .post(format!("{}/my/claims/{id}/evidence?csrf={}", app.base, browser.csrf))
            .header("cookie", &browser.cookie)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(exe)
            .send()
            .await
            .unwrap();
        let (status, _, html) = text(refused).await;
        assert_eq!(status, 415);
        assert!(html.contains("That did not work"));

        let answered = browser
            .post(&app, &format!("/my/claims/{id}/responses"), &[("message", "The certificate is attached.")])
            .await;
        assert_eq!(answered.status(), 303);
        assert_eq!(claim_status(&app, &olena, &id).await, "under_review");
        let (_, messages) = json(
            app.get(&format!("/v1/claims/{id}/messages")).bearer_auth(&registrar).send().await.unwrap(),
        )
        .await;
        let messages = messages["items"].clone();
        assert_eq!(messages[1]["text"], "The certificate is attached.");
    }

    async fn the_session_holds_only_while_the_token_and_account_do(app: TestApp) {
        let (account, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let browser = sign_in(&app, &registrar).await;
        assert_eq!(browser.get(&app, "/console/claims").await.status(), 200);
        let tokens = app.state.store.tokens(account).await.unwrap();
        app.state
            .store
            .revoke_token(&store::AuditContext::system(), account, tokens[0].id)
            .await
            .unwrap();
        assert_eq!(browser.get(&app, "/console/claims").await.status(), 303, "revoking the token ends the session");

        // Suspension ends the session for good: lifting it brings the old
        // cookie back to nothing.
        let (account, token) = app.account("Board", &[Role::Board]).await;
        let browser = sign_in(&app, &token).await;
        assert_eq!(browser.get(&app, "/console").await.status(), 200);
        app.state
            .store
            .set_account_status(&store::AuditContext::system(), account, store::AccountStatus::Suspended, None)
            .await
            .unwrap();
        assert_eq!(browser.get(&app, "/console").await.status(), 303, "suspension ends the session");
        app.state
            .store
            .set_account_status(&store::AuditContext::system(), account, store::AccountStatus::Active, None)
            .await
            .unwrap();
        assert_eq!(browser.get(&app, "/console").await.status(), 303, "reactivation does not revive it");
        // Signing in again ends the earlier session.
        let first = sign_in(&app, &token).await;
        let second = sign_in(&app, &token).await;
        assert_eq!(first.get(&app, "/console").await.status(), 303, "replaced by the new sign-in");
        assert_eq!(second.get(&app, "/console").await.status(), 200);

        // Idle sessions end.
        let (_, token) = app.account("Auditor", &[Role::Auditor]).await;
        let browser = sign_in(&app, &token).await;
        app.clock.advance(time::Duration::minutes(31));
        assert_eq!(browser.get(&app, "/console").await.status(), 303);
    }

    async fn the_dashboard_and_queue_show_the_apis_figures(app: TestApp) {
        let (_, olena) = app.account("Olena", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let id = claim_under_review(&app, &olena, &registrar, OLENA_TAX).await;
        let browser = sign_in(&app, &registrar).await;
        let (status, _, html) = text(browser.get(&app, "/console/dashboard").await).await;
        assert_eq!(status, 200);
        assert!(html.contains("<svg class=\"chart\""));
        assert!(html.contains("under review"));
        let (_, _, queue) = text(browser.get(&app, "/console/claims?status=under_review&category=&region=&q=").await).await;
        assert!(queue.contains(&format!("/console/claims/{id}")), "empty filters are ignored");
        assert!(queue.contains("Коваленко"), "staff see the claimant");
        let (_, _, none) = text(browser.get(&app, "/console/claims?status=recorded").await).await;
        assert!(!none.contains(&format!("/console/claims/{id}")));
        let (status, _, _) = text(browser.get(&app, "/console/claims?status=nonsense").await).await;
        assert_eq!(status, 422);
        let (_, _, claim) = text(browser.get(&app, &format!("/console/claims/{id}")).await).await;
        for part in ["3184710691", "Ірпінь", "85\u{202f}000.00 EUR", "Request information", "claim.review_started"] {
            assert!(claim.contains(part), "the claim page shows {part}");
        }
    }

    async fn page_errors_are_pages_and_the_api_keeps_its_problems(app: TestApp) {
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let browser = sign_in(&app, &registrar).await;
        let (status, headers, html) = text(browser.get(&app, &format!("/console/claims/{}", uuid::Uuid::now_v7())).await).await;
        assert_eq!(status, 404);
        assert_page_headers(&headers);
        assert!(html.contains("Not found"));
        let api = app
            .get(&format!("/v1/claims/{}", uuid::Uuid::now_v7()))
            .bearer_auth(&registrar)
            .send()
            .await
            .unwrap();
        crate::support::problem(api, 404, "not-found").await;
        // A page cookie is no credential for the API.
        let api = client()
            .get(format!("{}/v1/claims", app.base))
            .header("cookie", &browser.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 401);
        let head = app.request(reqwest::Method::HEAD, "/").send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD is the GET's");
        let css = app.get("/assets/web.css").send().await.unwrap();
        assert_eq!(css.status(), 200);
        assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
        let _ = json!({});
    }
}

/// The decision of the case through the console: proposal, votes and the
/// Council's approval as forms.
mod casework {
    use super::{client, sign_in, text};
    use crate::decisions::{assessed_cases, put_in_force, world};
    use kernel::Role;
    use reqwest::header::LOCATION;

    fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
        let at = html.find(start)? + start.len();
        let rest = &html[at..];
        Some(&rest[..rest.find(end)?])
    }

    crate::both! {
        async fn a_case_is_recommended_voted_and_decided_through_the_console(app: TestApp) {
            put_in_force(&app).await;
            let w = world(&app, false).await;
            let case = assessed_cases(&app, &w, 1).await.remove(0);
            let page = format!("/console/cases/{case}");

            let member = sign_in(&app, &w.members[0].1).await;
            let (status, _, html) = text(member.get(&app, &page).await).await;
            assert_eq!(status, 200);
            assert!(html.contains("76\u{202f}500.00 EUR"), "the assessment and its breakdown: {html}");
            assert!(html.contains("/recommendations\""), "a member may propose");
            let proposed = member
                .post(&app, &format!("{page}/recommendations"), &[("panel", &w.panel), ("outcome", "award")])
                .await;
            assert_eq!(proposed.status(), 303, "{}", proposed.text().await.unwrap());
            let (_, _, html) = text(member.get(&app, &format!("{page}?done=recommended")).await).await;
            assert!(html.contains("The recommendation was proposed to the panel."));
            let rec = between(&html, "action=\"/console/recommendations/", "/votes\"").expect("the vote form").to_owned();

            // A CSRF-less vote is refused; nothing is recorded.
            let forged = client()
                .post(format!("{}/console/recommendations/{rec}/votes", app.base))
                .header("cookie", &member.cookie)
                .form(&[("choice", "in_favour")])
                .send()
                .await
                .unwrap();
            assert_eq!(forged.status(), 403);

            for m in &w.members[..2] {
                let b = sign_in(&app, &m.1).await;
                let voted = b.post(&app, &format!("/console/recommendations/{rec}/votes"), &[("choice", "in_favour")]).await;
                assert_eq!(voted.status(), 303);
                assert_eq!(voted.headers()[LOCATION], format!("{page}?done=voted"));
            }
            // Voting twice is the domain's refusal, shown on the case page
            // (in the member's current session: the loop signed in again).
            let member = sign_in(&app, &w.members[0].1).await;
            let again = member.post(&app, &format!("/console/recommendations/{rec}/votes"), &[("choice", "against")]).await;
            let (status, _, html) = text(again).await;
            assert_eq!(status, 409, "{html}");
            assert!(html.contains("That did not work"));

            // The assessor may not decide: the page and the form are refused.
            let assessor = sign_in(&app, &w.assessor).await;
            let (_, _, html) = text(assessor.get(&app, &page).await).await;
            assert!(!html.contains("/decision\""), "no decision form for the assessor");
            let refused = assessor.post(&app, &format!("/console/recommendations/{rec}/decision"), &[("step", "approve"), ("version", "1")]).await;
            assert_eq!(refused.status(), 403);
            let (_, claimant) = app.account("Someone", &[Role::Claimant]).await;
            let claimant = sign_in(&app, &claimant).await;
            assert_eq!(claimant.get(&app, &page).await.status(), 403);

            let council = sign_in(&app, &w.council).await;
            let (_, _, html) = text(council.get(&app, &page).await).await;
            let version = between(&html, "name=\"version\" value=\"", "\"").expect("the decision's version").to_owned();
            let stale = council
                .post(&app, &format!("/console/recommendations/{rec}/decision"), &[("step", "approve"), ("version", "999")])
                .await;
            assert_eq!(stale.status(), 412);
            let decided = council
                .post(&app, &format!("/console/recommendations/{rec}/decision"),
                    &[("step", "approve"), ("version", &version), ("meeting_reference", "C/2026/9")])
                .await;
            assert_eq!(decided.status(), 303, "{}", decided.text().await.unwrap());
            let (_, _, html) = text(council.get(&app, &format!("{page}?done=decided")).await).await;
            assert!(html.contains("The decision of the Council was recorded."), "{html}");
            assert!(html.contains("ICC-DEC-2026-"), "the final decision's number");
            assert!(html.contains("data-status=\"decided\""));

            let (status, _, html) = text(council.get(&app, "/console/cases?status=decided").await).await;
            assert_eq!(status, 200);
            assert!(html.contains(&page));
            let (status, _, html) = text(council.get(&app, "/console/no-such-page").await).await;
            assert_eq!(status, 404);
            assert!(html.contains("Not found"), "an HTML page, not problem+json");
        }
    }
}
