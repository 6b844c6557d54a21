use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "matches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The young person's charity.
    pub organisation_id: Uuid,
    pub referral_id: Uuid,
    pub young_person_id: Uuid,
    pub mentor_id: Uuid,
    pub mentor_organisation_id: Uuid,
    pub status: MatchStatus,
    pub score: Option<i32>,
    /// JSON: the score breakdown when the match was made (MENTOR standard 4).
    pub criteria: super::json::JsonText<Vec<Criterion>>,
    pub proposed_on: Date,
    pub first_meeting_on: Option<Date>,
    /// Sealed.
    pub staff_present: Option<String>,
    pub agreement_signed_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub ending_type: Option<EndingType>,
    pub ending_reason: Option<EndingReason>,
    pub exit_conversation_held: Option<bool>,
    /// Sealed: the safety information the coordinator chose to share with the mentor.
    pub shared_safety_info: Option<String>,
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    /// proposed -> introduced -> active <-> paused; any of them -> ended.
    MatchStatus {
        Proposed = "proposed",
        Introduced = "introduced",
        Active = "active",
        Paused = "paused",
        Ended = "ended",
    }
);

crate::codes::code_enum!(
    stored
    EndingType {
        Planned = "planned",
        Unplanned = "unplanned",
    }
);

crate::codes::code_enum!(
    stored
    /// Why a match ended. `safeguarding` keeps this mentor from being matched with her again.
    EndingReason {
        GoalsMet = "goals_met",
        ProgrammeCompleted = "programme_completed",
        YoungPersonDisengaged = "young_person_disengaged",
        YoungPersonMovedAway = "young_person_moved_away",
        MentorLeft = "mentor_left",
        MentorUnavailable = "mentor_unavailable",
        RelationshipBreakdown = "relationship_breakdown",
        Safeguarding = "safeguarding",
        EscalatedToStatutory = "escalated_to_statutory",
        AgedOut = "aged_out",
        IntroductionUnsuccessful = "introduction_unsuccessful",
        Other = "other",
    }
);

/// One criterion's part of the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Criterion {
    /// `district`, `availability`, `interests`, `language`, `age` or `preferences`.
    pub criterion: String,
    pub points: u32,
    pub max_points: u32,
    /// What was compared, in words.
    pub explanation: String,
}
