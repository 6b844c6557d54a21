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

crate::codes::code_enum!(
    stored
    /// The five roles (docs/domain.md §Roles).
    Role {
        ProgrammeAdmin = "programme_admin",
        Coordinator = "coordinator",
        SafeguardingLead = "safeguarding_lead",
        Mentor = "mentor",
        Evaluator = "evaluator",
    }
);
