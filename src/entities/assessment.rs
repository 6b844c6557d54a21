use sea_orm::entity::prelude::*;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::json::JsonText;
use super::young_person::EducationStatus;

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
    pub indicators: JsonText<Indicators>,
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

/// The programme indicators recorded beside each assessment (docs/domain.md §Outcome measures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicators {
    /// Her education or employment status on the day.
    pub education_employment_status: EducationStatus,
    /// Any contact with the police since the last review (or since referral, at baseline).
    pub police_contact_since_last_review: bool,
    /// She entered the youth justice system for the first time since the last review.
    pub first_time_entrant: bool,
    /// Missing episodes since the last review.
    #[validate(range(max = 1000))]
    pub missing_episodes: u32,
}
