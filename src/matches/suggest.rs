//! Suggestions and the batch plan: which mentors a waiting referral could be matched with, why,
//! and the best assignment of a charity's waiting referrals to its mentors. HTTP only; the
//! scores and the plan are in rules.rs.

use super::dto::*;
use super::rules::{self, Mentee};
use super::service::{Pool, candidates, load_referral, mentee, waiting};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::{referral, young_person};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn};
use crate::referrals::rules::Status as ReferralStatus;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use std::collections::HashSet;
use uuid::Uuid;

/// Mentors ranked for an accepted referral, each score with its breakdown, and separately
/// the mentors who may not be matched with her and why.
#[utoipa::path(get, path = "/referrals/{id}/match-suggestions", tag = "matching", security(("bearer" = [])),
    params(("id" = Uuid, Path), SuggestionParams),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = Suggestions),
        (status = 404, description = "No such referral, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The referral is not waiting for a mentor", body = Problem, content_type = "application/problem+json")))]
pub async fn suggestions(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<SuggestionParams>,
) -> Result<Json<Suggestions>, ApiError> {
    let others = q.include_other_charities.unwrap_or(false);
    let r = load_referral(&state, &me, id, Action::MatchesSuggest, others).await?;
    waiting(&r)?;
    let yp = young_person::Entity::find_by_id(r.young_person_id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    let today = state.now().date_naive();
    let orgs = [r.organisation_id];
    let pool = candidates(&state.db, &state, if others { Pool::All } else { Pool::Organisations(&orgs) }, today).await?;
    let m = mentee(&yp, today)?;
    let weights = state.config.match_weights;
    let (mut ranked, mut excluded) = (Vec::new(), Vec::new());
    for (c, name) in pool {
        let reasons = rules::exclusions(&m, &c);
        if reasons.is_empty() {
            let s = rules::score(&m, &c, &weights);
            ranked.push(Suggestion { mentor_id: c.id, name, organisation_id: c.organisation_id, score: s.total, breakdown: s.breakdown });
        } else {
            excluded.push(Excluded { mentor_id: c.id, name, organisation_id: c.organisation_id, reasons });
        }
    }
    ranked.sort_by(|a, b| b.score.cmp(&a.score).then(a.mentor_id.cmp(&b.mentor_id)));
    ranked.truncate(q.limit.unwrap_or(10) as usize);
    state
        .audit_read(
            &me,
            Event::new("match.suggestions_read", "referral")
                .resource(r.id, Some(r.organisation_id))
                .about(r.young_person_id)
                .detail(json!({"ranked": ranked.len(), "excluded": excluded.len(), "other_charities": others})),
        )
        .await?;
    Ok(Json(Suggestions { referral_id: r.id, young_person_id: yp.id, weights, ranked, excluded }))
}

/// Proposes mentors for every accepted referral waiting at once: the assignment with the
/// greatest total score that respects each mentor's capacity and every hard constraint.
/// It changes nothing; a coordinator confirms each match with `POST /matches`.
#[utoipa::path(post, path = "/matching/plan", tag = "matching", security(("bearer" = [])), request_body = PlanRequest,
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = Plan)))]
pub async fn plan(State(state): State<AppState>, me: CurrentUser, ApiJson(body): ApiJson<PlanRequest>) -> Result<Json<Plan>, ApiError> {
    // A coordinator plans her own charity; a programme admin one charity or all.
    let asked = body.organisation_id.unwrap_or(me.user.organisation_id);
    state.authorize(&me, Action::MatchesPlan, &Resource::Organisation(asked), &[]).await?;
    let scope: Option<Vec<Uuid>> = match (body.organisation_id, me.user.role.as_str()) {
        (None, "programme_admin") => None,
        _ => Some(vec![asked]),
    };
    let today = state.now().date_naive();
    let mut q = referral::Entity::find()
        .filter(referral::Column::Status.eq(ReferralStatus::Accepted))
        .order_by_asc(referral::Column::ReceivedOn)
        .order_by_asc(referral::Column::Id);
    if let Some(orgs) = &scope {
        q = q.filter(referral::Column::OrganisationId.is_in(orgs.clone()));
    }
    let referrals = q.all(&state.db).await?;
    let yp_ids: Vec<Uuid> = referrals.iter().map(|r| r.young_person_id).collect();
    let people = crate::young_people::service::by_id(&state.db, &yp_ids).await?;
    let pool = candidates(&state.db, &state, scope.as_deref().map_or(Pool::All, Pool::Organisations), today).await?;
    let weights = state.config.match_weights;
    let mut rows: Vec<(&referral::Model, Mentee)> = Vec::with_capacity(referrals.len());
    for r in &referrals {
        if let Some(yp) = people.get(&r.young_person_id) {
            rows.push((r, mentee(yp, today)?));
        }
    }
    let scores: Vec<Vec<Option<u32>>> = rows
        .iter()
        .map(|(r, m)| {
            pool.iter()
                .map(|(c, _)| {
                    // Each referral is matched within its own charity.
                    (c.organisation_id == r.organisation_id && rules::exclusions(m, c).is_empty())
                        .then(|| rules::score(m, c, &weights).total)
                })
                .collect()
        })
        .collect();
    let places: Vec<u32> = pool.iter().map(|(c, _)| Ord::max(c.places, 0) as u32).collect();
    let chosen = rules::plan(&scores, &places);
    let greedy_total: u64 = rules::greedy(&scores, &places).iter().map(|p| p.score as u64).sum();
    let matched: HashSet<usize> = chosen.iter().map(|p| p.mentee).collect();
    let proposals: Vec<PlannedMatch> = chosen
        .iter()
        .map(|p| PlannedMatch {
            referral_id: rows[p.mentee].0.id,
            young_person_id: rows[p.mentee].0.young_person_id,
            mentor_id: pool[p.candidate].0.id,
            score: p.score,
        })
        .collect();
    let unmatched: Vec<Uuid> = rows.iter().enumerate().filter(|(i, _)| !matched.contains(i)).map(|(_, (r, _))| r.id).collect();
    let total: u64 = proposals.iter().map(|p| p.score as u64).sum();
    state
        .audit_read(
            &me,
            Event::new("matching.planned", "programme").about_all(rows.iter().map(|(r, _)| r.young_person_id)).detail(json!({
                "organisation_id": body.organisation_id,
                "referrals": rows.len(),
                "mentors": pool.len(),
                "proposals": proposals.len(),
                "referral_ids": rows.iter().map(|(r, _)| r.id.to_string()).collect::<Vec<_>>(),
            })),
        )
        .await?;
    Ok(Json(Plan {
        referrals_considered: rows.len(),
        mentors_considered: pool.len(),
        proposals,
        unmatched_referrals: unmatched,
        total_score: total,
        greedy_total_score: greedy_total,
    }))
}
