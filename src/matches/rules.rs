//! The match state machine, the matching score with its breakdown, the hard exclusions, and
//! the optimal plan. Plain data in, plain data out: the routes load, these decide.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use crate::entities::matching::Criterion;
use crate::mentors::dto::Slot;
use crate::young_people::codes::MentorPreference;

pub use crate::entities::matching::MatchStatus;

pub use crate::entities::matching::EndingType;

pub use crate::entities::matching::EndingReason;

/// The statuses a match may move to from `from`.
pub fn allowed_from(from: MatchStatus) -> &'static [MatchStatus] {
    use MatchStatus::*;
    match from {
        Proposed => &[Introduced, Ended],
        Introduced => &[Active, Ended],
        Active => &[Paused, Ended],
        Paused => &[Active, Ended],
        Ended => &[],
    }
}

/// Matches that hold one of the mentor's places and the young person's one match.
pub fn is_open(s: MatchStatus) -> bool {
    s != MatchStatus::Ended
}

/// The referral's closure reason when a match's ending closes it.
pub fn closure_reason(r: EndingReason) -> crate::referrals::rules::ClosureReason {
    use crate::referrals::rules::ClosureReason as C;
    match r {
        EndingReason::GoalsMet => C::GoalsMet,
        EndingReason::ProgrammeCompleted => C::PlannedEnding,
        EndingReason::YoungPersonDisengaged => C::Disengaged,
        EndingReason::YoungPersonMovedAway => C::MovedAway,
        EndingReason::EscalatedToStatutory => C::EscalatedToStatutory,
        EndingReason::AgedOut => C::AgedOut,
        _ => C::Other,
    }
}

/// Points each criterion is worth: a setting (`match_weights`), so it is defined with the
/// configuration.
pub use crate::config::Weights;

/// What matching needs to know of the young person.
#[derive(Debug, Clone)]
pub struct Mentee {
    pub id: Uuid,
    pub age: i32,
    pub district: String,
    pub interests: Vec<String>,
    pub languages: Vec<String>,
    pub availability: Vec<Slot>,
    pub preferences: Vec<MentorPreference>,
}

/// What matching needs to know of a mentor.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub districts: Vec<String>,
    pub interests: Vec<String>,
    pub languages: Vec<String>,
    pub availability: Vec<Slot>,
    pub age_min: i16,
    pub age_max: i16,
    pub lived_experience: bool,
    /// Places left: capacity less her open matches.
    pub places: i32,
    /// Compliance gaps today (empty when she can be matched).
    pub compliance_gaps: Vec<String>,
    /// Young people she has declared a conflict of interest with.
    pub conflicts: HashSet<Uuid>,
    /// Young people whose earlier match with her ended for a safeguarding reason.
    pub safeguarding_endings: HashSet<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Score {
    pub total: u32,
    pub breakdown: Vec<Criterion>,
}

/// Why a mentor may not be matched with her.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Exclusion {
    /// `not_compliant`, `at_capacity`, `conflict_of_interest`, `ended_for_safeguarding`.
    pub code: String,
    pub message: String,
}

fn norm(items: &[String]) -> HashSet<String> {
    items.iter().map(|s| s.trim().to_lowercase()).collect()
}

/// `part` of `whole` as points out of `max`, rounded down.
fn share(part: usize, whole: usize, max: u32) -> u32 {
    (max as usize * part.min(whole)).checked_div(whole).unwrap_or(0) as u32
}

/// The score of `c` for `m`, criterion by criterion.
pub fn score(m: &Mentee, c: &Candidate, w: &Weights) -> Score {
    let mut out = Vec::with_capacity(6);
    let district = norm(&c.districts).contains(&m.district.trim().to_lowercase());
    out.push(Criterion {
        criterion: "district".into(),
        points: if district { w.district } else { 0 },
        max_points: w.district,
        explanation: if district { "She covers the young person's district." } else { "She does not cover the young person's district." }
            .into(),
    });

    let overlap = m.availability.iter().filter(|s| c.availability.contains(s)).count();
    let (points, explanation) = if m.availability.is_empty() {
        (w.availability, "The young person has not limited when she can meet.".to_string())
    } else {
        (share(overlap, m.availability.len(), w.availability), format!("{overlap} of her {} free times match.", m.availability.len()))
    };
    out.push(Criterion { criterion: "availability".into(), points, max_points: w.availability, explanation });

    let (mine, theirs) = (norm(&m.interests), norm(&c.interests));
    let shared = mine.intersection(&theirs).count();
    let wanted = mine.len().min(3);
    out.push(Criterion {
        criterion: "interests".into(),
        points: share(shared, wanted, w.interests),
        max_points: w.interests,
        explanation: format!("{shared} shared interest(s)."),
    });

    let (langs, theirs) = (norm(&m.languages), norm(&c.languages));
    let spoken = langs.intersection(&theirs).count();
    let (points, explanation) = if langs.is_empty() {
        (w.language, "No language recorded for the young person.".to_string())
    } else {
        (share(spoken, langs.len(), w.language), format!("She speaks {spoken} of the young person's {} language(s).", langs.len()))
    };
    out.push(Criterion { criterion: "language".into(), points, max_points: w.language, explanation });

    let in_range = (c.age_min as i32..=c.age_max as i32).contains(&m.age);
    out.push(Criterion {
        criterion: "age".into(),
        points: if in_range { w.age } else { 0 },
        max_points: w.age,
        explanation: format!("The young person is {}; she is comfortable mentoring {}–{}.", m.age, c.age_min, c.age_max),
    });

    let met = m
        .preferences
        .iter()
        .filter(|p| match p {
            MentorPreference::LivedExperience => c.lived_experience,
            MentorPreference::SharedLanguage => langs.iter().any(|l| l != "english" && theirs.contains(l)),
            MentorPreference::SharedInterests => shared > 0,
            MentorPreference::SameDistrict => district,
        })
        .count();
    let (points, explanation) = if m.preferences.is_empty() {
        (w.preferences, "The young person stated no preferences.".to_string())
    } else {
        (share(met, m.preferences.len(), w.preferences), format!("{met} of her {} stated preference(s) met.", m.preferences.len()))
    };
    out.push(Criterion { criterion: "preferences".into(), points, max_points: w.preferences, explanation });

    Score { total: out.iter().map(|c| c.points).sum(), breakdown: out }
}

/// Every hard constraint `c` fails for `m`; empty when she may be matched.
pub fn exclusions(m: &Mentee, c: &Candidate) -> Vec<Exclusion> {
    let mut out = Vec::new();
    if !c.compliance_gaps.is_empty() {
        out.push(Exclusion { code: "not_compliant".into(), message: c.compliance_gaps.join(" ") });
    }
    if c.places <= 0 {
        out.push(Exclusion { code: "at_capacity".into(), message: "She holds as many matches as her capacity allows.".into() });
    }
    if c.conflicts.contains(&m.id) {
        out.push(Exclusion {
            code: "conflict_of_interest".into(),
            message: "She has declared a conflict of interest with this young person.".into(),
        });
    }
    if c.safeguarding_endings.contains(&m.id) {
        out.push(Exclusion {
            code: "ended_for_safeguarding".into(),
            message: "An earlier match between them ended for a safeguarding reason.".into(),
        });
    }
    out
}

/// One proposed pairing of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    pub mentee: usize,
    pub candidate: usize,
    pub score: u32,
}

/// The assignment of mentees to candidates that maximises the total score, each candidate
/// taking at most her `places` and no pair that `allowed` refuses. `scores[i][j]` is the
/// score of candidate j for mentee i, `None` when a hard constraint forbids the pair.
///
/// Solved exactly with the Hungarian algorithm (Kuhn–Munkres) on a matrix with one column per
/// place a mentor has and one "no mentor" column per mentee, so leaving a young person
/// unmatched is one of the options weighed. The same input gives the same plan.
pub fn plan(scores: &[Vec<Option<u32>>], places: &[u32]) -> Vec<Pairing> {
    let rows = scores.len();
    if rows == 0 {
        return Vec::new();
    }
    // Only mentors some mentee may have, and no more places than there are mentees.
    let mut columns: Vec<usize> = Vec::new();
    for (j, &p) in places.iter().enumerate() {
        if scores.iter().any(|r| r.get(j).copied().flatten().is_some()) {
            columns.extend(std::iter::repeat_n(j, (p as usize).min(rows)));
        }
    }
    let slots = columns.len();
    // Weights: score × (rows + 1) + 1, so the total score decides and, between plans of equal
    // total, the one matching more young people wins. A forbidden pair weighs less than any
    // plan gains, so it is never chosen.
    let scale = rows as i64 + 1;
    let top = scores.iter().flatten().flatten().copied().max().unwrap_or(0) as i64;
    let forbidden: i64 = -(rows as i64 * (top * scale + 1) + 1);
    let mut weights = pathfinding::matrix::Matrix::new(rows, slots + rows, 0i64);
    for (i, row) in scores.iter().enumerate() {
        for (k, &j) in columns.iter().enumerate() {
            weights[(i, k)] = match row.get(j).copied().flatten() {
                Some(s) => s as i64 * scale + 1,
                None => forbidden,
            };
        }
        for k in 0..rows {
            weights[(i, slots + k)] = if k == i { 0 } else { forbidden };
        }
    }
    let (_, assignment) = pathfinding::kuhn_munkres::kuhn_munkres(&weights);
    let mut out = Vec::new();
    for (i, &k) in assignment.iter().enumerate() {
        if k < slots {
            let j = columns[k];
            if let Some(s) = scores[i].get(j).copied().flatten() {
                out.push(Pairing { mentee: i, candidate: j, score: s });
            }
        }
    }
    out
}

/// A greedy assignment (best pair first), for comparison in tests and benchmarks.
pub fn greedy(scores: &[Vec<Option<u32>>], places: &[u32]) -> Vec<Pairing> {
    let mut pairs: Vec<(u32, usize, usize)> = Vec::new();
    for (i, row) in scores.iter().enumerate() {
        for (j, s) in row.iter().enumerate() {
            if let Some(s) = s {
                pairs.push((*s, i, j));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut left: BTreeMap<usize, u32> = places.iter().copied().enumerate().collect();
    let mut taken = HashSet::new();
    let mut out = Vec::new();
    for (s, i, j) in pairs {
        if taken.contains(&i) || left.get(&j).copied().unwrap_or(0) == 0 {
            continue;
        }
        taken.insert(i);
        if let Some(p) = left.get_mut(&j) {
            *p -= 1;
        }
        out.push(Pairing { mentee: i, candidate: j, score: s });
    }
    out
}

/// The age in whole years on `on`.
pub fn age_on(dob: NaiveDate, on: NaiveDate) -> i32 {
    crate::young_people::rules::age_on(dob, on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentors::rules::{Day, PartOfDay};

    fn slot(day: Day, part: PartOfDay) -> Slot {
        Slot { day, part }
    }

    fn mentee() -> Mentee {
        Mentee {
            id: Uuid::nil(),
            age: 15,
            district: "Northgate".into(),
            interests: vec!["Football".into(), "art".into()],
            languages: vec!["English".into(), "Polish".into()],
            availability: vec![slot(Day::Sat, PartOfDay::Afternoon), slot(Day::Wed, PartOfDay::Evening)],
            preferences: vec![MentorPreference::LivedExperience, MentorPreference::SharedLanguage],
        }
    }

    fn candidate() -> Candidate {
        Candidate {
            id: Uuid::from_u128(1),
            organisation_id: Uuid::from_u128(9),
            districts: vec!["northgate".into()],
            interests: vec!["football".into(), "music".into()],
            languages: vec!["English".into()],
            availability: vec![slot(Day::Sat, PartOfDay::Afternoon)],
            age_min: 16,
            age_max: 24,
            lived_experience: true,
            places: 1,
            compliance_gaps: vec![],
            conflicts: HashSet::new(),
            safeguarding_endings: HashSet::new(),
        }
    }

    #[test]
    fn the_breakdown_shows_each_criterion_worked_by_hand() {
        let s = score(&mentee(), &candidate(), &Weights::default());
        let points: Vec<(&str, u32)> = s.breakdown.iter().map(|c| (c.criterion.as_str(), c.points)).collect();
        // district covered: 30; 1 of 2 slots: 10; 1 shared of 2 interests: 7 (15/2 rounded
        // down); 1 of 2 languages: 5; 15 outside 16–24: 0; lived experience met, a shared
        // non-English language not: 1 of 2, 5.
        assert_eq!(points, vec![("district", 30), ("availability", 10), ("interests", 7), ("language", 5), ("age", 0), ("preferences", 5)]);
        assert_eq!(s.total, 57);
    }

    #[test]
    fn each_hard_constraint_excludes_with_its_code() {
        let m = mentee();
        assert!(exclusions(&m, &candidate()).is_empty());
        let mut c = candidate();
        c.places = 0;
        c.compliance_gaps = vec!["Her DBS certificate expired on 2026-01-01.".into()];
        c.conflicts.insert(m.id);
        c.safeguarding_endings.insert(m.id);
        let codes: Vec<String> = exclusions(&m, &c).into_iter().map(|e| e.code).collect();
        assert_eq!(codes, ["not_compliant", "at_capacity", "conflict_of_interest", "ended_for_safeguarding"]);
    }

    #[test]
    fn weights_parse_and_refuse_unknown_criteria() {
        let w = Weights::parse("district:50, age:0").unwrap();
        assert_eq!((w.district, w.age, w.interests), (50, 0, 15));
        assert!(Weights::parse("height:3").is_none());
        assert!(Weights::parse("district:101").is_none());
        assert!(Weights::parse("district").is_none());
    }

    #[test]
    fn the_plan_beats_greedy_where_greedy_is_suboptimal() {
        // Greedy takes A–X (90) first and leaves B with no one: 90. The best plan is
        // A–Y (80) and B–X (85): 165.
        let scores = vec![vec![Some(90), Some(80)], vec![Some(85), None]];
        let places = vec![1, 1];
        let g: u32 = greedy(&scores, &places).iter().map(|p| p.score).sum();
        let best = plan(&scores, &places);
        assert_eq!(g, 90);
        assert_eq!(best, vec![Pairing { mentee: 0, candidate: 1, score: 80 }, Pairing { mentee: 1, candidate: 0, score: 85 }]);
    }

    #[test]
    fn the_plan_respects_capacity_and_forbidden_pairs() {
        // One mentor with two places, one with none usable: three mentees, two places.
        let scores = vec![vec![Some(10), None], vec![Some(30), None], vec![Some(20), None]];
        let p = plan(&scores, &[2, 1]);
        let mut got: Vec<(usize, usize)> = p.iter().map(|p| (p.mentee, p.candidate)).collect();
        got.sort();
        assert_eq!(got, vec![(1, 0), (2, 0)]);
        assert!(plan(&[vec![None]], &[1]).is_empty());
        assert!(plan(&[], &[1]).is_empty());
    }

    #[test]
    fn a_zero_score_pair_is_still_better_than_no_mentor() {
        assert_eq!(plan(&[vec![Some(0)]], &[1]), vec![Pairing { mentee: 0, candidate: 0, score: 0 }]);
    }

    #[test]
    fn every_pair_of_statuses_is_allowed_or_refused_as_the_machine_says() {
        use MatchStatus::*;
        let allowed = [
            (Proposed, Introduced),
            (Proposed, Ended),
            (Introduced, Active),
            (Introduced, Ended),
            (Active, Paused),
            (Active, Ended),
            (Paused, Active),
            (Paused, Ended),
        ];
        for from in MatchStatus::ALL {
            for to in MatchStatus::ALL {
                assert_eq!(allowed_from(*from).contains(to), allowed.contains(&(*from, *to)), "{from:?} -> {to:?}");
            }
        }
    }
}
