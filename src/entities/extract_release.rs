use std::collections::BTreeMap;

use sea_orm::entity::prelude::*;

use super::json::JsonText;

/// One evaluation extract released to a project: the release ledger. Append-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "extract_releases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub released_by: Uuid,
    pub released_at: DateTimeUtc,
    /// The window's first day (the first of a month), null for no lower bound.
    pub window_from: Option<Date>,
    /// The window's last day (the last of a month), null for no upper bound.
    pub window_to: Option<Date>,
    pub format: ReleaseFormat,
    pub k: i32,
    /// JSON array: the key variables the intruder was assumed to know.
    pub key_variables: JsonText<Vec<String>>,
    /// JSON object: how far each key variable was generalised (0 not at all).
    pub levels: JsonText<BTreeMap<String, u8>>,
    /// JSON array: the columns released, in order.
    pub columns: JsonText<Vec<String>>,
    pub rows: i64,
    pub young_people: i64,
    pub withheld_rows: i64,
    pub suppressed_values: i64,
    pub k_achieved: i64,
    pub l_achieved: Option<i32>,
    pub bytes: i64,
    /// SHA-256 of the file as sent, hex.
    pub sha256: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    ReleaseFormat {
        Csv = "csv",
        Json = "json",
    }
);
