use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What caused it, e.g. `safeguarding.concern_raised`.
    pub kind: String,
    pub organisation_id: Option<Uuid>,
    /// The staff account it is for; her e-mail address is looked up when it is sent.
    pub recipient_id: Uuid,
    pub subject: String,
    pub body: String,
    pub created_at: DateTimeUtc,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// How it went out: `smtp` or `log`.
    pub channel: Option<String>,
    /// The last delivery failure, as an error class (never message content).
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
