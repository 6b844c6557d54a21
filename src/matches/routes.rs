//! Matching routes: HTTP only; the score, exclusions, plan and state machine are in
//! `rules.rs`, who may do what in `policies/matches.cedar`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use super::dto::*;
use super::rules::{self, MatchStatus};
use super::service::resource;
use super::service::{Pool, candidates, load_referral, mentee, waiting};
use super::service::{move_referral, record_match_transition};
use crate::access::scope::MatchScope;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::json::JsonText;
use crate::entities::{matching, mentor_profile, referral, young_person};
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, IfMatch};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn};
use crate::referrals::rules::Status as ReferralStatus;
use crate::young_people::{open_opt, seal_opt};
use crate::{access::Deny, state::AppState};

const TABLE: &str = "matches";

/// Loads a match the caller may read (404 otherwise), then checks `action` (403).
async fn load(state: &AppState, me: &CurrentUser, id: Uuid, action: Action) -> Result<matching::Model, ApiError> {
    let m = matching::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    state.authorize_as(me, Action::MatchesRead, &resource(&m), &[], Deny::NotFound).await?;
    if action != Action::MatchesRead {
        state.authorize_as(me, action, &resource(&m), &[], Deny::Forbidden).await?;
    }
    Ok(m)
}

pub fn view(state: &AppState, m: &matching::Model) -> Result<MatchView, ApiError> {
    Ok(MatchView {
        id: m.id,
        organisation_id: m.organisation_id,
        referral_id: m.referral_id,
        young_person_id: m.young_person_id,
        mentor_id: m.mentor_id,
        mentor_organisation_id: m.mentor_organisation_id,
        status: m.status,
        score: m.score,
        criteria: m.criteria.clone().into_inner(),
        proposed_on: m.proposed_on,
        first_meeting_on: m.first_meeting_on,
        staff_present: open_opt(state, TABLE, "staff_present", &m.id, m.staff_present.as_deref())?,
        agreement_signed_on: m.agreement_signed_on,
        ended_on: m.ended_on,
        ending_type: m.ending_type,
        ending_reason: m.ending_reason,
        exit_conversation_held: m.exit_conversation_held,
        shared_safety_info: open_opt(state, TABLE, "shared_safety_info", &m.id, m.shared_safety_info.as_deref())?,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// List the matches the caller may read: a mentor sees her own.
#[utoipa::path(get, path = "/matches", tag = "matching", security(("bearer" = [])), params(ListMatches),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = MatchPage)))]
pub async fn list_matches(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListMatches>,
) -> Result<Json<MatchPage>, ApiError> {
    state.authorize(&me, Action::MatchesList, &Resource::Programme, &[]).await?;
    let scope = crate::access::scope::match_list_scope(&me.principal()).ok_or(ApiError::Forbidden)?;
    let limit = pagination::limit(q.limit);
    let mut query = matching::Entity::find().order_by_asc(matching::Column::Id).limit(limit + 1);
    query = match scope {
        MatchScope::All => query,
        MatchScope::Organisation(org) => query.filter(matching::Column::OrganisationId.eq(org)),
        MatchScope::Mentor(id) => query.filter(matching::Column::MentorId.eq(id)),
    };
    if let Some(after) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(matching::Column::Id.gt(after));
    }
    if let Some(s) = q.status {
        query = query.filter(matching::Column::Status.eq(s));
    }
    if let Some(m) = q.mentor_id {
        query = query.filter(matching::Column::MentorId.eq(m));
    }
    if let Some(y) = q.young_person_id {
        query = query.filter(matching::Column::YoungPersonId.eq(y));
    }
    let rows = query.all(&state.db).await?;
    let page = pagination::page(rows, limit, |m| m.id, |m| m);
    let shown = state.visible(&me, Action::MatchesRead, page.items, resource);
    let items = shown.iter().map(|m| view(&state, m)).collect::<Result<Vec<_>, _>>()?;
    crate::access::audit_list(&state, &me, "matches.listed", "match", items.iter().map(|m| m.id), items.iter().map(|m| m.young_person_id))
        .await?;
    Ok(Json(MatchPage { items, next_cursor: page.next_cursor }))
}

/// Confirm a match for an accepted referral. A mentor who is not compliant, at capacity,
/// conflicted or whose earlier match with her ended for safeguarding is refused (409, with
/// the reasons), as is a young person who already has a match.
#[utoipa::path(post, path = "/matches", tag = "matching", security(("bearer" = [])), request_body = CreateMatch,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = MatchView, headers(("ETag" = String))),
        (status = 404, description = "No such referral, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The referral is not waiting, she already has a match, or the mentor may not be matched (with the reasons)", body = Problem, content_type = "application/problem+json")))]
pub async fn create_match(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateMatch>,
) -> Result<(StatusCode, HeaderMap, Json<MatchView>), ApiError> {
    let mentor = mentor_profile::Entity::find_by_id(body.mentor_id).one(&state.db).await?;
    let referral_org = referral::Entity::find_by_id(body.referral_id).one(&state.db).await?.map(|r| r.organisation_id);
    let other = match (&mentor, referral_org) {
        (Some(p), Some(org)) => p.organisation_id != org,
        _ => false,
    };
    let r = load_referral(&state, &me, body.referral_id, Action::MatchesCreate, other).await?;
    let mentor = mentor.ok_or_else(|| ApiError::field("mentor_id", "not_found", "There is no such mentor."))?;
    let now = state.now();
    let today = now.date_naive();
    let mut txn = state.write(&me).await?;
    // Hold the mentor's row and the referral's row until commit: on PostgreSQL two
    // confirmations for the same mentor or referral queue here instead of both counting the
    // same free place (SQLite's write lock already serialises them).
    let mentor = mentor_profile::Entity::find_by_id(mentor.user_id).lock_exclusive().one(&txn).await?.ok_or(ApiError::NotFound)?;
    crate::access::still_held(&txn, &crate::referrals::service::resource(&r)).await?;
    let r = referral::Entity::find_by_id(r.id).lock_exclusive().one(&txn).await?.ok_or(ApiError::NotFound)?;
    waiting(&r)?;
    let open_for_her = matching::Entity::find()
        .filter(matching::Column::YoungPersonId.eq(r.young_person_id))
        .filter(matching::Column::Status.ne(MatchStatus::Ended))
        .count(&txn)
        .await?;
    if open_for_her > 0 {
        return Err(ApiError::conflict("She already has a match; end it before making another."));
    }
    let yp = young_person::Entity::find_by_id(r.young_person_id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    let (c, _) = candidates(&txn, &state, Pool::Mentor(mentor.user_id), today)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::field("mentor_id", "left", "She has left the programme."))?;
    let m = mentee(&yp, today)?;
    let reasons = rules::exclusions(&m, &c);
    if !reasons.is_empty() {
        let why: Vec<String> = reasons.iter().map(|e| format!("{}: {}", e.code, e.message)).collect();
        return Err(ApiError::Conflict { detail: format!("This mentor may not be matched with her. {}", why.join(" ")), allowed: None });
    }
    let score = rules::score(&m, &c, &state.config.match_weights);
    let id = Uuid::now_v7();
    let created = matching::ActiveModel {
        id: Set(id),
        organisation_id: Set(r.organisation_id),
        referral_id: Set(r.id),
        young_person_id: Set(r.young_person_id),
        mentor_id: Set(mentor.user_id),
        mentor_organisation_id: Set(mentor.organisation_id),
        status: Set(MatchStatus::Proposed),
        score: Set(Some(score.total as i32)),
        criteria: Set(JsonText::of(&score.breakdown)?),
        proposed_on: Set(today),
        first_meeting_on: Set(None),
        staff_present: Set(None),
        agreement_signed_on: Set(None),
        ended_on: Set(None),
        ending_type: Set(None),
        ending_reason: Set(None),
        exit_conversation_held: Set(None),
        shared_safety_info: Set(seal_opt(&state, TABLE, "shared_safety_info", &id, body.shared_safety_info.as_deref())?),
        version: Set(1),
        created_by: Set(me.id()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    // The database's one-open-match rule caught a confirmation made at the same moment.
    .map_err(ApiError::conflict_if_duplicate("She already has a match; end it before making another."))?;
    record_match_transition(&mut txn, &state, &me, &created, (None, MatchStatus::Proposed, today), json!({"score": score.total})).await?;
    move_referral(&mut txn, &state, &me, r.id, &[ReferralStatus::Accepted], ReferralStatus::Matched, None).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, etag::headers(created.version), Json(view(&state, &created)?)))
}

/// Read a match (a mentor may read her own).
#[utoipa::path(get, path = "/matches/{id}", tag = "matching", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = MatchView, headers(("ETag" = String))),
        (status = 404, description = "No such match, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn get_match(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<(HeaderMap, Json<MatchView>), ApiError> {
    let m = load(&state, &me, id, Action::MatchesRead).await?;
    state.audit_read(&me, Event::new("match.read", "match").resource(m.id, Some(m.organisation_id)).about(m.young_person_id)).await?;
    Ok((etag::headers(m.version), Json(view(&state, &m)?)))
}

/// Change the safety information shared with the mentor.
#[utoipa::path(patch, path = "/matches/{id}", tag = "matching", security(("bearer" = [])), request_body = UpdateMatch,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The match's ETag")),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = MatchView, headers(("ETag" = String))),
        (status = 404, description = "No such match, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The match changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
pub async fn update_match(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<UpdateMatch>,
) -> Result<(HeaderMap, Json<MatchView>), ApiError> {
    let m = load(&state, &me, id, Action::MatchesUpdate).await?;
    let mut txn = state.write(&me).await?;
    let mut update = matching::Entity::update_many()
        .col_expr(matching::Column::Version, Expr::value(m.version + 1))
        .col_expr(matching::Column::UpdatedAt, Expr::value(state.now()));
    if let Some(info) = &body.shared_safety_info {
        let sealed = if info.trim().is_empty() { None } else { seal_opt(&state, TABLE, "shared_safety_info", &m.id, Some(info))? };
        update = update.col_expr(matching::Column::SharedSafetyInfo, Expr::value(sealed));
    }
    let done = update.filter(matching::Column::Id.eq(m.id)).filter(matching::Column::Version.eq(version)).exec(&txn).await?;
    if done.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    txn.audit(
        Event::new("match.updated", "match")
            .resource(m.id, Some(m.organisation_id))
            .about(m.young_person_id)
            .detail(json!({"shared_safety_info": body.shared_safety_info.is_some()})),
    );
    let updated = matching::Entity::find_by_id(m.id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok((etag::headers(updated.version), Json(view(&state, &updated)?)))
}

/// Move a match on: proposed -> introduced (first meeting, staff present) -> active
/// (agreement signed) <-> paused; any -> ended (planned or unplanned, reason, exit
/// conversation). Activation and ending move the referral with it.
#[utoipa::path(post, path = "/matches/{id}/transitions", tag = "matching", security(("bearer" = [])), request_body = MatchTransition,
    params(("id" = Uuid, Path)),
    responses(SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = MatchView, headers(("ETag" = String))),
        (status = 404, description = "No such match, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status; `allowed` lists what is", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A detail the move needs is missing or a date is wrong", body = Problem, content_type = "application/problem+json")))]
pub async fn transition(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<MatchTransition>,
) -> Result<(HeaderMap, Json<MatchView>), ApiError> {
    let m = load(&state, &me, id, Action::MatchesTransition).await?;
    let from = m.status;
    if !rules::allowed_from(from).contains(&body.to) {
        return Err(ApiError::Conflict {
            detail: format!("A match that is {} cannot move to {}.", from.as_str(), body.to.as_str()),
            allowed: Some(rules::allowed_from(from).iter().map(|s| s.as_str().to_string()).collect()),
        });
    }
    let today = state.now().date_naive();
    let on = body.on.unwrap_or(today);
    if on > today {
        return Err(ApiError::field("on", "in_future", "This date is in the future."));
    }
    let started = m.first_meeting_on.unwrap_or(m.proposed_on);
    if on < m.proposed_on || (body.to != MatchStatus::Introduced && on < started) {
        return Err(ApiError::field("on", "before_match", "This date is before the match began."));
    }
    let mut am: matching::ActiveModel = m.clone().into();
    let mut details = json!({});
    let mut referral_move: Option<(Vec<ReferralStatus>, ReferralStatus, Option<crate::referrals::rules::ClosureReason>)> = None;
    match body.to {
        MatchStatus::Introduced => {
            let staff = body
                .staff_present
                .as_deref()
                .ok_or_else(|| ApiError::field("staff_present", "required", "Say who from the charity was at the first meeting."))?;
            am.first_meeting_on = Set(Some(on));
            am.staff_present = Set(seal_opt(&state, TABLE, "staff_present", &m.id, Some(staff))?);
        }
        MatchStatus::Active if from == MatchStatus::Introduced => {
            if body.agreement_signed != Some(true) {
                return Err(ApiError::field(
                    "agreement_signed",
                    "required",
                    "The mentoring agreement must be signed before the match is active.",
                ));
            }
            // A mentor whose checks or training lapsed since she was proposed cannot start.
            let p = mentor_profile::Entity::find_by_id(m.mentor_id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
            let c = crate::mentors::service::compliance_of(&state.db, &state, &p, today).await?;
            if !c.matchable {
                let why: Vec<String> = c.gaps.iter().map(|g| g.message.clone()).collect();
                return Err(ApiError::conflict(format!("The mentor is not compliant: {}", why.join(" "))));
            }
            am.agreement_signed_on = Set(Some(on));
            referral_move = Some((vec![ReferralStatus::Matched], ReferralStatus::Active, None));
        }
        MatchStatus::Active | MatchStatus::Paused => {}
        MatchStatus::Ended => {
            let ending_type =
                body.ending_type.ok_or_else(|| ApiError::field("ending_type", "required", "Say whether the ending was planned."))?;
            let reason = body.ending_reason.ok_or_else(|| ApiError::field("ending_reason", "required", "Say why the match ended."))?;
            let exit = body
                .exit_conversation_held
                .ok_or_else(|| ApiError::field("exit_conversation_held", "required", "Say whether the exit conversation was held."))?;
            am.ended_on = Set(Some(on));
            am.ending_type = Set(Some(ending_type));
            am.ending_reason = Set(Some(reason));
            am.exit_conversation_held = Set(Some(exit));
            details = json!({"ending_type": ending_type.as_str(), "ending_reason": reason.as_str(), "exit_conversation_held": exit});
            let was_running = m.agreement_signed_on.is_some();
            let next = body.referral.unwrap_or(if was_running { ReferralAfterEnding::Close } else { ReferralAfterEnding::Rematch });
            referral_move = Some(match next {
                ReferralAfterEnding::Close => {
                    (vec![ReferralStatus::Matched, ReferralStatus::Active], ReferralStatus::Closed, Some(rules::closure_reason(reason)))
                }
                ReferralAfterEnding::Rematch => (vec![ReferralStatus::Matched, ReferralStatus::Active], ReferralStatus::Accepted, None),
            });
            details["referral"] = json!(if next == ReferralAfterEnding::Close { "close" } else { "rematch" });
        }
        MatchStatus::Proposed => {}
    }
    am.status = Set(body.to);
    am.version = Set(m.version + 1);
    am.updated_at = Set(state.now());
    let mut txn = state.write(&me).await?;
    let done = matching::Entity::update_many()
        .set(am)
        .filter(matching::Column::Id.eq(m.id))
        .filter(matching::Column::Version.eq(m.version))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(ApiError::conflict("The match changed while this was being done; read it again."));
    }
    record_match_transition(&mut txn, &state, &me, &m, (Some(from), body.to, on), details).await?;
    if let Some((from_statuses, to, closure)) = referral_move {
        move_referral(&mut txn, &state, &me, m.referral_id, &from_statuses, to, closure).await?;
    }
    let updated = matching::Entity::find_by_id(m.id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok((etag::headers(updated.version), Json(view(&state, &updated)?)))
}

/// What the mentor sees of her mentee: preferred name, age, district, interests, the
/// safeguarding flag and the safety information the coordinator chose to share.
#[utoipa::path(get, path = "/matches/{id}/mentee", tag = "matching", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = MenteeView),
        (status = 404, description = "No such match, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn mentee_view(State(state): State<AppState>, me: CurrentUser, IdPath(id): IdPath) -> Result<Json<MenteeView>, ApiError> {
    let m = load(&state, &me, id, Action::MatchesMentee).await?;
    let yp = young_person::Entity::find_by_id(m.young_person_id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    state
        .audit_read(
            &me,
            Event::new("match.mentee_read", "young_person").resource(yp.id, Some(yp.organisation_id)).detail(json!({"match_id": m.id})),
        )
        .await?;
    Ok(Json(MenteeView {
        match_id: m.id,
        young_person_id: yp.id,
        preferred_name: yp.preferred_name.clone(),
        age: rules::age_on(yp.date_of_birth, state.now().date_naive()),
        district: yp.district.clone(),
        interests: yp.interests.to_vec(),
        safeguarding_flag: yp.safeguarding_flag,
        shared_safety_info: open_opt(&state, TABLE, "shared_safety_info", &m.id, m.shared_safety_info.as_deref())?,
    }))
}
