use sea_orm::entity::prelude::*;

use super::json::JsonText;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub organisation_id: Uuid,
    pub coordinator_id: Uuid,
    pub held_on: Date,
    pub minutes: i16,
    /// JSON array of topics.
    pub topics: JsonText<Vec<String>>,
    pub concern_discussed: bool,
    pub concern_id: Option<Uuid>,
    /// Sealed; never shown to the mentor.
    pub private_notes: Option<String>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
