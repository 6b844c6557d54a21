//! The coded values of a young person's record (docs/domain.md §Eligibility): each an enum that
//! serialises as its snake_case code, so an unknown value is refused at the edge.

pub(crate) use crate::codes::code_enum;

pub use crate::entities::young_person::MentorPreference;

pub use crate::entities::young_person::Ethnicity;

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

pub use crate::entities::young_person::Gender;

pub use crate::entities::young_person::EducationStatus;

pub use crate::entities::young_person::CareStatus;

pub use crate::entities::young_person::RiskIndicator;

pub use crate::entities::young_person::IodEdition;

pub use crate::entities::young_person::SafeguardingFlag;

pub use crate::entities::young_person_json::{AceCategory, AceSource, ConsentGivenBy, ConsentKind, ConsentMethod};
