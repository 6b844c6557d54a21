//! Request and response bodies for mentors, their checks, training and supervision.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::rules::*;
pub use crate::entities::availability::Slot;
use crate::http::extract::not_blank;

pub(crate) fn short_list(items: &[String]) -> Result<(), ValidationError> {
    if items.len() > 30 || items.iter().any(|i| i.trim().is_empty() || i.chars().count() > 100) {
        return Err(ValidationError::new("invalid_list").with_message("At most 30 entries of 1–100 characters.".into()));
    }
    Ok(())
}

fn age(a: i16) -> Result<(), ValidationError> {
    if (11..=24).contains(&a) { Ok(()) } else { Err(ValidationError::new("range").with_message("Ages run from 11 to 24.".into())) }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMentor {
    /// Her account (role mentor); the profile belongs to the account's charity.
    pub user_id: Uuid,
    #[validate(length(min = 1), custom(function = "short_list"))]
    pub districts: Vec<String>,
    #[serde(default)]
    #[validate(custom(function = "short_list"))]
    pub languages: Vec<String>,
    #[serde(default)]
    #[validate(custom(function = "short_list"))]
    pub interests: Vec<String>,
    #[serde(default)]
    #[validate(length(max = 21))]
    pub availability: Vec<Slot>,
    /// Active matches she can hold, 1–5 (default 1).
    #[validate(range(min = 1, max = 5))]
    pub capacity: Option<i16>,
    #[validate(custom(function = "age"))]
    pub age_min: Option<i16>,
    #[validate(custom(function = "age"))]
    pub age_max: Option<i16>,
    /// Lived experience she chooses to share (stored encrypted).
    #[validate(length(max = 2000))]
    pub lived_experience: Option<String>,
    pub recruitment_source: RecruitmentSource,
    pub start_date: NaiveDate,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMentor {
    #[validate(length(min = 1), custom(function = "short_list"))]
    pub districts: Option<Vec<String>>,
    /// She may change this herself.
    #[validate(custom(function = "short_list"))]
    pub languages: Option<Vec<String>>,
    /// She may change this herself.
    #[validate(custom(function = "short_list"))]
    pub interests: Option<Vec<String>>,
    /// She may change this herself.
    #[validate(length(max = 21))]
    pub availability: Option<Vec<Slot>>,
    #[validate(range(min = 1, max = 5))]
    pub capacity: Option<i16>,
    #[validate(custom(function = "age"))]
    pub age_min: Option<i16>,
    #[validate(custom(function = "age"))]
    pub age_max: Option<i16>,
    #[validate(length(max = 2000))]
    pub lived_experience: Option<String>,
    pub recruitment_source: Option<RecruitmentSource>,
    pub start_date: Option<NaiveDate>,
    pub status: Option<MentorStatus>,
}

impl UpdateMentor {
    /// Only the fields a mentor may change about herself.
    pub fn personal_only(&self) -> bool {
        self.districts.is_none()
            && self.capacity.is_none()
            && self.age_min.is_none()
            && self.age_max.is_none()
            && self.lived_experience.is_none()
            && self.recruitment_source.is_none()
            && self.start_date.is_none()
            && self.status.is_none()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MentorView {
    /// Her user id.
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub organisation_id: Uuid,
    pub districts: Vec<String>,
    pub languages: Vec<String>,
    pub interests: Vec<String>,
    pub availability: Vec<Slot>,
    pub capacity: i16,
    pub age_min: i16,
    pub age_max: i16,
    pub lived_experience: Option<String>,
    pub recruitment_source: RecruitmentSource,
    pub start_date: NaiveDate,
    pub status: MentorStatus,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MentorPage {
    pub items: Vec<MentorView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMentors {
    pub status: Option<MentorStatus>,
    pub organisation_id: Option<Uuid>,
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

/// A reference: who gave it and when it came.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub referee_relationship: String,
    pub received_on: NaiveDate,
}

/// Whether a check other than DBS was satisfactory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    Satisfactory,
    Unsatisfactory,
}

/// A new check record. Checks are never edited: a correction is a new record naming the
/// one it `supersedes`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCheck {
    pub kind: CheckKind,
    pub completed_on: NaiveDate,
    /// For checks other than DBS: whether it was satisfactory.
    pub outcome: Option<CheckOutcome>,
    /// Required for `dbs`.
    pub dbs: Option<Dbs>,
    /// Required for `reference`.
    #[validate(nested)]
    pub reference: Option<Reference>,
    pub supersedes: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub kind: CheckKind,
    pub completed_on: NaiveDate,
    /// `satisfactory`, `unsatisfactory`, `clear` or `information_disclosed`.
    pub outcome: String,
    pub dbs: Option<Dbs>,
    pub reference: Option<Reference>,
    pub supersedes: Option<Uuid>,
    /// True when a later record corrects this one.
    pub superseded: bool,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckList {
    pub items: Vec<CheckView>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCourse {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub name: String,
    pub mandatory: bool,
    #[validate(range(min = 0.25, max = 200.0))]
    pub hours: f64,
    /// Months a completion stays valid; none for a course that never lapses.
    #[validate(range(min = 1, max = 120))]
    pub validity_months: Option<i16>,
    /// The first day anyone could have completed it (default today).
    pub available_from: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseView {
    pub id: Uuid,
    pub name: String,
    pub mandatory: bool,
    pub hours: f64,
    pub validity_months: Option<i16>,
    pub available_from: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseList {
    pub items: Vec<CourseView>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTraining {
    pub course_id: Uuid,
    pub completed_on: NaiveDate,
    /// Defaults to the course's hours.
    #[validate(range(min = 0.25, max = 200.0))]
    pub hours: Option<f64>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub provider: String,
    #[validate(length(max = 200))]
    pub evidence_ref: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingView {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub course_id: Uuid,
    pub course_name: String,
    pub completed_on: NaiveDate,
    /// When it lapses (none for a course that never does).
    pub expires_on: Option<NaiveDate>,
    pub hours: f64,
    pub provider: String,
    pub evidence_ref: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingList {
    pub items: Vec<TrainingView>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSupervision {
    pub held_on: NaiveDate,
    /// Length in minutes, 5–480.
    #[validate(range(min = 5, max = 480))]
    pub minutes: i16,
    #[serde(default)]
    #[validate(custom(function = "short_list"))]
    pub topics: Vec<String>,
    #[serde(default)]
    pub concern_discussed: bool,
    /// The safeguarding concern raised, when one was.
    pub concern_id: Option<Uuid>,
    /// The coordinator's own notes: never shown to the mentor (stored encrypted).
    #[validate(length(max = 5000))]
    pub private_notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisionView {
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub coordinator_id: Uuid,
    pub held_on: NaiveDate,
    pub minutes: i16,
    pub topics: Vec<String>,
    pub concern_discussed: bool,
    pub concern_id: Option<Uuid>,
    /// Absent when the reader is the mentor herself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_notes: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisionList {
    pub items: Vec<SupervisionView>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExpiringParams {
    /// Look this many days ahead, 1–365 (default 30).
    #[validate(range(min = 1, max = 365))]
    pub within_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiringMentor {
    pub mentor_id: Uuid,
    pub name: String,
    pub organisation_id: Uuid,
    /// What lapses (or has lapsed), with dates.
    pub gaps: Vec<Gap>,
    /// Her active matches, at risk while she is not compliant.
    pub active_matches: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Expiring {
    pub within_days: i64,
    /// Compliant today but something lapses within the window.
    pub expiring: Vec<ExpiringMentor>,
    /// Approved mentors no longer compliant.
    pub lapsed: Vec<ExpiringMentor>,
}
