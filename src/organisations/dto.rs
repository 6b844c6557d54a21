use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::entities::organisation;

pub use crate::entities::organisation::OrganisationKind;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganisationKind,
    pub districts: Vec<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrganisationView {
    /// The charity as shown; stored districts that do not parse are an error, never none.
    pub fn of(o: &organisation::Model) -> Result<Self, crate::error::ApiError> {
        Ok(Self {
            id: o.id,
            name: o.name.clone(),
            kind: o.kind,
            districts: o.districts.to_vec(),
            active: o.active,
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        })
    }
}

fn districts_ok(d: &[String]) -> Result<(), validator::ValidationError> {
    let bad = d.iter().any(|x| x.trim().is_empty() || x.chars().count() > 100);
    let mut seen = std::collections::HashSet::new();
    let dup = d.iter().any(|x| !seen.insert(x.trim().to_lowercase()));
    if bad {
        return Err(validator::ValidationError::new("invalid_district").with_message("Each district is 1–100 characters.".into()));
    }
    if dup {
        return Err(validator::ValidationError::new("duplicate_district").with_message("A district is listed twice.".into()));
    }
    Ok(())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganisation {
    #[validate(length(min = 1, max = 200), custom(function = "crate::http::extract::not_blank"))]
    pub name: String,
    pub kind: OrganisationKind,
    #[validate(length(min = 1, max = 50), custom(function = "districts_ok"))]
    pub districts: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganisation {
    #[validate(length(min = 1, max = 200), custom(function = "crate::http::extract::not_blank"))]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 50), custom(function = "districts_ok"))]
    pub districts: Option<Vec<String>>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListOrganisations {
    pub kind: Option<OrganisationKind>,
    pub active: Option<bool>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationPage {
    pub items: Vec<OrganisationView>,
    pub next_cursor: Option<String>,
}
