//! Connections that hold the server without sending a request: slow or
//! missing headers are cut off after the header-read timeout, and past the
//! connection cap new clients get a clean 503 instead of a server that no
//! longer accepts. Waits are bounded; nothing here asserts how fast.

use crate::binary::Service;
use std::io::{ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Longest any step waits for the server.
const PATIENCE: Duration = Duration::from_secs(10);

fn connect(base: &str) -> TcpStream {
    let stream = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// A connection that sent `start` of a request and then nothing.
fn stalled(base: &str, start: &[u8]) -> TcpStream {
    let mut stream = connect(base);
    stream.write_all(start).unwrap();
    stream
}

/// Whether the server closed the connection within [`PATIENCE`], rather
/// than keeping it open (what it sent before, if anything, does not matter).
fn closed_by_server(mut stream: TcpStream) -> Result<(), String> {
    let mut buf = [0_u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!("still open after {PATIENCE:?}"));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// `GET path` on a new connection: the status line's code, the head and
/// the body, or why there is none within [`PATIENCE`].
fn get(base: &str, path: &str) -> Result<(u16, String, String), String> {
    let mut stream = TcpStream::connect(base.trim_start_matches("http://"))
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: redress\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("write: {e}"))?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| format!("read: {e} (after {response:?})"))?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no complete answer: {response:?}"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status: {head:?}"))?;
    Ok((status, head.to_ascii_lowercase(), body.to_owned()))
}

/// Asks `/health` until it answers `status`, for at most [`PATIENCE`].
fn health_answers(base: &str, status: u16) -> Result<(), String> {
    let deadline = Instant::now() + PATIENCE;
    let mut last = String::new();
    while Instant::now() < deadline {
        match get(base, "/health") {
            Ok((got, _, _)) if got == status => return Ok(()),
            Ok((got, _, body)) => last = format!("{got} {body}"),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "/health not answering {status} within {PATIENCE:?}: {last}"
    ))
}

#[test]
fn connections_without_a_complete_request_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(dir.path(), &[("REDRESS_HEADER_READ_TIMEOUT_SECS", "1")]);
    let cases: [(&str, &[u8]); 4] = [
        ("headers never finished", b"GET / HTTP/1.1\r\nHost: x\r\n"),
        ("nothing sent", b""),
        ("half an HTTP/2 preface", b"PRI * HTTP/2.0\r\n"),
        (
            "an HTTP/2 preface and nothing more",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        ),
    ];
    let sockets: Vec<_> = cases
        .iter()
        .map(|(what, start)| (*what, stalled(&service.base, start)))
        .collect();
    let outcomes: Vec<_> = sockets
        .into_iter()
        .map(|(what, socket)| (what, closed_by_server(socket)))
        .collect();

    // A connection kept alive after a complete request is closed too once
    // idle, after its answer.
    let mut kept = connect(&service.base);
    write!(kept, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = [0_u8; 12];
    kept.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    let mut rest = Vec::new();
    let idle = match kept.read_to_end(&mut rest) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => Ok(()),
        Err(e) => Err(format!("idle keep-alive connection: {e}")),
    };

    assert!(health_answers(&service.base, 200).is_ok(), "still serving");
    let (code, stderr) = service.stop();
    for (what, outcome) in outcomes {
        assert_eq!(outcome, Ok(()), "{what}");
    }
    assert_eq!(idle, Ok(()));
    assert_eq!(code, Some(0), "stops cleanly: {stderr}");
}

#[test]
fn past_the_connection_cap_clients_get_a_clean_503() {
    let dir = tempfile::tempdir().unwrap();
    // A long header timeout: the stalled connections hold their slots
    // until this test closes them.
    let service = Service::start(
        dir.path(),
        &[
            ("REDRESS_MAX_CONNECTIONS", "4"),
            ("REDRESS_HEADER_READ_TIMEOUT_SECS", "60"),
        ],
    );
    // Stalled connections until they hold every slot: a connection that
    // just ended (the start's health check, or an ask below answered 200)
    // may hold its slot a moment longer and have one of them refused.
    let mut slow = Vec::new();
    let mut full = false;
    for _ in 0..20 {
        slow.push(stalled(&service.base, b"GET / HTTP/1.1\r\nHost: x\r\n"));
        if slow.len() >= 4 && matches!(get(&service.base, "/health"), Ok((503, _, _))) {
            full = true;
            break;
        }
    }
    let refused: Vec<_> = (0..3).map(|_| get(&service.base, "/health")).collect();
    drop(slow);
    let recovered = health_answers(&service.base, 200);
    let (code, stderr) = service.stop();

    assert!(
        full,
        "/health never answered 503 with 4 connections stalled"
    );
    for answer in refused {
        let (status, head, body) = answer.unwrap();
        assert_eq!(status, 503, "{head}\n{body}");
        assert!(head.contains("\r\nretry-after: 1"), "{head}");
        assert!(head.contains("\r\nconnection: close"), "{head}");
        assert!(
            head.contains("\r\ncontent-type: application/problem+json"),
            "{head}"
        );
        assert!(body.contains(r#""type":"/problems/overloaded""#), "{body}");
        assert!(body.contains(r#""status":503"#), "{body}");
    }
    assert_eq!(recovered, Ok(()));
    assert_eq!(code, Some(0), "stops cleanly: {stderr}");
    assert!(stderr.contains("connection limit reached"), "{stderr}");
}

#[test]
fn stalled_clients_cannot_exhaust_the_descriptors() {
    // The review's case: 140 stalled sockets against a process allowed 128
    // open files. The cap keeps the server within its descriptors: it
    // keeps accepting and answers, 503 while full and 200 once they close.
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start_under(
        dir.path(),
        &[
            ("REDRESS_MAX_CONNECTIONS", "16"),
            ("REDRESS_HEADER_READ_TIMEOUT_SECS", "60"),
        ],
        Some(128),
    );
    let slow: Vec<_> = (0..140)
        .map(|_| stalled(&service.base, b"GET / HTTP/1.1\r\nHost: x\r\n"))
        .collect();
    // The refusals of the last few stalled sockets may still be lingering
    // (they never read their answer); one of the next asks gets its own.
    let while_full = health_answers(&service.base, 503);
    drop(slow);
    let recovered = health_answers(&service.base, 200);
    let (code, stderr) = service.stop();

    assert_eq!(while_full, Ok(()));
    assert_eq!(recovered, Ok(()));
    assert!(!stderr.contains("Too many open files"), "{stderr}");
    assert_eq!(code, Some(0), "stops cleanly: {stderr}");
}
