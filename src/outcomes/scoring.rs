//! Outcome instruments as data, and how an assessment is scored and change is judged. Pure
//! functions over plain data (no database, no clock), unit-tested below against hand-worked
//! examples.
//!
//! Scores are kept in integer hundredths inside this module, so a change of exactly the
//! reliable-change threshold (3.00 on the SWEMWBS metric, say) is not lost to floating point.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::entities::instrument::{Definition, Scoring};
use crate::error::FieldError;

/// An assessment's scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The item total in hundredths (prorated when items are missing).
    pub raw: i64,
    /// The converted score in hundredths (`sum_then_table` only).
    pub metric: Option<i64>,
    /// How many items were missing and prorated.
    pub missing: u32,
}

impl Scored {
    /// The score change is measured on: the metric when there is one, else the total.
    pub fn headline(&self) -> i64 {
        self.metric.unwrap_or(self.raw)
    }
}

/// Hundredths as a number for the API.
pub fn number(hundredths: i64) -> f64 {
    hundredths as f64 / 100.0
}

fn hundredths(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

/// `a / b` rounded half away from zero, for b > 0.
fn div_round(a: i64, b: i64) -> i64 {
    if a >= 0 { (2 * a + b) / (2 * b) } else { -((-2 * a + b) / (2 * b)) }
}

impl Definition {
    /// Problems with the definition itself, each naming its field (under `prefix`).
    pub fn problems(&self, prefix: &str) -> Vec<FieldError> {
        let f = |name: &str| format!("{prefix}{name}");
        let mut out = Vec::new();
        if !(1..=100).contains(&self.items) {
            out.push(FieldError::new(f("items"), "out_of_range", "An instrument has 1 to 100 items."));
        }
        if self.item_keys.len() != self.items as usize {
            out.push(FieldError::new(f("item_keys"), "wrong_length", format!("Give one key per item ({}).", self.items)));
        }
        for (i, k) in self.item_keys.iter().enumerate() {
            let ok = !k.is_empty() && k.len() <= 100 && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                out.push(FieldError::new(f(&format!("item_keys[{i}]")), "invalid_key", "Use 1 to 100 lower-case letters, digits and _."));
            } else if self.item_keys[..i].contains(k) {
                out.push(FieldError::new(f(&format!("item_keys[{i}]")), "duplicate", "Each item has its own key."));
            }
        }
        if !(0..=100).contains(&self.min) || !(0..=100).contains(&self.max) || self.min >= self.max {
            out.push(FieldError::new(f("max"), "invalid_scale", "Answers run from min to max, with 0 ≤ min < max ≤ 100."));
        }
        for (i, r) in self.reversed_items.iter().enumerate() {
            if *r >= self.items || self.reversed_items[..i].contains(r) {
                out.push(FieldError::new(
                    f(&format!("reversed_items[{i}]")),
                    "invalid_item",
                    "Name each item once, by its position from 0.",
                ));
            }
        }
        if let Scoring::SumThenTable { table } = &self.scoring {
            // Saturating: the other checks refuse absurd sizes, but this runs alongside them.
            let span = (self.max as i64 - self.min as i64).max(0).saturating_mul(self.items as i64).saturating_add(1);
            if table.len() as i64 != span {
                out.push(FieldError::new(
                    f("scoring.table"),
                    "wrong_length",
                    format!("Give one converted score for every possible total ({span})."),
                ));
            }
            if table.iter().any(|v| !v.is_finite() || v.abs() > 1_000_000.0) {
                out.push(FieldError::new(f("scoring.table"), "invalid_value", "Converted scores are finite numbers."));
            }
        }
        if self.max_prorated >= self.items.max(1) {
            out.push(FieldError::new(f("max_prorated"), "out_of_range", "At least one item must be answered."));
        }
        let age = |a: i32| (0..=120).contains(&a);
        if !age(self.age_min) || self.age_max.is_some_and(|m| !age(m) || m < self.age_min) {
            out.push(FieldError::new(f("age_max"), "invalid_range", "Ages run from age_min to age_max, within 0–120."));
        }
        if self.validated_age_min.is_some_and(|a| !age(a))
            || self.validated_age_max.is_some_and(|a| !age(a) || self.validated_age_min.is_some_and(|m| a < m))
        {
            out.push(FieldError::new(f("validated_age_max"), "invalid_range", "Validated ages run from min to max, within 0–120."));
        }
        if !self.reliable_change.is_finite() || self.reliable_change <= 0.0 || self.reliable_change > 1_000_000.0 {
            out.push(FieldError::new(f("reliable_change"), "out_of_range", "The reliable change is a positive number."));
        }
        out
    }

    /// "11–16" or "13+".
    pub fn age_range(&self) -> String {
        match self.age_max {
            Some(max) => format!("{}–{max}", self.age_min),
            None => format!("{}+", self.age_min),
        }
    }

    pub fn fits_age(&self, age: i32) -> bool {
        age >= self.age_min && self.age_max.is_none_or(|m| age <= m)
    }

    /// A warning when `age` is outside the ages the instrument was validated for.
    pub fn validation_warning(&self, code: &str, age: i32) -> Option<String> {
        let below = self.validated_age_min.is_some_and(|m| age < m);
        let above = self.validated_age_max.is_some_and(|m| age > m);
        (below || above).then(|| {
            let range = match (self.validated_age_min, self.validated_age_max) {
                (Some(a), Some(b)) => format!("{a}–{b}"),
                (Some(a), None) => format!("{a}+"),
                (None, Some(b)) => format!("up to {b}"),
                (None, None) => String::new(),
            };
            format!("{code} is validated for ages {range}; she was {age} on that date, so read the score with care.")
        })
    }

    /// Checks the answers against the items and their scale (every problem, each naming its
    /// field), and scores them.
    pub fn score(&self, answers: &[Option<i32>]) -> Result<Scored, Vec<FieldError>> {
        if answers.len() != self.items as usize {
            return Err(vec![FieldError::new(
                "answers",
                "wrong_length",
                format!("This instrument has {} items: give one answer per item, null for one not answered.", self.items),
            )]);
        }
        let mut errors = Vec::new();
        for (i, a) in answers.iter().enumerate() {
            if let Some(a) = a
                && !(self.min..=self.max).contains(a)
            {
                errors.push(FieldError::new(
                    format!("answers[{i}]"),
                    "out_of_scale",
                    format!("Each answer is from {} to {}.", self.min, self.max),
                ));
            }
        }
        let missing = answers.iter().filter(|a| a.is_none()).count() as u32;
        if missing > self.max_prorated {
            errors.push(FieldError::new(
                "answers",
                "too_many_missing",
                if self.max_prorated == 0 {
                    "Every item must be answered.".to_string()
                } else {
                    format!("At most {} item(s) may be left unanswered; {missing} were.", self.max_prorated)
                },
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let sum: i64 = answers
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                a.map(|a| if self.reversed_items.contains(&(i as u32)) { (self.min + self.max - a) as i64 } else { a as i64 })
            })
            .sum();
        let answered = (self.items - missing) as i64;
        // Prorated: the mean of the answered items times the number of items.
        let raw = div_round(sum * self.items as i64 * 100, answered);
        let metric = match &self.scoring {
            Scoring::Sum => None,
            Scoring::SumThenTable { table } => {
                // A prorated total is rounded to the nearest whole total before conversion.
                let whole = div_round(raw, 100);
                let index = (whole - self.items as i64 * self.min as i64).clamp(0, table.len().saturating_sub(1) as i64) as usize;
                Some(hundredths(table.get(index).copied().unwrap_or(0.0)))
            }
        };
        Ok(Scored { raw, metric, missing })
    }

    pub fn threshold(&self) -> i64 {
        hundredths(self.reliable_change)
    }
}

/// What a change from baseline to the latest assessment means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    ReliableImprovement,
    ReliableDeterioration,
    NoReliableChange,
}

/// A change of at least the threshold, in the better or worse direction, is reliable.
pub fn classify(change: i64, threshold: i64, higher_is_better: bool) -> ChangeKind {
    let better = if higher_is_better { change } else { -change };
    if better >= threshold {
        ChangeKind::ReliableImprovement
    } else if -better >= threshold {
        ChangeKind::ReliableDeterioration
    } else {
        ChangeKind::NoReliableChange
    }
}

/// The published SWEMWBS raw-to-metric conversion (docs/domain.md §Outcome measures), raw 7 to 35 in order.
pub const SWEMWBS_METRIC: [f64; 29] = [
    7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36, 16.88, 17.43, 17.98, 18.59, 19.25, 19.98, 20.73, 21.54, 22.35,
    23.21, 24.11, 25.03, 26.02, 27.03, 28.13, 29.31, 30.70, 32.55, 35.00,
];

/// The instruments the service ships with: (code, version, name, definition).
pub fn built_in() -> Vec<(&'static str, &'static str, &'static str, Definition)> {
    let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        (
            "SWEMWBS",
            "1",
            "Short Warwick-Edinburgh Mental Wellbeing Scale",
            Definition {
                items: 7,
                item_keys: keys(&[
                    "optimistic_about_future",
                    "feeling_useful",
                    "feeling_relaxed",
                    "dealing_with_problems_well",
                    "thinking_clearly",
                    "feeling_close_to_others",
                    "able_to_make_up_own_mind",
                ]),
                min: 1,
                max: 5,
                reversed_items: Vec::new(),
                scoring: Scoring::SumThenTable { table: SWEMWBS_METRIC.to_vec() },
                max_prorated: 0,
                age_min: 13,
                age_max: None,
                validated_age_min: Some(15),
                validated_age_max: Some(21),
                reliable_change: 3.0,
                higher_is_better: true,
            },
        ),
        (
            "YP-CORE",
            "1",
            "Young Person's Clinical Outcomes in Routine Evaluation",
            Definition {
                items: 10,
                item_keys: keys(&[
                    "felt_edgy_or_nervous",
                    "not_felt_like_talking",
                    "felt_able_to_cope",
                    "thought_of_hurting_self",
                    "no_one_to_turn_to",
                    "thoughts_and_feelings_distressed",
                    "felt_unhappy",
                    "felt_pressured",
                    "done_things_wanted",
                    "trouble_sleeping",
                ]),
                min: 0,
                max: 4,
                reversed_items: Vec::new(),
                scoring: Scoring::Sum,
                max_prorated: 1,
                age_min: 11,
                age_max: Some(16),
                validated_age_min: None,
                validated_age_max: None,
                reliable_change: 8.0,
                higher_is_better: false,
            },
        ),
        (
            "CORE-10",
            "1",
            "Clinical Outcomes in Routine Evaluation, 10 items",
            Definition {
                items: 10,
                item_keys: keys(&[
                    "felt_tense_anxious_nervous",
                    "someone_to_turn_to",
                    "able_to_cope",
                    "talking_is_too_much",
                    "panic_or_terror",
                    "plans_to_end_life",
                    "trouble_sleeping",
                    "despairing_or_hopeless",
                    "unhappy",
                    "unwanted_images_or_memories",
                ]),
                min: 0,
                max: 4,
                reversed_items: Vec::new(),
                scoring: Scoring::Sum,
                max_prorated: 1,
                age_min: 17,
                age_max: None,
                validated_age_min: None,
                validated_age_max: None,
                reliable_change: 6.0,
                higher_is_better: false,
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(code: &str) -> Definition {
        built_in().into_iter().find(|(c, ..)| *c == code).map(|(.., d)| d).unwrap()
    }

    fn all(v: &[i32]) -> Vec<Option<i32>> {
        v.iter().copied().map(Some).collect()
    }

    #[test]
    fn the_built_in_definitions_are_valid() {
        for (code, _, _, d) in built_in() {
            assert!(d.problems("").is_empty(), "{code}: {:?}", d.problems(""));
        }
    }

    #[test]
    fn swemwbs_converts_raw_to_metric_by_the_table() {
        let d = def("SWEMWBS");
        // 3+4+2+3+4+3+4 = 23 -> the 17th entry (raw 7 is the 1st): 20.73.
        let s = d.score(&all(&[3, 4, 2, 3, 4, 3, 4])).unwrap();
        assert_eq!((s.raw, s.metric, s.missing), (2300, Some(2073), 0));
        // The ends of the table: all 1s is 7 -> 7.00; all 5s is 35 -> 35.00.
        assert_eq!(d.score(&all(&[1; 7])).unwrap().metric, Some(700));
        assert_eq!(d.score(&all(&[5; 7])).unwrap().metric, Some(3500));
        // 2,2,2,2,2,2,3 = 15 -> 9th entry 15.84; 4,4,4,4,4,4,3 = 27 -> 21st entry 24.11.
        assert_eq!(d.score(&all(&[2, 2, 2, 2, 2, 2, 3])).unwrap().metric, Some(1584));
        assert_eq!(d.score(&all(&[4, 4, 4, 4, 4, 4, 3])).unwrap().headline(), 2411);
        // Every raw total maps to its own entry.
        for raw in 7..=35 {
            let mut items = vec![1; 7];
            let mut left = raw - 7;
            for it in items.iter_mut() {
                let add = left.min(4);
                *it += add;
                left -= add;
            }
            assert_eq!(d.score(&all(&items)).unwrap().metric, Some(hundredths(SWEMWBS_METRIC[(raw - 7) as usize])), "raw {raw}");
        }
    }

    #[test]
    fn swemwbs_refuses_a_missing_item_and_out_of_scale_answers() {
        let d = def("SWEMWBS");
        let e = d.score(&[Some(3), None, Some(3), Some(3), Some(3), Some(3), Some(3)]).unwrap_err();
        assert_eq!(e[0].field, "answers");
        assert_eq!(e[0].code, "too_many_missing");
        let e = d.score(&all(&[3, 0, 3, 3, 6, 3, 3])).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["answers[1]", "answers[4]"]);
        let e = d.score(&all(&[3, 3, 3])).unwrap_err();
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("answers", "wrong_length"));
    }

    #[test]
    fn yp_core_totals_and_prorates_one_missing_item() {
        let d = def("YP-CORE");
        // All ten: 2+1+3+0+2+2+3+1+2+1 = 17.
        let s = d.score(&all(&[2, 1, 3, 0, 2, 2, 3, 1, 2, 1])).unwrap();
        assert_eq!((s.raw, s.metric, s.missing, s.headline()), (1700, None, 0, 1700));
        // Item 4 missing: the nine answered sum to 17, mean 17/9 = 1.888..., × 10 = 18.89.
        let s = d.score(&[Some(2), Some(1), Some(3), None, Some(2), Some(2), Some(3), Some(1), Some(2), Some(1)]).unwrap();
        assert_eq!((s.raw, s.missing), (1889, 1));
        // Nine answers of 4 and one missing prorate to the maximum, 40.
        let mut v = vec![Some(4); 10];
        v[9] = None;
        assert_eq!(d.score(&v).unwrap().raw, 4000);
        // Nine summing to 18: mean 2 × 10 = 20 exactly.
        let s = d.score(&[None, Some(2), Some(2), Some(2), Some(2), Some(2), Some(2), Some(2), Some(2), Some(2)]).unwrap();
        assert_eq!(s.raw, 2000);
        // Two missing is one too many.
        let mut v = all(&[1; 10]);
        v[0] = None;
        v[5] = None;
        let e = d.score(&v).unwrap_err();
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("answers", "too_many_missing"));
        // 0–4 only.
        let e = d.score(&all(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 5])).unwrap_err();
        assert_eq!(e[0].field, "answers[9]");
    }

    #[test]
    fn core_10_totals_its_items() {
        let d = def("CORE-10");
        assert_eq!(d.score(&all(&[4, 3, 3, 2, 2, 0, 3, 2, 3, 1])).unwrap().raw, 2300);
    }

    #[test]
    fn reversed_items_are_turned_round_before_scoring() {
        let mut d = def("CORE-10");
        d.reversed_items = vec![1, 2];
        // Items 1 and 2 answered 4 score 0; the rest 1 each: 8.
        assert_eq!(d.score(&all(&[1, 4, 4, 1, 1, 1, 1, 1, 1, 1])).unwrap().raw, 800);
    }

    #[test]
    fn a_prorated_total_is_rounded_before_the_table() {
        let mut d = def("SWEMWBS");
        d.max_prorated = 1;
        // Six answered summing 20: 20/6 × 7 = 23.33 -> raw 23 -> 20.73.
        let s = d.score(&[Some(4), Some(4), Some(3), Some(3), Some(3), Some(3), None]).unwrap();
        assert_eq!((s.raw, s.metric), (2333, Some(2073)));
    }

    #[test]
    fn change_is_reliable_at_the_threshold_in_the_better_or_worse_direction() {
        let swemwbs = def("SWEMWBS");
        let t = swemwbs.threshold();
        assert_eq!(t, 300);
        // 20.73 -> 23.21 is +2.48: not reliable; 20.73 -> 24.11 is +3.38: reliable.
        assert_eq!(classify(2321 - 2073, t, true), ChangeKind::NoReliableChange);
        assert_eq!(classify(2411 - 2073, t, true), ChangeKind::ReliableImprovement);
        assert_eq!(classify(1925 - 2321, t, true), ChangeKind::ReliableDeterioration);
        // Exactly 3.00 counts.
        assert_eq!(classify(300, t, true), ChangeKind::ReliableImprovement);
        // YP-CORE: lower is better; 25 -> 17 is -8: reliable improvement; 17 -> 24 is +7: not.
        let yp = def("YP-CORE");
        assert_eq!(classify(1700 - 2500, yp.threshold(), false), ChangeKind::ReliableImprovement);
        assert_eq!(classify(2400 - 1700, yp.threshold(), false), ChangeKind::NoReliableChange);
        assert_eq!(classify(2600 - 1700, yp.threshold(), false), ChangeKind::ReliableDeterioration);
    }

    #[test]
    fn ages_and_validation_warnings() {
        let yp = def("YP-CORE");
        assert_eq!(yp.age_range(), "11–16");
        assert!(yp.fits_age(11) && yp.fits_age(16) && !yp.fits_age(10) && !yp.fits_age(17));
        let s = def("SWEMWBS");
        assert_eq!(s.age_range(), "13+");
        assert!(s.fits_age(40) && !s.fits_age(12));
        assert!(s.validation_warning("SWEMWBS", 14).unwrap().contains("15–21"));
        assert_eq!(s.validation_warning("SWEMWBS", 18), None);
    }

    #[test]
    fn a_bad_definition_names_each_problem() {
        let mut d = def("SWEMWBS");
        d.item_keys.pop();
        d.scoring = Scoring::SumThenTable { table: vec![1.0, 2.0] };
        d.max_prorated = 7;
        d.age_max = Some(10);
        d.reliable_change = 0.0;
        let fields: Vec<String> = d.problems("definition.").into_iter().map(|f| f.field).collect();
        assert_eq!(
            fields,
            [
                "definition.item_keys",
                "definition.scoring.table",
                "definition.max_prorated",
                "definition.age_max",
                "definition.reliable_change"
            ]
        );
    }
}
