//! Matches as other capabilities need them: the moves of a match and of the referral
//! that goes with it, in the caller's transaction. Routes and other capabilities call these;
//! nothing here knows about HTTP.

use super::rules::{self, Candidate, EndingReason, EndingType, MatchStatus, Mentee};
use crate::authz::{Action, Resource, Value};
use crate::db::ID_CHUNK;
use crate::entities::json::JsonText;
use crate::entities::{match_transition, matching, mentor_conflict, mentor_profile, referral, young_person};
use crate::error::ApiError;
use crate::mentors::service::{ComplianceRecords, names_of};
use crate::{access::Deny, state::AppState};
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use crate::access::Write;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::referrals::rules::Status as ReferralStatus;

/// The matches of young person `young_person_id` that have not ended.
pub async fn open_matches_of<C: ConnectionTrait>(txn: &C, young_person_id: Uuid) -> Result<Vec<matching::Model>, ApiError> {
    Ok(matching::Entity::find()
        .filter(matching::Column::YoungPersonId.eq(young_person_id))
        .filter(matching::Column::Status.ne(MatchStatus::Ended))
        .all(txn)
        .await?)
}

/// Ends a match because its young person moved to another charity: unplanned, reason
/// `other`, no exit conversation recorded, and its referral goes back to waiting for a match
/// (at her new charity).
pub async fn end_for_allocation(
    txn: &mut Write,
    state: &AppState,
    me: &CurrentUser,
    m: &matching::Model,
    on: NaiveDate,
) -> Result<(), ApiError> {
    let from = m.status;
    let on = std::cmp::Ord::max(on, m.first_meeting_on.unwrap_or(m.proposed_on));
    matching::Entity::update_many()
        .col_expr(matching::Column::Status, Expr::value(MatchStatus::Ended))
        .col_expr(matching::Column::EndedOn, Expr::value(on))
        .col_expr(matching::Column::EndingType, Expr::value(EndingType::Unplanned.as_str()))
        .col_expr(matching::Column::EndingReason, Expr::value(EndingReason::Other.as_str()))
        .col_expr(matching::Column::ExitConversationHeld, Expr::value(false))
        .col_expr(matching::Column::Version, crate::db::incremented(matching::Column::Version))
        .col_expr(matching::Column::UpdatedAt, Expr::value(state.now()))
        .filter(matching::Column::Id.eq(m.id))
        .exec(txn)
        .await?;
    let details = json!({"ending_type": "unplanned", "ending_reason": "other", "exit_conversation_held": false, "by": "allocation"});
    record_match_transition(txn, state, me, m, (Some(from), MatchStatus::Ended, on), details).await?;
    move_referral(txn, state, me, m.referral_id, &[ReferralStatus::Matched, ReferralStatus::Active], ReferralStatus::Accepted, None).await
}

/// Moves a referral as its match moves, recording the move in its history.
pub async fn move_referral(
    txn: &mut Write,
    state: &AppState,
    me: &CurrentUser,
    referral_id: Uuid,
    from: &[ReferralStatus],
    to: ReferralStatus,
    closure: Option<crate::referrals::rules::ClosureReason>,
) -> Result<(), ApiError> {
    let Some(r) = referral::Entity::find_by_id(referral_id).one(txn).await? else { return Ok(()) };
    let current = r.status;
    if !from.contains(&current) {
        return Ok(());
    }
    let mut update = referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::value(to))
        .col_expr(referral::Column::Version, crate::db::incremented((referral::Entity, referral::Column::Version)))
        .col_expr(referral::Column::UpdatedAt, Expr::value(state.now()));
    if let Some(c) = closure {
        update = update.col_expr(referral::Column::ClosureReason, Expr::value(c.as_str()));
    }
    update.filter(referral::Column::Id.eq(r.id)).exec(txn).await?;
    crate::referrals::service::record_transition(txn, state, me, &r, Some(current), to, None).await?;
    txn.audit(
        Event::new("referral.transitioned", "referral")
            .resource(r.id, Some(r.organisation_id))
            .about(r.young_person_id)
            .detail(json!({"from": current.as_str(), "to": to.as_str(), "by": "match", "closure_reason": closure.map(|c| c.as_str())})),
    );
    Ok(())
}

pub async fn record_match_transition(
    txn: &mut Write,
    state: &AppState,
    me: &CurrentUser,
    m: &matching::Model,
    (from, to, on): (Option<MatchStatus>, MatchStatus, NaiveDate),
    details: serde_json::Value,
) -> Result<(), ApiError> {
    match_transition::ActiveModel {
        id: Set(Uuid::now_v7()),
        match_id: Set(m.id),
        organisation_id: Set(m.organisation_id),
        from_status: Set(from),
        to_status: Set(to),
        on_date: Set(on),
        details: Set(JsonText::of(&details)?),
        actor_id: Set(me.id()),
        at: Set(state.now()),
    }
    .insert(txn)
    .await?;
    txn.audit(
        Event::new(if from.is_none() { "match.created" } else { "match.transitioned" }, "match")
            .resource(m.id, Some(m.organisation_id))
            .about(m.young_person_id)
            .detail(json!({"from": from.map(|s| s.as_str()), "to": to.as_str(), "details": details})),
    );
    Ok(())
}

pub fn resource(m: &matching::Model) -> Resource {
    Resource::Match { id: m.id, organisation_id: m.organisation_id, mentor_id: m.mentor_id, open: m.status != MatchStatus::Ended }
}

pub fn mentee(yp: &young_person::Model, today: NaiveDate) -> Result<Mentee, ApiError> {
    Ok(Mentee {
        id: yp.id,
        age: rules::age_on(yp.date_of_birth, today),
        district: yp.district.clone(),
        interests: yp.interests.to_vec(),
        languages: yp.languages.to_vec(),
        availability: yp.availability.to_vec(),
        preferences: yp.mentor_preferences.to_vec(),
    })
}

/// The mentors of `pool` who have not left, as matching sees them today, with their names.
/// A handful of queries whatever their number.
pub async fn candidates<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    pool: Pool<'_>,
    today: NaiveDate,
) -> Result<Vec<(Candidate, String)>, ApiError> {
    let q = mentor_profile::Entity::find()
        .filter(mentor_profile::Column::Status.ne(crate::mentors::rules::MentorStatus::Left))
        .order_by_asc(mentor_profile::Column::UserId);
    let q = match pool {
        Pool::All => q,
        Pool::Organisations(orgs) => q.filter(mentor_profile::Column::OrganisationId.is_in(orgs.to_vec())),
        Pool::Mentor(id) => q.filter(mentor_profile::Column::UserId.eq(id)),
    };
    let profiles = q.all(conn).await?;
    let ids: Vec<Uuid> = profiles.iter().map(|p| p.user_id).collect();
    let names = names_of(conn, &ids).await?;
    let records = ComplianceRecords::load(conn, &ids).await?;
    let mut open: HashMap<Uuid, i32> = HashMap::new();
    let mut safeguarding: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    let mut conflicts: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for chunk in ids.chunks(ID_CHUNK) {
        let rows: Vec<(Uuid, Uuid, String, Option<String>)> = matching::Entity::find()
            .select_only()
            .columns([
                matching::Column::MentorId,
                matching::Column::YoungPersonId,
                matching::Column::Status,
                matching::Column::EndingReason,
            ])
            .filter(matching::Column::MentorId.is_in(chunk.to_vec()))
            .filter(
                matching::Column::Status.ne(MatchStatus::Ended).or(matching::Column::EndingReason.eq(EndingReason::Safeguarding.as_str())),
            )
            .into_tuple()
            .all(conn)
            .await?;
        for (mentor, yp, status, reason) in rows {
            if status != "ended" {
                *open.entry(mentor).or_default() += 1;
            } else if reason.as_deref() == Some(EndingReason::Safeguarding.as_str()) {
                safeguarding.entry(mentor).or_default().insert(yp);
            }
        }
        let rows: Vec<(Uuid, Uuid)> = mentor_conflict::Entity::find()
            .select_only()
            .columns([mentor_conflict::Column::MentorId, mentor_conflict::Column::YoungPersonId])
            .filter(mentor_conflict::Column::MentorId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        for (mentor, yp) in rows {
            conflicts.entry(mentor).or_default().insert(yp);
        }
    }
    let mut out = Vec::with_capacity(profiles.len());
    for p in profiles {
        let compliance = records.assess(state, &p, today)?;
        let c = Candidate {
            id: p.user_id,
            organisation_id: p.organisation_id,
            districts: p.districts.to_vec(),
            interests: p.interests.to_vec(),
            languages: p.languages.to_vec(),
            availability: p.availability.to_vec(),
            age_min: p.age_min,
            age_max: p.age_max,
            lived_experience: p.lived_experience.is_some(),
            places: p.capacity as i32 - open.get(&p.user_id).copied().unwrap_or(0),
            compliance_gaps: compliance.gaps.into_iter().map(|g| g.message).collect(),
            conflicts: conflicts.remove(&p.user_id).unwrap_or_default(),
            safeguarding_endings: safeguarding.remove(&p.user_id).unwrap_or_default(),
        };
        out.push((c, names.get(&p.user_id).cloned().unwrap_or_default()));
    }
    Ok(out)
}

/// Which mentors matching looks at.
pub enum Pool<'a> {
    All,
    Organisations(&'a [Uuid]),
    /// One mentor, when a match with her is confirmed.
    Mentor(Uuid),
}

pub fn waiting(r: &referral::Model) -> Result<(), ApiError> {
    if r.status != ReferralStatus::Accepted {
        return Err(ApiError::conflict(format!(
            "Only an accepted referral waiting for a mentor can be matched; this one is {}.",
            r.status.as_str()
        )));
    }
    Ok(())
}

/// Loads a referral the caller may read (404 otherwise), then checks `action` (403).
pub async fn load_referral(
    state: &AppState,
    me: &CurrentUser,
    id: Uuid,
    action: Action,
    other_charities: bool,
) -> Result<referral::Model, ApiError> {
    let r = referral::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    let res = crate::referrals::service::resource(&r);
    state.authorize_as(me, Action::ReferralsRead, &res, &[], Deny::NotFound).await?;
    state.authorize_as(me, action, &res, &[("other_charities", Value::Bool(other_charities))], Deny::Forbidden).await?;
    Ok(r)
}
