//! Demo session logs and support contacts for every match that has begun: a session every one
//! to two weeks up to its end (at most a dozen, the most recent kept), about one in eight
//! missed, a few corrected (with the earlier version kept); support contacts twice in the
//! first month and monthly after, a few months missed. One active match per charity has had
//! no session for three weeks, so the contact-gaps list has something to show.

use std::collections::HashSet;

use chrono::{DateTime, Days, Duration, Months, NaiveDate, NaiveTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::Rng;
use crate::crypto::Keys;
use crate::entities::{matching, mentoring_session as ms, session_version, support_contact as sc};
use crate::sessions::rules::{ActivityTag, ContactMethod, ContactWith, Content, LocationCategory, SessionMode};

const MAX_SESSIONS: usize = 12;
const BATCH: usize = 200;

const SESSION_NOTES: &[&str] = &[
    "Walked by the canal and talked about her week at college.",
    "She was quiet at first but opened up about a falling-out with a friend.",
    "Worked on her CV together; she wants to apply for the hairdressing course.",
    "Cooked pasta at the youth centre kitchen; she was proud of it.",
    "Talked through how to say no when older lads ask her to carry things.",
];
const CONTACT_NOTES: &[&str] = &[
    "Both say the sessions are going well.",
    "Mentor asked for ideas for activities on a low budget.",
    "Young person would like to meet at a different time after school.",
    "Checked in after a missed session; back on track.",
];

fn sealed(keys: &Keys, table: &str, id: &Uuid, text: &str) -> Result<String, DbErr> {
    keys.fields.seal(table, "notes", id, text).map_err(|e| DbErr::Custom(e.to_string()))
}

/// A plausible log of a session on `held_on`.
fn content(rng: &mut Rng, held_on: NaiveDate) -> Content {
    if rng.below(8) == 0 {
        return Content {
            held_on,
            attended: false,
            duration_minutes: None,
            mode: None,
            location_category: None,
            activities: vec![],
            engagement: None,
            mood_before: None,
            mood_after: None,
        };
    }
    let mode = match rng.below(10) {
        0 => SessionMode::Phone,
        1 => SessionMode::Video,
        2 => SessionMode::GroupActivity,
        _ => SessionMode::InPerson,
    };
    let location = match mode {
        SessionMode::Phone | SessionMode::Video => LocationCategory::Remote,
        _ => *rng.pick(&LocationCategory::ALL[..LocationCategory::ALL.len() - 2]),
    };
    let mut activities = vec![ActivityTag::Conversation];
    for _ in 0..rng.below(3) {
        let t = *rng.pick(ActivityTag::ALL);
        if !activities.contains(&t) {
            activities.push(t);
        }
    }
    let before = 2 + rng.below(3) as i16;
    Content {
        held_on,
        attended: true,
        duration_minutes: Some(if mode == SessionMode::Phone { 20 + 10 * rng.below(3) as i16 } else { 45 + 15 * rng.below(7) as i16 }),
        mode: Some(mode),
        location_category: Some(location),
        activities,
        engagement: Some(2 + rng.below(4) as i16),
        mood_before: (rng.below(4) != 0).then_some(before),
        mood_after: (rng.below(4) != 0).then_some((before + rng.below(2) as i16).min(5)),
    }
}

/// `at`: when she logged it; `corrected_at`: when she corrected it, if she did.
fn session_row(
    s: &Content,
    id: Uuid,
    m: &matching::Model,
    notes: Option<String>,
    at: DateTime<Utc>,
    corrected_at: Option<DateTime<Utc>>,
) -> Result<ms::ActiveModel, DbErr> {
    Ok(ms::ActiveModel {
        id: Set(id),
        match_id: Set(m.id),
        organisation_id: Set(m.organisation_id),
        mentor_id: Set(m.mentor_id),
        young_person_id: Set(m.young_person_id),
        held_on: Set(s.held_on),
        attended: Set(s.attended),
        duration_minutes: Set(s.duration_minutes),
        mode: Set(s.mode),
        location_category: Set(s.location_category),
        activities: Set(super::typed(s.activities.clone())?),
        engagement: Set(s.engagement),
        mood_before: Set(s.mood_before),
        mood_after: Set(s.mood_after),
        notes: Set(notes),
        version: Set(if corrected_at.is_some() { 2 } else { 1 }),
        created_by: Set(m.mentor_id),
        created_at: Set(at),
        updated_by: Set(m.mentor_id),
        updated_at: Set(corrected_at.unwrap_or(at)),
    })
}

/// Seeds sessions and support contacts for the matches already seeded; returns how many of each.
pub async fn seed<C: ConnectionTrait>(conn: &C, keys: &Keys, rng: &mut Rng, now: DateTime<Utc>) -> Result<(usize, usize), DbErr> {
    let today = now.date_naive();
    let matches = matching::Entity::find()
        .filter(matching::Column::Status.is_in(["active", "paused", "ended"]))
        .filter(matching::Column::AgreementSignedOn.is_not_null())
        .order_by_asc(matching::Column::Id)
        .all(conn)
        .await?;
    let (mut sessions, mut versions, mut contacts) = (Vec::new(), Vec::new(), Vec::new());
    let mut lapsed: HashSet<Uuid> = HashSet::new();
    for m in &matches {
        let Some(start) = m.agreement_signed_on else { continue };
        let mut end = match m.status.as_str() {
            "ended" => m.ended_on.unwrap_or(today),
            "paused" => (start + Days::new(30)).min(today),
            _ => today,
        };
        // The first long-running active match of each charity has lapsed: no session in three weeks.
        if m.status == crate::entities::matching::MatchStatus::Active && start + Days::new(60) < today && lapsed.insert(m.organisation_id) {
            end = today - Days::new(21);
        }
        let mut days = Vec::new();
        let mut on = end - Days::new(rng.below(4) as u64);
        while on >= start && days.len() < MAX_SESSIONS {
            days.push(on);
            on = on - Days::new(7 + rng.below(7) as u64);
        }
        days.reverse();
        for held_on in days {
            let c = content(rng, held_on);
            let id = Uuid::now_v7();
            let at = (held_on.and_time(NaiveTime::MIN).and_utc() + Duration::hours(19)).min(now);
            let notes =
                if rng.below(3) == 0 { Some(sealed(keys, "mentoring_sessions", &id, rng.pick::<&str>(SESSION_NOTES))?) } else { None };
            // Now and then she corrected the length the next day: the first log is kept.
            let corrected = c.attended && rng.below(9) == 0;
            if corrected {
                let mut first = c.clone();
                first.duration_minutes = c.duration_minutes.map(|d| (d + 30).min(600));
                let vid = Uuid::now_v7();
                let first_notes = match &notes {
                    Some(n) => Some(sealed(
                        keys,
                        "session_versions",
                        &vid,
                        &keys.fields.open("mentoring_sessions", "notes", &id, n).map_err(|e| DbErr::Custom(e.to_string()))?,
                    )?),
                    None => None,
                };
                versions.push(session_version::ActiveModel {
                    id: Set(vid),
                    session_id: Set(id),
                    version: Set(1),
                    content: Set(crate::sessions::service::stored_version(first, first_notes).map_err(|e| DbErr::Custom(e.to_string()))?),
                    recorded_by: Set(m.mentor_id),
                    recorded_at: Set(at),
                });
            }
            sessions.push(session_row(&c, id, m, notes, at, corrected.then(|| (at + Duration::hours(26)).min(now)))?);
        }
        // Support contacts: twice in the first month, then monthly, one month in six missed.
        // They go on while a match is paused, and stop when it ends.
        let last = m.ended_on.unwrap_or(today).min(today);
        let mut dates = vec![start + Days::new(2 + rng.below(5) as u64), start + Days::new(14 + rng.below(12) as u64)];
        for month in 1..36u32 {
            let Some(d) = start.checked_add_months(Months::new(month)) else { break };
            if d > last {
                break;
            }
            if rng.below(6) != 0 {
                dates.push(d + Days::new(rng.below(10) as u64));
            }
        }
        for (k, contact_on) in dates.into_iter().filter(|d| *d <= last).enumerate() {
            let id = Uuid::now_v7();
            let with = ContactWith::ALL[k % ContactWith::ALL.len()];
            let method = *rng.pick(ContactMethod::ALL);
            let notes =
                if rng.below(3) == 0 { Some(sealed(keys, "support_contacts", &id, rng.pick::<&str>(CONTACT_NOTES))?) } else { None };
            contacts.push(sc::ActiveModel {
                id: Set(id),
                match_id: Set(m.id),
                organisation_id: Set(m.organisation_id),
                contact_with: Set(with),
                contact_on: Set(contact_on),
                method: Set(method),
                notes: Set(notes),
                recorded_by: Set(m.created_by),
                recorded_at: Set((contact_on.and_time(NaiveTime::MIN).and_utc() + Duration::hours(12)).min(now)),
            });
        }
    }
    let counts = (sessions.len(), contacts.len());
    while !sessions.is_empty() {
        let rest = sessions.split_off(sessions.len().min(BATCH));
        ms::Entity::insert_many(std::mem::replace(&mut sessions, rest)).exec(conn).await?;
    }
    while !versions.is_empty() {
        let rest = versions.split_off(versions.len().min(BATCH));
        session_version::Entity::insert_many(std::mem::replace(&mut versions, rest)).exec(conn).await?;
    }
    while !contacts.is_empty() {
        let rest = contacts.split_off(contacts.len().min(BATCH));
        sc::Entity::insert_many(std::mem::replace(&mut contacts, rest)).exec(conn).await?;
    }
    Ok(counts)
}
