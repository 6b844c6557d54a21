//! Request and response bodies for session logs, support contacts and contact gaps.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::rules::*;
use crate::http::extract::not_blank;
use crate::matches::rules::MatchStatus;

/// A mentor's log of one session. The fields' ranges and which are required (they depend on
/// `attended`) are checked together, so every problem is named at once.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// Her own active match (a coordinator: any started match of her charity).
    pub match_id: Uuid,
    /// Not in the future, not before the match became active, not after it ended.
    pub held_on: NaiveDate,
    /// False when the young person did not come: duration, mode and place are then optional,
    /// and engagement, mood and activities do not apply.
    pub attended: bool,
    /// Required when she attended.
    #[schema(minimum = 5, maximum = 600)]
    pub duration_minutes: Option<i16>,
    /// Required when she attended.
    pub mode: Option<SessionMode>,
    /// The kind of place, never an address. Required when she attended.
    pub location_category: Option<LocationCategory>,
    #[serde(default)]
    #[schema(max_items = 10)]
    pub activities: Vec<ActivityTag>,
    /// How engaged she was, 1–5. Required when she attended.
    #[schema(minimum = 1, maximum = 5)]
    pub engagement: Option<i16>,
    #[schema(minimum = 1, maximum = 5)]
    pub mood_before: Option<i16>,
    #[schema(minimum = 1, maximum = 5)]
    pub mood_after: Option<i16>,
    /// Stored encrypted.
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    pub notes: Option<String>,
}

/// `null` clears a field; leaving it out keeps it.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A correction: the fields sent replace the log's; `null` clears an optional one. The whole
/// log is then checked again as on create.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    pub held_on: Option<NaiveDate>,
    pub attended: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i16>, nullable, minimum = 5, maximum = 600)]
    pub duration_minutes: Option<Option<i16>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<SessionMode>, nullable)]
    pub mode: Option<Option<SessionMode>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<LocationCategory>, nullable)]
    pub location_category: Option<Option<LocationCategory>>,
    #[schema(max_items = 10)]
    pub activities: Option<Vec<ActivityTag>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i16>, nullable, minimum = 1, maximum = 5)]
    pub engagement: Option<Option<i16>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i16>, nullable, minimum = 1, maximum = 5)]
    pub mood_before: Option<Option<i16>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i16>, nullable, minimum = 1, maximum = 5)]
    pub mood_after: Option<Option<i16>>,
    /// Replaces the notes; an empty string removes them.
    #[validate(length(max = 5000))]
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub match_id: Uuid,
    pub organisation_id: Uuid,
    pub mentor_id: Uuid,
    pub young_person_id: Uuid,
    pub held_on: NaiveDate,
    pub attended: bool,
    pub duration_minutes: Option<i16>,
    pub mode: Option<SessionMode>,
    pub location_category: Option<LocationCategory>,
    pub activities: Vec<ActivityTag>,
    pub engagement: Option<i16>,
    pub mood_before: Option<i16>,
    pub mood_after: Option<i16>,
    pub notes: Option<String>,
    pub version: i32,
    /// The last day the mentor may correct it herself; after that only a coordinator can.
    pub mentor_can_edit_until: NaiveDate,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionPage {
    pub items: Vec<SessionView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSessions {
    pub match_id: Option<Uuid>,
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The log as it was at one version.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionContentView {
    pub held_on: NaiveDate,
    pub attended: bool,
    pub duration_minutes: Option<i16>,
    pub mode: Option<SessionMode>,
    pub location_category: Option<LocationCategory>,
    pub activities: Vec<ActivityTag>,
    pub engagement: Option<i16>,
    pub mood_before: Option<i16>,
    pub mood_after: Option<i16>,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionVersionView {
    pub version: i32,
    /// Who wrote this version, and when.
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    /// The version the log holds now.
    pub current: bool,
    pub content: SessionContentView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionVersionList {
    /// Oldest first; the last is the current version.
    pub items: Vec<SessionVersionView>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSupportContact {
    pub contact_with: ContactWith,
    pub method: ContactMethod,
    /// Not in the future, not before the match was proposed.
    pub contact_on: NaiveDate,
    /// Stored encrypted.
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportContactView {
    pub id: Uuid,
    pub match_id: Uuid,
    pub organisation_id: Uuid,
    pub contact_with: ContactWith,
    pub method: ContactMethod,
    pub contact_on: NaiveDate,
    pub notes: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportContactList {
    /// Most recent first.
    pub items: Vec<SupportContactView>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactGapParams {
    /// An active match shows when she has attended no session in this many days (1–365, default 14).
    #[validate(range(min = 1, max = 365))]
    pub days: Option<u32>,
    /// Programme admins: one charity (default all). Coordinators: their own.
    pub organisation_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactGap {
    pub match_id: Uuid,
    pub organisation_id: Uuid,
    pub mentor_id: Uuid,
    pub young_person_id: Uuid,
    pub status: MatchStatus,
    /// The day the match became active.
    pub started_on: NaiveDate,
    /// The last session she attended.
    pub last_session_on: Option<NaiveDate>,
    /// Days since that session (or since the match began, with none).
    pub days_without_session: i64,
    /// Support contacts in the first month (while in it) or in the last month.
    pub support_contacts_counted: usize,
    pub reasons: Vec<GapReason>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactGapList {
    pub days: u32,
    pub as_of: NaiveDate,
    /// Matches that are active or paused, checked.
    pub matches_checked: usize,
    pub items: Vec<ContactGap>,
}
