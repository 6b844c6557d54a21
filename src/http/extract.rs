//! Extractors whose rejections are problem+json: malformed JSON is 400; a wrong type, a
//! missing or unknown field, or a failed validation is 422 naming the field; a body over
//! the limit is 413; a malformed id in the path is 404.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldError};

/// A JSON body, deserialized strictly and validated.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Validate> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest("The request body could not be read.".into())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses and validates a JSON body (shared with the idempotency layer's tests).
pub fn parse_json<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("The body is not valid JSON (line {}, column {}).", e.line(), e.column())))?;
    // Every body is an object: serde would otherwise read a struct from an array too.
    if !value.is_object() {
        return Err(ApiError::field("body", "invalid_type", "The body must be a JSON object."));
    }
    if let Some(field) = control_character(&value, "") {
        return Err(ApiError::field(&field, "control_character", "Text may not contain control characters."));
    }
    let parsed: T = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ApiError::Validation(vec![describe_serde_error(&path, &e.inner().to_string())])
    })?;
    parsed.validate().map_err(|e| ApiError::Validation(flatten(&e, "")))?;
    Ok(parsed)
}

/// The path of the first string holding a control character other than tab and newline
/// (PostgreSQL cannot store NUL, and none of them belongs in a record).
fn control_character(value: &serde_json::Value, path: &str) -> Option<String> {
    let at = |key: &str| {
        if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
    };
    match value {
        serde_json::Value::String(s) => has_control(s).then(|| path.to_string()),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| control_character(v, &format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => {
            map.iter().find_map(|(k, v)| if has_control(k) { Some(path.to_string()) } else { control_character(v, &at(k)) })
        }
        _ => None,
    }
}

pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
}

/// A validator for text that must hold something besides spaces.
pub fn not_blank(s: &str) -> Result<(), validator::ValidationError> {
    if s.trim().is_empty() {
        return Err(validator::ValidationError::new("blank").with_message("This may not be blank.".into()));
    }
    Ok(())
}

/// Turns serde's message into a field error without echoing the client's value.
fn describe_serde_error(path: &str, message: &str) -> FieldError {
    // serde_path_to_error's path stops at the parent for a missing field but already names
    // an unknown one; either way the result names the field once.
    let join = |name: &str| {
        if path.is_empty() || path == "." {
            name.to_string()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    let backticked = || message.split('`').nth(1).unwrap_or("").to_string();
    let expected = message.rsplit_once(", expected ").map(|(_, e)| e.to_string()).unwrap_or_default();
    let field = if path == "." { String::new() } else { path.to_string() };
    if message.starts_with("missing field") {
        FieldError::new(join(&backticked()), "required", "This field is required.")
    } else if message.starts_with("unknown field") {
        FieldError::new(join(&backticked()), "unknown_field", "This field is not accepted here.")
    } else if message.starts_with("unknown variant") {
        FieldError::new(field, "invalid_choice", format!("Must be one of: {expected}."))
    } else if message.starts_with("invalid type") {
        FieldError::new(field, "invalid_type", format!("Expected {expected}."))
    } else if message.starts_with("invalid length") {
        FieldError::new(field, "invalid_length", format!("Expected {expected}."))
    } else if message.starts_with("invalid value") {
        FieldError::new(field, "invalid_value", format!("Expected {expected}."))
    } else if message.starts_with("duplicate field") {
        FieldError::new(join(&backticked()), "duplicate_field", "This field appears twice.")
    } else {
        FieldError::new(field, "invalid", "This value is not valid here.")
    }
}

/// Flattens validator's nested errors into dotted field paths.
pub fn flatten(errors: &ValidationErrors, prefix: &str) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e.message.as_ref().map(|m| m.to_string()).unwrap_or_else(|| default_message(&e.code));
                    out.push(FieldError::new(name.clone(), &e.code, message));
                }
            }
            ValidationErrorsKind::Struct(inner) => out.extend(flatten(inner, &name)),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    out.extend(flatten(inner, &format!("{name}[{i}]")));
                }
            }
        }
    }
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn default_message(code: &str) -> String {
    match code {
        "length" => "The length is outside what is allowed.".into(),
        "email" => "This is not a valid e-mail address.".into(),
        "range" => "The value is outside what is allowed.".into(),
        _ => "This value is not valid.".into(),
    }
}

/// Query parameters, deserialized strictly (unknown parameters are refused).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Validate> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        if let Some((k, _)) = form_urlencoded::parse(query.as_bytes()).find(|(k, v)| has_control(k) || has_control(v)) {
            return Err(ApiError::field(&k, "control_character", "Parameters may not contain control characters."));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        let parsed: T = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            ApiError::Validation(vec![describe_serde_error(&path, &e.inner().to_string())])
        })?;
        parsed.validate().map_err(|e| ApiError::Validation(flatten(&e, "")))?;
        Ok(ApiQuery(parsed))
    }
}

/// A record id from the path; anything that is not a UUID names no record, so 404.
pub struct IdPath(pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state).await.map_err(|_| ApiError::NotFound)?;
        uuid::Uuid::parse_str(&raw).map(IdPath).map_err(|_| ApiError::NotFound)
    }
}

/// Two record ids from the path (a record and one of its parts); either not a UUID is 404.
pub struct IdsPath(pub uuid::Uuid, pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdsPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state).await.map_err(|_| ApiError::NotFound)?;
        match (uuid::Uuid::parse_str(&a), uuid::Uuid::parse_str(&b)) {
            (Ok(a), Ok(b)) => Ok(IdsPath(a, b)),
            _ => Err(ApiError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[validate(length(min = 1, max = 5))]
        name: String,
        #[allow(dead_code)]
        count: u32,
    }

    fn fields(e: ApiError) -> Vec<(String, String)> {
        match e {
            ApiError::Validation(v) => v.into_iter().map(|f| (f.field, f.code)).collect(),
            other => vec![("?".into(), format!("{other:?}"))],
        }
    }

    #[test]
    fn each_kind_of_bad_body_names_its_field() {
        assert!(matches!(parse_json::<Body>(b"{not json"), Err(ApiError::BadRequest(_))));
        assert_eq!(fields(parse_json::<Body>(br#"{"name":"a"}"#).unwrap_err()), vec![("count".into(), "required".into())]);
        assert_eq!(fields(parse_json::<Body>(br#"{"name":"a","count":"x"}"#).unwrap_err()), vec![("count".into(), "invalid_type".into())]);
        assert_eq!(
            fields(parse_json::<Body>(br#"{"name":"a","count":1,"role":"x"}"#).unwrap_err()),
            vec![("role".into(), "unknown_field".into())]
        );
        assert_eq!(fields(parse_json::<Body>(br#"{"name":"toolong","count":1}"#).unwrap_err()), vec![("name".into(), "length".into())]);
        assert!(parse_json::<Body>(br#"{"name":"ok","count":1}"#).is_ok());
    }
}
