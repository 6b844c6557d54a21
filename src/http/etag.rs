//! Optimistic concurrency: responses carry `ETag: "<version>"`; updates must send it back
//! as `If-Match` (428 without it, 412 when it is stale), so no one's change is lost.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};

use crate::error::ApiError;

pub struct IfMatch(pub i32);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let raw = parts.headers.get(header::IF_MATCH).ok_or(ApiError::PreconditionRequired)?;
        let text = raw.to_str().map_err(|_| ApiError::PreconditionFailed)?.trim();
        let text = text.strip_prefix("W/").unwrap_or(text);
        text.trim_matches('"').parse::<i32>().map(IfMatch).map_err(|_| ApiError::PreconditionFailed)
    }
}

pub fn headers(version: i32) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        h.insert(header::ETAG, v);
    }
    h
}
