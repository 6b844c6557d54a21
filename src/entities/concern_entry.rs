use sea_orm::entity::prelude::*;

/// One entry of a concern's chronology; append-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "concern_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub concern_id: Uuid,
    pub organisation_id: Uuid,
    pub kind: String,
    pub author_id: Uuid,
    pub created_at: DateTimeUtc,
    /// Sealed.
    pub text: Option<String>,
    pub decision: Option<String>,
    pub agency: Option<String>,
    pub agency_reference: Option<String>,
    pub consent_basis: Option<String>,
    pub outcome: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
