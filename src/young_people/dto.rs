//! Request and response bodies for young people and their case notes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::codes::*;
use super::rules::{AceAnswer, Consent};
use crate::http::extract::not_blank;

fn valid_postcode(p: &str) -> Result<(), ValidationError> {
    super::rules::normalise_postcode(p)
        .map(|_| ())
        .ok_or_else(|| ValidationError::new("invalid_postcode").with_message("This is not a UK postcode.".into()))
}

fn valid_lsoa_code(code: &str) -> Result<(), ValidationError> {
    if super::rules::valid_lsoa(code) {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_lsoa").with_message("An English LSOA code is E01 and six digits.".into()))
    }
}

fn distinct_aces(aces: &[AceAnswer]) -> Result<(), ValidationError> {
    let mut seen = std::collections::HashSet::new();
    if aces.iter().all(|a| seen.insert(a.category)) {
        Ok(())
    } else {
        Err(ValidationError::new("duplicate_category").with_message("Each ACE category may be answered once.".into()))
    }
}

fn distinct_risks(r: &[RiskIndicator]) -> Result<(), ValidationError> {
    let mut seen = std::collections::HashSet::new();
    if r.iter().all(|x| seen.insert(*x)) {
        Ok(())
    } else {
        Err(ValidationError::new("duplicate_indicator").with_message("A risk indicator is listed twice.".into()))
    }
}

/// A new young person's record.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateYoungPerson {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub legal_name: String,
    /// The name she likes to be called (defaults to the legal name).
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub preferred_name: Option<String>,
    pub date_of_birth: NaiveDate,
    pub gender: Gender,
    /// Her gender identity in her own words, if she wants it recorded.
    #[validate(length(max = 100))]
    pub gender_identity: Option<String>,
    pub ethnicity: Ethnicity,
    #[validate(custom(function = "valid_postcode"))]
    pub postcode: String,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    pub district: String,
    #[validate(custom(function = "valid_lsoa_code"))]
    pub lsoa_code: Option<String>,
    /// 1 (most deprived 10%) to 10.
    #[validate(range(min = 1, max = 10))]
    pub imd_decile: Option<i16>,
    /// Which Index of Deprivation the decile comes from (required with a decile).
    pub iod_edition: Option<IodEdition>,
    /// Her contact details (stored encrypted).
    #[validate(length(max = 2000))]
    pub contact_details: Option<String>,
    /// A parent's or carer's contact details (stored encrypted).
    #[validate(length(max = 2000))]
    pub parent_carer_contact: Option<String>,
    pub education_status: EducationStatus,
    pub care_status: CareStatus,
    /// Special educational needs and disabilities.
    #[serde(default)]
    pub send: bool,
    #[serde(default)]
    #[validate(length(max = 10), custom(function = "distinct_aces"))]
    pub aces: Vec<AceAnswer>,
    #[serde(default)]
    #[validate(custom(function = "distinct_risks"))]
    pub risk_indicators: Vec<RiskIndicator>,
    #[serde(default)]
    #[validate(length(max = 20))]
    pub consents: Vec<Consent>,
    /// What she enjoys, for matching.
    #[serde(default)]
    #[validate(custom(function = "crate::mentors::dto::short_list"))]
    pub interests: Vec<String>,
    /// Languages she speaks, for matching.
    #[serde(default)]
    #[validate(custom(function = "crate::mentors::dto::short_list"))]
    pub languages: Vec<String>,
    /// When she is free to meet.
    #[serde(default)]
    #[validate(length(max = 21))]
    pub availability: Vec<crate::mentors::dto::Slot>,
    /// What she would like in a mentor.
    #[serde(default)]
    #[validate(length(max = 4))]
    pub mentor_preferences: Vec<MentorPreference>,
    pub gillick_competent: Option<bool>,
    /// The owning charity; defaults to the caller's own.
    pub organisation_id: Option<Uuid>,
    /// Set after checking that a possible duplicate in your charity is a different person.
    #[serde(default)]
    pub confirm_not_duplicate: bool,
}

/// Changes to a record; lists (ACEs, risk indicators, consents) replace the whole list.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateYoungPerson {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub legal_name: Option<String>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub preferred_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: Option<Gender>,
    #[validate(length(max = 100))]
    pub gender_identity: Option<String>,
    pub ethnicity: Option<Ethnicity>,
    #[validate(custom(function = "valid_postcode"))]
    pub postcode: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    pub district: Option<String>,
    #[validate(custom(function = "valid_lsoa_code"))]
    pub lsoa_code: Option<String>,
    #[validate(range(min = 1, max = 10))]
    pub imd_decile: Option<i16>,
    pub iod_edition: Option<IodEdition>,
    #[validate(length(max = 2000))]
    pub contact_details: Option<String>,
    #[validate(length(max = 2000))]
    pub parent_carer_contact: Option<String>,
    pub education_status: Option<EducationStatus>,
    pub care_status: Option<CareStatus>,
    pub send: Option<bool>,
    #[validate(length(max = 10), custom(function = "distinct_aces"))]
    pub aces: Option<Vec<AceAnswer>>,
    #[validate(custom(function = "distinct_risks"))]
    pub risk_indicators: Option<Vec<RiskIndicator>>,
    #[validate(length(max = 20))]
    pub consents: Option<Vec<Consent>>,
    #[validate(custom(function = "crate::mentors::dto::short_list"))]
    pub interests: Option<Vec<String>>,
    #[validate(custom(function = "crate::mentors::dto::short_list"))]
    pub languages: Option<Vec<String>>,
    #[validate(length(max = 21))]
    pub availability: Option<Vec<crate::mentors::dto::Slot>>,
    #[validate(length(max = 4))]
    pub mentor_preferences: Option<Vec<MentorPreference>>,
    pub gillick_competent: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YoungPersonView {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub legal_name: String,
    pub preferred_name: String,
    pub date_of_birth: NaiveDate,
    /// Her age today.
    pub age: i32,
    pub gender: Gender,
    pub gender_identity: Option<String>,
    pub ethnicity: Ethnicity,
    /// The high-level ONS group the ethnicity rolls up to.
    pub ethnic_group: String,
    pub postcode: String,
    pub district: String,
    pub lsoa_code: Option<String>,
    pub imd_decile: Option<i16>,
    pub iod_edition: Option<IodEdition>,
    pub contact_details: Option<String>,
    pub parent_carer_contact: Option<String>,
    pub education_status: EducationStatus,
    pub care_status: CareStatus,
    pub send: bool,
    pub aces: Vec<AceAnswer>,
    pub ace_count: i16,
    pub risk_indicators: Vec<RiskIndicator>,
    pub consents: Vec<Consent>,
    pub gillick_competent: Option<bool>,
    pub interests: Vec<String>,
    pub languages: Vec<String>,
    pub availability: Vec<crate::mentors::dto::Slot>,
    pub mentor_preferences: Vec<MentorPreference>,
    /// Set by the safeguarding part of the service; read-only here.
    pub safeguarding_flag: SafeguardingFlag,
    /// When this record was merged into another as a duplicate, that record's id.
    pub merged_into: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A young person as a list shows her.
#[derive(Debug, Serialize, ToSchema)]
pub struct YoungPersonSummary {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub preferred_name: String,
    pub legal_name: String,
    pub age: i32,
    pub district: String,
    pub safeguarding_flag: SafeguardingFlag,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YoungPersonPage {
    pub items: Vec<YoungPersonSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListYoungPeople {
    pub organisation_id: Option<Uuid>,
    #[validate(length(min = 1, max = 100))]
    pub district: Option<String>,
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

/// The outcome of the duplicate check on a new record.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct DuplicateCheck {
    /// Records in your own charity that may be the same person (name and date of birth, or
    /// date of birth and postcode).
    pub own_charity_matches: Vec<Uuid>,
    /// Set when a possible duplicate is held by another charity: its details are never shown.
    pub notice: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedYoungPerson {
    #[serde(flatten)]
    pub young_person: YoungPersonView,
    pub duplicate_check: DuplicateCheck,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNote {
    #[validate(length(min = 1, max = 10000), custom(function = "not_blank"))]
    pub body: String,
    /// The earlier note this one corrects (notes are never edited).
    pub corrects: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    pub id: Uuid,
    pub young_person_id: Uuid,
    pub author_id: Uuid,
    pub body: String,
    pub corrects: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotePage {
    pub items: Vec<NoteView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

/// One entry of her chronology, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChronologyEntry {
    pub at: DateTime<Utc>,
    /// `referral_received`, `referral_transition`, `case_note` or `concern_raised`.
    pub kind: String,
    pub referral_id: Option<Uuid>,
    pub note_id: Option<Uuid>,
    pub concern_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    /// What happened, shaped by what the reader may see.
    pub summary: String,
    pub text: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Chronology {
    pub items: Vec<ChronologyEntry>,
}
