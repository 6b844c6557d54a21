//! The sign-in routes. Throttling answers 429 with `Retry-After`: per client address (a
//! window of attempts) and per account (a lock-out that doubles with each failure past the
//! threshold, up to an hour). Every outcome is audited, with no e-mail or password.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

use super::dto::UserView;
use super::dto::*;
use super::rules;
use super::{CurrentUser, EnrollingUser, lockout, mfa, session};
use crate::audit::{self, Event, Outcome};
use crate::authz::{Action, Resource};
use crate::entities::{login_attempt, user};
use crate::error::{ApiError, Problem};
use crate::http::context;
use crate::http::extract::ApiJson;
use crate::http::problems::{InvalidFields, JsonBody, SignedIn};
use crate::metrics::Metrics;
use crate::state::AppState;

const MFA_TABLE: (&str, &str) = ("users", "mfa_secret");

pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(mfa_setup))
        .routes(routes!(mfa_confirm))
}

/// Sign in with e-mail, password and (when enrolled) a TOTP code.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(InvalidFields, JsonBody,
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 401, description = "Wrong credentials (`invalid_credentials`), code needed (`mfa_required`) or wrong (`mfa_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(State(state): State<AppState>, ApiJson(body): ApiJson<LoginRequest>) -> Result<Json<LoginResponse>, ApiError> {
    let now = state.now();
    let address = context::current().client_addr;
    let attempt = throttle_address(&state, &address).await?;

    let lock_key = lockout::key(&state, &body.email)?;
    let email = rules::normalise_email(&body.email);
    let found = user::Entity::find().filter(user::Column::Email.eq(email)).one(&state.db).await?;
    if let Some(secs) = lockout::locked_for(&state.db, &lock_key, now).await? {
        return refuse_locked(&state, found.as_ref(), secs).await;
    }
    let password = SecretString::from(body.password);
    let ok = state.passwords.verify(&password, found.as_ref().map(|u| u.password_hash.as_str())).await?;
    // Checked again after waiting for a hashing slot: a burst of parallel attempts must not
    // learn anything once the account has locked.
    if let Some(secs) = lockout::locked_for(&state.db, &lock_key, state.now()).await? {
        return refuse_locked(&state, found.as_ref(), secs).await;
    }
    let u = match found {
        Some(u) if ok && u.active => u,
        other => {
            let reason = match &other {
                None => "unknown_account",
                Some(u) if !u.active => "inactive",
                Some(_) => "wrong_password",
            };
            record_failure(&state, &lock_key, other.as_ref(), reason).await?;
            return Err(ApiError::InvalidCredentials);
        }
    };
    if !organisation_active(&state, &u).await? {
        record_failure(&state, &lock_key, Some(&u), "organisation_inactive").await?;
        return Err(ApiError::InvalidCredentials);
    }

    let mut mfa_step = None;
    if u.mfa_enabled {
        let Some(code) = body.totp.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
            // The right password, asked for its second step: not a failed attempt.
            forget_attempt(&state.db, attempt).await?;
            audit_login(&state, Some(&u), "login.mfa_required", Outcome::Failed, json!({})).await?;
            return Err(ApiError::MfaRequired);
        };
        let secret = open_mfa_secret(&state, &u)?;
        let totp = mfa::totp(&secret, &u.email)?;
        match mfa::accept(&totp, code, now.timestamp().max(0) as u64, u.mfa_last_step) {
            Some(step) => mfa_step = Some(step),
            None => {
                record_failure(&state, &lock_key, Some(&u), "mfa_invalid").await?;
                return Err(ApiError::MfaInvalid);
            }
        }
    }

    let enrolment_only = state.config.mfa_required(u.role) && !u.mfa_enabled;
    let mut txn = state.write_as(Some(actor_of(&u))).await?;
    if !lockout::clear(&txn, &lock_key, now).await? {
        txn.rollback().await?;
        let secs = lockout::locked_for(&state.db, &lock_key, now).await?.unwrap_or(60);
        return refuse_locked(&state, Some(&u), secs).await;
    }
    if let Some(step) = mfa_step {
        // Accept the TOTP step only if no concurrent sign-in used it first.
        let update = user::Entity::update_many().col_expr(user::Column::MfaLastStep, Expr::value(step)).filter(user::Column::Id.eq(u.id));
        let update = match u.mfa_last_step {
            Some(last) => update.filter(user::Column::MfaLastStep.eq(last)),
            None => update.filter(user::Column::MfaLastStep.is_null()),
        };
        if update.exec(&txn).await?.rows_affected == 0 {
            txn.rollback().await?;
            record_failure(&state, &lock_key, Some(&u), "mfa_replayed").await?;
            return Err(ApiError::MfaInvalid);
        }
    }
    forget_attempt(&txn, attempt).await?;
    let (token, s) = session::create(&txn, &state, u.id, enrolment_only).await?;
    txn.audit(
        Event::new("login.succeeded", "session")
            .resource(s.id, Some(u.organisation_id))
            .detail(json!({"mfa": u.mfa_enabled, "enrolment_only": enrolment_only})),
    );
    txn.commit().await?;
    Ok(Json(LoginResponse {
        token,
        expires_at: session::expires_at(&state, &s, now),
        user: UserView::of(&u)?,
        mfa_enrolment_required: enrolment_only,
    }))
}

async fn organisation_active(state: &AppState, u: &user::Model) -> Result<bool, ApiError> {
    Ok(crate::entities::organisation::Entity::find_by_id(u.organisation_id).one(&state.db).await?.is_some_and(|o| o.active))
}

async fn refuse_locked(state: &AppState, u: Option<&user::Model>, secs: i64) -> Result<Json<LoginResponse>, ApiError> {
    Metrics::inc(&state.metrics.throttled);
    audit_login(state, u, "login.locked", Outcome::Denied, json!({})).await?;
    Err(lockout::locked_error(secs))
}

fn actor_of(u: &user::Model) -> audit::Actor {
    audit::Actor { id: u.id, role: u.role.as_str().to_string(), organisation_id: u.organisation_id }
}

async fn audit_login(
    state: &AppState,
    u: Option<&user::Model>,
    action: &'static str,
    outcome: Outcome,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    let mut event = Event::new(action, "user").outcome(outcome).detail(detail);
    if let Some(u) = u {
        event = event.resource(u.id, Some(u.organisation_id));
    }
    state.audit_alone(u.map(actor_of), event).await
}

/// Counts a failed sign-in (or password check) against the account name, and audits it.
async fn record_failure(state: &AppState, lock_key: &str, u: Option<&user::Model>, reason: &str) -> Result<(), ApiError> {
    let (failures, locked_until) = lockout::record_failure(state, lock_key).await?;
    audit_login(state, u, "login.failed", Outcome::Failed, json!({"reason": reason, "failures": failures})).await?;
    if locked_until.is_some() {
        audit_login(state, u, "login.lockout", Outcome::Denied, json!({"failures": failures})).await?;
    }
    Ok(())
}

/// The per-address limit counts failed sign-ins, so a charity office behind one address can
/// sign all its staff in: every attempt is recorded first, then counted, so parallel
/// requests cannot all pass, and a successful one is forgotten ([`forget_attempt`]). Only
/// the first refusal in a window is audited. Returns the attempt's id.
async fn throttle_address(state: &AppState, address: &str) -> Result<Uuid, ApiError> {
    let now = state.now();
    let id = Uuid::now_v7();
    login_attempt::ActiveModel { id: Set(id), address: Set(address.chars().take(64).collect()), attempted_at: Set(now) }
        .insert(&state.db)
        .await?;
    let window_start = now - state.config.login_address_window;
    let recent = login_attempt::Entity::find()
        .filter(login_attempt::Column::Address.eq(address))
        .filter(login_attempt::Column::AttemptedAt.gt(window_start));
    let count = recent.clone().count(&state.db).await?;
    let limit = state.config.login_address_limit as u64;
    if count <= limit {
        return Ok(id);
    }
    let oldest = recent.order_by_asc(login_attempt::Column::AttemptedAt).one(&state.db).await?;
    let retry = oldest.map(|o| (o.attempted_at + state.config.login_address_window - now).num_seconds()).unwrap_or(60);
    Metrics::inc(&state.metrics.throttled);
    if count == limit + 1 {
        tracing::warn!("sign-in attempts throttled for a client address");
        state.audit_alone(None, Event::new("login.throttled", "session").outcome(Outcome::Denied)).await?;
    }
    Err(ApiError::TooManyRequests {
        retry_after_secs: retry.max(1) as u64,
        detail: "Too many sign-in attempts from this address; wait before trying again.".into(),
    })
}

/// A sign-in that gave the right password does not count against its address.
async fn forget_attempt<C: sea_orm::ConnectionTrait>(conn: &C, attempt: Uuid) -> Result<(), ApiError> {
    login_attempt::Entity::delete_by_id(attempt).exec(conn).await?;
    Ok(())
}

fn open_mfa_secret(state: &AppState, u: &user::Model) -> Result<Vec<u8>, ApiError> {
    let sealed = u.mfa_secret.as_deref().ok_or_else(|| ApiError::internal("mfa enabled without a secret"))?;
    let b32 = state.keys.fields.open(MFA_TABLE.0, MFA_TABLE.1, &u.id, sealed)?;
    mfa::decode_base32(&b32).ok_or_else(|| ApiError::internal("stored mfa secret is not base32"))
}

/// Seals a TOTP secret for storage on the user's row.
pub fn seal_mfa_secret(state: &AppState, user_id: &Uuid, secret: &[u8]) -> Result<String, ApiError> {
    Ok(state.keys.fields.seal(MFA_TABLE.0, MFA_TABLE.1, user_id, &mfa::base32(secret))?)
}

/// Sign out: the token stops working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(SignedIn, (status = 204, description = "Signed out")))]
pub async fn logout(State(state): State<AppState>, EnrollingUser(me, _): EnrollingUser) -> Result<StatusCode, ApiError> {
    state.authorize(&me, Action::SessionSelf, &self_resource(&me), &[]).await?;
    let now = state.now();
    let mut txn = state.write(&me).await?;
    crate::entities::session::Entity::update_many()
        .col_expr(crate::entities::session::Column::RevokedAt, Expr::value(now))
        .filter(crate::entities::session::Column::Id.eq(me.session_id))
        .exec(&txn)
        .await?;
    txn.audit(Event::new("logout", "session").resource(me.session_id, Some(me.user.organisation_id)));
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

fn self_resource(me: &CurrentUser) -> Resource {
    Resource::User { id: me.user.id, role: me.user.role.as_str().to_string(), organisation_id: me.user.organisation_id }
}

/// Who am I: the signed-in account and when the session ends if idle.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("bearer" = [])),
    responses(SignedIn, (status = 200, description = "Done", body = MeResponse), (status = 403, description = "MFA enrolment required first", body = Problem, content_type = "application/problem+json")))]
pub async fn me(State(state): State<AppState>, me: CurrentUser) -> Result<Json<MeResponse>, ApiError> {
    state.authorize(&me, Action::SessionSelf, &self_resource(&me), &[]).await?;
    let s = crate::entities::session::Entity::find_by_id(me.session_id).one(&state.db).await?.ok_or(ApiError::Unauthenticated)?;
    Ok(Json(MeResponse { user: UserView::of(&me.user)?, session_expires_at: session::expires_at(&state, &s, state.now()) }))
}

/// Change password. Every other session of the account is ended.
#[utoipa::path(post, path = "/auth/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange,
    responses(SignedIn, JsonBody, (status = 204, description = "Changed"),
        (status = 403, description = "MFA enrolment required first", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Current password wrong or new one too weak", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn change_password(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    state.authorize(&me, Action::SessionSelf, &self_resource(&me), &[]).await?;
    // Guesses at the current password count against the same lock-out as sign-in, so a
    // stolen session cannot be used to find the password.
    let lock_key = lockout::key(&state, &me.user.email)?;
    if let Some(secs) = lockout::locked_for(&state.db, &lock_key, state.now()).await? {
        return Err(lockout::locked_error(secs));
    }
    let current = SecretString::from(body.current_password);
    let ok = state.passwords.verify(&current, Some(&me.user.password_hash)).await?;
    if let Some(secs) = lockout::locked_for(&state.db, &lock_key, state.now()).await? {
        return Err(lockout::locked_error(secs));
    }
    if !ok {
        record_failure(&state, &lock_key, Some(&me.user), "wrong_current_password").await?;
        return Err(ApiError::field("current_password", "incorrect", "The current password is not right."));
    }
    rules::check_password(&body.new_password, &me.user.email, &me.user.name)
        .map_err(|e| ApiError::Validation(vec![crate::error::FieldError::new("new_password", &e.code, e.message)]))?;
    let hash = state.passwords.hash(&SecretString::from(body.new_password)).await?;
    let now = state.now();
    let mut txn = state.write(&me).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .col_expr(user::Column::Version, crate::db::incremented(user::Column::Version))
        .filter(user::Column::Id.eq(me.id()))
        .exec(&txn)
        .await?;
    let revoked = session::revoke_all(&txn, me.id(), Some(me.session_id), now).await?;
    txn.audit(
        Event::new("password.changed", "user")
            .resource(me.id(), Some(me.user.organisation_id))
            .detail(json!({"sessions_revoked": revoked})),
    );
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start two-factor enrolment: returns a new secret as an otpauth URI. Until it is confirmed
/// with a code, sign-in does not ask for one.
#[utoipa::path(post, path = "/auth/mfa/setup", tag = "auth", security(("bearer" = [])),
    responses(SignedIn, (status = 200, description = "Done", body = MfaSetupResponse),
        (status = 409, description = "Already enrolled", body = Problem, content_type = "application/problem+json")))]
pub async fn mfa_setup(State(state): State<AppState>, EnrollingUser(me, _): EnrollingUser) -> Result<Json<MfaSetupResponse>, ApiError> {
    state.authorize(&me, Action::SessionSelf, &self_resource(&me), &[]).await?;
    if me.user.mfa_enabled {
        return Err(ApiError::conflict("Two-factor sign-in is already set up for this account."));
    }
    let secret = mfa::new_secret()?;
    let sealed = seal_mfa_secret(&state, &me.user.id, &secret)?;
    let now = state.now();
    let mut txn = state.write(&me).await?;
    user::Entity::update_many()
        .col_expr(user::Column::MfaSecret, Expr::value(sealed))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(me.id()))
        .exec(&txn)
        .await?;
    txn.audit(Event::new("mfa.setup", "user").resource(me.id(), Some(me.user.organisation_id)));
    txn.commit().await?;
    let uri = mfa::totp(&secret, &me.user.email)?.to_url().map_err(|e| ApiError::internal(format!("{e:?}")))?;
    Ok(Json(MfaSetupResponse { otpauth_uri: uri, secret: mfa::base32(&secret) }))
}

/// Confirm enrolment with a code from the app. The session becomes a full session.
#[utoipa::path(post, path = "/auth/mfa/confirm", tag = "auth", security(("bearer" = [])), request_body = MfaConfirm,
    responses(SignedIn, JsonBody, (status = 204, description = "Enrolled"),
        (status = 409, description = "No enrolment started, or already enrolled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Code wrong", body = Problem, content_type = "application/problem+json")))]
pub async fn mfa_confirm(
    State(state): State<AppState>,
    EnrollingUser(me, _): EnrollingUser,
    ApiJson(body): ApiJson<MfaConfirm>,
) -> Result<StatusCode, ApiError> {
    state.authorize(&me, Action::SessionSelf, &self_resource(&me), &[]).await?;
    if me.user.mfa_enabled {
        return Err(ApiError::conflict("Two-factor sign-in is already set up for this account."));
    }
    if me.user.mfa_secret.is_none() {
        return Err(ApiError::conflict("Start with POST /api/v1/auth/mfa/setup."));
    }
    let secret = open_mfa_secret(&state, &me.user)?;
    let now = state.now();
    let step = mfa::accept(&mfa::totp(&secret, &me.user.email)?, body.code.trim(), now.timestamp().max(0) as u64, me.user.mfa_last_step)
        .ok_or_else(|| ApiError::field("code", "incorrect", "The code is not right; check the app and the phone's clock."))?;
    let mut txn = state.write(&me).await?;
    user::Entity::update_many()
        .col_expr(user::Column::MfaEnabled, Expr::value(true))
        .col_expr(user::Column::MfaLastStep, Expr::value(step))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .col_expr(user::Column::Version, crate::db::incremented(user::Column::Version))
        .filter(user::Column::Id.eq(me.id()))
        .exec(&txn)
        .await?;
    crate::entities::session::Entity::update_many()
        .col_expr(crate::entities::session::Column::EnrolmentOnly, Expr::value(false))
        .filter(crate::entities::session::Column::Id.eq(me.session_id))
        .exec(&txn)
        .await?;
    txn.audit(Event::new("mfa.enrolled", "user").resource(me.id(), Some(me.user.organisation_id)));
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
