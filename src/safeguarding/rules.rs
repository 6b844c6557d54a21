//! The rules of a concern: its codes, how its status follows from its entries, the young
//! person's flag, and when an acknowledgement is overdue.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

use crate::young_people::codes::SafeguardingFlag;

pub use crate::entities::concern::Category;

pub use crate::entities::concern::ConcernStatus;

pub use crate::entities::concern_entry::EntryKind;

pub use crate::entities::concern_entry::Decision;

pub use crate::entities::concern_entry::ConsentBasis;

pub use crate::entities::concern_entry::SignOffOutcome;

impl Decision {
    pub fn is_referral(self) -> bool {
        matches!(self, Decision::MashReferral | Decision::Police | Decision::OtherAgency)
    }
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::Cce => "child criminal exploitation",
            Category::Cse => "child sexual exploitation",
            Category::CountyLines => "county lines",
            Category::MissingEpisode => "missing episode",
            Category::SelfHarmOrSuicidalIdeation => "self-harm or suicidal ideation",
            Category::DomesticAbuse => "domestic abuse",
            Category::Neglect => "neglect",
            Category::OnlineHarm => "online harm",
            Category::SubstanceMisuse => "substance misuse",
            Category::Other => "other",
        }
    }
}

/// The entries a concern in `status` takes. An addendum is always allowed: further
/// information can come after closure.
pub fn allowed(status: ConcernStatus) -> &'static [EntryKind] {
    use EntryKind::*;
    match status {
        ConcernStatus::Raised => &[Addendum, Acknowledgement],
        ConcernStatus::Acknowledged | ConcernStatus::InProgress | ConcernStatus::Referred => &[Addendum, Action, Decision, SignOff],
        ConcernStatus::Closed => &[Addendum],
    }
}

/// The status after an entry of `kind` (and `decision`) on a concern in `status`, or `None`
/// if the status does not allow it.
pub fn next(status: ConcernStatus, kind: EntryKind, decision: Option<Decision>) -> Option<ConcernStatus> {
    if !allowed(status).contains(&kind) {
        return None;
    }
    Some(match kind {
        EntryKind::Addendum => status,
        EntryKind::Acknowledgement => ConcernStatus::Acknowledged,
        EntryKind::Action => {
            if status == ConcernStatus::Referred {
                status
            } else {
                ConcernStatus::InProgress
            }
        }
        EntryKind::Decision => {
            if decision.is_some_and(Decision::is_referral) || status == ConcernStatus::Referred {
                ConcernStatus::Referred
            } else {
                ConcernStatus::InProgress
            }
        }
        EntryKind::SignOff => ConcernStatus::Closed,
    })
}

/// The young person's flag from her concerns `(status, immediate_danger)`: red if an open
/// one is of immediate danger or referred, amber if any is open, green otherwise.
pub fn flag(concerns: impl IntoIterator<Item = (ConcernStatus, bool)>) -> SafeguardingFlag {
    let mut flag = SafeguardingFlag::Green;
    for (status, immediate) in concerns {
        if status == ConcernStatus::Closed {
            continue;
        }
        if immediate || status == ConcernStatus::Referred {
            return SafeguardingFlag::Red;
        }
        flag = SafeguardingFlag::Amber;
    }
    flag
}

/// When a concern must be acknowledged by: `immediate` after raising for immediate danger,
/// otherwise `working_days` later counting Monday to Friday only (a concern raised on
/// Friday afternoon is due on Monday afternoon; one raised at the weekend on Monday or
/// Tuesday at the same time of day).
pub fn acknowledge_by(raised_at: DateTime<Utc>, immediate_danger: bool, immediate: Duration, working_days: u32) -> DateTime<Utc> {
    if immediate_danger {
        return raised_at + immediate;
    }
    let weekend = |d: DateTime<Utc>| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    let mut due = raised_at;
    for _ in 0..working_days {
        due += Duration::days(1);
        while weekend(due) {
            due += Duration::days(1);
        }
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn status_follows_entries() {
        assert_eq!(next(ConcernStatus::Raised, EntryKind::Decision, Some(Decision::Monitor)), None);
        assert_eq!(next(ConcernStatus::Raised, EntryKind::Acknowledgement, None), Some(ConcernStatus::Acknowledged));
        assert_eq!(next(ConcernStatus::Acknowledged, EntryKind::Decision, Some(Decision::MashReferral)), Some(ConcernStatus::Referred));
        assert_eq!(next(ConcernStatus::Referred, EntryKind::Decision, Some(Decision::Monitor)), Some(ConcernStatus::Referred));
        assert_eq!(next(ConcernStatus::Acknowledged, EntryKind::Action, None), Some(ConcernStatus::InProgress));
        assert_eq!(next(ConcernStatus::InProgress, EntryKind::SignOff, None), Some(ConcernStatus::Closed));
        assert_eq!(next(ConcernStatus::Closed, EntryKind::Addendum, None), Some(ConcernStatus::Closed));
        assert_eq!(next(ConcernStatus::Closed, EntryKind::Acknowledgement, None), None);
    }

    #[test]
    fn flag_follows_open_concerns() {
        assert_eq!(flag([]), SafeguardingFlag::Green);
        assert_eq!(flag([(ConcernStatus::Closed, true)]), SafeguardingFlag::Green);
        assert_eq!(flag([(ConcernStatus::Raised, false)]), SafeguardingFlag::Amber);
        assert_eq!(flag([(ConcernStatus::Raised, false), (ConcernStatus::InProgress, true)]), SafeguardingFlag::Red);
        assert_eq!(flag([(ConcernStatus::Referred, false)]), SafeguardingFlag::Red);
    }

    #[test]
    fn working_days_skip_the_weekend() {
        let fri = Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap();
        assert_eq!(acknowledge_by(fri, false, Duration::hours(1), 1), Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap());
        let mon = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        assert_eq!(acknowledge_by(mon, false, Duration::hours(1), 1), Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap());
        assert_eq!(acknowledge_by(mon, true, Duration::hours(1), 1), Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap());
    }
}
