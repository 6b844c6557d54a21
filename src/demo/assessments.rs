//! Demo assessments, consistent with the matches: every match that started (active, paused or
//! ended) has a baseline on the day the agreement was signed, a review every three months
//! while it runs, and, once ended, an exit assessment on its last day. Each young person takes
//! the CORE measure for her age (YP-CORE 11–16, CORE-10 17+, kept while it still fits) and
//! SWEMWBS from 13. About six in ten improve, two in ten hold steady and two in ten get worse.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::Rng;
use crate::entities::{assessment, matching, young_person};
use crate::outcomes::dto::{Indicators, Timepoint};
use crate::outcomes::{Loaded, instruments};
use crate::young_people::rules::age_on;

#[derive(Clone, Copy)]
enum Course {
    Improving,
    Steady,
    Worsening,
}

/// One instrument's answers at step `step` of her series, in tenths of an item: wellbeing
/// (higher better) rises as she improves, distress (lower better) falls.
fn answers(rng: &mut Rng, d: &crate::outcomes::scoring::Definition, start: i32, course: Course, step: i32) -> Vec<Option<i32>> {
    let per_step = match course {
        Course::Improving => 5,
        Course::Steady => 0,
        Course::Worsening => -3,
    };
    let better = if d.higher_is_better { per_step } else { -per_step };
    let level = start + better * step;
    let mut out: Vec<Option<i32>> = (0..d.items)
        .map(|_| {
            let v = level + rng.below(13) as i32 - 6;
            Some(((v + 5).div_euclid(10)).clamp(d.min, d.max))
        })
        .collect();
    if d.max_prorated > 0 && rng.below(8) == 0 {
        let i = rng.below(out.len());
        out[i] = None;
    }
    out
}

/// Seeds the assessments; returns how many.
pub async fn seed<C: ConnectionTrait>(conn: &C, rng: &mut Rng, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let today = now.date_naive();
    let all = instruments(conn).await.map_err(|e| DbErr::Custom(e.to_string()))?;
    let by_code: HashMap<&str, &Loaded> = all.values().map(|i| (i.model.code.as_str(), i)).collect();
    let (Some(swemwbs), Some(yp_core), Some(core_10)) = (by_code.get("SWEMWBS"), by_code.get("YP-CORE"), by_code.get("CORE-10")) else {
        return Err(DbErr::Custom("the outcome instruments are not seeded".into()));
    };
    let matches = matching::Entity::find()
        .filter(matching::Column::AgreementSignedOn.is_not_null())
        .order_by_asc(matching::Column::Id)
        .all(conn)
        .await?;
    let mut people: HashMap<Uuid, young_person::Model> = HashMap::new();
    let ids: Vec<Uuid> = matches.iter().map(|m| m.young_person_id).collect();
    for chunk in ids.chunks(crate::db::ID_CHUNK) {
        for yp in young_person::Entity::find().filter(young_person::Column::Id.is_in(chunk.to_vec())).all(conn).await? {
            people.insert(yp.id, yp);
        }
    }
    let mut rows: Vec<assessment::ActiveModel> = Vec::new();
    for m in &matches {
        let (Some(start), Some(yp)) = (m.agreement_signed_on, people.get(&m.young_person_id)) else { continue };
        let end = m.ended_on.unwrap_or(today).min(today);
        let mut points: Vec<(Timepoint, NaiveDate)> = vec![(Timepoint::Baseline, start)];
        // Reviews every three months; none in the last month before an exit.
        let last_review = if m.status == crate::entities::matching::MatchStatus::Ended { end - Duration::days(30) } else { end };
        let mut on = start + Duration::days(91);
        while on <= last_review {
            points.push((Timepoint::Review, on));
            on += Duration::days(91);
        }
        if m.status == crate::entities::matching::MatchStatus::Ended && end > start {
            points.push((Timepoint::Exit, end));
        }
        let course = match rng.below(10) {
            0..=5 => Course::Improving,
            6..=7 => Course::Steady,
            _ => Course::Worsening,
        };
        // Starting points, in tenths of an item: low wellbeing, high distress.
        let wellbeing = 21 + rng.below(7) as i32;
        let distress = 22 + rng.below(8) as i32;
        let core = if yp_core.definition.fits_age(age_on(yp.date_of_birth, start)) { yp_core } else { core_10 };
        let education = yp.education_status;
        let mut entered_justice = false;
        for (step, (timepoint, taken_on)) in points.into_iter().enumerate() {
            let age = age_on(yp.date_of_birth, taken_on);
            let by = if timepoint == Timepoint::Review { m.mentor_id } else { m.created_by };
            // Police contact: 4 in 10 each time for those getting worse; 3, 2, then 1 in 10
            // for the others as time goes on.
            let chance = if matches!(course, Course::Worsening) { 4 } else { 3 - step.min(2) };
            let police = rng.below(10) < chance;
            let first_time = !entered_justice && police && rng.below(6) == 0;
            entered_justice |= first_time;
            let indicators = Indicators {
                education_employment_status: education,
                police_contact_since_last_review: police,
                first_time_entrant: first_time,
                missing_episodes: match course {
                    Course::Worsening => rng.below(4) as u32,
                    _ if step == 0 => rng.below(3) as u32,
                    _ => (rng.below(5) == 0) as u32,
                },
            };
            let indicators = super::typed(indicators)?;
            for (inst, start_level) in [(core, distress), (swemwbs, wellbeing)] {
                if !inst.definition.fits_age(age) {
                    continue;
                }
                let a = answers(rng, &inst.definition, start_level, course, step as i32);
                rows.push(assessment::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    young_person_id: Set(yp.id),
                    organisation_id: Set(yp.organisation_id),
                    instrument_id: Set(inst.model.id),
                    timepoint: Set(timepoint),
                    taken_on: Set(taken_on),
                    answers: Set(super::typed(a)?),
                    indicators: Set(indicators.clone()),
                    administered_by: Set(by),
                    recorded_at: Set(now),
                });
            }
        }
    }
    let count = rows.len();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<assessment::ActiveModel> = rows.by_ref().take(500).collect();
        assessment::Entity::insert_many(chunk).exec(conn).await?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::scoring::built_in;

    #[test]
    fn demo_answers_stay_on_the_scale_and_move_the_right_way() {
        let defs: Vec<_> = built_in().into_iter().map(|(.., d)| d).collect();
        let mut rng = Rng::new(1);
        for d in &defs {
            for course in [Course::Improving, Course::Steady, Course::Worsening] {
                let mut scores = Vec::new();
                for step in 0..4 {
                    let a = answers(&mut rng, d, 25, course, step);
                    let s = d.score(&a).expect("demo answers score");
                    scores.push(s.headline());
                }
                let gain = if d.higher_is_better { scores[3] - scores[0] } else { scores[0] - scores[3] };
                match course {
                    Course::Improving => assert!(gain > 0, "{scores:?}"),
                    Course::Worsening => assert!(gain < 0, "{scores:?}"),
                    Course::Steady => {}
                }
            }
        }
    }
}
