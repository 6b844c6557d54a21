//! Per-account lock-out. Failures are counted per account name (a keyed hash of the
//! normalised e-mail address), for addresses with and without an account alike, so that a
//! lock-out never tells anyone whether an account exists. After the threshold the name is
//! locked for 1, 2, 4 ... minutes, at most an hour, so only a handful of guesses an hour get
//! through. Counting is one atomic upsert, so a burst of parallel attempts cannot slip past.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::login_lockout as ll;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::state::AppState;

pub fn key(state: &AppState, email: &str) -> Result<String, ApiError> {
    Ok(state.keys.pseudonyms.tag("login-lockout", super::rules::normalise_email(email).as_bytes())?)
}

/// Seconds until the name may try again, if it is locked now.
pub async fn locked_for<C: ConnectionTrait>(conn: &C, key: &str, now: DateTime<Utc>) -> Result<Option<i64>, ApiError> {
    let row = ll::Entity::find_by_id(key.to_string()).one(conn).await?;
    Ok(row.and_then(|r| r.locked_until).filter(|until| *until > now).map(|until| (until - now).num_seconds().max(1)))
}

pub fn locked_error(secs: i64) -> ApiError {
    ApiError::TooManyRequests {
        retry_after_secs: secs.max(1) as u64,
        detail: "Too many failed sign-ins for this account; try again later.".into(),
    }
}

/// Counts one failure; returns the new count and, when it locks, until when.
pub async fn record_failure(state: &AppState, key: &str) -> Result<(i32, Option<DateTime<Utc>>), ApiError> {
    Metrics::inc(&state.metrics.login_failures);
    let now = state.now();
    let txn = crate::db::begin_write(&state.db).await?;
    // The count is qualified with its table: PostgreSQL finds a bare `failures` ambiguous
    // beside EXCLUDED.failures.
    let mut conflict = OnConflict::column(ll::Column::Key);
    conflict
        .value(ll::Column::Failures, crate::db::incremented((ll::Entity, ll::Column::Failures)))
        .value(ll::Column::UpdatedAt, Expr::value(now));
    ll::Entity::insert(ll::ActiveModel { key: Set(key.to_string()), failures: Set(1), locked_until: Set(None), updated_at: Set(now) })
        .on_conflict(conflict)
        .exec_without_returning(&txn)
        .await?;
    let failures = ll::Entity::find_by_id(key.to_string()).one(&txn).await?.map(|r| r.failures).unwrap_or(1);
    let over = failures as i64 - state.config.lockout_threshold as i64;
    let until = if over >= 0 { Some(now + Duration::minutes((1i64 << over.min(6)).min(60))) } else { None };
    if let Some(until) = until {
        ll::Entity::update_many().col_expr(ll::Column::LockedUntil, Expr::value(until)).filter(ll::Column::Key.eq(key)).exec(&txn).await?;
        Metrics::inc(&state.metrics.lockouts);
        tracing::warn!("an account name was locked after repeated failed sign-ins");
    }
    txn.commit().await?;
    Ok((failures, until))
}

/// Clears the count after a success, unless a lock-out began meanwhile (then the caller
/// refuses the sign-in). Returns whether the name is free.
pub async fn clear<C: ConnectionTrait>(conn: &C, key: &str, now: DateTime<Utc>) -> Result<bool, ApiError> {
    if locked_for(conn, key, now).await?.is_some() {
        return Ok(false);
    }
    ll::Entity::delete_many().filter(ll::Column::Key.eq(key)).exec(conn).await?;
    Ok(true)
}
