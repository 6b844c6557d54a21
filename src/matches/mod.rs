//! Matches between a mentor and a young person: suggestions, the optimal plan, the match
//! lifecycle, and the mentor's reduced view of her mentee.

pub mod dto;
pub mod routes;
pub mod rules;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::app::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::suggestions))
        .routes(routes!(routes::plan))
        .routes(routes!(routes::list_matches, routes::create_match))
        .routes(routes!(routes::get_match, routes::update_match))
        .routes(routes!(routes::transition))
        .routes(routes!(routes::mentee_view))
        .routes(routes!(routes::list_conflicts, routes::create_conflict))
}

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::matching;

/// Statuses of a match in which the mentor works with her mentee.
pub const WORKING: &[&str] = &["introduced", "active", "paused"];

/// Whether `mentor_id` mentors `young_person_id` now (a match introduced, active or paused).
pub async fn mentor_of<C: ConnectionTrait>(conn: &C, mentor_id: Uuid, young_person_id: Uuid) -> Result<bool, DbErr> {
    let n = matching::Entity::find()
        .filter(matching::Column::MentorId.eq(mentor_id))
        .filter(matching::Column::YoungPersonId.eq(young_person_id))
        .filter(matching::Column::Status.is_in(WORKING.iter().copied()))
        .count(conn)
        .await?;
    Ok(n > 0)
}
