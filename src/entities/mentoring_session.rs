use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mentoring_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub match_id: Uuid,
    pub organisation_id: Uuid,
    pub mentor_id: Uuid,
    pub young_person_id: Uuid,
    pub held_on: Date,
    pub attended: bool,
    pub duration_minutes: Option<i16>,
    pub mode: Option<String>,
    pub location_category: Option<String>,
    /// JSON array of activity tags.
    pub activities: String,
    pub engagement: Option<i16>,
    pub mood_before: Option<i16>,
    pub mood_after: Option<i16>,
    /// Sealed.
    pub notes: Option<String>,
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_by: Uuid,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
