//! Account routes: HTTP only; the rules are in `rules.rs` and `policies/users.cedar`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

use super::dto::*;
use crate::access::scope::UserScope;
use crate::audit::Event;
use crate::auth::rules;
use crate::auth::{CurrentUser, session};
use crate::authz::{Action, Resource, Value};
use crate::entities::{organisation, user};
use crate::error::{ApiError, FieldError, Problem};
use crate::http::etag::{self, IfMatch};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn, Versioned};
use crate::{access::Deny, state::AppState};

pub fn resource_of(u: &user::Model) -> Resource {
    Resource::User { id: u.id, role: u.role.as_str().to_string(), organisation_id: u.organisation_id }
}

/// Loads an account the caller may read, or 404 (a refusal must not confirm it exists).
async fn load_readable(state: &AppState, me: &CurrentUser, id: Uuid, action: Action) -> Result<user::Model, ApiError> {
    let u = user::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    state.authorize_as(me, Action::UsersRead, &resource_of(&u), &[], Deny::NotFound).await?;
    if action != Action::UsersRead {
        state.authorize_as(me, action, &resource_of(&u), &[], Deny::Forbidden).await?;
    }
    Ok(u)
}

/// List accounts the caller may read.
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])), params(ListUsers),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = UserPage)))]
pub async fn list_users(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListUsers>,
) -> Result<Json<UserPage>, ApiError> {
    state.authorize(&me, Action::UsersList, &Resource::Programme, &[]).await?;
    let scope = crate::access::scope::user_list_scope(&me.principal()).ok_or(ApiError::Forbidden)?;
    let limit = pagination::limit(q.limit);
    let mut query = user::Entity::find().order_by_asc(user::Column::Id).limit(limit + 1);
    if let UserScope::MentorsOf { organisation_id, self_id } = scope {
        query = query
            .filter(user::Column::OrganisationId.eq(organisation_id))
            .filter(Condition::any().add(user::Column::Role.eq("mentor")).add(user::Column::Id.eq(self_id)));
    }
    if let Some(after) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(user::Column::Id.gt(after));
    }
    if let Some(org) = q.organisation_id {
        query = query.filter(user::Column::OrganisationId.eq(org));
    }
    if let Some(role) = q.role {
        query = query.filter(user::Column::Role.eq(role.as_str()));
    }
    if let Some(active) = q.active {
        query = query.filter(user::Column::Active.eq(active));
    }
    let rows = query.all(&state.db).await?;
    let page = pagination::page(rows, limit, |u| u.id, |u| u);
    let shown = state.visible(&me, Action::UsersRead, page.items, |u| Resource::User {
        id: u.id,
        role: u.role.as_str().to_string(),
        organisation_id: u.organisation_id,
    });
    let items: Vec<UserView> = shown.iter().map(UserView::of).collect::<Result<_, _>>()?;
    crate::access::audit_list(&state, &me, "users.listed", "user", items.iter().map(|u| u.id), []).await?;
    Ok(Json(UserPage { items, next_cursor: page.next_cursor }))
}

/// Create an account. A coordinator may create mentors in her own charity only.
#[utoipa::path(post, path = "/users", tag = "users", security(("bearer" = [])), request_body = CreateUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = UserView, headers(("ETag" = String))),
        (status = 409, description = "E-mail already in use, or a request with this key is in progress", body = Problem, content_type = "application/problem+json")))]
pub async fn create_user(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, HeaderMap, Json<UserView>), ApiError> {
    let org = organisation::Entity::find_by_id(body.organisation_id).one(&state.db).await?;
    let target_org = org.as_ref().map(|o| o.id).unwrap_or(body.organisation_id);
    state
        .authorize(&me, Action::UsersCreate, &Resource::Organisation(target_org), &[("role", Value::Str(body.role.as_str().into()))])
        .await?;
    let Some(org) = org else {
        return Err(ApiError::field("organisation_id", "not_found", "There is no such organisation."));
    };
    if !org.active {
        return Err(ApiError::field("organisation_id", "inactive", "This organisation is no longer active."));
    }
    rules::check_password(&body.password, &body.email, &body.name).map_err(|e| ApiError::Validation(vec![e]))?;
    let email = rules::normalise_email(&body.email);
    if user::Entity::find().filter(user::Column::Email.eq(email.clone())).one(&state.db).await?.is_some() {
        return Err(ApiError::conflict("An account with this e-mail address already exists."));
    }
    let hash = state.passwords.hash(&SecretString::from(body.password)).await?;
    let now = state.now();
    let mut txn = state.write(&me).await?;
    let id = Uuid::now_v7();
    let created = super::service::new_user(id, email, &body.name, body.role, org.id, hash, now).insert(&txn).await.map_err(unique_email)?;
    txn.audit(Event::new("user.created", "user").resource(id, Some(org.id)).detail(json!({"role": body.role.as_str()})));
    txn.commit().await?;
    Ok((StatusCode::CREATED, etag::headers(created.version), Json(UserView::of(&created)?)))
}

fn unique_email(e: sea_orm::DbErr) -> ApiError {
    ApiError::conflict_if_duplicate("An account with this e-mail address already exists.")(e)
}

/// Read an account.
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, (status = 200, description = "Done", body = UserView, headers(("ETag" = String))),
        (status = 404, description = "No such account, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn get_user(State(state): State<AppState>, me: CurrentUser, IdPath(id): IdPath) -> Result<(HeaderMap, Json<UserView>), ApiError> {
    let u = load_readable(&state, &me, id, Action::UsersRead).await?;
    state.audit_read(&me, Event::new("user.read", "user").resource(u.id, Some(u.organisation_id))).await?;
    Ok((etag::headers(u.version), Json(UserView::of(&u)?)))
}

/// Update an account. Send the ETag as If-Match. Deactivating ends her sessions.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", security(("bearer" = [])), request_body = UpdateUser,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag from the last read")),
    responses(InvalidFields, Versioned, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = UserView, headers(("ETag" = String))),
        (status = 404, description = "No such account, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "E-mail already in use", body = Problem, content_type = "application/problem+json")))]
pub async fn update_user(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<(HeaderMap, Json<UserView>), ApiError> {
    let u = load_readable(&state, &me, id, Action::UsersRead).await?;
    let new_role = body.role.unwrap_or(u.role);
    let new_org = body.organisation_id.unwrap_or(u.organisation_id);
    let deactivates = body.active == Some(false) && u.active;
    let reactivates = body.active == Some(true) && !u.active;
    let context = [
        ("new_role", Value::Str(new_role.as_str().into())),
        ("new_organisation", Value::Organisation(new_org)),
        ("changes_role", Value::Bool(new_role != u.role)),
        ("changes_organisation", Value::Bool(new_org != u.organisation_id)),
        ("deactivates", Value::Bool(deactivates)),
        ("reactivates", Value::Bool(reactivates)),
    ];
    state.authorize(&me, Action::UsersUpdate, &resource_of(&u), &context).await?;
    if new_org != u.organisation_id && organisation::Entity::find_by_id(new_org).one(&state.db).await?.is_none() {
        return Err(ApiError::field("organisation_id", "not_found", "There is no such organisation."));
    }
    if u.version != version {
        return Err(ApiError::PreconditionFailed);
    }
    let now = state.now();
    let mut txn = state.write(&me).await?;
    let mut changed = Vec::new();
    let mut am: user::ActiveModel = u.clone().into();
    if let Some(email) = body.email.map(|e| rules::normalise_email(&e)).filter(|e| *e != u.email) {
        am.email = Set(email);
        changed.push("email");
    }
    if let Some(name) = body.name.map(|n| n.trim().to_string()).filter(|n| *n != u.name) {
        if name.is_empty() {
            return Err(ApiError::Validation(vec![FieldError::new("name", "length", "The name cannot be blank.")]));
        }
        am.name = Set(name);
        changed.push("name");
    }
    if new_role != u.role {
        am.role = Set(new_role);
        changed.push("role");
    }
    if new_org != u.organisation_id {
        am.organisation_id = Set(new_org);
        changed.push("organisation_id");
    }
    if let Some(active) = body.active.filter(|a| *a != u.active) {
        am.active = Set(active);
        changed.push("active");
    }
    am.version = Set(u.version + 1);
    am.updated_at = Set(now);
    // The version check in the WHERE clause closes the race between read and write.
    let result = user::Entity::update_many()
        .set(am)
        .filter(user::Column::Id.eq(u.id))
        .filter(user::Column::Version.eq(version))
        .exec(&txn)
        .await
        .map_err(unique_email)?;
    if result.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let mut revoked = 0;
    if deactivates || changed.contains(&"role") || changed.contains(&"organisation_id") {
        // Her permissions changed: sessions issued under the old ones end.
        revoked = session::revoke_all(&txn, u.id, None, now).await?;
    }
    txn.audit(
        Event::new("user.updated", "user").resource(u.id, Some(new_org)).detail(json!({"changed": changed, "sessions_revoked": revoked})),
    );
    let updated = user::Entity::find_by_id(u.id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok((etag::headers(updated.version), Json(UserView::of(&updated)?)))
}

/// End every session of an account (a lost phone, a departure).
#[utoipa::path(post, path = "/users/{id}/revoke-sessions", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = RevokedSessions),
        (status = 404, description = "No such account, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_sessions(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<Json<RevokedSessions>, ApiError> {
    let u = load_readable(&state, &me, id, Action::UsersRevokeSessions).await?;
    let now = state.now();
    let mut txn = state.write(&me).await?;
    let revoked = session::revoke_all(&txn, u.id, None, now).await?;
    txn.audit(Event::new("user.sessions_revoked", "user").resource(u.id, Some(u.organisation_id)).detail(json!({"revoked": revoked})));
    txn.commit().await?;
    Ok(Json(RevokedSessions { revoked }))
}
