//! Disproportionality: the Relative Rate Index by ethnic group and by IMD quintile.
//! (Placeholder interface: the tables are filled in by the disproportionality work.)

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Config;
use crate::error::ApiError;

/// What the groups are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Ethnicity,
    Imd,
}

/// The disproportionality tables for one grouping.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Disproportionality {
    pub by: By,
}

/// The tables for referrals received from `from` to `to` (inclusive, either open).
pub async fn compute<C: ConnectionTrait>(
    _conn: &C,
    _config: &Config,
    _from: Option<NaiveDate>,
    _to: Option<NaiveDate>,
    by: By,
) -> Result<Disproportionality, ApiError> {
    Ok(Disproportionality { by })
}

/// The tables as an HTML fragment (a `<section>` with tables and inline SVG; no scripts, no
/// external references), for the printable programme report.
pub fn render_html(d: &Disproportionality) -> String {
    let by = match d.by {
        By::Ethnicity => "ethnic group",
        By::Imd => "IMD quintile",
    };
    format!("<section><h2>Disproportionality by {by}</h2></section>")
}
