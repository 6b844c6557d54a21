//! The lead charity and the partner charities, with the districts each covers.

pub mod dto;
pub mod routes;
pub mod service;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::list_organisations, routes::create_organisation))
        .routes(routes!(routes::get_organisation, routes::update_organisation))
}
