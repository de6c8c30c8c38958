//! E-mail notices to claimants over SMTP: the worker that leases due
//! notices (`app::notices`), sends each through the configured server, and
//! hands the outcome back to be recorded. A notice is recorded sent only
//! once the server accepted the message; a refusal (a 4xx or 5xx reply, a
//! connection that fails or times out) is retried after the application's
//! back-off. The lease keeps several instances from sending one notice
//! twice.
//!
//! Without an SMTP server in the settings the worker does not run: notices
//! are still written with their changes and wait until one is configured.

pub mod text;

use crate::config::{SmtpSettings, SmtpTls};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret as _;
use std::time::Duration;
use store::StoreError;
use store::notifications::Notice;

/// How long one SMTP exchange may take, well within `app::notices::LEASE`.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How often an idle worker looks for due notices.
const POLL: Duration = Duration::from_secs(1);

/// This process's sender: the SMTP transport, the sender's mailbox and
/// the address notices link to.
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    /// This process's worker name, holder of its leases.
    pub worker: String,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("from", &self.from.to_string())
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender for the configured server. Connections are opened when
    /// there is something to send.
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("the sender {:?} is not a mailbox: {e}", settings.from))?;
        let host = settings.host.as_str();
        let builder = match settings.tls {
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            SmtpTls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host,
            )),
        }
        .map_err(|e| format!("SMTP server {host:?}: {e}"))?;
        let mut builder = builder.port(settings.port).timeout(Some(SEND_TIMEOUT));
        if let Some(user) = &settings.username {
            let password = settings
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            public_url: settings.public_url.clone(),
            worker: format!("notices-{}", uuid::Uuid::now_v7()),
        })
    }

    /// The message of a notice, ready to send.
    pub fn message(&self, notice: &Notice) -> Result<Message, String> {
        let to: Mailbox = notice
            .recipient
            .parse()
            .map_err(|e| format!("the claimant's address is not one mail can go to: {e}"))?;
        let letter = text::letter(notice, &self.public_url);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(letter.subject)
            // The same id on every attempt, so that a message delivered
            // twice (a reply lost after the server took it) can be told.
            .message_id(Some(format!(
                "<{}@{}>",
                notice.id.simple(),
                self.from.email.domain()
            )))
            .header(AutoSubmitted)
            .header(ContentType::TEXT_PLAIN)
            .body(letter.body)
            .map_err(|e| format!("cannot build the message: {e}"))
    }

    async fn send(&self, notice: &Notice) -> Result<(), app::notices::Failure> {
        let message = self
            .message(notice)
            .map_err(app::notices::Failure::permanent)?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| app::notices::Failure::transient(format!("{e}")))
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): out-of-office and other
/// automatic replies are not sent back to an address nobody reads.
#[derive(Clone, Copy, Debug)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// Starts this process's notice worker.
pub fn spawn_worker(app: app::App, sender: Sender) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            loop {
                match run_once(&app, &sender).await {
                    Ok(n) if n > 0 => {}
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!("notice worker: {e}");
                        break;
                    }
                }
            }
            tokio::time::sleep(POLL).await;
        }
    })
}

/// Leases due notices as `sender`'s worker and sends them; returns how
/// many were attempted.
pub async fn run_once(app: &app::App, sender: &Sender) -> Result<usize, StoreError> {
    let worker = sender.worker.as_str();
    let due = app::notices::lease(app, worker).await?;
    let n = due.len();
    let sends = due.into_iter().map(|notice| async move {
        let result = sender.send(&notice).await;
        if let Err(failure) = &result {
            tracing::warn!(notice = %notice.id, "notice not sent: {}", failure.error);
        }
        app::notices::record_attempt(app, worker, &notice, result).await
    });
    for r in futures_util::future::join_all(sends).await {
        r?;
    }
    Ok(n)
}
