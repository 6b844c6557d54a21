use sea_orm::entity::prelude::*;

use super::json::JsonText;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mentor_profiles")]
pub struct Model {
    /// The mentor's user account.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    /// JSON arrays.
    pub districts: JsonText<Vec<String>>,
    pub languages: JsonText<Vec<String>>,
    pub interests: JsonText<Vec<String>>,
    pub availability: JsonText<Vec<super::availability::Slot>>,
    pub capacity: i16,
    pub age_min: i16,
    pub age_max: i16,
    /// Sealed: what she chooses to share of her own experience.
    pub lived_experience: Option<String>,
    pub recruitment_source: RecruitmentSource,
    pub start_date: Date,
    pub status: MentorStatus,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    MentorStatus {
        Applicant = "applicant",
        InVetting = "in_vetting",
        Approved = "approved",
        Paused = "paused",
        Left = "left",
    }
);

crate::codes::code_enum!(
    stored
    RecruitmentSource {
        WordOfMouth = "word_of_mouth",
        SocialMedia = "social_media",
        VolunteerCentre = "volunteer_centre",
        University = "university",
        Employer = "employer",
        Community = "community",
        Former = "former_mentee",
        Other = "other",
    }
);
