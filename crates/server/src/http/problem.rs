//! Renders every error response as problem+json with the request id, and
//! describes error responses that way in the OpenAPI description.

use crate::error::{ApiError, PROBLEM_JSON, PendingProblem, ProblemBody};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use utoipa::ToSchema;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, OpenApi, Ref, RefOr, Response as ResponseDoc, ResponseBuilder,
    Type,
};

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

/// Describes error answers as they are sent: every problem as
/// `application/problem+json`; a 401 with its challenge on every operation
/// that takes a token; and a `default` answer for the statuses an operation
/// does not list, since any layer (authorization, rate limit, body limit,
/// timeout) may answer any operation with a problem.
///
/// Applied to the finished description: the paths are only there once the
/// routes have been added, after `#[openapi(modifiers(...))]` has run.
pub struct ProblemResponses;

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let responses = &mut operation.responses.responses;
                for response in responses.values_mut() {
                    if let RefOr::T(response) = response {
                        as_problem_json(response);
                    }
                }
                if secured {
                    let unauthorized = responses
                        .entry("401".to_owned())
                        .or_insert_with(|| problem_response(""));
                    if let RefOr::T(unauthorized) = unauthorized {
                        if unauthorized.description.is_empty() {
                            "No valid bearer token: missing, unknown, expired or revoked"
                                .clone_into(&mut unauthorized.description);
                        }
                        unauthorized
                            .headers
                            .entry("WWW-Authenticate".to_owned())
                            .or_insert_with(challenge);
                    }
                }
                responses
                    .entry("default".to_owned())
                    .or_insert_with(|| problem_response("Any other error, as problem details"));
            }
        }
    }
}

/// Moves a problem body declared as `application/json` (utoipa's default
/// for a `body = ProblemBody`) to the media type it is sent with.
fn as_problem_json(response: &mut ResponseDoc) {
    let problem = Ref::from_schema_name(ProblemBody::name()).ref_location;
    response.content = std::mem::take(&mut response.content)
        .into_iter()
        .map(|(media_type, content)| {
            let is_problem =
                matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location == problem);
            if is_problem && media_type == "application/json" {
                (PROBLEM_JSON.to_owned(), content)
            } else {
                (media_type, content)
            }
        })
        .collect();
}

fn problem_response(description: &str) -> RefOr<ResponseDoc> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(ProblemBody::name())))
                    .build(),
            )
            .build(),
    )
}

/// The challenge [`crate::error::ApiError::render`] sends with every 401.
fn challenge() -> Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^Bearer ")),
        )
        .description(Some(r#"`Bearer realm="redress"`"#))
        .build()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    #[test]
    fn every_error_response_is_described_as_problem_json() {
        let spec = serde_json::to_value(crate::http::openapi()).unwrap();
        let problem = json!({
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemBody"}}
        });
        let mut errors = 0;
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let responses = operation["responses"].as_object().unwrap();
                assert!(responses.contains_key("default"), "{method} {path}");
                for (status, response) in responses {
                    if status == "default" || status.starts_with(['4', '5']) {
                        assert_eq!(response["content"], problem, "{method} {path} {status}");
                        errors += 1;
                    }
                }
                if operation.get("security").is_some() {
                    let challenge = &responses["401"]["headers"]["WWW-Authenticate"];
                    assert_ne!(challenge, &Value::Null, "{method} {path}");
                }
            }
        }
        assert!(errors > 100, "the description has error responses");
    }
}
