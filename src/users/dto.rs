//! Request and response bodies for accounts.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::Role;

pub use crate::auth::dto::UserView;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[validate(length(max = 254), custom(function = "crate::auth::rules::valid_email"))]
    pub email: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::http::extract::not_blank"))]
    pub name: String,
    pub role: Role,
    pub organisation_id: Uuid,
    /// The first password, which she should change; 12–128 characters, not a common one.
    #[validate(length(min = 1, max = 1024))]
    pub password: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(length(max = 254), custom(function = "crate::auth::rules::valid_email"))]
    pub email: Option<String>,
    #[validate(length(min = 1, max = 200), custom(function = "crate::http::extract::not_blank"))]
    pub name: Option<String>,
    pub role: Option<Role>,
    pub organisation_id: Option<Uuid>,
    /// False deactivates the account and ends its sessions.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsers {
    pub organisation_id: Option<Uuid>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    /// From the previous page's `next_cursor`.
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedSessions {
    pub revoked: u64,
}
