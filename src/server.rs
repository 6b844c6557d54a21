//! The top floor: router assembly, the middleware stack, the OpenAPI document and the server
//! itself. It imports every capability; nothing imports it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, Method, header};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::audit;
use crate::http::middleware;
use crate::metrics::Metrics;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Trellis API", version = "1", description = "Case management for a multi-charity mentoring programme. Errors are RFC 9457 problem+json; updates need If-Match; creates accept Idempotency-Key."),
    servers((url = "/api/v1")),
    modifiers(&SecurityAddon),
    tags(
        (name = "auth", description = "Sign-in, sessions and two-factor authentication"),
        (name = "organisations", description = "The lead charity and the partner charities"),
        (name = "users", description = "Staff and volunteer accounts"),
        (name = "young_people", description = "Young people's case records, case notes and chronology"),
        (name = "referrals", description = "Referrals, decisions, allocation and possible duplicates"),
        (name = "mentors", description = "Mentors: safer recruitment, training, supervision and compliance"),
        (name = "matching", description = "Matching: explainable suggestions, the optimal plan, matches and their lifecycle, the mentor's view of her mentee"),
        (name = "outcomes", description = "Outcome measures: instruments as data, assessments scored on read, change from baseline"),
        (name = "sessions", description = "Mentoring session logs and their versions, support contacts, and contact-gap monitoring (MENTOR standard 5)"),
        (name = "safeguarding", description = "Safeguarding concerns: raise, alert the DSL, append to the chronology, break-glass, overdue acknowledgements"),
        (name = "projects", description = "Evaluation projects: the recipients of extracts, their evaluators, and the ledger of what each was released"),
        (name = "exports", description = "Anonymised record-level extracts for the independent evaluation, and their data dictionary"),
        (name = "reports", description = "Aggregate figures for the Coalition and the Youth Justice Management Board, with disclosure control; disproportionality (RRI)"),
        (name = "audit", description = "The audit trail"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The API routes under `/api/v1` and their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::auth::routes::router())
        .merge(crate::organisations::router())
        .merge(crate::users::router())
        .merge(crate::young_people::router())
        .merge(crate::referrals::router())
        .merge(crate::mentors::router())
        .merge(crate::matches::router())
        .merge(crate::outcomes::router())
        .merge(crate::sessions::router())
        .merge(crate::safeguarding::router())
        .merge(crate::projects::router())
        .merge(crate::exports::router())
        .merge(crate::reports::router())
        .merge(crate::audit::routes::router())
        .split_for_parts()
}

/// The OpenAPI document as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// The whole router with its middleware stack.
pub fn router(state: AppState) -> Router {
    let (api, spec) = api();
    let spec = Arc::new(spec);
    let spec_json = Arc::new(serde_json::to_string(&*spec).unwrap_or_default());

    // Layers run outside-in for requests: the request context (id, timeout, headers,
    // metrics, log line) wraps everything; authentication resolves the token; idempotency
    // replays a retried create before the handler runs.
    let api = api
        .route_layer(axum::middleware::from_fn(middleware::record_route))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::idempotency::layer))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::authenticate))
        .method_not_allowed_fallback(middleware::method_not_allowed);

    let docs: Router<AppState> = utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/v1/openapi-docs.json", (*spec).clone()).into();

    let mut app = Router::new()
        .nest("/api/v1", api)
        .route("/api/v1/openapi.json", get(move || serve_spec(spec_json.clone())))
        .route("/health/live", get(middleware::live))
        .route("/health/ready", get(middleware::ready))
        .merge(docs)
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes))
        // Inside the request context, so a panic's 500 still carries the request id and headers.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::request_context));
    if !state.config.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = state.config.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        app = app.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::IF_MATCH,
                    header::HeaderName::from_static("idempotency-key"),
                ])
                .expose_headers([header::ETAG, header::HeaderName::from_static("x-request-id")]),
        );
    }
    app.with_state(state)
}

async fn serve_spec(json: Arc<String>) -> axum::response::Response {
    let mut resp = axum::response::IntoResponse::into_response((*json).clone());
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

async fn metrics_handler(State(metrics): State<Arc<Metrics>>) -> String {
    metrics.render()
}

/// Serves until SIGTERM or Ctrl-C: in-flight requests finish, then the audit chain is sealed.
pub async fn serve(state: AppState, on_ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    let listener =
        tokio::net::TcpListener::bind(state.config.bind).await.map_err(|e| format!("cannot listen on {}: {e}", state.config.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mailer = Arc::new(crate::outbox::delivery::Mailer::from_config(&state.config)?);
    if !mailer.is_smtp() {
        tracing::warn!("SMTP is not configured (smtp_host): outbox messages are delivered to the log only");
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    let sequencer =
        tokio::spawn(audit::chain::run_sequencer(state.db.clone(), state.audit_wake.clone(), state.metrics.clone(), stop_rx.clone()));
    let housekeeping = tokio::spawn(crate::http::middleware::housekeeping(state.clone(), stop_rx.clone()));
    let delivery = tokio::spawn(crate::outbox::delivery::run(state.clone(), mailer, stop_rx.clone()));

    if let Some(metrics_addr) = state.config.metrics_bind {
        let ml = tokio::net::TcpListener::bind(metrics_addr).await.map_err(|e| format!("cannot listen on {metrics_addr}: {e}"))?;
        let mrouter = Router::new().route("/metrics", get(metrics_handler)).with_state(state.metrics.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _ = axum::serve(ml, mrouter)
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await;
        });
        tracing::info!(%metrics_addr, "metrics listening");
    }

    let app = router(state.clone());
    on_ready(addr);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("shutting down: sealing the audit chain");
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), sequencer).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), housekeeping).await;
    // A pass in progress finishes its current messages; anything unsent stays in the outbox.
    let _ = tokio::time::timeout(Duration::from_secs(30), delivery).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
