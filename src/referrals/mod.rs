//! Referrals: intake, eligibility, consent, decisions, allocation between charities, and the
//! review of possible duplicates.

pub mod allocation;
pub mod dto;
pub mod duplicates;
pub mod routes;
pub mod rules;
pub mod service;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::list_referrals, routes::create_referral))
        .routes(routes!(routes::get_referral, routes::update_referral))
        .routes(routes!(routes::transition))
        .routes(routes!(allocation::allocate))
        .routes(routes!(routes::reopen))
        .routes(routes!(duplicates::list_duplicates))
        .routes(routes!(duplicates::resolve_duplicate))
}
