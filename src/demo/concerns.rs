//! Demo safeguarding concerns: one for each of up to thirty matches that have begun, raised by
//! the mentor, across every category and every status (some still raised and overdue, some
//! referred to the MASH with a reference, some with addenda), with the outbox alerts raising
//! them produced and the young people's flags following.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::crypto::Keys;
use crate::entities::{concern, concern_entry, matching, user};
use crate::safeguarding::rules::{Category, ConcernStatus, ConsentBasis, Decision, EntryKind, SignOffOutcome};

const MAX: usize = 30;
const WORDS: &[&str] = &[
    "She said an older lad had given her a new phone and asked her to hold a bag for him.",
    "She was not at the usual meeting place and her carer said she had not been home overnight.",
    "She showed me marks on her arm and said she sometimes feels like giving up.",
    "She mentioned shouting at home and that she is scared when her mum's partner drinks.",
    "Someone she met online keeps asking her for photos and to meet up.",
];

fn err(e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(e.to_string())
}

#[allow(clippy::too_many_arguments)]
async fn entry<C: ConnectionTrait>(
    conn: &C,
    keys: &Keys,
    c: &concern::Model,
    kind: EntryKind,
    author: Uuid,
    at: DateTime<Utc>,
    text: Option<&str>,
    decision: Option<(Decision, Option<String>)>,
    outcome: Option<SignOffOutcome>,
) -> Result<(), DbErr> {
    let id = Uuid::now_v7();
    let sealed = text.map(|t| keys.fields.seal("concern_entries", "text", &id, t)).transpose().map_err(err)?;
    let referral = decision.as_ref().and_then(|d| d.1.clone());
    concern_entry::ActiveModel {
        id: Set(id),
        concern_id: Set(c.id),
        organisation_id: Set(c.organisation_id),
        kind: Set(kind),
        author_id: Set(author),
        created_at: Set(at),
        text: Set(sealed),
        decision: Set(decision.as_ref().map(|d| d.0)),
        agency: Set(referral.as_ref().map(|_| "County MASH (children's social care)".to_string())),
        agency_reference: Set(referral),
        consent_basis: Set(decision.as_ref().and_then(|d| d.1.as_ref()).map(|_| ConsentBasis::WithoutConsentRiskOfHarm)),
        outcome: Set(outcome),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn seed<C: ConnectionTrait>(conn: &C, keys: &Keys, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let matches = matching::Entity::find()
        .filter(matching::Column::Status.is_in(["active", "paused", "ended"]))
        .order_by_asc(matching::Column::Id)
        .all(conn)
        .await?;
    let mut n = 0;
    for (i, m) in matches.iter().take(MAX).enumerate() {
        let Some(mentor) = user::Entity::find_by_id(m.mentor_id).one(conn).await? else { continue };
        let Some(dsl) = user::Entity::find()
            .filter(user::Column::OrganisationId.eq(m.organisation_id))
            .filter(user::Column::Role.eq("safeguarding_lead"))
            .order_by_asc(user::Column::Id)
            .one(conn)
            .await?
        else {
            continue;
        };
        let status = ConcernStatus::ALL[i % ConcernStatus::ALL.len()];
        let category = Category::ALL[i % Category::ALL.len()];
        let immediate = i % 7 == 3;
        // Still-raised concerns alternate between overdue (three days old) and fresh.
        let raised_at = match (status, i % 2) {
            (ConcernStatus::Raised, 0) => now - Duration::minutes(20),
            (ConcernStatus::Raised, _) => now - Duration::days(3),
            _ => now - Duration::days(4 + (i % 20) as i64),
        };
        let id = Uuid::now_v7();
        let new = concern::Model {
            id,
            organisation_id: m.organisation_id,
            young_person_id: m.young_person_id,
            raised_by: mentor.id,
            raised_at,
            observed_at: raised_at - Duration::hours(2),
            category,
            what_happened: keys.fields.seal("concerns", "what_happened", &id, WORDS[i % WORDS.len()]).map_err(err)?,
            action_taken: Some(
                keys.fields.seal("concerns", "action_taken", &id, "Told her I would share it to keep her safe.").map_err(err)?,
            ),
            immediate_danger: immediate,
            status,
            acknowledged_at: (status != ConcernStatus::Raised).then(|| raised_at + Duration::minutes(40)),
            closed_at: (status == ConcernStatus::Closed).then(|| raised_at + Duration::days(3)),
        };
        let c = crate::safeguarding::write_concern(conn, raised_at, &mentor.name, new).await.map_err(err)?;
        if i % 3 == 0 {
            entry(
                conn,
                keys,
                &c,
                EntryKind::Addendum,
                mentor.id,
                raised_at + Duration::minutes(30),
                Some("She texted later to say she is safe at her nan's."),
                None,
                None,
            )
            .await?;
        }
        if status != ConcernStatus::Raised {
            entry(
                conn,
                keys,
                &c,
                EntryKind::Acknowledgement,
                dsl.id,
                raised_at + Duration::minutes(40),
                Some("Read and spoke to the mentor."),
                None,
                None,
            )
            .await?;
        }
        match status {
            ConcernStatus::InProgress => {
                entry(
                    conn,
                    keys,
                    &c,
                    EntryKind::Action,
                    dsl.id,
                    raised_at + Duration::days(1),
                    Some("Called her school's DSL."),
                    None,
                    None,
                )
                .await?;
            }
            ConcernStatus::Referred => {
                let reference = format!("MASH-2026-{:04}", 100 + i);
                entry(
                    conn,
                    keys,
                    &c,
                    EntryKind::Decision,
                    dsl.id,
                    raised_at + Duration::days(1),
                    Some("Threshold met."),
                    Some((Decision::MashReferral, Some(reference))),
                    None,
                )
                .await?;
            }
            ConcernStatus::Closed => {
                entry(
                    conn,
                    keys,
                    &c,
                    EntryKind::Decision,
                    dsl.id,
                    raised_at + Duration::days(1),
                    Some("Monitor through mentoring."),
                    Some((Decision::Monitor, None)),
                    None,
                )
                .await?;
                entry(
                    conn,
                    keys,
                    &c,
                    EntryKind::SignOff,
                    dsl.id,
                    raised_at + Duration::days(3),
                    None,
                    None,
                    Some(SignOffOutcome::Resolved),
                )
                .await?;
            }
            _ => {}
        }
        crate::safeguarding::refresh_flag(conn, m.young_person_id).await.map_err(err)?;
        n += 1;
    }
    Ok(n)
}
