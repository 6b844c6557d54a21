//! Matches between a mentor and a young person: suggestions, the optimal plan, the match
//! lifecycle, and the mentor's reduced view of her mentee.

pub mod conflicts;
pub mod dto;
pub mod routes;
pub mod rules;
pub mod service;
pub mod suggest;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(suggest::suggestions))
        .routes(routes!(suggest::plan))
        .routes(routes!(routes::list_matches, routes::create_match))
        .routes(routes!(routes::get_match, routes::update_match))
        .routes(routes!(routes::transition))
        .routes(routes!(routes::mentee_view))
        .routes(routes!(conflicts::list_conflicts, conflicts::create_conflict))
}

/// Whether a mentor mentors a young person now, and the match statuses that count: the
/// access door's, since her access follows from it.
pub use crate::access::{WORKING, mentor_of};
