//! Organisations as the rest of the service needs them (the command line and the demo make
//! charities with the same function as the API). No HTTP here.

use super::dto::*;
use crate::entities::json::JsonText;
use crate::entities::organisation;
use crate::error::ApiError;
use sea_orm::Set;
use uuid::Uuid;

pub fn new_organisation(
    name: &str,
    kind: OrganisationKind,
    districts: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<organisation::ActiveModel, ApiError> {
    Ok(organisation::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_string()),
        kind: Set(kind),
        districts: Set(clean(districts)?),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

pub fn clean(districts: &[String]) -> Result<JsonText<Vec<String>>, ApiError> {
    Ok(JsonText::new(districts.iter().map(|d| d.trim().to_string()).collect())?)
}
