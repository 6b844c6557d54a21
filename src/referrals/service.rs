//! Referrals as the rest of the service needs them: the policies' view of one, eligibility
//! worked out from her record, and the transitions that record her referral's history. No HTTP
//! here; routes and other capabilities call these.

use super::dto::{ReferralView, Referrer};
use super::rules::{self, Status};
use crate::access::Deny;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::{referral, referral_transition, young_person};
use crate::error::ApiError;
use crate::state::AppState;
use crate::young_people::codes::RiskIndicator;
use crate::young_people::rules::{self as yp_rules, AceAnswer, Eligibility};
use crate::young_people::{open_opt, seal_opt, service as yp_service};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub const TABLE: &str = "referrals";

pub fn resource(r: &referral::Model) -> Resource {
    Resource::Referral { id: r.id, organisation_id: r.organisation_id }
}

/// Eligibility of a referral received on `received_on` for this young person.
pub fn eligibility_of(yp: &young_person::Model, received_on: NaiveDate) -> Result<Eligibility, ApiError> {
    let aces: Vec<AceAnswer> = yp.aces.to_vec();
    let risks: Vec<RiskIndicator> = yp.risk_indicators.to_vec();
    Ok(yp_rules::eligibility(&yp_rules::EligibilityInput {
        date_of_birth: yp.date_of_birth,
        received_on,
        gender: yp.gender,
        aces: &aces,
        risk_indicators: &risks,
    }))
}

/// Recomputes the eligibility of her open referrals after her record changed.
pub async fn recompute_eligibility<C: ConnectionTrait>(conn: &C, yp: &young_person::Model) -> Result<(), ApiError> {
    for r in yp_service::referrals_of(conn, yp.id).await? {
        if !rules::is_open(r.status) {
            continue;
        }
        let e = eligibility_of(yp, r.received_on)?;
        referral::Entity::update_many()
            .col_expr(referral::Column::Eligible, Expr::value(e.eligible))
            .col_expr(referral::Column::EligibilityReasons, Expr::value(serde_json::to_string(&e.reasons).map_err(ApiError::internal)?))
            .filter(referral::Column::Id.eq(r.id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

pub async fn record_transition<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    me: &CurrentUser,
    r: &referral::Model,
    from: Option<Status>,
    to: Status,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let id = Uuid::now_v7();
    referral_transition::ActiveModel {
        id: Set(id),
        referral_id: Set(r.id),
        organisation_id: Set(r.organisation_id),
        from_status: Set(from),
        to_status: Set(to),
        reason: Set(seal_opt(state, "referral_transitions", "reason", &id, reason)?),
        actor_id: Set(me.id()),
        at: Set(state.now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Loads a referral the caller may read (404 otherwise), then checks `action` (403).
pub async fn load(state: &AppState, me: &CurrentUser, id: Uuid, action: Action) -> Result<referral::Model, ApiError> {
    let r = referral::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    state.authorize_as(me, Action::ReferralsRead, &resource(&r), &[], Deny::NotFound).await?;
    if action != Action::ReferralsRead {
        state.authorize_as(me, action, &resource(&r), &[], Deny::Forbidden).await?;
    }
    Ok(r)
}

pub fn view(state: &AppState, r: &referral::Model) -> Result<ReferralView, ApiError> {
    let referrer: Referrer =
        serde_json::from_str(&state.keys.fields.open(TABLE, "referrer", &r.id, &r.referrer)?).map_err(ApiError::internal)?;
    let status = r.status;
    Ok(ReferralView {
        id: r.id,
        young_person_id: r.young_person_id,
        organisation_id: r.organisation_id,
        received_on: r.received_on,
        source_type: r.source_type,
        referrer,
        reasons: state.keys.fields.open(TABLE, "reasons", &r.id, &r.reasons)?,
        status,
        eligibility: Eligibility { eligible: r.eligible, reasons: r.eligibility_reasons.to_vec() },
        eligibility_override: open_opt(state, TABLE, "eligibility_override", &r.id, r.eligibility_override.as_deref())?,
        consent_override: open_opt(state, TABLE, "consent_override", &r.id, r.consent_override.as_deref())?,
        decline_reason: open_opt(state, TABLE, "decline_reason", &r.id, r.decline_reason.as_deref())?,
        closure_reason: r.closure_reason,
        decided_on: r.decided_on,
        reopened_from: r.reopened_from,
        allowed_transitions: rules::manual_from(status),
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}
