//! `redress backup` and a restore, as an operator would do them: a backup
//! taken while the service runs and takes claims, copied into a new data
//! directory, where `redress audit verify` passes and the claims filed
//! before the backup are there.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_redress");

const CLAIM: &str = r#"{"claimant": {"claimant_type": "natural_person", "given_name": "Olena",
  "family_name": "Kovalenko", "date_of_birth": "1980-05-17", "tax_number": "3184710691",
  "nationalities": ["UA"], "contact": {"email": "olena@example.ua"}},
 "category": "A3.1", "incident": {"kind": "on", "date": "2022-03-14"},
 "location": {"region": "UA-32", "settlement": "Irpin", "address": "Universytetska 1",
  "cadastral_number": "3210900000:01:001:0001", "occupied_territory": true},
 "narrative": "The house was hit by artillery and burned down.",
 "losses": [{"description": "House", "amount": {"amount": "85000.00", "currency": "EUR"}}],
 "category_fields": {"property_type": "house", "floor_area_m2": "112.5",
  "ownership_document": "Certificate of ownership 45/2010", "damage_extent": "destroyed"}}"#;

fn redress(data: &Path, url: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env("REDRESS_DATA_DIR", data)
        .env("REDRESS_LOG", "error");
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn token(data: &Path, url: Option<&str>) -> String {
    let out = redress(
        data,
        url,
        &[
            "accounts", "create", "--name", "Olena", "--role", "claimant",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|w| w.starts_with("rdt_"))
        .unwrap()
        .to_owned()
}

struct Service {
    child: Child,
    addr: String,
}

impl Service {
    fn start(data: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(BIN)
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env("REDRESS_DATA_DIR", data)
            .env("REDRESS_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let service = Self {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while service.call("GET", "/health", None, None).0 != 200 {
            assert!(Instant::now() < deadline, "redress did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        service
    }

    /// One request on its own connection: status and body (0 when the
    /// service does not answer).
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect(&self.addr) else {
            return (0, String::new());
        };
        let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        if stream.write_all(request.as_bytes()).is_err() {
            return (0, String::new());
        }
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Files and submits a claim; its id and reference.
    fn file(&self, token: &str) -> (String, String) {
        let (status, body) = self.call("POST", "/v1/claims", Some(token), Some(CLAIM));
        assert_eq!(status, 201, "{body}");
        let id = field(&body, "id");
        let (status, body) = self.call(
            "POST",
            &format!("/v1/claims/{id}/submit"),
            Some(token),
            None,
        );
        assert_eq!(status, 200, "{body}");
        (id, field(&body, "reference"))
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The value of a top-level string field in a JSON object.
fn field(json: &str, name: &str) -> String {
    let marker = format!("\"{name}\":\"");
    let start = json.find(&marker).map(|i| i + marker.len()).unwrap();
    json[start..].split('"').next().unwrap().to_owned()
}

#[test]
fn an_sqlite_backup_taken_while_serving_restores_and_verifies() {
    let live = tempfile::tempdir().unwrap();
    let token = token(live.path(), None);
    let service = Service::start(live.path());
    let (before, reference) = service.file(&token);

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("redress-backup.db");
    let file_arg = file.to_str().unwrap();
    let out = redress(live.path(), None, &["backup", "--output", file_arg]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("encryption.key"),
        "names what the database does not hold: {}",
        text(&out)
    );
    // The service went on taking claims during and after the backup.
    let (after, _) = service.file(&token);
    service.stop();

    // Never over an earlier backup.
    let again = redress(live.path(), None, &["backup", "--output", file_arg]);
    assert!(!again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("exists"), "{}", text(&again));

    // Restore: the copy and the key into a new data directory.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&file, restored.path().join("redress.db")).unwrap();
    std::fs::copy(
        live.path().join("encryption.key"),
        restored.path().join("encryption.key"),
    )
    .unwrap();
    let verify = redress(restored.path(), None, &["audit", "verify"]);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).starts_with("audit chain intact"),
        "{}",
        text(&verify)
    );

    let service = Service::start(restored.path());
    let (status, body) = service.call("GET", &format!("/v1/claims/{before}"), Some(&token), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(field(&body, "reference"), reference);
    let (status, _) = service.call("GET", &format!("/v1/claims/{after}"), Some(&token), None);
    assert_eq!(status, 404, "a claim filed after the backup is not in it");
    // The restored service takes new claims, numbered after the backup's.
    let (_, next) = service.file(&token);
    assert_ne!(next, reference);
    service.stop();
}

#[test]
fn a_postgres_backup_is_a_pg_dump_that_restores_and_verifies() {
    let Ok(server) = std::env::var("REDRESS_TEST_POSTGRES_URL") else {
        eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
        return;
    };
    if Command::new("pg_dump").arg("--version").output().is_err() {
        eprintln!("skipped: pg_dump is not installed");
        return;
    }
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(b, _)| b)
        .to_owned();
    let live = format!("redress_e2e_backup_{}", std::process::id());
    let restored = format!("{live}_restored");
    let psql = |sql: &str| {
        Command::new("psql")
            .args([server.as_str(), "-qc", sql])
            .status()
            .is_ok_and(|s| s.success())
    };
    for name in [&live, &restored] {
        psql(&format!("DROP DATABASE IF EXISTS {name}"));
        assert!(psql(&format!("CREATE DATABASE {name}")));
    }
    let dir = tempfile::tempdir().unwrap();
    let live_url = format!("{base}/{live}");
    let restored_url = format!("{base}/{restored}");
    token(dir.path(), Some(&live_url));
    let file = dir.path().join("redress.dump");
    let out = redress(
        dir.path(),
        Some(&live_url),
        &["backup", "--output", file.to_str().unwrap()],
    );
    let backed_up = out.status.success();
    let restore = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname", &restored_url])
        .arg(&file)
        .output()
        .unwrap();
    let verify = redress(dir.path(), Some(&restored_url), &["audit", "verify"]);
    for name in [&live, &restored] {
        psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
    assert!(backed_up, "{}", text(&out));
    assert!(restore.status.success(), "{}", text(&restore));
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).starts_with("audit chain intact"),
        "{}",
        text(&verify)
    );
}
