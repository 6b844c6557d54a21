//! The motivated-intruder test: an intruder holding every young person's identifiable record
//! joins it to a released extract on every released column and counts, both ways, what she
//! can single out: the pseudonyms (and their rows) that only one young person's record fits,
//! and the young people whose record only one pseudonym fits. It must find neither.
//!
//! Written apart from the disclosure control it tests, from the released values and the
//! published hierarchies only: a released key value fits a true one when it is the true value
//! raised to some level of its hierarchy or "suppressed"; any other released value fits when
//! it is equal or its column is named in the row's `suppressed_columns`. A pseudonym's rows fit
//! a young person when she has as many rows and they pair off, each fitting.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use uuid::Uuid;

use super::anonymity::{KeyVariable, SUPPRESSED, generalise};
use super::dictionary::SUPPRESSED_COLUMNS;

/// One row as text, by column name.
pub type Row = BTreeMap<String, String>;

/// A young person's identifiable record as the intruder holds it: her rows' true values.
#[derive(Debug, Clone)]
pub struct Record {
    pub person: Uuid,
    pub rows: Vec<Row>,
}

/// What the intruder found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub rows: u64,
    pub pseudonyms: u64,
    /// Pseudonyms that only one young person's record fits.
    pub unique_pseudonyms: u64,
    /// The rows of those pseudonyms.
    pub unique_rows: u64,
    /// Young people whose record only one pseudonym fits: an intruder who knows her finds
    /// her rows.
    pub unique_records: u64,
    /// The fewest records fitting any pseudonym (none when nothing was released).
    pub fewest_fitting: Option<u64>,
}

const LEVELS: u8 = 3;

/// The rows of an extract in its JSON form (`{"rows": [{column: value}]}`), as text; None when
/// it is not one.
pub fn rows_of_json(extract: &serde_json::Value) -> Option<Vec<Row>> {
    use serde_json::Value;
    let mut out = Vec::new();
    for r in extract.get("rows")?.as_array()? {
        let mut row = Row::new();
        for (k, v) in r.as_object()? {
            let text = match v {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.as_f64()?.to_string(),
                _ => return None,
            };
            row.insert(k.clone(), text);
        }
        out.push(row);
    }
    Some(out)
}

/// A released row with its suppressed columns read once.
struct Shown<'a> {
    row: &'a Row,
    suppressed: HashSet<&'a str>,
}

impl<'a> Shown<'a> {
    fn new(row: &'a Row) -> Self {
        let suppressed = row.get(SUPPRESSED_COLUMNS).map(|s| s.split(';').filter(|c| !c.is_empty()).collect()).unwrap_or_default();
        Shown { row, suppressed }
    }

    fn fits(&self, truth: &Row) -> bool {
        self.row.iter().all(|(column, value)| {
            if column == "pseudonym" || column == SUPPRESSED_COLUMNS || self.suppressed.contains(column.as_str()) {
                return true;
            }
            let Some(true_value) = truth.get(column) else { return false };
            match KeyVariable::parse(column) {
                Some(v) => value == SUPPRESSED || (0..=LEVELS).any(|l| generalise(v, true_value, l) == *value),
                None => value == true_value,
            }
        })
    }
}

/// Whether the rows pair off, each shown row fitting its true one.
fn fits(shown: &[Shown], truth: &[Row]) -> bool {
    if shown.len() != truth.len() {
        return false;
    }
    fn pair(shown: &[Shown], truth: &[Row], used: &mut Vec<bool>) -> bool {
        let Some((first, rest)) = shown.split_first() else { return true };
        for i in 0..truth.len() {
            if !used[i] && first.fits(&truth[i]) {
                used[i] = true;
                if pair(rest, truth, used) {
                    return true;
                }
                used[i] = false;
            }
        }
        false
    }
    pair(shown, truth, &mut vec![false; truth.len()])
}

/// The level of its published hierarchy a released key value stands at (None: suppressed).
/// A value that is the same at two levels ("white", "16-17") is taken at the lower: the
/// records it fits are the same.
fn level_of(v: KeyVariable, value: &str) -> Option<u8> {
    use super::anonymity::*;
    if value == SUPPRESSED {
        return None;
    }
    Some(match v {
        KeyVariable::ReceivedPeriod if value.contains("-Q") => 1,
        KeyVariable::ReceivedPeriod if value.contains("-H") => 2,
        KeyVariable::ReceivedPeriod if value.len() == 4 => 3,
        KeyVariable::District => u8::from(value == COUNTY),
        KeyVariable::ImdQuintile => u8::from(value == QUINTILE_MOST_DEPRIVED || value == QUINTILE_LEAST_DEPRIVED),
        KeyVariable::EthnicGroup => u8::from(value == GLOBAL_MAJORITY || value == NOT_STATED),
        KeyVariable::AgeBand => u8::from(value == AGE_UNDER_16 || value == AGE_18_PLUS),
        KeyVariable::ReferralSource => u8::from(value == SOURCE_STATUTORY || value == SOURCE_EDUCATION || value == SOURCE_COMMUNITY),
        _ => 0,
    })
}

/// The levels a released row's key values stand at.
type Pattern = [Option<u8>; 7];

fn pattern(shown: &Shown) -> Pattern {
    std::array::from_fn(|i| {
        let v = KeyVariable::ALL[i];
        if shown.suppressed.contains(v.as_str()) {
            return None;
        }
        shown.row.get(v.as_str()).and_then(|value| level_of(v, value))
    })
}

/// A released row's key values (suppressed ones empty).
fn shown_keys(row: &Row, pattern: &Pattern) -> Vec<String> {
    KeyVariable::ALL
        .iter()
        .zip(pattern)
        .map(|(v, level)| match (level, row.get(v.as_str())) {
            (Some(_), Some(value)) => value.clone(),
            _ => String::new(),
        })
        .collect()
}

/// A true row's key values raised to `pattern` (those suppressed in it empty).
fn keys_at(row: &Row, pattern: &Pattern) -> Vec<String> {
    KeyVariable::ALL
        .iter()
        .zip(pattern)
        .map(|(v, level)| match (level, row.get(v.as_str())) {
            (Some(l), Some(value)) => generalise(*v, value, *l),
            _ => String::new(),
        })
        .collect()
}

/// Joins `released` (rows of one extract) to `records` and counts what only one record fits.
pub fn attack(released: &[Row], records: &[Record]) -> Report {
    let mut groups: BTreeMap<&str, Vec<Shown>> = BTreeMap::new();
    for row in released {
        groups.entry(row.get("pseudonym").map(String::as_str).unwrap_or("")).or_default().push(Shown::new(row));
    }
    // For each pattern of levels the released rows show, the records by their rows' key
    // values at it: a pseudonym is compared only with the records its first row's keys fit.
    let mut index: HashMap<Pattern, HashMap<Vec<String>, Vec<usize>>> = HashMap::new();
    let mut report = Report { rows: released.len() as u64, pseudonyms: groups.len() as u64, ..Report::default() };
    let mut fitted_by = vec![0u64; records.len()];
    for rows in groups.values() {
        let p = pattern(&rows[0]);
        let by_keys = index.entry(p).or_insert_with(|| {
            let mut m: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
            for (i, r) in records.iter().enumerate() {
                for row in &r.rows {
                    let list = m.entry(keys_at(row, &p)).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
            m
        });
        let candidates = by_keys.get(&shown_keys(rows[0].row, &p)).map_or(&[][..], Vec::as_slice);
        let mut fitting = 0;
        for &i in candidates {
            if fits(rows, &records[i].rows) {
                fitting += 1;
                fitted_by[i] += 1;
            }
        }
        if fitting == 1 {
            report.unique_pseudonyms += 1;
            report.unique_rows += rows.len() as u64;
        }
        report.fewest_fitting = Some(report.fewest_fitting.map_or(fitting, |f| f.min(fitting)));
    }
    // A record no pseudonym fits is of a young person not released (withheld).
    report.unique_records = fitted_by.iter().filter(|n| **n == 1).count() as u64;
    report
}

impl Report {
    /// Whether the extract passes: nothing singled out either way, and every pseudonym fits
    /// at least two records (a pseudonym no record fits says the records are not the
    /// extract's: another window, another database).
    pub fn passed(&self) -> bool {
        self.unique_pseudonyms == 0 && self.unique_records == 0 && self.fewest_fitting.is_none_or(|f| f >= 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn record(n: u128, rows: Vec<Row>) -> Record {
        Record { person: Uuid::from_u128(n), rows }
    }

    #[test]
    fn a_row_only_one_record_fits_is_found_and_a_suppressed_value_hides_it() {
        let records = vec![
            record(1, vec![row(&[("received_period", "2025-01"), ("status", "matched")])]),
            record(2, vec![row(&[("received_period", "2025-02"), ("status", "matched")])]),
        ];
        let shown = vec![row(&[("pseudonym", "a"), ("received_period", "2025-01"), ("status", "matched")])];
        let r = attack(&shown, &records);
        assert_eq!((r.unique_pseudonyms, r.unique_records), (1, 1));
        assert!(!r.passed());
        let generalised = vec![row(&[("pseudonym", "a"), ("received_period", "2025-Q1"), ("status", "matched")])];
        let r = attack(&generalised, &records);
        assert_eq!((r.unique_pseudonyms, r.fewest_fitting), (0, Some(2)));
        let other = vec![row(&[("pseudonym", "a"), ("received_period", "2025-Q1"), ("status", "closed")])];
        assert_eq!(attack(&other, &records).fewest_fitting, Some(0));
        let suppressed = vec![row(&[("pseudonym", "a"), ("received_period", "2025-Q1"), ("status", ""), ("suppressed_columns", "status")])];
        assert_eq!(attack(&suppressed, &records).unique_pseudonyms, 0);
        // A key column released empty because it is suppressed fits any value.
        let blank =
            vec![row(&[("pseudonym", "a"), ("received_period", ""), ("status", "matched"), ("suppressed_columns", "received_period")])];
        let r = attack(&blank, &records);
        assert_eq!((r.unique_pseudonyms, r.fewest_fitting), (0, Some(2)));
    }

    #[test]
    fn a_record_only_one_pseudonym_fits_is_found() {
        // Her column x was taken from her, but her neighbour shows his: holding her record,
        // the intruder finds only her pseudonym.
        let records = vec![
            record(1, vec![row(&[("referral_source", "police"), ("x", "1")])]),
            record(2, vec![row(&[("referral_source", "police"), ("x", "2")])]),
        ];
        let shown = vec![
            row(&[("pseudonym", "a"), ("referral_source", "police"), ("x", ""), ("suppressed_columns", "x")]),
            row(&[("pseudonym", "b"), ("referral_source", "police"), ("x", "2")]),
        ];
        let r = attack(&shown, &records);
        assert_eq!((r.unique_pseudonyms, r.unique_records), (1, 1), "{r:?}");
        assert!(!r.passed());
        let both = vec![
            row(&[("pseudonym", "a"), ("referral_source", "police"), ("x", ""), ("suppressed_columns", "x")]),
            row(&[("pseudonym", "b"), ("referral_source", "police"), ("x", ""), ("suppressed_columns", "x")]),
        ];
        assert!(attack(&both, &records).passed());
    }

    #[test]
    fn a_pseudonyms_rows_must_pair_off_with_hers() {
        let a = row(&[("referral_source", "police")]);
        let b = row(&[("referral_source", "self")]);
        let records = vec![record(1, vec![a.clone(), b.clone()]), record(2, vec![a.clone(), a.clone()]), record(3, vec![a.clone()])];
        let mut shown_a = a.clone();
        shown_a.insert("pseudonym".into(), "p".into());
        let mut shown_b = b.clone();
        shown_b.insert("pseudonym".into(), "p".into());
        let r = attack(&[shown_b, shown_a], &records);
        assert_eq!((r.pseudonyms, r.unique_pseudonyms, r.unique_rows), (1, 1, 2));
    }
}
