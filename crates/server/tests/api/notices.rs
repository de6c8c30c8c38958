//! E-mail notices to claimants: the claimant's switch, the claim's
//! language, and delivery to a real SMTP server on 127.0.0.1.
//!
//! The delivery test needs `scripts/smtp-sink.py` running (CI starts it):
//! `REDRESS_TEST_SMTP` names it (`127.0.0.1:PORT`) and
//! `REDRESS_TEST_SMTP_MAILDIR` the directory it writes each message to.
//! Without them the test is skipped, except under CI (`CI` set), where it
//! fails: a green run must have sent mail.

use crate::claims::house;
use crate::support::{Db, TestApp, json, problem};
use base64::Engine as _;
use kernel::Role;
use serde_json::{Value, json};
use server::config::{SmtpSettings, SmtpTls};
use std::path::{Path, PathBuf};
use std::time::Duration;

async fn file(app: &TestApp, token: &str, claim: &Value) -> String {
    let (status, body) = json(
        app.post("/v1/claims")
            .bearer_auth(token)
            .json(claim)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn submit(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = json(
        app.post(&format!("/v1/claims/{id}/submit"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn claim_id(id: &str) -> register::ClaimId {
    register::ClaimId(id.parse().unwrap())
}

async fn notices(app: &TestApp, id: &str) -> Vec<store::notifications::Notice> {
    app.state.store.claim_notices(claim_id(id)).await.unwrap()
}

both! {
    async fn only_the_filer_switches_notices_off_and_on(app: TestApp) {
        let (_, olena) = app.account("Olena", &[Role::Claimant]).await;
        let (_, other) = app.account("Other", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let id = file(&app, &olena, &house("3184710691", "3210900000:01:001:0001")).await;
        let path = format!("/v1/claims/{id}/notifications");

        let (status, body) = json(app.get(&path).bearer_auth(&olena).send().await.unwrap()).await;
        assert_eq!((status, body), (200, json!({"email": true})));
        let put = |token: &str, body: Value| {
            app.request(reqwest::Method::PUT, &path)
                .bearer_auth(token)
                .json(&body)
                .send()
        };
        let (status, body) = json(put(&olena, json!({"email": false})).await.unwrap()).await;
        assert_eq!((status, body), (200, json!({"email": false})));
        let (status, body) = json(app.get(&path).bearer_auth(&olena).send().await.unwrap()).await;
        assert_eq!((status, body), (200, json!({"email": false})));

        // Another claimant learns nothing of the claim; staff may not switch.
        problem(put(&other, json!({"email": true})).await.unwrap(), 404, "not-found").await;
        problem(app.get(&path).bearer_auth(&other).send().await.unwrap(), 404, "not-found").await;
        let denied = put(&registrar, json!({"email": true})).await.unwrap();
        assert_eq!(denied.status(), 403);
        problem(put(&olena, json!({"email": "no"})).await.unwrap(), 422, "validation").await;

        // Switched off: submitting writes no notice.
        submit(&app, &olena, &id).await;
        assert!(notices(&app, &id).await.is_empty());

        // On again, for the next steps; the switch is on record.
        let (status, _) = json(put(&olena, json!({"email": true})).await.unwrap()).await;
        assert_eq!(status, 200);
        let (status, history) = json(
            app.get(&format!("/v1/claims/{id}/history"))
                .bearer_auth(&olena)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{history}");
        let switches = history.to_string().matches("claim.notices_changed").count();
        assert_eq!(switches, 2, "{history}");

        // A claim filed in English, with notices on, writes its notice.
        let mut english = house("3184710691", "3210900000:01:001:0001");
        english["language"] = json!("en");
        let en = file(&app, &olena, &english).await;
        submit(&app, &olena, &en).await;
        let written = notices(&app, &en).await;
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].language, "en");
        assert_eq!(written[0].recipient, "olena@example.ua");
    }

    async fn a_language_other_than_ukrainian_or_english_is_refused(app: TestApp) {
        let (_, olena) = app.account("Olena", &[Role::Claimant]).await;
        let mut claim = house("3184710691", "3210900000:01:001:0001");
        claim["language"] = json!("fr");
        let refused = problem(
            app.post("/v1/claims").bearer_auth(&olena).json(&claim).send().await.unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "language", "{refused}");
    }
}

/// The test SMTP server and the directory it writes messages to.
fn smtp_sink() -> Option<(u16, PathBuf)> {
    let addr = std::env::var("REDRESS_TEST_SMTP")
        .ok()
        .filter(|v| !v.is_empty());
    let dir = std::env::var("REDRESS_TEST_SMTP_MAILDIR")
        .ok()
        .filter(|v| !v.is_empty());
    match (addr, dir) {
        (Some(addr), Some(dir)) => {
            let port = addr
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse().ok())
                .expect("REDRESS_TEST_SMTP is 127.0.0.1:PORT");
            Some((port, PathBuf::from(dir)))
        }
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0") => {
            panic!(
                "CI must run the SMTP test server: set REDRESS_TEST_SMTP and \
                 REDRESS_TEST_SMTP_MAILDIR (scripts/smtp-sink.py, see .ci/run)"
            )
        }
        _ => None,
    }
}

/// A delivered message: its envelope recipient, headers and decoded body.
#[derive(Debug)]
struct Delivered {
    to: String,
    headers: Vec<(String, String)>,
    subject: String,
    body: String,
}

impl Delivered {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The messages delivered to `recipient` so far.
fn delivered_to(dir: &Path, recipient: &str) -> Vec<Delivered> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(&format!("-{recipient}.eml")) && !n.starts_with('.'))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| parse(&std::fs::read_to_string(dir.join(n)).unwrap()))
        .collect()
}

async fn wait_for(dir: &Path, recipient: &str) -> Vec<Delivered> {
    for _ in 0..300 {
        let found = delivered_to(dir, recipient);
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no message reached {recipient} within 30 s");
}

fn parse(raw: &str) -> Delivered {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            // Unfolding removes the line break, not the space after it.
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let encoding = find("Content-Transfer-Encoding").to_ascii_lowercase();
    let body = match encoding.as_str() {
        "base64" => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(body.split_whitespace().collect::<String>())
                .unwrap(),
        )
        .unwrap(),
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    Delivered {
        to: find("X-Envelope-To"),
        subject: encoded_words(&find("Subject")),
        headers,
        body,
    }
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`);
/// whitespace between two encoded words is dropped.
fn encoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let gap = &rest[..start];
        if !(after_word && gap.trim().is_empty()) {
            out.push_str(gap);
        }
        let word = &rest[start + 2..];
        let mut parts = word.splitn(3, '?');
        let (_charset, kind, tail) = (parts.next(), parts.next(), parts.next());
        let (Some(kind), Some(tail)) = (kind, tail) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let Some(end) = tail.find("?=") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let text = &tail[..end];
        let bytes = if kind.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap()
        } else {
            quoted_printable(&text.replace('_', " ")).into_bytes()
        };
        out.push_str(&String::from_utf8(bytes).unwrap());
        rest = &tail[end + 2..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

fn quoted_printable(text: &str) -> String {
    let text = text.replace("=\n", "");
    let mut bytes = Vec::new();
    let raw = text.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'='
            && i + 2 < raw.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            bytes.push(b);
            i += 3;
            continue;
        }
        bytes.push(raw[i]);
        i += 1;
    }
    String::from_utf8(bytes).unwrap()
}

async fn delivery(db: Db) {
    let Some((port, maildir)) = smtp_sink() else {
        eprintln!("skipped: REDRESS_TEST_SMTP is not set");
        return;
    };
    let Some(app) = TestApp::spawn_with(db, |s| {
        s.smtp = Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "Register of Damage <register@redress.test>".into(),
            public_url: "https://redress.test".into(),
        });
    })
    .await
    else {
        eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
        return;
    };
    let (_, olena) = app.account("Olena", &[Role::Claimant]).await;
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let en_to = format!("en-{tag}@example.org");
    // The sink refuses the first message to an address with `+refuse`.
    let uk_to = format!("uk-{tag}+refuse@example.org");

    let mut english = house("3184710691", "3210900000:01:001:0001");
    english["language"] = json!("en");
    english["claimant"]["contact"]["email"] = json!(en_to);
    let en = file(&app, &olena, &english).await;
    let en_reference = submit(&app, &olena, &en).await["reference"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut ukrainian = house("3184710691", "3210900000:01:001:0001");
    ukrainian["claimant"]["contact"]["email"] = json!(uk_to);
    let uk = file(&app, &olena, &ukrainian).await;
    let uk_reference = submit(&app, &olena, &uk).await["reference"]
        .as_str()
        .unwrap()
        .to_owned();

    // English: subject and body in English, the reference, the link, and
    // nothing else of the claim.
    let sent = wait_for(&maildir, &en_to).await;
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert_eq!(m.to, en_to);
    assert!(m.header("To").unwrap().contains(&en_to), "{m:?}");
    assert!(
        m.header("From").unwrap().contains("register@redress.test"),
        "{m:?}"
    );
    assert_eq!(m.header("Auto-Submitted"), Some("auto-generated"), "{m:?}");
    assert!(
        m.header("Message-ID").unwrap().ends_with("@redress.test>"),
        "{m:?}"
    );
    assert_eq!(
        m.subject,
        format!("Your claim {en_reference} has been submitted")
    );
    assert!(m.body.contains(&en_reference), "{}", m.body);
    assert!(m.body.contains("https://redress.test/my"), "{}", m.body);
    assert!(
        m.body.contains("has been submitted to the Register"),
        "{}",
        m.body
    );
    let details = [
        "Коваленко",
        "Олена",
        "3184710691",
        "3210900000",
        "A3.1",
        "85000",
        "85 000",
        "house",
        "EUR",
        &en,
    ];
    for detail in details {
        assert!(!m.body.contains(detail), "{detail} in {}", m.body);
        assert!(!m.subject.contains(detail), "{detail} in {}", m.subject);
    }

    // Ukrainian: the first delivery is refused (451) and recorded as such.
    let mut refused = None;
    for _ in 0..300 {
        let n = notices(&app, &uk).await;
        if n.first().is_some_and(|n| n.attempts == 1) {
            refused = n.into_iter().next();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused = refused.expect("the first attempt is recorded within 30 s");
    assert_eq!(refused.status, "pending", "not sent while refused");
    assert!(
        refused
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("451"),
        "{refused:?}"
    );
    assert!(delivered_to(&maildir, &uk_to).is_empty());
    // Due again after the back-off: the retry is delivered, once.
    app.clock.advance(time::Duration::minutes(2));
    let sent = wait_for(&maildir, &uk_to).await;
    let mut settled = None;
    for _ in 0..300 {
        let n = notices(&app, &uk).await;
        if n.first().is_some_and(|n| n.status == "sent") {
            settled = n.into_iter().next();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let settled = settled.expect("recorded sent");
    assert_eq!(settled.attempts, 2);
    // Several more polls of the worker find nothing left to send.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(delivered_to(&maildir, &uk_to).len(), 1, "sent exactly once");
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert_eq!(m.subject, format!("Вашу заяву {uk_reference} подано"));
    assert!(m.body.contains("Реєстру збитків"), "{}", m.body);
    assert!(m.body.contains(&uk_reference), "{}", m.body);
    assert!(m.body.contains("https://redress.test/my"), "{}", m.body);
    for detail in details {
        assert!(!m.body.contains(detail), "{detail} in {}", m.body);
    }
}

#[tokio::test]
async fn notices_reach_a_real_smtp_server_in_the_claims_language_sqlite() {
    delivery(Db::Sqlite).await;
}

#[tokio::test]
async fn notices_reach_a_real_smtp_server_in_the_claims_language_postgres() {
    delivery(Db::Postgres).await;
}
