use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub match_id: Uuid,
    pub organisation_id: Uuid,
    pub contact_with: ContactWith,
    pub contact_on: Date,
    pub method: ContactMethod,
    /// Sealed.
    pub notes: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    /// Whom the coordinator checked in with.
    ContactWith {
        Mentor = "mentor",
        Mentee = "mentee",
        Both = "both",
    }
);

crate::codes::code_enum!(
    stored
    ContactMethod {
        InPerson = "in_person",
        Phone = "phone",
        Video = "video",
        Message = "message",
        Email = "email",
    }
);
