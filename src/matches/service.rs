//! Matches as other capabilities need them: the moves of a match and of the referral
//! that goes with it, in the caller's transaction. Routes and other capabilities call these;
//! nothing here knows about HTTP.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use super::rules::{EndingReason, EndingType, MatchStatus};
use crate::audit::{self, Event};
use crate::auth::CurrentUser;
use crate::authz::Resource;
use crate::entities::{match_transition, matching, referral};
use crate::error::ApiError;
use crate::referrals::rules::Status as ReferralStatus;
use crate::state::AppState;

/// The matches of young person `young_person_id` that have not ended.
pub async fn open_matches_of(txn: &DatabaseTransaction, young_person_id: Uuid) -> Result<Vec<matching::Model>, ApiError> {
    Ok(matching::Entity::find()
        .filter(matching::Column::YoungPersonId.eq(young_person_id))
        .filter(matching::Column::Status.ne(MatchStatus::Ended.as_str()))
        .all(txn)
        .await?)
}

/// Ends a match because its young person moved to another charity: unplanned, reason
/// `other`, no exit conversation recorded, and its referral goes back to waiting for a match
/// (at her new charity).
pub async fn end_for_allocation(
    txn: &DatabaseTransaction,
    state: &AppState,
    me: &CurrentUser,
    m: &matching::Model,
    on: NaiveDate,
) -> Result<(), ApiError> {
    let from = MatchStatus::parse(&m.status).ok_or_else(|| ApiError::internal("unknown match status"))?;
    let on = on.max(m.first_meeting_on.unwrap_or(m.proposed_on));
    matching::Entity::update_many()
        .col_expr(matching::Column::Status, Expr::value(MatchStatus::Ended.as_str()))
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
    txn: &DatabaseTransaction,
    state: &AppState,
    me: &CurrentUser,
    referral_id: Uuid,
    from: &[ReferralStatus],
    to: ReferralStatus,
    closure: Option<crate::referrals::rules::ClosureReason>,
) -> Result<(), ApiError> {
    let Some(r) = referral::Entity::find_by_id(referral_id).one(txn).await? else { return Ok(()) };
    let Some(current) = ReferralStatus::parse(&r.status).filter(|s| from.contains(s)) else { return Ok(()) };
    let mut update = referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::value(to.as_str()))
        .col_expr(referral::Column::Version, crate::db::incremented((referral::Entity, referral::Column::Version)))
        .col_expr(referral::Column::UpdatedAt, Expr::value(state.now()));
    if let Some(c) = closure {
        update = update.col_expr(referral::Column::ClosureReason, Expr::value(c.as_str()));
    }
    update.filter(referral::Column::Id.eq(r.id)).exec(txn).await?;
    crate::referrals::service::record_transition(txn, state, me, &r, Some(current), to, None).await?;
    audit::record(
        txn,
        state.now(),
        Some(&me.actor()),
        Event::new("referral.transitioned", "referral")
            .resource(r.id, Some(r.organisation_id))
            .about(r.young_person_id)
            .detail(json!({"from": current.as_str(), "to": to.as_str(), "by": "match", "closure_reason": closure.map(|c| c.as_str())})),
    )
    .await?;
    Ok(())
}

pub async fn record_match_transition(
    txn: &DatabaseTransaction,
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
        from_status: Set(from.map(|s| s.as_str().to_string())),
        to_status: Set(to.as_str().into()),
        on_date: Set(on),
        details: Set(details.to_string()),
        actor_id: Set(me.id()),
        at: Set(state.now()),
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        state.now(),
        Some(&me.actor()),
        Event::new(if from.is_none() { "match.created" } else { "match.transitioned" }, "match")
            .resource(m.id, Some(m.organisation_id))
            .about(m.young_person_id)
            .detail(json!({"from": from.map(|s| s.as_str()), "to": to.as_str(), "details": details})),
    )
    .await?;
    Ok(())
}

pub fn resource(m: &matching::Model) -> Resource {
    Resource::Match { id: m.id, organisation_id: m.organisation_id, mentor_id: m.mentor_id, open: m.status != MatchStatus::Ended.as_str() }
}
