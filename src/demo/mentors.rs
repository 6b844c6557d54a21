//! Demo mentors in every state: approved and compliant, in vetting with checks missing,
//! approved with training lapsing within 30 days, and approved with a lapsed DBS check.

use crate::entities::mentor_check::CheckKind;
use crate::entities::mentor_profile::{MentorStatus, RecruitmentSource};
use chrono::{DateTime, Duration, Months, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use super::Rng;
use crate::crypto::Keys;
use crate::entities::{mentor_check, mentor_profile, supervision, training_course, training_record};

pub struct DemoMentor {
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    pub coordinator: Uuid,
    pub districts: &'static [&'static str],
    /// Her place among her charity's mentors, which decides her state.
    pub index: usize,
}

pub(super) const INTERESTS: &[&str] =
    &["football", "art", "music", "cooking", "climbing", "gaming", "photography", "dance", "animals", "reading"];
pub(super) const LANGUAGES: &[&str] = &["Urdu", "Polish", "Romanian", "Somali", "Welsh", "Punjabi", "Arabic"];
const SOURCES: &[RecruitmentSource] = &[
    RecruitmentSource::WordOfMouth,
    RecruitmentSource::SocialMedia,
    RecruitmentSource::VolunteerCentre,
    RecruitmentSource::University,
    RecruitmentSource::Employer,
    RecruitmentSource::Community,
];
pub(super) const DAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
pub(super) const PARTS: &[&str] = &["morning", "afternoon", "evening"];

pub async fn seed<C: ConnectionTrait>(
    conn: &C,
    keys: &Keys,
    rng: &mut Rng,
    mentors: &[DemoMentor],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let today = now.date_naive();
    let courses = training_course::Entity::find().filter(training_course::Column::Mandatory.eq(true)).all(conn).await?;
    for m in mentors {
        // 0, 4: compliant; 1: in vetting; 2: training lapsing soon; 3: DBS lapsed.
        let state = m.index % 5;
        let start = today - Duration::days(400 + rng.below(500) as i64);
        let mut interests: Vec<&str> = (0..3).map(|_| *rng.pick(INTERESTS)).collect();
        interests.dedup();
        let languages: Vec<&str> = if rng.below(4) == 0 { vec!["English", *rng.pick::<&str>(LANGUAGES)] } else { vec!["English"] };
        let slots: std::collections::BTreeSet<(&str, &str)> = (0..3).map(|_| (*rng.pick::<&str>(DAYS), *rng.pick::<&str>(PARTS))).collect();
        let availability = slots.into_iter().map(|(day, part)| super::slot(day, part)).collect::<Result<Vec<_>, _>>()?;
        let lived = if rng.below(3) == 0 {
            Some(
                keys.fields
                    .seal("mentor_profiles", "lived_experience", &m.user_id, "Grew up in care; happy to talk about it if it helps.")
                    .map_err(|e| DbErr::Custom(e.to_string()))?,
            )
        } else {
            None
        };
        mentor_profile::ActiveModel {
            user_id: Set(m.user_id),
            organisation_id: Set(m.organisation_id),
            districts: Set(super::typed(m.districts.iter().map(|s| s.to_string()).collect())?),
            languages: Set(super::typed(languages.iter().map(|s| s.to_string()).collect())?),
            interests: Set(super::typed(interests.iter().map(|s| s.to_string()).collect())?),
            availability: Set(super::typed(availability)?),
            capacity: Set(1 + (rng.below(4) == 0) as i16),
            age_min: Set(11 + rng.below(3) as i16),
            age_max: Set(18 + rng.below(7) as i16),
            lived_experience: Set(lived),
            recruitment_source: Set(*rng.pick(SOURCES)),
            start_date: Set(start),
            status: Set(if state == 1 { MentorStatus::InVetting } else { MentorStatus::Approved }),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(conn)
        .await?;

        let issued = if state == 3 { today - Duration::days(3 * 365 + 60) } else { today - Duration::days(100 + rng.below(600) as i64) };
        let certificate = format!("{:012}", rng.next_u64() % 1_000_000_000_000);
        let dbs = json!({"dbs": {
            "certificate_number": certificate, "issue_date": issued, "workforce": "child", "level": "enhanced",
            "barred_list_checked": true, "result": "clear", "assessed_by": null, "decision": null,
            "update_service": false, "status_checks": []
        }});
        let mut checks = vec![
            (CheckKind::Dbs, "clear", dbs, issued),
            (CheckKind::Reference, "satisfactory", json!({"reference": {"referee_relationship": "Employer", "received_on": start}}), start),
        ];
        if state != 1 {
            checks.push((
                CheckKind::Reference,
                "satisfactory",
                json!({"reference": {"referee_relationship": "Volunteer manager", "received_on": start}}),
                start,
            ));
            for kind in [CheckKind::Interview, CheckKind::Identity, CheckKind::CodeOfConduct, CheckKind::VolunteerAgreement] {
                checks.push((kind, "satisfactory", json!({}), start));
            }
        }
        for (kind, outcome, details, on) in checks {
            mentor_check::ActiveModel {
                id: Set(Uuid::now_v7()),
                mentor_id: Set(m.user_id),
                organisation_id: Set(m.organisation_id),
                kind: Set(kind),
                completed_on: Set(on),
                outcome: Set(outcome.into()),
                details: Set(super::typed(details)?),
                supersedes: Set(None),
                recorded_by: Set(m.coordinator),
                recorded_at: Set(now),
            }
            .insert(conn)
            .await?;
        }
        if state != 1 {
            for (k, c) in courses.iter().enumerate() {
                let months = c.validity_months.unwrap_or(24).max(1) as u32;
                // State 2: the first course lapses in 10–25 days; otherwise well within date.
                let completed = if state == 2 && k == 0 {
                    (today + Duration::days(10 + rng.below(15) as i64)).checked_sub_months(Months::new(months)).unwrap_or(today)
                } else {
                    today - Duration::days(30 + rng.below((months as usize * 30 / 2).max(1)) as i64)
                };
                training_record::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    mentor_id: Set(m.user_id),
                    organisation_id: Set(m.organisation_id),
                    course_id: Set(c.id),
                    completed_on: Set(completed),
                    hours: Set(c.hours),
                    provider: Set("Programme training team".into()),
                    evidence_ref: Set(Some(format!("CERT-{}", rng.below(100_000)))),
                    recorded_by: Set(m.coordinator),
                    recorded_at: Set(now),
                }
                .insert(conn)
                .await?;
            }
            for k in 0..1 + rng.below(3) {
                let sid = Uuid::now_v7();
                supervision::ActiveModel {
                    id: Set(sid),
                    mentor_id: Set(m.user_id),
                    organisation_id: Set(m.organisation_id),
                    coordinator_id: Set(m.coordinator),
                    held_on: Set(today - Duration::days(20 + 30 * k as i64)),
                    minutes: Set(30 + 15 * rng.below(4) as i16),
                    topics: Set(super::typed(vec!["boundaries".to_string(), "session planning".to_string()])?),
                    concern_discussed: Set(false),
                    concern_id: Set(None),
                    private_notes: Set(Some(
                        keys.fields
                            .seal("supervisions", "private_notes", &sid, "Confident; check in about travel time.")
                            .map_err(|e| DbErr::Custom(e.to_string()))?,
                    )),
                    recorded_at: Set(now),
                }
                .insert(conn)
                .await?;
            }
        }
    }
    Ok(mentors.len())
}
