//! The columns of the evaluation extract: one definition that both the extract (its header
//! and the order of every row) and the data dictionary are generated from, so they cannot
//! drift apart.

use serde::Serialize;
use utoipa::ToSchema;

use super::anonymity::{
    COUNTY, GLOBAL_MAJORITY, NOT_STATED, QUINTILE_LEAST_DEPRIVED, QUINTILE_MOST_DEPRIVED, SMALL_CLASS_SHARE_PERCENT, SUPPRESSED, WHITE,
};
use super::release::OTHER_DISTRICT;
use crate::matches::rules::EndingReason;
use crate::outcomes::scoring::built_in;
use crate::referrals::rules::{ClosureReason, SourceType, Status};
use crate::safeguarding::rules::Category;
use crate::young_people::codes::{EducationStatus, Ethnicity, RiskIndicator};

/// The type of an extract column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtractColumnType {
    String,
    Integer,
    Number,
    Boolean,
}

impl ExtractColumnType {
    pub fn as_str(self) -> &'static str {
        match self {
            ExtractColumnType::String => "string",
            ExtractColumnType::Integer => "integer",
            ExtractColumnType::Number => "number",
            ExtractColumnType::Boolean => "boolean",
        }
    }
}

/// One column of the evaluation extract.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtractColumn {
    /// The column's name: the CSV header and the JSON key.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ExtractColumnType,
    /// Whether the value may be empty (null in JSON, an empty field in CSV).
    pub nullable: bool,
    /// Every value the column takes, for a coded column (with the generalised and
    /// `suppressed` forms); empty for numbers and for the pseudonym.
    pub allowed_values: Vec<String>,
    /// True when values besides `allowed_values` occur (a charity's name, a district).
    pub open: bool,
    /// How the value is derived.
    pub derivation: String,
}

/// The data dictionary of the evaluation extract.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtractDictionary {
    /// k of the k-anonymity the extract is made to satisfy.
    pub k: u32,
    /// How the extract is made k-anonymous.
    pub anonymisation: String,
    pub columns: Vec<ExtractColumn>,
}

fn col(
    name: impl Into<String>,
    kind: ExtractColumnType,
    nullable: bool,
    allowed: Vec<String>,
    derivation: impl Into<String>,
) -> ExtractColumn {
    ExtractColumn { name: name.into(), kind, nullable, allowed_values: allowed, open: false, derivation: derivation.into() }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The age bands, by age at referral.
pub const AGE_BANDS: [&str; 7] = ["under_11", "11-13", "14-15", "16-17", "18-20", "21-24", "over_24"];
/// The ACE count bands.
pub const ACE_BANDS: [&str; 5] = ["0-3", "4", "5", "6", "7+"];

/// The high-level ethnic groups of `Ethnicity::group()`, in order of first appearance.
pub fn ethnic_groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for e in Ethnicity::ALL {
        let g = e.group();
        if !out.contains(&g) {
            out.push(g);
        }
    }
    out
}

/// The column-name prefix of an instrument code: `YP-CORE` is `yp_core`.
pub fn instrument_prefix(code: &str) -> String {
    code.to_ascii_lowercase().replace('-', "_")
}

/// The codes of the instruments that have columns: those the service ships with.
pub fn instrument_codes() -> Vec<&'static str> {
    built_in().into_iter().map(|(code, ..)| code).collect()
}

pub fn risk_column(r: RiskIndicator) -> String {
    format!("risk_{}", r.as_str())
}

pub fn concern_column(c: Category) -> String {
    format!("concerns_{}", c.as_str())
}

/// Every column, in order.
pub fn columns() -> Vec<ExtractColumn> {
    use ExtractColumnType::*;
    let mut cols = Vec::new();
    cols.push(col(
        "pseudonym",
        String,
        false,
        Vec::new(),
        "HMAC-SHA256 of the young person's record under a key derived for the recipient project (the first 128 bits in lower-case hex, 32 characters, so a spreadsheet never reads one as a formula): \
         the same young person has the same pseudonym in every extract for one project, and unrelated ones across projects. \
         Two referrals of one young person share it.",
    ));
    let mut ages = strs(&AGE_BANDS);
    ages.push(SUPPRESSED.into());
    cols.push(col(
        "age_band",
        String,
        false,
        ages,
        "Her age in whole years on the day her first referral within the extract's window was received: the same on all her \
         rows of one extract. Quasi-identifier.",
    ));
    let mut eth = strs(&ethnic_groups());
    eth.extend(strs(&[GLOBAL_MAJORITY, WHITE, NOT_STATED, SUPPRESSED]));
    cols.push(col(
        "ethnic_group",
        String,
        false,
        eth,
        "The ONS 2021 high-level group of her recorded ethnicity (asian, black, mixed, white, other), or prefer_not_to_say / \
         not_known. Generalised: white stays white, the other four groups become global_majority, and prefer_not_to_say and \
         not_known both become not_stated. Quasi-identifier.",
    ));
    let mut imd = strs(&["1", "2", "3", "4", "5", "not_known", QUINTILE_MOST_DEPRIVED, QUINTILE_LEAST_DEPRIVED]);
    imd.push(SUPPRESSED.into());
    cols.push(col(
        "imd_quintile",
        String,
        false,
        imd,
        "The IMD quintile of her home area (1 = the most deprived fifth), from the recorded decile; not_known without one. \
         Generalised: 1-2 and 3-5. Quasi-identifier.",
    ));
    let mut charity = col(
        "charity",
        String,
        false,
        strs(&[SUPPRESSED]),
        "The name of the charity holding her record. Quasi-identifier (never generalised, only suppressed).",
    );
    charity.open = true;
    cols.push(charity);
    let mut district = col(
        "district",
        String,
        false,
        strs(&[OTHER_DISTRICT, COUNTY, SUPPRESSED]),
        "The district of her home address as recorded, when it is one of the districts her charity covers; other when it \
         is not (the recorded district is free text and is never released otherwise). Generalised: county. \
         Quasi-identifier.",
    );
    district.open = true;
    cols.push(district);
    cols.push(col("referral_source", String, false, codes(SourceType::ALL.iter().map(|s| s.as_str())), "Who referred her."));
    cols.push(col("received_month", String, false, Vec::new(), "The month the referral was received, YYYY-MM (never the day)."));
    cols.push(col(
        "eligible",
        Boolean,
        false,
        Vec::new(),
        "Whether she met the eligibility criteria (age, gender, four or more ACEs) when last assessed.",
    ));
    cols.push(col("ace_count_band", String, false, strs(&ACE_BANDS), "The number of ACE categories recorded for her, banded."));
    for r in RiskIndicator::ALL {
        cols.push(col(
            risk_column(*r),
            Boolean,
            false,
            Vec::new(),
            format!("Whether the risk indicator {} is recorded for her.", r.as_str()),
        ));
    }
    cols.push(col("status", String, false, codes(Status::ALL.iter().map(|s| s.as_str())), "Where the referral is now."));
    cols.push(col(
        "days_to_decision",
        Integer,
        true,
        Vec::new(),
        "Days from receipt to the decision (accepted, declined or waitlisted); empty before one.",
    ));
    cols.push(col(
        "days_to_match",
        Integer,
        true,
        Vec::new(),
        "Days from receipt to the first match proposed for the referral; empty without one.",
    ));
    cols.push(col(
        "match_duration_days",
        Integer,
        true,
        Vec::new(),
        "For the referral's latest match that had a first meeting: days from the first meeting to its ending; empty \
         while that match goes on (see match_ongoing: measured to any day the recipient knows, it would give away the day \
         of the first meeting) and without such a match.",
    ));
    cols.push(col(
        "match_ongoing",
        Boolean,
        true,
        Vec::new(),
        "Whether the referral's latest match that had a first meeting is still going on (then match_duration_days is empty); \
         empty without such a match.",
    ));
    cols.push(col("sessions_attended", Integer, false, Vec::new(), "Mentoring sessions she attended, over all the referral's matches."));
    cols.push(col("session_hours", Number, false, Vec::new(), "Hours of the sessions she attended (two decimals)."));
    cols.push(col(
        "attendance_rate",
        Number,
        true,
        Vec::new(),
        "Sessions attended ÷ sessions logged (0 to 1, three decimals); empty when none was logged.",
    ));
    let kinds = strs(&["reliable_improvement", "reliable_deterioration", "no_reliable_change"]);
    for code in instrument_codes() {
        let p = instrument_prefix(code);
        cols.push(col(
            format!("{p}_baseline"),
            Number,
            true,
            Vec::new(),
            format!("Her {code} score at her most recent baseline assessment (the metric score where the instrument has one)."),
        ));
        cols.push(col(
            format!("{p}_latest"),
            Number,
            true,
            Vec::new(),
            format!("Her {code} score at the latest assessment after that baseline."),
        ));
        cols.push(col(format!("{p}_change"), Number, true, Vec::new(), format!("{code} latest − baseline; empty without both.")));
        cols.push(col(
            format!("{p}_reliable_change"),
            String,
            true,
            kinds.clone(),
            format!("Whether the {code} change reaches the instrument's reliable-change threshold, in which direction."),
        ));
    }
    cols.push(col(
        "indicator_education_employment_status",
        String,
        true,
        codes(EducationStatus::ALL.iter().map(|s| s.as_str())),
        "The programme indicator recorded with her latest assessment (any instrument); empty without an assessment.",
    ));
    cols.push(col(
        "indicator_police_contact",
        Boolean,
        true,
        Vec::new(),
        "Police contact since the last review, as recorded with her latest assessment.",
    ));
    cols.push(col(
        "indicator_first_time_entrant",
        Boolean,
        true,
        Vec::new(),
        "First-time entry to the youth justice system since the last review, as recorded with her latest assessment.",
    ));
    cols.push(col(
        "indicator_missing_episodes",
        Integer,
        true,
        Vec::new(),
        "Missing episodes since the last review, as recorded with her latest assessment.",
    ));
    for c in Category::ALL {
        cols.push(col(
            concern_column(*c),
            Integer,
            false,
            Vec::new(),
            format!("Safeguarding concerns of category {} raised about her (over her whole record).", c.as_str()),
        ));
    }
    cols.push(col(
        "closure_reason",
        String,
        true,
        codes(ClosureReason::ALL.iter().map(|s| s.as_str())),
        format!(
            "Why the referral was closed; empty while open. A match's ending reason maps onto it ({} ending reasons).",
            EndingReason::ALL.len()
        ),
    ));
    cols
}

fn codes<'a>(it: impl Iterator<Item = &'a str>) -> Vec<String> {
    it.map(str::to_string).collect()
}

/// The dictionary for `k`.
pub fn dictionary(k: u32) -> ExtractDictionary {
    ExtractDictionary {
        k,
        anonymisation: format!(
            "The five quasi-identifiers (age_band, ethnic_group, imd_quintile, charity, district) are the young person's: all \
             her rows in one extract carry the same five values. Every combination of them that occurs is shared by at least \
             k distinct young people (k distinct pseudonyms), not merely k rows. Generalisation comes first, one step at a time (district to county; then imd_quintile to 1-2 / 3-5; \
             then ethnic_group to global_majority / white / not_stated), stopping at the first step after which at most \
             {SMALL_CLASS_SHARE_PERCENT}% of young people are in combinations smaller than k. The rows still in such combinations then lose \
             values one at a time, in the order charity, district, imd_quintile, age_band, ethnic_group (each replaced by \
             \"suppressed\"), and stop as soon as they form a combination of at least k young people with the others suppressed as far; \
             if the young people left with all five suppressed are fewer than k, the next-smallest whole combinations join them. \
             An extract of fewer than k young people is withheld (no rows). The window is whole months: from is taken as the \
             first day of its month and to as the last day of its month. In CSV a text value starting with =, +, -, @, a tab \
             or a carriage return is prefixed with ' so that a spreadsheet does not run it as a formula. The response says what was \
             generalised and how many values were suppressed (headers Trellis-Generalised, Trellis-Suppressed-Values, \
             Trellis-Rows, Trellis-K, Trellis-Withheld; in JSON also the envelope)."
        ),
        columns: columns(),
    }
}

/// The dictionary as CSV: name, type, nullable, allowed_values (separated by `|`), open, derivation.
pub fn dictionary_csv(d: &ExtractDictionary) -> String {
    let mut out = String::from("name,type,nullable,allowed_values,open,derivation\r\n");
    for c in &d.columns {
        let fields = [
            c.name.clone(),
            c.kind.as_str().to_string(),
            c.nullable.to_string(),
            c.allowed_values.join("|"),
            c.open.to_string(),
            c.derivation.clone(),
        ];
        out.push_str(&fields.iter().map(|f| super::csv_text(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_unique_and_safe() {
        let cols = columns();
        let mut names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')));
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
        assert_eq!(instrument_prefix("YP-CORE"), "yp_core");
        assert_eq!(ethnic_groups(), vec!["asian", "black", "mixed", "white", "other", "prefer_not_to_say", "not_known"]);
    }
}
