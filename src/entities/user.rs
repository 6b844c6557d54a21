use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stored lower-cased, so uniqueness is case-insensitive.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_id: Uuid,
    pub active: bool,
    pub password_hash: String,
    /// The TOTP secret, sealed with the field key.
    pub mfa_secret: Option<String>,
    pub mfa_enabled: bool,
    /// The last TOTP time step accepted, so a code is never accepted twice.
    pub mfa_last_step: Option<i64>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

// Stored as the same snake_case strings it is written as in JSON (the database's CHECK
// constraint keeps the column to them); a stored value that is none of them fails the read
// (sea-orm's error, logged, answered 500), never a default.
/// The five roles (docs/domain.md §Roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema, EnumIter, DeriveActiveEnum)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Role {
    #[sea_orm(string_value = "programme_admin")]
    ProgrammeAdmin,
    #[sea_orm(string_value = "coordinator")]
    Coordinator,
    #[sea_orm(string_value = "safeguarding_lead")]
    SafeguardingLead,
    #[sea_orm(string_value = "mentor")]
    Mentor,
    #[sea_orm(string_value = "evaluator")]
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
