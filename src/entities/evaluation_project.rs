use sea_orm::entity::prelude::*;

/// The recipient of evaluation extracts (see `projects`). `slug` is the name extracts and
/// pseudonyms are derived for: it never changes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluation_projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub purpose: String,
    pub lawful_basis: LawfulBasis,
    /// The reference of the data-sharing agreement with the evaluator's organisation.
    pub agreement_reference: String,
    pub starts_on: Date,
    /// The last day extracts may be released to it.
    pub ends_on: Date,
    pub created_by: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Extracts may be released to it on `today`.
    pub fn current(&self, today: Date) -> bool {
        self.starts_on <= today && today <= self.ends_on
    }
}

crate::codes::code_enum!(
    stored
    /// The UK GDPR Article 6 lawful basis of the evaluation's processing.
    LawfulBasis {
        PublicTask = "public_task",
        LegitimateInterests = "legitimate_interests",
        Consent = "consent",
        LegalObligation = "legal_obligation",
        Contract = "contract",
        VitalInterests = "vital_interests",
    }
);
