use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::entities::{evaluation_project, extract_release};

pub use crate::entities::evaluation_project::LawfulBasis;
pub use crate::entities::extract_release::ReleaseFormat;

/// A project's name for extracts and pseudonyms: lower-case letters, digits and hyphens.
pub fn slug(s: &str) -> Result<(), ValidationError> {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if first_ok && rest_ok && s.len() <= 63 {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_project")
            .with_message("Use 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit.".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    /// The name extracts are asked for (`project=`) and pseudonyms derived from: lower-case
    /// letters, digits and hyphens. It never changes.
    #[validate(custom(function = "slug"))]
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{0,62}$", max_length = 63)]
    pub slug: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::http::extract::not_blank"))]
    pub name: String,
    /// What the evaluation is for, in the words of its protocol.
    #[validate(length(min = 1, max = 2000), custom(function = "crate::http::extract::not_blank"))]
    pub purpose: String,
    pub lawful_basis: LawfulBasis,
    /// The reference of the data-sharing agreement.
    #[validate(length(min = 1, max = 100), custom(function = "crate::http::extract::not_blank"))]
    pub agreement_reference: String,
    pub starts_on: NaiveDate,
    /// The last day extracts may be released to it.
    pub ends_on: NaiveDate,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    #[validate(length(min = 1, max = 200), custom(function = "crate::http::extract::not_blank"))]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 2000), custom(function = "crate::http::extract::not_blank"))]
    pub purpose: Option<String>,
    pub lawful_basis: Option<LawfulBasis>,
    #[validate(length(min = 1, max = 100), custom(function = "crate::http::extract::not_blank"))]
    pub agreement_reference: Option<String>,
    pub starts_on: Option<NaiveDate>,
    /// Bring it forward to end the project (and every evaluator's access) early.
    pub ends_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub purpose: String,
    pub lawful_basis: LawfulBasis,
    pub agreement_reference: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Extracts may be released to it today.
    pub current: bool,
    /// The evaluator accounts bound to it.
    pub evaluators: Vec<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ProjectView {
    pub fn of(p: &evaluation_project::Model, evaluators: Vec<Uuid>, today: NaiveDate) -> Self {
        Self {
            id: p.id,
            slug: p.slug.clone(),
            name: p.name.clone(),
            purpose: p.purpose.clone(),
            lawful_basis: p.lawful_basis,
            agreement_reference: p.agreement_reference.clone(),
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            current: p.current(today),
            evaluators,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListProjects {
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectPage {
    pub items: Vec<ProjectView>,
    pub next_cursor: Option<String>,
}

/// One extract released to a project, as the ledger holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseView {
    pub id: Uuid,
    pub released_by: Uuid,
    pub released_at: DateTime<Utc>,
    /// The window's first month (`YYYY-MM`), null without a lower bound.
    pub from: Option<String>,
    /// The window's last month (`YYYY-MM`), null without an upper bound.
    pub to: Option<String>,
    pub format: ReleaseFormat,
    pub k: i32,
    pub key_variables: Vec<String>,
    /// How far each key variable was generalised (0 not at all; for the received period 1
    /// quarter, 2 half-year, 3 year).
    pub levels: BTreeMap<String, u8>,
    pub columns: Vec<String>,
    pub rows: i64,
    pub young_people: i64,
    pub withheld_rows: i64,
    pub suppressed_values: i64,
    pub k_achieved: i64,
    pub l_achieved: Option<i32>,
    pub bytes: i64,
    /// SHA-256 of the file as sent, hex: the evaluator can show which release she holds.
    pub sha256: String,
}

impl ReleaseView {
    pub fn of(r: &extract_release::Model) -> Self {
        let month = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m").to_string());
        Self {
            id: r.id,
            released_by: r.released_by,
            released_at: r.released_at,
            from: month(r.window_from),
            to: month(r.window_to),
            format: r.format,
            k: r.k,
            key_variables: r.key_variables.to_vec(),
            levels: (*r.levels).clone(),
            columns: r.columns.to_vec(),
            rows: r.rows,
            young_people: r.young_people,
            withheld_rows: r.withheld_rows,
            suppressed_values: r.suppressed_values,
            k_achieved: r.k_achieved,
            l_achieved: r.l_achieved,
            bytes: r.bytes,
            sha256: r.sha256.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReleasePage {
    pub items: Vec<ReleaseView>,
    pub next_cursor: Option<String>,
}
