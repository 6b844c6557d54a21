//! Mentors: profiles, safer-recruitment checks, training with expiry, supervision, and the
//! compliance gate that decides whether a volunteer may be matched.

pub mod development;
pub mod dto;
pub mod routes;
pub mod rules;
pub mod service;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::list_mentors, routes::create_mentor))
        .routes(routes!(routes::get_mentor, routes::update_mentor))
        .routes(routes!(routes::list_checks, routes::create_check))
        .routes(routes!(development::list_training, development::create_training))
        .routes(routes!(routes::get_compliance))
        .routes(routes!(development::list_supervision, development::create_supervision))
        .routes(routes!(development::list_courses, development::create_course))
        .routes(routes!(routes::expiring))
}
