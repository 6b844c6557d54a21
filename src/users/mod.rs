//! Staff and volunteer accounts: programme admins manage everyone; a coordinator manages the
//! mentors of her own charity; nobody raises her own role or moves herself to another charity.

pub mod dto;
pub mod routes;
pub mod service;

pub use crate::entities::user::Role;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::list_users, routes::create_user))
        .routes(routes!(routes::get_user, routes::update_user))
        .routes(routes!(routes::revoke_sessions))
}
