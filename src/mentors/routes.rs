//! Mentor routes: HTTP only; the rules are in `rules.rs` and `policies/mentors.cedar`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use super::dto::*;
use super::rules::{self, CheckKind, MentorStatus};
use super::service::{ComplianceRecords, TABLE, check_detail, checks_of, compliance_of, load, names_of, resource};
use super::service::{audit_write, not_future};
use crate::access::scope::RecordScope;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource, Value};
use crate::db::ID_CHUNK;
use crate::entities::json::JsonText;
use crate::entities::{mentor_check, mentor_profile, user};
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, IfMatch};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn, Versioned};
use crate::state::AppState;
use crate::young_people::{open_opt, seal_opt};

fn view(state: &AppState, p: &mentor_profile::Model, u: &user::Model) -> Result<MentorView, ApiError> {
    Ok(MentorView {
        id: p.user_id,
        name: u.name.clone(),
        email: u.email.clone(),
        organisation_id: p.organisation_id,
        districts: p.districts.to_vec(),
        languages: p.languages.to_vec(),
        interests: p.interests.to_vec(),
        availability: p.availability.to_vec(),
        capacity: p.capacity,
        age_min: p.age_min,
        age_max: p.age_max,
        lived_experience: open_opt(state, TABLE, "lived_experience", &p.user_id, p.lived_experience.as_deref())?,
        recruitment_source: p.recruitment_source,
        start_date: p.start_date,
        status: p.status,
        version: p.version,
        created_at: p.created_at,
        updated_at: p.updated_at,
    })
}

async fn account(state: &AppState, id: Uuid) -> Result<user::Model, ApiError> {
    user::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)
}

/// List mentors (programme admins: all; coordinators: their charity's).
#[utoipa::path(get, path = "/mentors", tag = "mentors", security(("bearer" = [])), params(ListMentors),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = MentorPage)))]
pub async fn list_mentors(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListMentors>,
) -> Result<Json<MentorPage>, ApiError> {
    state.authorize(&me, Action::MentorsList, &Resource::Programme, &[]).await?;
    let scope = crate::access::scope::mentor_list_scope(&me.principal()).ok_or(ApiError::Forbidden)?;
    let limit = pagination::limit(q.limit);
    let mut query = mentor_profile::Entity::find().order_by_asc(mentor_profile::Column::UserId).limit(limit + 1);
    if let RecordScope::Organisation(org) = scope {
        query = query.filter(mentor_profile::Column::OrganisationId.eq(org));
    }
    if let Some(after) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(mentor_profile::Column::UserId.gt(after));
    }
    if let Some(s) = q.status {
        query = query.filter(mentor_profile::Column::Status.eq(s));
    }
    if let Some(org) = q.organisation_id {
        query = query.filter(mentor_profile::Column::OrganisationId.eq(org));
    }
    let rows = query.all(&state.db).await?;
    let ids: Vec<Uuid> = rows.iter().map(|p| p.user_id).collect();
    let users: HashMap<Uuid, user::Model> =
        user::Entity::find().filter(user::Column::Id.is_in(ids)).all(&state.db).await?.into_iter().map(|u| (u.id, u)).collect();
    let page = pagination::page(rows, limit, |p| p.user_id, |p| p);
    let shown = state.visible(&me, Action::MentorsRead, page.items, resource);
    let mut items = Vec::new();
    for p in &shown {
        if let Some(u) = users.get(&p.user_id) {
            items.push(view(&state, p, u)?);
        }
    }
    crate::access::audit_list(&state, &me, "mentors.listed", "mentor", items.iter().map(|m| m.id), []).await?;
    Ok(Json(MentorPage { items, next_cursor: page.next_cursor }))
}

/// Create a mentor's profile for an account with the mentor role.
#[utoipa::path(post, path = "/mentors", tag = "mentors", security(("bearer" = [])), request_body = CreateMentor,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = MentorView, headers(("ETag" = String))),
        (status = 409, description = "She already has a profile", body = Problem, content_type = "application/problem+json")))]
pub async fn create_mentor(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateMentor>,
) -> Result<(StatusCode, HeaderMap, Json<MentorView>), ApiError> {
    let u = user::Entity::find_by_id(body.user_id).one(&state.db).await?;
    let org = u.as_ref().map(|u| u.organisation_id).unwrap_or(me.user.organisation_id);
    state.authorize(&me, Action::MentorsCreate, &Resource::Organisation(org), &[]).await?;
    let u = u.ok_or_else(|| ApiError::field("user_id", "not_found", "There is no such account."))?;
    if u.role != crate::entities::user::Role::Mentor {
        return Err(ApiError::field("user_id", "not_a_mentor", "The account does not have the mentor role."));
    }
    let (age_min, age_max) = (body.age_min.unwrap_or(11), body.age_max.unwrap_or(24));
    if age_min > age_max {
        return Err(ApiError::field("age_max", "range", "The oldest age must not be below the youngest."));
    }
    let now = state.now();
    not_future(body.start_date, now.date_naive() + chrono::Duration::days(366), "start_date")?;
    let mut txn = state.write(&me).await?;
    if mentor_profile::Entity::find_by_id(u.id).one(&txn).await?.is_some() {
        return Err(ApiError::conflict("She already has a mentor profile."));
    }
    let p = mentor_profile::ActiveModel {
        user_id: Set(u.id),
        organisation_id: Set(u.organisation_id),
        districts: Set(JsonText::of(&body.districts)?),
        languages: Set(JsonText::of(&body.languages)?),
        interests: Set(JsonText::of(&body.interests)?),
        availability: Set(JsonText::of(&body.availability)?),
        capacity: Set(body.capacity.unwrap_or(1)),
        age_min: Set(age_min),
        age_max: Set(age_max),
        lived_experience: Set(seal_opt(&state, TABLE, "lived_experience", &u.id, body.lived_experience.as_deref())?),
        recruitment_source: Set(body.recruitment_source),
        start_date: Set(body.start_date),
        status: Set(MentorStatus::Applicant),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit_write(&mut txn, "mentor.created", &p, json!({}));
    txn.commit().await?;
    Ok((StatusCode::CREATED, etag::headers(p.version), Json(view(&state, &p, &u)?)))
}

/// Read a mentor's profile (a mentor may read her own).
#[utoipa::path(get, path = "/mentors/{id}", tag = "mentors", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, (status = 200, description = "Done", body = MentorView, headers(("ETag" = String))),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn get_mentor(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<(HeaderMap, Json<MentorView>), ApiError> {
    let p = load(&state, &me, id, Action::MentorsRead).await?;
    let u = account(&state, p.user_id).await?;
    state.audit_read(&me, Event::new("mentor.read", "mentor").resource(p.user_id, Some(p.organisation_id))).await?;
    Ok((etag::headers(p.version), Json(view(&state, &p, &u)?)))
}

/// Update a profile. A mentor may change only her own availability, interests and languages.
#[utoipa::path(patch, path = "/mentors/{id}", tag = "mentors", security(("bearer" = [])), request_body = UpdateMentor,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag from the last read")),
    responses(InvalidFields, Versioned, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = MentorView, headers(("ETag" = String))),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn update_mentor(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<UpdateMentor>,
) -> Result<(HeaderMap, Json<MentorView>), ApiError> {
    let p = load(&state, &me, id, Action::MentorsRead).await?;
    state.authorize(&me, Action::MentorsUpdate, &resource(&p), &[("personal_only", Value::Bool(body.personal_only()))]).await?;
    if p.version != version {
        return Err(ApiError::PreconditionFailed);
    }
    let age_min = body.age_min.unwrap_or(p.age_min);
    let age_max = body.age_max.unwrap_or(p.age_max);
    if age_min > age_max {
        return Err(ApiError::field("age_max", "range", "The oldest age must not be below the youngest."));
    }
    let now = state.now();
    let mut am: mentor_profile::ActiveModel = p.clone().into();
    let mut changed = Vec::new();
    if let Some(v) = &body.districts {
        am.districts = Set(JsonText::of(v)?);
        changed.push("districts");
    }
    if let Some(v) = &body.languages {
        am.languages = Set(JsonText::of(v)?);
        changed.push("languages");
    }
    if let Some(v) = &body.interests {
        am.interests = Set(JsonText::of(v)?);
        changed.push("interests");
    }
    if let Some(v) = &body.availability {
        am.availability = Set(JsonText::of(v)?);
        changed.push("availability");
    }
    if let Some(v) = body.capacity {
        am.capacity = Set(v);
        changed.push("capacity");
    }
    am.age_min = Set(age_min);
    am.age_max = Set(age_max);
    if let Some(v) = &body.lived_experience {
        am.lived_experience = Set(seal_opt(&state, TABLE, "lived_experience", &p.user_id, Some(v))?);
        changed.push("lived_experience");
    }
    if let Some(v) = body.recruitment_source {
        am.recruitment_source = Set(v);
        changed.push("recruitment_source");
    }
    if let Some(v) = body.start_date {
        am.start_date = Set(v);
        changed.push("start_date");
    }
    if let Some(v) = body.status {
        am.status = Set(v);
        changed.push("status");
    }
    am.version = Set(p.version + 1);
    am.updated_at = Set(now);
    let mut txn = state.write(&me).await?;
    let r = mentor_profile::Entity::update_many()
        .set(am)
        .filter(mentor_profile::Column::UserId.eq(p.user_id))
        .filter(mentor_profile::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if r.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    audit_write(&mut txn, "mentor.updated", &p, json!({"changed": changed}));
    let updated = mentor_profile::Entity::find_by_id(p.user_id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    let u = account(&state, p.user_id).await?;
    Ok((etag::headers(updated.version), Json(view(&state, &updated, &u)?)))
}

fn check_view(c: &mentor_check::Model, superseded: bool) -> Result<CheckView, ApiError> {
    Ok(CheckView {
        id: c.id,
        mentor_id: c.mentor_id,
        kind: c.kind,
        completed_on: c.completed_on,
        outcome: c.outcome.clone(),
        dbs: check_detail(c, "dbs")?,
        reference: check_detail(c, "reference")?,
        supersedes: c.supersedes,
        superseded,
        recorded_by: c.recorded_by,
        recorded_at: c.recorded_at,
    })
}

/// Her checks, oldest first, corrections marked.
#[utoipa::path(get, path = "/mentors/{id}/checks", tag = "mentors", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = CheckList),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn list_checks(State(state): State<AppState>, me: CurrentUser, IdPath(id): IdPath) -> Result<Json<CheckList>, ApiError> {
    let p = load(&state, &me, id, Action::MentorsChecks).await?;
    let rows = checks_of(&state.db, p.user_id).await?;
    let superseded: std::collections::HashSet<Uuid> = rows.iter().filter_map(|c| c.supersedes).collect();
    state.audit_read(&me, Event::new("mentor.checks_read", "mentor").resource(p.user_id, Some(p.organisation_id))).await?;
    Ok(Json(CheckList { items: rows.iter().map(|c| check_view(c, superseded.contains(&c.id))).collect::<Result<_, _>>()? }))
}

/// Record a check. Checks are never edited: to correct one, record a new one that names it
/// in `supersedes`.
#[utoipa::path(post, path = "/mentors/{id}/checks", tag = "mentors", security(("bearer" = [])), request_body = CreateCheck,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = CheckView),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn create_check(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CreateCheck>,
) -> Result<(StatusCode, Json<CheckView>), ApiError> {
    let p = load(&state, &me, id, Action::MentorsChecks).await?;
    let today = state.now().date_naive();
    not_future(body.completed_on, today, "completed_on")?;
    let (outcome, details) = match body.kind {
        CheckKind::Dbs => {
            let d = body.dbs.as_ref().ok_or_else(|| ApiError::field("dbs", "required", "Give the certificate's details."))?;
            if !rules::valid_certificate_number(&d.certificate_number) {
                return Err(ApiError::field("dbs.certificate_number", "invalid", "A DBS certificate number is 12 digits."));
            }
            not_future(d.issue_date, today, "dbs.issue_date")?;
            for (i, s) in d.status_checks.iter().enumerate() {
                not_future(s.checked_on, today, &format!("dbs.status_checks[{i}].checked_on"))?;
            }
            if d.result == rules::DbsResult::InformationDisclosed
                && (d.decision.is_none() || d.assessed_by.as_deref().is_none_or(|a| a.trim().is_empty()))
            {
                return Err(ApiError::field(
                    "dbs.decision",
                    "required",
                    "When information is disclosed, record who assessed it and the decision.",
                ));
            }
            if d.assessed_by.as_deref().is_some_and(|a| a.chars().count() > 200) {
                return Err(ApiError::field("dbs.assessed_by", "length", "At most 200 characters."));
            }
            (d.result.as_str().to_string(), json!({"dbs": d}))
        }
        kind => {
            let outcome = body.outcome.ok_or_else(|| ApiError::field("outcome", "required", "Say whether it was satisfactory."))?;
            let outcome = if outcome == CheckOutcome::Satisfactory { "satisfactory" } else { "unsatisfactory" };
            let details = if kind == CheckKind::Reference {
                let r = body
                    .reference
                    .as_ref()
                    .ok_or_else(|| ApiError::field("reference", "required", "Give the referee's relationship and when it came."))?;
                not_future(r.received_on, today, "reference.received_on")?;
                json!({"reference": r})
            } else {
                json!({})
            };
            (outcome.to_string(), details)
        }
    };
    let mut txn = state.write(&me).await?;
    if let Some(s) = body.supersedes {
        let prior = mentor_check::Entity::find_by_id(s).one(&txn).await?;
        if prior.as_ref().is_none_or(|c| c.mentor_id != p.user_id || c.kind != body.kind) {
            return Err(ApiError::field("supersedes", "not_found", "There is no such check of this kind for her."));
        }
    }
    let c = mentor_check::ActiveModel {
        id: Set(Uuid::now_v7()),
        mentor_id: Set(p.user_id),
        organisation_id: Set(p.organisation_id),
        kind: Set(body.kind),
        completed_on: Set(body.completed_on),
        outcome: Set(outcome),
        details: Set(JsonText::new(details)?),
        supersedes: Set(body.supersedes),
        recorded_by: Set(me.id()),
        recorded_at: Set(state.now()),
    }
    .insert(&txn)
    .await?;
    audit_write(&mut txn, "mentor.check_recorded", &p, json!({"kind": body.kind.as_str(), "check": c.id, "supersedes": body.supersedes}));
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(check_view(&c, false)?)))
}

/// Whether she can be matched today, and every reason why not.
#[utoipa::path(get, path = "/mentors/{id}/compliance", tag = "mentors", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = rules::Compliance),
        (status = 404, description = "No such mentor, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn get_compliance(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<Json<rules::Compliance>, ApiError> {
    let p = load(&state, &me, id, Action::MentorsCompliance).await?;
    let compliance = compliance_of(&state.db, &state, &p, state.now().date_naive()).await?;
    state.audit_read(&me, Event::new("mentor.compliance_read", "mentor").resource(p.user_id, Some(p.organisation_id))).await?;
    Ok(Json(compliance))
}

/// Mentors whose DBS or training lapses within `within_days`, and approved mentors already
/// lapsed, with their active matches: the coordinator's week.
#[utoipa::path(get, path = "/compliance/expiring", tag = "mentors", security(("bearer" = [])), params(ExpiringParams),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = Expiring)))]
pub async fn expiring(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ExpiringParams>,
) -> Result<Json<Expiring>, ApiError> {
    state.authorize(&me, Action::MentorsExpiring, &Resource::Programme, &[]).await?;
    let scope = crate::access::scope::mentor_list_scope(&me.principal()).ok_or(ApiError::Forbidden)?;
    let within = q.within_days.unwrap_or(30);
    let today = state.now().date_naive();
    let horizon = today + chrono::Duration::days(within);
    let mut query = mentor_profile::Entity::find()
        .filter(mentor_profile::Column::Status.eq(crate::mentors::rules::MentorStatus::Approved))
        .order_by_asc(mentor_profile::Column::UserId);
    if let RecordScope::Organisation(org) = scope {
        query = query.filter(mentor_profile::Column::OrganisationId.eq(org));
    }
    let profiles = query.all(&state.db).await?;
    let ids: Vec<Uuid> = profiles.iter().map(|p| p.user_id).collect();
    let names = names_of(&state.db, &ids).await?;
    let records = ComplianceRecords::load(&state.db, &ids).await?;
    let (mut soon, mut lapsed) = (Vec::new(), Vec::new());
    for p in &profiles {
        let now_c = records.assess(&state, p, today)?;
        if !now_c.matchable {
            lapsed.push((p, now_c.gaps));
        } else if now_c.next_lapse.is_some_and(|d| d <= horizon) {
            soon.push((p, records.assess(&state, p, horizon)?.gaps));
        }
    }
    // A lapsed mentor's matches in progress are at risk: her coordinator must act on them.
    let lapsed_ids: Vec<Uuid> = lapsed.iter().map(|(p, _)| p.user_id).collect();
    let mut at_risk: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for chunk in lapsed_ids.chunks(ID_CHUNK) {
        let rows = crate::entities::matching::Entity::find()
            .filter(crate::entities::matching::Column::MentorId.is_in(chunk.to_vec()))
            .filter(crate::entities::matching::Column::Status.is_in(crate::matches::WORKING.iter().copied()))
            .order_by_asc(crate::entities::matching::Column::Id)
            .all(&state.db)
            .await?;
        for m in rows {
            at_risk.entry(m.mentor_id).or_default().push(m.id);
        }
    }
    let entry = |(p, gaps): (&mentor_profile::Model, Vec<rules::Gap>)| ExpiringMentor {
        mentor_id: p.user_id,
        name: names.get(&p.user_id).cloned().unwrap_or_default(),
        organisation_id: p.organisation_id,
        gaps,
        active_matches: at_risk.get(&p.user_id).cloned().unwrap_or_default(),
    };
    let soon: Vec<ExpiringMentor> = soon.into_iter().map(entry).collect();
    let lapsed: Vec<ExpiringMentor> = lapsed.into_iter().map(entry).collect();
    crate::access::audit_list(&state, &me, "mentors.expiring_listed", "mentor", soon.iter().chain(&lapsed).map(|m| m.mentor_id), [])
        .await?;
    Ok(Json(Expiring { within_days: within, expiring: soon, lapsed }))
}
