//! Demo referrals: about 300 young people referred over three programme years, with a
//! realistic spread of sources, districts, ages, ethnicity, deprivation, ACE counts and
//! statuses (some declined and waitlisted, some closed for each reason), a few possible
//! duplicates across charities, and case notes. Every name and every word is synthetic.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use uuid::Uuid;

use super::{FIRST, LAST, Rng};
use crate::crypto::Keys;
use crate::entities::duplicate_flag::DuplicateStatus;
use crate::entities::{case_note, duplicate_flag, referral, referral_transition, young_person};
use crate::referrals::rules::{ClosureReason, SourceType, Status};
use crate::young_people::codes::*;
use crate::young_people::rules::{self, AceAnswer, Consent, EligibilityInput};

pub struct Charity {
    pub id: Uuid,
    pub coordinator: Uuid,
    pub districts: &'static [&'static str],
    pub weight: usize,
}

const PER_SCALE: usize = 300;

/// (value, weight) tables.
const SOURCES: &[(SourceType, u32)] = &[
    (SourceType::SchoolCollege, 28),
    (SourceType::ChildrensSocialCare, 22),
    (SourceType::YouthJusticeService, 14),
    (SourceType::Police, 12),
    (SourceType::Health, 9),
    (SourceType::VoluntarySector, 8),
    (SourceType::Family, 4),
    (SourceType::SelfReferral, 3),
];
const ETHNICITIES: &[(Ethnicity, u32)] = &[
    (Ethnicity::WhiteBritish, 660),
    (Ethnicity::WhiteOther, 40),
    (Ethnicity::WhiteGypsyIrishTraveller, 15),
    (Ethnicity::WhiteRoma, 5),
    (Ethnicity::WhiteIrish, 5),
    (Ethnicity::MixedWhiteBlackCaribbean, 40),
    (Ethnicity::MixedWhiteAsian, 15),
    (Ethnicity::MixedWhiteBlackAfrican, 15),
    (Ethnicity::MixedOther, 15),
    (Ethnicity::BlackCaribbean, 25),
    (Ethnicity::BlackAfrican, 30),
    (Ethnicity::BlackOther, 10),
    (Ethnicity::AsianPakistani, 30),
    (Ethnicity::AsianIndian, 20),
    (Ethnicity::AsianBangladeshi, 15),
    (Ethnicity::AsianChinese, 5),
    (Ethnicity::AsianOther, 10),
    (Ethnicity::OtherArab, 5),
    (Ethnicity::OtherAny, 5),
    (Ethnicity::PreferNotToSay, 15),
    (Ethnicity::NotKnown, 20),
];
const CLOSURES: &[(ClosureReason, u32)] = &[
    (ClosureReason::PlannedEnding, 35),
    (ClosureReason::GoalsMet, 25),
    (ClosureReason::Disengaged, 18),
    (ClosureReason::MovedAway, 8),
    (ClosureReason::EscalatedToStatutory, 6),
    (ClosureReason::AgedOut, 4),
    (ClosureReason::Other, 4),
];
const REASONS: &[&str] = &[
    "Repeated missing episodes this term; seen with older peers away from home.",
    "Concerns about older associates and unexplained money and a new phone.",
    "Excluded twice this year; professionals worried about exploitation around the estate.",
    "Known to police after a shoplifting incident; the referrer fears she is being groomed.",
    "Social worker reports county lines links in the family's area and low attendance.",
    "Self-harm disclosed to the school nurse; isolated and spending nights away.",
];
const NOTES: &[&str] = &[
    "Met at school with her head of year. Quiet at first, warmed up talking about music.",
    "Phoned her carer to arrange a first visit; carer supportive.",
    "She asked for a mentor who likes football. Passed to the matching meeting.",
    "Attendance improving according to school. No new missing episodes reported.",
    "Discussed with the DSL after she mentioned an older boyfriend; plan agreed.",
    "Home visit: her room is being redecorated and she is proud of it.",
];

fn weighted<T: Copy>(rng: &mut Rng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut pick = (rng.next_u64() % total.max(1) as u64) as u32;
    for (v, w) in table {
        if pick < *w {
            return *v;
        }
        pick -= w;
    }
    table[0].0
}

fn day(now: DateTime<Utc>, date: NaiveDate, rng: &mut Rng) -> DateTime<Utc> {
    let at = date.and_hms_opt(9 + rng.below(8) as u32, rng.below(60) as u32, 0).map(|t| t.and_utc()).unwrap_or(now);
    at.min(now)
}

struct Person {
    model: young_person::ActiveModel,
    id: Uuid,
    org: usize,
    dob: NaiveDate,
    gender: Gender,
    aces: Vec<AceAnswer>,
    risks: Vec<RiskIndicator>,
    legal_name: String,
}

/// Seeds the referrals; returns how many.
pub async fn seed<C: ConnectionTrait>(
    conn: &C,
    keys: &Keys,
    rng: &mut Rng,
    charities: &[Charity],
    now: DateTime<Utc>,
    scale: usize,
) -> Result<usize, DbErr> {
    let seal = |table: &str, column: &str, id: &Uuid, text: &str| {
        keys.fields.seal(table, column, id, text).map_err(|e| DbErr::Custom(e.to_string()))
    };
    let today = now.date_naive();
    let total_weight: usize = charities.iter().map(|c| c.weight).sum();
    let mut count = 0;
    let mut people: Vec<Person> = Vec::new();
    for n in 0..PER_SCALE * scale {
        // The charity, by weight; a district it covers.
        let mut pick = rng.below(total_weight);
        let org = charities
            .iter()
            .position(|c| {
                if pick < c.weight {
                    true
                } else {
                    pick -= c.weight;
                    false
                }
            })
            .unwrap_or(0);
        let district = *rng.pick(charities[org].districts);
        let received_on = today - Duration::days(rng.below(3 * 365) as i64);
        // Mostly 13–17; a few just outside 11–24, who are not eligible.
        let age = match rng.below(100) {
            0..=1 => 10,
            2..=3 => 25,
            4..=14 => 11 + rng.below(2),
            15..=74 => 13 + rng.below(5),
            _ => 18 + rng.below(7),
        } as i64;
        let dob = received_on - Duration::days(age * 365 + (age / 4) + rng.below(360) as i64);
        let gender = match rng.below(100) {
            0..=94 => Gender::Female,
            95..=97 => Gender::TransFemale,
            _ => Gender::NonBinary,
        };
        let ace_n = [3, 4, 4, 5, 5, 5, 6, 6, 7, 8, 9][rng.below(11)];
        let mut cats = AceCategory::ALL.to_vec();
        let mut aces = Vec::new();
        for _ in 0..ace_n {
            let c = cats.remove(rng.below(cats.len()));
            let source = if rng.below(2) == 0 { AceSource::Referrer } else { AceSource::SelfReport };
            aces.push(AceAnswer { category: c, answer: true, source, recorded_on: received_on });
        }
        let mut risk_pool = RiskIndicator::ALL.to_vec();
        let risk_n = if rng.below(40) == 0 { 0 } else { 1 + rng.below(4) };
        let risks: Vec<RiskIndicator> = (0..risk_n).map(|_| risk_pool.remove(rng.below(risk_pool.len()))).collect();
        let mut consents = Vec::new();
        if rng.below(10) > 0 {
            for kind in [ConsentKind::Participation, ConsentKind::InformationSharing] {
                consents.push(Consent {
                    kind,
                    given_by: ConsentGivenBy::YoungPerson,
                    method: ConsentMethod::Written,
                    recorded_on: received_on,
                });
            }
            if age < 16 && rng.below(5) > 0 {
                consents.push(Consent {
                    kind: ConsentKind::Participation,
                    given_by: ConsentGivenBy::ParentCarer,
                    method: ConsentMethod::Verbal,
                    recorded_on: received_on,
                });
            }
        }
        let legal_name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
        let id = Uuid::now_v7();
        let decile = match rng.below(10) {
            0..=3 => 1,
            4..=5 => 2,
            6 => 3,
            _ => 4 + rng.below(7),
        } as i16;
        let postcode = format!(
            "ZZ{} {}{}{}",
            1 + rng.below(9),
            rng.below(10),
            (b'A' + rng.below(26) as u8) as char,
            (b'A' + rng.below(26) as u8) as char
        );
        let created = day(now, received_on, rng);
        let model = young_person::ActiveModel {
            id: Set(id),
            organisation_id: Set(charities[org].id),
            legal_name: Set(legal_name.clone()),
            preferred_name: Set(legal_name.split(' ').next().unwrap_or("").to_string()),
            name_key: Set(rules::name_key(&legal_name)),
            date_of_birth: Set(dob),
            gender: Set(gender),
            gender_identity: Set(None),
            ethnicity: Set(weighted(rng, ETHNICITIES)),
            postcode: Set(postcode),
            district: Set(district.to_string()),
            lsoa_code: Set(Some(format!("E01{:06}", 20000 + rng.below(5000)))),
            imd_decile: Set(Some(decile)),
            iod_edition: Set(Some(if received_on.year() >= 2026 { IodEdition::Iod2025 } else { IodEdition::Iod2019 })),
            contact_details: Set(Some(seal("young_people", "contact_details", &id, &format!("Mobile 07700 900{:03}", rng.below(1000)))?)),
            parent_carer_contact: Set(if age < 18 {
                Some(seal("young_people", "parent_carer_contact", &id, "Carer: 01632 960 000")?)
            } else {
                None
            }),
            education_status: Set(if age < 16 {
                EducationStatus::InSchool
            } else if age < 18 {
                EducationStatus::InCollege
            } else if rng.below(3) == 0 {
                EducationStatus::Neet
            } else {
                EducationStatus::Employed
            }),
            care_status: Set([
                CareStatus::None,
                CareStatus::None,
                CareStatus::ChildInNeed,
                CareStatus::LookedAfter,
                CareStatus::ChildProtectionPlan,
                CareStatus::CareLeaver,
            ][rng.below(6)]),
            send: Set(rng.below(5) == 0),
            aces: Set(super::typed(aces.clone())?),
            ace_count: Set(rules::ace_count(&aces) as i16),
            risk_indicators: Set(super::typed(risks.clone())?),
            consents: Set(super::typed(consents.clone())?),
            gillick_competent: Set(None),
            interests: Set(super::typed(vec![
                rng.pick::<&str>(super::mentors::INTERESTS).to_string(),
                rng.pick::<&str>(super::mentors::INTERESTS).to_string(),
            ])?),
            languages: Set(super::typed(if rng.below(6) == 0 {
                vec!["English".to_string(), rng.pick::<&str>(super::mentors::LANGUAGES).to_string()]
            } else {
                vec!["English".to_string()]
            })?),
            availability: Set(super::typed(vec![
                super::slot(rng.pick::<&str>(super::mentors::DAYS), "afternoon")?,
                super::slot(rng.pick::<&str>(super::mentors::DAYS), "evening")?,
            ])?),
            mentor_preferences: Set(super::typed(match rng.below(5) {
                2 => vec![MentorPreference::LivedExperience],
                3 => vec![MentorPreference::SharedInterests],
                4 => vec![MentorPreference::SameDistrict],
                _ => vec![],
            })?),
            safeguarding_flag: Set(SafeguardingFlag::Green),
            merged_into: Set(None),
            version: Set(1),
            created_at: Set(created),
            updated_at: Set(created),
        };
        let _ = n;
        people.push(Person { model, id, org, dob, gender, aces, risks, legal_name });
    }
    // A few possible duplicates: the same girl referred again, to another charity.
    let dupes = 4 * scale;
    let mut flags = Vec::new();
    for k in 0..dupes.min(people.len()) {
        let original = &people[k * 7 % people.len()];
        let other_org = (original.org + 1 + rng.below(charities.len() - 1)) % charities.len();
        let id = Uuid::now_v7();
        let mut model = original.model.clone();
        model.id = Set(id);
        model.organisation_id = Set(charities[other_org].id);
        model.contact_details = Set(Some(seal("young_people", "contact_details", &id, "Mobile 07700 900999")?));
        model.parent_carer_contact = Set(None);
        flags.push((id, original.id));
        let (dob, gender, aces, risks, legal_name) =
            (original.dob, original.gender, original.aces.clone(), original.risks.clone(), original.legal_name.clone());
        people.push(Person { model, id, org: other_org, dob, gender, aces, risks, legal_name });
    }

    for p in &people {
        p.model.clone().insert(conn).await?;
    }
    for (a, b) in flags {
        duplicate_flag::ActiveModel {
            id: Set(Uuid::now_v7()),
            young_person_id: Set(a),
            match_id: Set(b),
            status: Set(DuplicateStatus::Open),
            created_at: Set(now),
            resolved_at: Set(None),
            resolved_by: Set(None),
        }
        .insert(conn)
        .await?;
    }

    for p in &people {
        let charity = &charities[p.org];
        let received_on = match &p.model.created_at {
            sea_orm::ActiveValue::Set(t) => t.date_naive(),
            _ => today,
        };
        let e = rules::eligibility(&EligibilityInput {
            date_of_birth: p.dob,
            received_on,
            gender: p.gender,
            aces: &p.aces,
            risk_indicators: &p.risks,
        });
        let days_ago = (today - received_on).num_days();
        // The path this referral took, by how long ago it arrived.
        let mut path = vec![Status::Received];
        let roll = rng.below(100);
        if days_ago > 10 {
            path.push(Status::Screening);
        }
        if days_ago > 30 {
            if !e.eligible || roll < 10 {
                path.push(Status::Declined);
            } else if roll < 16 && days_ago < 200 {
                path.push(Status::Waitlisted);
            } else {
                if roll < 22 {
                    path.push(Status::Waitlisted);
                }
                path.push(Status::Accepted);
                if days_ago > 60 {
                    path.push(Status::Matched);
                }
                if days_ago > 75 {
                    path.push(Status::Active);
                }
                if days_ago > 270 && roll < 85 {
                    path.push(Status::Closed);
                }
            }
        }
        let id = Uuid::now_v7();
        let status = *path.last().unwrap_or(&Status::Received);
        let closure = (status == Status::Closed).then(|| weighted(rng, CLOSURES));
        let referrer = serde_json::json!({"name": format!("{} {}", rng.pick(FIRST), rng.pick(LAST)), "organisation": "Referring agency", "contact": "01632 960 123"}).to_string();
        let decided = path.iter().any(|s| matches!(s, Status::Accepted | Status::Declined | Status::Waitlisted));
        let decided_on = decided.then(|| received_on + Duration::days(7 + rng.below(20) as i64)).map(|d| d.min(today));
        let created = day(now, received_on, rng);
        referral::ActiveModel {
            id: Set(id),
            young_person_id: Set(p.id),
            organisation_id: Set(charity.id),
            received_on: Set(received_on),
            source_type: Set(weighted(rng, SOURCES)),
            referrer: Set(seal("referrals", "referrer", &id, &referrer)?),
            reasons: Set(seal("referrals", "reasons", &id, rng.pick::<&str>(REASONS))?),
            status: Set(status),
            eligible: Set(e.eligible),
            eligibility_reasons: Set(super::typed(e.reasons.clone())?),
            eligibility_override: Set(None),
            consent_override: Set(if path.contains(&Status::Accepted) && rng.below(10) == 0 {
                Some(seal(
                    "referrals",
                    "consent_override",
                    &id,
                    "Verbal consent by phone; written consent to follow at the first meeting.",
                )?)
            } else {
                None
            }),
            decline_reason: Set(if status == Status::Declined {
                Some(seal(
                    "referrals",
                    "decline_reason",
                    &id,
                    if e.eligible { "Already well supported by another service." } else { "Outside the programme's criteria." },
                )?)
            } else {
                None
            }),
            closure_reason: Set(closure),
            decided_on: Set(decided_on),
            reopened_from: Set(None),
            version: Set(path.len() as i32),
            created_at: Set(created),
            updated_at: Set(created),
        }
        .insert(conn)
        .await?;
        let mut at = created;
        let mut from = None;
        for (step, s) in path.iter().enumerate() {
            if step > 0 {
                at = (at + Duration::days(3 + rng.below(25) as i64)).min(now);
            }
            let tid = Uuid::now_v7();
            let reason = match s {
                Status::Declined => Some(seal("referral_transitions", "reason", &tid, "Decided at the weekly referrals meeting.")?),
                Status::Closed => Some(seal("referral_transitions", "reason", &tid, "Ending agreed and an exit conversation held.")?),
                _ => None,
            };
            referral_transition::ActiveModel {
                id: Set(tid),
                referral_id: Set(id),
                organisation_id: Set(charity.id),
                from_status: Set(from),
                to_status: Set(*s),
                reason: Set(reason),
                actor_id: Set(charity.coordinator),
                at: Set(at),
            }
            .insert(conn)
            .await?;
            from = Some(*s);
        }
        for k in 0..1 + rng.below(3) {
            let nid = Uuid::now_v7();
            let at = (created + Duration::days(2 + 10 * k as i64)).min(now);
            case_note::ActiveModel {
                id: Set(nid),
                young_person_id: Set(p.id),
                organisation_id: Set(charity.id),
                author_id: Set(charity.coordinator),
                body: Set(seal("case_notes", "body", &nid, rng.pick::<&str>(NOTES))?),
                corrects: Set(None),
                created_at: Set(at),
            }
            .insert(conn)
            .await?;
        }
        count += 1;
    }
    Ok(count)
}
