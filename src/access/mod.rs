//! The access door: every handler reaches a record, and every policy decision is taken,
//! through this module. It asks the Cedar policies (`authz`), audits every refusal, and
//! shows a refusal as 403 or, where 403 would confirm that a record exists, as 404.
//!
//! Each permission granted while a create runs is kept (see [`granted_during`]) so that
//! a replay of its `Idempotency-Key` is asked again, of the records as they are now
//! ([`reauthorize`]), and answered only if a new request would be allowed.

pub mod ownership;
pub mod scope;
pub mod write;

pub use write::Write;

use std::sync::{Arc, Mutex};

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::{Event, Outcome};
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource, Value};
use crate::entities::{
    concern, evaluation_project, matching, mentor_profile, mentoring_session, organisation, referral, user, young_person,
};
use crate::error::ApiError;
use crate::state::AppState;

/// Statuses of a match in which the mentor works with her mentee: the match is open to her.
pub const WORKING: &[matching::MatchStatus] =
    &[matching::MatchStatus::Introduced, matching::MatchStatus::Active, matching::MatchStatus::Paused];

/// Whether `mentor_id` mentors `young_person_id` now (a match introduced, active or paused).
pub async fn mentor_of<C: ConnectionTrait>(conn: &C, mentor_id: Uuid, young_person_id: Uuid) -> Result<bool, DbErr> {
    let n = matching::Entity::find()
        .filter(matching::Column::MentorId.eq(mentor_id))
        .filter(matching::Column::YoungPersonId.eq(young_person_id))
        .filter(matching::Column::Status.is_in(WORKING.iter().copied()))
        .count(conn)
        .await?;
    Ok(n > 0)
}

/// A permission the policies granted during a request: what was asked, of what, in what
/// context.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub action: Action,
    pub resource: Resource,
    pub context: Vec<(String, Value)>,
}

tokio::task_local! {
    static GRANTS: Arc<Mutex<Vec<Grant>>>;
}

/// Runs `f`, collecting every permission granted while it runs.
pub async fn granted_during<F: Future>(f: F) -> (F::Output, Vec<Grant>) {
    let cell = Arc::new(Mutex::new(Vec::new()));
    let out = GRANTS.scope(cell.clone(), f).await;
    let grants = cell.lock().map(|g| g.clone()).unwrap_or_default();
    (out, grants)
}

/// Records that a replay must also be allowed `action` on `resource` (a record the request
/// created): a create is granted on the charity, but its answer shows the record itself, so
/// a replay after the record moved away must be refused.
pub fn replay_needs(action: Action, resource: &Resource) {
    note_grant(action, resource, &[]);
}

/// Checks, inside a write transaction and with the row locked (FOR UPDATE on PostgreSQL;
/// SQLite's write lock already serialises writers), that `resource` is still held where the
/// caller was authorized to act: an allocation or merge committed meanwhile is a 409, so a
/// write never lands with the charity she has just left.
pub async fn still_held<C: ConnectionTrait>(conn: &C, resource: &Resource) -> Result<(), ApiError> {
    let moved = || ApiError::conflict("Her record moved to another charity while this was being done; read it again.");
    let held = match resource {
        Resource::Match { id, organisation_id, mentor_id, .. } => matching::Entity::find_by_id(*id)
            .lock_exclusive()
            .one(conn)
            .await?
            .is_some_and(|m| m.organisation_id == *organisation_id && m.mentor_id == *mentor_id),
        Resource::Referral { id, organisation_id } => {
            referral::Entity::find_by_id(*id).lock_exclusive().one(conn).await?.is_some_and(|r| r.organisation_id == *organisation_id)
        }
        Resource::Concern { id, organisation_id, .. } => {
            concern::Entity::find_by_id(*id).lock_exclusive().one(conn).await?.is_some_and(|c| c.organisation_id == *organisation_id)
        }
        Resource::YoungPerson { id, organisation_id } => young_person::Entity::find_by_id(*id)
            .lock_exclusive()
            .one(conn)
            .await?
            .is_some_and(|y| y.organisation_id == *organisation_id && y.merged_into.is_none()),
        _ => true,
    };
    if held { Ok(()) } else { Err(moved()) }
}

fn note_grant(action: Action, resource: &Resource, context: &[(&str, Value)]) {
    let _ = GRANTS.try_with(|cell| {
        if let Ok(mut g) = cell.lock() {
            g.push(Grant {
                action,
                resource: resource.clone(),
                context: context.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            });
        }
    });
}

/// `resource` as it is now in the database (its charity, its mentor), with the young person
/// it is about; `None` when it no longer exists.
pub async fn refresh<C: ConnectionTrait>(conn: &C, resource: &Resource) -> Result<Option<(Resource, Option<Uuid>)>, DbErr> {
    Ok(match resource {
        Resource::Programme | Resource::AuditTrail => Some((resource.clone(), None)),
        Resource::Organisation(id) => organisation::Entity::find_by_id(*id).one(conn).await?.map(|o| (Resource::Organisation(o.id), None)),
        Resource::User { id, .. } => user::Entity::find_by_id(*id)
            .one(conn)
            .await?
            .map(|u| (Resource::User { id: u.id, role: u.role.as_str().to_string(), organisation_id: u.organisation_id }, None)),
        Resource::YoungPerson { id, .. } => young_person::Entity::find_by_id(*id)
            .one(conn)
            .await?
            .map(|y| (Resource::YoungPerson { id: y.id, organisation_id: y.organisation_id }, Some(y.id))),
        Resource::Referral { id, .. } => referral::Entity::find_by_id(*id)
            .one(conn)
            .await?
            .map(|r| (Resource::Referral { id: r.id, organisation_id: r.organisation_id }, Some(r.young_person_id))),
        Resource::Mentor { id, .. } => mentor_profile::Entity::find_by_id(*id)
            .one(conn)
            .await?
            .map(|m| (Resource::Mentor { id: m.user_id, organisation_id: m.organisation_id }, None)),
        Resource::Match { id, .. } => matching::Entity::find_by_id(*id).one(conn).await?.map(|m| {
            (
                Resource::Match {
                    id: m.id,
                    organisation_id: m.organisation_id,
                    mentor_id: m.mentor_id,
                    open: m.status != matching::MatchStatus::Ended,
                },
                Some(m.young_person_id),
            )
        }),
        Resource::MentoringSession { id, .. } => mentoring_session::Entity::find_by_id(*id).one(conn).await?.map(|m| {
            (Resource::MentoringSession { id: m.id, organisation_id: m.organisation_id, mentor_id: m.mentor_id }, Some(m.young_person_id))
        }),
        Resource::Concern { id, .. } => concern::Entity::find_by_id(*id)
            .one(conn)
            .await?
            .map(|c| (Resource::Concern { id: c.id, organisation_id: c.organisation_id, raised_by: c.raised_by }, Some(c.young_person_id))),
        // A project is about no young person; whether it runs depends on the day, which the
        // request that asks about it works out (`projects::service::resource`).
        Resource::EvaluationProject { id, .. } => {
            evaluation_project::Entity::find_by_id(*id).one(conn).await?.map(|_| (resource.clone(), None))
        }
    })
}

/// Asks again, of the records as they are now, every permission a request was granted: the
/// test a replayed `Idempotency-Key` must pass. A context value that follows from the
/// records (whether she mentors the young person now, whether the match is active) is worked
/// out again; the others came from the request, which is the same. A refusal is audited and
/// answered 404. Returns the young people the request was about.
pub async fn reauthorize(state: &AppState, me: &CurrentUser, grants: &[Grant]) -> Result<Vec<Uuid>, ApiError> {
    let mut subjects = Vec::new();
    for g in grants {
        let Some((resource, about)) = refresh(&state.db, &g.resource).await? else {
            return Err(ApiError::NotFound);
        };
        subjects.extend(about);
        let mut context = Vec::with_capacity(g.context.len());
        for (k, v) in &g.context {
            let now = match (k.as_str(), &resource) {
                // Whether she mentors the young person the record is about, now.
                ("mentor_of", _) => match about {
                    Some(yp) => Value::Bool(mentor_of(&state.db, me.id(), yp).await?),
                    None => Value::Bool(false),
                },
                ("match_active", Resource::Match { id, .. }) => {
                    let m = matching::Entity::find_by_id(*id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
                    Value::Bool(m.status == matching::MatchStatus::Active)
                }
                _ => v.clone(),
            };
            context.push((k.as_str(), now));
        }
        state.authorize_as(me, g.action, &resource, &context, Deny::NotFound).await?;
    }
    subjects.sort();
    subjects.dedup();
    Ok(subjects)
}

impl AppState {
    /// Records a read (outside any write): who looked at what, and whom it is about.
    pub async fn audit_read(&self, me: &CurrentUser, event: Event) -> Result<(), ApiError> {
        self.audit_alone(Some(me.actor()), event).await
    }

    /// The rows of a list page that the policies let `me` take `action` on. The list's query
    /// is already narrowed in SQL to her scope; this proves each row against the policies
    /// themselves, so a list can never show more than a read of the row would, even under
    /// replaced policies.
    pub fn visible<T>(&self, me: &CurrentUser, action: Action, rows: Vec<T>, resource: impl Fn(&T) -> Resource) -> Vec<T> {
        rows.into_iter().filter(|r| self.allows(me, action, &resource(r), &[])).collect()
    }
}

/// Records one event for a list view: the ids of the records it showed, and the young
/// people they are about (so the list shows in "who has seen her record").
pub async fn audit_list(
    state: &AppState,
    me: &CurrentUser,
    action: &'static str,
    kind: &'static str,
    ids: impl Iterator<Item = Uuid>,
    about: impl IntoIterator<Item = Uuid>,
) -> Result<(), ApiError> {
    let ids: Vec<String> = ids.map(|i| i.to_string()).collect();
    let event = Event::new(action, kind).about_all(about).detail(serde_json::json!({"count": ids.len(), "ids": ids}));
    state.audit_alone(Some(me.actor()), event).await
}

/// How a refusal is shown: 403, or 404 where 403 would confirm that a record exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deny {
    Forbidden,
    NotFound,
}

impl AppState {
    /// The policies' answer where it chooses what is shown rather than refusing the request
    /// (which view of a concern, whether a mentee's record links through). Nothing is refused,
    /// so nothing is audited; a refusal goes through [`authorize_as`](Self::authorize_as).
    /// The only place the policies are asked: clippy refuses `Authz::is_allowed` elsewhere.
    #[allow(clippy::disallowed_methods)]
    pub fn allows(&self, me: &CurrentUser, action: Action, resource: &Resource, context: &[(&str, Value)]) -> bool {
        self.authz.is_allowed(&me.principal(), action, resource, context)
    }

    /// The one authorization question, answered 403 on refusal. See [`authorize_as`](Self::authorize_as).
    pub async fn authorize(
        &self,
        me: &CurrentUser,
        action: Action,
        resource: &Resource,
        context: &[(&str, Value)],
    ) -> Result<(), ApiError> {
        self.authorize_as(me, action, resource, context, Deny::Forbidden).await
    }

    /// Asks the policies whether `me` may take `action` on `resource`. A refusal is audited
    /// (in its own transaction: the request's will roll back) and answered as `deny` says.
    pub async fn authorize_as(
        &self,
        me: &CurrentUser,
        action: Action,
        resource: &Resource,
        context: &[(&str, Value)],
        deny: Deny,
    ) -> Result<(), ApiError> {
        if self.allows(me, action, resource, context) {
            note_grant(action, resource, context);
            return Ok(());
        }
        let (kind, id, org) = match resource {
            Resource::Programme => ("programme", None, None),
            Resource::AuditTrail => ("audit_trail", None, None),
            Resource::Organisation(id) => ("organisation", Some(*id), Some(*id)),
            Resource::User { id, organisation_id, .. } => ("user", Some(*id), Some(*organisation_id)),
            Resource::YoungPerson { id, organisation_id } => ("young_person", Some(*id), Some(*organisation_id)),
            Resource::Referral { id, organisation_id } => ("referral", Some(*id), Some(*organisation_id)),
            Resource::Mentor { id, organisation_id } => ("mentor", Some(*id), Some(*organisation_id)),
            Resource::Match { id, organisation_id, .. } => ("match", Some(*id), Some(*organisation_id)),
            Resource::MentoringSession { id, organisation_id, .. } => ("mentoring_session", Some(*id), Some(*organisation_id)),
            Resource::Concern { id, organisation_id, .. } => ("concern", Some(*id), Some(*organisation_id)),
            Resource::EvaluationProject { id, .. } => ("evaluation_project", Some(*id), None),
        };
        let mut event = Event::new("access.denied", kind).outcome(Outcome::Denied).detail(serde_json::json!({"action": action.name()}));
        if let Some(id) = id {
            event = event.resource(id, org);
        }
        // A refused look at a record about her is about her too.
        if let Some((_, Some(about))) = refresh(&self.db, resource).await? {
            event = event.about(about);
        }
        self.audit_alone(Some(me.actor()), event).await?;
        Err(match deny {
            Deny::Forbidden => ApiError::Forbidden,
            Deny::NotFound => ApiError::NotFound,
        })
    }
}
