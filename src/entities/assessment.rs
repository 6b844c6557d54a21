use sea_orm::entity::prelude::*;

use super::json::JsonText;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub young_person_id: Uuid,
    pub organisation_id: Uuid,
    pub instrument_id: Uuid,
    pub timepoint: Timepoint,
    pub taken_on: Date,
    /// JSON array of item answers (null for a missing item).
    pub answers: JsonText<Vec<Option<i32>>>,
    /// JSON of the programme indicators.
    pub indicators: String,
    pub administered_by: Uuid,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    /// When in her time on the programme the assessment was taken.
    Timepoint {
        Baseline = "baseline",
        Review = "review",
        Exit = "exit",
    }
);
