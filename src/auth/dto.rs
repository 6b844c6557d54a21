//! Request and response bodies of the sign-in routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::users::dto::UserView;

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
