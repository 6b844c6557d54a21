//! Mentoring sessions: the mentor's session logs with every earlier version kept, the
//! coordinator's support contacts, and the contact-gaps list (MENTOR standard 5).

pub mod dto;
pub mod monitoring;
pub mod routes;
pub mod rules;
pub mod service;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::list_sessions, routes::create_session))
        .routes(routes!(routes::get_session, routes::update_session))
        .routes(routes!(routes::list_versions))
        .routes(routes!(monitoring::list_contacts, monitoring::create_contact))
        .routes(routes!(monitoring::contact_gaps))
}
