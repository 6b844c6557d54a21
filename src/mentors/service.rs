//! Mentors as the rest of the service needs them: loading one through the access door, her
//! compliance (checks, training, the mandatory courses) worked out from her records, names,
//! and the training catalogue. No HTTP here; routes and other capabilities call these.

use super::rules::{self, Check, CourseState};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::db::ID_CHUNK;
use crate::entities::{mentor_check, mentor_profile, training_course, training_record, user};
use crate::error::ApiError;
use crate::{access::Deny, state::AppState};
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;
use uuid::Uuid;

pub const TABLE: &str = "mentor_profiles";

pub fn resource(p: &mentor_profile::Model) -> Resource {
    Resource::Mentor { id: p.user_id, organisation_id: p.organisation_id }
}

/// Loads a mentor the caller may read (404 otherwise), then checks `action` (403).
pub async fn load(state: &AppState, me: &CurrentUser, id: Uuid, action: Action) -> Result<mentor_profile::Model, ApiError> {
    let p = mentor_profile::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    state.authorize_as(me, Action::MentorsRead, &resource(&p), &[], Deny::NotFound).await?;
    if action != Action::MentorsRead {
        state.authorize_as(me, action, &resource(&p), &[], Deny::Forbidden).await?;
    }
    Ok(p)
}

pub async fn checks_of<C: ConnectionTrait>(conn: &C, mentor: Uuid) -> Result<Vec<mentor_check::Model>, ApiError> {
    Ok(mentor_check::Entity::find()
        .filter(mentor_check::Column::MentorId.eq(mentor))
        .order_by_asc(mentor_check::Column::Id)
        .all(conn)
        .await?)
}

/// Her compliance on `on`, from her check and training records and the mandatory courses
/// (plain data: the list route loads these for every mentor at once).
pub fn assess(
    state: &AppState,
    p: &mentor_profile::Model,
    checks: &[&mentor_check::Model],
    records: &[&training_record::Model],
    mandatory: &[training_course::Model],
    on: NaiveDate,
) -> Result<rules::Compliance, ApiError> {
    let checks: Vec<Check> = checks
        .iter()
        .map(|c| {
            Ok(Check {
                id: c.id,
                kind: c.kind,
                completed_on: c.completed_on,
                satisfactory: c.outcome == "satisfactory" || c.outcome == "clear" || c.outcome == "information_disclosed",
                dbs: check_detail(c, "dbs")?,
                supersedes: c.supersedes,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let courses: Vec<CourseState> = mandatory
        .iter()
        .map(|c| CourseState {
            name: c.name.clone(),
            validity_months: c.validity_months,
            completed_on: records.iter().filter(|r| r.course_id == c.id && r.completed_on <= on).map(|r| r.completed_on).max(),
        })
        .collect();
    let status = p.status;
    Ok(rules::compliance(status, &checks, &courses, on, state.config.dbs_max_age_years))
}

pub const CHECKS: &str = "mentor_checks";

/// One part (`dbs`, `reference`) of a check's stored details, if it has it: details that do
/// not parse are an error naming the check, never a missing certificate.
pub fn check_detail<T: serde::de::DeserializeOwned>(c: &mentor_check::Model, part: &str) -> Result<Option<T>, ApiError> {
    c.details.get(part).map(|d| serde_json::from_value(d.clone()).map_err(|_| ApiError::unreadable(CHECKS, "details", c.id))).transpose()
}

/// Names of these accounts, by id.
pub async fn names_of<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, ApiError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        for u in user::Entity::find().filter(user::Column::Id.is_in(chunk.to_vec())).all(conn).await? {
            out.insert(u.id, u.name);
        }
    }
    Ok(out)
}

/// Every record compliance is computed from, for a set of mentors, loaded in a few queries
/// whatever their number.
pub struct ComplianceRecords {
    checks: HashMap<Uuid, Vec<mentor_check::Model>>,
    training: HashMap<Uuid, Vec<training_record::Model>>,
    mandatory: Vec<training_course::Model>,
}

pub async fn mandatory_courses<C: ConnectionTrait>(conn: &C) -> Result<Vec<training_course::Model>, ApiError> {
    Ok(training_course::Entity::find().filter(training_course::Column::Mandatory.eq(true)).all(conn).await?)
}

/// Her compliance on `on`: the checks and mandatory courses, as the rules see them.
pub async fn compliance_of<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    p: &mentor_profile::Model,
    on: NaiveDate,
) -> Result<rules::Compliance, ApiError> {
    let checks = checks_of(conn, p.user_id).await?;
    let records = training_record::Entity::find().filter(training_record::Column::MentorId.eq(p.user_id)).all(conn).await?;
    let mandatory = mandatory_courses(conn).await?;
    assess(state, p, &checks.iter().collect::<Vec<_>>(), &records.iter().collect::<Vec<_>>(), &mandatory, on)
}

pub fn new_course(
    name: &str,
    mandatory: bool,
    hours: f64,
    validity_months: Option<i16>,
    available_from: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> training_course::ActiveModel {
    training_course::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_string()),
        mandatory: Set(mandatory),
        hours: Set(hours),
        validity_months: Set(validity_months),
        available_from: Set(available_from),
        created_at: Set(now),
    }
}

/// The mandatory courses (docs/domain.md §Mentors): name, hours, validity in months.
pub const MANDATORY_COURSES: &[(&str, f64, i16)] = &[
    ("Safeguarding children", 3.0, 24),
    ("ACE-aware and trauma-informed practice", 6.0, 36),
    ("Child criminal and sexual exploitation, including county lines", 3.0, 24),
    ("Professional boundaries and lone working", 2.0, 36),
    ("Data protection", 1.5, 12),
];

/// Adds any missing mandatory course to the catalogue (run at start-up; idempotent).
pub async fn ensure_catalogue<C: ConnectionTrait>(conn: &C, now: chrono::DateTime<chrono::Utc>) -> Result<(), sea_orm::DbErr> {
    let existing: Vec<String> = training_course::Entity::find().all(conn).await?.into_iter().map(|c| c.name).collect();
    let since = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or(now.date_naive());
    for (name, hours, months) in MANDATORY_COURSES {
        if !existing.iter().any(|e| e == name) {
            new_course(name, true, *hours, Some(*months), since, now).insert(conn).await?;
        }
    }
    Ok(())
}

impl ComplianceRecords {
    pub async fn load<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> Result<Self, ApiError> {
        let mut checks: HashMap<Uuid, Vec<mentor_check::Model>> = HashMap::new();
        let mut training: HashMap<Uuid, Vec<training_record::Model>> = HashMap::new();
        for chunk in ids.chunks(ID_CHUNK) {
            let rows = mentor_check::Entity::find()
                .filter(mentor_check::Column::MentorId.is_in(chunk.to_vec()))
                .order_by_asc(mentor_check::Column::Id)
                .all(conn)
                .await?;
            for c in rows {
                checks.entry(c.mentor_id).or_default().push(c);
            }
            for r in training_record::Entity::find().filter(training_record::Column::MentorId.is_in(chunk.to_vec())).all(conn).await? {
                training.entry(r.mentor_id).or_default().push(r);
            }
        }
        Ok(Self { checks, training, mandatory: mandatory_courses(conn).await? })
    }

    /// Her compliance on `on`.
    pub fn assess(&self, state: &AppState, p: &mentor_profile::Model, on: NaiveDate) -> Result<rules::Compliance, ApiError> {
        let checks: Vec<&mentor_check::Model> = self.checks.get(&p.user_id).map(|v| v.iter().collect()).unwrap_or_default();
        let training: Vec<&training_record::Model> = self.training.get(&p.user_id).map(|v| v.iter().collect()).unwrap_or_default();
        assess(state, p, &checks, &training, &self.mandatory, on)
    }
}

pub fn not_future(d: NaiveDate, today: NaiveDate, field: &str) -> Result<(), ApiError> {
    if d > today { Err(ApiError::field(field, "in_future", "This date is in the future.")) } else { Ok(()) }
}

/// Adds the audit event of a change to mentor `p`'s records to the unit.
pub fn audit_write(txn: &mut crate::access::Write, action: &'static str, p: &mentor_profile::Model, detail: serde_json::Value) {
    txn.audit(Event::new(action, "mentor").resource(p.user_id, Some(p.organisation_id)).detail(detail));
}
