//! The audit trail: one append-only table. Events are written in the same transaction as
//! the change they record, by the write unit (`access::Write`) that makes the change; a single background sequencer seals them, in order, into a
//! SHA-256 hash chain (`hash = SHA-256(prev_hash || canonical event)`) so that any later
//! edit or deletion is detectable by `trellis audit verify`.

pub mod chain;
pub mod routes;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};
use uuid::Uuid;

use crate::entities::json::JsonText;
use crate::entities::{audit_event, audit_event_subject};
use crate::http::context;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// Who did it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Uuid,
    pub role: String,
    pub organisation_id: Uuid,
}

/// What was done, to what. `detail` must never hold personal data: ids, counts and codes only.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<Uuid>,
    pub resource_organisation_id: Option<Uuid>,
    pub outcome: Outcome,
    pub detail: serde_json::Value,
    /// The young people it is about (her record, or any record about her, or a list or
    /// export that showed her).
    pub subjects: Vec<Uuid>,
}

impl Event {
    pub fn new(action: &'static str, resource_type: &'static str) -> Self {
        Self {
            action,
            resource_type,
            resource_id: None,
            resource_organisation_id: None,
            outcome: Outcome::Allowed,
            detail: serde_json::Value::Object(Default::default()),
            subjects: Vec::new(),
        }
    }

    pub fn resource(mut self, id: Uuid, organisation_id: Option<Uuid>) -> Self {
        self.resource_id = Some(id);
        self.resource_organisation_id = organisation_id;
        self
    }

    /// The young person the event is about.
    pub fn about(mut self, young_person_id: Uuid) -> Self {
        self.subjects.push(young_person_id);
        self
    }

    /// The young people the event is about (a list view, an export).
    pub fn about_all(mut self, young_people: impl IntoIterator<Item = Uuid>) -> Self {
        self.subjects.extend(young_people);
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

const SUBJECTS_PER_INSERT: usize = 1000;

/// Appends an event on `conn`. Only the write unit calls this (clippy refuses it elsewhere),
/// so the event commits or rolls back with the change it records.
pub async fn record<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>, actor: Option<&Actor>, mut event: Event) -> Result<(), DbErr> {
    let ctx = context::current();
    let non_empty = |s: String| if s.is_empty() { None } else { Some(s) };
    let id = Uuid::now_v7();
    // An event whose resource is her record is about her.
    if let ("young_person", Some(yp)) = (event.resource_type, event.resource_id) {
        event.subjects.push(yp);
    }
    event.subjects.sort();
    event.subjects.dedup();
    let subjects =
        if event.subjects.is_empty() { None } else { Some(event.subjects.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")) };
    audit_event::ActiveModel {
        id: Set(id),
        seq: Set(None),
        // Microseconds: what PostgreSQL keeps, so the sealed hash is the same on both databases.
        occurred_at: Set(now.trunc_subsecs(6)),
        actor_id: Set(actor.map(|a| a.id)),
        actor_role: Set(actor.map(|a| a.role.clone())),
        actor_organisation_id: Set(actor.map(|a| a.organisation_id)),
        action: Set(event.action.to_string()),
        resource_type: Set(event.resource_type.to_string()),
        resource_id: Set(event.resource_id),
        resource_organisation_id: Set(event.resource_organisation_id),
        outcome: Set(event.outcome.as_str().to_string()),
        request_id: Set(non_empty(ctx.request_id)),
        client_address: Set(non_empty(ctx.client_addr)),
        detail: Set(JsonText::new(event.detail).map_err(|e| DbErr::Custom(e.to_string()))?),
        prev_hash: Set(None),
        hash: Set(None),
        subjects: Set(subjects),
    }
    .insert(conn)
    .await?;
    // An export names every young person it included: inserted in chunks, within the
    // databases' bound-parameter limits.
    for chunk in event.subjects.chunks(SUBJECTS_PER_INSERT) {
        audit_event_subject::Entity::insert_many(
            chunk.iter().map(|y| audit_event_subject::ActiveModel { young_person_id: Set(*y), event_id: Set(id) }),
        )
        .exec(conn)
        .await?;
    }
    Ok(())
}
