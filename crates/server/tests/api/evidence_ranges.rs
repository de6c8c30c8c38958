//! Byte ranges of evidence downloads (`Range`, 206, 416), for plain files
//! and for sealed files of sensitive claims, whose ranges are opened chunk
//! by chunk. Here on the local evidence directory with both databases;
//! `evidence_s3` runs the same checks against an S3 bucket.

use crate::claims::house;
use crate::evidence::{PDF, file_claim, sha256, upload};
use crate::support::{TestApp, json, problem};
use kernel::Role;
use serde_json::{Value, json};

/// Plaintext bytes per sealed chunk (`crypto::STREAM_CHUNK`).
const CHUNK: usize = 64 * 1024;

/// A PDF of `len` bytes whose every byte depends on its position, so a
/// range read from the wrong offset cannot pass for the right one.
pub(crate) fn pdf_of(len: usize) -> Vec<u8> {
    let mut bytes = PDF.to_vec();
    let mut x: u32 = 0x9E37_79B9;
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push(x.to_le_bytes()[0]);
    }
    bytes.truncate(len);
    bytes
}

/// A sensitive claim (its files are sealed at rest).
pub(crate) fn sensitive_claim() -> Value {
    let mut claim = house("3184710691", "3210900000:01:001:0001");
    claim["category"] = json!("A2.4");
    claim["category_fields"] = json!({});
    claim
}

async fn get_range(app: &TestApp, token: &str, path: &str, range: &str) -> reqwest::Response {
    app.get(path)
        .bearer_auth(token)
        .header("range", range)
        .send()
        .await
        .unwrap()
}

/// Every kind of range, at the edges that matter: the first and last
/// byte, sealed-chunk boundaries, spans over several chunks, suffixes and
/// open ends, and ends past the file (clipped).
pub(crate) async fn check_ranges(app: &TestApp, token: &str, path: &str, data: &[u8]) {
    let n = data.len();
    let mut asked: Vec<(String, usize, usize)> = vec![
        ("bytes=0-0".into(), 0, 0),
        ("bytes=0-9".into(), 0, 9),
        (format!("bytes=0-{}", n + 1000), 0, n - 1),
        (format!("bytes={}-", n / 2), n / 2, n - 1),
        ("bytes=-1".into(), n - 1, n - 1),
        ("bytes=-100".into(), n - 100, n - 1),
        (format!("bytes=-{}", n * 2), 0, n - 1),
        (format!("bytes={}-{}", n - 1, n - 1), n - 1, n - 1),
    ];
    for edge in [CHUNK, 2 * CHUNK, 3 * CHUNK, n / CHUNK * CHUNK] {
        if edge + 16 < n && edge >= 16 {
            asked.push((format!("bytes={}-{}", edge - 1, edge), edge - 1, edge));
            asked.push((
                format!("bytes={}-{}", edge - 16, edge + 15),
                edge - 16,
                edge + 15,
            ));
            asked.push((
                format!("bytes={edge}-{}", edge + CHUNK - 1),
                edge,
                (edge + CHUNK - 1).min(n - 1),
            ));
        }
    }
    if n > 3 * CHUNK {
        asked.push((
            format!("bytes={}-{}", CHUNK - 1, 3 * CHUNK + 1),
            CHUNK - 1,
            3 * CHUNK + 1,
        ));
    }
    for (range, first, last) in asked {
        let got = get_range(app, token, path, &range).await;
        assert_eq!(got.status(), 206, "{range}");
        let h = got.headers().clone();
        assert_eq!(
            h["content-range"],
            format!("bytes {first}-{last}/{n}").as_str(),
            "{range}"
        );
        assert_eq!(
            h["content-length"],
            (last - first + 1).to_string().as_str(),
            "{range}"
        );
        assert_eq!(h["accept-ranges"], "bytes");
        // The digest names the whole file, whatever part is sent.
        assert_eq!(h["x-evidence-sha256"], sha256(data).as_str());
        let body = got.bytes().await.unwrap();
        assert!(body.as_ref() == &data[first..=last], "{range}: wrong bytes");
    }

    // Not satisfiable: 416 problem, naming the length.
    for range in [
        format!("bytes={n}-"),
        format!("bytes={}-{}", n + 5, n + 9),
        "bytes=9-2".into(),
        "bytes=-0".into(),
        "bytes=abc".into(),
        "bytes 0-1".into(),
    ] {
        let got = get_range(app, token, path, &range).await;
        assert_eq!(
            got.headers()
                .get("content-range")
                .map(|v| v.to_str().unwrap().to_owned()),
            Some(format!("bytes */{n}")),
            "{range}"
        );
        let body = problem(got, 416, "range-not-satisfiable").await;
        assert_eq!(body["size"], n, "{body}");
    }

    // Served whole (200): several ranges, another unit, a stale If-Range.
    let whole = app.get(path).bearer_auth(token).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    let etag = whole.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", sha256(data)));
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    for (range, if_range) in [
        ("bytes=0-1,4-5", None),
        ("items=0-1", None),
        ("bytes=0-1", Some("\"stale\"")),
    ] {
        let mut request = app.get(path).bearer_auth(token).header("range", range);
        if let Some(v) = if_range {
            request = request.header("if-range", v);
        }
        let got = request.send().await.unwrap();
        assert_eq!(got.status(), 200, "{range} {if_range:?}");
        assert_eq!(got.bytes().await.unwrap().len(), n);
    }
    let fresh = app
        .get(path)
        .bearer_auth(token)
        .header("range", "bytes=1-2")
        .header("if-range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 206);
    assert_eq!(fresh.bytes().await.unwrap().as_ref(), &data[1..=2]);
}

/// Uploads `data` to a new claim (sensitive or not) and returns the
/// download path.
pub(crate) async fn uploaded(
    app: &TestApp,
    token: &str,
    claim: &Value,
    data: &[u8],
    mime: &str,
    sealed: bool,
) -> String {
    let claim = file_claim(app, token, claim).await;
    let name = if mime == "text/plain" {
        "statement.txt"
    } else {
        "survey.pdf"
    };
    let (status, receipt) = json(upload(app, token, &claim, name, mime, data).await).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["encrypted"], sealed, "{receipt}");
    assert_eq!(receipt["size"], data.len());
    format!(
        "/v1/claims/{claim}/evidence/{}",
        receipt["id"].as_str().unwrap()
    )
}

both! {
    async fn plain_files_are_served_by_range(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let data = pdf_of(3 * CHUNK + 1000);
        let path = uploaded(&app, &claimant, &house("3184710691", "3210900000:01:001:0001"), &data, "application/pdf", false).await;
        check_ranges(&app, &claimant, &path, &data).await;
    }

    async fn sealed_files_are_served_by_range_chunk_by_chunk(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        // A last chunk that is not full, and one file of exactly whole chunks.
        for len in [3 * CHUNK + 1000, 2 * CHUNK] {
            let data = pdf_of(len);
            let path = uploaded(&app, &claimant, &sensitive_claim(), &data, "application/pdf", true).await;
            check_ranges(&app, &claimant, &path, &data).await;
        }
    }

    async fn small_sealed_files_and_other_peoples_files(app: TestApp) {
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        let path = uploaded(&app, &claimant, &sensitive_claim(), PDF, "application/pdf", true).await;
        let got = get_range(&app, &claimant, &path, "bytes=0-").await;
        assert_eq!(got.status(), 206);
        assert_eq!(got.bytes().await.unwrap().as_ref(), PDF);
        let (_, other) = app.account("Other", &[Role::Claimant]).await;
        // Someone else's file stays 404 whatever the range.
        problem(get_range(&app, &other, &path, "bytes=0-1").await, 404, "not-found").await;
    }
}
