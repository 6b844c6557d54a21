//! Possible duplicates across charities: flagged when a new record matches one held by
//! another charity, reviewed by programme admins, who merge the two or dismiss the flag.

use axum::Json;
use axum::extract::State;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::dto::*;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::{duplicate_flag, young_person};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn};
use crate::state::AppState;
use crate::young_people::service as yp_service;

/// Possible duplicates for review (programme admins).
#[utoipa::path(get, path = "/duplicates", tag = "referrals", security(("bearer" = [])), params(ListDuplicates),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = DuplicatePage)))]
pub async fn list_duplicates(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListDuplicates>,
) -> Result<Json<DuplicatePage>, ApiError> {
    state.authorize(&me, Action::DuplicatesList, &Resource::Programme, &[]).await?;
    let limit = pagination::limit(q.limit);
    let mut query = duplicate_flag::Entity::find()
        .filter(duplicate_flag::Column::Status.eq(q.status.clone().unwrap_or_else(|| "open".into())))
        .order_by_asc(duplicate_flag::Column::Id)
        .limit(limit + 1);
    if let Some(after) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(duplicate_flag::Column::Id.gt(after));
    }
    let flags = query.all(&state.db).await?;
    let ids: Vec<Uuid> = flags.iter().flat_map(|f| [f.young_person_id, f.match_id]).collect();
    let people = crate::young_people::service::by_id(&state.db, &ids).await?;
    let page = pagination::page(flags, limit, |f| f.id, |f| f);
    let mut items = Vec::new();
    for f in page.items {
        if let (Some(a), Some(b)) = (people.get(&f.young_person_id), people.get(&f.match_id)) {
            items.push(DuplicateView {
                id: f.id,
                status: f.status.as_str().into(),
                young_person: yp_service::summary(&state, a)?,
                possible_duplicate_of: yp_service::summary(&state, b)?,
                created_at: f.created_at,
            });
        }
    }
    let shown: Vec<Uuid> = items.iter().flat_map(|i| [i.young_person.id, i.possible_duplicate_of.id]).collect();
    crate::access::audit_list(&state, &me, "duplicates.listed", "young_person", shown.iter().copied(), shown.iter().copied()).await?;
    Ok(Json(DuplicatePage { items, next_cursor: page.next_cursor }))
}

/// Merge the two records (referrals and notes move to the one kept; the other is marked as
/// merged into it) or dismiss the flag.
#[utoipa::path(post, path = "/duplicates/{id}/resolve", tag = "referrals", security(("bearer" = [])), request_body = ResolveDuplicate,
    params(("id" = Uuid, Path)),
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = DuplicateView),
        (status = 404, description = "No such flag", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already resolved", body = Problem, content_type = "application/problem+json")))]
pub async fn resolve_duplicate(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<ResolveDuplicate>,
) -> Result<Json<DuplicateView>, ApiError> {
    state.authorize(&me, Action::DuplicatesResolve, &Resource::Programme, &[]).await?;
    let flag = duplicate_flag::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    let now = state.now();
    let mut txn = state.write(&me).await?;
    let status = match body.action {
        DuplicateAction::Dismiss => "dismissed",
        DuplicateAction::Merge => "merged",
    };
    // Claim the flag first: of two admins resolving it at once, one gets 409.
    let claimed = duplicate_flag::Entity::update_many()
        .col_expr(duplicate_flag::Column::Status, Expr::value(status))
        .col_expr(duplicate_flag::Column::ResolvedAt, Expr::value(now))
        .col_expr(duplicate_flag::Column::ResolvedBy, Expr::value(me.id()))
        .filter(duplicate_flag::Column::Id.eq(flag.id))
        .filter(duplicate_flag::Column::Status.eq("open"))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(ApiError::conflict("This possible duplicate has already been resolved."));
    }
    let mut detail = json!({"flag": flag.id, "outcome": status});
    let mut subjects = vec![flag.young_person_id, flag.match_id];
    match body.action {
        DuplicateAction::Dismiss => {}
        DuplicateAction::Merge => {
            let keep = body.keep.ok_or_else(|| ApiError::field("keep", "required", "Say which record to keep."))?;
            let gone = if keep == flag.young_person_id {
                flag.match_id
            } else if keep == flag.match_id {
                flag.young_person_id
            } else {
                return Err(ApiError::field("keep", "not_in_flag", "Keep one of the two records this flag names."));
            };
            if gone == keep {
                return Err(ApiError::conflict("This flag names one record twice; dismiss it."));
            }
            // Both rows held until commit, so an allocation cannot move either meanwhile.
            let kept = young_person::Entity::find_by_id(keep).lock_exclusive().one(&txn).await?.ok_or(ApiError::NotFound)?;
            let leaving = young_person::Entity::find_by_id(gone).lock_exclusive().one(&txn).await?.ok_or(ApiError::NotFound)?;
            if kept.merged_into.is_some() || leaving.merged_into.is_some() {
                return Err(ApiError::conflict(
                    "One of these records has already been merged; resolve the flag that names the remaining record.",
                ));
            }
            // She can be in one match at a time: two running matches are ended by hand first.
            let open_kept = crate::matches::service::open_matches_of(&txn, keep).await?;
            let open_gone = crate::matches::service::open_matches_of(&txn, gone).await?;
            if !open_kept.is_empty() && !open_gone.is_empty() {
                let ids: Vec<String> = open_kept.iter().chain(&open_gone).map(|m| m.id.to_string()).collect();
                return Err(ApiError::conflict(format!(
                    "Both records are in a match that has not ended ({}); end one of them before merging.",
                    ids.join(", ")
                )));
            }
            // Her whole history follows the record kept, to its charity (access/ownership.rs).
            let rows = crate::access::ownership::move_her_history(&txn, gone, keep, kept.organisation_id, now).await?;
            young_person::Entity::update_many()
                .col_expr(young_person::Column::MergedInto, Expr::value(keep))
                .filter(young_person::Column::Id.eq(gone))
                .exec(&txn)
                .await?;
            crate::safeguarding::refresh_flag(&txn, keep).await?;
            crate::safeguarding::refresh_flag(&txn, gone).await?;
            detail["keep"] = json!(keep);
            detail["merged_away"] = json!(gone);
            detail["from_organisation"] = json!(leaving.organisation_id);
            detail["to_organisation"] = json!(kept.organisation_id);
            detail["moved"] = rows.iter().map(|(t, n)| (t.to_string(), json!(n))).collect::<serde_json::Map<_, _>>().into();
            subjects = vec![keep, gone];
            super::service::recompute_eligibility(&txn, &kept).await?;
        }
    }
    txn.audit(Event::new("duplicate.resolved", "young_person").resource(flag.young_person_id, None).about_all(subjects).detail(detail));
    let a = young_person::Entity::find_by_id(flag.young_person_id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    let b = young_person::Entity::find_by_id(flag.match_id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(Json(DuplicateView {
        id: flag.id,
        status: status.into(),
        young_person: yp_service::summary(&state, &a)?,
        possible_duplicate_of: yp_service::summary(&state, &b)?,
        created_at: flag.created_at,
    }))
}
