//! The coded values of a young person's record (docs/domain.md §Eligibility): each an enum that
//! serialises as its snake_case code, so an unknown value is refused at the edge.

pub(crate) use crate::codes::code_enum;

code_enum!(
    /// What she has said she would like in a mentor; each one a mentor meets adds to the
    /// preferences part of the matching score.
    MentorPreference {
        LivedExperience = "lived_experience",
        SharedLanguage = "shared_language",
        SharedInterests = "shared_interests",
        SameDistrict = "same_district",
    }
);

code_enum!(
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

/// The IMD quintile (1 = the most deprived fifth) of a decile (1 = the most deprived tenth).
pub fn imd_quintile(decile: i16) -> Option<i16> {
    (1..=10).contains(&decile).then_some((decile + 1) / 2)
}

impl Ethnicity {
    /// The five high-level groups reports roll up to; the last two are reported as such.
    pub fn group(self) -> &'static str {
        let code = self.as_str();
        match self {
            Ethnicity::PreferNotToSay => "prefer_not_to_say",
            Ethnicity::NotKnown => "not_known",
            _ => code.split('_').next().unwrap_or("other"),
        }
    }
}

code_enum!(
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

code_enum!(
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

code_enum!(
    CareStatus {
        LookedAfter = "looked_after",
        CareLeaver = "care_leaver",
        ChildInNeed = "child_in_need",
        ChildProtectionPlan = "child_protection_plan",
        None = "none",
    }
);

code_enum!(
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

code_enum!(
    AceSource {
        SelfReport = "self_report",
        Referrer = "referrer",
    }
);

code_enum!(
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

code_enum!(
    ConsentKind {
        Participation = "participation",
        InformationSharing = "information_sharing",
    }
);

code_enum!(
    ConsentGivenBy {
        YoungPerson = "young_person",
        ParentCarer = "parent_carer",
    }
);

code_enum!(
    ConsentMethod {
        Written = "written",
        Verbal = "verbal",
        Electronic = "electronic",
    }
);

code_enum!(
    IodEdition {
        Iod2019 = "iod2019",
        Iod2025 = "iod2025",
    }
);

code_enum!(
    SafeguardingFlag {
        Green = "green",
        Amber = "amber",
        Red = "red",
    }
);
