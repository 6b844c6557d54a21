//! Safer recruitment as plain functions: which checks and courses are in place, when each
//! lapses, and whether a mentor can be matched on a given day (docs/domain.md §Mentors).

pub use crate::entities::availability::{Day, PartOfDay};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::young_people::codes::code_enum;

pub use crate::entities::mentor_profile::MentorStatus;

pub use crate::entities::mentor_profile::RecruitmentSource;

pub use crate::entities::mentor_check::CheckKind;

code_enum!(
    DbsWorkforce {
        Child = "child",
        Adult = "adult",
        ChildAndAdult = "child_and_adult",
    }
);

code_enum!(
    DbsLevel {
        Basic = "basic",
        Standard = "standard",
        Enhanced = "enhanced",
    }
);

code_enum!(
    DbsResult {
        Clear = "clear",
        InformationDisclosed = "information_disclosed",
    }
);

code_enum!(
    DbsDecision {
        Suitable = "suitable",
        NotSuitable = "not_suitable",
    }
);

code_enum!(
    StatusCheckResult {
        NoChange = "no_change",
        Changed = "changed",
    }
);

/// One Update Service status check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusCheck {
    pub checked_on: NaiveDate,
    pub result: StatusCheckResult,
}

/// An Enhanced DBS certificate as recorded (never the conviction details).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dbs {
    /// The 12-digit certificate number.
    pub certificate_number: String,
    pub issue_date: NaiveDate,
    pub workforce: DbsWorkforce,
    pub level: DbsLevel,
    pub barred_list_checked: bool,
    pub result: DbsResult,
    /// Who assessed disclosed information (required when information is disclosed).
    pub assessed_by: Option<String>,
    pub decision: Option<DbsDecision>,
    pub update_service: bool,
    #[serde(default)]
    pub status_checks: Vec<StatusCheck>,
}

/// A check as the rules see it: the latest effective record of its kind.
#[derive(Debug, Clone)]
pub struct Check {
    pub id: Uuid,
    pub kind: CheckKind,
    pub completed_on: NaiveDate,
    pub satisfactory: bool,
    pub dbs: Option<Dbs>,
    pub supersedes: Option<Uuid>,
}

/// A mandatory course and her latest completion of it.
#[derive(Debug, Clone)]
pub struct CourseState {
    pub name: String,
    pub validity_months: Option<i16>,
    pub completed_on: Option<NaiveDate>,
}

/// One reason she cannot be matched, with the date it applies from where there is one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Gap {
    /// `status`, `dbs_missing`, `dbs_expired`, `dbs_unsuitable`, `references`,
    /// `check_missing`, `check_unsatisfactory`, `training_missing`, `training_expired`.
    pub code: String,
    /// The check or course concerned.
    pub item: String,
    pub message: String,
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Compliance {
    pub matchable: bool,
    pub on: NaiveDate,
    pub gaps: Vec<Gap>,
    /// The first day a check or course now in place lapses, if any does.
    pub next_lapse: Option<NaiveDate>,
}

pub const REFERENCES_NEEDED: usize = 2;
pub const STATUS_CHECK_VALID_MONTHS: u32 = 12;

/// Checks no later record corrects.
pub fn effective(checks: &[Check]) -> Vec<&Check> {
    let superseded: std::collections::HashSet<Uuid> = checks.iter().filter_map(|c| c.supersedes).collect();
    checks.iter().filter(|c| !superseded.contains(&c.id)).collect()
}

/// The last day a DBS certificate counts: its age limit from issue, extended to a year after
/// the latest clean Update Service status check.
pub fn dbs_valid_until(d: &Dbs, max_age_years: u32) -> NaiveDate {
    let by_age = d.issue_date.checked_add_months(Months::new(12 * max_age_years)).unwrap_or(d.issue_date);
    let by_update = if d.update_service {
        d.status_checks
            .iter()
            .filter(|s| s.result == StatusCheckResult::NoChange)
            .map(|s| s.checked_on.checked_add_months(Months::new(STATUS_CHECK_VALID_MONTHS)).unwrap_or(s.checked_on))
            .max()
    } else {
        None
    };
    by_update.map_or(by_age, |u| u.max(by_age))
}

fn gap(code: &str, item: &str, message: String, date: Option<NaiveDate>) -> Gap {
    Gap { code: code.into(), item: item.into(), message, date }
}

/// Whether she can be matched on `today`, and every reason why not.
pub fn compliance(status: MentorStatus, checks: &[Check], courses: &[CourseState], today: NaiveDate, dbs_max_age_years: u32) -> Compliance {
    let mut gaps = Vec::new();
    let mut lapses = Vec::new();
    if status != MentorStatus::Approved {
        gaps.push(gap("status", "status", format!("Her status is {}, not approved.", status.as_str()), None));
    }
    let live = effective(checks);
    let latest = |kind: CheckKind| live.iter().filter(|c| c.kind == kind).max_by_key(|c| (c.completed_on, c.id)).copied();

    match latest(CheckKind::Dbs) {
        None => gaps.push(gap("dbs_missing", "dbs", "No Enhanced DBS check with the children's barred list is recorded.".into(), None)),
        Some(c) => match &c.dbs {
            None => gaps.push(gap("dbs_missing", "dbs", "The DBS record has no certificate details.".into(), None)),
            Some(d) => {
                if d.level != DbsLevel::Enhanced || d.workforce == DbsWorkforce::Adult || !d.barred_list_checked {
                    gaps.push(gap(
                        "dbs_unsuitable",
                        "dbs",
                        "The certificate must be Enhanced, for the child workforce, with the barred list checked.".into(),
                        Some(d.issue_date),
                    ));
                }
                if d.result == DbsResult::InformationDisclosed && d.decision != Some(DbsDecision::Suitable) {
                    gaps.push(gap(
                        "dbs_unsuitable",
                        "dbs",
                        "Information was disclosed and she has not been assessed as suitable.".into(),
                        Some(d.issue_date),
                    ));
                }
                let until = dbs_valid_until(d, dbs_max_age_years);
                if until <= today {
                    gaps.push(gap(
                        "dbs_expired",
                        "dbs",
                        format!("The DBS check lapsed on {until}: renew it or record an Update Service status check."),
                        Some(until),
                    ));
                } else {
                    lapses.push(until);
                }
            }
        },
    }

    let references = live.iter().filter(|c| c.kind == CheckKind::Reference && c.satisfactory).count();
    if references < REFERENCES_NEEDED {
        gaps.push(gap("references", "reference", format!("{references} of {REFERENCES_NEEDED} satisfactory references received."), None));
    }
    for kind in [CheckKind::Interview, CheckKind::Identity, CheckKind::CodeOfConduct, CheckKind::VolunteerAgreement] {
        match latest(kind) {
            None => gaps.push(gap("check_missing", kind.as_str(), format!("No {} is recorded.", kind.as_str().replace('_', " ")), None)),
            Some(c) if !c.satisfactory => gaps.push(gap(
                "check_unsatisfactory",
                kind.as_str(),
                format!("The {} was not satisfactory.", kind.as_str().replace('_', " ")),
                Some(c.completed_on),
            )),
            Some(_) => {}
        }
    }

    for course in courses {
        match course.completed_on {
            None => {
                gaps.push(gap("training_missing", &course.name, format!("Mandatory training \"{}\" is not recorded.", course.name), None))
            }
            Some(done) => {
                let expiry = course.validity_months.and_then(|m| done.checked_add_months(Months::new(m.max(0) as u32)));
                match expiry {
                    Some(e) if e <= today => {
                        gaps.push(gap("training_expired", &course.name, format!("\"{}\" lapsed on {e}.", course.name), Some(e)))
                    }
                    Some(e) => lapses.push(e),
                    None => {}
                }
            }
        }
    }
    Compliance { matchable: gaps.is_empty(), on: today, gaps, next_lapse: lapses.into_iter().min() }
}

/// A DBS certificate number: twelve digits.
pub fn valid_certificate_number(n: &str) -> bool {
    n.len() == 12 && n.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dbs(issued: NaiveDate, update: bool, checks: Vec<StatusCheck>) -> Dbs {
        Dbs {
            certificate_number: "001234567890".into(),
            issue_date: issued,
            workforce: DbsWorkforce::Child,
            level: DbsLevel::Enhanced,
            barred_list_checked: true,
            result: DbsResult::Clear,
            assessed_by: None,
            decision: None,
            update_service: update,
            status_checks: checks,
        }
    }

    fn check(kind: CheckKind, ok: bool, dbs: Option<Dbs>) -> Check {
        Check { id: Uuid::now_v7(), kind, completed_on: d(2026, 1, 10), satisfactory: ok, dbs, supersedes: None }
    }

    fn full(issued: NaiveDate) -> Vec<Check> {
        vec![
            check(CheckKind::Dbs, true, Some(dbs(issued, false, vec![]))),
            check(CheckKind::Reference, true, None),
            check(CheckKind::Reference, true, None),
            check(CheckKind::Interview, true, None),
            check(CheckKind::Identity, true, None),
            check(CheckKind::CodeOfConduct, true, None),
            check(CheckKind::VolunteerAgreement, true, None),
        ]
    }

    fn course(done: Option<NaiveDate>) -> CourseState {
        CourseState { name: "Safeguarding children".into(), validity_months: Some(12), completed_on: done }
    }

    #[test]
    fn matchable_only_with_every_check_and_course_in_place() {
        let today = d(2026, 6, 1);
        let c = compliance(MentorStatus::Approved, &full(d(2025, 1, 1)), &[course(Some(d(2026, 1, 1)))], today, 3);
        assert!(c.matchable, "{:?}", c.gaps);
        assert_eq!(c.next_lapse, Some(d(2027, 1, 1)));
        let mut missing_one = full(d(2025, 1, 1));
        missing_one.remove(2);
        let c = compliance(MentorStatus::Approved, &missing_one, &[course(Some(d(2026, 1, 1)))], today, 3);
        assert_eq!(c.gaps.iter().map(|g| g.code.as_str()).collect::<Vec<_>>(), vec!["references"]);
        let c = compliance(MentorStatus::InVetting, &full(d(2025, 1, 1)), &[course(None)], today, 3);
        assert_eq!(c.gaps.len(), 2);
    }

    #[test]
    fn training_lapses_on_its_expiry_date() {
        let checks = full(d(2025, 1, 1));
        let courses = [course(Some(d(2025, 6, 1)))];
        assert!(compliance(MentorStatus::Approved, &checks, &courses, d(2026, 5, 31), 3).matchable);
        let c = compliance(MentorStatus::Approved, &checks, &courses, d(2026, 6, 1), 3);
        assert_eq!(c.gaps[0].code, "training_expired");
        assert_eq!(c.gaps[0].date, Some(d(2026, 6, 1)));
    }

    #[test]
    fn an_old_dbs_counts_only_with_a_recent_update_service_check() {
        let issued = d(2022, 3, 1);
        assert_eq!(dbs_valid_until(&dbs(issued, false, vec![]), 3), d(2025, 3, 1));
        let checked = vec![StatusCheck { checked_on: d(2026, 2, 1), result: StatusCheckResult::NoChange }];
        assert_eq!(dbs_valid_until(&dbs(issued, true, checked.clone()), 3), d(2027, 2, 1));
        // Without the Update Service subscription a status check means nothing.
        assert_eq!(dbs_valid_until(&dbs(issued, false, checked), 3), d(2025, 3, 1));
        let changed = vec![StatusCheck { checked_on: d(2026, 2, 1), result: StatusCheckResult::Changed }];
        assert_eq!(dbs_valid_until(&dbs(issued, true, changed), 3), d(2025, 3, 1));
    }

    #[test]
    fn a_correction_replaces_the_record_it_supersedes() {
        let mut checks = full(d(2025, 1, 1));
        let bad = check(CheckKind::Interview, false, None);
        let mut fixed = check(CheckKind::Interview, true, None);
        fixed.supersedes = Some(bad.id);
        checks.retain(|c| c.kind != CheckKind::Interview);
        checks.push(bad.clone());
        let c = compliance(MentorStatus::Approved, &checks, &[], d(2026, 6, 1), 3);
        assert_eq!(c.gaps[0].code, "check_unsatisfactory");
        checks.push(fixed);
        assert!(compliance(MentorStatus::Approved, &checks, &[], d(2026, 6, 1), 3).matchable);
    }

    #[test]
    fn certificate_numbers_are_twelve_digits() {
        assert!(valid_certificate_number("001234567890"));
        assert!(!valid_certificate_number("00123456789"));
        assert!(!valid_certificate_number("00123456789a"));
    }
}
