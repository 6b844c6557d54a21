//! `Idempotency-Key` for creates. A signed-in user's POST with a key is recorded before it
//! runs; a retry with the same key and body within 24 hours gets the first response back
//! (and creates nothing); the same key with another body is 422; a retry while the first is
//! still running is 409. Mentors on bad phone connections can retry safely.
//!
//! Only a successful (2xx) answer is kept: a refused or failed request leaves the key free,
//! so a phone that resends a corrected form under the same key is heard. A replay is asked
//! again, through the access door, every permission the first request was granted, of the
//! records as they are now (a coordinator whose charity no longer holds the record gets 404),
//! and is audited as a read.
//!
//! The stored response is sealed with the field key (it may hold personal data), and the
//! sign-in routes are left out: their answers hold tokens and TOTP secrets, which must never
//! be stored. A claim whose request never finished (a timeout, a dropped connection) is
//! treated as abandoned once the request timeout has passed.

use axum::body::{Body, to_bytes};
use axum::extract::FromRequestParts;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::access;
use crate::audit::Event;
use crate::auth::{Authenticated, CurrentUser};
use crate::crypto::hex;
use crate::entities::idempotency_key as ik;
use crate::error::ApiError;
use crate::state::AppState;

const HEADER: &str = "idempotency-key";
const TABLE: &str = "idempotency_keys";
const COLUMN: &str = "response_body";
/// Response headers worth replaying.
const KEPT_HEADERS: &[&str] = &["content-type", "etag", "location"];

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match handle(state, req, next).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn handle(state: AppState, req: Request, next: Next) -> Result<Response, ApiError> {
    let key = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_string));
    let user = req.extensions().get::<Authenticated>().map(|a| a.user.id);
    let (Some(key), Some(user_id), &Method::POST) = (key, user, req.method()) else {
        return Ok(next.run(req).await);
    };
    // Sign-in answers hold tokens and secrets that must never be stored; break-glass must be
    // authorized, audited and told to the DSL every time it opens a concern, never replayed.
    if req.uri().path().contains("/auth/") || req.uri().path().ends_with("/break-glass") {
        return Ok(next.run(req).await);
    }
    let key = key
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| ApiError::field("Idempotency-Key", "invalid", "Use a key of 1 to 200 visible characters, such as a UUID."))?;

    let (mut parts, body) = req.into_parts();
    let bytes = to_bytes(body, state.config.body_limit_bytes).await.map_err(|_| ApiError::PayloadTooLarge)?;
    let mut h = Sha256::new();
    h.update(parts.method.as_str().as_bytes());
    h.update(b"\n");
    h.update(parts.uri.path().as_bytes());
    h.update(b"\n");
    h.update(&bytes);
    let request_hash = hex(&h.finalize());
    let now = state.now();

    if let Some(existing) =
        ik::Entity::find().filter(ik::Column::UserId.eq(user_id)).filter(ik::Column::Key.eq(key.clone())).one(&state.db).await?
    {
        let abandoned =
            existing.status_code.is_none() && existing.created_at + Duration::seconds(state.config.request_timeout_secs as i64 + 5) < now;
        if existing.created_at + Duration::hours(24) > now && !abandoned {
            return replay(&state, &mut parts, existing, &request_hash).await;
        }
        ik::Entity::delete_by_id(existing.id).exec(&state.db).await?;
    }

    let id = Uuid::now_v7();
    let inserted = ik::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        key: Set(key.clone()),
        request_hash: Set(request_hash.clone()),
        status_code: Set(None),
        response_headers: Set(None),
        response_body: Set(None),
        created_at: Set(now),
        grants: Set(None),
    }
    .insert(&state.db)
    .await;
    if let Err(e) = inserted {
        // Another request with this key got there first.
        if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            let existing = ik::Entity::find()
                .filter(ik::Column::UserId.eq(user_id))
                .filter(ik::Column::Key.eq(key))
                .one(&state.db)
                .await?
                .ok_or(ApiError::conflict("A request with this Idempotency-Key is in progress."))?;
            return replay(&state, &mut parts, existing, &request_hash).await;
        }
        return Err(e.into());
    }

    let (resp, grants) = access::granted_during(next.run(Request::from_parts(parts, Body::from(bytes)))).await;
    let status = resp.status();
    if !status.is_success() {
        // Refused, invalid or failed: nothing was created (the transaction rolled back), so
        // the key stays free for the corrected request.
        ik::Entity::delete_by_id(id).exec(&state.db).await?;
        return Ok(resp);
    }
    let (rparts, rbody) = resp.into_parts();
    let rbytes = to_bytes(rbody, usize::MAX).await.map_err(ApiError::internal)?;
    let kept: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| rparts.headers.get(*name).and_then(|v| v.to_str().ok()).map(|v| (name.to_string(), v.to_string())))
        .collect();
    let sealed = state.keys.fields.seal(TABLE, COLUMN, &id, &String::from_utf8_lossy(&rbytes))?;
    ik::Entity::update_many()
        .col_expr(ik::Column::StatusCode, Expr::value(status.as_u16() as i32))
        .col_expr(ik::Column::ResponseHeaders, Expr::value(serde_json::to_string(&kept).map_err(ApiError::internal)?))
        .col_expr(ik::Column::ResponseBody, Expr::value(sealed))
        .col_expr(ik::Column::Grants, Expr::value(serde_json::to_string(&grants).map_err(ApiError::internal)?))
        .filter(ik::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    Ok(Response::from_parts(rparts, Body::from(rbytes)))
}

async fn replay(state: &AppState, parts: &mut Parts, existing: ik::Model, request_hash: &str) -> Result<Response, ApiError> {
    if existing.request_hash != request_hash {
        return Err(ApiError::IdempotencyMismatch);
    }
    let Some(code) = existing.status_code else {
        return Err(ApiError::conflict("A request with this Idempotency-Key is still in progress; retry shortly."));
    };
    // Asked again as a new request would be: the same caller, a full session, and every
    // permission the first request was granted, of the records as they are now.
    let me = CurrentUser::from_request_parts(parts, state).await?;
    let Some(grants) = existing.grants.as_deref() else {
        return Err(ApiError::conflict(
            "This Idempotency-Key was used before an upgrade and its answer cannot be checked again; look for the record instead of resending.",
        ));
    };
    let grants: Vec<access::Grant> = ApiError::stored_json(grants, TABLE, "grants", existing.id)?;
    let subjects = access::reauthorize(state, &me, &grants).await?;
    state.audit_read(&me, Event::new("request.replayed", "idempotency_key").about_all(subjects).detail(json!({"status": code}))).await?;
    let status = StatusCode::from_u16(code as u16).map_err(ApiError::internal)?;
    let mut headers = HeaderMap::new();
    let kept: Vec<(String, String)> =
        ApiError::stored_json(existing.response_headers.as_deref().unwrap_or("[]"), TABLE, "response_headers", existing.id)?;
    for (name, value) in kept {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            headers.insert(n, v);
        }
    }
    headers.insert(HeaderName::from_static("idempotent-replayed"), HeaderValue::from_static("true"));
    let body = match existing.response_body.as_deref() {
        Some(sealed) => state.keys.fields.open(TABLE, COLUMN, &existing.id, sealed)?,
        None => String::new(),
    };
    Ok((status, headers, body).into_response())
}
