//! Sessions: opaque 256-bit tokens, stored only as SHA-256 hashes, with an idle timeout
//! (default 30 minutes) and an absolute lifetime (default 12 hours). Logout, a password
//! change, deactivation and an admin's revocation end them.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::Authenticated;
use crate::entities::organisation::OrganisationKind;
use crate::entities::{session, user};
use crate::error::ApiError;
use crate::state::AppState;

/// Only write `last_seen_at` when it is this stale, so reads do not all become writes.
const TOUCH_EVERY: Duration = Duration::seconds(60);
/// A session that may only enrol in MFA lasts long enough to scan a code, no longer.
const ENROLMENT_LIFETIME: Duration = Duration::minutes(15);

/// Creates a session; returns the token (shown once) and the session row.
pub async fn create<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    user_id: Uuid,
    enrolment_only: bool,
) -> Result<(String, session::Model), ApiError> {
    let (token, hash) = crate::crypto::new_token()?;
    let now = state.now();
    let row = session::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(hash),
        user_id: Set(user_id),
        enrolment_only: Set(enrolment_only),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + if enrolment_only { ENROLMENT_LIFETIME } else { state.config.session_absolute }),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok((token, row))
}

/// When the session ends if unused from now: the earlier of idle and absolute expiry.
pub fn expires_at(state: &AppState, s: &session::Model, now: DateTime<Utc>) -> DateTime<Utc> {
    (now + state.config.session_idle).min(s.expires_at)
}

/// The live session behind `token`, with its active user.
pub async fn resolve(state: &AppState, token: &str) -> Result<Option<Authenticated>, ApiError> {
    let hash = crate::crypto::sha256_hex(token.as_bytes());
    let Some(s) = session::Entity::find().filter(session::Column::TokenHash.eq(hash)).one(&state.db).await? else {
        return Ok(None);
    };
    let now = state.now();
    if s.revoked_at.is_some() || now >= s.expires_at || now >= s.last_seen_at + state.config.session_idle {
        return Ok(None);
    }
    let Some(u) = user::Entity::find_by_id(s.user_id).one(&state.db).await? else {
        return Ok(None);
    };
    if !u.active {
        return Ok(None);
    }
    // A deactivated charity's staff and volunteers are signed out with it.
    let Some(org) = crate::entities::organisation::Entity::find_by_id(u.organisation_id).one(&state.db).await?.filter(|o| o.active) else {
        return Ok(None);
    };
    if now - s.last_seen_at >= TOUCH_EVERY {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(s.id))
            .exec(&state.db)
            .await?;
    }
    Ok(Some(Authenticated { user: u, session: s, organisation_lead: org.kind == OrganisationKind::Lead }))
}

/// Revokes every live session of `user_id`, except `keep` when given. Returns how many.
pub async fn revoke_all<C: ConnectionTrait>(conn: &C, user_id: Uuid, keep: Option<Uuid>, now: DateTime<Utc>) -> Result<u64, ApiError> {
    let mut q = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        q = q.filter(session::Column::Id.ne(keep));
    }
    Ok(q.exec(conn).await?.rows_affected)
}
