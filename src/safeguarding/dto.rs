use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::rules::*;
use crate::http::extract::not_blank;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConcern {
    pub young_person_id: Uuid,
    /// When it was seen or said; not in the future.
    pub observed_at: DateTime<Utc>,
    pub category: Category,
    /// What was seen or said, in the raiser's own words (stored encrypted).
    #[validate(length(min = 1, max = 20000), custom(function = "not_blank"))]
    pub what_happened: String,
    /// Action already taken (stored encrypted).
    #[validate(length(max = 10000))]
    pub action_taken: Option<String>,
    pub immediate_danger: bool,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEntry {
    pub kind: EntryKind,
    /// The entry's words (stored encrypted); needed for an addendum and an action.
    #[validate(length(max = 20000))]
    pub text: Option<String>,
    /// For a decision.
    pub decision: Option<Decision>,
    /// For a referral decision: the agency referred to.
    #[validate(length(max = 200))]
    pub agency: Option<String>,
    /// For a referral decision: the agency's reference.
    #[validate(length(max = 100))]
    pub agency_reference: Option<String>,
    /// For a referral decision: the basis for sharing.
    pub consent_basis: Option<ConsentBasis>,
    /// For a sign-off.
    pub outcome: Option<SignOffOutcome>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlass {
    /// Why the detail is needed now (kept in the audit trail).
    #[validate(length(min = 10, max = 2000), custom(function = "not_blank"))]
    pub justification: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListConcerns {
    pub young_person_id: Option<Uuid>,
    pub status: Option<ConcernStatus>,
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

/// How much of a concern the reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Everything: the charity's safeguarding lead, the programme DSL, or break-glass.
    Full,
    /// The raiser: the status and her own words only.
    Own,
    /// Coordinators and programme admins: that it exists, without content.
    Summary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: Uuid,
    pub kind: EntryKind,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub text: Option<String>,
    pub decision: Option<Decision>,
    pub agency: Option<String>,
    pub agency_reference: Option<String>,
    pub consent_basis: Option<ConsentBasis>,
    pub outcome: Option<SignOffOutcome>,
}

/// A concern as the reader may see it: content and entries are absent from a summary, and
/// the raiser's view holds only her own entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConcernView {
    pub id: Uuid,
    pub visibility: Visibility,
    pub organisation_id: Uuid,
    pub young_person_id: Uuid,
    pub category: Category,
    pub immediate_danger: bool,
    pub status: ConcernStatus,
    pub raised_by: Uuid,
    pub raised_at: DateTime<Utc>,
    pub observed_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// When it must be (or had to be) acknowledged by.
    pub acknowledge_by: DateTime<Utc>,
    pub what_happened: Option<String>,
    pub action_taken: Option<String>,
    pub entries: Option<Vec<EntryView>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConcernPage {
    pub items: Vec<ConcernView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueList {
    pub items: Vec<ConcernView>,
}
