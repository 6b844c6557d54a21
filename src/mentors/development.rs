//! A mentor's development: the training catalogue, her training records with their expiry,
//! and supervision (MENTOR standard 5). HTTP only; compliance is worked out in service.rs.

use super::dto::*;
use super::service::{audit_write, not_future};
use super::service::{load, new_course};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::json::JsonText;
use crate::entities::{supervision, training_course, training_record};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiJson, IdPath};
use crate::http::problems::{InvalidFields, JsonBody, Refused, SignedIn};
use crate::state::AppState;
use crate::young_people::{open_opt, seal_opt};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

pub fn course_view(c: &training_course::Model) -> CourseView {
    CourseView {
        id: c.id,
        name: c.name.clone(),
        mandatory: c.mandatory,
        hours: c.hours,
        validity_months: c.validity_months,
        available_from: c.available_from,
    }
}

/// The training catalogue.
#[utoipa::path(get, path = "/training-courses", tag = "mentors", security(("bearer" = [])),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = CourseList)))]
pub async fn list_courses(State(state): State<AppState>, me: CurrentUser) -> Result<Json<CourseList>, ApiError> {
    state.authorize(&me, Action::CoursesList, &Resource::Programme, &[]).await?;
    let rows = training_course::Entity::find().order_by_asc(training_course::Column::Name).all(&state.db).await?;
    Ok(Json(CourseList { items: rows.iter().map(course_view).collect() }))
}

/// Add a course to the catalogue (programme admins).
#[utoipa::path(post, path = "/training-courses", tag = "mentors", security(("bearer" = [])), request_body = CreateCourse,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = CourseView),
        (status = 409, description = "A course with this name exists", body = Problem, content_type = "application/problem+json")))]
pub async fn create_course(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateCourse>,
) -> Result<(StatusCode, Json<CourseView>), ApiError> {
    state.authorize(&me, Action::CoursesCreate, &Resource::Programme, &[]).await?;
    let now = state.now();
    let mut txn = state.write(&me).await?;
    let c = new_course(
        body.name.trim(),
        body.mandatory,
        body.hours,
        body.validity_months,
        body.available_from.unwrap_or(now.date_naive()),
        now,
    )
    .insert(&txn)
    .await
    .map_err(ApiError::conflict_if_duplicate("A course with this name already exists."))?;
    txn.audit(Event::new("course.created", "programme").detail(json!({"course": c.id, "mandatory": c.mandatory})));
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(course_view(&c))))
}

pub fn training_view(r: training_record::Model, course_name: String, validity_months: Option<i16>) -> TrainingView {
    TrainingView {
        id: r.id,
        mentor_id: r.mentor_id,
        course_id: r.course_id,
        course_name,
        completed_on: r.completed_on,
        expires_on: expiry(r.completed_on, validity_months),
        hours: r.hours,
        provider: r.provider,
        evidence_ref: r.evidence_ref,
        recorded_at: r.recorded_at,
    }
}

pub fn expiry(completed: NaiveDate, validity: Option<i16>) -> Option<NaiveDate> {
    validity.and_then(|m| completed.checked_add_months(chrono::Months::new(m.max(0) as u32)))
}

/// Her training records, newest first, each with its expiry.
#[utoipa::path(get, path = "/mentors/{id}/training", tag = "mentors", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = TrainingList),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn list_training(State(state): State<AppState>, me: CurrentUser, IdPath(id): IdPath) -> Result<Json<TrainingList>, ApiError> {
    let p = load(&state, &me, id, Action::MentorsTrainingRead).await?;
    let courses: HashMap<Uuid, training_course::Model> =
        training_course::Entity::find().all(&state.db).await?.into_iter().map(|c| (c.id, c)).collect();
    let rows = training_record::Entity::find()
        .filter(training_record::Column::MentorId.eq(p.user_id))
        .order_by_desc(training_record::Column::CompletedOn)
        .all(&state.db)
        .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let c = courses.get(&r.course_id);
            training_view(r, c.map(|c| c.name.clone()).unwrap_or_default(), c.and_then(|c| c.validity_months))
        })
        .collect();
    state.audit_read(&me, Event::new("mentor.training_read", "mentor").resource(p.user_id, Some(p.organisation_id))).await?;
    Ok(Json(TrainingList { items }))
}

/// Record a completed course.
#[utoipa::path(post, path = "/mentors/{id}/training", tag = "mentors", security(("bearer" = [])), request_body = CreateTraining,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = TrainingView),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn create_training(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CreateTraining>,
) -> Result<(StatusCode, Json<TrainingView>), ApiError> {
    let p = load(&state, &me, id, Action::MentorsTrainingCreate).await?;
    let course = training_course::Entity::find_by_id(body.course_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::field("course_id", "not_found", "There is no such course."))?;
    let now = state.now();
    not_future(body.completed_on, now.date_naive(), "completed_on")?;
    if body.completed_on < course.available_from {
        return Err(ApiError::field(
            "completed_on",
            "before_course",
            format!("The course has only been available since {}.", course.available_from),
        ));
    }
    let mut txn = state.write(&me).await?;
    let r = training_record::ActiveModel {
        id: Set(Uuid::now_v7()),
        mentor_id: Set(p.user_id),
        organisation_id: Set(p.organisation_id),
        course_id: Set(course.id),
        completed_on: Set(body.completed_on),
        hours: Set(body.hours.unwrap_or(course.hours)),
        provider: Set(body.provider.trim().to_string()),
        evidence_ref: Set(body.evidence_ref.map(|e| e.trim().to_string()).filter(|e| !e.is_empty())),
        recorded_by: Set(me.id()),
        recorded_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit_write(&mut txn, "mentor.training_recorded", &p, json!({"course": course.id, "record": r.id}));
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(training_view(r, course.name.clone(), course.validity_months))))
}

/// Her supervision record. A mentor reading her own does not see the coordinator's notes.
#[utoipa::path(get, path = "/mentors/{id}/supervision", tag = "mentors", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = SupervisionList),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn list_supervision(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<Json<SupervisionList>, ApiError> {
    let p = load(&state, &me, id, Action::MentorsSupervisionRead).await?;
    let own = me.id() == p.user_id;
    let rows = supervision::Entity::find()
        .filter(supervision::Column::MentorId.eq(p.user_id))
        .order_by_desc(supervision::Column::HeldOn)
        .all(&state.db)
        .await?;
    let mut items = Vec::new();
    for s in rows {
        let notes = if own { None } else { open_opt(&state, "supervisions", "private_notes", &s.id, s.private_notes.as_deref())? };
        items.push(SupervisionView {
            id: s.id,
            mentor_id: s.mentor_id,
            coordinator_id: s.coordinator_id,
            held_on: s.held_on,
            minutes: s.minutes,
            topics: s.topics.to_vec(),
            concern_discussed: s.concern_discussed,
            concern_id: s.concern_id,
            private_notes: notes,
            recorded_at: s.recorded_at,
        });
    }
    state.audit_read(&me, Event::new("mentor.supervision_read", "mentor").resource(p.user_id, Some(p.organisation_id))).await?;
    Ok(Json(SupervisionList { items }))
}

/// Record a supervision session.
#[utoipa::path(post, path = "/mentors/{id}/supervision", tag = "mentors", security(("bearer" = [])), request_body = CreateSupervision,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = SupervisionView),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a `concern_id` that names no concern of her charity", body = Problem, content_type = "application/problem+json")))]
pub async fn create_supervision(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CreateSupervision>,
) -> Result<(StatusCode, Json<SupervisionView>), ApiError> {
    let p = load(&state, &me, id, Action::MentorsSupervisionCreate).await?;
    let now = state.now();
    not_future(body.held_on, now.date_naive(), "held_on")?;
    // A concern discussed in supervision is one of her charity's: the same answer whether it
    // does not exist or is another charity's, so nothing is learnt about other charities.
    // The young person the concern is about: the supervision's audit event names her.
    let mut about = None;
    if let Some(cid) = body.concern_id {
        match crate::entities::concern::Entity::find_by_id(cid).one(&state.db).await? {
            Some(c) if c.organisation_id == p.organisation_id => about = Some(c.young_person_id),
            _ => return Err(ApiError::field("concern_id", "not_found", "There is no such concern in this mentor's charity.")),
        }
    }
    let sid = Uuid::now_v7();
    let mut txn = state.write(&me).await?;
    let s = supervision::ActiveModel {
        id: Set(sid),
        mentor_id: Set(p.user_id),
        organisation_id: Set(p.organisation_id),
        coordinator_id: Set(me.id()),
        held_on: Set(body.held_on),
        minutes: Set(body.minutes),
        topics: Set(JsonText::of(&body.topics)?),
        concern_discussed: Set(body.concern_discussed || body.concern_id.is_some()),
        concern_id: Set(body.concern_id),
        private_notes: Set(seal_opt(&state, "supervisions", "private_notes", &sid, body.private_notes.as_deref())?),
        recorded_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.audit(
        Event::new("mentor.supervision_recorded", "mentor")
            .resource(p.user_id, Some(p.organisation_id))
            .about_all(about)
            .detail(json!({"supervision": s.id})),
    );
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(SupervisionView {
            id: s.id,
            mentor_id: s.mentor_id,
            coordinator_id: s.coordinator_id,
            held_on: s.held_on,
            minutes: s.minutes,
            topics: body.topics,
            concern_discussed: s.concern_discussed,
            concern_id: s.concern_id,
            private_notes: body.private_notes.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
            recorded_at: s.recorded_at,
        }),
    ))
}
