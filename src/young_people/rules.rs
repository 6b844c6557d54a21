//! The rules of a young person's record as plain functions: age, eligibility, consent,
//! postcode and LSOA formats, and the duplicate key.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::codes::*;
pub use crate::entities::young_person_json::{AceAnswer, Consent};

/// Whole years between `dob` and `on` (her age on that day; a 29 February birthday falls on
/// 1 March in other years).
pub fn age_on(dob: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - dob.year();
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    age
}

pub const MIN_AGE: i32 = 11;
pub const MAX_AGE: i32 = 24;
pub const MIN_ACES: usize = 4;

/// Whether a referral meets the programme's criteria, and why (not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Eligibility {
    pub eligible: bool,
    /// One line per criterion, each saying whether it is met.
    pub reasons: Vec<String>,
}

pub struct EligibilityInput<'a> {
    pub date_of_birth: NaiveDate,
    pub received_on: NaiveDate,
    pub gender: Gender,
    pub aces: &'a [AceAnswer],
    pub risk_indicators: &'a [RiskIndicator],
}

pub fn ace_count(aces: &[AceAnswer]) -> usize {
    aces.iter().filter(|a| a.answer).count()
}

/// Age 11–24 on the day the referral was received, a woman or girl, four or more ACEs and
/// at least one risk indicator.
pub fn eligibility(i: &EligibilityInput) -> Eligibility {
    let mut reasons = Vec::new();
    let mut eligible = true;
    let age = age_on(i.date_of_birth, i.received_on);
    if (MIN_AGE..=MAX_AGE).contains(&age) {
        reasons.push(format!("aged {age} on the date of referral (11–24)"));
    } else {
        eligible = false;
        reasons.push(format!("aged {age} on the date of referral: outside 11–24"));
    }
    if matches!(i.gender, Gender::Female | Gender::TransFemale) {
        reasons.push("a woman or girl".into());
    } else {
        eligible = false;
        reasons.push("not recorded as a woman or girl".into());
    }
    let aces = ace_count(i.aces);
    if aces >= MIN_ACES {
        reasons.push(format!("{aces} ACEs (4 or more)"));
    } else {
        eligible = false;
        reasons.push(format!("{aces} ACEs: fewer than 4"));
    }
    if i.risk_indicators.is_empty() {
        eligible = false;
        reasons.push("no risk indicator of exploitation or offending".into());
    } else {
        reasons.push(format!("{} risk indicator(s)", i.risk_indicators.len()));
    }
    Eligibility { eligible, reasons }
}

/// Whether the consents recorded are enough to accept a referral: hers to take part and to
/// share information, and, under 16 without recorded Gillick competence, a parent's or
/// carer's consent to take part. Returns what is missing.
pub fn missing_consent(consents: &[Consent], age: i32, gillick_competent: Option<bool>) -> Vec<&'static str> {
    let has = |kind: ConsentKind, by: ConsentGivenBy| consents.iter().any(|c| c.kind == kind && c.given_by == by);
    let mut missing = Vec::new();
    if !has(ConsentKind::Participation, ConsentGivenBy::YoungPerson) {
        missing.push("her consent to take part");
    }
    if !has(ConsentKind::InformationSharing, ConsentGivenBy::YoungPerson) {
        missing.push("her consent to share information");
    }
    if age < 16 && gillick_competent != Some(true) && !has(ConsentKind::Participation, ConsentGivenBy::ParentCarer) {
        missing.push("a parent's or carer's consent (she is under 16 and not assessed as Gillick competent)");
    }
    missing
}

/// A UK postcode, upper-cased with one space before the inward code, or None.
pub fn normalise_postcode(raw: &str) -> Option<String> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let ib = inward.as_bytes();
    let inward_ok = ib[0].is_ascii_digit() && ib[1].is_ascii_alphabetic() && ib[2].is_ascii_alphabetic();
    let ob = outward.as_bytes();
    // Outward code: A9, A99, AA9, AA99, A9A, AA9A.
    let outward_ok = ob[0].is_ascii_alphabetic()
        && match ob.len() {
            2 => ob[1].is_ascii_digit(),
            3 => {
                (ob[1].is_ascii_digit() && (ob[2].is_ascii_digit() || ob[2].is_ascii_alphabetic()))
                    || (ob[1].is_ascii_alphabetic() && ob[2].is_ascii_digit())
            }
            4 => ob[1].is_ascii_alphabetic() && ob[2].is_ascii_digit() && (ob[3].is_ascii_digit() || ob[3].is_ascii_alphabetic()),
            _ => false,
        };
    (inward_ok && outward_ok).then(|| format!("{outward} {inward}"))
}

/// An English LSOA code: E01 followed by six digits.
pub fn valid_lsoa(code: &str) -> bool {
    code.len() == 9 && code.starts_with("E01") && code[3..].bytes().all(|b| b.is_ascii_digit())
}

/// The name as the duplicate check compares it: letters only, lower case, words in order.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .map(|w| w.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn aces(n: usize) -> Vec<AceAnswer> {
        AceCategory::ALL
            .iter()
            .take(n)
            .map(|c| AceAnswer { category: *c, answer: true, source: AceSource::Referrer, recorded_on: d(2026, 1, 1) })
            .collect()
    }

    fn check(dob: NaiveDate, on: NaiveDate, gender: Gender, n: usize, risks: &[RiskIndicator]) -> bool {
        eligibility(&EligibilityInput { date_of_birth: dob, received_on: on, gender, aces: &aces(n), risk_indicators: risks }).eligible
    }

    #[test]
    fn eligible_from_the_day_she_turns_11_until_the_day_before_she_turns_25() {
        let r = [RiskIndicator::Cce];
        let dob = d(2010, 6, 15);
        assert!(!check(dob, d(2021, 6, 14), Gender::Female, 4, &r), "the day before her 11th birthday");
        assert!(check(dob, d(2021, 6, 15), Gender::Female, 4, &r), "her 11th birthday");
        assert!(check(dob, d(2035, 6, 14), Gender::Female, 4, &r), "the day before her 25th birthday");
        assert!(!check(dob, d(2035, 6, 15), Gender::Female, 4, &r), "her 25th birthday");
    }

    #[test]
    fn each_criterion_is_needed_and_reported() {
        let r = [RiskIndicator::CountyLines];
        let dob = d(2010, 1, 1);
        let on = d(2026, 1, 1);
        assert!(check(dob, on, Gender::TransFemale, 4, &r));
        assert!(!check(dob, on, Gender::Male, 4, &r));
        assert!(!check(dob, on, Gender::Female, 3, &r));
        assert!(!check(dob, on, Gender::Female, 4, &[]));
        let e = eligibility(&EligibilityInput {
            date_of_birth: dob,
            received_on: on,
            gender: Gender::Female,
            aces: &aces(3),
            risk_indicators: &r,
        });
        assert!(e.reasons.iter().any(|r| r.contains("fewer than 4")), "{:?}", e.reasons);
    }

    #[test]
    fn a_leap_day_birthday() {
        assert_eq!(age_on(d(2012, 2, 29), d(2023, 2, 28)), 10);
        assert_eq!(age_on(d(2012, 2, 29), d(2023, 3, 1)), 11);
    }

    #[test]
    fn consent_rules() {
        let c = |kind, by| Consent { kind, given_by: by, method: ConsentMethod::Written, recorded_on: d(2026, 1, 1) };
        let hers = vec![
            c(ConsentKind::Participation, ConsentGivenBy::YoungPerson),
            c(ConsentKind::InformationSharing, ConsentGivenBy::YoungPerson),
        ];
        assert!(missing_consent(&hers, 16, None).is_empty());
        assert_eq!(missing_consent(&hers, 15, None).len(), 1);
        assert!(missing_consent(&hers, 15, Some(true)).is_empty());
        let mut with_parent = hers.clone();
        with_parent.push(c(ConsentKind::Participation, ConsentGivenBy::ParentCarer));
        assert!(missing_consent(&with_parent, 13, None).is_empty());
        assert_eq!(missing_consent(&[], 18, None).len(), 2);
    }

    #[test]
    fn postcodes_and_lsoas() {
        assert_eq!(normalise_postcode("sw1a1aa").as_deref(), Some("SW1A 1AA"));
        assert_eq!(normalise_postcode("M1 1AE").as_deref(), Some("M1 1AE"));
        assert_eq!(normalise_postcode(" b33 8th ").as_deref(), Some("B33 8TH"));
        assert_eq!(normalise_postcode("CR2 6XH").as_deref(), Some("CR2 6XH"));
        for bad in ["", "12345", "SW1A", "SW1A 1A1", "ABCDE FGH", "SW1A1AAA"] {
            assert_eq!(normalise_postcode(bad), None, "{bad}");
        }
        assert!(valid_lsoa("E01000001"));
        assert!(!valid_lsoa("W01000001"));
        assert!(!valid_lsoa("E0100001"));
    }

    #[test]
    fn names_compare_on_letters() {
        assert_eq!(name_key("  Amara  O'Neil-Brown "), "amara oneilbrown");
        assert_eq!(name_key("AMARA o'neil-brown"), name_key("Amara O'Neil-Brown"));
    }
}
