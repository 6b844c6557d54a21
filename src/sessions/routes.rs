//! Session-log routes: HTTP only. What a log must hold and the dates it may fall on are in
//! `rules.rs`; who may log, read and correct (and the mentor's seven-day window) in
//! `policies/sessions.cedar`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use super::dto::*;
use super::rules::{self, Content};
use super::service::{Stored, as_json, match_dates, resource};
use crate::access::scope::MatchScope;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource, Value};
use crate::entities::json::JsonText;
use crate::entities::{matching, mentoring_session as ms, session_version};
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, IfMatch};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn};
use crate::matches::rules::MatchStatus;
use crate::young_people::{open_opt, seal_opt};
use crate::{access::Deny, state::AppState};

pub const TABLE: &str = "mentoring_sessions";
const VERSIONS: &str = "session_versions";

fn content_of(s: &ms::Model) -> Result<Content, ApiError> {
    Ok(Content {
        held_on: s.held_on,
        attended: s.attended,
        duration_minutes: s.duration_minutes,
        mode: s.mode,
        location_category: s.location_category,
        activities: s.activities.to_vec(),
        engagement: s.engagement,
        mood_before: s.mood_before,
        mood_after: s.mood_after,
    })
}

fn content_view(c: Content, notes: Option<String>) -> SessionContentView {
    SessionContentView {
        held_on: c.held_on,
        attended: c.attended,
        duration_minutes: c.duration_minutes,
        mode: c.mode,
        location_category: c.location_category,
        activities: c.activities,
        engagement: c.engagement,
        mood_before: c.mood_before,
        mood_after: c.mood_after,
        notes,
    }
}

pub fn view(state: &AppState, s: &ms::Model) -> Result<SessionView, ApiError> {
    let c = content_of(s)?;
    Ok(SessionView {
        id: s.id,
        match_id: s.match_id,
        organisation_id: s.organisation_id,
        mentor_id: s.mentor_id,
        young_person_id: s.young_person_id,
        held_on: c.held_on,
        attended: c.attended,
        duration_minutes: c.duration_minutes,
        mode: c.mode,
        location_category: c.location_category,
        activities: c.activities,
        engagement: c.engagement,
        mood_before: c.mood_before,
        mood_after: c.mood_after,
        notes: open_opt(state, TABLE, "notes", &s.id, s.notes.as_deref())?,
        version: s.version,
        mentor_can_edit_until: rules::mentor_edit_until(s.created_at),
        created_by: s.created_by,
        created_at: s.created_at,
        updated_by: s.updated_by,
        updated_at: s.updated_at,
    })
}

/// Loads a session the caller may read (404 otherwise).
async fn load(state: &AppState, me: &CurrentUser, id: Uuid) -> Result<ms::Model, ApiError> {
    let s = ms::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    state.authorize_as(me, Action::SessionsRead, &resource(&s), &[], Deny::NotFound).await?;
    Ok(s)
}

/// List the session logs the caller may read, oldest log first: a mentor sees her own only.
#[utoipa::path(get, path = "/mentoring-sessions", tag = "sessions", security(("bearer" = [])), params(ListSessions),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = SessionPage)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListSessions>,
) -> Result<Json<SessionPage>, ApiError> {
    state.authorize(&me, Action::SessionsList, &Resource::Programme, &[]).await?;
    // Who may read which sessions mirrors who may read which matches.
    let scope = crate::access::scope::match_list_scope(&me.principal()).ok_or(ApiError::Forbidden)?;
    let limit = pagination::limit(q.limit);
    let mut query = ms::Entity::find().order_by_asc(ms::Column::Id).limit(limit + 1);
    query = match scope {
        MatchScope::All => query,
        MatchScope::Organisation(org) => query.filter(ms::Column::OrganisationId.eq(org)),
        MatchScope::Mentor(id) => query.filter(ms::Column::MentorId.eq(id)),
    };
    if let Some(after) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(ms::Column::Id.gt(after));
    }
    if let Some(m) = q.match_id {
        query = query.filter(ms::Column::MatchId.eq(m));
    }
    let rows = query.all(&state.db).await?;
    let page = pagination::page(rows, limit, |s| s.id, |s| s);
    let shown = state.visible(&me, Action::SessionsRead, page.items, resource);
    let items = shown.iter().map(|s| view(&state, s)).collect::<Result<Vec<_>, _>>()?;
    crate::access::audit_list(
        &state,
        &me,
        "mentoring_sessions.listed",
        "mentoring_session",
        items.iter().map(|s| s.id),
        items.iter().map(|s| s.young_person_id),
    )
    .await?;
    Ok(Json(SessionPage { items, next_cursor: page.next_cursor }))
}

/// Log a session. A mentor logs only for her own active match; a coordinator for any match of
/// her charity that has begun. A match the caller may not log for is 422 on `match_id`, as is
/// one she may see but that is not active.
#[utoipa::path(post, path = "/mentoring-sessions", tag = "sessions", security(("bearer" = [])), request_body = CreateSession,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried submission safe: the same key and body replay the first answer")),
    responses(SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = SessionView, headers(("ETag" = String))),
        (status = 422, description = "Invalid fields: a range, a missing detail, a date outside the match, a match that is not yours or not active", body = Problem, content_type = "application/problem+json")))]
pub async fn create_session(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateSession>,
) -> Result<(StatusCode, HeaderMap, Json<SessionView>), ApiError> {
    state.authorize(&me, Action::SessionsList, &Resource::Programme, &[]).await?;
    let no_match = || ApiError::field("match_id", "not_found", "There is no such match of yours.");
    let m = matching::Entity::find_by_id(body.match_id).one(&state.db).await?.ok_or_else(no_match)?;
    let res = crate::matches::service::resource(&m);
    let active = m.status == MatchStatus::Active;
    if let Err(e) = state.authorize_as(&me, Action::SessionsCreate, &res, &[("match_active", Value::Bool(active))], Deny::Forbidden).await {
        if !matches!(e, ApiError::Forbidden) {
            return Err(e);
        }
        // Refused only because the match is not active: say so.
        if state.allows(&me, Action::SessionsCreate, &res, &[("match_active", Value::Bool(true))]) {
            return Err(ApiError::field("match_id", "match_not_active", "Sessions can be logged only for an active match."));
        }
        // She may see the match but not log for it (a safeguarding lead).
        if state.allows(&me, Action::MatchesRead, &res, &[]) {
            return Err(ApiError::Forbidden);
        }
        return Err(no_match());
    }
    let dates = match_dates(&m).ok_or_else(|| ApiError::field("match_id", "match_not_started", "This match has not begun."))?;
    let content = Content {
        held_on: body.held_on,
        attended: body.attended,
        duration_minutes: body.duration_minutes,
        mode: body.mode,
        location_category: body.location_category,
        activities: rules::dedup(body.activities),
        engagement: body.engagement,
        mood_before: body.mood_before,
        mood_after: body.mood_after,
    };
    let now = state.now();
    let problems = rules::check(&content, dates, now.date_naive());
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let id = Uuid::now_v7();
    let mut txn = state.write(&me).await?;
    crate::access::still_held(&txn, &res).await?;
    let s = ms::ActiveModel {
        id: Set(id),
        match_id: Set(m.id),
        organisation_id: Set(m.organisation_id),
        mentor_id: Set(m.mentor_id),
        young_person_id: Set(m.young_person_id),
        held_on: Set(content.held_on),
        attended: Set(content.attended),
        duration_minutes: Set(content.duration_minutes),
        mode: Set(content.mode),
        location_category: Set(content.location_category),
        activities: Set(JsonText::of(&content.activities)?),
        engagement: Set(content.engagement),
        mood_before: Set(content.mood_before),
        mood_after: Set(content.mood_after),
        notes: Set(seal_opt(&state, TABLE, "notes", &id, body.notes.as_deref())?),
        version: Set(1),
        created_by: Set(me.id()),
        created_at: Set(now),
        updated_by: Set(me.id()),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.audit(
        Event::new("mentoring_session.created", "mentoring_session")
            .resource(s.id, Some(s.organisation_id))
            .about(s.young_person_id)
            .detail(json!({"match_id": m.id, "attended": s.attended})),
    );
    txn.commit().await?;
    Ok((StatusCode::CREATED, etag::headers(s.version), Json(view(&state, &s)?)))
}

/// Read a session log (a mentor: her own).
#[utoipa::path(get, path = "/mentoring-sessions/{id}", tag = "sessions", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = SessionView, headers(("ETag" = String))),
        (status = 404, description = "No such session, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn get_session(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<(HeaderMap, Json<SessionView>), ApiError> {
    let s = load(&state, &me, id).await?;
    state
        .audit_read(
            &me,
            Event::new("mentoring_session.read", "mentoring_session").resource(s.id, Some(s.organisation_id)).about(s.young_person_id),
        )
        .await?;
    Ok((etag::headers(s.version), Json(view(&state, &s)?)))
}

/// Correct a session log. The mentor may correct her own for seven days after she logged it
/// (403 `edit_window_closed` after); a coordinator at any time. The content it replaces is
/// kept as a version (see `/versions`).
#[utoipa::path(patch, path = "/mentoring-sessions/{id}", tag = "sessions", security(("bearer" = [])), request_body = UpdateSession,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The session's ETag")),
    responses(InvalidFields, SignedIn, JsonBody, (status = 200, description = "Done", body = SessionView, headers(("ETag" = String))),
        (status = 403, description = "Not allowed; `edit_window_closed` when the mentor's seven days have passed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The session changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
pub async fn update_session(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<UpdateSession>,
) -> Result<(HeaderMap, Json<SessionView>), ApiError> {
    let s = load(&state, &me, id).await?;
    let now = state.now();
    let res = resource(&s);
    let within = rules::within_edit_window(s.created_at, now);
    if let Err(e) =
        state.authorize_as(&me, Action::SessionsUpdate, &res, &[("within_edit_window", Value::Bool(within))], Deny::Forbidden).await
    {
        let window_is_why = matches!(e, ApiError::Forbidden)
            && !within
            && state.allows(&me, Action::SessionsUpdate, &res, &[("within_edit_window", Value::Bool(true))]);
        if window_is_why {
            return Err(ApiError::ForbiddenBecause {
                code: "edit_window_closed",
                detail: format!(
                    "A mentor may correct her log until {}; ask your coordinator to correct it now.",
                    rules::mentor_edit_until(s.created_at)
                ),
            });
        }
        return Err(e);
    }
    if version != s.version {
        return Err(ApiError::PreconditionFailed);
    }
    let m = matching::Entity::find_by_id(s.match_id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    let dates = match_dates(&m).ok_or_else(|| ApiError::internal("a session of a match that never began"))?;
    let old = content_of(&s)?;
    let mut new = old.clone();
    if let Some(v) = body.held_on {
        new.held_on = v;
    }
    if let Some(v) = body.attended {
        new.attended = v;
    }
    if let Some(v) = body.duration_minutes {
        new.duration_minutes = v;
    }
    if let Some(v) = body.mode {
        new.mode = v;
    }
    if let Some(v) = body.location_category {
        new.location_category = v;
    }
    if let Some(v) = body.activities {
        new.activities = rules::dedup(v);
    }
    if let Some(v) = body.engagement {
        new.engagement = v;
    }
    if let Some(v) = body.mood_before {
        new.mood_before = v;
    }
    if let Some(v) = body.mood_after {
        new.mood_after = v;
    }
    let problems = rules::check(&new, dates, now.date_naive());
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let old_notes = open_opt(&state, TABLE, "notes", &s.id, s.notes.as_deref())?;
    let new_notes = match &body.notes {
        Some(n) if n.trim().is_empty() => None,
        Some(n) => Some(n.trim().to_string()),
        None => old_notes.clone(),
    };
    if new == old && new_notes == old_notes {
        // Nothing changes: no new version.
        return Ok((etag::headers(s.version), Json(view(&state, &s)?)));
    }
    let mut changed: Vec<&str> = Vec::new();
    for (name, differs) in [
        ("held_on", new.held_on != old.held_on),
        ("attended", new.attended != old.attended),
        ("duration_minutes", new.duration_minutes != old.duration_minutes),
        ("mode", new.mode != old.mode),
        ("location_category", new.location_category != old.location_category),
        ("activities", new.activities != old.activities),
        ("engagement", new.engagement != old.engagement),
        ("mood_before", new.mood_before != old.mood_before),
        ("mood_after", new.mood_after != old.mood_after),
        ("notes", new_notes != old_notes),
    ] {
        if differs {
            changed.push(name);
        }
    }
    let mut txn = state.write(&me).await?;
    // The content being replaced, as it was, by whom and when it was written.
    let version_id = Uuid::now_v7();
    let stored = Stored { content: old, notes: seal_opt(&state, VERSIONS, "notes", &version_id, old_notes.as_deref())? };
    session_version::ActiveModel {
        id: Set(version_id),
        session_id: Set(s.id),
        version: Set(s.version),
        content: Set(as_json(&stored)?),
        recorded_by: Set(s.updated_by),
        recorded_at: Set(s.updated_at),
    }
    .insert(&txn)
    .await?;
    let mut am: ms::ActiveModel = s.clone().into();
    am.held_on = Set(new.held_on);
    am.attended = Set(new.attended);
    am.duration_minutes = Set(new.duration_minutes);
    am.mode = Set(new.mode);
    am.location_category = Set(new.location_category);
    am.activities = Set(JsonText::of(&new.activities)?);
    am.engagement = Set(new.engagement);
    am.mood_before = Set(new.mood_before);
    am.mood_after = Set(new.mood_after);
    am.notes = Set(seal_opt(&state, TABLE, "notes", &s.id, new_notes.as_deref())?);
    am.version = Set(s.version + 1);
    am.updated_by = Set(me.id());
    am.updated_at = Set(now);
    let done =
        ms::Entity::update_many().set(am).filter(ms::Column::Id.eq(s.id)).filter(ms::Column::Version.eq(s.version)).exec(&txn).await?;
    if done.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    txn.audit(
        Event::new("mentoring_session.updated", "mentoring_session")
            .resource(s.id, Some(s.organisation_id))
            .about(s.young_person_id)
            .detail(json!({"version": s.version + 1, "fields": changed, "within_mentor_window": within})),
    );
    let updated = ms::Entity::find_by_id(s.id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok((etag::headers(updated.version), Json(view(&state, &updated)?)))
}

/// Every version of a session log, oldest first, the current one last.
#[utoipa::path(get, path = "/mentoring-sessions/{id}/versions", tag = "sessions", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = SessionVersionList),
        (status = 404, description = "No such session, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn list_versions(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<Json<SessionVersionList>, ApiError> {
    let s = load(&state, &me, id).await?;
    let rows = session_version::Entity::find()
        .filter(session_version::Column::SessionId.eq(s.id))
        .order_by_asc(session_version::Column::Version)
        .all(&state.db)
        .await?;
    let mut items = Vec::with_capacity(rows.len() + 1);
    for v in rows {
        let stored: Stored = ApiError::stored_json(&v.content, VERSIONS, "content", v.id)?;
        items.push(SessionVersionView {
            version: v.version,
            recorded_by: v.recorded_by,
            recorded_at: v.recorded_at,
            current: false,
            content: content_view(stored.content, open_opt(&state, VERSIONS, "notes", &v.id, stored.notes.as_deref())?),
        });
    }
    items.push(SessionVersionView {
        version: s.version,
        recorded_by: s.updated_by,
        recorded_at: s.updated_at,
        current: true,
        content: content_view(content_of(&s)?, open_opt(&state, TABLE, "notes", &s.id, s.notes.as_deref())?),
    });
    state
        .audit_read(
            &me,
            Event::new("mentoring_session.versions_read", "mentoring_session")
                .resource(s.id, Some(s.organisation_id))
                .about(s.young_person_id)
                .detail(json!({"versions": items.len()})),
        )
        .await?;
    Ok(Json(SessionVersionList { items }))
}

// Kept for the demo generator, which writes versions the way this module does.
