//! Renders every error response as problem+json with the request id.

use crate::error::{ApiError, PROBLEM_JSON, PendingProblem};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

pub async fn render(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut response = next.run(request).await;
    if let Some(PendingProblem(problem)) = response.extensions_mut().remove::<PendingProblem>() {
        return problem.render(request_id.as_deref());
    }
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    // The web pages render their own errors as HTML.
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if (status.is_client_error() || status.is_server_error()) && !is_problem && !is_page {
        return ApiError::for_status(status).render(request_id.as_deref());
    }
    response
}

/// The answer to a panic: a logged 500 problem, never the panic message.
#[allow(
    clippy::needless_pass_by_value,
    reason = "the signature CatchPanicLayer expects"
)]
pub fn from_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic");
    ApiError::internal(anyhow::anyhow!("handler panicked: {message}")).render(None)
}
