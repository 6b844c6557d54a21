use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Position in the hash chain; null until the sequencer seals the event.
    pub seq: Option<i64>,
    pub occurred_at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub actor_organisation_id: Option<Uuid>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub resource_organisation_id: Option<Uuid>,
    pub outcome: String,
    pub request_id: Option<String>,
    pub client_address: Option<String>,
    /// A small JSON object with no personal data.
    pub detail: super::json::JsonText<serde_json::Value>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    /// The young people the event is about: their ids, sorted, comma-separated (sealed into
    /// the chain with the rest); `audit_event_subjects` indexes them.
    pub subjects: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
