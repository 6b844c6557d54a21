//! The columns of the evaluation extract: one definition that both the extract (its header
//! and the order of every row) and the data dictionary are generated from, so they cannot
//! drift apart.

use serde::Serialize;
use utoipa::ToSchema;

use super::anonymity::{
    AGE_18_PLUS, AGE_UNDER_16, COUNTY, GLOBAL_MAJORITY, KeyVariable, NOT_STATED, QUINTILE_LEAST_DEPRIVED, QUINTILE_MOST_DEPRIVED,
    SMALL_CLASS_SHARE_PERCENT, SOURCE_COMMUNITY, SOURCE_EDUCATION, SOURCE_STATUTORY, SUPPRESSED,
};
use super::protect::UNIQUENESS_FLOOR;
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
    /// Its part in the disclosure control: `key` (what an intruder is assumed to know: the
    /// extract is k-anonymous over these), `sensitive` (what she would learn: l-diverse in
    /// each class) or `other`.
    pub role: ColumnRole,
}

/// A column's part in the disclosure control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    Key,
    Sensitive,
    Other,
}

impl ColumnRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnRole::Key => "key",
            ColumnRole::Sensitive => "sensitive",
            ColumnRole::Other => "other",
        }
    }
}

/// The data dictionary of the evaluation extract.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtractDictionary {
    /// k of the k-anonymity the extract is made to satisfy.
    pub k: u32,
    /// l of the sensitive columns' l-diversity.
    pub l: u32,
    /// The key variables (what an intruder is assumed to know).
    pub key_variables: Vec<KeyVariable>,
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
    ExtractColumn {
        name: name.into(),
        kind,
        nullable,
        allowed_values: allowed,
        open: false,
        derivation: derivation.into(),
        role: ColumnRole::Other,
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The age bands, by age at referral.
pub const AGE_BANDS: [&str; 7] = ["under_11", "11-13", "14-15", "16-17", "18-20", "21-24", "over_24"];
/// The ACE count bands.
pub const ACE_BANDS: [&str; 3] = ["0-3", "4-5", "6+"];
/// Day-count bands (days to a decision, to a match).
pub const DAY_BANDS: [&str; 5] = ["0-7", "8-14", "15-28", "29-56", "57+"];
/// Match-duration bands.
pub const DURATION_BANDS: [&str; 4] = ["under_3_months", "3_to_6_months", "6_to_12_months", "12_months_or_more"];
/// Sessions-attended bands.
pub const SESSION_BANDS: [&str; 5] = ["0", "1-5", "6-11", "12-23", "24+"];
/// Session-hours bands.
pub const HOUR_BANDS: [&str; 5] = ["0", "under_10", "10-24", "25-49", "50+"];
/// Attendance-rate bands, in per cent.
pub const ATTENDANCE_BANDS: [&str; 4] = ["0-49", "50-74", "75-89", "90-100"];
/// Missing-episode bands.
pub const MISSING_BANDS: [&str; 3] = ["0", "1-2", "3+"];

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

/// Every column, in order: the pseudonym, the seven key columns, the others, and last the
/// names of the row's suppressed columns.
pub fn columns() -> Vec<ExtractColumn> {
    use ExtractColumnType::*;
    let mut cols = Vec::new();
    cols.push(col(
        PSEUDONYM,
        String,
        false,
        Vec::new(),
        "HMAC-SHA256 of the young person's record under a key derived for the recipient project (the first 128 bits in lower-case hex, 32 characters, so a spreadsheet never reads one as a formula): \
         the same young person has the same pseudonym in every extract for one project, and unrelated ones across projects. \
         Two referrals of one young person share it. Rows are in pseudonym order.",
    ));
    let mut ages = strs(&AGE_BANDS);
    ages.extend(strs(&[AGE_UNDER_16, AGE_18_PLUS, SUPPRESSED]));
    ages.dedup();
    cols.push(key(col(
        "age_band",
        String,
        false,
        ages,
        "Her age in whole years on the day her first referral within the extract's window was received: the same on all her \
         rows of one extract. Generalised: 11-15, 16-17, 18-24.",
    )));
    let mut eth = strs(&ethnic_groups());
    eth.extend(strs(&[GLOBAL_MAJORITY, NOT_STATED, SUPPRESSED]));
    cols.push(key(col(
        "ethnic_group",
        String,
        false,
        eth,
        "The ONS 2021 high-level group of her recorded ethnicity (asian, black, mixed, white, other), or prefer_not_to_say / \
         not_known. Generalised: white stays white, the other four groups become global_majority, and prefer_not_to_say and \
         not_known both become not_stated.",
    )));
    cols.push(key(col(
        "imd_quintile",
        String,
        false,
        strs(&["1", "2", "3", "4", "5", "not_known", QUINTILE_MOST_DEPRIVED, QUINTILE_LEAST_DEPRIVED, SUPPRESSED]),
        "The IMD quintile of her home area (1 = the most deprived fifth), from the recorded decile; not_known without one. \
         Generalised: 1-2 and 3-5.",
    )));
    let mut charity = key(col(
        "charity",
        String,
        false,
        strs(&[SUPPRESSED]),
        "The name of the charity holding her record (never generalised, only suppressed).",
    ));
    charity.open = true;
    cols.push(charity);
    let mut district = key(col(
        "district",
        String,
        false,
        strs(&[OTHER_DISTRICT, COUNTY, SUPPRESSED]),
        "The district of her home address as recorded, when it is one of the districts her charity covers; other when it \
         is not (the recorded district is free text and is never released otherwise). Generalised: county.",
    ));
    district.open = true;
    cols.push(district);
    let mut sources = codes(SourceType::ALL.iter().map(|s| s.as_str()));
    sources.extend(strs(&[SOURCE_STATUTORY, SOURCE_EDUCATION, SOURCE_COMMUNITY, SUPPRESSED]));
    cols.push(key(col(
        "referral_source",
        String,
        false,
        sources,
        "Who referred her. Generalised: statutory (police, children's social care, youth justice, health), education \
         (school or college), community_and_family (voluntary sector, family, self).",
    )));
    let mut period = key(col(
        "received_period",
        String,
        false,
        strs(&[SUPPRESSED]),
        "When the referral was received: the month (YYYY-MM), never the day. Generalised: the quarter (YYYY-Q1..Q4), the \
         half-year (YYYY-H1, H2), the year (YYYY).",
    ));
    period.open = true;
    cols.push(period);
    cols.push(col(
        "eligible",
        Boolean,
        true,
        Vec::new(),
        "Whether she met the eligibility criteria (age, gender, four or more ACEs) when last assessed.",
    ));
    cols.push(col("ace_count_band", String, true, strs(&ACE_BANDS), "The number of ACE categories recorded for her, banded."));
    for r in RiskIndicator::ALL {
        cols.push(col(
            risk_column(*r),
            Boolean,
            true,
            Vec::new(),
            format!("Whether the risk indicator {} is recorded for her.", r.as_str()),
        ));
    }
    cols.push(col("status", String, true, codes(Status::ALL.iter().map(|s| s.as_str())), "Where the referral is now."));
    cols.push(col(
        "days_to_decision",
        String,
        true,
        strs(&DAY_BANDS),
        "Days from receipt to the decision (accepted, declined or waitlisted), banded; empty before one.",
    ));
    cols.push(col(
        "days_to_match",
        String,
        true,
        strs(&DAY_BANDS),
        "Days from receipt to the first match proposed for the referral, banded; empty without one.",
    ));
    cols.push(col(
        "match_duration",
        String,
        true,
        strs(&DURATION_BANDS),
        "For the referral's latest match that had a first meeting: from the first meeting to its ending, banded; empty \
         while that match goes on (see match_ongoing) and without such a match.",
    ));
    cols.push(col(
        "match_ongoing",
        Boolean,
        true,
        Vec::new(),
        "Whether the referral's latest match that had a first meeting is still going on (then match_duration is empty); \
         empty without such a match.",
    ));
    cols.push(col(
        "sessions_attended",
        String,
        true,
        strs(&SESSION_BANDS),
        "Mentoring sessions she attended, over all the referral's matches, banded.",
    ));
    cols.push(col("session_hours", String, true, strs(&HOUR_BANDS), "Hours of the sessions she attended, banded."));
    cols.push(col(
        "attendance_rate",
        String,
        true,
        strs(&ATTENDANCE_BANDS),
        "Sessions attended ÷ sessions logged, in per cent, banded; empty when none was logged.",
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
        String,
        true,
        strs(&MISSING_BANDS),
        "Missing episodes since the last review, as recorded with her latest assessment, banded.",
    ));
    for c in Category::ALL {
        cols.push(sensitive(col(
            concern_column(*c),
            Boolean,
            true,
            Vec::new(),
            format!("Whether a safeguarding concern of category {} was raised about her (over her whole record).", c.as_str()),
        )));
    }
    cols.push(sensitive(col(
        "closure_reason",
        String,
        true,
        codes(ClosureReason::ALL.iter().map(|s| s.as_str())),
        format!(
            "Why the referral was closed; empty while open. A match's ending reason maps onto it ({} ending reasons).",
            EndingReason::ALL.len()
        ),
    )));
    let mut suppressed = col(
        SUPPRESSED_COLUMNS,
        String,
        true,
        Vec::new(),
        "The columns of this row released empty to protect her (a sensitive column withheld in her class, or a column \
         suppressed by the uniqueness guard), separated by ;. Empty when none is.",
    );
    suppressed.open = true;
    cols.push(suppressed);
    cols
}

/// The first column: the young person's pseudonym for the project.
pub const PSEUDONYM: &str = "pseudonym";

/// The column naming a row's suppressed columns.
pub const SUPPRESSED_COLUMNS: &str = "suppressed_columns";

fn key(mut c: ExtractColumn) -> ExtractColumn {
    c.role = ColumnRole::Key;
    c
}

fn sensitive(mut c: ExtractColumn) -> ExtractColumn {
    c.role = ColumnRole::Sensitive;
    c
}

/// The order in which the uniqueness guard suppresses a young person's columns: the most
/// identifying and least needed first; what the evaluation needs most (the stage she
/// reached, whether she improved) last.
pub fn guard_order() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in instrument_codes() {
        let p = instrument_prefix(code);
        out.extend([format!("{p}_baseline"), format!("{p}_latest"), format!("{p}_change")]);
    }
    out.extend(
        [
            "indicator_missing_episodes",
            "indicator_first_time_entrant",
            "indicator_police_contact",
            "indicator_education_employment_status",
            "attendance_rate",
            "session_hours",
            "days_to_decision",
            "days_to_match",
            "sessions_attended",
            "match_duration",
        ]
        .map(str::to_string),
    );
    out.extend(RiskIndicator::ALL.iter().map(|r| risk_column(*r)));
    out.extend(["ace_count_band", "eligible"].map(str::to_string));
    out.extend(Category::ALL.iter().map(|c| concern_column(*c)));
    out.push("closure_reason".into());
    out.extend(instrument_codes().into_iter().map(|c| format!("{}_reliable_change", instrument_prefix(c))));
    out.extend(["match_ongoing", "status"].map(str::to_string));
    out
}

fn codes<'a>(it: impl Iterator<Item = &'a str>) -> Vec<String> {
    it.map(str::to_string).collect()
}

/// The dictionary for `k` over `key_variables`.
pub fn dictionary(k: u32, key_variables: &[KeyVariable]) -> ExtractDictionary {
    let keys: Vec<&str> = key_variables.iter().map(|v| v.as_str()).collect();
    let mut columns = columns();
    // A key column that is not configured as one is released as an ordinary column, and the
    // uniqueness guard covers it.
    for c in &mut columns {
        if c.role == ColumnRole::Key && !keys.contains(&c.name.as_str()) {
            c.role = ColumnRole::Other;
            // The uniqueness guard may release it empty.
            c.nullable = true;
        }
    }
    ExtractDictionary {
        k,
        l: L,
        key_variables: key_variables.to_vec(),
        anonymisation: format!(
            "The intruder assumed is someone who knows a young woman and the referral: her age, ethnic group, home area \
             (district, deprivation), the charity, who referred her and when. Those are the key variables (configured; now: {}). \
             k counts young people, not rows: what the extract shows of a young person is all her rows together (one per \
             referral in the window, sharing her pseudonym), and every such combination of key values is shared by at least \
             k young people. Generalisation comes first, one step at a time (received month to quarter; district to county; \
             source to statutory / education / community_and_family; quarter to half-year; imd_quintile to 1-2 / 3-5; \
             half-year to year; age to 11-15 / 16-17 / 18-24; ethnic_group to global_majority / white / not_stated), stopping \
             at the first step after which at most {SMALL_CLASS_SHARE_PERCENT}% of young people are in combinations smaller \
             than k. The young people still in such combinations then lose key values one at a time, in the order charity, \
             district, received_period, referral_source, imd_quintile, age_band, ethnic_group (each replaced by \"suppressed\"), \
             and stop as soon as they form a combination of at least k; if those left with every key suppressed are fewer \
             than k, the next-smallest whole combinations with as many rows join them, and young people still too few \
             for their number of rows are withheld. Sensitive columns (the concern categories and the closure reason) are l-diverse: \
             in each combination they are released only when they take at least {L} distinct values, and are otherwise \
             released empty and named in suppressed_columns. Then the uniqueness guard, both ways: joined on every released column, \
             each young person's rows must fit at least {UNIQUENESS_FLOOR} young people's true records and her record at \
             least {UNIQUENESS_FLOOR} young people's rows; where not, she and the young person nearest to her both release \
             empty the columns on which they differ (exact scores cheapest, the stage she reached dearest), and a sensitive \
             column taken from anyone in a combination is withheld from all of it. Day counts, durations, sessions and hours are released in bands; never a day. Rows are in pseudonym \
             order. An extract of fewer than k young people is withheld (no rows). The window is whole months. In CSV a text \
             value starting with =, +, -, @, a tab or a carriage return is prefixed with ' so that a spreadsheet does not \
             run it as a formula. The response says what was done (headers Trellis-Generalised, Trellis-Suppressed-Values, \
             Trellis-Rows, Trellis-K, Trellis-K-Achieved, Trellis-L-Achieved, Trellis-Withheld; in JSON also the envelope).",
            keys.join(", ")
        ),
        columns,
    }
}

/// l of the sensitive columns' l-diversity.
pub const L: u32 = 2;

/// The dictionary as CSV: name, type, nullable, allowed_values (separated by `|`), open, derivation.
pub fn dictionary_csv(d: &ExtractDictionary) -> String {
    let mut out = String::from("name,type,role,nullable,allowed_values,open,derivation\r\n");
    for c in &d.columns {
        let fields = [
            c.name.clone(),
            c.kind.as_str().to_string(),
            c.role.as_str().to_string(),
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
