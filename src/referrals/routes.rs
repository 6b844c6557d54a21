//! Referral routes: HTTP only; the state machine is in `rules.rs`, eligibility and consent
//! in `young_people/rules.rs`, who may do what in `policies/referrals.cedar`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use sea_orm::sea_query::Query;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use super::dto::*;
use super::rules::{self, SourceType, Status};
use super::service::{TABLE, eligibility_of, load, record_transition, resource, view};
use crate::access::scope::RecordScope;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::json::JsonText;
use crate::entities::{matching, referral, young_person};
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, IfMatch};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn, Versioned};
use crate::state::AppState;
use crate::young_people::dto::DuplicateCheck;
use crate::young_people::rules::{self as yp_rules, Consent};
use crate::young_people::{seal_opt, service as yp_service};

/// Whether a match made for this referral has not ended.
async fn open_match<C: ConnectionTrait>(conn: &C, referral_id: Uuid) -> Result<bool, ApiError> {
    let n = matching::Entity::find()
        .filter(matching::Column::ReferralId.eq(referral_id))
        .filter(matching::Column::Status.ne(matching::MatchStatus::Ended))
        .count(conn)
        .await?;
    Ok(n > 0)
}

fn check_received_on(d: NaiveDate, today: NaiveDate, field: &str) -> Result<(), ApiError> {
    if d > today {
        return Err(ApiError::field(field, "in_future", "The referral cannot have been received in the future."));
    }
    if d < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(d) {
        return Err(ApiError::field(field, "out_of_range", "That date is too far in the past; check it."));
    }
    Ok(())
}

/// Inserts a referral and its first transition (to `received`) in `conn`.
#[allow(clippy::too_many_arguments)]
async fn insert_referral(
    conn: &mut crate::access::Write,
    state: &AppState,
    me: &CurrentUser,
    yp: &young_person::Model,
    received_on: NaiveDate,
    source_type: SourceType,
    referrer: &Referrer,
    reasons: &str,
    reopened_from: Option<Uuid>,
) -> Result<referral::Model, ApiError> {
    let now = state.now();
    let id = Uuid::now_v7();
    let e = eligibility_of(yp, received_on)?;
    let referrer_json = serde_json::to_string(referrer).map_err(ApiError::internal)?;
    let r = referral::ActiveModel {
        id: Set(id),
        young_person_id: Set(yp.id),
        organisation_id: Set(yp.organisation_id),
        received_on: Set(received_on),
        source_type: Set(source_type),
        referrer: Set(state.keys.fields.seal(TABLE, "referrer", &id, &referrer_json)?),
        reasons: Set(state.keys.fields.seal(TABLE, "reasons", &id, reasons.trim())?),
        status: Set(Status::Received),
        eligible: Set(e.eligible),
        eligibility_reasons: Set(JsonText::of(&e.reasons)?),
        eligibility_override: Set(None),
        consent_override: Set(None),
        decline_reason: Set(None),
        closure_reason: Set(None),
        decided_on: Set(None),
        reopened_from: Set(reopened_from),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    record_transition(conn, state, me, &r, None, Status::Received, None).await?;
    conn.audit(
        Event::new("referral.created", "referral")
            .resource(id, Some(r.organisation_id))
            .about(yp.id)
            .detail(json!({"young_person_id": yp.id, "eligible": e.eligible, "reopened_from": reopened_from})),
    );
    Ok(r)
}

/// List referrals the caller may read, with filters.
#[utoipa::path(get, path = "/referrals", tag = "referrals", security(("bearer" = [])), params(ListReferrals),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = ReferralPage)))]
pub async fn list_referrals(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListReferrals>,
) -> Result<Json<ReferralPage>, ApiError> {
    state.authorize(&me, Action::ReferralsList, &Resource::Programme, &[]).await?;
    let scope = crate::access::scope::record_list_scope(&me.principal()).ok_or(ApiError::Forbidden)?;
    let limit = pagination::limit(q.limit);
    let mut query = referral::Entity::find().order_by_asc(referral::Column::Id).limit(limit + 1);
    if let RecordScope::Organisation(org) = scope {
        query = query.filter(referral::Column::OrganisationId.eq(org));
    }
    if let Some(after) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(referral::Column::Id.gt(after));
    }
    if let Some(s) = q.status {
        query = query.filter(referral::Column::Status.eq(s));
    }
    if let Some(org) = q.organisation_id {
        query = query.filter(referral::Column::OrganisationId.eq(org));
    }
    for (date, field) in [(q.received_from, "received_from"), (q.received_to, "received_to")] {
        // PostgreSQL cannot hold every date chrono can parse; nothing here is outside these years.
        if date.is_some_and(|d| !(1900..=2200).contains(&chrono::Datelike::year(&d))) {
            return Err(ApiError::field(field, "out_of_range", "Give a date between 1900 and 2200."));
        }
    }
    if let Some(from) = q.received_from {
        query = query.filter(referral::Column::ReceivedOn.gte(from));
    }
    if let Some(to) = q.received_to {
        query = query.filter(referral::Column::ReceivedOn.lte(to));
    }
    if let Some(e) = q.eligible {
        query = query.filter(referral::Column::Eligible.eq(e));
    }
    if let Some(d) = &q.district {
        let in_district = Query::select()
            .column(young_person::Column::Id)
            .from(young_person::Entity)
            .and_where(young_person::Column::District.eq(d.clone()))
            .to_owned();
        query = query.filter(referral::Column::YoungPersonId.in_subquery(in_district));
    }
    let rows = query.all(&state.db).await?;
    // One query for the page's young people, whatever the page size.
    let ids: Vec<Uuid> = rows.iter().map(|r| r.young_person_id).collect();
    let people = crate::young_people::service::by_id(&state.db, &ids).await?;
    let page = pagination::page(rows, limit, |r| r.id, |r| r);
    let shown = state.visible(&me, Action::ReferralsRead, page.items, resource);
    let mut items = Vec::with_capacity(shown.len());
    for r in shown {
        let Some(yp) = people.get(&r.young_person_id) else { continue };
        // Her summary only where the reader may see her (a referral and its young person
        // move together, but never rely on that to show a name).
        if let RecordScope::Organisation(org) = scope
            && yp.organisation_id != org
        {
            continue;
        }
        items.push(ReferralSummary {
            id: r.id,
            organisation_id: r.organisation_id,
            received_on: r.received_on,
            source_type: r.source_type,
            status: r.status,
            eligible: r.eligible,
            young_person: yp_service::summary(&state, yp)?,
        });
    }
    crate::access::audit_list(
        &state,
        &me,
        "referrals.listed",
        "referral",
        items.iter().map(|i| i.id),
        items.iter().map(|i| i.young_person.id),
    )
    .await?;
    Ok(Json(ReferralPage { items, next_cursor: page.next_cursor }))
}

/// Record a referral: for an existing young person (`young_person_id`) or a new one
/// (`young_person`, checked for duplicates). Eligibility is computed and shown with reasons.
#[utoipa::path(post, path = "/referrals", tag = "referrals", security(("bearer" = [])), request_body = CreateReferral,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = CreatedReferral, headers(("ETag" = String))),
        (status = 404, description = "No such young person (`young_person_id`), or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A possible duplicate in your charity", body = Problem, content_type = "application/problem+json")))]
pub async fn create_referral(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateReferral>,
) -> Result<(StatusCode, HeaderMap, Json<CreatedReferral>), ApiError> {
    let today = state.now().date_naive();
    check_received_on(body.received_on, today, "received_on")?;
    let mut txn;
    let (yp, check) = match (body.young_person_id, body.young_person) {
        (Some(id), None) => {
            let yp = crate::young_people::load(&state, &me, id, Action::YoungPeopleRead).await?;
            state.authorize(&me, Action::ReferralsCreate, &Resource::Organisation(yp.organisation_id), &[]).await?;
            if yp.merged_into.is_some() {
                return Err(ApiError::field("young_person_id", "merged", "This record was merged into another; use that one."));
            }
            txn = state.write(&me).await?;
            (crate::young_people::still_owned(&txn, &yp).await?, DuplicateCheck::default())
        }
        (None, Some(new)) => {
            if new.organisation_id.is_some() && new.organisation_id != body.organisation_id {
                return Err(ApiError::field(
                    "young_person.organisation_id",
                    "mismatch",
                    "Name the owning charity once, as the referral's organisation_id.",
                ));
            }
            let org = yp_service::owning_organisation(&state, &me, body.organisation_id, "organisation_id").await?;
            state.authorize(&me, Action::ReferralsCreate, &Resource::Organisation(org.id), &[]).await?;
            state.authorize(&me, Action::YoungPeopleCreate, &Resource::Organisation(org.id), &[]).await?;
            txn = state.write(&me).await?;
            yp_service::insert_young_person(&mut txn, &state, &me, &org, new, "young_person.").await?
        }
        _ => return Err(ApiError::field("young_person_id", "one_of", "Give either young_person_id or young_person, not both or neither.")),
    };
    let r = insert_referral(&mut txn, &state, &me, &yp, body.received_on, body.source_type, &body.referrer, &body.reasons, None).await?;
    // The answer shows the referral itself: a replay must still be allowed to read it.
    crate::access::replay_needs(Action::ReferralsRead, &resource(&r));
    txn.commit().await?;
    Ok((StatusCode::CREATED, etag::headers(r.version), Json(CreatedReferral { referral: view(&state, &r)?, duplicate_check: check })))
}

/// Read a referral. Every read is audited.
#[utoipa::path(get, path = "/referrals/{id}", tag = "referrals", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, (status = 200, description = "Done", body = ReferralView, headers(("ETag" = String))),
        (status = 404, description = "No such referral, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn get_referral(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<(HeaderMap, Json<ReferralView>), ApiError> {
    let r = load(&state, &me, id, Action::ReferralsRead).await?;
    state.audit_read(&me, Event::new("referral.read", "referral").resource(r.id, Some(r.organisation_id)).about(r.young_person_id)).await?;
    Ok((etag::headers(r.version), Json(view(&state, &r)?)))
}

/// Correct a referral's details. Its status moves only by POST .../transitions.
#[utoipa::path(patch, path = "/referrals/{id}", tag = "referrals", security(("bearer" = [])), request_body = UpdateReferral,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag from the last read")),
    responses(InvalidFields, Versioned, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = ReferralView, headers(("ETag" = String))),
        (status = 404, description = "No such referral, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn update_referral(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<UpdateReferral>,
) -> Result<(HeaderMap, Json<ReferralView>), ApiError> {
    let r = load(&state, &me, id, Action::ReferralsUpdate).await?;
    if r.version != version {
        return Err(ApiError::PreconditionFailed);
    }
    let now = state.now();
    let mut am: referral::ActiveModel = r.clone().into();
    let mut changed = Vec::new();
    if let Some(d) = body.received_on {
        check_received_on(d, now.date_naive(), "received_on")?;
        let yp = young_person::Entity::find_by_id(r.young_person_id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
        let e = eligibility_of(&yp, d)?;
        am.received_on = Set(d);
        am.eligible = Set(e.eligible);
        am.eligibility_reasons = Set(JsonText::of(&e.reasons)?);
        changed.push("received_on");
    }
    if let Some(s) = body.source_type {
        am.source_type = Set(s);
        changed.push("source_type");
    }
    if let Some(referrer) = &body.referrer {
        let json = serde_json::to_string(referrer).map_err(ApiError::internal)?;
        am.referrer = Set(state.keys.fields.seal(TABLE, "referrer", &r.id, &json)?);
        changed.push("referrer");
    }
    if let Some(reasons) = &body.reasons {
        am.reasons = Set(state.keys.fields.seal(TABLE, "reasons", &r.id, reasons.trim())?);
        changed.push("reasons");
    }
    am.version = Set(r.version + 1);
    am.updated_at = Set(now);
    let mut txn = state.write(&me).await?;
    let result = referral::Entity::update_many()
        .set(am)
        .filter(referral::Column::Id.eq(r.id))
        .filter(referral::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    txn.audit(
        Event::new("referral.updated", "referral")
            .resource(r.id, Some(r.organisation_id))
            .about(r.young_person_id)
            .detail(json!({"changed": changed})),
    );
    let updated = referral::Entity::find_by_id(r.id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok((etag::headers(updated.version), Json(view(&state, &updated)?)))
}

/// Move a referral to another status. A move the machine does not allow is 409 naming the
/// allowed ones; declining needs `reason`, closing `closure_reason`; accepting needs her to
/// be eligible and consent recorded, or a written `eligibility_override` / `consent_override`.
#[utoipa::path(post, path = "/referrals/{id}/transitions", tag = "referrals", security(("bearer" = [])), request_body = Transition,
    params(("id" = Uuid, Path)),
    responses(SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = ReferralView, headers(("ETag" = String))),
        (status = 404, description = "No such referral, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status; `allowed` lists what is", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A reason, closure reason, override or consent is missing", body = Problem, content_type = "application/problem+json")))]
pub async fn transition(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<Transition>,
) -> Result<(HeaderMap, Json<ReferralView>), ApiError> {
    let r = load(&state, &me, id, Action::ReferralsTransition).await?;
    let from = r.status;
    // Matched and active follow from the match; closing waits for an open match to end.
    let mut manual = rules::manual_from(from);
    if manual.contains(&Status::Closed) && open_match(&state.db, r.id).await? {
        manual.retain(|s| *s != Status::Closed);
    }
    if !manual.contains(&body.to) {
        let detail = if rules::follows_match(body.to) {
            format!("A referral becomes {} through its match: confirm or start the match instead.", body.to.as_str())
        } else if rules::can_move(from, body.to) {
            "Her match is still open: end the match, which closes the referral.".to_string()
        } else {
            format!("A referral that is {} cannot move to {}.", from.as_str(), body.to.as_str())
        };
        return Err(ApiError::Conflict { detail, allowed: Some(manual.iter().map(|s| s.as_str().to_string()).collect()) });
    }
    let now = state.now();
    let mut am: referral::ActiveModel = r.clone().into();
    let mut detail = json!({"from": from.as_str(), "to": body.to.as_str()});
    match body.to {
        Status::Declined => {
            let reason =
                body.reason.as_deref().ok_or_else(|| ApiError::field("reason", "required", "Say why the referral is declined."))?;
            am.decline_reason = Set(seal_opt(&state, TABLE, "decline_reason", &r.id, Some(reason))?);
            am.decided_on = Set(Some(now.date_naive()));
        }
        Status::Waitlisted => {
            am.decided_on = Set(Some(now.date_naive()));
        }
        Status::Closed => {
            let reason =
                body.closure_reason.ok_or_else(|| ApiError::field("closure_reason", "required", "Say why the referral is closed."))?;
            am.closure_reason = Set(Some(reason));
            detail["closure_reason"] = json!(reason.as_str());
        }
        Status::Accepted => {
            let yp = young_person::Entity::find_by_id(r.young_person_id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
            let e = eligibility_of(&yp, r.received_on)?;
            if !e.eligible {
                let Some(why) = body.eligibility_override.as_deref() else {
                    return Err(ApiError::field(
                        "eligibility_override",
                        "required",
                        format!("She does not meet the criteria ({}); accepting needs a written justification.", e.reasons.join("; ")),
                    ));
                };
                am.eligibility_override = Set(seal_opt(&state, TABLE, "eligibility_override", &r.id, Some(why))?);
                detail["eligibility_override"] = json!(true);
            }
            let consents: Vec<Consent> = yp.consents.to_vec();
            let missing = yp_rules::missing_consent(&consents, yp_rules::age_on(yp.date_of_birth, r.received_on), yp.gillick_competent);
            if !missing.is_empty() {
                let Some(why) = body.consent_override.as_deref() else {
                    return Err(ApiError::field(
                        "consent_override",
                        "consent_missing",
                        format!("Consent is missing: {}. Record it on her record, or give a written justification.", missing.join("; ")),
                    ));
                };
                am.consent_override = Set(seal_opt(&state, TABLE, "consent_override", &r.id, Some(why))?);
                detail["consent_override"] = json!(true);
            }
            if r.decided_on.is_none() {
                am.decided_on = Set(Some(now.date_naive()));
            }
        }
        _ => {}
    }
    am.status = Set(body.to);
    am.version = Set(r.version + 1);
    am.updated_at = Set(now);
    let mut txn = state.write(&me).await?;
    let result = referral::Entity::update_many()
        .set(am)
        .filter(referral::Column::Id.eq(r.id))
        .filter(referral::Column::Version.eq(r.version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(ApiError::conflict("The referral changed while this was being done; read it again."));
    }
    record_transition(&txn, &state, &me, &r, Some(from), body.to, body.reason.as_deref()).await?;
    txn.audit(
        Event::new("referral.transitioned", "referral").resource(r.id, Some(r.organisation_id)).about(r.young_person_id).detail(detail),
    );
    let updated = referral::Entity::find_by_id(r.id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok((etag::headers(updated.version), Json(view(&state, &updated)?)))
}

/// Reopen a closed (or declined) referral: a new referral for the same young person.
#[utoipa::path(post, path = "/referrals/{id}/reopen", tag = "referrals", security(("bearer" = [])), request_body = Reopen,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = ReferralView, headers(("ETag" = String))),
        (status = 404, description = "No such referral, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The referral is still open", body = Problem, content_type = "application/problem+json")))]
pub async fn reopen(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<Reopen>,
) -> Result<(StatusCode, HeaderMap, Json<ReferralView>), ApiError> {
    let r = load(&state, &me, id, Action::ReferralsTransition).await?;
    state.authorize(&me, Action::ReferralsCreate, &Resource::Organisation(r.organisation_id), &[]).await?;
    if rules::is_open(r.status) {
        return Err(ApiError::Conflict { detail: "Only a closed or declined referral can be reopened.".into(), allowed: None });
    }
    check_received_on(body.received_on, state.now().date_naive(), "received_on")?;
    let yp = young_person::Entity::find_by_id(r.young_person_id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    let mut txn = state.write(&me).await?;
    let yp = crate::young_people::still_owned(&txn, &yp).await?;
    if yp.organisation_id != r.organisation_id {
        return Err(ApiError::conflict("Her record is held by another charity now."));
    }
    let mut open = false;
    for x in yp_service::referrals_of(&txn, yp.id).await? {
        open |= rules::is_open(x.status);
    }
    if open {
        return Err(ApiError::conflict("She already has an open referral; work with that one."));
    }
    let new =
        insert_referral(&mut txn, &state, &me, &yp, body.received_on, body.source_type, &body.referrer, &body.reasons, Some(r.id)).await?;
    crate::access::replay_needs(Action::ReferralsRead, &resource(&new));
    txn.commit().await?;
    Ok((StatusCode::CREATED, etag::headers(new.version), Json(view(&state, &new)?)))
}
