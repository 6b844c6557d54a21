//! The outermost middleware (request id, timeout, security headers, metrics, one log
//! line per request), the fallbacks, health checks and periodic housekeeping.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::context::{self, RequestContext};
use crate::error::ApiError;
use crate::state::AppState;

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

pub async fn request_context(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let ctx = RequestContext {
        request_id: context::request_id(),
        path: req.uri().path().chars().take(512).collect(),
        client_addr: context::client_addr(&req, state.config.trust_proxy),
    };
    let method = req.method().clone();
    let is_docs = ctx.path.starts_with("/api/docs");
    let request_id = ctx.request_id.clone();
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let mut resp = context::scope(ctx.clone(), async move {
        match tokio::time::timeout(timeout, next.run(req)).await {
            Ok(resp) => resp,
            Err(_) => ApiError::Timeout.into_response(),
        }
    })
    .await;

    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    // A handler may set a narrower page policy of its own (the printable report's inline
    // styles); every other answer gets the API's.
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(if is_docs { DOCS_CSP } else { API_CSP }));

    let route = resp.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let status = resp.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    state.metrics.record_response(status, micros);
    // The route template, never the concrete path or query: those can carry identifiers.
    tracing::info!(
        request_id = %request_id,
        method = %method,
        route = route.as_deref().unwrap_or("-"),
        status,
        micros,
        "request"
    );
    resp
}

/// Copies the matched route template onto the response, for the request log line (the
/// outer middleware runs before routing and cannot see it).
pub async fn record_route(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    if let Some(m) = matched {
        resp.extensions_mut().insert(m);
    }
    resp
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::Internal("panic".into()).into_response()
}

/// Liveness: the process answers.
pub async fn live() -> &'static str {
    "ok"
}

/// Readiness: the database answers and every migration is applied.
pub async fn ready(State(state): State<AppState>) -> Response {
    let db_ok = state.db.execute_unprepared("SELECT 1").await.is_ok();
    let pending = crate::db::pending_migrations(&state.db).await.ok();
    let ready = db_ok && pending == Some(0);
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "database": db_ok,
        "pending_migrations": pending,
    });
    let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, axum::Json(body)).into_response()
}

/// Every minute: forget sign-in attempts older than a day and idempotency keys older than
/// 24 hours, and delete sessions that ended more than a day ago.
pub async fn housekeeping(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = stop.changed() => return,
        }
        let day_ago = state.now() - chrono::Duration::hours(24);
        use crate::entities::{idempotency_key as ik, login_attempt as la, session as s};
        let results = [
            la::Entity::delete_many().filter(la::Column::AttemptedAt.lt(day_ago)).exec(&state.db).await.err(),
            ik::Entity::delete_many().filter(ik::Column::CreatedAt.lt(day_ago)).exec(&state.db).await.err(),
            s::Entity::delete_many().filter(s::Column::ExpiresAt.lt(day_ago)).exec(&state.db).await.err(),
        ];
        for e in results.into_iter().flatten() {
            tracing::warn!(error = %e, "housekeeping failed");
        }
    }
}
