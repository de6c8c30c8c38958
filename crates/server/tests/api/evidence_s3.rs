//! Evidence in an S3-compatible bucket, against a real S3 server on
//! 127.0.0.1 (CI runs moto's server mode; `REDRESS_TEST_S3_ENDPOINT` names
//! it): a 50 MiB file streamed up in multipart parts and back, and byte
//! ranges of plain and sealed files read as ranges of the object. Skipped
//! when no endpoint is configured.

use crate::claims::house;
use crate::evidence::{file_claim, sha256, upload};
use crate::evidence_ranges::{check_ranges, pdf_of, sensitive_claim, uploaded};
use crate::support::{Db, TestApp, json};
use kernel::Role;
use secrecy::SecretString;
use server::config::EvidenceS3Settings;

fn endpoint() -> Option<String> {
    std::env::var("REDRESS_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
}

#[tokio::test]
async fn evidence_streams_to_and_from_an_s3_bucket() {
    let Some(endpoint) = endpoint() else {
        eprintln!("skipped: REDRESS_TEST_S3_ENDPOINT is not set");
        return;
    };
    let bucket = format!("redress-test-{}", uuid::Uuid::now_v7().simple());
    // Buckets are created by the operator, not by the service.
    let created = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("S3 server answers");
    assert!(
        created.status().is_success(),
        "create bucket: {}",
        created.status()
    );

    let s3 = EvidenceS3Settings {
        bucket: bucket.clone(),
        endpoint: Some(endpoint.clone()),
        region: Some("us-east-1".into()),
        access_key_id: Some("testing".into()),
        secret_access_key: Some(SecretString::from("testing")),
    };
    let app = TestApp::spawn_with(Db::Sqlite, |s| {
        s.evidence_s3 = Some(s3);
        s.evidence_max_bytes = 64 * 1024 * 1024;
    })
    .await
    .unwrap();
    let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
    let claim = file_claim(
        &app,
        &claimant,
        &house("3184710691", "3210900000:01:001:0001"),
    )
    .await;

    // A large file goes up in several multipart parts (5 MiB each), never
    // whole in the server's memory.
    let big = pdf_of(50 * 1024 * 1024 + 17);
    let (status, receipt) = json(
        upload(
            &app,
            &claimant,
            &claim,
            "survey.pdf",
            "application/pdf",
            &big,
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["sha256"], sha256(&big));
    assert_eq!(receipt["size"], big.len());

    // The object is in the bucket, under ids only.
    let listing = reqwest::Client::new()
        .get(format!("{endpoint}/{bucket}?list-type=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let key = format!("claims/{claim}/{}", receipt["id"].as_str().unwrap());
    assert!(listing.contains(&key), "{listing}");
    assert!(
        listing.contains(&format!("<Size>{}</Size>", big.len())),
        "{listing}"
    );

    // Downloads stream back the same bytes.
    let download = app
        .get(&format!(
            "/v1/claims/{claim}/evidence/{}",
            receipt["id"].as_str().unwrap()
        ))
        .bearer_auth(&claimant)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let body = download.bytes().await.unwrap();
    assert_eq!(body.len(), big.len());
    assert_eq!(sha256(&body), sha256(&big));

    // Ranges are ranges of the object, for plain and sealed files alike.
    let path = format!(
        "/v1/claims/{claim}/evidence/{}",
        receipt["id"].as_str().unwrap()
    );
    check_ranges(&app, &claimant, &path, &big).await;
    let sealed = pdf_of(5 * 1024 * 1024 + 4321);
    let path = uploaded(
        &app,
        &claimant,
        &sensitive_claim(),
        &sealed,
        "application/pdf",
        true,
    )
    .await;
    check_ranges(&app, &claimant, &path, &sealed).await;
}
