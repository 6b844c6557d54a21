//! Change per instrument: from her most recent baseline to the latest assessment taken after
//! it. A new baseline (a second referral, say) starts a new episode, so it is the most recent
//! one that counts. Plain functions over plain data.

use chrono::NaiveDate;
use uuid::Uuid;

use super::dto::{Outcome, OutcomePoint, Timepoint};
use super::scoring::{self, Definition};

/// One scored assessment of one instrument.
#[derive(Debug, Clone)]
pub struct Point {
    pub assessment_id: Uuid,
    pub timepoint: Timepoint,
    pub taken_on: NaiveDate,
    /// The headline score, in hundredths.
    pub score: i64,
}

fn shown(p: &Point) -> OutcomePoint {
    OutcomePoint { assessment_id: p.assessment_id, timepoint: p.timepoint, taken_on: p.taken_on, score: scoring::number(p.score) }
}

/// Her outcome on one instrument (`code`, `name`, the definition of its newest version).
pub fn summarise(code: &str, name: &str, definition: &Definition, mut points: Vec<Point>) -> Outcome {
    // Ids are UUID v7: on the same day, the one recorded later counts as later.
    points.sort_by_key(|p| (p.taken_on, p.assessment_id));
    let base = points.iter().rposition(|p| p.timepoint == Timepoint::Baseline);
    let latest = match base {
        Some(b) => points.get(b + 1..).and_then(|after| after.last()),
        None => points.last(),
    };
    let baseline = base.map(|b| &points[b]);
    let change = match (baseline, base.and(latest)) {
        (Some(b), Some(l)) => Some(l.score - b.score),
        _ => None,
    };
    Outcome {
        instrument: code.to_string(),
        name: name.to_string(),
        higher_is_better: definition.higher_is_better,
        reliable_change: definition.reliable_change,
        baseline: baseline.map(shown),
        latest: latest.map(shown),
        change: change.map(scoring::number),
        change_kind: change.map(|c| scoring::classify(c, definition.threshold(), definition.higher_is_better)),
        assessments: points.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::scoring::{ChangeKind, built_in};

    fn def(code: &str) -> Definition {
        built_in().into_iter().find(|(c, ..)| *c == code).map(|(.., d)| d).unwrap()
    }

    fn p(t: Timepoint, on: &str, score: i64) -> Point {
        Point { assessment_id: Uuid::now_v7(), timepoint: t, taken_on: on.parse().unwrap(), score }
    }

    #[test]
    fn change_runs_from_the_latest_baseline_to_the_last_assessment_after_it() {
        let d = def("SWEMWBS");
        let points = vec![
            p(Timepoint::Review, "2026-05-01", 2154),
            p(Timepoint::Baseline, "2026-02-01", 1925),
            p(Timepoint::Exit, "2026-08-01", 2321),
        ];
        let o = summarise("SWEMWBS", "Short WEMWBS", &d, points);
        assert_eq!(o.baseline.as_ref().unwrap().score, 19.25);
        assert_eq!(o.latest.as_ref().unwrap().score, 23.21);
        assert_eq!(o.change, Some(3.96));
        assert_eq!(o.change_kind, Some(ChangeKind::ReliableImprovement));
        assert_eq!(o.assessments, 3);
    }

    #[test]
    fn a_new_baseline_starts_again_and_without_a_later_one_there_is_no_change() {
        let d = def("YP-CORE");
        let points = vec![
            p(Timepoint::Baseline, "2025-01-10", 3000),
            p(Timepoint::Exit, "2025-06-10", 1000),
            p(Timepoint::Baseline, "2026-03-01", 2200),
        ];
        let o = summarise("YP-CORE", "YP-CORE", &d, points);
        assert_eq!(o.baseline.as_ref().unwrap().taken_on.to_string(), "2026-03-01");
        assert!(o.latest.is_none() && o.change.is_none() && o.change_kind.is_none());
    }

    #[test]
    fn without_a_baseline_the_latest_is_shown_but_no_change() {
        let d = def("CORE-10");
        let o =
            summarise("CORE-10", "CORE-10", &d, vec![p(Timepoint::Review, "2026-01-01", 1200), p(Timepoint::Review, "2026-04-01", 900)]);
        assert!(o.baseline.is_none());
        assert_eq!(o.latest.unwrap().score, 9.0);
        assert_eq!(o.change, None);
    }

    #[test]
    fn yp_core_falling_by_eight_is_a_reliable_improvement_and_rising_by_seven_is_not() {
        let d = def("YP-CORE");
        let better =
            summarise("YP-CORE", "", &d, vec![p(Timepoint::Baseline, "2026-01-01", 2500), p(Timepoint::Review, "2026-04-01", 1700)]);
        assert_eq!((better.change, better.change_kind), (Some(-8.0), Some(ChangeKind::ReliableImprovement)));
        let worse =
            summarise("YP-CORE", "", &d, vec![p(Timepoint::Baseline, "2026-01-01", 1700), p(Timepoint::Review, "2026-04-01", 2400)]);
        assert_eq!(worse.change_kind, Some(ChangeKind::NoReliableChange));
    }
}
