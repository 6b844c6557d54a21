//! Session logs as the rest of the service needs them: the policies' view of one, the dates a
//! match's sessions may fall on, and the stored form of a version. No HTTP here.

use super::rules::{Content, MatchDates};
use crate::authz::Resource;
use crate::entities::{matching, mentoring_session as ms};
use crate::error::ApiError;
use serde::{Deserialize, Serialize};

pub fn resource(s: &ms::Model) -> Resource {
    Resource::MentoringSession { id: s.id, organisation_id: s.organisation_id, mentor_id: s.mentor_id }
}

/// The dates a match's sessions may fall on, or None when it never became active.
pub fn match_dates(m: &matching::Model) -> Option<MatchDates> {
    m.agreement_signed_on.map(|started_on| MatchDates { started_on, ended_on: m.ended_on })
}

/// A version as stored in `session_versions.content`: the log's fields, its notes sealed to
/// the version row.
#[derive(Debug, Serialize, Deserialize)]
pub struct Stored {
    #[serde(flatten)]
    pub content: Content,
    pub notes: Option<String>,
}

pub fn stored_version(content: Content, sealed_notes: Option<String>) -> Result<String, ApiError> {
    as_json(&Stored { content, notes: sealed_notes })
}

pub fn as_json<T: Serialize>(v: &T) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(ApiError::internal)
}
