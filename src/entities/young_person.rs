use sea_orm::entity::prelude::*;

use super::json::JsonText;

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
    pub gender: Gender,
    pub gender_identity: Option<String>,
    pub ethnicity: Ethnicity,
    pub postcode: String,
    pub district: String,
    pub lsoa_code: Option<String>,
    pub imd_decile: Option<i16>,
    pub iod_edition: Option<IodEdition>,
    /// Sealed with the field key.
    pub contact_details: Option<String>,
    /// Sealed with the field key.
    pub parent_carer_contact: Option<String>,
    pub education_status: EducationStatus,
    pub care_status: CareStatus,
    pub send: bool,
    /// JSON array of ACE answers.
    pub aces: JsonText<Vec<super::young_person_json::AceAnswer>>,
    pub ace_count: i16,
    /// JSON array of risk indicator codes.
    pub risk_indicators: JsonText<Vec<RiskIndicator>>,
    /// JSON array of consent records.
    pub consents: JsonText<Vec<super::young_person_json::Consent>>,
    pub gillick_competent: Option<bool>,
    pub safeguarding_flag: SafeguardingFlag,
    pub merged_into: Option<Uuid>,
    /// JSON arrays, for matching.
    pub interests: JsonText<Vec<String>>,
    pub languages: JsonText<Vec<String>>,
    pub availability: JsonText<Vec<super::availability::Slot>>,
    pub mentor_preferences: JsonText<Vec<MentorPreference>>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    /// ONS 2021 census ethnic group (England), plus "prefer not to say" and "not known".
    Ethnicity {
        AsianBangladeshi = "asian_bangladeshi",
        AsianChinese = "asian_chinese",
        AsianIndian = "asian_indian",
        AsianPakistani = "asian_pakistani",
        AsianOther = "asian_other",
        BlackAfrican = "black_african",
        BlackCaribbean = "black_caribbean",
        BlackOther = "black_other",
        MixedWhiteAsian = "mixed_white_asian",
        MixedWhiteBlackAfrican = "mixed_white_black_african",
        MixedWhiteBlackCaribbean = "mixed_white_black_caribbean",
        MixedOther = "mixed_other",
        WhiteBritish = "white_british",
        WhiteIrish = "white_irish",
        WhiteGypsyIrishTraveller = "white_gypsy_irish_traveller",
        WhiteRoma = "white_roma",
        WhiteOther = "white_other",
        OtherArab = "other_arab",
        OtherAny = "other_any",
        PreferNotToSay = "prefer_not_to_say",
        NotKnown = "not_known",
    }
);

crate::codes::code_enum!(
    stored
    /// Gender, as she gives it. Women and girls (trans included) are eligible.
    Gender {
        Female = "female",
        TransFemale = "trans_female",
        NonBinary = "non_binary",
        Male = "male",
        Other = "other",
        PreferNotToSay = "prefer_not_to_say",
    }
);

crate::codes::code_enum!(
    stored
    EducationStatus {
        InSchool = "in_school",
        InCollege = "in_college",
        InTraining = "in_training",
        Employed = "employed",
        Neet = "neet",
        Excluded = "excluded",
        HomeEducated = "home_educated",
        Other = "other",
    }
);

crate::codes::code_enum!(
    stored
    CareStatus {
        LookedAfter = "looked_after",
        CareLeaver = "care_leaver",
        ChildInNeed = "child_in_need",
        ChildProtectionPlan = "child_protection_plan",
        None = "none",
    }
);

crate::codes::code_enum!(
    stored
    IodEdition {
        Iod2019 = "iod2019",
        Iod2025 = "iod2025",
    }
);

crate::codes::code_enum!(
    stored
    SafeguardingFlag {
        Green = "green",
        Amber = "amber",
        Red = "red",
    }
);

crate::codes::code_enum!(
    stored
    /// Risk indicators of exploitation or offending used in UK youth justice work.
    RiskIndicator {
        Cce = "cce",
        Cse = "cse",
        CountyLines = "county_lines",
        MissingEpisodes = "missing_episodes",
        GangAssociation = "gang_association",
        SubstanceMisuse = "substance_misuse",
        PoliceContact = "police_contact",
        YouthJusticeInvolvement = "youth_justice_involvement",
        SchoolExclusion = "school_exclusion",
    }
);

crate::codes::code_enum!(
    stored
    /// What she has said she would like in a mentor; each one a mentor meets adds to the
    /// preferences part of the matching score.
    MentorPreference {
        LivedExperience = "lived_experience",
        SharedLanguage = "shared_language",
        SharedInterests = "shared_interests",
        SameDistrict = "same_district",
    }
);
