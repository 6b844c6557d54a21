//! Young people's case records: the record itself, its case notes and its chronology.

pub mod codes;
pub mod dto;
pub mod notes;
pub mod routes;
pub mod rules;
pub mod service;

use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::young_person;
use crate::error::ApiError;
use crate::{access::Deny, state::AppState};

pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::list_young_people, routes::create_young_person_route))
        .routes(routes!(routes::get_young_person, routes::update_young_person))
        .routes(routes!(notes::list_notes, notes::create_note))
        .routes(routes!(notes::chronology))
}

pub fn resource(yp: &young_person::Model) -> Resource {
    Resource::YoungPerson { id: yp.id, organisation_id: yp.organisation_id }
}

/// Loads a young person the caller may read (404 otherwise, so a refusal does not confirm
/// that she exists), then checks `action` (403).
pub async fn load(state: &AppState, me: &CurrentUser, id: Uuid, action: Action) -> Result<young_person::Model, ApiError> {
    use sea_orm::EntityTrait;
    let yp = young_person::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    let read = if matches!(action, Action::NotesList) { Action::NotesList } else { Action::YoungPeopleRead };
    state.authorize_as(me, read, &resource(&yp), &[], Deny::NotFound).await?;
    if action != read {
        state.authorize_as(me, action, &resource(&yp), &[], Deny::Forbidden).await?;
        if let Some(into) = yp.merged_into {
            return Err(merged(into));
        }
    }
    Ok(yp)
}

/// A merged record is kept for the history but takes no new information.
pub fn merged(into: Uuid) -> ApiError {
    ApiError::conflict(format!("This record was merged into {into} as a duplicate; add to that record instead."))
}

/// Re-reads a young person inside a write transaction and checks she is still where the
/// caller was authorized to act (an allocation or merge may have moved her meanwhile).
pub async fn still_owned<C: sea_orm::ConnectionTrait>(conn: &C, yp: &young_person::Model) -> Result<young_person::Model, ApiError> {
    use sea_orm::EntityTrait;
    let fresh = young_person::Entity::find_by_id(yp.id).one(conn).await?.ok_or(ApiError::NotFound)?;
    if let Some(into) = fresh.merged_into {
        return Err(merged(into));
    }
    if fresh.organisation_id != yp.organisation_id {
        return Err(ApiError::conflict("Her record moved to another charity while this was being done; read it again."));
    }
    Ok(fresh)
}

/// Seals optional free text for its place.
pub fn seal_opt(state: &AppState, table: &str, column: &str, id: &Uuid, text: Option<&str>) -> Result<Option<String>, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Ok(Some(state.keys.fields.seal(table, column, id, t)?)),
        None => Ok(None),
    }
}

pub fn open_opt(state: &AppState, table: &str, column: &str, id: &Uuid, sealed: Option<&str>) -> Result<Option<String>, ApiError> {
    match sealed {
        Some(s) => Ok(Some(state.keys.fields.open(table, column, id, s)?)),
        None => Ok(None),
    }
}
