//! Staff and volunteer accounts: programme admins manage everyone; a coordinator manages the
//! mentors of her own charity; nobody raises her own role or moves herself to another charity.

pub mod dto;
pub mod routes;
pub mod rules;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The five roles (docs/domain.md §Roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ProgrammeAdmin,
    Coordinator,
    SafeguardingLead,
    Mentor,
    Evaluator,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::ProgrammeAdmin, Role::Coordinator, Role::SafeguardingLead, Role::Mentor, Role::Evaluator];
    pub const ALL_NAMES: [&'static str; 5] = ["programme_admin", "coordinator", "safeguarding_lead", "mentor", "evaluator"];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ProgrammeAdmin => "programme_admin",
            Role::Coordinator => "coordinator",
            Role::SafeguardingLead => "safeguarding_lead",
            Role::Mentor => "mentor",
            Role::Evaluator => "evaluator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::list_users, routes::create_user))
        .routes(routes!(routes::get_user, routes::update_user))
        .routes(routes!(routes::revoke_sessions))
}
