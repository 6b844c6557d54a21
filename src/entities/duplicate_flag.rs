use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "duplicate_flags")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The newer record.
    pub young_person_id: Uuid,
    /// The existing record it may duplicate.
    pub match_id: Uuid,
    pub status: DuplicateStatus,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    /// Open until a coordinator merges the records or dismisses the flag.
    DuplicateStatus {
        Open = "open",
        Merged = "merged",
        Dismissed = "dismissed",
    }
);
