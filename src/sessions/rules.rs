//! The rules of session logs and support contacts as plain functions: the code lists, what a
//! log must hold (attended or not), the dates it may fall on, the mentor's seven-day
//! correction window, and the contact gaps of MENTOR standard 5 (monitoring and support).

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::young_people::codes::code_enum;

/// Days after she logged it that a mentor may still correct her log herself.
pub const EDIT_WINDOW_DAYS: u64 = 7;
pub const MIN_DURATION: i16 = 5;
pub const MAX_DURATION: i16 = 600;
pub const MAX_ACTIVITIES: usize = 10;

pub use crate::entities::mentoring_session::SessionMode;

pub use crate::entities::mentoring_session::LocationCategory;

pub use crate::entities::mentoring_session::ActivityTag;

pub use crate::entities::support_contact::ContactWith;

pub use crate::entities::support_contact::ContactMethod;

code_enum!(
    /// Why a match shows in the contact-gaps list: `no_recent_session` (active, no attended
    /// session within the asked number of days), `first_month_support_contacts` (fewer than two
    /// support contacts in its first month), `no_support_contact_this_month` (none in the last
    /// month, after the first).
    GapReason {
        NoRecentSession = "no_recent_session",
        FirstMonthSupportContacts = "first_month_support_contacts",
        NoSupportContactThisMonth = "no_support_contact_this_month",
    }
);

/// What a session log says, apart from its notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub held_on: NaiveDate,
    pub attended: bool,
    pub duration_minutes: Option<i16>,
    pub mode: Option<SessionMode>,
    pub location_category: Option<LocationCategory>,
    pub activities: Vec<ActivityTag>,
    pub engagement: Option<i16>,
    pub mood_before: Option<i16>,
    pub mood_after: Option<i16>,
}

/// The days a match's sessions may fall on: from the day it became active (the signed
/// agreement) to the day it ended, if it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchDates {
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

fn score(field: &str, v: Option<i16>, out: &mut Vec<FieldError>) {
    if let Some(v) = v
        && !(1..=5).contains(&v)
    {
        out.push(FieldError::new(field, "range", "Must be from 1 to 5."));
    }
}

/// Every problem with `c` for a match running over `dates`, seen on `today`; empty when it
/// may be saved. An attended session needs its duration, mode, kind of place and engagement;
/// for one she did not attend, engagement, mood and activities do not apply.
pub fn check(c: &Content, dates: MatchDates, today: NaiveDate) -> Vec<FieldError> {
    let mut out = Vec::new();
    if c.held_on > today {
        out.push(FieldError::new("held_on", "in_future", "This date is in the future."));
    } else if c.held_on < dates.started_on {
        out.push(FieldError::new("held_on", "before_match", "This date is before the match began."));
    } else if dates.ended_on.is_some_and(|e| c.held_on > e) {
        out.push(FieldError::new("held_on", "after_match", "This date is after the match ended."));
    }
    if let Some(d) = c.duration_minutes
        && !(MIN_DURATION..=MAX_DURATION).contains(&d)
    {
        out.push(FieldError::new("duration_minutes", "range", format!("Must be from {MIN_DURATION} to {MAX_DURATION} minutes.")));
    }
    score("engagement", c.engagement, &mut out);
    score("mood_before", c.mood_before, &mut out);
    score("mood_after", c.mood_after, &mut out);
    if c.activities.len() > MAX_ACTIVITIES {
        out.push(FieldError::new("activities", "too_many", format!("At most {MAX_ACTIVITIES} activities.")));
    }
    if c.attended {
        let required = "Required for a session she attended.";
        if c.duration_minutes.is_none() {
            out.push(FieldError::new("duration_minutes", "required", required));
        }
        if c.mode.is_none() {
            out.push(FieldError::new("mode", "required", required));
        }
        if c.location_category.is_none() {
            out.push(FieldError::new("location_category", "required", required));
        }
        if c.engagement.is_none() {
            out.push(FieldError::new("engagement", "required", required));
        }
    } else {
        let na = "Does not apply when she did not attend.";
        for (field, present) in [
            ("engagement", c.engagement.is_some()),
            ("mood_before", c.mood_before.is_some()),
            ("mood_after", c.mood_after.is_some()),
            ("activities", !c.activities.is_empty()),
        ] {
            if present {
                out.push(FieldError::new(field, "not_applicable", na));
            }
        }
    }
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

/// Activity tags in the order given, each once.
pub fn dedup(tags: Vec<ActivityTag>) -> Vec<ActivityTag> {
    let mut out = Vec::with_capacity(tags.len());
    for t in tags {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The last day a mentor may correct a log she made at `created_at`: the seventh day after.
pub fn mentor_edit_until(created_at: DateTime<Utc>) -> NaiveDate {
    created_at.date_naive() + Days::new(EDIT_WINDOW_DAYS)
}

/// Whether `now` is within the mentor's correction window of a log made at `created_at`.
pub fn within_edit_window(created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now.date_naive() <= mentor_edit_until(created_at)
}

/// What the contact-gaps check knows of one match.
#[derive(Debug, Clone)]
pub struct Monitored {
    /// Active (sessions are expected); paused matches are checked for support contacts only.
    pub active: bool,
    pub started_on: NaiveDate,
    /// The last session she attended, if any.
    pub last_session_on: Option<NaiveDate>,
    /// Days of the support contacts recorded since the start of the last month (or of the match).
    pub recent_contacts: Vec<NaiveDate>,
}

/// The first day of the month that ends today: contacts on or after it count as this month's.
pub fn month_start(today: NaiveDate) -> NaiveDate {
    today.checked_sub_months(Months::new(1)).map_or(today, |d| d + Days::new(1))
}

/// Whether the match is still in its first month on `today`.
pub fn in_first_month(started_on: NaiveDate, today: NaiveDate) -> bool {
    started_on.checked_add_months(Months::new(1)).is_none_or(|end| today < end)
}

/// Why `m` shows in the contact-gaps list on `today` with the session threshold `days`
/// (MENTOR standard 5: contacts twice in the first month, monthly after); empty when it does not.
/// Returns the reasons and the number of support contacts counted.
pub fn gaps(m: &Monitored, today: NaiveDate, days: u32) -> (Vec<GapReason>, usize) {
    let mut out = Vec::new();
    if m.active {
        // A match younger than the threshold has not missed anything yet.
        let since = m.last_session_on.unwrap_or(m.started_on);
        if (today - since).num_days() >= days as i64 {
            out.push(GapReason::NoRecentSession);
        }
    }
    let (first, from) = if in_first_month(m.started_on, today) { (true, m.started_on) } else { (false, month_start(today)) };
    let counted = m.recent_contacts.iter().filter(|d| **d >= from && **d <= today).count();
    if first && counted < 2 {
        out.push(GapReason::FirstMonthSupportContacts);
    } else if !first && counted == 0 {
        out.push(GapReason::NoSupportContactThisMonth);
    }
    (out, counted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn attended() -> Content {
        Content {
            held_on: d(2026, 11, 20),
            attended: true,
            duration_minutes: Some(60),
            mode: Some(SessionMode::InPerson),
            location_category: Some(LocationCategory::CafeOrRestaurant),
            activities: vec![ActivityTag::Conversation],
            engagement: Some(4),
            mood_before: Some(2),
            mood_after: Some(4),
        }
    }

    const DATES: MatchDates = MatchDates { started_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(), ended_on: None };

    fn fields(v: Vec<FieldError>) -> Vec<(String, String)> {
        v.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn an_attended_session_needs_its_details_and_each_range_holds() {
        let today = d(2026, 11, 23);
        assert!(check(&attended(), DATES, today).is_empty());
        let c = Content { duration_minutes: None, mode: None, location_category: None, engagement: None, ..attended() };
        let want: Vec<(String, String)> =
            [("duration_minutes", "required"), ("engagement", "required"), ("location_category", "required"), ("mode", "required")]
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
        assert_eq!(fields(check(&c, DATES, today)), want);
        for (dur, ok) in [(4, false), (5, true), (600, true), (601, false)] {
            let c = Content { duration_minutes: Some(dur), ..attended() };
            assert_eq!(check(&c, DATES, today).is_empty(), ok, "{dur}");
        }
        for (v, ok) in [(0, false), (1, true), (5, true), (6, false)] {
            let c = Content { engagement: Some(v), mood_before: Some(v), mood_after: Some(v), ..attended() };
            assert_eq!(check(&c, DATES, today).len(), if ok { 0 } else { 3 }, "{v}");
        }
    }

    #[test]
    fn a_session_she_missed_needs_no_details_and_takes_no_scores() {
        let today = d(2026, 11, 23);
        let missed = Content {
            attended: false,
            duration_minutes: None,
            mode: None,
            location_category: None,
            activities: vec![],
            engagement: None,
            mood_before: None,
            mood_after: None,
            ..attended()
        };
        assert!(check(&missed, DATES, today).is_empty());
        let c = Content { engagement: Some(3), activities: vec![ActivityTag::Outdoors], ..missed };
        assert_eq!(
            fields(check(&c, DATES, today)),
            vec![("activities".to_string(), "not_applicable".to_string()), ("engagement".to_string(), "not_applicable".to_string())]
        );
    }

    #[test]
    fn the_date_must_fall_within_the_match_and_not_in_the_future() {
        let today = d(2026, 11, 23);
        let on = |day| Content { held_on: day, ..attended() };
        assert_eq!(fields(check(&on(d(2026, 11, 24)), DATES, today))[0].1, "in_future");
        assert_eq!(fields(check(&on(d(2026, 9, 30)), DATES, today))[0].1, "before_match");
        assert!(check(&on(d(2026, 10, 1)), DATES, today).is_empty());
        assert!(check(&on(today), DATES, today).is_empty());
        let ended = MatchDates { ended_on: Some(d(2026, 11, 1)), ..DATES };
        assert_eq!(fields(check(&on(d(2026, 11, 2)), ended, today))[0].1, "after_match");
        assert!(check(&on(d(2026, 11, 1)), ended, today).is_empty());
    }

    #[test]
    fn the_mentor_may_correct_through_the_seventh_day() {
        let logged = Utc.with_ymd_and_hms(2026, 11, 23, 20, 0, 0).unwrap();
        assert!(within_edit_window(logged, logged));
        assert!(within_edit_window(logged, Utc.with_ymd_and_hms(2026, 11, 30, 23, 59, 59).unwrap()));
        assert!(!within_edit_window(logged, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()));
        assert_eq!(mentor_edit_until(logged), d(2026, 11, 30));
    }

    #[test]
    fn contact_gaps_follow_mentor_standard_five() {
        let today = d(2026, 11, 23);
        let m = |active, started, last, contacts: Vec<NaiveDate>| Monitored {
            active,
            started_on: started,
            last_session_on: last,
            recent_contacts: contacts,
        };
        // First month: two contacts needed.
        let young = m(true, d(2026, 11, 10), Some(d(2026, 11, 20)), vec![d(2026, 11, 12)]);
        assert_eq!(gaps(&young, today, 14), (vec![GapReason::FirstMonthSupportContacts], 1));
        let young = m(true, d(2026, 11, 10), Some(d(2026, 11, 20)), vec![d(2026, 11, 12), d(2026, 11, 19)]);
        assert_eq!(gaps(&young, today, 14).0, vec![]);
        // Later: one in the last month; none is a gap, and so are 14 days without a session.
        let old = m(true, d(2026, 6, 1), Some(d(2026, 11, 9)), vec![d(2026, 10, 23)]);
        assert_eq!(gaps(&old, today, 14).0, vec![GapReason::NoRecentSession, GapReason::NoSupportContactThisMonth]);
        let old = m(true, d(2026, 6, 1), Some(d(2026, 11, 10)), vec![d(2026, 10, 24)]);
        assert_eq!(gaps(&old, today, 14), (vec![], 1));
        // A match younger than the threshold with no session yet is not late; a paused one is
        // not expected to meet.
        assert_eq!(gaps(&m(true, d(2026, 11, 10), None, vec![d(2026, 11, 11), d(2026, 11, 12)]), today, 14).0, vec![]);
        assert_eq!(
            gaps(&m(true, d(2026, 11, 9), None, vec![d(2026, 11, 11), d(2026, 11, 12)]), today, 14).0,
            vec![GapReason::NoRecentSession]
        );
        assert_eq!(gaps(&m(false, d(2026, 6, 1), None, vec![d(2026, 11, 1)]), today, 14).0, vec![]);
    }
}
