//! What a young person's JSON columns hold: her ACE answers and her consents, with their code
//! lists (the record's own columns are typed in `young_person`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::codes::code_enum!(
    /// The ten ACE categories of the CDC–Kaiser study.
    AceCategory {
        PhysicalAbuse = "physical_abuse",
        EmotionalAbuse = "emotional_abuse",
        SexualAbuse = "sexual_abuse",
        PhysicalNeglect = "physical_neglect",
        EmotionalNeglect = "emotional_neglect",
        DomesticViolence = "domestic_violence",
        HouseholdSubstanceMisuse = "household_substance_misuse",
        HouseholdMentalIllness = "household_mental_illness",
        ParentalSeparation = "parental_separation",
        HouseholdMemberInPrison = "household_member_in_prison",
    }
);

crate::codes::code_enum!(
    AceSource {
        SelfReport = "self_report",
        Referrer = "referrer",
    }
);

crate::codes::code_enum!(
    ConsentKind {
        Participation = "participation",
        InformationSharing = "information_sharing",
    }
);

crate::codes::code_enum!(
    ConsentGivenBy {
        YoungPerson = "young_person",
        ParentCarer = "parent_carer",
    }
);

crate::codes::code_enum!(
    ConsentMethod {
        Written = "written",
        Verbal = "verbal",
        Electronic = "electronic",
    }
);

/// One ACE answer: yes or no, who said so, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AceAnswer {
    pub category: AceCategory,
    pub answer: bool,
    pub source: AceSource,
    pub recorded_on: NaiveDate,
}

/// One consent: what was consented to, by whom, how and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub kind: ConsentKind,
    pub given_by: ConsentGivenBy,
    pub method: ConsentMethod,
    pub recorded_on: NaiveDate,
}
