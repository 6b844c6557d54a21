use sea_orm::entity::prelude::*;

use super::json::JsonText;

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
    pub mode: Option<SessionMode>,
    pub location_category: Option<LocationCategory>,
    /// JSON array of activity tags.
    pub activities: JsonText<Vec<ActivityTag>>,
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

crate::codes::code_enum!(
    stored
    /// How they met.
    SessionMode {
        InPerson = "in_person",
        Phone = "phone",
        Video = "video",
        GroupActivity = "group_activity",
    }
);

crate::codes::code_enum!(
    stored
    /// The kind of place they met: never an address.
    LocationCategory {
        CommunityCentre = "community_centre",
        YouthCentre = "youth_centre",
        CafeOrRestaurant = "cafe_or_restaurant",
        ParkOrOutdoors = "park_or_outdoors",
        SportOrLeisure = "sport_or_leisure",
        LibraryOrMuseum = "library_or_museum",
        SchoolOrCollege = "school_or_college",
        CharityOffice = "charity_office",
        Remote = "remote",
        Other = "other",
    }
);

crate::codes::code_enum!(
    stored
    /// What they did.
    ActivityTag {
        Conversation = "conversation",
        GoalSetting = "goal_setting",
        EducationSupport = "education_support",
        EmploymentSkills = "employment_skills",
        CreativeArts = "creative_arts",
        SportOrPhysical = "sport_or_physical",
        Outdoors = "outdoors",
        CulturalVisit = "cultural_visit",
        LifeSkills = "life_skills",
        EmotionalWellbeing = "emotional_wellbeing",
        HealthyRelationships = "healthy_relationships",
        OnlineSafety = "online_safety",
        SharedMeal = "shared_meal",
        CommunityActivity = "community_activity",
        Other = "other",
    }
);
