//! Hostile input: what a careless or malicious client sends, and the clear
//! problem answer each gets. Never a 5xx, never a hang, nothing stored.
//!
//! Already covered elsewhere and not repeated here: a 2 MiB account body
//! (foundation.rs), unreadable JSON and wrong content types
//! (foundation.rs), over-precise, negative and non-string amounts in claims
//! (claims.rs), `../../etc/passwd` as an evidence name and a PNG declared
//! as a PDF (evidence.rs), the evidence size limit (evidence.rs).

use crate::claims::house;
use crate::evidence::{BOUNDARY, PDF, file_claim, form, upload};
use crate::support::{TestApp, json, problem};
use kernel::Role;
use serde_json::json;
use std::io::{Read as _, Write as _};

const TAX: &str = "3184710691";
const CADASTRAL: &str = "3210900000:01:001:0001";

/// Sends raw bytes on a fresh connection and reads the status line: for
/// requests a well-behaved client library refuses to send.
async fn raw(app: &TestApp, request: Vec<u8>) -> u16 {
    let addr = app.base.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        // The server may answer and close before the whole body is sent.
        let _ = stream.write_all(&request);
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response);
        text.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    })
    .await
    .unwrap()
}

async fn claims_of(app: &TestApp, token: &str) -> usize {
    let (status, list) = json(
        app.get("/v1/claims")
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().unwrap().len()
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

both! {
    async fn oversized_claims_are_refused_however_they_are_sent(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let mut claim = house(TAX, CADASTRAL);
        claim["narrative"] = json!("x".repeat(2 * 1024 * 1024));
        // With a length, and again with an Idempotency-Key, which makes the
        // key layer buffer the body before the handler would.
        let r = app.post("/v1/claims").bearer_auth(&claimant).json(&claim).send().await.unwrap();
        problem(r, 413, "payload-too-large").await;
        let r = app
            .post("/v1/claims")
            .bearer_auth(&claimant)
            .header("idempotency-key", "big-one")
            .json(&claim)
            .send()
            .await
            .unwrap();
        problem(r, 413, "payload-too-large").await;
        // Chunked, with no length to refuse it by up front.
        let addr = app.base.trim_start_matches("http://");
        let mut request = format!(
            "POST /v1/claims HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {claimant}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        .into_bytes();
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..40 {
            request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            request.extend_from_slice(&chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(raw(&app, request).await, 413);
        assert_eq!(claims_of(&app, &claimant).await, 0, "nothing filed");
    }

    async fn deep_json_nesting_is_malformed_not_a_crash(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        for depth in [1_000, 100_000] {
            // Where any JSON value is taken, the parser's depth limit holds.
            let body = format!(r#"{{"category_fields": {{"x": {}}}}}"#, nested(depth));
            let p = problem(
                app.post("/v1/claims")
                    .bearer_auth(&claimant)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
                400,
                "malformed-request",
            )
            .await;
            assert!(p["detail"].as_str().unwrap().contains("recursion limit"), "{p}");
            // Where a typed value is expected, the first bracket is refused.
            let r = app
                .post("/v1/accounts")
                .bearer_auth(&admin)
                .header("content-type", "application/json")
                .body(nested(depth))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let (_, p) = json(r).await;
            assert!(status == 400 || status == 422, "{status} {p}");
            assert!(p["type"].as_str().is_some_and(|t| t.starts_with("/problems/")), "{p}");
        }
        // Just under the parser's limit: accepted as a draft, and the
        // stored claim still reads back and is refused cleanly at submission.
        let mut claim = house(TAX, CADASTRAL);
        claim["category_fields"]["extra"] = serde_json::from_str(&nested(120)).unwrap();
        let (status, body) = json(app.post("/v1/claims").bearer_auth(&claimant).json(&claim).send().await.unwrap()).await;
        assert!(status == 201 || status == 422, "{status} {body}");
        if status == 201 {
            let id = body["id"].as_str().unwrap();
            let (status, read) = json(app.get(&format!("/v1/claims/{id}")).bearer_auth(&claimant).send().await.unwrap()).await;
            assert_eq!(status, 200, "{read}");
            let (status, submitted) = json(app.post(&format!("/v1/claims/{id}/submit")).bearer_auth(&claimant).send().await.unwrap()).await;
            assert!(status < 500, "{status} {submitted}");
        }
    }

    async fn invalid_utf8_is_refused_wherever_it_appears(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        // In the JSON body, inside a string.
        let mut body = serde_json::to_vec(&house(TAX, CADASTRAL)).unwrap();
        let at = body.windows(5).position(|w| w == b"House").unwrap();
        body[at] = 0xFF;
        body[at + 1] = 0xFE;
        let r = app
            .post("/v1/claims")
            .bearer_auth(&claimant)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        problem(r, 400, "malformed-request").await;
        // In the path and the query.
        let r = app.get("/v1/claims/%FF%FE").bearer_auth(&claimant).send().await.unwrap();
        problem(r, 404, "not-found").await;
        // A query is decoded leniently (U+FFFD for what is not UTF-8): it
        // matches nothing, or is refused.
        let (status, list) = json(app.get("/v1/claims?q=%FF%FE").bearer_auth(&claimant).send().await.unwrap()).await;
        assert!(status == 422 || (status == 200 && list["items"] == json!([])), "{status} {list}");
        // In the Idempotency-Key and the bearer token.
        let r = app
            .post("/v1/claims")
            .bearer_auth(&claimant)
            .header("idempotency-key", reqwest::header::HeaderValue::from_bytes(b"key-\xff\xfe").unwrap())
            .json(&house(TAX, CADASTRAL))
            .send()
            .await
            .unwrap();
        let p = problem(r, 422, "validation").await;
        assert_eq!(p["errors"][0]["field"], "Idempotency-Key", "{p}");
        let r = app
            .get("/v1/me")
            .header("authorization", reqwest::header::HeaderValue::from_bytes(b"Bearer rdt_\xff\xfe").unwrap())
            .send()
            .await
            .unwrap();
        problem(r, 401, "unauthenticated").await;
        // In an evidence file name.
        let claim = file_claim(&app, &claimant, &house(TAX, CADASTRAL)).await;
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"deed-"
        )
        .into_bytes();
        body.extend_from_slice(b"\xff\xfe.pdf\"\r\nContent-Type: application/pdf\r\n\r\n");
        body.extend_from_slice(PDF);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let (status, receipt) = json(
            app.post(&format!("/v1/claims/{claim}/evidence"))
                .bearer_auth(&claimant)
                .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(status == 201 || status == 400 || status == 422, "{status} {receipt}");
        // NUL, which PostgreSQL text cannot hold, in a body and in a query.
        let mut claim = house(TAX, CADASTRAL);
        claim["narrative"] = json!("before\u{0}after");
        let p = problem(app.post("/v1/claims").bearer_auth(&claimant).json(&claim).send().await.unwrap(), 422, "validation").await;
        assert!(p["detail"].as_str().unwrap().contains("NUL"), "{p}");
        let p = problem(app.get("/v1/claims?q=a%00b").bearer_auth(&claimant).send().await.unwrap(), 422, "validation").await;
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("NUL"), "{p}");
        assert_eq!(claims_of(&app, &claimant).await, 1, "only the one valid claim");
    }

    async fn huge_numbers_are_validation_problems(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        // Each fits a decimal; their sum does not.
        let max = "79228162514264337593543950335";
        let mut claim = house(TAX, CADASTRAL);
        claim["losses"] = json!([
            {"description": "a", "amount": {"amount": max, "currency": "EUR"}},
            {"description": "b", "amount": {"amount": max, "currency": "EUR"}}
        ]);
        let p = problem(app.post("/v1/claims").bearer_auth(&claimant).json(&claim).send().await.unwrap(), 422, "validation").await;
        assert_eq!(p["errors"][0]["field"], "losses", "{p}");
        // Numbers where integers are expected: too large, fractional, or
        // beyond what a JSON parser holds.
        for body in [
            r#"{"label": "t", "expires_in_days": 1e400}"#,
            r#"{"label": "t", "expires_in_days": 18446744073709551616}"#,
            r#"{"label": "t", "expires_in_days": -1}"#,
            r#"{"label": "t", "expires_in_days": 1.5}"#,
        ] {
            let r = app
                .post(&format!("/v1/accounts/{}/tokens", app.account("T", &[Role::Auditor]).await.0))
                .bearer_auth(&admin)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            assert!(status == 400 || status == 422, "{body}: {status}");
        }
        for query in ["limit=18446744073709551616", "limit=-1", "limit=1e3"] {
            let r = app.get(&format!("/v1/claims?{query}")).bearer_auth(&claimant).send().await.unwrap();
            problem(r, 422, "validation").await;
        }
        // A large but representable floor area in the category fields is
        // refused or kept at submission, never a fault.
        let mut claim = house(TAX, CADASTRAL);
        claim["category_fields"]["floor_area_m2"] = json!("1e308");
        let id = file_claim(&app, &claimant, &claim).await;
        let (status, body) = json(app.post(&format!("/v1/claims/{id}/submit")).bearer_auth(&claimant).send().await.unwrap()).await;
        assert!(status == 200 || status == 422, "{status} {body}");
    }

    async fn zero_negative_and_over_precise_money_is_refused_in_pledges_too(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let mut claim = house(TAX, CADASTRAL);
        for amount in ["0", "-0.00", "0.00"] {
            claim["losses"] = json!([{"description": "x", "amount": {"amount": amount, "currency": "EUR"}}]);
            let p = problem(app.post("/v1/claims").bearer_auth(&claimant).json(&claim).send().await.unwrap(), 422, "validation").await;
            assert_eq!(p["errors"][0]["code"], "amount_not_positive", "{amount}: {p}");
        }
        let (_, depositary) = app.account("Depositary", &[Role::Depositary]).await;
        for (amount, currency, code) in [
            ("1.001", "EUR", "too_precise"),
            ("10.5", "JPY", "too_precise"),
            ("0", "EUR", "non_positive_amount"),
            ("-0.01", "EUR", "non_positive_amount"),
            ("1e6", "EUR", "format"),
            ("NaN", "EUR", "format"),
        ] {
            let p = problem(
                app.post("/v1/convention/pledges")
                    .bearer_auth(&depositary)
                    .json(&json!({"participant": "FR", "amount": {"amount": amount, "currency": currency}, "date": "2026-02-01"}))
                    .send()
                    .await
                    .unwrap(),
                422,
                "validation",
            )
            .await;
            assert_eq!(p["errors"][0]["field"], "amount.amount", "{amount}: {p}");
            assert_eq!(p["errors"][0]["code"], code, "{amount}: {p}");
        }
        assert_eq!(claims_of(&app, &claimant).await, 0);
    }

    async fn dates_far_in_the_past_or_future_are_answered_clearly(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        // Dates the calendar cannot hold are refused when filed.
        for date in ["+10000-01-01", "2022-02-30", "20220314", "9999-99-99", "2022-3-14"] {
            let mut claim = house(TAX, CADASTRAL);
            claim["incident"] = json!({"kind": "on", "date": date});
            let p = problem(app.post("/v1/claims").bearer_auth(&claimant).json(&claim).send().await.unwrap(), 422, "validation").await;
            assert!(p["errors"][0]["field"].as_str().unwrap().starts_with("incident"), "{date}: {p}");
        }
        // Dates it can hold but the pre-screen cannot accept: refused at
        // submission with their reason codes.
        for (incident, birth, reason) in [
            ("0001-01-01", "1980-05-17", "incident_before_start_date"),
            ("-0001-01-01", "1980-05-17", "incident_before_start_date"),
            ("9999-12-31", "1980-05-17", "incident_in_future"),
        ] {
            let mut claim = house(TAX, CADASTRAL);
            claim["incident"] = json!({"kind": "on", "date": incident});
            claim["claimant"]["date_of_birth"] = json!(birth);
            let id = file_claim(&app, &claimant, &claim).await;
            let p = problem(app.post(&format!("/v1/claims/{id}/submit")).bearer_auth(&claimant).send().await.unwrap(), 422, "claim-not-eligible").await;
            let reasons: Vec<&str> = p["errors"].as_array().unwrap().iter().filter_map(|e| e["code"].as_str()).collect();
            assert!(reasons.contains(&reason), "{incident}: {p}");
        }
        let mut claim = house(TAX, CADASTRAL);
        claim["incident"] = json!({"kind": "between", "from": "0001-01-01", "to": "9999-12-31"});
        let id = file_claim(&app, &claimant, &claim).await;
        let (status, body) = json(app.post(&format!("/v1/claims/{id}/submit")).bearer_auth(&claimant).send().await.unwrap()).await;
        assert_eq!(status, 422, "{body}");
        // List filters at the ends of the calendar, and past them once an
        // offset is applied.
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        for query in [
            "submitted_from=0001-01-01&submitted_to=9999-12-31",
            "submitted_from=9999-12-31T23:59:59-23:59",
            "submitted_to=0000-01-01T00:00:00%2B23:59",
        ] {
            let r = app.get(&format!("/v1/claims?{query}")).bearer_auth(&registrar).send().await.unwrap();
            let status = r.status().as_u16();
            assert!(status == 200 || status == 422, "{query}: {status} {}", r.text().await.unwrap());
        }
        let p = problem(app.get("/v1/claims?submitted_from=%2B275760-09-13").bearer_auth(&registrar).send().await.unwrap(), 422, "validation").await;
        assert_eq!(p["errors"][0]["field"], "submitted_from", "{p}");
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        for query in ["from=9999-12-31T23:59:59-23:59", "to=9999-12-31T23:59:59.999999999-23:59"] {
            let p = problem(app.get(&format!("/v1/audit?{query}")).bearer_auth(&auditor).send().await.unwrap(), 422, "validation").await;
            assert_eq!(p["errors"][0]["code"], "out_of_range", "{query}: {p}");
        }
        // Pledges dated at the ends of the calendar.
        let (_, depositary) = app.account("Depositary", &[Role::Depositary]).await;
        let p = problem(
            app.post("/v1/convention/pledges")
                .bearer_auth(&depositary)
                .json(&json!({"participant": "FR", "amount": {"amount": "1.00", "currency": "EUR"}, "date": "9999-12-31"}))
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(p["errors"][0]["code"], "future_date", "{p}");
    }

    async fn a_draft_without_a_date_of_birth_is_refused_at_submission_not_failed(app: TestApp) {
        // Found by the claim_json fuzz target: the draft was stored with
        // "date_of_birth": null, which did not read back (500 at submission).
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let mut claim = house(TAX, CADASTRAL);
        claim["claimant"].as_object_mut().unwrap().remove("date_of_birth");
        let id = file_claim(&app, &claimant, &claim).await;
        let (status, read) = json(app.get(&format!("/v1/claims/{id}")).bearer_auth(&claimant).send().await.unwrap()).await;
        assert_eq!(status, 200, "{read}");
        let p = problem(app.post(&format!("/v1/claims/{id}/submit")).bearer_auth(&claimant).send().await.unwrap(), 422, "claim-not-eligible").await;
        assert!(p.to_string().contains("date_of_birth"), "{p}");
    }

    async fn evidence_file_names_never_leave_the_claims_folder(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let claim = file_claim(&app, &claimant, &house(TAX, CADASTRAL)).await;
        let long = format!("{}.pdf", "a".repeat(5_000));
        for name in [
            "..",
            "../",
            "..\\..\\windows\\system32\\config.pdf",
            "/etc/shadow",
            "%2e%2e%2f%2e%2e%2fsecret.pdf",
            "....//....//x.pdf",
            "C:\\boot.ini",
            "\u{202e}fdp.exe",
            long.as_str(),
        ] {
            let (status, receipt) = json(upload(&app, &claimant, &claim, name, "application/pdf", PDF).await).await;
            assert_eq!(status, 201, "{name}: {receipt}");
            let stored = receipt["file_name"].as_str().unwrap();
            assert!(!stored.contains('/') && !stored.contains('\\'), "{name} -> {stored}");
            assert!(!stored.starts_with('.') && !stored.is_empty(), "{name} -> {stored}");
            assert!(stored.chars().count() <= 255, "{name} -> {} chars", stored.chars().count());
            assert!(!stored.contains('\u{202e}'), "{name} -> {stored}");
        }
        // Every stored object is under the claim's own folder.
        let root = app.state.settings.evidence_dir.join("claims").join(&claim);
        let mut stack = vec![app.state.settings.evidence_dir.clone()];
        let mut files = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    assert!(path.starts_with(&root), "{} is outside {}", path.display(), root.display());
                    files += 1;
                }
            }
        }
        assert_eq!(files, 9);
    }

    async fn uploads_whose_content_type_lies_are_refused(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let claim = file_claim(&app, &claimant, &house(TAX, CADASTRAL)).await;
        let html = b"<html><body><script>alert(document.cookie)</script></body></html>";
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
        // Declared a document, is a page.
        let p = problem(upload(&app, &claimant, &claim, "deed.pdf", "application/pdf", html).await, 422, "evidence-type-mismatch").await;
        assert_eq!(p["detected"], "text/plain", "{p}");
        problem(upload(&app, &claimant, &claim, "photo.jpg", "image/jpeg", PDF).await, 422, "evidence-type-mismatch").await;
        // Types that render active content are not on the list at all.
        for (name, mime, bytes) in [("x.html", "text/html", &html[..]), ("x.svg", "image/svg+xml", &svg[..])] {
            let p = problem(upload(&app, &claimant, &claim, name, mime, bytes).await, 415, "evidence-type-not-allowed").await;
            assert_eq!(p["reason"], "type_not_allowed", "{p}");
        }
        // Markup declared as text is text: kept, and served so that no
        // browser runs it.
        let (status, receipt) = json(upload(&app, &claimant, &claim, "note.txt", "text/plain", html).await).await;
        assert_eq!(status, 201, "{receipt}");
        let got = app
            .get(&format!("/v1/claims/{claim}/evidence/{}", receipt["id"].as_str().unwrap()))
            .bearer_auth(&claimant)
            .send()
            .await
            .unwrap();
        let header = |name: &str| got.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(header("content-type"), "text/plain");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert!(header("content-disposition").starts_with("attachment"));
        assert!(header("content-security-policy").contains("sandbox"));
        // The request's own content type lies: multipart without a
        // boundary, multipart that is JSON, JSON that is multipart.
        let post = || app.post(&format!("/v1/claims/{claim}/evidence")).bearer_auth(&claimant);
        for (content_type, body) in [
            ("multipart/form-data".to_owned(), form("x.pdf", "application/pdf", PDF)),
            (format!("multipart/form-data; boundary={BOUNDARY}"), br#"{"file": "x"}"#.to_vec()),
        ] {
            let r = post().header("content-type", content_type.clone()).body(body).send().await.unwrap();
            let status = r.status().as_u16();
            let (_, p) = json(r).await;
            assert!((400..500).contains(&status), "{content_type}: {status} {p}");
            assert!(p["type"].as_str().is_some_and(|t| t.starts_with("/problems/")), "{p}");
        }
        let r = app
            .post("/v1/claims")
            .bearer_auth(&claimant)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(form("x.pdf", "application/pdf", PDF))
            .send()
            .await
            .unwrap();
        problem(r, 415, "unsupported-media-type").await;
        let (_, list) = json(app.get(&format!("/v1/claims/{claim}/evidence")).bearer_auth(&claimant).send().await.unwrap()).await;
        assert_eq!(list["items"].as_array().map_or(0, Vec::len), 1, "only the text file: {list}");
    }
}

/// The request timeout answers a slow client with a problem rather than
/// holding a connection open.
#[tokio::test]
async fn a_body_that_never_arrives_times_out_with_a_problem() {
    let app = TestApp::spawn_with(crate::support::Db::Sqlite, |s| {
        s.request_timeout = std::time::Duration::from_secs(1);
    })
    .await
    .unwrap();
    let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        write!(
            stream,
            "POST /v1/claims HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {claimant}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"narr"
        )
        .unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        String::from_utf8_lossy(&response).into_owned()
    })
    .await
    .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "no hanging request"
    );
    assert!(status.starts_with("HTTP/1.1 503"), "{status}");
    assert!(status.contains("/problems/timeout"), "{status}");
}
