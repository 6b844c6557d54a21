//! Request and response bodies for referrals and possible duplicates.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::rules::{ClosureReason, SourceType, Status};
use crate::http::extract::not_blank;
use crate::young_people::dto::{CreateYoungPerson, DuplicateCheck, YoungPersonSummary};
use crate::young_people::rules::Eligibility;

/// Who referred her (stored encrypted).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Referrer {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub name: String,
    #[validate(length(max = 200))]
    pub organisation: Option<String>,
    #[validate(length(max = 500))]
    pub contact: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReferral {
    /// An existing young person's record ...
    pub young_person_id: Option<Uuid>,
    /// ... or a new one (checked for duplicates).
    #[validate(nested)]
    pub young_person: Option<CreateYoungPerson>,
    pub received_on: NaiveDate,
    pub source_type: SourceType,
    #[validate(nested)]
    pub referrer: Referrer,
    /// Why she was referred (stored encrypted).
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    pub reasons: String,
    /// The owning charity; defaults to the caller's own (programme admins may name another).
    pub organisation_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReferral {
    pub received_on: Option<NaiveDate>,
    pub source_type: Option<SourceType>,
    #[validate(nested)]
    pub referrer: Option<Referrer>,
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    pub reasons: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub to: Status,
    /// Why (required to decline).
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    pub reason: Option<String>,
    /// Required to close.
    pub closure_reason: Option<ClosureReason>,
    /// A written justification for accepting a referral that does not meet the criteria.
    #[validate(length(min = 10, max = 2000), custom(function = "not_blank"))]
    pub eligibility_override: Option<String>,
    /// A written justification for accepting without the consent that is needed.
    #[validate(length(min = 10, max = 2000), custom(function = "not_blank"))]
    pub consent_override: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Allocate {
    /// The partner charity that takes her on.
    pub organisation_id: Uuid,
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    pub reason: String,
    /// What happens to a match of hers that has not ended: required when she has one
    /// (without it the allocation is refused with 409 naming the match).
    pub open_match: Option<OpenMatchOnAllocation>,
}

/// What an allocation does with her open match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenMatchOnAllocation {
    /// The match ends (unplanned, reason `other`) and her referral waits for a match at the
    /// new charity.
    End,
    /// The match moves with her, her mentor with it: the new charity holds it from now on.
    MoveWithMentor,
}

/// An allocated referral, and what happened to her open matches.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocatedReferral {
    #[serde(flatten)]
    pub referral: ReferralView,
    pub open_matches: Vec<AllocatedMatch>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AllocatedMatch {
    pub match_id: Uuid,
    pub outcome: OpenMatchOnAllocation,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reopen {
    pub received_on: NaiveDate,
    pub source_type: SourceType,
    #[validate(nested)]
    pub referrer: Referrer,
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    pub reasons: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralView {
    pub id: Uuid,
    pub young_person_id: Uuid,
    pub organisation_id: Uuid,
    pub received_on: NaiveDate,
    pub source_type: SourceType,
    pub referrer: Referrer,
    pub reasons: String,
    pub status: Status,
    pub eligibility: Eligibility,
    pub eligibility_override: Option<String>,
    pub consent_override: Option<String>,
    pub decline_reason: Option<String>,
    pub closure_reason: Option<ClosureReason>,
    pub decided_on: Option<NaiveDate>,
    /// The closed referral this one reopens.
    pub reopened_from: Option<Uuid>,
    /// The statuses it may be moved to by hand now. Matched and active follow from its
    /// match; an active referral closes when its match ends.
    pub allowed_transitions: Vec<Status>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedReferral {
    #[serde(flatten)]
    pub referral: ReferralView,
    pub duplicate_check: DuplicateCheck,
}

/// A referral as a list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralSummary {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub received_on: NaiveDate,
    pub source_type: SourceType,
    pub status: Status,
    pub eligible: bool,
    pub young_person: YoungPersonSummary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralPage {
    pub items: Vec<ReferralSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListReferrals {
    pub status: Option<Status>,
    pub organisation_id: Option<Uuid>,
    #[validate(length(min = 1, max = 100))]
    pub district: Option<String>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    pub eligible: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateView {
    pub id: Uuid,
    /// `open`, `merged` or `dismissed`.
    pub status: String,
    pub young_person: YoungPersonSummary,
    pub possible_duplicate_of: YoungPersonSummary,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicatePage {
    pub items: Vec<DuplicateView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDuplicates {
    /// `open` (default), `merged` or `dismissed`.
    #[validate(custom(function = "duplicate_status"))]
    pub status: Option<String>,
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

fn duplicate_status(s: &str) -> Result<(), validator::ValidationError> {
    if ["open", "merged", "dismissed"].contains(&s) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_choice").with_message("Must be one of: open, merged, dismissed.".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveDuplicate {
    /// `merge` folds one record into the other; `dismiss` says they are different people.
    pub action: DuplicateAction,
    /// For a merge: which of the two records to keep.
    pub keep: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateAction {
    Merge,
    Dismiss,
}
