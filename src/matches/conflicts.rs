//! Conflicts of interest a mentor has declared: young people she may not be matched with.
//! HTTP only; they are vetting records, so the mentor's own are not hers to read.

use super::dto::*;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::Action;
use crate::entities::{mentor_conflict, mentor_profile, young_person};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiJson, IdPath};
use crate::http::problems::{InvalidFields, JsonBody, Refused, SignedIn};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use uuid::Uuid;

/// Conflicts of interest are vetting records: the mentor's own are not hers to read.
pub async fn load_mentor(state: &AppState, me: &CurrentUser, id: Uuid) -> Result<mentor_profile::Model, ApiError> {
    crate::mentors::service::load(state, me, id, Action::MentorsChecks).await
}

pub fn conflict_view(state: &AppState, c: mentor_conflict::Model) -> Result<ConflictView, ApiError> {
    Ok(ConflictView {
        id: c.id,
        mentor_id: c.mentor_id,
        young_person_id: c.young_person_id,
        reason: state.keys.fields.open("mentor_conflicts", "reason", &c.id, &c.reason)?,
        declared_on: c.declared_on,
        recorded_by: c.recorded_by,
        recorded_at: c.recorded_at,
    })
}

/// Conflicts of interest she has declared: young people she may not be matched with.
#[utoipa::path(get, path = "/mentors/{id}/conflicts", tag = "matching", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = ConflictList),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn list_conflicts(State(state): State<AppState>, me: CurrentUser, IdPath(id): IdPath) -> Result<Json<ConflictList>, ApiError> {
    let p = load_mentor(&state, &me, id).await?;
    let rows = mentor_conflict::Entity::find()
        .filter(mentor_conflict::Column::MentorId.eq(p.user_id))
        .order_by_asc(mentor_conflict::Column::Id)
        .all(&state.db)
        .await?;
    let items = rows.into_iter().map(|c| conflict_view(&state, c)).collect::<Result<Vec<_>, _>>()?;
    state.audit_read(&me, Event::new("mentor.conflicts_read", "mentor").resource(p.user_id, Some(p.organisation_id))).await?;
    Ok(Json(ConflictList { items }))
}

/// Record a conflict of interest she has declared with a young person.
#[utoipa::path(post, path = "/mentors/{id}/conflicts", tag = "matching", security(("bearer" = [])), request_body = CreateConflict,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = ConflictView),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn create_conflict(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CreateConflict>,
) -> Result<(StatusCode, Json<ConflictView>), ApiError> {
    let p = load_mentor(&state, &me, id).await?;
    let now = state.now();
    if body.declared_on > now.date_naive() {
        return Err(ApiError::field("declared_on", "in_future", "This date is in the future."));
    }
    // The young person must be one the recorder may see: no probing for ids.
    let yp = young_person::Entity::find_by_id(body.young_person_id).one(&state.db).await?;
    let visible = match &yp {
        Some(yp) => state.allows(&me, Action::YoungPeopleRead, &crate::young_people::resource(yp), &[]),
        None => false,
    };
    if !visible {
        return Err(ApiError::field("young_person_id", "not_found", "There is no such young person."));
    }
    let id = Uuid::now_v7();
    let mut txn = state.write(&me).await?;
    let c = mentor_conflict::ActiveModel {
        id: Set(id),
        mentor_id: Set(p.user_id),
        young_person_id: Set(body.young_person_id),
        organisation_id: Set(p.organisation_id),
        reason: Set(state.keys.fields.seal("mentor_conflicts", "reason", &id, &body.reason)?),
        declared_on: Set(body.declared_on),
        recorded_by: Set(me.id()),
        recorded_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.audit(
        Event::new("mentor.conflict_declared", "mentor")
            .resource(p.user_id, Some(p.organisation_id))
            .about(body.young_person_id)
            .detail(json!({"young_person_id": body.young_person_id})),
    );
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(conflict_view(&state, c)?)))
}
