//! Evaluation project routes: HTTP only. The queries are in `service.rs` and `ledger.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::dto::*;
use super::{ledger, service};
use crate::access::{Deny, scope};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::{evaluation_project, user};
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, IfMatch};
use crate::http::extract::{ApiJson, ApiQuery, IdPath, IdsPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn, Versioned};
use crate::state::AppState;

fn slug_taken(e: sea_orm::DbErr) -> ApiError {
    ApiError::conflict_if_duplicate("A project with this slug already exists.")(e)
}

fn dates_in_order(starts_on: chrono::NaiveDate, ends_on: chrono::NaiveDate) -> Result<(), ApiError> {
    if starts_on > ends_on {
        return Err(ApiError::field("ends_on", "before_start", "The project cannot end before it starts."));
    }
    Ok(())
}

/// The project `id` and its evaluators, if `me` may read it (404 otherwise, audited), with
/// its resource as the policies see it today.
async fn readable(
    state: &AppState,
    me: &CurrentUser,
    id: uuid::Uuid,
) -> Result<(evaluation_project::Model, Vec<uuid::Uuid>, Resource), ApiError> {
    let p = service::find(&state.db, id).await?.ok_or(ApiError::NotFound)?;
    let evaluators = service::evaluators(&state.db, p.id).await?;
    let resource = service::resource(&p, &evaluators, state.now().date_naive());
    state.authorize_as(me, Action::ProjectsRead, &resource, &[], Deny::NotFound).await?;
    Ok((p, evaluators, resource))
}

/// List the evaluation projects (programme admins: all; an evaluator: those she is bound to).
#[utoipa::path(get, path = "/evaluation-projects", tag = "projects", security(("bearer" = [])), params(ListProjects),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = ProjectPage)))]
pub async fn list_projects(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListProjects>,
) -> Result<Json<ProjectPage>, ApiError> {
    state.authorize(&me, Action::ProjectsList, &Resource::Programme, &[]).await?;
    let scope = scope::project_list_scope(&me.principal()).ok_or(ApiError::Forbidden)?;
    let limit = pagination::limit(q.limit);
    let rows = service::page(&state.db, scope, pagination::decode_cursor(q.cursor.as_deref())?, limit).await?;
    let today = state.now().date_naive();
    let ids: Vec<uuid::Uuid> = rows.iter().map(|p| p.id).collect();
    let mut bound = service::evaluators_of(&state.db, &ids).await?;
    let mut items = Vec::with_capacity(rows.len());
    for p in rows {
        let evaluators = bound.remove(&p.id).unwrap_or_default();
        items.push((service::resource(&p, &evaluators, today), ProjectView::of(&p, evaluators, today)));
    }
    let items = state.visible(&me, Action::ProjectsRead, items, |(r, _)| r.clone());
    let page = pagination::page(items, limit, |(_, v)| v.id, |(_, v)| v);
    Ok(Json(ProjectPage { items: page.items, next_cursor: page.next_cursor }))
}

/// Register an evaluation project (programme admins).
#[utoipa::path(post, path = "/evaluation-projects", tag = "projects", security(("bearer" = [])), request_body = CreateProject,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = ProjectView, headers(("ETag" = String))),
        (status = 409, description = "The slug is in use", body = Problem, content_type = "application/problem+json")))]
pub async fn create_project(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateProject>,
) -> Result<(StatusCode, HeaderMap, Json<ProjectView>), ApiError> {
    state.authorize(&me, Action::ProjectsCreate, &Resource::Programme, &[]).await?;
    dates_in_order(body.starts_on, body.ends_on)?;
    let now = state.now();
    let mut txn = state.write(&me).await?;
    let created = service::new_project(&body, me.id(), now).insert(&txn).await.map_err(slug_taken)?;
    txn.audit(Event::new("evaluation_project.created", "evaluation_project").resource(created.id, None).detail(json!({
        "slug": created.slug,
        "lawful_basis": created.lawful_basis.as_str(),
        "starts_on": created.starts_on,
        "ends_on": created.ends_on,
    })));
    txn.commit().await?;
    Ok((StatusCode::CREATED, etag::headers(created.version), Json(ProjectView::of(&created, Vec::new(), now.date_naive()))))
}

/// Read an evaluation project (programme admins; an evaluator bound to it).
#[utoipa::path(get, path = "/evaluation-projects/{id}", tag = "projects", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, (status = 200, description = "Done", body = ProjectView, headers(("ETag" = String))),
        (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json")))]
pub async fn get_project(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<(HeaderMap, Json<ProjectView>), ApiError> {
    let (p, evaluators, _) = readable(&state, &me, id).await?;
    Ok((etag::headers(p.version), Json(ProjectView::of(&p, evaluators, state.now().date_naive()))))
}

/// Change an evaluation project (programme admins). Bringing `ends_on` forward ends the
/// project, and every evaluator's access to extracts, on that day. Send If-Match.
#[utoipa::path(patch, path = "/evaluation-projects/{id}", tag = "projects", security(("bearer" = [])), request_body = UpdateProject,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag from the last read")),
    responses(InvalidFields, Versioned, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = ProjectView, headers(("ETag" = String))),
        (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json")))]
pub async fn update_project(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<UpdateProject>,
) -> Result<(HeaderMap, Json<ProjectView>), ApiError> {
    let (p, evaluators, resource) = readable(&state, &me, id).await?;
    state.authorize(&me, Action::ProjectsUpdate, &resource, &[]).await?;
    if p.version != version {
        return Err(ApiError::PreconditionFailed);
    }
    dates_in_order(body.starts_on.unwrap_or(p.starts_on), body.ends_on.unwrap_or(p.ends_on))?;
    let now = state.now();
    let mut am: evaluation_project::ActiveModel = p.clone().into();
    // What changed, from what to what (a project's terms are not personal data, and who
    // moved its end date, or its lawful basis, must be accountable).
    let mut changed = serde_json::Map::new();
    // Each field sent that differs from the stored one: noted with both values, and set.
    macro_rules! change {
        ($field:ident, $new:expr) => {
            if let Some(v) = $new.filter(|v| *v != p.$field) {
                changed.insert(stringify!($field).to_string(), json!({"from": p.$field, "to": v}));
                am.$field = Set(v);
            }
        };
    }
    let trimmed = |s: Option<String>| s.map(|s| s.trim().to_string());
    change!(name, trimmed(body.name));
    change!(purpose, trimmed(body.purpose));
    change!(lawful_basis, body.lawful_basis);
    change!(agreement_reference, trimmed(body.agreement_reference));
    change!(starts_on, body.starts_on);
    change!(ends_on, body.ends_on);
    am.version = Set(p.version + 1);
    am.updated_at = Set(now);
    let mut txn = state.write(&me).await?;
    service::lock(&txn, p.id).await?.ok_or(ApiError::NotFound)?;
    let result = evaluation_project::Entity::update_many()
        .set(am)
        .filter(evaluation_project::Column::Id.eq(p.id))
        .filter(evaluation_project::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    txn.audit(Event::new("evaluation_project.updated", "evaluation_project").resource(p.id, None).detail(json!({"changed": changed})));
    let updated = service::find(&txn, p.id).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok((etag::headers(updated.version), Json(ProjectView::of(&updated, evaluators, now.date_naive()))))
}

/// Bind an evaluator account to a project (programme admins): she may then extract for it
/// while it runs. Binding her again changes nothing.
#[utoipa::path(put, path = "/evaluation-projects/{id}/evaluators/{user_id}", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Bound", body = ProjectView),
        (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The account is not an active evaluator's", body = Problem, content_type = "application/problem+json")))]
pub async fn bind_evaluator(
    State(state): State<AppState>,
    me: CurrentUser,
    IdsPath(id, user_id): IdsPath,
) -> Result<Json<ProjectView>, ApiError> {
    let (p, _, resource) = readable(&state, &me, id).await?;
    state.authorize(&me, Action::ProjectsEvaluators, &resource, &[]).await?;
    let is_evaluator = user::Entity::find_by_id(user_id)
        .filter(user::Column::Role.eq(user::Role::Evaluator))
        .filter(user::Column::Active.eq(true))
        .one(&state.db)
        .await?
        .is_some();
    if !is_evaluator {
        return Err(ApiError::field("user_id", "not_an_evaluator", "Only an active evaluator's account can be bound to a project."));
    }
    let now = state.now();
    let mut txn = state.write(&me).await?;
    service::lock(&txn, p.id).await?.ok_or(ApiError::NotFound)?;
    if service::bind(&txn, p.id, user_id, me.id(), now).await? {
        txn.audit(
            Event::new("evaluation_project.evaluator_bound", "evaluation_project").resource(p.id, None).detail(json!({"user_id": user_id})),
        );
        txn.commit().await?;
    } else {
        txn.rollback().await?;
    }
    let evaluators = service::evaluators(&state.db, p.id).await?;
    Ok(Json(ProjectView::of(&p, evaluators, now.date_naive())))
}

/// Unbind an evaluator from a project (programme admins): her access to its extracts ends now.
#[utoipa::path(delete, path = "/evaluation-projects/{id}/evaluators/{user_id}", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Unbound", body = ProjectView),
        (status = 404, description = "No such project, or she is not bound to it", body = Problem, content_type = "application/problem+json")))]
pub async fn unbind_evaluator(
    State(state): State<AppState>,
    me: CurrentUser,
    IdsPath(id, user_id): IdsPath,
) -> Result<Json<ProjectView>, ApiError> {
    let (p, _, resource) = readable(&state, &me, id).await?;
    state.authorize(&me, Action::ProjectsEvaluators, &resource, &[]).await?;
    let mut txn = state.write(&me).await?;
    service::lock(&txn, p.id).await?.ok_or(ApiError::NotFound)?;
    if !service::unbind(&txn, p.id, user_id).await? {
        txn.rollback().await?;
        return Err(ApiError::NotFound);
    }
    txn.audit(
        Event::new("evaluation_project.evaluator_unbound", "evaluation_project").resource(p.id, None).detail(json!({"user_id": user_id})),
    );
    txn.commit().await?;
    let evaluators = service::evaluators(&state.db, p.id).await?;
    Ok(Json(ProjectView::of(&p, evaluators, state.now().date_naive())))
}

/// The release ledger of a project: every extract released to it, oldest first
/// (programme admins; an evaluator bound to it).
#[utoipa::path(get, path = "/evaluation-projects/{id}/releases", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path), ListProjects),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = ReleasePage),
        (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json")))]
pub async fn list_releases(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ListProjects>,
) -> Result<Json<ReleasePage>, ApiError> {
    let (p, _, resource) = readable(&state, &me, id).await?;
    state.authorize(&me, Action::ProjectsReleases, &resource, &[]).await?;
    let limit = pagination::limit(q.limit);
    let rows = ledger::page(&state.db, p.id, pagination::decode_cursor(q.cursor.as_deref())?, limit).await?;
    let page = pagination::page(rows, limit, |r| r.id, |r| ReleaseView::of(&r));
    Ok(Json(ReleasePage { items: page.items, next_cursor: page.next_cursor }))
}
