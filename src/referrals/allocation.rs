//! Allocation: a referral, with its young person and her whole history, moves to a partner
//! charity (see access/ownership.rs); a match of hers that has not ended ends or moves with her
//! mentor, as the request says. HTTP only.

use super::dto::*;
use super::service::{load, view};
use super::service::{record_transition, resource};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::organisation::OrganisationKind;
use crate::entities::{organisation, referral};
use crate::error::{ApiError, Problem};
use crate::http::etag::{self};
use crate::http::extract::{ApiJson, IdPath};
use crate::http::problems::{InvalidFields, JsonBody, Refused, SignedIn};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use sea_orm::EntityTrait;
use serde_json::json;

/// Move a referral, with its young person and her whole history (every record about her:
/// see `access/ownership.rs`), to a partner charity. The previous charity's access ends (the
/// lead charity's never does). A match of hers that has not ended is refused with 409 unless
/// `open_match` says whether it ends or moves with her mentor.
#[utoipa::path(post, path = "/referrals/{id}/allocate", tag = "referrals", security(("bearer" = [])), request_body = Allocate,
    params(("id" = Uuid, Path)),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = AllocatedReferral, headers(("ETag" = String))),
        (status = 404, description = "No such referral, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "She is in a match that has not ended and `open_match` was not given", body = Problem, content_type = "application/problem+json")))]
pub async fn allocate(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<Allocate>,
) -> Result<(HeaderMap, Json<AllocatedReferral>), ApiError> {
    let r = load(&state, &me, id, Action::ReferralsAllocate).await?;
    let target = organisation::Entity::find_by_id(body.organisation_id).one(&state.db).await?;
    let target = match target {
        Some(o) if o.active && o.kind == OrganisationKind::Partner => o,
        Some(_) => {
            return Err(ApiError::field("organisation_id", "not_a_partner", "Referrals are allocated to an active partner charity."));
        }
        None => return Err(ApiError::field("organisation_id", "not_found", "There is no such organisation.")),
    };
    if target.id == r.organisation_id {
        return Err(ApiError::field("organisation_id", "same_charity", "The referral is already with this charity."));
    }
    let now = state.now();
    let from = r.organisation_id;
    let moved = target.id;
    let mut txn = state.write(&me).await?;
    // Her referral and her record held until commit, still where the caller was allowed to
    // act and not merged away: a merge or another allocation meanwhile is a 409.
    crate::access::still_held(&txn, &resource(&r)).await?;
    crate::access::still_held(&txn, &Resource::YoungPerson { id: r.young_person_id, organisation_id: from }).await?;
    let open = crate::matches::service::open_matches_of(&txn, r.young_person_id).await?;
    let outcome = match (open.is_empty(), body.open_match) {
        (true, _) => None,
        (false, None) => {
            let ids: Vec<String> = open.iter().map(|m| m.id.to_string()).collect();
            return Err(ApiError::Conflict {
                detail: format!(
                    "She is in a match that has not ended ({}). Say what happens to it: open_match end, or move_with_mentor.",
                    ids.join(", ")
                ),
                allowed: Some(vec!["end".into(), "move_with_mentor".into()]),
            });
        }
        (false, Some(o)) => Some(o),
    };
    if outcome == Some(OpenMatchOnAllocation::End) {
        for m in &open {
            crate::matches::service::end_for_allocation(&mut txn, &state, &me, m, now.date_naive()).await?;
        }
    }
    let rows = crate::access::ownership::move_her_history(&txn, r.young_person_id, r.young_person_id, moved, now).await?;
    crate::safeguarding::refresh_flag(&txn, r.young_person_id).await?;
    let open_matches: Vec<AllocatedMatch> =
        outcome.map(|o| open.iter().map(|m| AllocatedMatch { match_id: m.id, outcome: o }).collect()).unwrap_or_default();
    let moved_rows: serde_json::Map<String, serde_json::Value> = rows.iter().map(|(t, n)| (t.to_string(), json!(n))).collect();
    txn.audit(Event::new("referral.allocated", "referral").resource(r.id, Some(moved)).about(r.young_person_id).detail(json!({
        "from": from, "to": moved, "young_person_id": r.young_person_id, "moved": moved_rows,
        "open_matches": open_matches.iter().map(|m| json!({"match_id": m.match_id, "outcome": m.outcome})).collect::<Vec<_>>(),
    })));
    let updated = referral::Entity::find_by_id(r.id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    // The move shows in her chronology, with the reason, as a step that keeps the status.
    let status = updated.status;
    let note = format!("Allocated to another charity: {}", body.reason.trim());
    record_transition(&txn, &state, &me, &updated, Some(status), status, Some(&note)).await?;
    txn.commit().await?;
    Ok((etag::headers(updated.version), Json(AllocatedReferral { referral: view(&state, &updated)?, open_matches })))
}
