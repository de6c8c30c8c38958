use std::io::Read as _;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_redress");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) struct Service {
    child: Child,
    pub(crate) base: String,
}

impl Service {
    pub(crate) fn start(data_dir: &std::path::Path, extra_env: &[(&str, &str)]) -> Self {
        Self::start_under(data_dir, extra_env, None)
    }

    /// As [`Service::start`], with at most `open_files` descriptors
    /// (`ulimit -n`) when given.
    pub(crate) fn start_under(
        data_dir: &std::path::Path,
        extra_env: &[(&str, &str)],
        open_files: Option<u32>,
    ) -> Self {
        let port = free_port();
        let mut cmd = match open_files {
            None => Command::new(BIN),
            Some(n) => {
                let mut sh = Command::new("sh");
                sh.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\""), BIN]);
                sh
            }
        };
        cmd.arg("serve")
            .env_remove("DATABASE_URL")
            .env("REDRESS_DATA_DIR", data_dir)
            .env("REDRESS_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start redress");
        let service = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        service.wait_healthy();
        service
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if reqwest::blocking_get(&format!("{}/health", self.base)).is_ok_and(|r| r == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("redress did not become healthy");
    }

    /// SIGTERM, then the exit status and everything written to stderr.
    pub(crate) fn stop(mut self) -> (Option<i32>, String) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (status.code(), err)
    }
}

/// A test that fails before `stop` leaves no server behind.
impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) mod reqwest {
    //! A tiny blocking HTTP/1.1 client: enough for these tests without
    //! pulling a runtime into them.
    use std::io::{Read as _, Write as _};
    use std::net::TcpStream;

    pub fn request(method: &str, url: &str, token: Option<&str>) -> std::io::Result<(u16, String)> {
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest
            .split_once('/')
            .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
        let mut stream = TcpStream::connect(host)?;
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\nContent-Length: 0\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        Ok((status, body))
    }

    /// One exchange with headers and a body: the status, the response's
    /// head and its body.
    pub fn exchange(
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<(u16, String, String)> {
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest
            .split_once('/')
            .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
        let mut stream = TcpStream::connect(host)?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        for (k, v) in headers {
            for part in [k, ": ", v, "\r\n"] {
                head.push_str(part);
            }
        }
        head.push_str("Content-Length: ");
        head.push_str(&body.len().to_string());
        head.push_str("\r\n\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        Ok((status, head.to_owned(), body.to_owned()))
    }

    pub fn blocking_get(url: &str) -> std::io::Result<u16> {
        request("GET", url, None).map(|(s, _)| s)
    }
}

#[test]
fn serves_on_sqlite_by_default_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(dir.path(), &[]);
    let (status, body) = reqwest::request("GET", &format!("{}/ready", service.base), None).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"database\":\"sqlite\""), "{body}");
    assert!(
        dir.path().join("redress.db").exists(),
        "the default database is a file under the data dir"
    );
    let (code, stderr) = service.stop();
    assert_eq!(code, Some(0), "graceful shutdown exits 0; stderr: {stderr}");
    assert!(stderr.contains("listening"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "logs to a pipe or a file carry no colour codes: {stderr:?}"
    );
    let token = stderr
        .split_whitespace()
        .find(|w| w.starts_with("rdt_"))
        .expect("first start prints a bootstrap admin token")
        .trim_end_matches(['`', '.']);

    // Second start: the token works, and no new one is printed.
    let service = Service::start(dir.path(), &[]);
    let (status, body) =
        reqwest::request("GET", &format!("{}/v1/me", service.base), Some(token)).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"admin\""), "{body}");
    let (code, stderr) = service.stop();
    assert_eq!(code, Some(0));
    assert!(
        !stderr.contains("rdt_"),
        "the bootstrap token is printed once only"
    );
}

#[test]
fn serves_on_postgres_when_configured() {
    let Ok(server) = std::env::var("REDRESS_TEST_POSTGRES_URL") else {
        eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
        return;
    };
    let name = format!("redress_e2e_{}", std::process::id());
    let psql = |sql: &str| {
        Command::new("psql")
            .args([server.as_str(), "-qc", sql])
            .status()
            .is_ok_and(|s| s.success())
    };
    psql(&format!("DROP DATABASE IF EXISTS {name}"));
    assert!(
        psql(&format!("CREATE DATABASE {name}")),
        "psql creates the test database"
    );
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(dir.path(), &[("DATABASE_URL", &url)]);
    let (status, body) = reqwest::request("GET", &format!("{}/ready", service.base), None).unwrap();
    let (code, _) = service.stop();
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"database\":\"postgres\""), "{body}");
    assert_eq!(code, Some(0));
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env("REDRESS_DATA_DIR", dir.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_database_urls_are_one_line_errors_with_exit_code_2() {
    let (code, _, err) = run(
        &["migrate"],
        &[("DATABASE_URL", "mysql://localhost/redress")],
    );
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("sqlite:") && err.contains("postgres://"),
        "names the accepted schemes: {err}"
    );

    let (code, _, err) = run(
        &["migrate"],
        &[
            (
                "DATABASE_URL",
                "postgres://redress:secret@127.0.0.1:1/redress",
            ),
            ("REDRESS_DB_ACQUIRE_TIMEOUT_SECS", "2"),
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        !err.contains("secret"),
        "passwords never reach messages: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_bad_webhook_allow_list_stops_the_start() {
    let (code, _, err) = run(
        &["serve"],
        &[
            ("REDRESS_WEBHOOK_ALLOW_PRIVATE", "10.1.0.0/16,intranet:443"),
            ("REDRESS_LISTEN", "127.0.0.1:0"),
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("\"intranet:443\""), "names the entry: {err}");
}

#[test]
fn help_lists_every_setting() {
    let (code, out, _) = run(
        &["serve", "--help"],
        &[("REDRESS_LOG", ""), ("REDRESS_LISTEN", "127.0.0.1:9999")],
    );
    assert_eq!(code, Some(0));
    for var in [
        "DATABASE_URL",
        "REDRESS_DATA_DIR",
        "REDRESS_LISTEN",
        "REDRESS_CONFIG",
        "REDRESS_LOG_FORMAT",
        "REDRESS_REQUEST_TIMEOUT_SECS",
        "REDRESS_BODY_LIMIT_BYTES",
        "REDRESS_HEADER_READ_TIMEOUT_SECS",
        "REDRESS_MAX_CONNECTIONS",
        "REDRESS_WEBHOOK_ALLOW_PRIVATE",
        "REDRESS_RATE_LIMIT_PER_MINUTE",
        "REDRESS_JWT_ISSUER",
    ] {
        assert!(out.contains(var), "{var} missing from serve --help");
    }
    assert!(
        !out.contains("=]") && !out.contains("9999"),
        "help names variables, never their values: {out}"
    );
}

#[test]
fn accounts_can_be_created_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let create = Command::new(BIN)
        .args([
            "accounts",
            "create",
            "--name",
            "Olena",
            "--role",
            "registrar",
            "--role",
            "board",
        ])
        .env_remove("DATABASE_URL")
        .env("REDRESS_DATA_DIR", data)
        .output()
        .unwrap();
    assert!(
        create.status.success(),
        "{}",
        String::from_utf8_lossy(&create.stderr)
    );
    let out = String::from_utf8_lossy(&create.stdout);
    let token = out
        .split_whitespace()
        .find(|w| w.starts_with("rdt_"))
        .expect("token printed");
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} printed: {out}"))
            .trim()
            .to_owned()
    };
    let (account, token_id) = (field("account "), field("token-id "));
    assert_eq!(field("token "), token, "the token's line comes first");
    let redress = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("REDRESS_DATA_DIR", data)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The token's id, never its secret, in the account's tokens.
    let (code, tokens, err) = redress(&["accounts", "tokens", &account]);
    assert_eq!(code, Some(0), "{err}");
    let row = tokens
        .lines()
        .find(|l| l.starts_with(&token_id))
        .unwrap_or_else(|| panic!("{token_id} listed: {tokens}"));
    assert_eq!(row.split('\t').nth(1), Some("cli"), "{row}");
    assert!(
        row.ends_with("\tnever\t-\t-"),
        "not expired, revoked or used: {row}"
    );
    assert!(!tokens.contains("rdt_"), "{tokens}");
    let (code, _, err) = redress(&["accounts", "tokens", &uuid::Uuid::nil().to_string()]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no account"), "{err}");
    let list = Command::new(BIN)
        .args(["accounts", "list"])
        .env_remove("DATABASE_URL")
        .env("REDRESS_DATA_DIR", data)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&list.stdout);
    assert!(
        listing.contains("board,registrar") || listing.contains("registrar,board"),
        "{listing}"
    );
    assert!(listing.contains("Olena"));

    let service = Service::start(dir.path(), &[]);
    let (status, body) =
        reqwest::request("GET", &format!("{}/v1/me", service.base), Some(token)).unwrap();
    assert_eq!(status, 200, "{body}");
    // Revoked by the id `accounts tokens` showed: no longer honoured.
    let (code, out, err) = redress(&["accounts", "revoke-token", &account, &token_id]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&token_id), "{out}");
    let (_, tokens, _) = redress(&["accounts", "tokens", &account]);
    let row = tokens.lines().find(|l| l.starts_with(&token_id)).unwrap();
    assert_ne!(row.split('\t').nth(4), Some("-"), "revoked: {row}");
    service.stop();
    let service = Service::start(dir.path(), &[]);
    let (status, _) =
        reqwest::request("GET", &format!("{}/v1/me", service.base), Some(token)).unwrap();
    service.stop();
    assert_eq!(status, 401);

    let bad = Command::new(BIN)
        .args(["accounts", "create", "--name", "X", "--role", "emperor"])
        .env("REDRESS_DATA_DIR", data)
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

/// Creates accounts through the binary, checks `redress audit verify`
/// passes, changes the summary of the entry at seq 3 by hand through
/// `tamper` (which also gets past the append-only triggers) and checks
/// verify then fails naming that entry. `entry_id` reads the id of an entry
/// by seq, in hyphenated form.
fn audit_verify_story(
    url: &str,
    data: &std::path::Path,
    tamper: &dyn Fn(&str),
    entry_id: &dyn Fn(i64) -> String,
) {
    let redress = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .env("DATABASE_URL", url)
            .env("REDRESS_DATA_DIR", data)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for name in ["Olena", "Taras", "Maria"] {
        let (code, _, err) = redress(&["accounts", "create", "--name", name, "--role", "board"]);
        assert_eq!(code, Some(0), "{err}");
    }
    let (code, out, err) = redress(&["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("audit chain intact: "), "{out}");
    assert_eq!(out.trim().lines().count(), 1, "{out}");
    let (code, head, _) = redress(&["audit", "head"]);
    assert_eq!(code, Some(0));
    let published = head.split_whitespace().next().unwrap().to_owned();
    let (seq, _) = published.split_once(':').unwrap();
    assert!(
        out.starts_with(&format!(
            "audit chain intact: {seq} entries, head {published} "
        )),
        "{out} / {head}"
    );
    let (code, out, _) = redress(&["audit", "verify", "--published", &published]);
    assert_eq!(code, Some(0), "{out}");

    let victim = entry_id(3);
    tamper("UPDATE audit_log SET summary = '{\"display_name\":\"Mallory\"}' WHERE seq = 3");
    let (code, out, err) = redress(&["audit", "verify"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("BROKEN at seq 3"), "{out}");
    assert!(out.contains(&victim), "names the entry {victim}: {out}");
}

#[test]
fn audit_verify_fails_after_a_row_is_changed_by_hand() {
    // SQLite, changed with the sqlite3 command-line shell.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.db");
    let url = format!("sqlite://{}", file.display());
    let sqlite = |sql: &str| {
        let out = Command::new("sqlite3")
            .arg(&file)
            .arg(sql)
            .output()
            .expect("the sqlite3 shell is installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    audit_verify_story(
        &url,
        dir.path(),
        &|sql| {
            sqlite(&format!(
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}"
            ));
        },
        &|seq| {
            let hex = sqlite(&format!("SELECT hex(id) FROM audit_log WHERE seq = {seq}"));
            uuid::Uuid::parse_str(&hex)
                .unwrap()
                .hyphenated()
                .to_string()
        },
    );

    // PostgreSQL, changed with psql as a superuser would.
    let Ok(server) = std::env::var("REDRESS_TEST_POSTGRES_URL") else {
        eprintln!("PostgreSQL part skipped: REDRESS_TEST_POSTGRES_URL is not set");
        return;
    };
    let name = format!("redress_e2e_audit_{}", std::process::id());
    let admin = |sql: &str| {
        Command::new("psql")
            .args([server.as_str(), "-qc", sql])
            .status()
            .is_ok_and(|s| s.success())
    };
    admin(&format!("DROP DATABASE IF EXISTS {name}"));
    assert!(
        admin(&format!("CREATE DATABASE {name}")),
        "psql creates the test database"
    );
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let psql = |sql: &str| {
        let out = Command::new("psql")
            .args([url.as_str(), "-qAtc", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let pg_dir = tempfile::tempdir().unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        audit_verify_story(
            &url,
            pg_dir.path(),
            &|sql| {
                psql(&format!(
                    "ALTER TABLE audit_log DISABLE TRIGGER USER; {sql}"
                ));
            },
            &|seq| psql(&format!("SELECT id FROM audit_log WHERE seq = {seq}")),
        );
    }));
    admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn import_claims_from_the_command_line_twice_imports_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let redress = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("REDRESS_DATA_DIR", data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let created = redress(&[
        "accounts",
        "create",
        "--name",
        "Registry",
        "--role",
        "registrar",
    ]);
    let account = created
        .lines()
        .find_map(|l| l.strip_prefix("account "))
        .unwrap()
        .trim()
        .to_owned();
    // A few thousand drafts, one broken line in the middle.
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/claims.jsonl"),
    )
    .unwrap();
    let second = example.lines().nth(1).unwrap();
    let mut file = String::new();
    for i in 0..3000 {
        file += &second.replace("portal-2026-000002", &format!("gen-{i}"));
        file += "\n";
        if i == 1500 {
            file += "{broken\n";
        }
    }
    let path = dir.path().join("claims.jsonl");
    std::fs::write(&path, file).unwrap();
    let path = path.to_str().unwrap();
    let first = redress(&["import", "claims", path, "--filed-by", &account]);
    assert!(
        first.contains("read 3001, imported 3000, skipped (already imported) 0, rejected 1"),
        "{first}"
    );
    let again = redress(&["import", "claims", path, "--filed-by", &account]);
    assert!(
        again.contains("read 3001, imported 0, skipped (already imported) 3000, rejected 1"),
        "{again}"
    );
    let report = std::fs::read_to_string(format!("{path}.rejects.jsonl")).unwrap();
    assert!(report.contains("\"line\":1502"), "{report}");
}
