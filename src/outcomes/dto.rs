//! Request and response bodies for instruments, assessments and outcomes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::scoring::{ChangeKind, Definition};
use crate::http::extract::not_blank;

pub use crate::entities::assessment::{Indicators, Timepoint};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssessment {
    /// The instrument's code: `SWEMWBS`, `YP-CORE`, `CORE-10`, or one added since.
    #[validate(length(min = 1, max = 32))]
    pub instrument: String,
    /// Its version (default: the newest).
    #[validate(length(min = 1, max = 32))]
    pub version: Option<String>,
    pub timepoint: Timepoint,
    /// The day she answered it; not in the future.
    pub taken_on: NaiveDate,
    /// One answer per item, in order; null for an item she left unanswered.
    #[validate(length(max = 100))]
    pub answers: Vec<Option<i32>>,
    #[validate(nested)]
    pub indicators: Indicators,
}

/// An assessment's scores, computed from its answers whenever it is read.
#[derive(Debug, Serialize, ToSchema)]
pub struct Scores {
    /// The item total (prorated when an item is missing), to two decimals.
    pub raw_total: f64,
    /// The converted score, for an instrument scored through a table (SWEMWBS metric).
    pub metric: Option<f64>,
    /// The score change is measured on: the metric when there is one, else the total.
    pub score: f64,
    pub missing_items: u32,
    pub prorated: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: Uuid,
    pub young_person_id: Uuid,
    pub organisation_id: Uuid,
    pub instrument_id: Uuid,
    pub instrument: String,
    pub version: String,
    pub timepoint: Timepoint,
    pub taken_on: NaiveDate,
    pub answers: Vec<Option<i32>>,
    pub indicators: Indicators,
    pub scores: Scores,
    /// For instance: taken outside the ages the instrument was validated for.
    pub warnings: Vec<String>,
    pub administered_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentPage {
    pub items: Vec<AssessmentView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAssessments {
    /// Only this instrument (its code).
    #[validate(length(min = 1, max = 32))]
    pub instrument: Option<String>,
    pub timepoint: Option<Timepoint>,
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentView {
    pub id: Uuid,
    pub code: String,
    pub version: String,
    pub name: String,
    pub definition: Definition,
    /// Null for the instruments the service ships with.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentList {
    pub items: Vec<InstrumentView>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInstrument {
    /// Upper-case letters, digits and hyphens, such as `RCADS-25`.
    #[validate(length(min = 1, max = 32), custom(function = "instrument_code"))]
    pub code: String,
    #[validate(length(min = 1, max = 32), custom(function = "not_blank"))]
    pub version: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub name: String,
    pub definition: Definition,
}

fn instrument_code(s: &str) -> Result<(), validator::ValidationError> {
    if s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-') && !s.starts_with('-') {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_code").with_message("Use upper-case letters, digits and hyphens.".into()))
    }
}

/// One end of a change: the assessment and its score.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomePoint {
    pub assessment_id: Uuid,
    pub timepoint: Timepoint,
    pub taken_on: NaiveDate,
    pub score: f64,
}

/// Her change on one instrument, from her most recent baseline to the latest assessment
/// taken after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Outcome {
    pub instrument: String,
    pub name: String,
    /// Whether a higher score is better (SWEMWBS) or worse (YP-CORE, CORE-10).
    pub higher_is_better: bool,
    /// The smallest change that counts as reliable.
    pub reliable_change: f64,
    pub baseline: Option<OutcomePoint>,
    pub latest: Option<OutcomePoint>,
    /// latest − baseline; null without both.
    pub change: Option<f64>,
    /// Null without both a baseline and a later assessment.
    pub change_kind: Option<ChangeKind>,
    /// How many assessments of this instrument she has.
    pub assessments: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Outcomes {
    pub young_person_id: Uuid,
    pub items: Vec<Outcome>,
}
