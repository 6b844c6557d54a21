//! Request and response bodies for matching and matches.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::rules::*;
use crate::http::extract::not_blank;
use crate::young_people::codes::SafeguardingFlag;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestionParams {
    /// How many ranked mentors to return (1–50, default 10).
    #[validate(range(min = 1, max = 50))]
    pub limit: Option<u64>,
    /// Consider other charities' mentors too (the lead charity only).
    pub include_other_charities: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    pub mentor_id: Uuid,
    pub name: String,
    pub organisation_id: Uuid,
    pub score: u32,
    pub breakdown: Vec<Criterion>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Excluded {
    pub mentor_id: Uuid,
    pub name: String,
    pub organisation_id: Uuid,
    pub reasons: Vec<Exclusion>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    pub referral_id: Uuid,
    pub young_person_id: Uuid,
    /// The weights in force (configuration `match_weights`).
    pub weights: Weights,
    /// Best first; ties by mentor id.
    pub ranked: Vec<Suggestion>,
    /// Mentors who may not be matched with her, and why.
    pub excluded: Vec<Excluded>,
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// Plan this charity's waiting referrals (programme admins: default all charities;
    /// coordinators: their own).
    pub organisation_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlannedMatch {
    pub referral_id: Uuid,
    pub young_person_id: Uuid,
    pub mentor_id: Uuid,
    pub score: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Plan {
    /// Proposals only: a coordinator confirms each with `POST /matches`.
    pub proposals: Vec<PlannedMatch>,
    /// Accepted referrals no mentor can take now.
    pub unmatched_referrals: Vec<Uuid>,
    pub total_score: u64,
    /// What taking the best pair first would have scored, for comparison.
    pub greedy_total_score: u64,
    pub referrals_considered: usize,
    pub mentors_considered: usize,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMatch {
    /// An accepted referral waiting for a mentor.
    pub referral_id: Uuid,
    pub mentor_id: Uuid,
    /// Safety information the mentor should know (stored encrypted, shown to her).
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    pub shared_safety_info: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMatch {
    /// Replaces the safety information shared with the mentor; empty string removes it.
    #[validate(length(max = 2000))]
    pub shared_safety_info: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchTransition {
    pub to: MatchStatus,
    /// The day it happened (default today): the first meeting for `introduced`, the signed
    /// agreement for `active`, the ending for `ended`.
    pub on: Option<NaiveDate>,
    /// `introduced`: who from the charity was at the first meeting.
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub staff_present: Option<String>,
    /// `active`: the mentoring agreement is signed (required).
    pub agreement_signed: Option<bool>,
    /// `ended`: planned or unplanned.
    pub ending_type: Option<EndingType>,
    /// `ended`: why.
    pub ending_reason: Option<EndingReason>,
    /// `ended`: whether the exit conversation was held (required).
    pub exit_conversation_held: Option<bool>,
    /// `ended`: `close` closes the referral (default for a match that was active);
    /// `rematch` returns it to waiting for a new mentor (default for one that never was).
    pub referral: Option<ReferralAfterEnding>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferralAfterEnding {
    Close,
    Rematch,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchView {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub referral_id: Uuid,
    pub young_person_id: Uuid,
    pub mentor_id: Uuid,
    pub mentor_organisation_id: Uuid,
    pub status: MatchStatus,
    /// The score when the match was made, and its breakdown: the criteria used.
    pub score: Option<i32>,
    pub criteria: Vec<Criterion>,
    pub proposed_on: NaiveDate,
    pub first_meeting_on: Option<NaiveDate>,
    pub staff_present: Option<String>,
    pub agreement_signed_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub ending_type: Option<EndingType>,
    pub ending_reason: Option<EndingReason>,
    pub exit_conversation_held: Option<bool>,
    pub shared_safety_info: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchPage {
    pub items: Vec<MatchView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMatches {
    pub status: Option<MatchStatus>,
    pub mentor_id: Option<Uuid>,
    pub young_person_id: Option<Uuid>,
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// What a mentor sees of her mentee, and nothing else of the record.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenteeView {
    pub match_id: Uuid,
    pub young_person_id: Uuid,
    pub preferred_name: String,
    pub age: i32,
    pub district: String,
    pub interests: Vec<String>,
    pub safeguarding_flag: SafeguardingFlag,
    /// What the coordinator chose to share for her safety.
    pub shared_safety_info: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConflict {
    pub young_person_id: Uuid,
    /// How they know each other (stored encrypted).
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    pub reason: String,
    pub declared_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictView {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub young_person_id: Uuid,
    pub reason: String,
    pub declared_on: NaiveDate,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictList {
    pub items: Vec<ConflictView>,
}
