use sea_orm::entity::prelude::*;

/// One young person an audit event is about: the index behind "who has seen her record".
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event_subjects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub young_person_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
