//! The problem responses many operations share, declared once for the OpenAPI document:
//! `SignedIn` for every operation that needs a session, `JsonBody` for every operation that
//! reads a JSON body, `Refused` for every operation the policies may refuse, `Versioned`
//! (412, 428) for every update that takes `If-Match`, and `InvalidFields` and
//! `InvalidParameters` (422) where the body or the query fails validation. An operation
//! lists only its own particular answers (404, 409, a 422 it explains) beside these.
//! They are documentation types: the answers themselves are `ApiError`s.

use utoipa::IntoResponses;

use crate::error::Problem;

#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum SignedIn {
    #[response(status = 401, description = "Not signed in", content_type = "application/problem+json")]
    Unauthenticated(Problem),
}

#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum JsonBody {
    #[response(status = 400, description = "Malformed JSON", content_type = "application/problem+json")]
    Malformed(Problem),
    #[response(status = 413, description = "Body too large", content_type = "application/problem+json")]
    TooLarge(Problem),
    #[response(status = 415, description = "Not JSON", content_type = "application/problem+json")]
    NotJson(Problem),
}

#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Refused {
    #[response(status = 403, description = "Not allowed", content_type = "application/problem+json")]
    Forbidden(Problem),
}

/// Every update that takes `If-Match` (the ETag of the version it changes).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Versioned {
    #[response(status = 412, description = "Stale If-Match", content_type = "application/problem+json")]
    Stale(Problem),
    #[response(status = 428, description = "If-Match missing", content_type = "application/problem+json")]
    Missing(Problem),
}

/// A body whose fields fail validation (each problem names its field).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum InvalidFields {
    #[response(status = 422, description = "Invalid fields", content_type = "application/problem+json")]
    Invalid(Problem),
}

/// Query parameters that fail validation (each problem names its parameter).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum InvalidParameters {
    #[response(status = 422, description = "Invalid parameters", content_type = "application/problem+json")]
    Invalid(Problem),
}
