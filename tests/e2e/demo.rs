//! `redress demo` on a fresh SQLite database, then `redress serve`: the
//! tracker says in force, the console and a case page show votes and
//! decisions, and the featured claimant's page an award and its payments.

use crate::binary::reqwest::exchange;
use crate::binary::{BIN, Service};
use std::process::Command;
use std::time::Instant;

fn demo(data: &std::path::Path) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .arg("demo")
        .env_remove("DATABASE_URL")
        .env("REDRESS_DATA_DIR", data)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `name=value` of the cookie `name` a response sets.
fn cookie(head: &str, name: &str) -> String {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.trim())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("{name} set: {head}"))
        .to_owned()
}

fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).expect("the field") + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

/// Signs in through the form with a token: the session cookie.
fn sign_in(base: &str, token: &str) -> String {
    let (status, head, html) = exchange("GET", &format!("{base}/sign-in"), &[], "").unwrap();
    assert_eq!(status, 200);
    let pre = cookie(&head, "redress_sign_in");
    let form = format!(
        "token={token}&csrf={}&next=%2Fconsole",
        field(&html, "csrf")
    );
    let (status, head, body) = exchange(
        "POST",
        &format!("{base}/sign-in"),
        &[
            ("Cookie", &pre),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &form,
    )
    .unwrap();
    assert_eq!(status, 303, "{body}");
    cookie(&head, "redress_session")
}

fn page(base: &str, path: &str, session: &str) -> String {
    let (status, _, body) =
        exchange("GET", &format!("{base}{path}"), &[("Cookie", session)], "").unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn api(base: &str, path: &str, token: &str) -> serde_json::Value {
    let auth = format!("Bearer {token}");
    let (status, _, body) = exchange(
        "GET",
        &format!("{base}{path}"),
        &[("Authorization", &auth)],
        "",
    )
    .unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

#[test]
fn a_demo_fills_every_page_within_a_minute_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (code, out, err) = demo(dir.path());
    let took = started.elapsed();
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(took.as_secs() < 60, "the demo took {took:?}");
    assert!(out.contains("made up"), "labelled a demonstration: {out}");
    let token = |role: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(role).map(str::trim_start))
            .and_then(|l| l.split_whitespace().next())
            .filter(|t| t.starts_with("rdt_"))
            .unwrap_or_else(|| panic!("a {role} token: {out}"))
            .to_owned()
    };
    for role in [
        "admin",
        "registrar",
        "board",
        "assessor",
        "commissioner",
        "council",
        "depositary",
        "state",
        "auditor",
        "claimant",
    ] {
        token(role);
    }
    let featured = out
        .split("/my/claims/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(|id| id.trim_end_matches(['.', ')']).to_owned())
        .expect("the featured claim");

    // Once only.
    let (code, _, err) = demo(dir.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("already holds 300 claims"), "{err}");

    let service = Service::start(dir.path(), &[]);
    let base = service.base.clone();
    let (status, _, tracker) = exchange("GET", &format!("{base}/"), &[], "").unwrap();
    assert_eq!(status, 200);
    assert!(tracker.contains("In force since"), "{tracker}");
    let (_, _, gate) = exchange("GET", &format!("{base}/v1/commission/status"), &[], "").unwrap();
    assert!(gate.contains("\"may_act\":true"), "{gate}");

    // The API: claims of every status, awards, the corrected decision.
    let council = token("council");
    let claims = api(&base, "/v1/claims?limit=500", &council);
    let statuses: std::collections::BTreeSet<&str> = claims["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["status"].as_str())
        .collect();
    for s in [
        "submitted",
        "under_review",
        "information_requested",
        "withdrawn",
        "rejected",
        "recorded",
    ] {
        assert!(statuses.contains(s), "{s} missing from {statuses:?}");
    }
    let cases = api(&base, "/v1/cases?limit=500", &council);
    let case_statuses: std::collections::BTreeSet<&str> = cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["status"].as_str())
        .collect();
    for s in [
        "awaiting_assessment",
        "assigned",
        "assessed",
        "ready_for_panel",
        "recommended",
        "decided",
    ] {
        assert!(
            case_statuses.contains(s),
            "{s} missing from {case_statuses:?}"
        );
    }
    let public = api(&base, "/v1/decisions/public?limit=500", &council);
    let public = public.get("items").unwrap_or(&public).to_string();
    assert!(
        public.contains("\"superseded\":true") && public.contains("\"supersedes\":\"ICC-DEC-"),
        "a corrected decision in the public register"
    );

    // The console and a decided case with its votes and decisions.
    let staff = sign_in(&base, &council);
    assert!(page(&base, "/console", &staff).contains("Demo Council secretariat"));
    let decided = api(&base, "/v1/cases?status=decided&limit=1", &council);
    let case = decided["items"][0]["id"].as_str().unwrap();
    let case_page = page(&base, &format!("/console/cases/{case}"), &staff);
    assert!(
        case_page.contains("in favour") && case_page.contains("ICC-DEC-"),
        "votes and decisions on the case page: {case_page}"
    );

    // The claimant: their claims, an award paid in two payments.
    let claimant = sign_in(&base, &token("claimant"));
    let mine = page(&base, "/my", &claimant);
    assert!(mine.contains("RD-"), "{mine}");
    let claim_page = page(&base, &format!("/my/claims/{featured}"), &claimant);
    assert!(claim_page.contains("data-status=\"paid\""), "{claim_page}");
    assert_eq!(
        claim_page.matches("class=\"payment\"").count(),
        2,
        "{claim_page}"
    );
    let (code, _) = service.stop();
    assert_eq!(code, Some(0));
}
