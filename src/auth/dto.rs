//! Request and response bodies of the sign-in routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use uuid::Uuid;

use crate::entities::user::{self, Role};

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 254))]
    pub email: String,
    #[validate(length(min = 1, max = 1024))]
    pub password: String,
    /// The current six-digit code, for accounts with two-factor sign-in.
    #[validate(length(max = 16))]
    pub totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once; only its hash is stored.
    pub token: String,
    /// When the session ends if it is not used (idle timeout, capped by the absolute lifetime).
    pub expires_at: DateTime<Utc>,
    pub user: UserView,
    /// True when the session may only enrol in two-factor sign-in.
    pub mfa_enrolment_required: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    pub session_expires_at: DateTime<Utc>,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[validate(length(min = 1, max = 1024))]
    pub current_password: String,
    #[validate(length(min = 1, max = 1024))]
    pub new_password: String,
}

#[derive(Serialize, ToSchema)]
pub struct MfaSetupResponse {
    /// Scan as a QR code or open in an authenticator app.
    pub otpauth_uri: String,
    /// The same secret in base32, for typing in by hand.
    pub secret: String,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaConfirm {
    #[validate(length(min = 6, max = 6))]
    pub code: String,
}

/// An account as others see it. Never the password hash or the MFA secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_id: Uuid,
    pub active: bool,
    pub mfa_enabled: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserView {
    /// The account as shown; a stored role that does not parse is an error, never a mentor.
    pub fn of(u: &user::Model) -> Result<Self, crate::error::ApiError> {
        Ok(Self {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            organisation_id: u.organisation_id,
            active: u.active,
            mfa_enabled: u.mfa_enabled,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
        })
    }
}
