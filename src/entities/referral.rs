use sea_orm::entity::prelude::*;

use super::json::JsonText;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referrals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub young_person_id: Uuid,
    pub organisation_id: Uuid,
    pub received_on: Date,
    pub source_type: SourceType,
    /// Sealed JSON: the referrer's name, organisation and contact.
    pub referrer: String,
    /// Sealed text.
    pub reasons: String,
    pub status: Status,
    pub eligible: bool,
    /// JSON array of reasons she is (not) eligible.
    pub eligibility_reasons: JsonText<Vec<String>>,
    /// Sealed justification for accepting an ineligible referral.
    pub eligibility_override: Option<String>,
    /// Sealed justification for accepting without recorded consent.
    pub consent_override: Option<String>,
    /// Sealed reason for declining.
    pub decline_reason: Option<String>,
    pub closure_reason: Option<ClosureReason>,
    pub decided_on: Option<Date>,
    pub reopened_from: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    Status {
        Received = "received",
        Screening = "screening",
        Accepted = "accepted",
        Declined = "declined",
        Waitlisted = "waitlisted",
        Matched = "matched",
        Active = "active",
        Closed = "closed",
    }
);

crate::codes::code_enum!(
    stored
    SourceType {
        SchoolCollege = "school_college",
        Police = "police",
        ChildrensSocialCare = "childrens_social_care",
        YouthJusticeService = "youth_justice_service",
        Health = "health",
        VoluntarySector = "voluntary_sector",
        Family = "family",
        SelfReferral = "self",
    }
);

crate::codes::code_enum!(
    stored
    ClosureReason {
        PlannedEnding = "planned_ending",
        GoalsMet = "goals_met",
        Disengaged = "disengaged",
        MovedAway = "moved_away",
        EscalatedToStatutory = "escalated_to_statutory",
        AgedOut = "aged_out",
        Other = "other",
    }
);
