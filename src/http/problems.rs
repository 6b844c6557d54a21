//! The problem responses many operations share, declared once for the OpenAPI document:
//! `SignedIn` for every operation that needs a session, `JsonBody` for every operation that
//! reads a JSON body, `Refused` for every operation the policies may refuse. An operation
//! lists only its own particular answers (404, 409, 412, 422, 428) beside these.
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
