use sea_orm::entity::prelude::*;

use super::json::JsonText;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mentor_checks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub organisation_id: Uuid,
    pub kind: CheckKind,
    pub completed_on: Date,
    pub outcome: String,
    /// JSON: the kind's own fields (never conviction details).
    pub details: JsonText<serde_json::Value>,
    /// The earlier record this one corrects: checks are never edited in place.
    pub supersedes: Option<Uuid>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    CheckKind {
        Dbs = "dbs",
        Reference = "reference",
        Interview = "interview",
        Identity = "identity",
        CodeOfConduct = "code_of_conduct",
        VolunteerAgreement = "volunteer_agreement",
    }
);
