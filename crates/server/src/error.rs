//! Every error a client can see, as RFC 9457 problem details.
//!
//! Handlers return [`ApiError`]. It does not render itself: it rides on the
//! response as an extension, and the problem layer in the HTTP layer
//! renders it with the request id as `instance`. Responses that leave the
//! stack as bare errors (405 from the router, a timeout) get the same
//! treatment, so a client never sees an error that is not problem+json.
//!
//! `type` is a stable URI per kind of error, `/problems/{kind}`, listed in
//! `docs/problems.md`. 5xx details never carry internals: the cause goes
//! to the log under the request id.

use app::{AppError, ErrorClass};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use store::StoreError;

/// One offending field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Where in the request, e.g. `losses[2].amount`.
    pub field: String,
    /// Stable code for the rule that failed, e.g. `required`.
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// A problem to tell the client about. Boxed: errors travel through every
/// `Result` of a request, and the happy path should not pay for their size.
#[derive(Debug)]
pub struct ApiError(Box<Problem>);

/// The content of an [`ApiError`].
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    /// The last segment of the `type` URI.
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Extra members of the problem object.
    pub extensions: Map<String, Value>,
    pub retry_after_secs: Option<u64>,
    /// Logged, never shown.
    pub cause: Option<anyhow::Error>,
}

/// The problem types this service issues, as docs/problems.md lists them
/// (a test holds the two together).
pub const PROBLEM_TYPES: &[&str] = &[
    "/problems/malformed-request",
    "/problems/unauthenticated",
    "/problems/forbidden",
    "/problems/csrf",
    "/problems/not-found",
    "/problems/method-not-allowed",
    "/problems/conflict",
    "/problems/idempotency-in-flight",
    "/problems/idempotent-request-carried-out",
    "/problems/commission-not-in-force",
    "/problems/conflict-of-interest",
    "/problems/precondition-failed",
    "/problems/payload-too-large",
    "/problems/unsupported-media-type",
    "/problems/multipart-required",
    "/problems/evidence-type-not-allowed",
    "/problems/range-not-satisfiable",
    "/problems/claim-not-eligible",
    "/problems/missing-exchange-rate",
    "/problems/validation",
    "/problems/evidence-type-mismatch",
    "/problems/evidence-empty",
    "/problems/idempotency-key-reused",
    "/problems/precondition-required",
    "/problems/rate-limited",
    "/problems/internal",
    "/problems/unavailable",
    "/problems/timeout",
    "/problems/overloaded",
];

/// The `type` of a problem: one of [`PROBLEM_TYPES`], so that a client can
/// switch on it.
pub struct ProblemType;

impl utoipa::PartialSchema for ProblemType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(PROBLEM_TYPES.iter().copied()))
            .description(Some(
                "The problem type, a URI reference; docs/problems.md says when each is sent.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ProblemType {}

/// The problem+json body, as documented in the OpenAPI description.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemBody {
    #[serde(rename = "type")]
    #[schema(value_type = ProblemType)]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Further members by problem type (`code`, `field`, the facts a
    /// client needs), at the top level of the object.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: Map<String, Value>,
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self(Box::new(Problem {
            status,
            kind,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            extensions: Map::new(),
            retry_after_secs: None,
            cause: None,
        }))
    }

    pub fn validation(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "The request is not valid",
            detail,
        );
        e.errors = errors;
        e
    }

    pub fn invalid_field(field: &str, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::validation(message.clone(), vec![FieldError::new(field, code, message)])
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "The request could not be read",
            detail,
        )
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            detail,
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "No such resource, or it is not visible to you.",
        )
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "conflict",
            "Conflict with the current state",
            detail,
        )
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            "The resource has changed",
            "If-Match does not match the current version; fetch it again and retry.",
        )
    }

    pub fn precondition_required() -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            "If-Match required",
            "Send the resource's current ETag in If-Match to change it.",
        )
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("Rate limit reached; retry after {retry_after_secs} s."),
        );
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "The database is not answering; retry shortly.",
        );
        e.retry_after_secs = Some(2);
        e.cause = Some(cause.into());
        e
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "Something went wrong on our side. It has been logged under this request's id.",
        );
        e.cause = Some(cause.into());
        e
    }

    /// The generic problem for a bare error status produced outside handlers.
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::not_found(),
            StatusCode::METHOD_NOT_ALLOWED => Self::new(
                status,
                "method-not-allowed",
                "Method not allowed",
                "This resource does not support that method.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                status,
                "payload-too-large",
                "Request body too large",
                "The request body is larger than this endpoint accepts.",
            ),
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "Request took too long",
                "The request did not finish in time; retry later.",
            ),
            s if s.is_server_error() => Self::internal(anyhow::anyhow!("bare {s} response")),
            s => Self::new(
                s,
                "http-error",
                "Request failed",
                s.canonical_reason().unwrap_or("request failed").to_owned(),
            ),
        }
    }

    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        self.extensions.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    pub fn body(&self, instance: Option<String>) -> ProblemBody {
        ProblemBody {
            kind: format!("/problems/{}", self.kind),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            instance,
            errors: self.errors.clone(),
            extensions: self.extensions.clone(),
        }
    }

    /// The finished response, with `instance` set to the request id.
    pub fn render(&self, request_id: Option<&str>) -> Response {
        if self.status.is_server_error() {
            if let Some(cause) = &self.cause {
                tracing::error!(request_id, kind = self.kind, "{cause:#}");
            } else {
                tracing::error!(request_id, kind = self.kind, "{}", self.detail);
            }
        }
        let body =
            serde_json::to_vec(&self.body(request_id.map(str::to_owned))).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="redress""#),
            );
        }
        response
    }
}

/// Marks a response whose problem has yet to be rendered.
#[derive(Clone, Debug)]
pub struct PendingProblem(pub std::sync::Arc<ApiError>);

impl std::ops::Deref for ApiError {
    type Target = Problem;
    fn deref(&self) -> &Problem {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut Problem {
        &mut self.0
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response
            .extensions_mut()
            .insert(PendingProblem(std::sync::Arc::new(self)));
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict(detail) => Self::conflict(detail),
            StoreError::Unavailable(cause) => Self::unavailable(anyhow::Error::from_boxed(cause)),
            StoreError::Internal(cause) => Self::internal(anyhow::Error::from_boxed(cause)),
            StoreError::KeyTaken => app::AppError::key_taken().into(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<app::need_to_know::Unknown> for ApiError {
    fn from(_: app::need_to_know::Unknown) -> Self {
        Self::not_found()
    }
}

/// The status that presents each kind of refusal.
pub fn status_of(class: ErrorClass) -> StatusCode {
    match class {
        ErrorClass::Malformed => StatusCode::BAD_REQUEST,
        ErrorClass::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorClass::Forbidden => StatusCode::FORBIDDEN,
        ErrorClass::NotFound => StatusCode::NOT_FOUND,
        ErrorClass::Conflict => StatusCode::CONFLICT,
        ErrorClass::Stale => StatusCode::PRECONDITION_FAILED,
        ErrorClass::VersionRequired => StatusCode::PRECONDITION_REQUIRED,
        ErrorClass::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorClass::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorClass::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
        ErrorClass::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorClass::Throttled => StatusCode::TOO_MANY_REQUESTS,
        ErrorClass::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorClass::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A use case's refusal as a problem: the one place the application's
/// errors become HTTP.
impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let r = e.into_refusal();
        Self(Box::new(Problem {
            status: status_of(r.class),
            kind: r.kind,
            title: r.title,
            detail: r.detail,
            errors: r
                .errors
                .into_iter()
                .map(|f| FieldError::new(f.field, f.code, f.message))
                .collect(),
            extensions: r.facts,
            retry_after_secs: r.retry_after_secs,
            cause: r.cause,
        }))
    }
}
