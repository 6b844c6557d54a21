use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "young_people")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub legal_name: String,
    pub preferred_name: String,
    /// The normalised legal name, for the duplicate check.
    pub name_key: String,
    pub date_of_birth: Date,
    pub gender: String,
    pub gender_identity: Option<String>,
    pub ethnicity: String,
    pub postcode: String,
    pub district: String,
    pub lsoa_code: Option<String>,
    pub imd_decile: Option<i16>,
    pub iod_edition: Option<String>,
    /// Sealed with the field key.
    pub contact_details: Option<String>,
    /// Sealed with the field key.
    pub parent_carer_contact: Option<String>,
    pub education_status: String,
    pub care_status: String,
    pub send: bool,
    /// JSON array of ACE answers.
    pub aces: String,
    pub ace_count: i16,
    /// JSON array of risk indicator codes.
    pub risk_indicators: String,
    /// JSON array of consent records.
    pub consents: String,
    pub gillick_competent: Option<bool>,
    pub safeguarding_flag: String,
    pub merged_into: Option<Uuid>,
    /// JSON arrays, for matching.
    pub interests: String,
    pub languages: String,
    pub availability: String,
    pub mentor_preferences: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
