//! What other parts of the service call to make an account (the API, the command line and
//! the demo programme all make them the same way).

use chrono::{DateTime, Utc};
use sea_orm::Set;
use uuid::Uuid;

use crate::entities::user::{self, Role};

/// A new, active account without two-factor sign-in: `email` already normalised, `name`
/// trimmed here, `password_hash` the argon2id hash.
pub fn new_user(
    id: Uuid,
    email: String,
    name: &str,
    role: Role,
    organisation_id: Uuid,
    password_hash: String,
    now: DateTime<Utc>,
) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(id),
        email: Set(email),
        name: Set(name.trim().to_string()),
        role: Set(role),
        organisation_id: Set(organisation_id),
        active: Set(true),
        password_hash: Set(password_hash),
        mfa_secret: Set(None),
        mfa_enabled: Set(false),
        mfa_last_step: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
}
