//! The one API error type. Each variant says what the client did wrong (or that the
//! service failed); it renders as RFC 9457 `application/problem+json`. Internal detail is
//! logged with the request id and never returned: no SQL, no paths, no stack traces.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::context;

/// One problem with one field of the request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// The field, as a dotted path into the body (`districts[2]`) or the parameter name.
    pub field: String,
    /// A stable machine-readable code such as `required`, `too_long`, `invalid_email`.
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.to_string(), message: message.into() }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request path.
    pub instance: String,
    pub request_id: String,
    /// A stable machine-readable code (`mfa_required`, `validation_failed`, ...).
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a state conflict: the transitions that are allowed from here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not authenticated")]
    Unauthenticated,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("mfa code required")]
    MfaRequired,
    #[error("mfa code invalid")]
    MfaInvalid,
    #[error("mfa enrolment required")]
    MfaEnrolmentRequired,
    #[error("forbidden")]
    Forbidden,
    /// 403 with its own machine-readable code, where the refusal has a reason the client can act
    /// on (`edit_window_closed`).
    #[error("forbidden: {code}")]
    ForbiddenBecause { code: &'static str, detail: String },
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {detail}")]
    Conflict { detail: String, allowed: Option<Vec<String>> },
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("precondition required")]
    PreconditionRequired,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("idempotency key reused with another request")]
    IdempotencyMismatch,
    #[error("throttled")]
    TooManyRequests { retry_after_secs: u64, detail: String },
    #[error("request timed out")]
    Timeout,
    #[error("service unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::Conflict { detail: detail.into(), allowed: None }
    }

    /// For `map_err` on a write: a unique-constraint violation becomes 409 with `detail`
    /// (the database caught a duplicate or a race); any other database error stays as it is.
    pub fn conflict_if_duplicate(detail: &'static str) -> impl FnOnce(sea_orm::DbErr) -> Self {
        move |e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ApiError::conflict(detail),
            _ => e.into(),
        }
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }

    /// A stored value that does not parse (an unknown code, malformed JSON): logged with its
    /// table, column and row, so it can be found and mended, and answered as a server error.
    pub fn unreadable(table: &'static str, column: &'static str, id: uuid::Uuid) -> Self {
        tracing::error!(table, column, %id, "a stored value does not parse");
        ApiError::Internal(format!("unreadable value in {table}.{column}"))
    }

    /// A JSON column read back from `table`.`column` of row `id` (see [`unreadable`](Self::unreadable)).
    pub fn stored_json<T: serde::de::DeserializeOwned>(
        text: &str,
        table: &'static str,
        column: &'static str,
        id: uuid::Uuid,
    ) -> Result<T, Self> {
        serde_json::from_str(text).map_err(|_| Self::unreadable(table, column, id))
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, String) {
        use ApiError::*;
        match self {
            BadRequest(d) => (StatusCode::BAD_REQUEST, "bad_request", "Bad request", d.clone()),
            Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", "Not signed in", "Sign in and send the token as `Authorization: Bearer <token>`.".into()),
            InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials", "Sign-in failed", "The e-mail address or password is not right.".into()),
            MfaRequired => (StatusCode::UNAUTHORIZED, "mfa_required", "Authentication code required", "This account uses two-factor sign-in: send the current code from the authenticator app as `totp`.".into()),
            MfaInvalid => (StatusCode::UNAUTHORIZED, "mfa_invalid", "Authentication code not accepted", "The code is wrong, expired or has already been used; wait for the next code.".into()),
            MfaEnrolmentRequired => (StatusCode::FORBIDDEN, "mfa_enrolment_required", "Two-factor enrolment required", "Your role must use two-factor sign-in: set it up with POST /api/v1/auth/mfa/setup and /confirm first.".into()),
            Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Not allowed", "You are not allowed to do this.".into()),
            ForbiddenBecause { code, detail } => (StatusCode::FORBIDDEN, code, "Not allowed", detail.clone()),
            NotFound => (StatusCode::NOT_FOUND, "not_found", "Not found", "There is nothing here, or you cannot see it.".into()),
            MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed", "This resource does not support that method.".into()),
            Conflict { detail, .. } => (StatusCode::CONFLICT, "conflict", "Conflict", detail.clone()),
            PreconditionFailed => (StatusCode::PRECONDITION_FAILED, "stale_version", "Precondition failed", "The record has changed since you read it: fetch it again and reapply your change.".into()),
            PreconditionRequired => (StatusCode::PRECONDITION_REQUIRED, "if_match_required", "If-Match required", "Send the record's ETag as `If-Match` so no one else's change is lost.".into()),
            PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large", "The request body is larger than this service accepts.".into()),
            UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported media type", "Send the body as `Content-Type: application/json`.".into()),
            Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "Invalid request", "One or more fields are invalid; see `errors`.".into()),
            IdempotencyMismatch => (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Idempotency key reused", "This Idempotency-Key was used for a different request; use a new key.".into()),
            TooManyRequests { detail, .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "Too many requests", detail.clone()),
            Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout", "Request timed out", "The request took too long and was abandoned. It may or may not have taken effect: check before retrying, or retry with the same Idempotency-Key.".into()),
            Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", "The service cannot answer right now; try again shortly.".into()),
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Internal error", "Something went wrong on our side; it has been logged with the request id.".into()),
        }
    }
}

/// Writing a value as JSON failed: a server error (the value is ours, not the client's).
impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::Internal(format!("database: {e}"))
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(e: sea_orm::TransactionError<ApiError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

impl From<crate::crypto::CryptoError> for ApiError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        ApiError::Internal(format!("crypto: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, title, detail) = self.parts();
        let ctx = context::current();
        if let ApiError::Internal(inner) = &self {
            tracing::error!(request_id = %ctx.request_id, error = %inner, "internal error");
        }
        let (errors, allowed, retry_after) = match self {
            ApiError::Validation(errors) => (errors, None, None),
            ApiError::Conflict { allowed, .. } => (Vec::new(), allowed, None),
            ApiError::TooManyRequests { retry_after_secs, .. } => (Vec::new(), None, Some(retry_after_secs.max(1))),
            _ => (Vec::new(), None, None),
        };
        let problem = Problem {
            kind: format!("https://trellis.invalid/problems/{code}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail,
            instance: ctx.path.clone(),
            request_id: ctx.request_id.clone(),
            code: code.to_string(),
            errors,
            allowed,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut resp = (status, body).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
