//! Monitoring and support (MENTOR standard 5): the coordinator's check-ins with a match's
//! mentor and mentee, and the list of matches whose sessions or support contacts have lapsed.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use super::dto::*;
use super::rules::{self, Monitored};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::db::ID_CHUNK;
use crate::entities::{matching, mentoring_session as ms, support_contact as sc};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn};
use crate::matches::rules::MatchStatus;
use crate::young_people::{open_opt, seal_opt};
use crate::{access::Deny, state::AppState};

const TABLE: &str = "support_contacts";

/// Loads a match the caller may read (404 otherwise), then checks `action` (403).
async fn load_match(state: &AppState, me: &CurrentUser, id: Uuid, action: Action) -> Result<matching::Model, ApiError> {
    let m = matching::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    let res = crate::matches::service::resource(&m);
    state.authorize_as(me, Action::MatchesRead, &res, &[], Deny::NotFound).await?;
    state.authorize_as(me, action, &res, &[], Deny::Forbidden).await?;
    Ok(m)
}

fn contact_view(state: &AppState, c: sc::Model) -> Result<SupportContactView, ApiError> {
    Ok(SupportContactView {
        id: c.id,
        match_id: c.match_id,
        organisation_id: c.organisation_id,
        contact_with: c.contact_with,
        method: c.method,
        contact_on: c.contact_on,
        notes: open_opt(state, TABLE, "notes", &c.id, c.notes.as_deref())?,
        recorded_by: c.recorded_by,
        recorded_at: c.recorded_at,
    })
}

/// The support contacts recorded for a match, most recent first.
#[utoipa::path(get, path = "/matches/{id}/support-contacts", tag = "sessions", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = SupportContactList),
        (status = 404, description = "No such match, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn list_contacts(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<Json<SupportContactList>, ApiError> {
    let m = load_match(&state, &me, id, Action::SupportContactsList).await?;
    let rows = sc::Entity::find()
        .filter(sc::Column::MatchId.eq(m.id))
        .order_by_desc(sc::Column::ContactOn)
        .order_by_desc(sc::Column::Id)
        .all(&state.db)
        .await?;
    let items = rows.into_iter().map(|c| contact_view(&state, c)).collect::<Result<Vec<_>, _>>()?;
    state
        .audit_read(
            &me,
            Event::new("match.support_contacts_read", "match")
                .resource(m.id, Some(m.organisation_id))
                .about(m.young_person_id)
                .detail(json!({"count": items.len()})),
        )
        .await?;
    Ok(Json(SupportContactList { items }))
}

/// Record a coordinator's check-in with the match's mentor, mentee or both.
#[utoipa::path(post, path = "/matches/{id}/support-contacts", tag = "sessions", security(("bearer" = [])), request_body = CreateSupportContact,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = SupportContactView),
        (status = 404, description = "No such match, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn create_contact(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CreateSupportContact>,
) -> Result<(StatusCode, Json<SupportContactView>), ApiError> {
    let m = load_match(&state, &me, id, Action::SupportContactsCreate).await?;
    let now = state.now();
    if body.contact_on > now.date_naive() {
        return Err(ApiError::field("contact_on", "in_future", "This date is in the future."));
    }
    if body.contact_on < m.proposed_on {
        return Err(ApiError::field("contact_on", "before_match", "This date is before the match was proposed."));
    }
    let id = Uuid::now_v7();
    let mut txn = state.write(&me).await?;
    crate::access::still_held(&txn, &crate::matches::service::resource(&m)).await?;
    let c = sc::ActiveModel {
        id: Set(id),
        match_id: Set(m.id),
        organisation_id: Set(m.organisation_id),
        contact_with: Set(body.contact_with),
        contact_on: Set(body.contact_on),
        method: Set(body.method),
        notes: Set(seal_opt(&state, TABLE, "notes", &id, body.notes.as_deref())?),
        recorded_by: Set(me.id()),
        recorded_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.audit(
        Event::new("support_contact.created", "support_contact")
            .resource(c.id, Some(c.organisation_id))
            .about(m.young_person_id)
            .detail(json!({"match_id": m.id, "contact_with": body.contact_with.as_str()})),
    );
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(contact_view(&state, c)?)))
}

/// Active matches where she has attended no session in `days` days, and active or paused
/// matches short of support contacts: fewer than two in their first month, none in the last
/// month after that (MENTOR standard 5). A coordinator sees her own charity's.
#[utoipa::path(get, path = "/monitoring/contact-gaps", tag = "sessions", security(("bearer" = [])), params(ContactGapParams),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = ContactGapList)))]
pub async fn contact_gaps(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ContactGapParams>,
) -> Result<Json<ContactGapList>, ApiError> {
    let asked = q.organisation_id.unwrap_or(me.user.organisation_id);
    state.authorize(&me, Action::MonitoringContactGaps, &Resource::Organisation(asked), &[]).await?;
    let everyone = q.organisation_id.is_none() && me.role == crate::entities::user::Role::ProgrammeAdmin;
    let days = q.days.unwrap_or(14);
    let today = state.now().date_naive();
    let mut query = matching::Entity::find()
        .filter(matching::Column::Status.is_in([MatchStatus::Active, MatchStatus::Paused]))
        .filter(matching::Column::AgreementSignedOn.is_not_null())
        .order_by_asc(matching::Column::Id);
    if !everyone {
        query = query.filter(matching::Column::OrganisationId.eq(asked));
    }
    let matches = query.all(&state.db).await?;
    let ids: Vec<Uuid> = matches.iter().map(|m| m.id).collect();
    // The last attended session of each, and the support contacts that can count today.
    let mut last: HashMap<Uuid, chrono::NaiveDate> = HashMap::new();
    let mut contacts: HashMap<Uuid, Vec<chrono::NaiveDate>> = HashMap::new();
    // A week's margin before the month's start: the rules pick the contacts that count.
    let from = rules::month_start(today) - chrono::Days::new(7);
    for chunk in ids.chunks(ID_CHUNK) {
        let rows: Vec<(Uuid, Option<chrono::NaiveDate>)> = ms::Entity::find()
            .select_only()
            .column(ms::Column::MatchId)
            .column_as(Expr::from(Func::max(Expr::col(ms::Column::HeldOn))), "last")
            .filter(ms::Column::MatchId.is_in(chunk.to_vec()))
            .filter(ms::Column::Attended.eq(true))
            .group_by(ms::Column::MatchId)
            .into_tuple()
            .all(&state.db)
            .await?;
        for (m, d) in rows {
            if let Some(d) = d {
                last.insert(m, d);
            }
        }
        let rows: Vec<(Uuid, chrono::NaiveDate)> = sc::Entity::find()
            .select_only()
            .columns([sc::Column::MatchId, sc::Column::ContactOn])
            .filter(sc::Column::MatchId.is_in(chunk.to_vec()))
            .filter(sc::Column::ContactOn.gte(from))
            .into_tuple()
            .all(&state.db)
            .await?;
        for (m, d) in rows {
            contacts.entry(m).or_default().push(d);
        }
    }
    let mut items = Vec::new();
    for m in &matches {
        let Some(started_on) = m.agreement_signed_on else { continue };
        let status = m.status;
        let monitored = Monitored {
            active: status == MatchStatus::Active,
            started_on,
            last_session_on: last.get(&m.id).copied(),
            recent_contacts: contacts.remove(&m.id).unwrap_or_default(),
        };
        let (reasons, counted) = rules::gaps(&monitored, today, days);
        if reasons.is_empty() {
            continue;
        }
        items.push(ContactGap {
            match_id: m.id,
            organisation_id: m.organisation_id,
            mentor_id: m.mentor_id,
            young_person_id: m.young_person_id,
            status,
            started_on,
            last_session_on: monitored.last_session_on,
            days_without_session: (today - monitored.last_session_on.unwrap_or(started_on)).num_days(),
            support_contacts_counted: counted,
            reasons,
        });
    }
    state
        .audit_read(
            &me,
            Event::new("monitoring.contact_gaps_read", "programme").about_all(items.iter().map(|g| g.young_person_id)).detail(json!({
                "organisation_id": q.organisation_id,
                "days": days,
                "matches_checked": matches.len(),
                "match_ids": items.iter().map(|g| g.match_id.to_string()).collect::<Vec<_>>(),
            })),
        )
        .await?;
    Ok(Json(ContactGapList { days, as_of: today, matches_checked: matches.len(), items }))
}
