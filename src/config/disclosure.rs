//! The disclosure-control settings that name things: the evaluation extract's key variables
//! and the disproportionality tables' reference groups.

/// The lines of the disproportionality tables by ethnicity that may be the reference group.
pub const ETHNIC_REFERENCE_GROUPS: [&str; 10] = [
    "asian",
    "black",
    "mixed",
    "white",
    "other",
    "white_british",
    "white_irish",
    "white_gypsy_irish_traveller",
    "white_roma",
    "white_other",
];

crate::codes::code_enum!(
    /// A variable of the evaluation extract an intruder is assumed to know (its column name).
    KeyVariable {
        AgeBand = "age_band",
        EthnicGroup = "ethnic_group",
        ImdQuintile = "imd_quintile",
        Charity = "charity",
        District = "district",
        ReferralSource = "referral_source",
        ReceivedPeriod = "received_period",
    }
);

/// A comma-separated list of key variables, each once; `None` when empty or wrong.
pub(super) fn parse_key_variables(raw: &str) -> Option<Vec<KeyVariable>> {
    let mut out = Vec::new();
    for part in raw.split(',').map(str::trim) {
        let v = KeyVariable::parse(part)?;
        if out.contains(&v) {
            return None;
        }
        out.push(v);
    }
    (!out.is_empty()).then_some(out)
}
