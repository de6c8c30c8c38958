//! Accepting and serving connections, with limits `axum::serve` lacks.
//!
//! A client that opens a connection and sends its request headers slowly,
//! or nothing at all, must not hold a descriptor and a task for ever: that
//! is how a few hundred sockets stop a server from accepting. So:
//!
//! - HTTP/1.1 request headers must arrive within the header-read timeout
//!   (hyper's own timer). hyper restarts that timer when a keep-alive
//!   connection goes idle, so it also bounds the wait between requests.
//! - Independently of the protocol, a connection on which no request has
//!   been in progress for that long (including one that never sent enough
//!   bytes to tell HTTP/1.1 from HTTP/2, which hyper's timer does not
//!   cover, and an idle HTTP/2 connection) is asked to close, and dropped
//!   if it is still idle after another such period.
//! - At most `max_connections` connections are served at once. One more is
//!   answered at once with a fixed `503` problem and closed, by a
//!   short-lived task; when too many of those are running, it is closed
//!   without an answer. Either way it costs no lasting task or descriptor.
//!
//! Request bodies and handlers are bounded by the request timeout layer
//! (the HTTP router), not here.

use crate::error::ApiError;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt as _;

/// Limits on connections.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Time to send a request's headers, from the connection's opening or
    /// the end of the previous response; also the idle time after which a
    /// connection is closed.
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: u32,
}

/// Connections over the limit being answered at once. Each lives at most
/// [`REFUSAL_LINGER`]; past this many, further ones are closed unanswered,
/// so a flood costs at most this many extra descriptors.
const REFUSING_AT_ONCE: usize = 32;
/// Longest a refused connection is kept to read what the client sent:
/// closing a socket with unread data resets it, and the client may then
/// lose the answer.
const REFUSAL_LINGER: Duration = Duration::from_secs(2);
/// `Retry-After` of the refusal: connections free up as requests finish.
const REFUSAL_RETRY_AFTER_SECS: u64 = 1;

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting, asks every connection to finish its request in progress and
/// close, and returns once all have closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let refusers = Arc::new(Semaphore::new(REFUSING_AT_ONCE));
    let refusal = Bytes::from(refusal_answer());
    let full = AtomicBool::new(false);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            if !full.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection limit reached: answering new connections with 503"
                );
            }
            metrics::counter!("http_connections_refused_total").increment(1);
            refuse(stream, &refusers, refusal.clone());
            continue;
        };
        if full.swap(false, Ordering::Relaxed) {
            tracing::info!("below the connection limit again");
        }
        tokio::spawn(connection(
            Arc::clone(&builder),
            stream,
            remote,
            app.clone(),
            limits.header_read_timeout,
            stopped.clone(),
            slot,
        ));
    }
    drop(listener);
    stop.send_replace(true);
    // Every connection holds a slot until it has closed.
    let _all = slots.acquire_many(limits.max_connections).await;
    Ok(())
}

/// As `axum::serve` does: errors of one connection are skipped; others
/// (out of descriptors) are logged and accepting pauses for a second.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept error: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The fixed answer to a connection over the limit: a problem without
/// `instance`, since no request has been read.
fn refusal_answer() -> Vec<u8> {
    let problem = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
        "Too many connections",
        "The server is serving as many connections as it accepts; retry shortly.",
    );
    let body = serde_json::to_vec(&problem.body(None)).unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\n\
         content-type: application/problem+json\r\n\
         content-length: {}\r\n\
         retry-after: {REFUSAL_RETRY_AFTER_SECS}\r\n\
         connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

fn refuse(mut stream: TcpStream, refusers: &Arc<Semaphore>, answer: Bytes) {
    let Ok(refuser) = Arc::clone(refusers).try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        let _refuser = refuser;
        let _ = tokio::time::timeout(REFUSAL_LINGER, async {
            stream.write_all(&answer).await?;
            stream.shutdown().await?;
            let mut sink = [0_u8; 1024];
            while stream.read(&mut sink).await? > 0 {}
            Ok::<_, std::io::Error>(())
        })
        .await;
    });
}

async fn connection(
    builder: Arc<auto::Builder<TokioExecutor>>,
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    idle_limit: Duration,
    mut stopped: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    metrics::gauge!("http_connections_open").increment(1);
    let (busy, mut activity) = watch::channel(0_usize);
    let service = ConnectionService {
        app,
        remote,
        busy: Arc::new(busy),
    };
    let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let mut asked_to_close = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%remote, "connection closed: {e}");
                }
                break;
            }
            _ = stopped.wait_for(|stop| *stop), if !asked_to_close => {
                asked_to_close = true;
                conn.as_mut().graceful_shutdown();
            }
            () = idle_for(&mut activity, idle_limit) => {
                // Asked once and still idle: a graceful close does not end
                // an HTTP/1.1 connection still waiting for its first
                // request, so drop it.
                if asked_to_close {
                    tracing::debug!(%remote, "idle connection dropped");
                    break;
                }
                asked_to_close = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
    metrics::gauge!("http_connections_open").decrement(1);
}

/// Resolves once no request has been in progress on the connection for
/// `limit`: none since the last one ended, or since it opened.
async fn idle_for(activity: &mut watch::Receiver<usize>, limit: Duration) {
    loop {
        if *activity.borrow_and_update() == 0 {
            match tokio::time::timeout(limit, activity.changed()).await {
                Err(_) => return,
                Ok(Ok(())) => {}
                Ok(Err(_)) => std::future::pending().await,
            }
        } else if activity.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The application as hyper calls it on one connection: with the client's
/// address for `ConnectInfo`, and counting requests in progress.
#[derive(Clone)]
struct ConnectionService {
    app: Router,
    remote: SocketAddr,
    busy: Arc<watch::Sender<usize>>,
}

impl hyper::service::Service<Request<Incoming>> for ConnectionService {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let busy = Busy::start(&self.busy);
        request.extensions_mut().insert(ConnectInfo(self.remote));
        let app = self.app.clone();
        Box::pin(async move {
            let response = app.oneshot(request).await?;
            Ok(response.map(|body| TrackedBody { body, _busy: busy }))
        })
    }
}

/// A request in progress, from its headers until its response body has
/// been sent or dropped.
struct Busy(Arc<watch::Sender<usize>>);

impl Busy {
    fn start(busy: &Arc<watch::Sender<usize>>) -> Self {
        busy.send_modify(|n| *n += 1);
        Self(Arc::clone(busy))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A response body that keeps its request counted as in progress: a long
/// download is not an idle connection.
struct TrackedBody {
    body: Body,
    _busy: Busy,
}

impl hyper::body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_problem_answer() {
        let answer = String::from_utf8(refusal_answer()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nretry-after: 1"), "{head}");
        assert!(head.contains("\r\nconnection: close"), "{head}");
        assert!(
            head.contains(&format!("\r\ncontent-length: {}", body.len())),
            "{head}"
        );
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["type"], "/problems/overloaded");
        assert_eq!(problem["status"], 503);
    }
}
