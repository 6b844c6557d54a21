//! The transactional outbox. A message is written with `enqueue` in the same transaction as
//! the change that causes it (a concern and its alert commit or roll back together), and a
//! background worker delivers it afterwards, retrying until it is sent, so a restart between
//! writing and sending loses nothing. Messages never carry narrative content.

pub mod delivery;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use uuid::Uuid;

use crate::entities::outbox_message;

/// A message to one staff account.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// What caused it, e.g. `safeguarding.concern_raised`.
    pub kind: &'static str,
    pub organisation_id: Option<Uuid>,
    pub recipient_id: Uuid,
    pub subject: String,
    pub body: String,
}

/// Writes a message for delivery, in the caller's transaction; due at once.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>, msg: NewMessage) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    outbox_message::ActiveModel {
        id: Set(id),
        kind: Set(msg.kind.to_string()),
        organisation_id: Set(msg.organisation_id),
        recipient_id: Set(msg.recipient_id),
        subject: Set(msg.subject),
        body: Set(msg.body),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        sent_at: Set(None),
        channel: Set(None),
        last_error: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}
