//! Record-level evaluation extracts: pseudonymised, k-anonymous, streamed; and their data
//! dictionary.

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::app::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
}
