use sea_orm::entity::prelude::*;

use super::json::JsonText;

/// One pseudonym a release sent: the ledger's record of what the project holds of her, which
/// later releases to the same project build on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "extract_release_people")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub release_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub pseudonym: String,
    /// JSON array: her rows' key values as released (each row the seven key columns in
    /// dictionary order), sorted.
    pub keys: JsonText<Vec<Vec<String>>>,
    /// JSON array: the columns withheld from her (suppressed or left empty).
    pub withheld: JsonText<Vec<String>>,
    /// JSON object: for each sensitive column released to her, her values over her rows
    /// (empty ones left out), sorted.
    pub sensitive: JsonText<std::collections::BTreeMap<String, Vec<String>>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
