//! Demo matches in every state, consistent with the referrals: a matched referral has a
//! proposed or introduced match, an active one an active or paused match, a closed one an
//! ended match; a referral no mentor has room for waits (accepted). The mentors whose DBS has
//! lapsed keep an active match, so the coordinator's week shows a match at risk, and one
//! mentor per charity keeps her places free for the matching plan.

use crate::matches::rules::MatchStatus;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::Rng;
use super::mentors::DemoMentor;
use crate::crypto::Keys;
use crate::entities::{match_transition, matching, mentor_profile, referral};
use crate::matches::rules::{EndingReason, EndingType};
use crate::referrals::rules::ClosureReason;

const SAFETY: &[&str] = &[
    "Avoid meeting near the retail park: she has been approached there.",
    "Her phone is sometimes taken by an older cousin; confirm plans through the coordinator.",
    "Meet in daylight at the youth centre until the next review.",
];

struct Place {
    mentor: Uuid,
    organisation: Uuid,
    free: i32,
    lapsed_dbs: bool,
}

/// Seeds the matches; returns how many.
pub async fn seed<C: ConnectionTrait>(
    conn: &C,
    keys: &Keys,
    rng: &mut Rng,
    mentors: &[DemoMentor],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let today = now.date_naive();
    let capacities: HashMap<Uuid, i16> =
        mentor_profile::Entity::find().all(conn).await?.into_iter().map(|p| (p.user_id, p.capacity)).collect();
    let coordinators: HashMap<Uuid, Uuid> = mentors.iter().map(|m| (m.user_id, m.coordinator)).collect();
    // In vetting (index 1) cannot be matched; index 4 keeps her places free for the plan.
    // The lapsed-DBS mentors (index 3) come first, so each holds an active match.
    let mut places: Vec<Place> = mentors
        .iter()
        .filter(|m| m.index % 5 != 1 && m.index % 5 != 4)
        .map(|m| Place {
            mentor: m.user_id,
            organisation: m.organisation_id,
            free: capacities.get(&m.user_id).copied().unwrap_or(1) as i32,
            lapsed_dbs: m.index % 5 == 3,
        })
        .collect();
    places.sort_by_key(|p| !p.lapsed_dbs);
    let all_mentors: Vec<(Uuid, Uuid)> = mentors.iter().filter(|m| m.index % 5 != 1).map(|m| (m.user_id, m.organisation_id)).collect();
    let referrals = referral::Entity::find()
        .filter(referral::Column::Status.is_in(["matched", "active", "closed"]))
        .order_by_desc(referral::Column::ReceivedOn)
        .order_by_asc(referral::Column::Id)
        .all(conn)
        .await?;
    let mut count = 0;
    for (n, r) in referrals.iter().enumerate() {
        let decided = r.decided_on.unwrap_or(r.received_on + Duration::days(14));
        let proposed = (decided + Duration::days(5 + rng.below(20) as i64)).min(today);
        let (status, mentor) = match r.status.as_str() {
            "closed" => {
                let pool: Vec<Uuid> = all_mentors.iter().filter(|(_, o)| *o == r.organisation_id).map(|(m, _)| *m).collect();
                if pool.is_empty() {
                    continue;
                }
                (MatchStatus::Ended, *rng.pick(&pool))
            }
            s => {
                let slot = places.iter_mut().find(|p| p.organisation == r.organisation_id && p.free > 0);
                let Some(slot) = slot else {
                    // No mentor has room: she waits for one.
                    referral::Entity::update_many()
                        .col_expr(referral::Column::Status, Expr::value("accepted"))
                        .filter(referral::Column::Id.eq(r.id))
                        .exec(conn)
                        .await?;
                    continue;
                };
                slot.free -= 1;
                let status = match s {
                    "matched" if n % 2 == 0 => MatchStatus::Proposed,
                    "matched" => MatchStatus::Introduced,
                    _ if n % 6 == 5 && !slot.lapsed_dbs => MatchStatus::Paused,
                    _ => MatchStatus::Active,
                };
                (status, slot.mentor)
            }
        };
        let met = (proposed + Duration::days(7)).min(today);
        let signed = (met + Duration::days(7)).min(today);
        let running = matches!(status, MatchStatus::Active | MatchStatus::Paused | MatchStatus::Ended);
        let ended_on = (status == MatchStatus::Ended).then(|| (signed + Duration::days(120 + rng.below(120) as i64)).min(today));
        let reason = match r.closure_reason {
            Some(ClosureReason::GoalsMet) => EndingReason::GoalsMet,
            Some(ClosureReason::PlannedEnding) => EndingReason::ProgrammeCompleted,
            Some(ClosureReason::Disengaged) => EndingReason::YoungPersonDisengaged,
            Some(ClosureReason::MovedAway) => EndingReason::YoungPersonMovedAway,
            Some(ClosureReason::EscalatedToStatutory) => EndingReason::EscalatedToStatutory,
            Some(ClosureReason::AgedOut) => EndingReason::AgedOut,
            Some(ClosureReason::Other) | None => EndingReason::Other,
        };
        let planned = matches!(reason, EndingReason::GoalsMet | EndingReason::ProgrammeCompleted | EndingReason::AgedOut);
        let id = Uuid::now_v7();
        let coordinator = coordinators.get(&mentor).copied().unwrap_or(mentor);
        let seal = |column: &str, text: &str| keys.fields.seal("matches", column, &id, text).map_err(|e| DbErr::Custom(e.to_string()));
        let m = matching::ActiveModel {
            id: Set(id),
            organisation_id: Set(r.organisation_id),
            referral_id: Set(r.id),
            young_person_id: Set(r.young_person_id),
            mentor_id: Set(mentor),
            mentor_organisation_id: Set(r.organisation_id),
            status: Set(status),
            score: Set(Some(55 + rng.below(45) as i32)),
            criteria: Set(super::typed(Vec::new())?),
            proposed_on: Set(proposed),
            first_meeting_on: Set((status != MatchStatus::Proposed).then_some(met)),
            staff_present: Set(if status != MatchStatus::Proposed { Some(seal("staff_present", "Coordinator")?) } else { None }),
            agreement_signed_on: Set(running.then_some(signed)),
            ended_on: Set(ended_on),
            ending_type: Set((status == MatchStatus::Ended).then_some(if planned { EndingType::Planned } else { EndingType::Unplanned })),
            ending_reason: Set((status == MatchStatus::Ended).then_some(reason)),
            exit_conversation_held: Set((status == MatchStatus::Ended).then_some(planned || rng.below(2) == 0)),
            shared_safety_info: Set(if rng.below(3) == 0 { Some(seal("shared_safety_info", rng.pick::<&str>(SAFETY))?) } else { None }),
            version: Set(1),
            created_by: Set(coordinator),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(conn)
        .await?;
        // Its history, move by move.
        let mut path: Vec<(MatchStatus, NaiveDate)> = vec![(MatchStatus::Proposed, proposed)];
        if status != MatchStatus::Proposed {
            path.push((MatchStatus::Introduced, met));
        }
        if running {
            path.push((MatchStatus::Active, signed));
        }
        if status == MatchStatus::Paused {
            path.push((MatchStatus::Paused, (signed + Duration::days(30)).min(today)));
        }
        if let Some(e) = ended_on {
            path.push((MatchStatus::Ended, e));
        }
        let mut from: Option<MatchStatus> = None;
        for (to, on) in path {
            match_transition::ActiveModel {
                id: Set(Uuid::now_v7()),
                match_id: Set(m.id),
                organisation_id: Set(m.organisation_id),
                from_status: Set(from),
                to_status: Set(to),
                on_date: Set(on),
                details: Set(super::typed(serde_json::json!({}))?),
                actor_id: Set(coordinator),
                at: Set(now),
            }
            .insert(conn)
            .await?;
            from = Some(to);
        }
        count += 1;
    }
    Ok(count)
}
