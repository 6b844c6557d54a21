//! Organisation routes.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;

use super::dto::*;
use super::service::{clean, new_organisation};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::organisation;
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, IfMatch};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn, Versioned};
use crate::state::AppState;

fn conflict_on_name(e: sea_orm::DbErr) -> ApiError {
    ApiError::conflict_if_duplicate("An organisation with this name already exists.")(e)
}

/// List the charities.
#[utoipa::path(get, path = "/organisations", tag = "organisations", security(("bearer" = [])), params(ListOrganisations),
    responses(InvalidParameters, SignedIn, (status = 200, description = "Done", body = OrganisationPage)))]
pub async fn list_organisations(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListOrganisations>,
) -> Result<Json<OrganisationPage>, ApiError> {
    state.authorize(&me, Action::OrganisationsList, &Resource::Programme, &[]).await?;
    let limit = pagination::limit(q.limit);
    let mut query = organisation::Entity::find().order_by_asc(organisation::Column::Id).limit(limit + 1);
    if let Some(after) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(organisation::Column::Id.gt(after));
    }
    if let Some(kind) = q.kind {
        query = query.filter(organisation::Column::Kind.eq(kind.as_str()));
    }
    if let Some(active) = q.active {
        query = query.filter(organisation::Column::Active.eq(active));
    }
    let page = pagination::page(query.all(&state.db).await?, limit, |o| o.id, |o| o);
    let page =
        pagination::Page { items: page.items.iter().map(OrganisationView::of).collect::<Result<_, _>>()?, next_cursor: page.next_cursor };
    Ok(Json(OrganisationPage { items: page.items, next_cursor: page.next_cursor }))
}

/// Add a charity (programme admins).
#[utoipa::path(post, path = "/organisations", tag = "organisations", security(("bearer" = [])), request_body = CreateOrganisation,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = OrganisationView, headers(("ETag" = String))),
        (status = 409, description = "Name in use, or a second lead charity", body = Problem, content_type = "application/problem+json")))]
pub async fn create_organisation(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateOrganisation>,
) -> Result<(StatusCode, HeaderMap, Json<OrganisationView>), ApiError> {
    state.authorize(&me, Action::OrganisationsCreate, &Resource::Programme, &[]).await?;
    let now = state.now();
    let mut txn = state.write(&me).await?;
    if body.kind == OrganisationKind::Lead
        && organisation::Entity::find().filter(organisation::Column::Kind.eq("lead")).one(&txn).await?.is_some()
    {
        return Err(ApiError::conflict("The programme already has a lead charity."));
    }
    let created = new_organisation(body.name.trim(), body.kind, &body.districts, now)?.insert(&txn).await.map_err(conflict_on_name)?;
    txn.audit(
        Event::new("organisation.created", "organisation")
            .resource(created.id, Some(created.id))
            .detail(json!({"kind": body.kind.as_str()})),
    );
    txn.commit().await?;
    Ok((StatusCode::CREATED, etag::headers(created.version), Json(OrganisationView::of(&created)?)))
}

/// Read a charity.
#[utoipa::path(get, path = "/organisations/{id}", tag = "organisations", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, (status = 200, description = "Done", body = OrganisationView, headers(("ETag" = String))),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn get_organisation(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<(HeaderMap, Json<OrganisationView>), ApiError> {
    let o = organisation::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    state.authorize(&me, Action::OrganisationsRead, &Resource::Organisation(o.id), &[]).await?;
    Ok((etag::headers(o.version), Json(OrganisationView::of(&o)?)))
}

/// Update a charity's name, districts or active flag (programme admins). Send If-Match.
#[utoipa::path(patch, path = "/organisations/{id}", tag = "organisations", security(("bearer" = [])), request_body = UpdateOrganisation,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag from the last read")),
    responses(InvalidFields, Versioned, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = OrganisationView, headers(("ETag" = String))),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Name in use, or the lead charity cannot be deactivated", body = Problem, content_type = "application/problem+json")))]
pub async fn update_organisation(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<UpdateOrganisation>,
) -> Result<(HeaderMap, Json<OrganisationView>), ApiError> {
    let o = organisation::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    state.authorize(&me, Action::OrganisationsUpdate, &Resource::Organisation(o.id), &[]).await?;
    if o.version != version {
        return Err(ApiError::PreconditionFailed);
    }
    if body.active == Some(false) && o.kind == OrganisationKind::Lead {
        return Err(ApiError::conflict("The lead charity cannot be deactivated."));
    }
    let now = state.now();
    let mut changed = Vec::new();
    let mut am: organisation::ActiveModel = o.clone().into();
    if let Some(name) = body.name.map(|n| n.trim().to_string()).filter(|n| *n != o.name) {
        am.name = Set(name);
        changed.push("name");
    }
    if let Some(d) = body.districts {
        am.districts = Set(clean(&d)?);
        changed.push("districts");
    }
    if let Some(active) = body.active.filter(|a| *a != o.active) {
        am.active = Set(active);
        changed.push("active");
    }
    am.version = Set(o.version + 1);
    am.updated_at = Set(now);
    let mut txn = state.write(&me).await?;
    let result = organisation::Entity::update_many()
        .set(am)
        .filter(organisation::Column::Id.eq(o.id))
        .filter(organisation::Column::Version.eq(version))
        .exec(&txn)
        .await
        .map_err(conflict_on_name)?;
    if result.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    txn.audit(Event::new("organisation.updated", "organisation").resource(o.id, Some(o.id)).detail(json!({"changed": changed})));
    let updated = organisation::Entity::find_by_id(o.id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok((etag::headers(updated.version), Json(OrganisationView::of(&updated)?)))
}
