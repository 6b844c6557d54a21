//! Young people routes: HTTP only; the rules are in `rules.rs` and the policies.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;

use super::dto::*;
use super::rules::{self};
use super::service::{TABLE, check_date_of_birth, check_dates, insert_young_person, owning_organisation, summary, view};
use super::{load, seal_opt};
use crate::access::scope::RecordScope;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::json::JsonText;
use crate::entities::young_person;
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, IfMatch};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn, Versioned};
use crate::state::AppState;

/// List young people the caller may read.
#[utoipa::path(get, path = "/young-people", tag = "young_people", security(("bearer" = [])), params(ListYoungPeople),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = YoungPersonPage)))]
pub async fn list_young_people(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListYoungPeople>,
) -> Result<Json<YoungPersonPage>, ApiError> {
    state.authorize(&me, Action::YoungPeopleList, &Resource::Programme, &[]).await?;
    let scope = crate::access::scope::record_list_scope(&me.principal()).ok_or(ApiError::Forbidden)?;
    let limit = pagination::limit(q.limit);
    let mut query = young_person::Entity::find()
        .filter(young_person::Column::MergedInto.is_null())
        .order_by_asc(young_person::Column::Id)
        .limit(limit + 1);
    if let RecordScope::Organisation(org) = scope {
        query = query.filter(young_person::Column::OrganisationId.eq(org));
    }
    if let Some(after) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(young_person::Column::Id.gt(after));
    }
    if let Some(org) = q.organisation_id {
        query = query.filter(young_person::Column::OrganisationId.eq(org));
    }
    if let Some(d) = &q.district {
        query = query.filter(young_person::Column::District.eq(d.clone()));
    }
    let rows = query.all(&state.db).await?;
    let page = pagination::page(rows, limit, |y| y.id, |y| y);
    let shown = state.visible(&me, Action::YoungPeopleRead, page.items, super::resource);
    let page =
        pagination::Page { items: shown.iter().map(|y| summary(&state, y)).collect::<Result<Vec<_>, _>>()?, next_cursor: page.next_cursor };
    crate::access::audit_list(
        &state,
        &me,
        "young_people.listed",
        "young_person",
        page.items.iter().map(|i| i.id),
        page.items.iter().map(|i| i.id),
    )
    .await?;
    Ok(Json(YoungPersonPage { items: page.items, next_cursor: page.next_cursor }))
}

/// Create a young person's record (without a referral: see POST /referrals to do both).
#[utoipa::path(post, path = "/young-people", tag = "young_people", security(("bearer" = [])), request_body = CreateYoungPerson,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = CreatedYoungPerson, headers(("ETag" = String))),
        (status = 409, description = "A possible duplicate in your charity", body = Problem, content_type = "application/problem+json")))]
pub async fn create_young_person_route(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateYoungPerson>,
) -> Result<(StatusCode, HeaderMap, Json<CreatedYoungPerson>), ApiError> {
    let org = owning_organisation(&state, &me, body.organisation_id, "organisation_id").await?;
    state.authorize(&me, Action::YoungPeopleCreate, &Resource::Organisation(org.id), &[]).await?;
    let mut txn = state.write(&me).await?;
    let (yp, check) = insert_young_person(&mut txn, &state, &me, &org, body, "").await?;
    // The answer shows her record: a replay must still be allowed to read it.
    crate::access::replay_needs(Action::YoungPeopleRead, &super::resource(&yp));
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        etag::headers(yp.version),
        Json(CreatedYoungPerson { young_person: view(&state, &yp)?, duplicate_check: check }),
    ))
}

/// Read a young person's record. Every read is audited.
#[utoipa::path(get, path = "/young-people/{id}", tag = "young_people", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, (status = 200, description = "Done", body = YoungPersonView, headers(("ETag" = String))),
        (status = 404, description = "No such record, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn get_young_person(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<(HeaderMap, Json<YoungPersonView>), ApiError> {
    let yp = load(&state, &me, id, Action::YoungPeopleRead).await?;
    state.audit_read(&me, Event::new("young_person.read", "young_person").resource(yp.id, Some(yp.organisation_id))).await?;
    Ok((etag::headers(yp.version), Json(view(&state, &yp)?)))
}

/// Update a young person's record. Send If-Match. Eligibility of her referrals is recomputed.
#[utoipa::path(patch, path = "/young-people/{id}", tag = "young_people", security(("bearer" = [])), request_body = UpdateYoungPerson,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag from the last read")),
    responses(InvalidFields, Versioned, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = YoungPersonView, headers(("ETag" = String))),
        (status = 404, description = "No such record, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn update_young_person(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<UpdateYoungPerson>,
) -> Result<(HeaderMap, Json<YoungPersonView>), ApiError> {
    let yp = load(&state, &me, id, Action::YoungPeopleUpdate).await?;
    if yp.version != version {
        return Err(ApiError::PreconditionFailed);
    }
    let now = state.now();
    let today = now.date_naive();
    if let Some(dob) = body.date_of_birth {
        check_date_of_birth(dob, today)?;
    }
    check_dates(body.aces.as_deref().unwrap_or(&[]), body.consents.as_deref().unwrap_or(&[]), today, "")?;
    let mut am: young_person::ActiveModel = yp.clone().into();
    let mut changed: Vec<&str> = Vec::new();
    macro_rules! set {
        ($field:ident, $value:expr) => {{
            am.$field = Set($value);
            changed.push(stringify!($field));
        }};
    }
    if let Some(n) = &body.legal_name {
        set!(legal_name, n.trim().to_string());
        set!(name_key, rules::name_key(n));
    }
    if let Some(n) = &body.preferred_name {
        set!(preferred_name, n.trim().to_string());
    }
    if let Some(d) = body.date_of_birth {
        set!(date_of_birth, d);
    }
    if let Some(g) = body.gender {
        set!(gender, g);
    }
    if let Some(g) = &body.gender_identity {
        set!(gender_identity, Some(g.trim().to_string()).filter(|g| !g.is_empty()));
    }
    if let Some(e) = body.ethnicity {
        set!(ethnicity, e);
    }
    if let Some(p) = &body.postcode {
        set!(postcode, rules::normalise_postcode(p).unwrap_or_default());
    }
    if let Some(d) = &body.district {
        set!(district, d.trim().to_string());
    }
    if let Some(l) = &body.lsoa_code {
        set!(lsoa_code, Some(l.clone()));
    }
    if let Some(d) = body.imd_decile {
        if body.iod_edition.is_none() && yp.iod_edition.is_none() {
            return Err(ApiError::field("iod_edition", "required", "Say which Index of Deprivation the decile comes from."));
        }
        set!(imd_decile, Some(d));
    }
    if let Some(e) = body.iod_edition {
        set!(iod_edition, Some(e));
    }
    if let Some(c) = &body.contact_details {
        set!(contact_details, seal_opt(&state, TABLE, "contact_details", &yp.id, Some(c))?);
    }
    if let Some(c) = &body.parent_carer_contact {
        set!(parent_carer_contact, seal_opt(&state, TABLE, "parent_carer_contact", &yp.id, Some(c))?);
    }
    if let Some(e) = body.education_status {
        set!(education_status, e);
    }
    if let Some(c) = body.care_status {
        set!(care_status, c);
    }
    if let Some(s) = body.send {
        set!(send, s);
    }
    if let Some(a) = &body.aces {
        set!(aces, JsonText::of(a)?);
        set!(ace_count, rules::ace_count(a) as i16);
    }
    if let Some(r) = &body.risk_indicators {
        set!(risk_indicators, JsonText::of(r)?);
    }
    if let Some(c) = &body.consents {
        set!(consents, JsonText::of(c)?);
    }
    if let Some(g) = body.gillick_competent {
        set!(gillick_competent, Some(g));
    }
    if let Some(v) = &body.interests {
        set!(interests, JsonText::of(v)?);
    }
    if let Some(v) = &body.languages {
        set!(languages, JsonText::of(v)?);
    }
    if let Some(v) = &body.availability {
        set!(availability, JsonText::of(v)?);
    }
    if let Some(v) = &body.mentor_preferences {
        set!(mentor_preferences, JsonText::of(v)?);
    }
    am.version = Set(yp.version + 1);
    am.updated_at = Set(now);
    let mut txn = state.write(&me).await?;
    let result = young_person::Entity::update_many()
        .set(am)
        .filter(young_person::Column::Id.eq(yp.id))
        .filter(young_person::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let updated = young_person::Entity::find_by_id(yp.id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    crate::referrals::service::recompute_eligibility(&txn, &updated).await?;
    txn.audit(
        Event::new("young_person.updated", "young_person").resource(yp.id, Some(yp.organisation_id)).detail(json!({"changed": changed})),
    );
    txn.commit().await?;
    Ok((etag::headers(updated.version), Json(view(&state, &updated)?)))
}
