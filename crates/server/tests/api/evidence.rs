//! Evidence files over HTTP: streamed uploads with receipts, limits, type
//! checks, who may see what, encryption of sensitive claims' files, and
//! duplicate detection by evidence hash.

use crate::support::{Db, TestApp, json, problem};
use kernel::Role;
use kernel::access::Clearance;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use store::NewAccount;

const TAX_NUMBERS: [&str; 2] = ["3184710691", "2245134075"];
const CADASTRAL: [&str; 2] = ["3210900000:01:001:0001", "3210900000:01:001:0002"];
pub(crate) const BOUNDARY: &str = "redress-test-boundary-7d3f9a";

pub(crate) const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

use crate::claims::house;

pub(crate) async fn file_claim(app: &TestApp, token: &str, claim: &Value) -> String {
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

/// A multipart/form-data body with one file part.
pub(crate) fn form(file_name: &str, mime: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nsent by the tests\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: {mime}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    claim: &str,
    file_name: &str,
    mime: &str,
    bytes: &[u8],
) -> reqwest::Response {
    app.post(&format!("/v1/claims/{claim}/evidence"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form(file_name, mime, bytes))
        .send()
        .await
        .unwrap()
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}

async fn listed(app: &TestApp, token: &str, claim: &str) -> Vec<Value> {
    let (status, body) = json(
        app.get(&format!("/v1/claims/{claim}/evidence"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// Every file under the evidence directory (none for refused uploads).
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.state.settings.evidence_dir, &mut out);
    out
}

async fn cleared_registrar(app: &TestApp) -> String {
    app.account_with(NewAccount {
        display_name: "Cleared registrar".into(),
        roles: vec![Role::Registrar],
        clearances: vec![Clearance::Sensitive],
        participant: None,
        external_subject: None,
    })
    .await
    .1
}

both! {
    async fn files_are_received_listed_and_downloaded(app: TestApp) {
        let (claimant_id, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let claim = file_claim(&app, &claimant, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;

        let response = upload(&app, &claimant, &claim, "deed.pdf", "application/pdf", PDF).await;
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let (status, pdf) = json(response).await;
        assert_eq!(status, 201, "{pdf}");
        assert_eq!(pdf["file_name"], "deed.pdf");
        assert_eq!(pdf["content_type"], "application/pdf");
        assert_eq!(pdf["size"], PDF.len());
        assert_eq!(pdf["sha256"], sha256(PDF));
        assert_eq!(pdf["claim_id"], claim.as_str());
        assert_eq!(pdf["encrypted"], false);
        assert!(pdf["received_at"].is_string(), "{pdf}");
        assert_eq!(location, format!("/v1/claims/{claim}/evidence/{}", pdf["id"].as_str().unwrap()));

        // The declared type may be left to the bytes.
        let (status, png) = json(upload(&app, &claimant, &claim, "photo.png", "application/octet-stream", PNG).await).await;
        assert_eq!(status, 201, "{png}");
        assert_eq!(png["content_type"], "image/png");
        assert_eq!(png["sha256"], sha256(PNG));
        assert_eq!(png["size"], PNG.len());

        let items = listed(&app, &claimant, &claim).await;
        assert_eq!(items, vec![pdf.clone(), png.clone()], "oldest first, as receipted");
        assert_eq!(listed(&app, &registrar, &claim).await.len(), 2, "staff list");

        for token in [&claimant, &registrar] {
            let got = app.get(&location).bearer_auth(token).send().await.unwrap();
            assert_eq!(got.status(), 200);
            let h = got.headers().clone();
            assert_eq!(h["content-type"], "application/pdf");
            assert_eq!(h["content-length"], PDF.len().to_string().as_str());
            assert_eq!(h["content-disposition"], "attachment; filename=\"deed.pdf\"; filename*=UTF-8''deed.pdf");
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(h["x-evidence-sha256"], sha256(PDF).as_str());
            assert!(h["repr-digest"].to_str().unwrap().starts_with("sha-256=:"));
            assert_eq!(got.bytes().await.unwrap().as_ref(), PDF);
        }

        // Stored under ids, in the clear for an ordinary claim.
        let record = app.state.store.evidence(pdf["id"].as_str().unwrap().parse().unwrap()).await.unwrap();
        assert_eq!(record.storage_key, format!("claims/{claim}/{}", pdf["id"].as_str().unwrap()));
        assert_eq!(record.uploaded_by, claimant_id);
        assert_eq!(stored_files(&app).len(), 2);

        // The claim's history shows the files arriving.
        let (_, history) = json(app.get(&format!("/v1/claims/{claim}/history")).bearer_auth(&claimant).send().await.unwrap()).await;
        let history = history["items"].clone();
        let received = history.as_array().unwrap().iter().filter(|e| e["action"] == "evidence.received").count();
        assert_eq!(received, 2, "{history}");

        // An unknown file, or one of another claim, is not found.
        problem(
            app.get(&format!("/v1/claims/{claim}/evidence/{}", uuid::Uuid::now_v7())).bearer_auth(&claimant).send().await.unwrap(),
            404,
            "not-found",
        )
        .await;
        let other = file_claim(&app, &claimant, &house(TAX_NUMBERS[0], CADASTRAL[1])).await;
        problem(
            app.get(&format!("/v1/claims/{other}/evidence/{}", pdf["id"].as_str().unwrap())).bearer_auth(&claimant).send().await.unwrap(),
            404,
            "not-found",
        )
        .await;
    }

    async fn only_the_filer_uploads_and_only_those_who_see_the_claim_read(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let (_, stranger) = app.account("Stranger", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let claim = file_claim(&app, &claimant, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        let (_, pdf) = json(upload(&app, &claimant, &claim, "deed.pdf", "application/pdf", PDF).await).await;
        let download = format!("/v1/claims/{claim}/evidence/{}", pdf["id"].as_str().unwrap());

        problem(upload(&app, &stranger, &claim, "x.pdf", "application/pdf", PDF).await, 404, "not-found").await;
        problem(app.get(&format!("/v1/claims/{claim}/evidence")).bearer_auth(&stranger).send().await.unwrap(), 404, "not-found").await;
        problem(app.get(&download).bearer_auth(&stranger).send().await.unwrap(), 404, "not-found").await;
        problem(upload(&app, &registrar, &claim, "x.pdf", "application/pdf", PDF).await, 403, "forbidden").await;
        let anonymous = app
            .post(&format!("/v1/claims/{claim}/evidence"))
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(form("x.pdf", "application/pdf", PDF))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
        assert_eq!(listed(&app, &claimant, &claim).await.len(), 1, "nothing more recorded");
    }

    async fn refused_files_leave_nothing_behind(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let claim = file_claim(&app, &claimant, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";

        let body = problem(upload(&app, &claimant, &claim, "setup.exe", "application/x-msdownload", exe).await, 415, "evidence-type-not-allowed").await;
        assert_eq!(body["reason"], "type_not_allowed");
        assert!(body["allowed_types"].as_array().unwrap().contains(&json!("application/pdf")));
        let body = problem(upload(&app, &claimant, &claim, "setup.pdf", "application/octet-stream", exe).await, 415, "evidence-type-not-allowed").await;
        assert_eq!(body["reason"], "content_not_recognised");
        let body = problem(upload(&app, &claimant, &claim, "deed.pdf", "application/pdf", PNG).await, 422, "evidence-type-mismatch").await;
        assert_eq!((body["declared"].as_str(), body["detected"].as_str()), (Some("application/pdf"), Some("image/png")));
        problem(upload(&app, &claimant, &claim, "empty.pdf", "application/pdf", b"").await, 422, "evidence-empty").await;
        problem(
            app.post(&format!("/v1/claims/{claim}/evidence")).bearer_auth(&claimant).json(&json!({"file": "x"})).send().await.unwrap(),
            415,
            "multipart-required",
        )
        .await;
        let no_file = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--{BOUNDARY}--\r\n");
        let body = problem(
            app.post(&format!("/v1/claims/{claim}/evidence"))
                .bearer_auth(&claimant)
                .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
                .body(no_file)
                .send()
                .await
                .unwrap(),
            422,
            "validation",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "file");

        assert!(listed(&app, &claimant, &claim).await.is_empty());
        assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    }

    async fn file_names_are_only_display_names(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let claim = file_claim(&app, &claimant, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        let text = "Акт обстеження пошкодженого майна.\n".as_bytes();
        let (status, receipt) = json(upload(&app, &claimant, &claim, "../../etc/passwd", "text/plain; charset=utf-8", text).await).await;
        assert_eq!(status, 201, "{receipt}");
        assert_eq!(receipt["file_name"], "passwd");
        assert_eq!(receipt["content_type"], "text/plain");
        let id = receipt["id"].as_str().unwrap();
        let files = stored_files(&app);
        assert_eq!(files.len(), 1);
        assert!(files[0].starts_with(&app.state.settings.evidence_dir), "{files:?}");
        assert!(files[0].ends_with(format!("claims/{claim}/{id}")), "stored under its id: {files:?}");

        let (_, unicode) = json(upload(&app, &claimant, &claim, "акт 1?.pdf", "application/pdf", PDF).await).await;
        let got = app
            .get(&format!("/v1/claims/{claim}/evidence/{}", unicode["id"].as_str().unwrap()))
            .bearer_auth(&claimant)
            .send()
            .await
            .unwrap();
        let disposition = got.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\""), "{disposition}");
        assert!(disposition.ends_with("filename*=UTF-8''%D0%B0%D0%BA%D1%82%201_.pdf"), "{disposition}");
    }

    async fn evidence_is_taken_only_while_the_claim_is_open_for_it(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let claim = file_claim(&app, &claimant, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        let (status, body) = json(app.post(&format!("/v1/claims/{claim}/submit")).bearer_auth(&claimant).send().await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        let body = problem(upload(&app, &claimant, &claim, "late.pdf", "application/pdf", PDF).await, 409, "conflict").await;
        assert_eq!(body["current_status"], "submitted");

        // Asked for more information, the claimant may send files again.
        for (path, payload) in [("review", json!({})), ("information-requests", json!({"message": "Send the deed."}))] {
            let (s, b) = json(app.post(&format!("/v1/claims/{claim}/{path}")).bearer_auth(&registrar).json(&payload).send().await.unwrap()).await;
            assert_eq!(s, 200, "{b}");
        }
        let (status, receipt) = json(upload(&app, &claimant, &claim, "deed.pdf", "application/pdf", PDF).await).await;
        assert_eq!(status, 201, "{receipt}");
    }

    async fn sensitive_claims_files_are_encrypted_at_rest(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let (_, plain) = app.account("Registrar", &[Role::Registrar]).await;
        let cleared = cleared_registrar(&app).await;
        let mut claim = house(TAX_NUMBERS[0], CADASTRAL[0]);
        claim["category"] = json!("A2.4");
        claim["category_fields"] = json!({});
        let claim = file_claim(&app, &claimant, &claim).await;

        // Several 64 KiB chunks, and a last one that is not full.
        let statement: Vec<u8> = "What happened in the basement, in my own words. "
            .repeat(3_000)
            .into_bytes();
        let (status, receipt) = json(upload(&app, &claimant, &claim, "statement.txt", "text/plain", &statement).await).await;
        assert_eq!(status, 201, "{receipt}");
        assert_eq!(receipt["encrypted"], true);
        assert_eq!(receipt["sha256"], sha256(&statement));
        assert_eq!(receipt["size"], statement.len());
        let id = receipt["id"].as_str().unwrap();

        let record = app.state.store.evidence(id.parse().unwrap()).await.unwrap();
        assert!(record.sealed_key_id.is_some());
        let at_rest = object_store::ObjectStoreExt::get(
            app.state.evidence.objects().as_ref(),
            &object_store::path::Path::from(record.storage_key.as_str()),
        )
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
        assert!(at_rest.len() > statement.len(), "ciphertext with tags");
        assert!(!at_rest.windows(8).any(|w| w == b"basement"), "no plaintext at rest");

        let download = format!("/v1/claims/{claim}/evidence/{id}");
        for token in [&claimant, &cleared] {
            let got = app.get(&download).bearer_auth(token).send().await.unwrap();
            assert_eq!(got.status(), 200);
            assert_eq!(got.headers()["x-evidence-sha256"], sha256(&statement).as_str());
            assert_eq!(got.bytes().await.unwrap().as_ref(), statement.as_slice(), "decrypted on the fly");
        }
        problem(app.get(&download).bearer_auth(&plain).send().await.unwrap(), 404, "not-found").await;
        problem(app.get(&format!("/v1/claims/{claim}/evidence")).bearer_auth(&plain).send().await.unwrap(), 404, "not-found").await;
    }

    async fn the_same_evidence_on_two_claims_is_flagged(app: TestApp) {
        let (_, first) = app.account("First", &[Role::Claimant]).await;
        let (_, second) = app.account("Second", &[Role::Claimant]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let a = file_claim(&app, &first, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        let mut other = house(TAX_NUMBERS[1], CADASTRAL[1]);
        other["incident"] = json!({"kind": "on", "date": "2023-05-01"});
        let b = file_claim(&app, &second, &other).await;
        for (token, claim) in [(&first, &a), (&second, &b)] {
            let (status, _) = json(upload(&app, token, claim, "deed.pdf", "application/pdf", PDF).await).await;
            assert_eq!(status, 201);
        }
        let flagged = |id: String| {
            let app = &app;
            let registrar = registrar.clone();
            async move {
                json(app.get(&format!("/v1/claims/{id}")).bearer_auth(&registrar).send().await.unwrap()).await.1["duplicate_flagged"].clone()
            }
        };
        let (status, submitted) = json(app.post(&format!("/v1/claims/{a}/submit")).bearer_auth(&first).send().await.unwrap()).await;
        assert_eq!(status, 200, "{submitted}");
        assert_eq!(flagged(a.clone()).await, false);
        let (status, submitted) = json(app.post(&format!("/v1/claims/{b}/submit")).bearer_auth(&second).send().await.unwrap()).await;
        assert_eq!(status, 200, "{submitted}");
        assert_eq!(flagged(b.clone()).await, true, "{submitted}");
        let (_, flags) = json(app.get(&format!("/v1/claims/{b}/duplicates")).bearer_auth(&registrar).send().await.unwrap()).await;
        let flags = flags["items"].clone();
        let flag = flags
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["reason"] == "same_evidence_hash")
            .unwrap_or_else(|| panic!("evidence flag in {flags}"));
        assert_eq!(flag["other_claim"], a.as_str());
        assert_eq!(flag["matched"], sha256(PDF));
    }
}

/// Uploads over a small limit, on both databases.
mod over_the_limit {
    use super::*;

    const LIMIT: u64 = 10_000;

    async fn run(app: TestApp) {
        let (_, claimant) = app.account("Olena", &[Role::Claimant]).await;
        let claim = file_claim(&app, &claimant, &house(TAX_NUMBERS[0], CADASTRAL[0])).await;
        let limit = usize::try_from(LIMIT).unwrap();
        let mut big = PDF.to_vec();
        big.resize(5 * limit, b' ');
        let body = problem(
            upload(&app, &claimant, &claim, "big.pdf", "application/pdf", &big).await,
            413,
            "payload-too-large",
        )
        .await;
        assert_eq!(body["max_bytes"], LIMIT);
        // One byte over is over.
        problem(
            upload(
                &app,
                &claimant,
                &claim,
                "big.pdf",
                "application/pdf",
                &big[..=limit],
            )
            .await,
            413,
            "payload-too-large",
        )
        .await;
        // A body announced larger than the limit is refused before it is read.
        let mut huge = PDF.to_vec();
        huge.resize(limit + 100_000, b' ');
        problem(
            upload(
                &app,
                &claimant,
                &claim,
                "huge.pdf",
                "application/pdf",
                &huge,
            )
            .await,
            413,
            "payload-too-large",
        )
        .await;
        assert!(
            listed(&app, &claimant, &claim).await.is_empty(),
            "nothing recorded"
        );
        assert!(
            stored_files(&app).is_empty(),
            "partial objects deleted: {:?}",
            stored_files(&app)
        );

        // Exactly at the limit is accepted.
        let (status, receipt) = json(
            upload(
                &app,
                &claimant,
                &claim,
                "fits.pdf",
                "application/pdf",
                &big[..limit],
            )
            .await,
        )
        .await;
        assert_eq!(status, 201, "{receipt}");
        assert_eq!(receipt["size"], LIMIT);
    }

    fn small(s: &mut server::config::Settings) {
        s.evidence_max_bytes = LIMIT;
    }

    #[tokio::test]
    async fn sqlite() {
        run(TestApp::spawn_with(Db::Sqlite, small).await.unwrap()).await;
    }

    #[tokio::test]
    async fn postgres() {
        let Some(app) = TestApp::spawn_with(Db::Postgres, small).await else {
            eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
            return;
        };
        run(app).await;
    }
}
